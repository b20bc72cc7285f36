import { describe, expect, it } from "vitest";
import { jsonKeyLine } from "./json-lines.js";
import { packageLockExtractor } from "./package-lock.js";
import { extractError as extractErrorOf, fixtureInput, reportMedianMs, summary } from "./test-helpers.js";
import type { ExtractError, ExtractInput } from "./types.js";

const fixture = fixtureInput;

function inline(content: string, siblings: Record<string, string> = {}): ExtractInput {
  return { path: "app/package-lock.json", content, readSibling: (name) => siblings[name] };
}

const extractError = (input: ExtractInput): ExtractError => extractErrorOf(() => packageLockExtractor.extract(input));

describe("package-lock matches()", () => {
  it("takes package-lock.json and npm-shrinkwrap.json anywhere in the project", () => {
    for (const path of [
      "package-lock.json",
      "a/b/package-lock.json",
      "npm-shrinkwrap.json",
      "tools/cli/npm-shrinkwrap.json",
    ]) {
      expect(packageLockExtractor.matches(path), path).toBe(true);
    }
  });

  it("ignores look-alikes and anything under node_modules (installed code, not the project's)", () => {
    for (const path of [
      "package-lock.json.bak",
      "old-package-lock.json",
      "package.json",
      "yarn.lock",
      "node_modules/x/package-lock.json",
      "web/node_modules/@scope/x/npm-shrinkwrap.json",
      "node_modules/.package-lock.json",
    ]) {
      expect(packageLockExtractor.matches(path), path).toBe(false);
    }
  });
});

describe("package-lock v3 (npm 9+, workspaces)", () => {
  const result = packageLockExtractor.extract(fixture("package-lock/v3/package-lock.json"));

  it("lists every installed package once, sorted, skipping links and workspace folders", () => {
    expect(summary(result.packages)).toEqual([
      "@types/body-parser@1.19.5 dev",
      "@types/connect@3.4.38 dev",
      "@types/express@4.17.21 direct dev",
      "@types/express-serve-static-core@4.19.0 dev",
      "@types/node@20.12.7 dev",
      "@types/qs@6.9.15 dev",
      "@types/serve-static@1.15.7 dev",
      "accepts@1.3.8",
      "ansi-regex@5.0.1 dev",
      "clsx@1.2.1",
      "clsx@2.1.1 direct",
      "debug@2.6.9",
      "emoji-regex@8.0.0 dev",
      "encoding@0.1.13 direct",
      "express@4.19.2 direct",
      "fsevents@2.3.3 direct",
      "iconv-lite@0.6.3",
      "is-fullwidth-code-point@3.0.0 dev",
      "js-tokens@4.0.0",
      "lodash@4.17.21 direct",
      "loose-envify@1.4.0",
      "mime-db@1.52.0",
      "mime-types@2.1.35",
      "ms@2.0.0",
      "ms@2.1.3",
      "negotiator@0.6.3",
      "react@18.3.1 direct",
      "safer-buffer@2.1.2",
      "send@0.18.0",
      "string-width@4.2.3 direct dev",
      "string-width@5.1.2 dev",
      "strip-ansi@6.0.1 dev",
      "typescript@5.4.5 direct dev",
      "undici-types@5.26.5 dev",
    ]);
    expect(result.packages).toHaveLength(34);
    expect(result.warnings).toEqual([]);
    expect(result.packages!.every((p) => p.ecosystem === "npm")).toBe(true);
    expect(summary(result.packages).some((s) => s.startsWith("@acme/"))).toBe(false);
  });

  it("reads names, flags and nesting the way npm wrote them", () => {
    const find = (name: string, version: string) =>
      result.packages!.find((p) => p.name === name && p.version === version);
    // nested node_modules/send/node_modules/ms is its own package, not direct
    expect(find("ms", "2.1.3")).toEqual({
      ecosystem: "npm",
      name: "ms",
      version: "2.1.3",
      direct: false,
      devDependency: false,
    });
    // alias node_modules/string-width-cjs carries name: string-width
    expect(find("string-width", "4.2.3")).toMatchObject({ direct: true, devDependency: true });
    // the ui workspace declares clsx ^2, resolved in packages/ui/node_modules; the root copy is transitive
    expect(find("clsx", "2.1.1")?.direct).toBe(true);
    expect(find("clsx", "1.2.1")?.direct).toBe(false);
    // devOptional: installed in production as an optional dependency, so not dev-only
    expect(find("iconv-lite", "0.6.3")?.devDependency).toBe(false);
    // a root peerDependency and an optionalDependency are declared, so direct
    expect(find("encoding", "0.1.13")?.direct).toBe(true);
    expect(find("fsevents", "2.3.3")).toMatchObject({ direct: true, devDependency: false });
  });

  it("needs no package.json: packages[\"\"] declares the root", () => {
    const alone = packageLockExtractor.extract(fixture("package-lock/v3/package-lock.json", { siblings: false }));
    expect(alone).toEqual(result);
  });
});

describe("package-lock v2 (npm 7/8)", () => {
  it("reads the packages map (the dependencies tree beside it is the v1 copy)", () => {
    const result = packageLockExtractor.extract(fixture("package-lock/v2/package-lock.json"));
    expect(summary(result.packages)).toEqual([
      "ansi-styles@4.3.0",
      "chalk@4.1.2 direct",
      "color-convert@2.0.1",
      "color-name@1.1.4",
      // a root devDependency that supports-color (production) also needs: npm does not flag it dev
      "has-flag@4.0.0 direct",
      "prettier@3.2.5 direct dev",
      "supports-color@7.2.0",
      "uuid@9.0.1 direct",
    ]);
    expect(result.warnings).toEqual([]);
  });

  it("falls back to the dependencies tree when a v2 file has no packages map", () => {
    const result = packageLockExtractor.extract(
      inline(
        JSON.stringify({
          lockfileVersion: 2,
          dependencies: { ms: { version: "2.1.3" }, debug: { version: "4.3.4", dev: true } },
        }),
      ),
    );
    expect(summary(result.packages)).toEqual(["debug@4.3.4 direct dev", "ms@2.1.3 direct"]);
  });
});

describe("package-lock v1 (npm 5/6)", () => {
  it("walks the nested tree; package.json says what is direct", () => {
    const result = packageLockExtractor.extract(fixture("package-lock/v1/package-lock.json"));
    expect(summary(result.packages)).toEqual([
      "async@2.6.4 direct",
      "debug@2.6.9",
      "debug@4.3.4 direct dev",
      "ee-first@1.1.1",
      "encodeurl@1.0.2",
      "escape-html@1.0.3",
      "finalhandler@1.1.2 direct",
      // top-level lodash (transitive, from async) and the alias lodash4 → npm:lodash@4.17.21 (direct): one package
      "lodash@4.17.21 direct",
      "ms@2.0.0",
      "ms@2.1.2 dev",
      "on-finished@2.3.0",
      "parseurl@1.3.3",
      "statuses@1.5.0",
      "unpipe@1.0.0",
    ]);
    // shared-utils is `file:../shared-utils`: the project's own folder, not a package
    expect(summary(result.packages).some((s) => s.startsWith("shared-utils"))).toBe(false);
    expect(result.warnings).toEqual([]);
  });

  it("without package.json every top-level entry counts as direct", () => {
    const result = packageLockExtractor.extract(fixture("package-lock/v1/package-lock.json", { siblings: false }));
    expect(result.packages).toHaveLength(14);
    const notDirect = result.packages!.filter((p) => !p.direct).map((p) => `${p.name}@${p.version}`);
    expect(notDirect).toEqual(["debug@2.6.9", "ms@2.0.0"]); // the ones nested under finalhandler
    expect(result.packages!.find((p) => p.name === "ms" && p.version === "2.1.2")).toMatchObject({
      direct: true,
      devDependency: true,
    });
  });

  it("reads an npm 3/4 shrinkwrap without lockfileVersion as v1", () => {
    const result = packageLockExtractor.extract(
      inline(JSON.stringify({ name: "old", version: "1.0.0", dependencies: { once: { version: "1.4.0" } } })),
    );
    expect(summary(result.packages)).toEqual(["once@1.4.0 direct"]);
  });
});

describe("npm-shrinkwrap.json", () => {
  it("is read like package-lock.json", () => {
    const result = packageLockExtractor.extract(fixture("package-lock/shrinkwrap/npm-shrinkwrap.json"));
    expect(summary(result.packages)).toEqual(["commander@12.0.0 direct", "picocolors@1.0.1 direct"]);
  });

  it("beside a package-lock.json, is the one npm uses: the package-lock.json is not read (a notice, not a problem)", () => {
    const lock = JSON.stringify({ lockfileVersion: 3, packages: { "": { name: "app" }, "node_modules/left-pad": { version: "1.3.0" } } });
    const shrinkwrap = JSON.stringify({ lockfileVersion: 3, packages: { "": { name: "app" }, "node_modules/ms": { version: "2.1.3" } } });
    const beside = packageLockExtractor.extract({ path: "app/package-lock.json", content: lock, readSibling: (n) => (n === "npm-shrinkwrap.json" ? shrinkwrap : undefined) });
    expect(beside.packages).toEqual([]);
    expect(beside.warnings).toEqual([
      { file: "app/package-lock.json", message: "not read: npm installs from the npm-shrinkwrap.json beside it and ignores package-lock.json", notice: true },
    ]);
    // even a package-lock.json npm would not be able to parse: it is never opened
    expect(packageLockExtractor.extract({ path: "package-lock.json", content: "{", readSibling: () => shrinkwrap }).packages).toEqual([]);
    // the shrinkwrap itself, and a package-lock.json alone, are read
    const wrap = packageLockExtractor.extract({ path: "app/npm-shrinkwrap.json", content: shrinkwrap, readSibling: (n) => (n === "package-lock.json" ? lock : undefined) });
    expect(summary(wrap.packages)).toEqual(["ms@2.1.3"]);
    expect(summary(packageLockExtractor.extract(inline(lock)).packages)).toEqual(["left-pad@1.3.0"]);
  });
});

describe("merging occurrences of one name@version", () => {
  it("is direct if any copy is direct, dev only if every copy is dev", () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        "": { name: "app", devDependencies: { a: "^1.0.0" } },
        "node_modules/a": { version: "1.0.0", dev: true },
        "node_modules/b": { version: "2.0.0", dev: true },
        "node_modules/b/node_modules/a": { version: "1.0.0" },
        "node_modules/c": { version: "3.0.0", dev: true },
        "node_modules/d/node_modules/c": { version: "3.0.0", dev: true },
        "node_modules/d": { version: "1.0.0", dev: true },
      },
    };
    const result = packageLockExtractor.extract(inline(JSON.stringify(lock)));
    expect(summary(result.packages)).toEqual(["a@1.0.0 direct", "b@2.0.0 dev", "c@3.0.0 dev", "d@1.0.0 dev"]);
  });
});

describe("package-lock bad input", () => {
  it("a truncated file throws ExtractError naming the file and the last line", () => {
    const error = extractError(fixture("package-lock/truncated/package-lock.json"));
    expect(error.file).toBe("package-lock/truncated/package-lock.json");
    expect(error.message).toMatch(/^not valid JSON/);
    expect(error.line).toBe(89);
  });

  it("a syntax error gives its line", () => {
    const error = extractError(fixture("package-lock/trailing-comma/package-lock.json"));
    expect(error).toMatchObject({ file: "package-lock/trailing-comma/package-lock.json", line: 9 });
  });

  it("an unknown lockfileVersion throws, at the line of the version", () => {
    const error = extractError(fixture("package-lock/unknown-version/package-lock.json"));
    expect(error).toMatchObject({ file: "package-lock/unknown-version/package-lock.json", line: 4 });
    expect(error.message).toBe("unknown lockfileVersion 4 (known: 1, 2, 3)");
    expect(extractError(inline('{"lockfileVersion": "3", "packages": {}}')).message).toMatch(/unknown lockfileVersion "3"/);
  });

  it("a JSON value that is not a lockfile throws", () => {
    expect(extractError(fixture("package-lock/not-an-object/package-lock.json")).line).toBe(1);
    expect(extractError(inline('{"name": "x"}')).message).toMatch(/no lockfileVersion/);
    expect(extractError(inline('{"lockfileVersion": 3, "packages": []}')).message).toMatch(/needs a "packages" object/);
  });

  it("skips bad entries with a warning naming file and line, and keeps the rest", () => {
    const file = "package-lock/bad-entries/package-lock.json";
    const result = packageLockExtractor.extract(fixture(file));
    expect(summary(result.packages)).toEqual(["chalk@4.1.2 direct", "ms@2.1.3"]);
    expect(result.warnings).toEqual([
      { file, line: 20, message: 'package "node_modules/left-pad" has no version; skipped' },
      { file, line: 24, message: 'package "node_modules/uuid" is not an object; skipped' },
      { file, line: 25, message: 'package "node_modules/semver" has a version that is not a string (7); skipped' },
    ]);
  });

  it("v1: skips a bad entry but keeps what is nested under it", () => {
    const file = "package-lock/v1-bad-entries/package-lock.json";
    const result = packageLockExtractor.extract(fixture(file));
    expect(summary(result.packages)).toEqual(["async@2.6.4 direct", "inner@1.0.0", "lodash@4.17.21 direct"]);
    expect(result.warnings).toEqual([
      { file, line: 15, message: 'dependency "broken" has no version; skipped' },
      { file, line: 30, message: 'dependency "weird" is not an object; skipped' },
    ]);
  });

  it("a broken package.json is a warning about package.json; top-level entries then count as direct", () => {
    const result = packageLockExtractor.extract(fixture("package-lock/broken-package-json/package-lock.json"));
    expect(summary(result.packages)).toEqual(["async@2.6.4 direct", "lodash@4.17.21 direct"]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({ file: "package-lock/broken-package-json/package.json", line: 6 });
    expect(result.warnings[0]!.message).toMatch(/not valid JSON.*direct and dev dependencies are unknown/);
  });
});

describe("jsonKeyLine", () => {
  const text = '{\n  "a": {\n    "b": 1,\n    "c\\"d": [\n      {"b": 2}\n    ],\n    "e": {"b": 3}\n  },\n  "b": 4\n}';

  it("finds a key by its path, not by its name elsewhere", () => {
    expect(jsonKeyLine(text, ["a", "b"])).toBe(3);
    expect(jsonKeyLine(text, ["a", 'c"d'])).toBe(4);
    expect(jsonKeyLine(text, ["a", "e", "b"])).toBe(7);
    expect(jsonKeyLine(text, ["b"])).toBe(9);
    expect(jsonKeyLine(text, ["a", "x"])).toBeUndefined();
  });
});

describe("package-lock speed", () => {
  it("extracts a 300-package lockfile (time reported)", () => {
    const names = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? `@scope${i % 5}/pkg-${i}` : `pkg-${i}`));
    const version = (i: number) => `${1 + (i % 4)}.${i % 13}.${i % 9}`;
    const packages: Record<string, unknown> = {
      "": { name: "big", dependencies: Object.fromEntries(names.slice(0, 30).map((n, i) => [n, `^${version(i)}`])) },
    };
    names.forEach((name, i) => {
      const key = i % 10 === 9 ? `node_modules/${names[i - 1]}/node_modules/${name}` : `node_modules/${name}`;
      packages[key] = {
        version: version(i),
        resolved: `https://registry.npmjs.org/${name}/-/x-${version(i)}.tgz`,
        integrity: `sha512-${"A".repeat(86)}==`,
        ...(i % 3 === 0 ? { dev: true } : {}),
        dependencies: { [names[(i + 1) % 300]!]: `^${version((i + 1) % 300)}` },
      };
    });
    const input = inline(JSON.stringify({ name: "big", lockfileVersion: 3, requires: true, packages }, null, 2));
    expect(packageLockExtractor.extract(input).packages).toHaveLength(300);
    reportMedianMs("package-lock", () => packageLockExtractor.extract(input));
  });
});
