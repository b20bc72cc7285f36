import { describe, expect, it } from "vitest";
import { pipfileLockExtractor } from "./pipfile-lock.js";
import type { ExtractResult } from "./types.js";
import { extractError, reportMedianMs, packageOf, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`pipfile-lock/${name}`);

const run = (path: string, content: string, siblings: Record<string, string> = {}): ExtractResult =>
  runExtractor(pipfileLockExtractor, path, content, siblings);

const pypi = packageOf("pypi");

const HEALTHY = [
  pypi("asgiref", "3.7.2"),
  pypi("black", "23.9.1", { direct: true, dev: true }),
  pypi("certifi", "2023.7.22"),
  pypi("charset-normalizer", "3.2.0"),
  pypi("click", "8.1.7", { dev: true }),
  pypi("django", "4.2.5", { direct: true }),
  pypi("idna", "3.4"),
  pypi("iniconfig", "2.0.0", { dev: true }),
  pypi("jinja2", "3.1.2", { dev: true }),
  pypi("markupsafe", "2.1.3", { dev: true }),
  pypi("mkdocs", "1.5.3", { direct: true, dev: true }),
  pypi("mypy-extensions", "1.0.0", { dev: true }),
  pypi("packaging", "23.1"),
  pypi("pathspec", "0.11.2", { dev: true }),
  pypi("platformdirs", "3.10.0", { dev: true }),
  pypi("pluggy", "1.3.0", { dev: true }),
  pypi("psycopg2-binary", "2.9.7", { direct: true }),
  pypi("pysocks", "1.7.1"),
  pypi("pytest", "7.4.2", { direct: true, dev: true }),
  pypi("requests", "2.31.0", { direct: true }),
  pypi("sqlparse", "0.4.4"),
  pypi("typing-extensions", "4.8.0"),
  pypi("urllib3", "2.0.4"),
  pypi("zope-interface", "6.0", { direct: true, dev: true }),
];

describe("pipfile-lock: matches", () => {
  it("reads Pipfile.lock outside vendored folders", () => {
    for (const p of ["Pipfile.lock", "api/Pipfile.lock"]) expect(pipfileLockExtractor.matches(p), p).toBe(true);
    for (const p of ["Pipfile", "pipfile.lock", "Pipfile.lock.orig", "vendor/Pipfile.lock", "x/.venv/Pipfile.lock", "node_modules/a/Pipfile.lock", "target/Pipfile.lock"]) {
      expect(pipfileLockExtractor.matches(p), p).toBe(false);
    }
  });
});

describe("pipfile-lock: extract", () => {
  it("reads default, develop and custom categories; direct from the Pipfile; local and git entries skipped", () => {
    const result = run("Pipfile.lock", fixture("healthy/Pipfile.lock"), { Pipfile: fixture("healthy/Pipfile") });
    expect(result).toEqual({ packages: HEALTHY, warnings: [] });
  });

  it("says nothing is direct without a Pipfile", () => {
    const result = run("Pipfile.lock", fixture("healthy/Pipfile.lock"));
    expect(result.packages).toEqual(HEALTHY.map((p) => ({ ...p, direct: false })));
    expect(result.warnings).toEqual([]);
  });

  it("skips bad entries with a warning naming the line, and survives a broken Pipfile", () => {
    const result = run("worker/Pipfile.lock", fixture("malformed/Pipfile.lock"), { Pipfile: fixture("malformed/Pipfile") });
    expect(result).toEqual({
      packages: [pypi("kombu", "5.3.2"), pypi("vine", "5.0.0")],
      warnings: [
        { file: "worker/Pipfile", line: 4, message: "not valid TOML (direct dependencies unknown): trying to redefine an already defined table or value (column 2: [packages])" },
        { file: "worker/Pipfile.lock", line: 19, message: 'celery: version "*" is not pinned: skipped' },
        { file: "worker/Pipfile.lock", line: 24, message: "flask: not an object: skipped" },
        { file: "worker/Pipfile.lock", line: 25, message: "gunicorn: no version: skipped" },
        { file: "worker/Pipfile.lock", line: 39, message: "redis: version 5 is not pinned: skipped" },
      ],
    });
  });

  it("cannot read broken JSON, a newer pipfile-spec, or another JSON file", () => {
    expect(extractError(() => run("Pipfile.lock", fixture("conflict/Pipfile.lock")))).toMatchObject({
      file: "Pipfile.lock",
      line: 25,
      message: expect.stringMatching(/^not valid JSON: /),
    });
    expect(extractError(() => run("Pipfile.lock", fixture("future/Pipfile.lock")))).toMatchObject({
      line: 6,
      message: "unknown pipfile-spec 7",
    });
    expect(extractError(() => run("Pipfile.lock", '{\n  "default": {\n    "a": {"version": "==1"},\n  }\n}')).line).toBe(4);
    expect(extractError(() => run("Pipfile.lock", '{"default": {"a": {"version": "==1"}}')).line).toBe(1);
    expect(extractError(() => run("Pipfile.lock", "[]")).message).toMatch(/not a JSON object/);
    expect(extractError(() => run("Pipfile.lock", '{"name": "x"}')).message).toMatch(/no "default" or "develop"/);
  });

  it("reads a 300-package lock whole (time reported)", () => {
    const section = (from: number, to: number) =>
      Object.fromEntries(
        Array.from({ length: to - from }, (_, k) => {
          const i = from + k;
          return [`package-${i}`, { hashes: [`sha256:${"ab".repeat(32)}`, `sha256:${"cd".repeat(32)}`], index: "pypi", markers: "python_version >= '3.8'", version: `==1.${i}.0` }];
        }),
      );
    const content = JSON.stringify({ _meta: { "pipfile-spec": 6 }, default: section(0, 250), develop: section(250, 300) }, null, 4);
    const pipfile = `[packages]\n${Array.from({ length: 30 }, (_, i) => `package-${i * 10} = "*"`).join("\n")}\n`;
    const go = () => run("Pipfile.lock", content, { Pipfile: pipfile });
    expect(go().packages).toHaveLength(300);
    reportMedianMs("pipfile-lock", go);
  });
});
