import { describe, expect, it } from "vitest";
import { poetryLockExtractor, readPyproject } from "./poetry-lock.js";
import { parseToml } from "./toml.js";
import type { ExtractResult } from "./types.js";
import { extractError, reportMedianMs, packageOf, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`poetry-lock/${name}`);

const run = (path: string, content: string, siblings: Record<string, string> = {}): ExtractResult =>
  runExtractor(poetryLockExtractor, path, content, siblings);

const pypi = packageOf("pypi");

/** The packages of the Poetry 1.8 and 1.1 fixtures (the same project). */
const ORDERS_SERVICE = [
  pypi("annotated-types", "0.5.0"),
  pypi("anyio", "4.0.0"),
  pypi("certifi", "2023.7.22"),
  pypi("click", "8.1.7", { dev: true }),
  pypi("colorama", "0.4.6", { dev: true }),
  pypi("fastapi", "0.103.1", { direct: true }),
  pypi("greenlet", "2.0.2"),
  pypi("h11", "0.14.0"),
  pypi("h2", "4.1.0"),
  pypi("hpack", "4.0.0"),
  pypi("httpcore", "0.18.0"),
  pypi("httpx", "0.25.0", { direct: true }),
  pypi("hyperframe", "6.0.1"),
  pypi("idna", "3.4"),
  pypi("iniconfig", "2.0.0", { dev: true }),
  pypi("jinja2", "3.1.2", { dev: true }),
  pypi("markdown", "3.4.4", { dev: true }),
  pypi("markupsafe", "2.1.3", { dev: true }),
  pypi("mkdocs", "1.5.3", { direct: true, dev: true }),
  pypi("packaging", "23.1", { dev: true }),
  pypi("pluggy", "1.3.0", { dev: true }),
  pypi("pydantic", "2.4.2"),
  pypi("pydantic-core", "2.10.1"),
  pypi("pytest", "7.4.2", { direct: true, dev: true }),
  pypi("pyyaml", "6.0.1", { dev: true }),
  pypi("ruff", "0.0.292", { direct: true, dev: true }),
  pypi("sniffio", "1.3.0"),
  pypi("sqlalchemy", "2.0.21", { direct: true }),
  pypi("starlette", "0.27.0"),
  pypi("typing-extensions", "4.8.0"),
];

describe("poetry-lock: matches", () => {
  it("reads poetry.lock outside vendored folders", () => {
    for (const p of ["poetry.lock", "services/orders/poetry.lock"]) expect(poetryLockExtractor.matches(p), p).toBe(true);
    const no = ["pyproject.toml", "poetry.lock.bak", "Poetry.lock", "vendor/poetry.lock", ".venv/src/x/poetry.lock", "a/node_modules/b/poetry.lock", "target/poetry.lock"];
    for (const p of no) expect(poetryLockExtractor.matches(p), p).toBe(false);
  });
});

describe("poetry-lock: extract", () => {
  it("reads a Poetry 1.8 lock (2.0): direct from pyproject, dev from the groups' reach, local packages skipped", () => {
    const result = run("svc/poetry.lock", fixture("poetry-1.8/poetry.lock"), { "pyproject.toml": fixture("poetry-1.8/pyproject.toml") });
    expect(result).toEqual({ packages: ORDERS_SERVICE, warnings: [] });
  });

  it("reads a Poetry 1.1 lock (1.1): dev from category, names normalised, direct from the lock's roots without a pyproject", () => {
    const result = run("poetry.lock", fixture("poetry-1.1/poetry.lock"));
    expect(result).toEqual({ packages: ORDERS_SERVICE, warnings: [] });
  });

  it("reads a Poetry 2 lock (2.1): dev from groups, direct from PEP 621 and PEP 735", () => {
    const result = run("poetry.lock", fixture("poetry-2/poetry.lock"), { "pyproject.toml": fixture("poetry-2/pyproject.toml") });
    expect(result).toEqual({
      packages: [
        pypi("anyio", "4.8.0"),
        pypi("certifi", "2025.1.31"),
        pypi("h11", "0.14.0"),
        pypi("httpcore", "1.0.7"),
        pypi("httpx", "0.28.1", { direct: true }),
        pypi("idna", "3.10"),
        pypi("iniconfig", "2.0.0", { dev: true }),
        pypi("mypy", "1.15.0", { direct: true, dev: true }),
        pypi("mypy-extensions", "1.0.0", { dev: true }),
        pypi("packaging", "24.2", { dev: true }),
        pypi("pluggy", "1.5.0", { dev: true }),
        pypi("pytest", "8.3.4", { direct: true, dev: true }),
        pypi("respx", "0.22.0", { direct: true, dev: true }),
        pypi("sniffio", "1.3.1"),
        pypi("typing-extensions", "4.12.2", { direct: true }),
      ],
      warnings: [],
    });
  });

  it("without a pyproject, only the lock's roots are direct (a direct package another one needs is missed)", () => {
    const direct = run("poetry.lock", fixture("poetry-2/poetry.lock"))
      .packages!.filter((p) => p.direct)
      .map((p) => p.name);
    expect(direct).toEqual(["mypy", "pytest", "respx"]);
  });

  it("without a pyproject, a 2.0 lock cannot tell dev packages", () => {
    const result = run("poetry.lock", fixture("poetry-1.8/poetry.lock"));
    expect(result.packages).toHaveLength(30);
    expect(result.packages!.some((p) => p.devDependency)).toBe(false);
    // shared-lib (a local directory package) is not reported, but what it needs is direct.
    expect(result.packages!.find((p) => p.name === "shared-lib")).toBeUndefined();
  });

  it("skips bad entries with a warning and survives a broken pyproject", () => {
    const result = run("fetcher/poetry.lock", fixture("malformed/poetry.lock"), { "pyproject.toml": fixture("malformed/pyproject.toml") });
    expect(result).toEqual({
      packages: [pypi("certifi", "2023.7.22", { direct: true }), pypi("urllib3", "2.0.4", { direct: true })],
      warnings: [
        { file: "fetcher/poetry.lock", line: 13, message: "charset-normalizer: no version: skipped" },
        { file: "fetcher/poetry.lock", line: 20, message: "package without a name: skipped" },
        { file: "fetcher/poetry.lock", line: 27, message: "requests: version 2.31 is not a string: skipped" },
        { file: "fetcher/pyproject.toml", line: 9, message: "not valid TOML (direct dependencies from the lock's roots): control characters are not allowed in strings (column 17: urllib3 = \"2.0.4)" },
      ],
    });
  });

  it("cannot read a conflicted file, an unknown lock version, or something else", () => {
    expect(extractError(() => run("a/poetry.lock", fixture("conflict/poetry.lock")))).toMatchObject({
      file: "a/poetry.lock",
      line: 5,
      message: "not valid TOML: illegal character in key (column 1: <<<<<<< HEAD)",
    });
    expect(extractError(() => run("poetry.lock", fixture("future/poetry.lock")))).toMatchObject({
      file: "poetry.lock",
      line: 12,
      message: 'unknown poetry.lock lock-version "3.0"',
    });
    expect(extractError(() => run("poetry.lock", '[tool.black]\nline-length = 100\n')).message).toMatch(/not a poetry.lock/);
    expect(extractError(() => run("poetry.lock", 'package = "x"\n')).message).toMatch(/not an array of tables/);
  });

  it("reads an empty lock", () => {
    expect(run("poetry.lock", 'package = []\n\n[metadata]\nlock-version = "2.0"\n')).toEqual({ packages: [], warnings: [] });
  });

  it("reads what a pyproject declares", () => {
    expect(readPyproject(parseToml(fixture("poetry-1.8/pyproject.toml")))).toEqual({
      main: new Set(["fastapi", "httpx", "sqlalchemy", "shared-lib"]),
      dev: new Set(["pytest", "ruff", "mkdocs"]),
    });
    expect(readPyproject(parseToml('[tool.poetry]\nname = "x"\n[tool.poetry.dev-dependencies]\nPyTest = "*"'))).toEqual({
      main: new Set(),
      dev: new Set(["pytest"]),
    });
    expect(readPyproject(parseToml("[tool.black]\nline-length = 100"))).toBeUndefined();
  });

  it("reads a 300-package lock whole (time reported)", () => {
    const parts: string[] = [];
    const deps: string[] = [];
    for (let i = 0; i < 300; i++) {
      parts.push(
        "[[package]]",
        `name = "package-${i}"`,
        `version = "1.${i}.0"`,
        `description = "Package number ${i}"`,
        "optional = false",
        'python-versions = ">=3.8"',
        "files = [",
        ...Array.from({ length: 4 }, (_, j) => `    {file = "package_${i}-1.${i}.0-cp3${j}-manylinux.whl", hash = "sha256:${"ab".repeat(32)}"},`),
        "]",
        "",
        "[package.dependencies]",
        `package-${(i * 7 + 1) % 300} = ">=1.0"`,
        `package-${(i * 13 + 5) % 300} = {version = ">=2", markers = "python_version < \\"3.11\\""}`,
        "",
      );
      if (i % 10 === 0) deps.push(`package-${i} = "^1.${i}"`);
    }
    parts.push("[metadata]", 'lock-version = "2.0"', 'python-versions = "^3.11"', 'content-hash = "00"');
    const content = parts.join("\n");
    const pyproject = `[tool.poetry.dependencies]\npython = "^3.11"\n${deps.join("\n")}\n[tool.poetry.group.dev.dependencies]\npackage-299 = "*"\n`;
    const go = () => run("poetry.lock", content, { "pyproject.toml": pyproject });
    expect(go().packages).toHaveLength(300);
    reportMedianMs("poetry-lock", go);
  });
});
