import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify, type ToStringOptions } from "yaml";
import { isMap, parseFast, parseLockYaml, parseWithLibrary, pnpmLockExtractor } from "./pnpm-lock.js";
import { type ExtractedPackage, ExtractError, type ExtractInput } from "./types.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

function fixture(path: string): ExtractInput {
  return { path, content: readFileSync(join(fixtures, path), "utf8"), readSibling: () => undefined };
}

function inline(content: string): ExtractInput {
  return { path: "pnpm-lock.yaml", content, readSibling: () => undefined };
}

/** `name@version`, then ` direct` and ` dev` when set: one line per package, in output order. */
function summary(packages: ExtractedPackage[] | undefined): string[] {
  return (packages ?? []).map(
    (p) => `${p.name}@${p.version}${p.direct ? " direct" : ""}${p.devDependency ? " dev" : ""}`,
  );
}

function extractError(input: ExtractInput): ExtractError {
  try {
    pnpmLockExtractor.extract(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ExtractError);
    return error as ExtractError;
  }
  throw new Error("expected an ExtractError");
}

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
    expect(extractError(inline("")).message).toMatch(/not a pnpm lockfile/);
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

describe("lockfile YAML reader", () => {
  const yamlFixtures = [
    "pnpm-lock/v9/pnpm-lock.yaml",
    "pnpm-lock/v9-two-documents/pnpm-lock.yaml",
    "pnpm-lock/v6/pnpm-lock.yaml",
    "pnpm-lock/v5/pnpm-lock.yaml",
    "pnpm-lock/bad-entries/pnpm-lock.yaml",
    "yarn-lock/berry/yarn.lock",
    "yarn-lock/berry-v6/yarn.lock",
    "yarn-lock/berry-bad-entries/yarn.lock",
  ];

  it.each(yamlFixtures)("reads %s on the fast path, exactly as the yaml package does", (path) => {
    const text = readFileSync(join(fixtures, path), "utf8");
    const fast = parseFast(text);
    expect(fast).toBeDefined();
    const slow = parseWithLibrary(path, text);
    expect(fast!.value).toEqual(slow.value);
    // and the same key lines
    const doc = fast!.value;
    const slowDoc = slow.value;
    if (!isMap(doc) || !isMap(slowDoc)) throw new Error("expected mappings");
    for (const key of Object.keys(doc)) expect(fast!.keyLine(doc, key)).toBe(slow.keyLine(slowDoc, key));
    const packages = doc.packages;
    const slowPackages = slowDoc.packages;
    if (isMap(packages) && isMap(slowPackages)) {
      for (const key of Object.keys(packages)) expect(fast!.keyLine(packages, key)).toBe(slow.keyLine(slowPackages, key));
    }
  });

  it("agrees with the yaml package on the syntax lockfiles use", () => {
    const samples = [
      "a: 1\nb:\n  c: 'it''s'\n  d: \"tab\\there \\u00e9 \\\" \\\\\"\n",
      "# comment\nkey: value # trailing comment\nurl: https://example.com/a#frag\n",
      "list:\n  - a\n  - 'b'\n  - \"c\"\nsame-indent:\n- x\n- y\nafter: z\n",
      "flow: {integrity: sha512-abc+/=, tarball: 'https://x/y.tgz', nested: {a: [1, 2]}}\nseq: [x64, arm64]\nempty: {}\nnone: []\n",
      "empty:\nnext: 1\ndeep:\n  deeper:\n    deepest:\n",
      "'@scope/pkg@1.0.0(react@18.0.0)':\n  resolution: {integrity: x}\n/foo/1.0.0_bar@2.0.0:\n  dev: false\n",
      "a: b\r\nc:\r\n  d: e\r\n",
      "---\nfirst: 1\n---\nsecond: 2\n",
      "engines: {node: ^14.17.0 || >=16.0.0}\nkey with spaces: value with spaces\n",
      "-dash: -1\ncolon:in:key: a:b\n",
      "\ufeffbom: first\nnbsp: value\u00a0\n",
    ];
    for (const text of samples) {
      const fast = parseFast(text);
      expect(fast, text).toBeDefined();
      expect(fast!.value, text).toEqual(parseWithLibrary("x.yaml", text).value);
    }
  });

  it("hands what it does not read to the yaml package", () => {
    const samples = [
      "a: &anchor\n  b: 1\nc: *anchor\n",
      "a: |\n  line one\n  line two\n",
      "a: >-\n  folded\n  text\n",
      "a: {b: 1,\n  c: 2}\n",
      'a: "multi\n  line"\n',
      "a: 1\na: 2\n",
      "? complex\n: key\n",
      "a:\n\tb: 1\n",
      "- a: 1\n  b: 2\n",
      "a: 1\rb: 2\n",
    ];
    for (const text of samples) {
      expect(parseFast(text), text).toBeUndefined();
      let slow: unknown;
      let slowError: unknown;
      try {
        slow = parseWithLibrary("x.yaml", text).value;
      } catch (error) {
        slowError = error;
      }
      if (slowError) expect(() => parseLockYaml("x.yaml", text)).toThrow(ExtractError);
      else expect(parseLockYaml("x.yaml", text).value).toEqual(slow);
    }
  });

  it("never disagrees with the yaml package on what it does read (property)", () => {
    const scalar = fc.oneof(
      fc.constantFrom("1.0.0", "^4.17.21", ">=0.10.0", "sha512-ab+/c==", "true", "null", "", "~", "a b", "x: y", "#not"),
      fc.string({ maxLength: 12 }),
      fc.string({ maxLength: 6, unit: "binary" }),
    );
    const key = fc.oneof(
      fc.constantFrom("@scope/a@1.0.0", "/b/2.0.0", "c@1.0.0(d@2.0.0)", "."),
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.string({ minLength: 1, maxLength: 4, unit: "binary" }),
    );
    const tree = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, scalar, fc.array(scalar, { maxLength: 3 }), tie("map")),
      map: fc.dictionary(key, tie("value"), { maxKeys: 4 }),
    })).map;
    const style = fc.constantFrom<ToStringOptions>(
      {},
      { collectionStyle: "flow" },
      { indentSeq: false },
      { defaultStringType: "QUOTE_SINGLE" },
      { defaultStringType: "QUOTE_DOUBLE", indent: 4 },
      { collectionStyle: "flow", flowCollectionPadding: false },
    );
    fc.assert(
      fc.property(tree, style, (value, options) => {
        const text = stringify(value, null, options);
        const fast = parseFast(text);
        if (fast === undefined) return; // handed to the library: fine
        expect(fast.value).toEqual(parseWithLibrary("x.yaml", text).value);
      }),
      { numRuns: 500 },
    );
  });
});

describe("pnpm-lock speed", () => {
  it("extracts a 300-package 9.0 lockfile in well under 5 ms", () => {
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
    expect(medianMs(() => pnpmLockExtractor.extract(input))).toBeLessThan(5);
  });
});

function medianMs(run: () => unknown): number {
  for (let i = 0; i < 20; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 41; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[20]!;
}
