import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify, type ToStringOptions } from "yaml";
import { readFixture } from "./test-helpers.js";
import { ExtractError } from "./types.js";
import { isMap, parseFast, parseLockYaml, parseWithLibrary } from "./yaml-fast.js";

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
    const text = readFixture(path);
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
