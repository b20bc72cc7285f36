/**
 * The PostgreSQL upsert's COPY path (large batches: COPY into staging tables,
 * then set-based statements) against its jsonb path (small batches): every
 * scenario runs through both on fresh databases and must leave the same
 * graph, counts and refusals.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../../test/helpers/pg.js";
import { InputError } from "../../shared/errors.js";
import { openStore } from "../open-store.js";
import type { EntityRecord, GraphBatch, GraphStore, RelationshipRecord, StoredEntity, StoredRelationship } from "../types.js";
import { PostgresDriver } from "./driver.js";

const T0 = Date.UTC(2024, 0, 1);
const T1 = T0 + 60_000;

const DEFAULT_MIN = PostgresDriver.copyMinRecords;
const urls: string[] = [];
const stores: GraphStore[] = [];

afterEach(async () => {
  PostgresDriver.copyMinRecords = DEFAULT_MIN;
  for (const s of stores.splice(0)) await s.close();
  for (const u of urls.splice(0)) await dropTestDatabase(u);
});

async function freshStore(): Promise<GraphStore> {
  const url = await createTestDatabase();
  urls.push(url);
  const store = await openStore(url);
  stores.push(store);
  return store;
}

function host(key: string, extra: Partial<EntityRecord> = {}): EntityRecord {
  return { _key: key, _type: "aws_instance", _class: "Host", displayName: key, ...extra };
}

function edge(key: string, from: string, to: string, extra: Partial<RelationshipRecord> = {}): RelationshipRecord {
  return { _key: key, _type: "host_uses_host", _class: "uses", _fromEntityKey: from, _toEntityKey: to, ...extra };
}

async function graph(store: GraphStore) {
  const entities: StoredEntity[] = [];
  const relationships: StoredRelationship[] = [];
  for await (const page of store.exportGraph({ pageSize: 1000 })) {
    if ("entities" in page) entities.push(...page.entities);
    else relationships.push(...page.relationships);
  }
  return { entities, relationships };
}

/** Run `scenario` on a fresh database through each path; both results returned. */
async function bothPaths<T>(scenario: (store: GraphStore) => Promise<T>) {
  const out: { result: T; graph: Awaited<ReturnType<typeof graph>> }[] = [];
  for (const min of [Number.POSITIVE_INFINITY, 1]) {
    PostgresDriver.copyMinRecords = min;
    const store = await freshStore();
    const result = await scenario(store);
    out.push({ result, graph: await graph(store) });
  }
  const [jsonb, copy] = out as [(typeof out)[0], (typeof out)[0]];
  return { jsonb, copy };
}

describe("PostgreSQL upsert through COPY", () => {
  it("stores values that COPY's text format must escape exactly as given", async () => {
    const awkward = "tab\there\nnew line\r\nback\\slash \\N \\t quote\" ' é 日本 😀 \u2028";
    const { jsonb, copy } = await bothPaths(async (store) =>
      store.upsert(
        {
          entities: [
            host(`k${awkward}`, { displayName: awkward, note: awkward, nested: { [awkward]: [awkward, 1.5, true] } }),
            host("plain", { displayName: undefined }),
          ],
          relationships: [edge(`r${awkward}`, `k${awkward}`, "plain", { why: awkward })],
        },
        { now: T0, source: `src${awkward}` },
      ),
    );
    expect(copy.graph).toEqual(jsonb.graph);
    const e = copy.graph.entities[0]!;
    expect(e.key).toBe(`k${awkward}`);
    expect(e.displayName).toBe(awkward);
    expect(e.source).toBe(`src${awkward}`);
    expect(e.props).toEqual({ nested: { [awkward]: [awkward, 1.5, true] }, note: awkward });
    expect(copy.graph.entities[1]!.displayName).toBeNull();
    expect(copy.graph.relationships[0]).toMatchObject({ key: `r${awkward}`, props: { why: awkward } });
  });

  it("refuses a NUL character (\\u0000) with the same error on both paths, and writes nothing", async () => {
    const { jsonb, copy } = await bothPaths(async (store) => {
      const error = await store
        .upsert({ entities: [host("a"), host("b", { note: "x\u0000y" })], relationships: [] }, { now: T0 })
        .catch((e: unknown) => e);
      return { error, counts: await store.counts() };
    });
    expect(copy.result.error).toBeInstanceOf(InputError);
    expect((copy.result.error as Error).message).toBe("entities[1]: contains a NUL character (\\u0000), which PostgreSQL cannot store");
    expect((copy.result.error as Error).message).toBe((jsonb.result.error as Error).message);
    expect(copy.result.counts).toEqual({ entities: 0, relationships: 0 });
  });

  it("refuses an unpaired surrogate in a text column (COPY would store U+FFFD) and writes nothing; in properties jsonb refuses it", async () => {
    const { jsonb, copy } = await bothPaths(async (store) => {
      const text = await store
        .upsert({ entities: [host("a"), host("b\ud800")], relationships: [] }, { now: T0 })
        .catch((e: unknown) => e);
      const prop = await store
        .upsert({ entities: [host("c", { note: "x\udc00" })], relationships: [] }, { now: T0 })
        .catch((e: unknown) => e);
      return { text: (text as Error).message, prop: /invalid input syntax for type json/.test((prop as Error).message), counts: await store.counts() };
    });
    expect(copy.result).toEqual({
      text: "entities[1]: contains an unpaired UTF-16 surrogate (\\ud800-\\udfff), which PostgreSQL cannot store",
      prop: true,
      counts: { entities: 0, relationships: 0 },
    });
    expect(copy.result).toEqual(jsonb.result);
  });

  it("counts new, changed, unchanged and revived records in one batch, versions and classes as the other path", async () => {
    const scenario = async (store: GraphStore) => {
      await store.upsert(
        {
          entities: [host("same"), host("props"), host("cls", { _class: ["Host", "Device"] }), host("gone")],
          relationships: [edge("r-same", "same", "props"), edge("r-move", "same", "cls"), edge("r-gone", "gone", "same")],
        },
        { now: T0 },
      );
      await store.select("UPDATE entities SET deleted = TRUE WHERE key = $1 RETURNING id", ["gone"]);
      await store.select("UPDATE relationships SET deleted = TRUE WHERE key = $1 RETURNING id", ["r-gone"]);
      const counts = await store.upsert(
        {
          entities: [
            host("new"),
            host("same"),
            host("props", { size: 2 }),
            host("cls", { _class: ["Host", "Server"] }),
            host("gone"),
          ],
          relationships: [
            edge("r-same", "same", "props"),
            edge("r-move", "same", "new"),
            edge("r-gone", "gone", "same"),
            edge("r-new", "new", "cls"),
          ],
        },
        { now: T1, source: undefined },
      );
      const classes = await store.select("SELECT class, entity_id::text AS id FROM entity_classes ORDER BY class, entity_id", []);
      return { counts, classes };
    };
    const { jsonb, copy } = await bothPaths(scenario);
    expect(copy.result.counts).toEqual({
      entities: { created: 1, updated: 3, unchanged: 1 },
      relationships: { created: 1, updated: 2, unchanged: 1 },
    });
    expect(copy.result).toEqual(jsonb.result);
    expect(copy.graph).toEqual(jsonb.graph);
    const byKey = new Map(copy.graph.entities.map((e) => [e.key, e]));
    expect(byKey.get("same")).toMatchObject({ version: 1, beginOn: T0, lastSeenOn: T1 });
    expect(byKey.get("cls")).toMatchObject({ version: 2, classes: ["Host", "Server"] });
    expect(byKey.get("gone")).toMatchObject({ version: 2, deleted: false });
  });

  it("with createOnly, leaves stored records alone and counts them unchanged", async () => {
    const { jsonb, copy } = await bothPaths(async (store) => {
      await store.upsert({ entities: [host("a"), host("b")], relationships: [edge("ab", "a", "b")] }, { now: T0 });
      return store.upsert(
        { entities: [host("a", { size: 9 }), host("c")], relationships: [edge("ab", "a", "c"), edge("cb", "c", "b")] },
        { now: T1, createOnly: true },
      );
    });
    expect(copy.result).toEqual({ entities: { created: 1, updated: 0, unchanged: 1 }, relationships: { created: 1, updated: 0, unchanged: 1 } });
    expect(copy.result).toEqual(jsonb.result);
    expect(copy.graph).toEqual(jsonb.graph);
  });

  it("links relationships to ends created in the same batch, in an earlier batch, or stored, mixing both paths", async () => {
    const { jsonb, copy } = await bothPaths(async (store) => {
      await store.upsert({ entities: [host("stored")], relationships: [] }, { now: T0 });
      const many = Array.from({ length: 40 }, (_, i) => host(`h${i}`));
      async function* batches(): AsyncGenerator<GraphBatch> {
        yield { entities: many.slice(0, 20), relationships: [edge("same-batch", "h0", "h1"), edge("to-stored", "h2", "stored")] };
        yield { entities: many.slice(20), relationships: [edge("earlier-batch", "h21", "h3")] };
      }
      // Batches of 22 records through COPY, of 21 through jsonb: the second
      // names an end the first wrote through COPY.
      if (PostgresDriver.copyMinRecords === 1) PostgresDriver.copyMinRecords = 22;
      return store.upsertMany(batches(), { now: T1 });
    });
    expect(copy.result).toEqual({ entities: { created: 40, updated: 0, unchanged: 0 }, relationships: { created: 3, updated: 0, unchanged: 0 } });
    expect(copy.graph).toEqual(jsonb.graph);
    const ids = new Map(copy.graph.entities.map((e) => [e.key, e.id]));
    const ends = Object.fromEntries(copy.graph.relationships.map((r) => [r.key, [r.fromId, r.toId]]));
    expect(ends).toEqual({
      "same-batch": [ids.get("h0"), ids.get("h1")],
      "to-stored": [ids.get("h2"), ids.get("stored")],
      "earlier-batch": [ids.get("h21"), ids.get("h3")],
    });
  });

  it("writes nothing when an import fails after a batch went through COPY", async () => {
    const { jsonb, copy } = await bothPaths(async (store) => {
      async function* batches(): AsyncGenerator<GraphBatch> {
        yield { entities: [host("a"), host("b")], relationships: [edge("ab", "a", "b")] };
        yield { entities: [host("c")], relationships: [edge("cx", "c", "nowhere")] };
      }
      const error = await store.upsertMany(batches(), { now: T0 }).catch((e: unknown) => e);
      return { message: (error as Error).message, counts: await store.counts() };
    });
    expect(copy.result).toEqual({
      message: 'relationships[0]._toEntityKey: no entity has the key "nowhere"',
      counts: { entities: 0, relationships: 0 },
    });
    expect(copy.result).toEqual(jsonb.result);
  });

  it("rolls back a batch the server refuses during COPY's statements (a missing required field)", async () => {
    const { jsonb, copy } = await bothPaths(async (store) => {
      const bad = { _key: "x", _class: "Host" } as unknown as EntityRecord;
      const error = await store.upsert({ entities: [host("a"), bad], relationships: [] }, { now: T0 }).catch((e: unknown) => e);
      return { failed: error instanceof Error && /null value in column "type"/.test(error.message), counts: await store.counts() };
    });
    expect(copy.result).toEqual({ failed: true, counts: { entities: 0, relationships: 0 } });
    expect(copy.result).toEqual(jsonb.result);
  });
  it("names the same finding items on both paths: created, changed before and after, and not unchanged or create-only ones", async () => {
    const finding = (key: string, item: unknown, extra: Partial<EntityRecord> = {}): EntityRecord => ({
      _key: key,
      _type: "deferred_maintenance",
      _class: "Finding",
      maintenanceId: item,
      ...extra,
    });
    const items = async (store: GraphStore) =>
      Object.fromEntries((await store.select("SELECT item, version FROM item_versions ORDER BY item", [])).map((r) => [r.item, Number(r.version)]));
    const { jsonb, copy } = await bothPaths(async (store) => {
      const steps: Record<string, number>[] = [];
      // a fresh graph (COPY's insert-only statement), then the upsert statement
      await store.upsert({ entities: [finding("f1", "aaaaaaaa"), finding("f2", "bbbbbbbb"), host("h1")], relationships: [] }, { now: T0, source: "s" });
      steps.push(await items(store));
      await store.upsert({ entities: [finding("f1", "aaaaaaaa"), host("h1", { note: "changed" })], relationships: [] }, { now: T1, source: "s" });
      steps.push(await items(store));
      await store.upsert({ entities: [finding("f1", "cccccccc"), { ...finding("f2", "bbbbbbbb"), _type: "aws_instance", _class: "Host" }, finding("f3", 12)], relationships: [] }, { now: T1, source: "s" });
      steps.push(await items(store));
      await store.upsert({ entities: [finding("f1", "dddddddd"), finding("f4", "eeeeeeee")], relationships: [] }, { now: T1, source: "s", createOnly: true });
      steps.push(await items(store));
      return steps;
    });
    expect(copy.result).toEqual(jsonb.result);
    expect(jsonb.result).toEqual([
      { aaaaaaaa: 1, bbbbbbbb: 1 },
      { aaaaaaaa: 1, bbbbbbbb: 1 },
      { "": 1, aaaaaaaa: 2, bbbbbbbb: 2, cccccccc: 1 },
      { "": 1, aaaaaaaa: 2, bbbbbbbb: 2, cccccccc: 1, eeeeeeee: 1 },
    ]);
  });
});
