/**
 * `dm query --format json` streamed (queryJson): the pieces, joined, are the
 * bytes JSON.stringify gives for runQuery's result, for a result of several
 * pages, a first page with its cursor, the next page, an empty result and
 * the table and tree shapes, on both backends; properties that a careless
 * copy would change (unicode, escapes, integer-like keys, floats) included.
 * A failure after the first page: the output stops unfinished (not valid
 * JSON), the error is on stderr and the exit code is not 0.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryJson, runQuery, STREAM_PAGE_ROWS } from "../src/query/run.js";
import { ExternalServiceError } from "../src/shared/errors.js";
import { openStore } from "../src/store/open-store.js";
import type { EntityRecord, GraphStore, Row } from "../src/store/types.js";
import { dm, tempDir } from "./helpers/cli.js";
import { BACKENDS, createTestDatabase, dropTestDatabase } from "./helpers/pg.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;
const THINGS = 2 * STREAM_PAGE_ROWS + 345;

/** Property values JSON.stringify writes in ways a hand-made copy could get wrong. */
function tricky(i: number, backend: string): Record<string, unknown> {
  const texts = ["héllo – 日本 😀", "line\nbreak\ttab \u0001 \u001f", 'quote " backslash \\ slash /', "\u2028\u2029 </script>", ""];
  // PostgreSQL's jsonb refuses \u0000 and lone surrogates
  if (backend === "sqlite") texts.push("nul \u0000 lone \ud800 end");
  const numbers = [0.1, 1e21, 1.5e-7, -3, 2 ** 53 + 2, Number.MAX_VALUE, 123456789.125];
  return {
    n: i,
    text: texts[i % texts.length],
    num: numbers[i % numbers.length],
    due: NOW - (i % 20) * DAY,
    open: i % 3 !== 0,
    nested: { "10": i, "2": [true, null, { deep: texts[(i + 1) % texts.length] }], b: {} },
    "7": "integer-like key",
    list: i % 4 === 0 ? [] : ["a", i],
  };
}

describe.each(BACKENDS)("streamed query output on %s", (backend) => {
  let target: string;
  let store: GraphStore;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    target = backend === "sqlite" ? path.join(dir, "dm.db") : await createTestDatabase();
    store = await openStore(target);
    const entities: EntityRecord[] = [];
    for (let i = 0; i < THINGS; i++) {
      entities.push({
        _key: `thing:${i}`,
        _type: "thing",
        _class: i % 5 === 0 ? ["Thing", "Asset"] : "Thing",
        ...(i % 7 === 0 ? {} : { displayName: `thing ${i} ${tricky(i, backend).text}` }),
        ...(i % 11 === 0 ? { _source: "elsewhere" } : {}),
        ...tricky(i, backend),
      } as EntityRecord);
    }
    entities.push({ _key: "repo:a", _type: "git_repo", _class: "CodeRepo", displayName: "a", name: "a" });
    const relationships = [0, 1, 2, 3, 50, 1001].map((i) => ({
      _key: `repo:a|has|thing:${i}`,
      _type: "repo_has_thing",
      _class: "HAS",
      _fromEntityKey: "repo:a",
      _toEntityKey: `thing:${i}`,
    }));
    await store.upsert({ entities, relationships }, { now: NOW, source: "test" });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    if (backend === "postgres" && target) await dropTestDatabase(target);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const collect = async (text: string, options: Parameters<typeof runQuery>[2]) => {
    const pieces: string[] = [];
    for await (const piece of queryJson(store, text, options)) pieces.push(piece);
    return pieces;
  };

  it("joins to the bytes of the whole result serialised, page by page", async () => {
    const text = "Find Thing";
    const pieces = await collect(text, { now: NOW, all: true });
    const whole = await runQuery(store, text, { now: NOW, all: true });
    expect(whole.type === "list" && whole.data.length).toBe(THINGS);
    expect(pieces.join("")).toBe(JSON.stringify(whole));
    // SQLite reads the rows page by page: three pages of rows, then the end of the document
    if (backend === "sqlite") expect(pieces.length).toBe(4);
    const parsed = JSON.parse(pieces.join(""));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(whole)));
    expect(parsed.data[1].properties.text).toBe(tricky(1, backend).text);
  });

  it("pages, cursors, filters, an empty result and the table and tree shapes give the same bytes", async () => {
    const cases: [string, Parameters<typeof runQuery>[2]][] = [
      ["Find Thing", { now: NOW }],
      ["Find Thing", { now: NOW, pageSize: STREAM_PAGE_ROWS }],
      ["Find Thing", { now: NOW, pageSize: THINGS }],
      ["Find Thing with open = true and due < date.now - 7 days", { now: NOW, all: true }],
      ["Find Thing that HAS CodeRepo", { now: NOW, all: true }],
      ["Find Thing with n = -1", { now: NOW, all: true }],
      ["Find Thing with n = -1", { now: NOW }],
      ["Find Thing with n < {{n}}", { now: NOW, all: true, parameters: { n: 3 } }],
      ["Find Thing as t return t.n, t.text order by t.n", { now: NOW, pageSize: 10 }],
      ["Find CodeRepo that HAS Thing return tree", { now: NOW }],
    ];
    for (const [text, options] of cases) {
      const label = `${text} ${JSON.stringify(options)}`;
      const whole = await runQuery(store, text, options);
      expect((await collect(text, options)).join(""), label).toBe(JSON.stringify(whole));
      // and the next page, by the cursor the first gave
      if (whole.type !== "tree" && whole.cursor !== undefined) {
        const next = { ...options, cursor: whole.cursor };
        expect((await collect(text, next)).join(""), `${label} next`).toBe(JSON.stringify(await runQuery(store, text, next)));
      }
    }
    expect((await collect("Find Thing with n = -1", { now: NOW, all: true })).join("")).toBe(
      '{"type":"list","data":[],"filteredOn":["n"]}',
    );
  });

  it("dm query --format json prints it; --format csv and table still print every row", async () => {
    const text = "Find Thing with open = true";
    const whole = await runQuery(store, text, { now: NOW, all: true });
    const count = whole.type === "list" ? whole.data.length : -1;
    for (const flags of [["--format", "json"], ["--json"]]) {
      const r = await dm(["query", text, "--all", ...flags, "--db", target], { now: NOW });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${JSON.stringify(whole)}\n`);
    }
    const csv = await dm(["query", text, "--all", "--format", "csv", "--db", target], { now: NOW });
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.trimEnd().split("\r\n").length).toBe(count + 1);
    const table = await dm(["query", text, "--all", "--db", target], { now: NOW });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stderr).toContain(`${count} entities`);
    // a mistake in the query: nothing on stdout
    const bad = await dm(["query", "Find Thing with", "--all", "--format", "json", "--db", target], { now: NOW });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
  });

  it("a failure after the first page: the pieces so far, then the error", async () => {
    const failing = Object.create(store) as GraphStore;
    failing.selectPages = async function* (sql: string, params: readonly unknown[]): AsyncGenerator<Row[]> {
      const rows = await store.select(sql, params);
      yield rows.slice(0, 3);
      throw new ExternalServiceError(backend, "the connection was lost");
    };
    const pieces: string[] = [];
    await expect(
      (async () => {
        for await (const piece of queryJson(failing, "Find Thing", { now: NOW, all: true })) pieces.push(piece);
      })(),
    ).rejects.toThrow(/connection was lost/);
    expect(pieces.length).toBe(1);
    expect(pieces[0]).toMatch(/^\{"type":"list","data":\[\{"id":/);
    expect(() => JSON.parse(pieces.join(""))).toThrow();
  });
});

describe("dm query --format json when the database fails mid-way (SQLite)", () => {
  it("stops the output unfinished, says why on stderr, exits non-zero", async () => {
    const dir = tempDir();
    const file = path.join(dir, "dm.db");
    const store = await openStore(file);
    const entities = Array.from({ length: STREAM_PAGE_ROWS + 200 }, (_, i) => ({ _key: `thing:${i}`, _type: "thing", _class: "Thing", n: i }));
    await store.upsert({ entities, relationships: [] }, { now: NOW, source: "test" });
    await store.close();
    // a row after the first page with properties that are not JSON: SQLite fails when the query reaches it
    const raw = new Database(file);
    // (the expression indexes on properties would refuse the update)
    for (const { name } of raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql LIKE '%props%'").all() as { name: string }[]) {
      raw.exec(`DROP INDEX "${name}"`);
    }
    raw.prepare("UPDATE entities SET props = ? WHERE key = ?").run("{not json", `thing:${STREAM_PAGE_ROWS + 100}`);
    raw.close();
    const r = await dm(["query", "Find Thing with n >= 0", "--all", "--format", "json", "--db", file], { now: NOW });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/malformed JSON/);
    expect(r.stdout).toMatch(/^\{"type":"list","data":\[\{"id":/);
    expect(r.stdout.match(/"_key":"thing:/g)?.length).toBe(STREAM_PAGE_ROWS);
    expect(() => JSON.parse(r.stdout)).toThrow();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("readOnce (dm query's store)", () => {
  it("keeps SQLite's default page cache; other opens get the big one", async () => {
    const dir = tempDir();
    const file = path.join(dir, "dm.db");
    const cacheSize = async (options: { readOnce?: boolean }) => {
      const store = await openStore(file, options);
      try {
        return (await store.select("SELECT cache_size FROM pragma_cache_size", []))[0]?.cache_size;
      } finally {
        await store.close();
      }
    };
    expect(await cacheSize({})).toBe(-262144);
    // better-sqlite3's default: 16 MB (-16000 KiB)
    expect(Math.abs(Number(await cacheSize({ readOnce: true })))).toBeLessThanOrEqual(16_000);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
