import { describe, expect, it } from "vitest";
import { pnpmLockExtractor } from "./pnpm-lock.js";
import { extractError as extractErrorOf, fixtureInput, reportMedianMs, summary } from "./test-helpers.js";
import type { ExtractError, ExtractInput } from "./types.js";

const fixture = (path: string): ExtractInput => fixtureInput(path, { siblings: false });

function inline(content: string): ExtractInput {
  return { path: "pnpm-lock.yaml", content, readSibling: () => undefined };
}

const extractError = (input: ExtractInput): ExtractError => extractErrorOf(() => pnpmLockExtractor.extract(input));

describe("pnpm-lock matches()", () => {
  it("takes pnpm-lock.yaml anywhere in the project but not under node_modules", () => {
    expect(pnpmLockExtractor.matches("pnpm-lock.yaml")).toBe(true);
    expect(pnpmLockExtractor.matches("services/api/pnpm-lock.yaml")).toBe(true);
    expect(pnpmLockExtractor.matches("pnpm-lock.yml")).toBe(false);
    expect(pnpmLockExtractor.matches("pnpm-lock.yaml.bak")).toBe(false);
    expect(pnpmLockExtractor.matches("pnpm-workspace.yaml")).toBe(false);
    expect(pnpmLockExtractor.matches("node_modules/x/pnpm-lock.yaml")).toBe(false);
    expect(pnpmLockExtractor.matches("node_modules/.pnpm/lock.yaml")).toBe(false);
  });
});

describe("pnpm-lock 9.0", () => {
  const result = pnpmLockExtractor.extract(fixture("pnpm-lock/v9/pnpm-lock.yaml"));

  it("lists packages from packages and snapshots, peer suffixes stripped, dev by reachability", () => {
    expect(summary(result.packages)).toEqual([
      "@tanstack/query-core@5.40.0",
      "@tanstack/react-query@5.40.0 direct",
      "@types/lodash@4.17.4 direct dev",
      "@types/prop-types@15.7.12 dev",
      "@types/react@18.3.3 direct dev",
      "ansi-regex@5.0.1",
      "csstype@3.1.3 dev",
      "emoji-regex@8.0.0",
      "fsevents@2.3.3 direct",
      "is-fullwidth-code-point@3.0.0",
      "js-tokens@4.0.0",
      "lodash@4.17.21 direct",
      "loose-envify@1.4.0",
      "react@18.3.1 direct",
      "react-dom@18.3.1 direct",
      "scheduler@0.23.2",
      "string-width@4.2.3 direct",
      "strip-ansi@6.0.1",
      "tiny-lib@1.0.0 direct",
      "typescript@5.4.5 direct dev",
    ]);
    expect(result.warnings).toEqual([]);
    expect(result.packages!.every((p) => p.ecosystem === "npm")).toBe(true);
  });

  it("resolves aliases, tarballs and workspace importers", () => {
    const find = (name: string) => result.packages!.find((p) => p.name === name);
    // string-width-cjs: npm:string-width@^4.2.0 → version string-width@4.2.3
    expect(find("string-width")).toEqual({
      ecosystem: "npm",
      name: "string-width",
      version: "4.2.3",
      direct: true,
      devDependency: false,
    });
    // a github tarball: the key holds the URL, the entry's version field the version
    expect(find("tiny-lib")?.version).toBe("1.0.0");
    // packages/utils declares lodash; its link: to ../shared is not a package
    expect(find("lodash")?.direct).toBe(true);
    expect(find("@acme/shared")).toBeUndefined();
  });

  it("reads only the last document of a two-document file (pnpm 11+ env lockfile first)", () => {
    const two = pnpmLockExtractor.extract(fixture("pnpm-lock/v9-two-documents/pnpm-lock.yaml"));
    expect(summary(two.packages)).toEqual(["ms@2.1.3 direct"]);
  });
});

describe("pnpm-lock 6.0", () => {
  it("reads top-level importer fields, /name@version(peer) keys and pnpm's dev flags", () => {
    const result = pnpmLockExtractor.extract(fixture("pnpm-lock/v6/pnpm-lock.yaml"));
    expect(summary(result.packages)).toEqual([
      "@emotion/react@11.11.4 direct",
      "@emotion/weak-memoize@0.3.1",
      "@types/prop-types@15.7.12 dev",
      "@types/react@18.2.79 direct dev",
      "csstype@3.1.3 direct dev",
      "emoji-regex@8.0.0",
      "is-fullwidth-code-point@3.0.0",
      "js-tokens@4.0.0",
      "loose-envify@1.4.0",
      "react@18.2.0 direct",
      "string-width@4.2.3 direct",
    ]);
    // file:vendor/legacy-widget is a local directory and local-helpers a link: both the project's own code
    expect(result.packages!.some((p) => p.name === "legacy-widget" || p.name === "local-helpers")).toBe(false);
    expect(result.warnings).toEqual([]);
  });
});

describe("pnpm-lock 5.4", () => {
  it("reads /name/version_peer keys; peer variants merge (dev only if every variant is dev)", () => {
    const result = pnpmLockExtractor.extract(fixture("pnpm-lock/v5/pnpm-lock.yaml"));
    expect(summary(result.packages)).toEqual([
      "@babel/core@7.24.0 direct dev",
      // no dev field: pnpm uses it in both production and development
      "client-only@0.0.1",
      "js-tokens@4.0.0",
      "loose-envify@1.4.0",
      "next-head-shim@1.0.0 direct",
      "react@18.2.0 direct",
      // two variants: _react@18.2.0 (production, direct) and _ibmedvnd… (dev)
      "styled-jsx@5.1.1 direct",
      // github.com/acme/tiny-lib/<sha>: name and version from the entry
      "tiny-lib@1.0.0 direct",
    ]);
    expect(result.warnings).toEqual([]);
  });

  it("reads a workspace 5.x lockfile (importers with plain version references)", () => {
    const result = pnpmLockExtractor.extract(
      inline(
        [
          "lockfileVersion: 5.3",
          "",
          "importers:",
          "",
          "  .:",
          "    specifiers:",
          "      typescript: ^4.9.5",
          "    devDependencies:",
          "      typescript: 4.9.5",
          "",
          "  packages/a:",
          "    specifiers:",
          "      b: workspace:*",
          "      is-odd: ^3.0.1",
          "    dependencies:",
          "      b: link:../b",
          "      is-odd: 3.0.1",
          "",
          "packages:",
          "",
          "  /is-number/6.0.0:",
          "    resolution: {integrity: sha512-Wu1VHeILBK8KAWJUAiSZQX94GmOE45Rg6/538fKwiloUu21KncEkYGPqob2oSZ5mUT73vLGrHQjKw3KMPwfDzg==}",
          "    engines: {node: '>=0.10.0'}",
          "    dev: false",
          "",
          "  /is-odd/3.0.1:",
          "    resolution: {integrity: sha512-CQpnWPrDwmP1+SMHXZhtLtJv90yiyVfluGsX5iNCVkrhQtU3TQHsUWPG9wkdk9Lgd5yNpAg9jQEo90CBaXgWMA==}",
          "    engines: {node: '>=4'}",
          "    dependencies:",
          "      is-number: 6.0.0",
          "    dev: false",
          "",
          "  /typescript/4.9.5:",
          "    resolution: {integrity: sha512-1FXk9E2Hm+QzZQ7z+McJiHL4NW1F995ZXV/hs3hCpHh9wXGqk8bf1d8D7ZZi11eTpuwQ2qWEyzNVUkmxtYDZAg==}",
          "    engines: {node: '>=4.2.0'}",
          "    hasBin: true",
          "    dev: true",
          "",
        ].join("\n"),
      ),
    );
    expect(summary(result.packages)).toEqual(["is-number@6.0.0", "is-odd@3.0.1 direct", "typescript@4.9.5 direct dev"]);
  });
});

describe("pnpm-lock keys read as pnpm's dependency-path parse() reads them", () => {
  it("5.x: a registry host before the path is read; a version that is not semver names no package; an entry with no body is read from its key", () => {
    const result = pnpmLockExtractor.extract(
      inline(
        [
          "lockfileVersion: 5.4",
          "",
          "specifiers:",
          "  left-pad: ^1.3.0",
          "",
          "dependencies:",
          "  left-pad: registry.npmjs.org/left-pad/1.3.0",
          "",
          "packages:",
          "  /ms/2.1.3:",
          "  /@babel/core/7.24.0:",
          "  registry.npmjs.org/left-pad/1.3.0:",
          "  registry.npmjs.org/@types/node/20.1.0:",
          "  npm.acme.example/debug/4.3.4_supports-color@8.1.1:",
          "    resolution: {integrity: sha512-AAAA}",
          "    dev: true",
          "  /semver/7.6.0_@types+node@20.1.0: ~",
          "  /yallist/4.0.0: null",
          "  github.com/acme/tiny-lib:",
          "  npm.acme.example:",
          "  /not-a/version:",
          "",
        ].join("\n"),
      ),
    );
    expect(summary(result.packages)).toEqual([
      "@babel/core@7.24.0",
      "@types/node@20.1.0",
      "debug@4.3.4 dev",
      "left-pad@1.3.0 direct",
      "ms@2.1.3",
      "semver@7.6.0",
      "yallist@4.0.0",
    ]);
    // before: `/not-a/version` was a package "not-a" at version "version"
    expect(result.packages!.some((p) => p.name === "not-a")).toBe(false);
    expect(result.warnings.map((w) => [w.line, w.message])).toEqual([
      [19, 'package "github.com/acme/tiny-lib" does not say which package and version it is; skipped'],
      [20, 'package "npm.acme.example" does not say which package and version it is; skipped'],
      [21, 'package "/not-a/version" does not say which package and version it is; skipped'],
    ]);
  });

  it("6.x: the same, with /name@version keys", () => {
    const result = pnpmLockExtractor.extract(
      inline(
        [
          "lockfileVersion: '6.0'",
          "",
          "dependencies:",
          "  left-pad:",
          "    specifier: ^1.3.0",
          "    version: registry.npmjs.org/left-pad@1.3.0",
          "",
          "packages:",
          "",
          "  /ms@2.1.3:",
          "",
          "  registry.npmjs.org/left-pad@1.3.0:",
          "    resolution: {integrity: sha512-AAAA}",
          "    dev: false",
          "",
          "  npm.acme.example/@acme/ui@2.0.0(react@18.2.0):",
          "    resolution: {integrity: sha512-AAAA}",
          "    dev: true",
          "",
          "  /not-a@version:",
          "",
        ].join("\n"),
      ),
    );
    expect(summary(result.packages)).toEqual(["@acme/ui@2.0.0 dev", "left-pad@1.3.0 direct", "ms@2.1.3"]);
    expect(result.warnings.map((w) => [w.line, w.message])).toEqual([
      [20, 'package "/not-a@version" does not say which package and version it is; skipped'],
    ]);
  });

  it("9.x: a package with no body (and no snapshot) is read from its key", () => {
    const result = pnpmLockExtractor.extract(
      inline(["lockfileVersion: '9.0'", "", "packages:", "", "  ms@2.1.3:", "", "  left-pad@1.3.0:", "", "snapshots:", "", "  ms@2.1.3:", ""].join("\n")),
    );
    expect(summary(result.packages)).toEqual(["left-pad@1.3.0", "ms@2.1.3"]);
    expect(result.warnings).toEqual([]);
  });
});

describe("pnpm-lock bad input", () => {
  it("invalid YAML throws at the line where the flow mapping is left open", () => {
    const error = extractError(fixture("pnpm-lock/invalid-yaml/pnpm-lock.yaml"));
    expect(error).toMatchObject({ file: "pnpm-lock/invalid-yaml/pnpm-lock.yaml", line: 14 });
    expect(error.message).toMatch(/^not valid YAML/);
  });

  it("an unknown lockfileVersion throws at its line", () => {
    const error = extractError(fixture("pnpm-lock/unknown-version/pnpm-lock.yaml"));
    expect(error).toMatchObject({ file: "pnpm-lock/unknown-version/pnpm-lock.yaml", line: 1 });
    expect(error.message).toBe('unknown lockfileVersion "42.0" (known: 5.x, 6.x, 9.x)');
    expect(extractError(inline("lockfileVersion: '6.0-inlineSpecifiers'\n")).message).toMatch(/unknown/);
  });

  it("no lockfileVersion, or not a mapping at all, throws", () => {
    expect(extractError(fixture("pnpm-lock/no-version/pnpm-lock.yaml")).message).toMatch(/no lockfileVersion/);
    expect(extractError(inline("- a\n- b\n")).message).toMatch(/not a pnpm lockfile/);
    expect(extractError(inline("lockfileVersion: '9.0'\npackages: [a]\n"))).toMatchObject({ line: 2 });
  });

  it("skips bad entries with warnings in file order", () => {
    const file = "pnpm-lock/bad-entries/pnpm-lock.yaml";
    const result = pnpmLockExtractor.extract(fixture(file));
    expect(summary(result.packages)).toEqual(["lodash@4.17.21 direct", "ms@2.1.3"]);
    expect(result.warnings).toEqual([
      { file, line: 14, message: 'importer ".": dependencies "left-pad" has no version; skipped' },
      { file, line: 25, message: 'package "not-a-package" does not say which package and version it is; skipped' },
      { file, line: 28, message: 'package "uuid@9.0.1" is not a mapping; skipped' },
      { file, line: 36, message: 'snapshot "broken-snapshot" does not say which package and version it is; skipped' },
    ]);
  });
});

describe("pnpm-lock speed", () => {
  it("extracts a 300-package 9.0 lockfile (time reported)", () => {
    const names = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? `@scope${i % 5}/pkg-${i}` : `pkg-${i}`));
    const version = (i: number) => `${1 + (i % 4)}.${i % 13}.${i % 9}`;
    const deps = (i: number) => [1, 7, 31].map((d) => (i + d) % 300).filter((j) => j > i);
    const key = (s: string) => (s.startsWith("@") ? `'${s}'` : s);
    let lock = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n";
    names.slice(0, 20).forEach((name, i) => {
      lock += `      ${key(name)}:\n        specifier: ^${version(i)}\n        version: ${version(i)}\n`;
    });
    lock += "    devDependencies:\n";
    names.slice(20, 30).forEach((name, i) => {
      lock += `      ${key(name)}:\n        specifier: ^${version(i + 20)}\n        version: ${version(i + 20)}\n`;
    });
    lock += "\npackages:\n\n";
    names.forEach((name, i) => {
      lock += `  ${key(`${name}@${version(i)}`)}:\n    resolution: {integrity: sha512-${"A".repeat(86)}==}\n    engines: {node: '>=14'}\n\n`;
    });
    lock += "snapshots:\n\n";
    names.forEach((name, i) => {
      const d = deps(i);
      lock += `  ${key(`${name}@${version(i)}`)}:${d.length > 0 ? "" : " {}"}\n`;
      if (d.length > 0) lock += `    dependencies:\n${d.map((j) => `      ${key(names[j]!)}: ${version(j)}\n`).join("")}`;
      lock += "\n";
    });
    const input = inline(lock);
    const result = pnpmLockExtractor.extract(input);
    expect(result.packages).toHaveLength(300);
    expect(result.packages!.filter((p) => p.direct)).toHaveLength(30);
    reportMedianMs("pnpm-lock", () => pnpmLockExtractor.extract(input));
  });
});
