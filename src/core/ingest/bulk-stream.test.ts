import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import type { GraphBatch } from "../../store/types.js";
import { readBulkBatches } from "./bulk-stream.js";

async function* chunksOf(text: string, sizes: number[]): AsyncGenerator<string> {
  let at = 0;
  let i = 0;
  while (at < text.length) {
    const size = Math.max(1, sizes[i++ % Math.max(1, sizes.length)] ?? text.length);
    yield text.slice(at, at + size);
    at += size;
  }
}

async function readAll(text: string, sizes: number[] = [text.length], batchSize = 10_000): Promise<GraphBatch[]> {
  const out: GraphBatch[] = [];
  for await (const b of readBulkBatches(chunksOf(text, sizes), "g.json", batchSize)) out.push(b);
  return out;
}

async function failure(text: string, sizes?: number[]): Promise<InputError> {
  try {
    await readAll(text, sizes);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected the file to be refused");
}

const entity = (key: string, extra: Record<string, unknown> = {}) => ({ _key: key, _type: "git_repo", _class: "CodeRepo", ...extra });
const edge = (key: string, from: string, to: string) => ({
  _key: key,
  _type: "t",
  _class: "HAS",
  _fromEntityKey: from,
  _toEntityKey: to,
});

describe("readBulkBatches", () => {
  it("reads records exactly as JSON.parse would, whatever the chunking and layout", async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxLength: 4 }),
    );
    const record = fc.record({
      _key: fc.string({ minLength: 1 }),
      name: fc.string(),
      // strings full of the scanner's structural characters
      tricky: fc.constantFrom('a]b', "}{", ',"', "\\", '\\"]', "line\nbreak", "ü€😀", ""),
      extra: value,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(record, { selector: (r) => r._key, maxLength: 12 }),
        fc.constantFrom(0, 1, 2, "\t"),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        async (records, indent, sizes) => {
          const doc = { entities: records.map((r) => ({ ...r, _type: "t", _class: "Resource" })), relationships: [] };
          const text = JSON.stringify(doc, null, indent);
          const batches = await readAll(text, sizes, 5);
          const entities = batches.flatMap((b) => b.entities);
          expect(entities).toEqual(JSON.parse(text).entities);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("batches with offsets that count across the file", async () => {
    const doc = {
      entities: [entity("a"), entity("b"), entity("c")],
      relationships: [edge("1", "a", "b"), edge("2", "b", "c")],
    };
    const batches = await readAll(JSON.stringify(doc), [7], 2);
    expect(batches.map((b) => [b.entities.length, b.relationships.length, b.offset])).toEqual([
      [2, 0, { entities: 0, relationships: 0 }],
      [1, 1, { entities: 2, relationships: 0 }],
      [0, 1, { entities: 3, relationships: 1 }],
    ]);
  });

  it("holds back relationships that come before the entities", async () => {
    const text = JSON.stringify({ relationships: [edge("1", "a", "b")], entities: [entity("a"), entity("b")] });
    const batches = await readAll(text, [5]);
    const order = batches.flatMap((b) => [...b.entities.map((e) => e._key), ...b.relationships.map((r) => r._key)]);
    expect(order).toEqual(["a", "b", "1"]);
    expect(batches.at(-1)?.offset).toEqual({ entities: 2, relationships: 0 });
  });

  it("accepts empty and null lists, and either list alone", async () => {
    expect((await readAll('{"entities": [], "relationships": null}')).flatMap((b) => b.entities)).toEqual([]);
    expect(await readAll("{}")).toEqual([]);
    expect((await readAll(JSON.stringify({ relationships: [edge("1", "a", "b")] })))[0]!.relationships).toHaveLength(1);
  });

  it("reads YAML whole", async () => {
    const batches = await readAll("entities:\n  - _key: a\n    _type: t\n    _class: Resource\n", [3]);
    expect(batches[0]!.entities).toEqual([{ _key: "a", _type: "t", _class: "Resource" }]);
  });

  const cases: [string, string, RegExp][] = [
    ["empty", "  \n ", /^g\.json: is empty/],
    ["a list at the top", "[1]", /^g\.json:1:1: the file must be an object .* not a list/],
    ["missing comma between records", '{"entities": [\n {"_key":"a","_type":"t","_class": "Resource"}\n {"_key":"b"}]}', /^g\.json:3:2: expected "," or "\]" in the entities list but found "\{"/],
    ["unknown top-level key", '{"entities": [], "things": []}', /^g\.json:1:\d+: unknown top-level key "things"/],
    ["a list given twice", '{"entities": [], "entities": []}', /"entities" appears twice/],
    ["not a list", '{"entities": 5}', /^g\.json:1:14: "entities" must be a list/],
    ["cut short", '{"entities": [{"_key": "a", "_type": "t"', /^g\.json:1:15: unexpected end of file inside a record/],
    ["cut short between records", '{"entities": [', /unexpected end of file: the JSON is cut short/],
    ["trailing garbage", '{"entities": []} x', /^g\.json:1:18: unexpected "x" after the end of the JSON/],
    ["bad JSON inside a record", '{"entities": [\n\n  {"_key": tru}]}', /^g\.json:3:\d+: entities\[0\] is not valid JSON/],
    ["a record that breaks a rule", '{"entities": [\n{"_key":"a","_type":"t","_class": "Resource"},\n{"_key":"b","_type":"t"}]}', /^g\.json:3: entities\[1\]\._class: is missing/],
    ["a bad relationship", '{"relationships": [{"_key":"r","_type":"t","_class":"HAS","_fromEntityKey":"a"}]}', /^g\.json:1: relationships\[0\]\._toEntityKey: is missing/],
  ];
  for (const [name, text, message] of cases) {
    it(`refuses ${name}, naming the place`, async () => {
      for (const sizes of [[text.length], [1], [3, 7]]) {
        expect((await failure(text, sizes)).message).toMatch(message);
      }
    });
  }
});

describe("what the rest of dm cannot use is refused at import, naming the record and field", () => {
  const json = (entities: unknown[], relationships: unknown[] = []) => JSON.stringify({ entities, relationships });

  it("a class that is not TitleCase, with the TitleCase name to use", async () => {
    const error = await failure(json([entity("a"), entity("b", { _class: "codeRepo" })]));
    expect(error.message).toBe('g.json:1: entities[1]._class: "codeRepo" is not a class name: classes are TitleCase; did you mean "CodeRepo"?');
    expect((await failure(json([entity("a", { _class: ["Host", "host"] })]))).message).toMatch(/entities\[0\]\._class\[1\]: "host" .*"Host"/);
  });

  it("a NUL or a lone surrogate in a key or relationship end", async () => {
    expect((await failure(json([entity("a\u0000b")]))).message).toMatch(/entities\[0\]\._key: .* contains a NUL character/);
    expect((await failure(json([entity("a\uD800")]))).message).toMatch(/entities\[0\]\._key: .* contains a lone surrogate/);
    expect((await failure(json([entity("a")], [edge("e", "a", "\uDC00x")]))).message).toMatch(/relationships\[0\]\._toEntityKey: .* lone surrogate/);
    // A real pair (an emoji) is text.
    expect((await readAll(json([entity("repo-😀")])))[0]!.entities[0]!._key).toBe("repo-😀");
  });

  it("a property longer than 1 MiB, or a record carrying more than 4 MiB", async () => {
    const big = "x".repeat(1_048_577);
    expect((await failure(json([entity("a", { readme: big })]))).message).toBe(
      "g.json:1: entities[0].readme: is 1,048,577 characters long; a property may be at most 1 MiB (1,048,576 characters)",
    );
    const mib = "y".repeat(1_000_000);
    const props = Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`part${i}`, mib]));
    expect((await failure(json([entity("a", props)]))).message).toMatch(/entities\[0\]: carries more than 4 MiB of text/);
    expect((await failure(json([entity("a", { lines: [mib, mib, mib, mib, mib] })]))).message).toMatch(/more than 4 MiB/);
    // Exactly at the limit is fine.
    expect((await readAll(json([entity("a", { readme: "z".repeat(1_048_576) })])))[0]!.entities).toHaveLength(1);
  });

  it("a YAML alias bomb is bad input, not a crash", async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    lines.push("entities: [*f]");
    const error = await failure(`${lines.join("\n")}\n`);
    expect(error.message).toMatch(/^g\.json: uses YAML aliases \(\*name\) too many times/);
  });
});
