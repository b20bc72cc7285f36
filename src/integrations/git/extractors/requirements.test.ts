import { describe, expect, it } from "vitest";
import { normalizePythonName, parseRequirement, requirementsExtractor } from "./requirements.js";
import { ExtractError, type ExtractResult } from "./types.js";
import { reportMedianMs, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`requirements-txt/${name}`);

const run = (path: string, content: string): ExtractResult => runExtractor(requirementsExtractor, path, content);

function pypi(name: string, version: string, devDependency = false) {
  return { ecosystem: "pypi", name, version, direct: true, devDependency };
}

describe("requirements-txt: matches", () => {
  it("reads requirements files and the .txt files of a requirements/ folder", () => {
    const yes = [
      "requirements.txt",
      "services/api/requirements.txt",
      "requirements-dev.txt",
      "requirements_test.txt",
      "dev-requirements.txt",
      "test_requirements.txt",
      "requirements/base.txt",
      "requirements/test.txt",
      "Requirements.txt",
    ];
    const no = [
      "requirements.in",
      "requirements-dev.in",
      "requirements.txt.bak",
      "notes.txt",
      "myrequirements.txt",
      "docs/requirements.md",
      "vendor/requirements.txt",
      "node_modules/pkg/requirements.txt",
      ".venv/lib/python3.11/site-packages/x/requirements.txt",
      "a/.venv/requirements.txt",
      "target/requirements.txt",
      "requirements/README",
    ];
    for (const p of yes) expect(requirementsExtractor.matches(p), p).toBe(true);
    for (const p of no) expect(requirementsExtractor.matches(p), p).toBe(false);
  });
});

describe("requirements-txt: extract", () => {
  it("reads a pip-compile file: pinned lines, hashes, markers, extras, normalised names", () => {
    const result = run("requirements.txt", fixture("healthy/requirements.txt"));
    expect(result.packages).toEqual([
      pypi("certifi", "2023.7.22"),
      pypi("charset-normalizer", "3.2.0"),
      pypi("django", "4.2.5"),
      pypi("idna", "3.4"),
      pypi("importlib-metadata", "6.8.0"),
      pypi("pyyaml", "6.0.1"),
      pypi("requests", "2.31.0"),
      pypi("ruamel-yaml", "0.17.32"),
      pypi("typing-extensions", "4.7.1"),
      pypi("urllib3", "2.0.4"),
      pypi("zope-interface", "6.0"),
    ]);
    // Options, -r/-c, -e and direct references are skipped silently; unpinned lines are not.
    expect(result.warnings).toEqual([
      { file: "requirements.txt", line: 33, message: "flask: not pinned (>=2.0)", notice: true },
      { file: "requirements.txt", line: 34, message: "gunicorn: not pinned (no version)", notice: true },
    ]);
  });

  it("marks the packages of a dev or test file as devDependencies", () => {
    const content = fixture("healthy/requirements-dev.txt");
    const expected = [
      pypi("black", "23.9.1", true),
      pypi("django", "4.2.5", true),
      pypi("mypy", "1.5.1", true),
      pypi("pytest", "7.4.2", true),
      pypi("pytest-cov", "4.1.0", true),
    ];
    for (const path of ["requirements-dev.txt", "dev-requirements.txt", "requirements/test.txt", "ci/requirements_tests.txt"]) {
      expect(run(path, content), path).toEqual({ packages: expected, warnings: [] });
    }
    const prod = run("requirements/base.txt", content).packages!;
    expect(prod.every((p) => !p.devDependency)).toBe(true);
    expect(run("requirements-latest.txt", content).packages!.every((p) => !p.devDependency)).toBe(true);
  });

  it("reads CRLF files and continuation lines", () => {
    expect(run("requirements.txt", fixture("healthy/requirements-crlf.txt"))).toEqual({
      packages: [pypi("flask", "2.3.3"), pypi("requests", "2.31.0")],
      warnings: [],
    });
  });

  it("skips bad lines with a warning naming the line", () => {
    const result = run("app/requirements.txt", fixture("malformed/requirements.txt"));
    expect(result.packages).toEqual([pypi("celery", "5.3.4"), pypi("requests", "2.31.0")]);
    expect(result.warnings).toEqual([
      { file: "app/requirements.txt", line: 3, message: "flask: not pinned (>=2,<3)", notice: true },
      { file: "app/requirements.txt", line: 4, message: "django: not pinned (==4.*)", notice: true },
      { file: "app/requirements.txt", line: 5, message: "numpy: == with no version after it" },
      { file: "app/requirements.txt", line: 6, message: 'pandas: bad version "1.5.3 extra words"' },
      { file: "app/requirements.txt", line: 7, message: 'not a requirement: "this is not a requirement"' },
      { file: "app/requirements.txt", line: 8, message: 'not a requirement: "[broken]==1.0"' },
      { file: "app/requirements.txt", line: 9, message: "scipy: unclosed extras" },
    ]);
  });

  it("cannot read a conflicted or binary file", () => {
    const conflicted = () => run("requirements.txt", fixture("conflict/requirements.txt"));
    expect(conflicted).toThrow(ExtractError);
    try {
      conflicted();
    } catch (e) {
      expect(e).toMatchObject({ file: "requirements.txt", line: 2, message: "merge conflict marker" });
    }
    expect(() => run("requirements.txt", "requests==1\0\0\0")).toThrow(/not a text file/);
  });

  it("deduplicates repeated pins and keeps different versions under markers", () => {
    const result = run(
      "requirements.txt",
      ['numpy==1.24.4 ; python_version >= "3.8"', 'numpy==1.21.6 ; python_version < "3.8"', "NumPy==1.24.4", ""].join("\n"),
    );
    expect(result.packages).toEqual([pypi("numpy", "1.21.6"), pypi("numpy", "1.24.4")]);
  });

  it("reads an empty file", () => {
    expect(run("requirements.txt", "")).toEqual({ packages: [], warnings: [] });
    expect(run("requirements.txt", "\uFEFF# nothing yet\n")).toEqual({ packages: [], warnings: [] });
  });

  it("reads a 300-line file whole (time reported)", () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      lines.push(`package_${i}[extra]==1.${i}.0 ; python_version >= "3.8" \\`, `    --hash=sha256:${"ab".repeat(32)} \\`, `    --hash=sha256:${"cd".repeat(32)}`, "    # via something");
    }
    const content = lines.join("\n");
    expect(run("requirements.txt", content).packages).toHaveLength(300);
    reportMedianMs("requirements", () => run("requirements.txt", content));
  });
});

describe("requirements-txt: helpers", () => {
  it("normalises names per PEP 503", () => {
    expect(normalizePythonName("Friendly_Bard..Lib")).toBe("friendly-bard-lib");
    expect(normalizePythonName("zope.interface")).toBe("zope-interface");
    expect(normalizePythonName("A-_-b")).toBe("a-b");
  });

  it("parses requirement lines", () => {
    expect(parseRequirement("Foo.Bar [x, y] == 1.0.post1+local ; os_name == 'nt' --hash=sha256:00")).toEqual({
      kind: "package",
      name: "foo-bar",
      version: "1.0.post1+local",
    });
    // per-requirement options, as pip splits them off (break_args_options: from the first token starting with `-`)
    for (const line of [
      "foo==1.0 -C bar",
      "foo==1.0 -C key=value -C other=1",
      "foo==1.0 --config-settings=bar --global-option=x --hash=sha256:00",
      "foo==1.0 --config-settings bar",
      "foo==1.0 --hash sha256:00",
      "foo==1.0 --hash=",
      "foo == 1.0 --Hash=sha256:00",
      'foo==1.0; python_version < "3.8" -C bar',
    ]) {
      expect({ line, parsed: parseRequirement(line) }).toEqual({ line, parsed: { kind: "package", name: "foo", version: "1.0" } });
    }
    expect(parseRequirement("foo== --hash=sha256:00")).toEqual({ kind: "warn", message: "foo: == with no version after it" });
    expect(parseRequirement("foo==1!2.0")).toEqual({ kind: "package", name: "foo", version: "1!2.0" });
    expect(parseRequirement("foo (==1.0)")).toEqual({ kind: "package", name: "foo", version: "1.0" });
    expect(parseRequirement("foo>=1,==1.2,<2")).toEqual({ kind: "package", name: "foo", version: "1.2" });
    expect(parseRequirement("foo~=1.2")).toEqual({ kind: "warn", message: "foo: not pinned (~=1.2)", notice: true });
    expect(parseRequirement("--requirement base.txt")).toEqual({ kind: "skip" });
    expect(parseRequirement("foo @ git+https://example.com/foo.git")).toEqual({ kind: "skip" });
    expect(parseRequirement("https://example.com/foo-1.0.tar.gz")).toEqual({ kind: "skip" });
    expect(parseRequirement("../foo")).toEqual({ kind: "skip" });
  });
});
