/**
 * The GraphStore contract: every test runs against SQLite and PostgreSQL and
 * expects the same answers, so the two stores cannot drift apart.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../test/helpers/pg.js";
import { ConflictError, ExternalServiceError, InputError } from "../shared/errors.js";
import { defaultDatabasePath, type OpenStoreOptions, openStore } from "./open-store.js";
import { UPSERT_LOCK_KEY } from "./postgres/driver.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { normalisedBatch, normaliseEntity, normaliseRelationship } from "./records.js";
import type { EntityRecord, GraphBatch, GraphStore, RelationshipRecord, StoredEntity, StoredRelationship } from "./types.js";

interface Target {
  /** What openStore is given. */
  target: string;
  cleanup(): Promise<void>;
}

interface Backend {
  name: "sqlite" | "postgres";
  newTarget(): Promise<Target>;
}

const backends: Backend[] = [
  {
    name: "sqlite",
    async newTarget() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-store-"));
      return {
        target: path.join(dir, "dm.db"),
        cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "postgres",
    async newTarget() {
      const url = await createTestDatabase();
      return { target: url, cleanup: () => dropTestDatabase(url) };
    },
  },
];

const T0 = Date.UTC(2024, 0, 1);
const T1 = T0 + 60_000;
const T2 = T1 + 60_000;
const T3 = T2 + 60_000;

function host(key: string, extra: Partial<EntityRecord> = {}): EntityRecord {
  return { _key: key, _type: "aws_instance", _class: "Host", displayName: key, ...extra };
}

function edge(key: string, from: string, to: string, extra: Partial<RelationshipRecord> = {}): RelationshipRecord {
  return { _key: key, _type: "host_uses_host", _class: "uses", _fromEntityKey: from, _toEntityKey: to, ...extra };
}

async function collect(store: GraphStore, pageSize: number) {
  const pages: { entities?: StoredEntity[]; relationships?: StoredRelationship[] }[] = [];
  for await (const page of store.exportGraph({ pageSize })) pages.push(page);
  return pages;
}

/**
 * Another process's writer holding the database: an open write transaction
 * on its own SQLite connection, or the upsert's advisory lock on its own
 * PostgreSQL session.
 */
async function holdWriteLock(backend: Backend["name"], target: string): Promise<{ release(): Promise<void> }> {
  if (backend === "sqlite") {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(target);
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO audit_log (at, actor, action, subject) VALUES (0, 'other', 'hold', 'db')").run();
    return {
      async release() {
        db.exec("ROLLBACK");
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  await client.query("BEGIN");
  await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [UPSERT_LOCK_KEY]);
  return {
    async release() {
      await client.query("ROLLBACK");
      await client.end();
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe.each(backends)("GraphStore contract: $name", (backend) => {
  let target: Target;
  let store: GraphStore;
  const opened: GraphStore[] = [];

  async function open(where: string = target.target, options?: OpenStoreOptions): Promise<GraphStore> {
    const s = await openStore(where, options);
    opened.push(s);
    return s;
  }

  async function entityByKey(key: string): Promise<StoredEntity> {
    const p = store.dialect.newParams();
    const rows = await store.select(`SELECT ${store.dialect.idText("id")} AS id FROM entities WHERE key = ${p.add(key)}`, p.values);
    const [entity] = await store.getEntities(rows.map((r) => String(r.id)));
    if (!entity) throw new Error(`no entity ${key}`);
    return entity;
  }

  async function classRows(entityId: string): Promise<string[]> {
    const p = store.dialect.newParams();
    const rows = await store.select(
      `SELECT class FROM entity_classes WHERE entity_id = ${p.add(Number(entityId))} ORDER BY class`,
      p.values,
    );
    return rows.map((r) => String(r.class));
  }

  beforeEach(async () => {
    target = await backend.newTarget();
    store = await open();
  });

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await target.cleanup();
  });

  it("reports its kind and a location without credentials", () => {
    expect(store.kind).toBe(backend.name);
    expect(store.dialect.name).toBe(backend.name);
    if (backend.name === "postgres") {
      expect(store.location).toMatch(/^postgres:\/\/dm_test:\*\*\*@127\.0\.0\.1:\d+\/dm_test_/);
    } else {
      expect(store.location).toBe(target.target);
    }
  });

  it("runs migrations once, however often and however concurrently it is opened", async () => {
    const again = await open();
    expect(await again.counts()).toEqual({ entities: 0, relationships: 0 });

    const fresh = await backend.newTarget();
    try {
      const [a, b] = await Promise.all([open(fresh.target), open(fresh.target)]);
      await a.upsert({ entities: [host("h1")], relationships: [] }, { now: T0 });
      expect(await b.counts()).toEqual({ entities: 1, relationships: 0 });
      const rows = await b.select("SELECT version FROM schema_migrations ORDER BY version", []);
      expect(rows.map((r) => Number(r.version))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      await a.close();
      await b.close();
    } finally {
      await fresh.cleanup();
    }
  });

  it("counts created, updated and unchanged, and versions only real changes", async () => {
    const first = await store.upsert(
      { entities: [host("h1", { ip: "10.0.0.1" }), host("h2"), host("h3")], relationships: [] },
      { now: T0, source: "aws", syncRun: 1 },
    );
    expect(first.entities).toEqual({ created: 3, updated: 0, unchanged: 0 });

    const same = await store.upsert(
      { entities: [host("h1", { ip: "10.0.0.1" }), host("h2"), host("h3")], relationships: [] },
      { now: T1, source: "aws", syncRun: 2 },
    );
    expect(same.entities).toEqual({ created: 0, updated: 0, unchanged: 3 });
    const touched = await entityByKey("h1");
    expect(touched).toMatchObject({
      createdOn: T0,
      beginOn: T0,
      lastSeenOn: T1,
      version: 1,
      syncRun: 2,
      source: "aws",
      deleted: false,
      props: { ip: "10.0.0.1" },
    });

    const changed = await store.upsert(
      { entities: [host("h1", { ip: "10.0.0.2" }), host("h2")], relationships: [] },
      { now: T2, source: "aws", syncRun: 3 },
    );
    expect(changed.entities).toEqual({ created: 0, updated: 1, unchanged: 1 });
    expect(await entityByKey("h1")).toMatchObject({
      createdOn: T0,
      beginOn: T2,
      lastSeenOn: T2,
      version: 2,
      syncRun: 3,
      props: { ip: "10.0.0.2" },
    });
    expect(await entityByKey("h2")).toMatchObject({ beginOn: T0, lastSeenOn: T2, version: 1 });
    // Not in the batch: untouched.
    expect(await entityByKey("h3")).toMatchObject({ lastSeenOn: T1, syncRun: 2 });
    expect(await store.counts()).toEqual({ entities: 3, relationships: 0 });
  });

  it("treats a change of source or type as a change", async () => {
    await store.upsert({ entities: [host("h1")], relationships: [] }, { now: T0, source: "aws" });
    const bySource = await store.upsert({ entities: [host("h1")], relationships: [] }, { now: T1, source: "import" });
    expect(bySource.entities.updated).toBe(1);
    const byRecordSource = await store.upsert(
      { entities: [host("h1", { _source: "import" })], relationships: [] },
      { now: T1, source: "aws" },
    );
    expect(byRecordSource.entities.unchanged).toBe(1);
    const byType = await store.upsert(
      { entities: [host("h1", { _type: "gcp_instance" })], relationships: [] },
      { now: T2, source: "import" },
    );
    expect(byType.entities.updated).toBe(1);
    expect(await entityByKey("h1")).toMatchObject({ type: "gcp_instance", source: "import", version: 3 });
  });

  it("keeps classes sorted and in step with entity_classes", async () => {
    await store.upsert({ entities: [host("h1", { _class: ["Host", "Device", "Host"] })], relationships: [] }, { now: T0 });
    const before = await entityByKey("h1");
    expect(before.classes).toEqual(["Device", "Host"]);
    expect(await classRows(before.id)).toEqual(["Device", "Host"]);

    const reordered = await store.upsert(
      { entities: [host("h1", { _class: ["Device", "Host"] })], relationships: [] },
      { now: T1 },
    );
    expect(reordered.entities.unchanged).toBe(1);

    const changed = await store.upsert({ entities: [host("h1", { _class: ["Host", "Server"] })], relationships: [] }, { now: T2 });
    expect(changed.entities.updated).toBe(1);
    const after = await entityByKey("h1");
    expect(after).toMatchObject({ classes: ["Host", "Server"], version: 2, beginOn: T2 });
    expect(await classRows(after.id)).toEqual(["Host", "Server"]);
  });

  it("stores displayName apart from props and versions its changes", async () => {
    await store.upsert({ entities: [host("h1", { displayName: "one", name: "h1" })], relationships: [] }, { now: T0 });
    const stored = await entityByKey("h1");
    expect(stored.displayName).toBe("one");
    expect(stored.props).toEqual({ name: "h1" });
    const renamed = await store.upsert({ entities: [host("h1", { displayName: "uno", name: "h1" })], relationships: [] }, { now: T1 });
    expect(renamed.entities.updated).toBe(1);
    const dropped = await store.upsert(
      { entities: [{ _key: "h1", _type: "aws_instance", _class: "Host", name: "h1" }], relationships: [] },
      { now: T2 },
    );
    expect(dropped.entities.updated).toBe(1);
    expect(await entityByKey("h1")).toMatchObject({ displayName: null, version: 3 });
  });

  it("drops null properties and metadata, so null and missing are the same", async () => {
    await store.upsert(
      { entities: [host("h1", { a: null, b: 1, nested: { x: [1, "two", true] }, _internal: "x" })], relationships: [] },
      { now: T0 },
    );
    expect((await entityByKey("h1")).props).toEqual({ b: 1, nested: { x: [1, "two", true] } });
    const again = await store.upsert({ entities: [host("h1", { b: 1, nested: { x: [1, "two", true] } })], relationships: [] }, { now: T1 });
    expect(again.entities).toEqual({ created: 0, updated: 0, unchanged: 1 });
  });

  it("links relationships to ends in the batch or already stored", async () => {
    await store.upsert({ entities: [host("old")], relationships: [] }, { now: T0 });
    const result = await store.upsert(
      {
        entities: [host("a"), host("b")],
        relationships: [edge("a-b", "a", "b", { weight: 1 }), edge("b-old", "b", "old")],
      },
      { now: T1, source: "aws", syncRun: 7 },
    );
    expect(result).toEqual({
      entities: { created: 2, updated: 0, unchanged: 0 },
      relationships: { created: 2, updated: 0, unchanged: 0 },
    });
    const [a, b, old] = [await entityByKey("a"), await entityByKey("b"), await entityByKey("old")];
    const ids = (await store.select("SELECT id FROM relationships ORDER BY id", [])).map((r) => String(r.id));
    const rels = await store.getRelationships(ids);
    expect(rels).toEqual([
      expect.objectContaining({
        key: "a-b",
        class: "USES",
        type: "host_uses_host",
        fromId: a.id,
        toId: b.id,
        fromKey: "a",
        toKey: "b",
        props: { weight: 1 },
        source: "aws",
        syncRun: 7,
        createdOn: T1,
        beginOn: T1,
        lastSeenOn: T1,
        version: 1,
        deleted: false,
      }),
      expect.objectContaining({ key: "b-old", fromId: b.id, toId: old.id, fromKey: "b", toKey: "old" }),
    ]);

    const unchanged = await store.upsert(
      { entities: [], relationships: [edge("a-b", "a", "b", { weight: 1 }), edge("b-old", "b", "old")] },
      { now: T2, source: "aws" },
    );
    expect(unchanged.relationships).toEqual({ created: 0, updated: 0, unchanged: 2 });
    const moved = await store.upsert(
      { entities: [], relationships: [edge("a-b", "a", "old", { weight: 1 })] },
      { now: T2, source: "aws" },
    );
    expect(moved.relationships).toEqual({ created: 0, updated: 1, unchanged: 0 });
    const [after] = await store.getRelationships([rels[0]!.id]);
    expect(after).toMatchObject({ toKey: "old", toId: old.id, version: 2, createdOn: T1, beginOn: T2 });
    expect(await store.counts()).toEqual({ entities: 3, relationships: 2 });
  });

  it("rejects a relationship to an unknown entity and writes nothing", async () => {
    await store.upsert({ entities: [host("a")], relationships: [] }, { now: T0 });
    const error = await rejection(
      store.upsert(
        {
          entities: [host("a", { changed: true }), host("b")],
          relationships: [edge("a-b", "a", "b"), edge("b-x", "b", "ghost")],
        },
        { now: T1 },
      ),
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('relationships[1]._toEntityKey: no entity has the key "ghost"');
    const fromError = await rejection(
      store.upsert({ entities: [], relationships: [edge("x-a", "nobody", "a")] }, { now: T1 }),
    );
    expect((fromError as InputError).message).toBe('relationships[0]._fromEntityKey: no entity has the key "nobody"');
    expect(await store.counts()).toEqual({ entities: 1, relationships: 0 });
    expect(await entityByKey("a")).toMatchObject({ version: 1, lastSeenOn: T0, props: {} });
  });

  it("rejects a key that appears twice in one batch and writes nothing", async () => {
    const error = await rejection(
      store.upsert({ entities: [host("a"), host("b"), host("a")], relationships: [] }, { now: T0 }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('entities[2]._key: "a" appears twice in this batch');
    const relError = await rejection(
      store.upsert({ entities: [host("a"), host("b")], relationships: [edge("r", "a", "b"), edge("r", "b", "a")] }, { now: T0 }),
    );
    expect((relError as InputError).message).toBe('relationships[1]._key: "r" appears twice in this batch');
    expect(await store.counts()).toEqual({ entities: 0, relationships: 0 });
  });

  it("upserts a stream of batches in one transaction, with indexes counted across the stream", async () => {
    async function* stream() {
      yield { entities: [host("a"), host("b")], relationships: [] };
      yield { entities: [host("c")], relationships: [edge("a-c", "a", "c")], offset: { entities: 2, relationships: 0 } };
    }
    const counts = await store.upsertMany(stream(), { now: T0 });
    expect(counts).toEqual({
      entities: { created: 3, updated: 0, unchanged: 0 },
      relationships: { created: 1, updated: 0, unchanged: 0 },
    });
    // A bad record in a later batch undoes the earlier batches too.
    async function* broken() {
      yield { entities: [host("d"), host("e")], relationships: [edge("d-e", "d", "e")] };
      yield {
        entities: [host("f")],
        relationships: [edge("f-x", "f", "ghost")],
        offset: { entities: 2, relationships: 1 },
      };
    }
    const error = await rejection(store.upsertMany(broken(), { now: T1 }));
    expect((error as InputError).message).toBe('relationships[1]._toEntityKey: no entity has the key "ghost"');
    async function* twice() {
      yield { entities: [host("g")], relationships: [] };
      yield { entities: [host("g")], relationships: [], offset: { entities: 1, relationships: 0 } };
    }
    const dup = await rejection(store.upsertMany(twice(), { now: T1 }));
    expect((dup as InputError).message).toBe('entities[1]._key: "g" appears twice in this batch');
    expect(await store.counts()).toEqual({ entities: 3, relationships: 1 });
  });

  it("writes normalised batches (what dm import's worker thread sends) as it writes the records", async () => {
    const norm = (b: GraphBatch) =>
      normalisedBatch(
        b.entities.map((e) => normaliseEntity(e, null)),
        b.relationships.map((r) => normaliseRelationship(r, null)),
        b.offset,
      );
    await store.upsert(
      { entities: [host("old1"), host("old2", { _source: "mine" })], relationships: [edge("old-e", "old1", "old2")] },
      { now: T0, source: "seed" },
    );
    // Existing and new keys, more records than a chunk, an edge to an entity
    // of the same batch and one to an entity of an earlier batch.
    const many = Array.from({ length: 6000 }, (_, i) => host(`n${i}`, { rank: i, ...(i === 7 ? { _source: "own" } : {}) }));
    const stream = async function* () {
      yield norm({
        entities: [host("old1", { _source: "seed" }), ...many.slice(0, 5500)],
        relationships: [edge("old-e", "old1", "old2", { _source: "seed" })],
      });
      yield norm({
        entities: [host("old2", { size: 2 }), ...many.slice(5500)],
        relationships: [edge("n0-n5999", "n0", "n5999", { weight: 3 }), edge("old1-n5", "old1", "n5")],
        offset: { entities: 5501, relationships: 1 },
      });
    };
    expect(await store.upsertMany(stream(), { now: T1, source: "import" })).toEqual({
      entities: { created: 6000, updated: 1, unchanged: 1 },
      relationships: { created: 2, updated: 0, unchanged: 1 },
    });
    const pages = await collect(store, 10_000);
    const entities = pages.flatMap((p) => p.entities ?? []);
    expect(entities.map((e) => e.key)).toEqual(["old1", "old2", ...many.map((e) => e._key)]);
    const byKey = new Map(entities.map((e) => [e.key, e]));
    expect(byKey.get("old1")).toMatchObject({ version: 1, source: "seed", lastSeenOn: T1 });
    expect(byKey.get("old2")).toMatchObject({ version: 2, source: "import", props: { size: 2 }, beginOn: T1 });
    expect(byKey.get("n7")).toMatchObject({ source: "own", classes: ["Host"], displayName: "n7", props: { rank: 7 } });
    expect(byKey.get("n8")).toMatchObject({ source: "import", createdOn: T1, version: 1 });
    const relationships = pages.flatMap((p) => p.relationships ?? []);
    expect(relationships.map((r) => [r.key, r.fromKey, r.toKey, r.source])).toEqual([
      ["old-e", "old1", "old2", "seed"],
      ["n0-n5999", "n0", "n5999", "import"],
      ["old1-n5", "old1", "n5", "import"],
    ]);
    expect(relationships[1]!.props).toEqual({ weight: 3 });
    // The same file again: all unchanged.
    expect(await store.upsertMany(stream(), { now: T2, source: "import" })).toEqual({
      entities: { created: 0, updated: 0, unchanged: 6002 },
      relationships: { created: 0, updated: 0, unchanged: 3 },
    });

    // Refused, naming the record, and nothing written.
    const refused = async (batches: GraphBatch[]) => {
      const error = await rejection(store.upsertMany(batches.map(norm), { now: T2 }));
      expect(error).toBeInstanceOf(InputError);
      return (error as InputError).message;
    };
    const second = (b: Omit<GraphBatch, "offset">, entities: number, relationships: number): GraphBatch => ({
      ...b,
      offset: { entities, relationships },
    });
    expect(await refused([{ entities: [host("d1")], relationships: [] }, second({ entities: [host("d1")], relationships: [] }, 1, 0)])).toBe(
      'entities[1]._key: "d1" appears twice in this batch',
    );
    expect(
      await refused([
        { entities: [host("x")], relationships: [edge("x-x", "x", "x")] },
        second({ entities: [], relationships: [edge("x-x", "x", "x")] }, 1, 1),
      ]),
    ).toBe('relationships[1]._key: "x-x" appears twice in this batch');
    // Given twice with an unknown end the second time: still "twice" (checked first).
    expect(
      await refused([
        { entities: [host("x")], relationships: [edge("x-x", "x", "x")] },
        second({ entities: [], relationships: [edge("x-x", "x", "ghost")] }, 1, 1),
      ]),
    ).toBe('relationships[1]._key: "x-x" appears twice in this batch');
    const old = edge("old-e", "old1", "old2", { _source: "seed" });
    expect(await refused([{ entities: [], relationships: [old, old] }])).toBe(
      'relationships[1]._key: "old-e" appears twice in this batch',
    );
    expect(
      await refused([
        { entities: [host("y")], relationships: [edge("y-y", "y", "y")] },
        second({ entities: [], relationships: [edge("y-ghost", "y", "ghost")] }, 1, 1),
      ]),
    ).toBe('relationships[1]._toEntityKey: no entity has the key "ghost"');
    expect(await store.counts()).toEqual({ entities: 6002, relationships: 3 });
  });

  it("records sync runs and, after one, marks what its instance did not see as deleted", async () => {
    const first = await store.startSyncRun("git", "git:/src", T0);
    await store.upsert(
      { entities: [host("a"), host("b")], relationships: [edge("a-b", "a", "b")] },
      { now: T0, source: "git:/src", syncRun: first },
    );
    await store.upsert({ entities: [host("other")], relationships: [] }, { now: T0, source: "hosts:inventory" });
    await store.finishSyncRun(first, { status: "succeeded", now: T0 + 1, counts: { entities: 2 } });
    const second = await store.startSyncRun("git", "git:/src", T1);
    expect(second).toBeGreaterThan(first);
    await store.upsert({ entities: [host("a")], relationships: [] }, { now: T1, source: "git:/src", syncRun: second });
    expect(await store.markUnseenDeleted("git:/src", second, T1)).toEqual({ entities: 1, relationships: 1 });
    expect(await store.counts()).toEqual({ entities: 2, relationships: 0 });
    expect(await entityByKey("b")).toMatchObject({ deleted: true, beginOn: T1, version: 2 });
    expect(await entityByKey("other")).toMatchObject({ deleted: false });
    // marking again finds nothing more
    expect(await store.markUnseenDeleted("git:/src", second, T1)).toEqual({ entities: 0, relationships: 0 });
    await store.finishSyncRun(second, { status: "partial", now: T1 + 5, error: "1 warning" });
    const runs = await store.latestSyncRuns();
    expect(runs).toEqual([
      {
        id: second,
        integration: "git",
        instance: "git:/src",
        startedOn: T1,
        finishedOn: T1 + 5,
        status: "partial",
        counts: null,
        error: "1 warning",
      },
    ]);
    // seen again: revived as a new version
    const third = await store.startSyncRun("git", "git:/src", T1 + 10);
    await store.upsert({ entities: [host("a"), host("b")], relationships: [] }, { now: T1 + 10, source: "git:/src", syncRun: third });
    expect(await entityByKey("b")).toMatchObject({ deleted: false, version: 3 });
  });

  it("marks stored records seen by key, so a run that did not rewrite them keeps them", async () => {
    const first = await store.startSyncRun("git", "git:/src", T0);
    await store.upsert(
      { entities: [host("a"), host("b"), host("c")], relationships: [edge("a-b", "a", "b"), edge("a-c", "a", "c")] },
      { now: T0, source: "git:/src", syncRun: first },
    );
    await store.upsert({ entities: [host("other")], relationships: [] }, { now: T0, source: "hosts:inventory" });
    const before = await entityByKey("b");
    const second = await store.startSyncRun("git", "git:/src", T1);
    await store.upsert({ entities: [host("a")], relationships: [] }, { now: T1, source: "git:/src", syncRun: second });
    // "other" belongs to another source and "ghost" is not stored: neither is counted
    expect(
      await store.markSeen("git:/src", second, { entities: ["b", "other", "ghost"], relationships: ["a-b"] }, T1),
    ).toEqual({ entities: 1, relationships: 1 });
    expect(await store.markSeen("git:/src", second, {}, T1)).toEqual({ entities: 0, relationships: 0 });
    // seen, not written: same version, same props, stamped with the run
    expect(await entityByKey("b")).toMatchObject({ version: before.version, beginOn: T0, lastSeenOn: T1, syncRun: second, deleted: false });
    expect(await store.markUnseenDeleted("git:/src", second, T1)).toEqual({ entities: 1, relationships: 1 });
    expect(await entityByKey("c")).toMatchObject({ deleted: true });
    expect(await entityByKey("b")).toMatchObject({ deleted: false });
    expect(await entityByKey("other")).toMatchObject({ deleted: false, syncRun: null });
    // a deleted record is not revived by being marked seen
    const third = await store.startSyncRun("git", "git:/src", T2);
    expect(await store.markSeen("git:/src", third, { entities: ["c"], relationships: ["a-c"] }, T2)).toEqual({
      entities: 0,
      relationships: 0,
    });
    // many keys: bound as one parameter per chunk
    const many = Array.from({ length: 25_000 }, (_, i) => `k${i}`);
    expect(await store.markSeen("git:/src", third, { entities: [...many, "a", "b"] }, T2)).toEqual({ entities: 2, relationships: 0 });
    // every record of the source not seen yet was vouched for (the one-pass stamping): nothing else is touched
    expect(await entityByKey("a")).toMatchObject({ lastSeenOn: T2, syncRun: third, deleted: false });
    expect(await entityByKey("c")).toMatchObject({ deleted: true, syncRun: first });
    expect(await entityByKey("other")).toMatchObject({ deleted: false, syncRun: null, lastSeenOn: T0 });
    // vouched again in the same run: still counted, not stamped twice
    expect(await store.markSeen("git:/src", third, { entities: ["a"], relationships: ["a-b"] }, T2 + 1)).toEqual({
      entities: 1,
      relationships: 1,
    });
    expect(await entityByKey("a")).toMatchObject({ lastSeenOn: T2, syncRun: third });
    // keys that hold separators and JSON/array syntax; "a" (not vouched) is left as it was: stamped by key
    const odd = 'odd\u001fkey,with|separators "quoted" {braces} [1]';
    await store.upsert({ entities: [host(odd)], relationships: [] }, { now: T2, source: "git:/src", syncRun: third });
    const fourth = await store.startSyncRun("git", "git:/src", T3);
    expect(await store.markSeen("git:/src", fourth, { entities: [odd, "b", "ghost"] }, T3)).toEqual({ entities: 2, relationships: 0 });
    expect(await entityByKey(odd)).toMatchObject({ lastSeenOn: T3, syncRun: fourth });
    expect(await entityByKey("a")).toMatchObject({ lastSeenOn: T2, syncRun: third });
  });

  it("revives a deleted entity as a new version", async () => {
    await store.upsert({ entities: [host("a"), host("b")], relationships: [] }, { now: T0 });
    const p = store.dialect.newParams();
    // The interface has no delete; ingest marks deletions with SQL like this.
    await store.select(
      `UPDATE entities SET deleted = ${store.dialect.bool(true)} WHERE key = ${p.add("a")} RETURNING id`,
      p.values,
    );
    expect(await store.counts()).toEqual({ entities: 1, relationships: 0 });
    const revived = await store.upsert({ entities: [host("a")], relationships: [] }, { now: T1 });
    expect(revived.entities).toEqual({ created: 0, updated: 1, unchanged: 0 });
    expect(await entityByKey("a")).toMatchObject({ deleted: false, version: 2, createdOn: T0, beginOn: T1 });
    expect(await store.counts()).toEqual({ entities: 2, relationships: 0 });
  });

  it("gets entities and relationships by id, ignoring unknown ids", async () => {
    await store.upsert(
      { entities: [host("a"), host("b"), host("c")], relationships: [edge("a-b", "a", "b"), edge("b-c", "b", "c")] },
      { now: T0 },
    );
    const [a, c] = [await entityByKey("a"), await entityByKey("c")];
    const entities = await store.getEntities([c.id, a.id, "999999", "not-an-id"]);
    expect(entities.map((e) => e.key)).toEqual(["a", "c"]);
    expect(entities[0]).toEqual({
      id: a.id,
      key: "a",
      type: "aws_instance",
      classes: ["Host"],
      displayName: "a",
      source: null,
      props: {},
      createdOn: T0,
      beginOn: T0,
      lastSeenOn: T0,
      version: 1,
      deleted: false,
      syncRun: null,
    });
    expect(await store.getEntities([])).toEqual([]);
    const relIds = (await store.select("SELECT id FROM relationships ORDER BY id DESC", [])).map((r) => String(r.id));
    const rels = await store.getRelationships([...relIds, "0"]);
    expect(rels.map((r) => [r.key, r.fromKey, r.toKey])).toEqual([
      ["a-b", "a", "b"],
      ["b-c", "b", "c"],
    ]);
    expect(await store.getRelationships([])).toEqual([]);
  });

  it("takes ids as decimal strings only: 1e3, -1, ' 1', 0x1 and 1.0 name nothing", async () => {
    const many = Array.from({ length: 1000 }, (_, i) => host(`h${i}`));
    await store.upsert({ entities: many, relationships: [edge("h0-h1", "h0", "h1")] }, { now: T0 });
    const last = await entityByKey("h999");
    expect(last.id).toBe("1000"); // ids count from 1 on both backends
    for (const odd of ["1e3", "-1", " 1000", "1000 ", "0x3e8", "1000.0", "+1000", "99999999999999999999"]) {
      expect(await store.getEntities([odd]), odd).toEqual([]);
      expect(await store.getRelationships([odd]), odd).toEqual([]);
    }
    expect((await store.getEntities(["1000"])).map((e) => e.key)).toEqual(["h999"]);
  });

  it("gives up on a write held by another writer with exit 3 and what to do, and writes when retried", async () => {
    const waiting = await open(target.target, { writeWaitMs: 300 });
    const holder = await holdWriteLock(backend.name, target.target);
    try {
      const started = Date.now();
      const error = await rejection(waiting.upsert({ entities: [host("late")], relationships: [] }, { now: T0 }));
      expect(error).toBeInstanceOf(ExternalServiceError);
      expect((error as ExternalServiceError).exitCode).toBe(3);
      expect((error as Error).message).toMatch(/is busy: another dm process is writing to it \(waited 0\.3 s\)/);
      expect((error as ExternalServiceError).details.join(" ")).toMatch(/Nothing was written\. Try again/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await holder.release();
    }
    // The same call once the other writer is done.
    const result = await waiting.upsert({ entities: [host("late")], relationships: [] }, { now: T0 });
    expect(result.entities.created).toBe(1);
    expect(await waiting.counts()).toEqual({ entities: 1, relationships: 0 });
  });

  it("writes an upsert's audit entries in its own transaction: both or neither", async () => {
    const audit = (r: { entities: { created: number } }) => ({ at: T0, actor: "t", action: "import", subject: "f", details: { created: r.entities.created } });
    await store.upsert({ entities: [host("a"), host("b")], relationships: [] }, { now: T0, audit });
    expect((await store.auditLog()).map((e) => [e.action, e.details])).toEqual([["import", { created: 2 }]]);
    // A bad record rolls back the records AND the audit entry.
    const bad = await rejection(
      store.upsert({ entities: [host("c")], relationships: [edge("c-x", "c", "nowhere")] }, { now: T1, audit }),
    );
    expect(bad).toBeInstanceOf(InputError);
    expect(await store.auditLog()).toHaveLength(1);
    expect(await store.counts()).toEqual({ entities: 2, relationships: 0 });
    // A failing audit rolls back the records.
    const failing = await rejection(
      store.upsert({ entities: [host("d")], relationships: [] }, { now: T1, audit: () => ({ at: T1, actor: null as unknown as string, action: "x", subject: "y" }) }),
    );
    expect(failing).toBeInstanceOf(Error);
    expect(await store.counts()).toEqual({ entities: 2, relationships: 0 });
    // Several entries, or none.
    await store.upsert({ entities: [host("e")], relationships: [] }, {
      now: T2,
      audit: () => [
        { at: T2, actor: "t", action: "one", subject: "s" },
        { at: T2, actor: "t", action: "two", subject: "s" },
      ],
    });
    await store.upsert({ entities: [host("f")], relationships: [] }, { now: T2, audit: () => undefined });
    expect((await store.auditLog()).map((e) => e.action)).toEqual(["two", "one", "import"]);
  });

  it("with createOnly, leaves records that exist exactly as they are and counts only what it created", async () => {
    await store.upsert({ entities: [host("a", { size: 1 })], relationships: [] }, { now: T0 });
    const result = await store.upsert(
      { entities: [host("a", { size: 2 }), host("b")], relationships: [edge("a-b", "a", "b")] },
      { now: T1, createOnly: true },
    );
    expect(result).toEqual({
      entities: { created: 1, updated: 0, unchanged: 1 },
      relationships: { created: 1, updated: 0, unchanged: 0 },
    });
    expect(await entityByKey("a")).toMatchObject({ props: { size: 1 }, version: 1, lastSeenOn: T0 });
    const again = await store.upsert(
      { entities: [host("b", { size: 9 })], relationships: [edge("a-b", "a", "b", { weight: 3 })] },
      { now: T2, createOnly: true },
    );
    expect(again).toEqual({
      entities: { created: 0, updated: 0, unchanged: 1 },
      relationships: { created: 0, updated: 0, unchanged: 1 },
    });
    expect(await entityByKey("b")).toMatchObject({ props: {}, version: 1, lastSeenOn: T1 });
  });

  it("exports everything a page at a time, in id order", async () => {
    const keys = ["e1", "e2", "e3", "e4", "e5"];
    await store.upsert(
      {
        entities: keys.map((k) => host(k)),
        relationships: [edge("r1", "e1", "e2"), edge("r2", "e2", "e3"), edge("r3", "e3", "e4")],
      },
      { now: T0 },
    );
    const pages = await collect(store, 2);
    expect(pages.map((p) => (p.entities ? `e${p.entities.length}` : `r${p.relationships!.length}`))).toEqual([
      "e2",
      "e2",
      "e1",
      "r2",
      "r1",
    ]);
    const entities = pages.flatMap((p) => p.entities ?? []);
    expect(entities.map((e) => e.key)).toEqual(keys);
    const ids = entities.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : 1)));
    expect(pages.flatMap((p) => p.relationships ?? []).map((r) => r.key)).toEqual(["r1", "r2", "r3"]);
  });

  it("records and lists the audit log, newest first", async () => {
    await store.audit({ at: T0, actor: "alice", action: "maintenance.open", subject: "dm-1", details: { assets: 3 } });
    await store.audit({ at: T1, actor: "bob", action: "maintenance.close", subject: "dm-1" });
    const log = await store.auditLog();
    expect(log).toEqual([
      { id: expect.any(String), at: T1, actor: "bob", action: "maintenance.close", subject: "dm-1" },
      {
        id: expect.any(String),
        at: T0,
        actor: "alice",
        action: "maintenance.open",
        subject: "dm-1",
        details: { assets: 3 },
      },
    ]);
    expect(await store.auditLog({ limit: 1 })).toHaveLength(1);
  });

  it("stores API tokens by hash: create, find, touch, revoke, list; names are unique", async () => {
    const hash = "a".repeat(64);
    const created = await store.createApiToken({ name: "ci", role: "reader", hash, createdOn: T0, expiresOn: T2 });
    expect(created).toEqual({
      id: expect.any(String),
      name: "ci",
      role: "reader",
      createdOn: T0,
      lastUsedOn: null,
      expiresOn: T2,
      revokedOn: null,
      owner: null,
    });
    expect(created).not.toHaveProperty("hash");
    // a token may stand for a person or team (dm token create --owner)
    const owned = await store.createApiToken({ name: "lead", role: "reader", hash: "e".repeat(64), createdOn: T0, expiresOn: null, owner: "payments" });
    expect(owned.owner).toBe("payments");
    expect((await store.findApiTokenByHash("e".repeat(64)))?.owner).toBe("payments");
    await store.createApiToken({ name: "admin", role: "admin", hash: "b".repeat(64), createdOn: T1, expiresOn: null });
    expect(await rejection(store.createApiToken({ name: "ci", role: "admin", hash: "c".repeat(64), createdOn: T1, expiresOn: null }))).toBeInstanceOf(
      ConflictError,
    );

    expect(await store.findApiTokenByHash(hash)).toEqual({ ...created, hash });
    expect(await store.findApiTokenByHash("d".repeat(64))).toBeUndefined();

    await store.touchApiToken(created.id, T1);
    const revoked = await store.revokeApiToken("ci", T2);
    expect(revoked).toEqual({ ...created, lastUsedOn: T1, revokedOn: T2 });
    // A second revoke keeps the first date.
    expect((await store.revokeApiToken("ci", T2 + 1000))?.revokedOn).toBe(T2);
    expect(await store.revokeApiToken("nobody", T2)).toBeUndefined();

    const listed = await store.listApiTokens();
    expect(listed.map((t) => [t.name, t.role, t.revokedOn])).toEqual([
      ["admin", "admin", null],
      ["ci", "reader", T2],
      ["lead", "reader", null],
    ]);
    for (const t of listed) expect(Object.keys(t)).not.toContain("hash");
    // A revoked name stays taken.
    expect(await rejection(store.createApiToken({ name: "ci", role: "reader", hash: "e".repeat(64), createdOn: T2, expiresOn: null }))).toBeInstanceOf(
      ConflictError,
    );
  });

  it("records job runs: one claim per cron slot, finished with status and details, latest per job, pruned by age", async () => {
    const first = await store.startJobRun({ job: "reconcile", scheduledFor: T0, startedOn: T0 + 5, runner: "a:1" });
    expect(first).toEqual(expect.any(Number));
    // the same slot, claimed again (another replica): refused
    expect(await store.startJobRun({ job: "reconcile", scheduledFor: T0, startedOn: T0 + 9, runner: "b:2" })).toBeUndefined();
    const other = await store.startJobRun({ job: "sync:git", scheduledFor: T0, startedOn: T0 + 6, runner: "b:2" });
    expect(other).toEqual(expect.any(Number));
    await store.finishJobRun(first!, { status: "failed", now: T0 + 1000, error: "boom" });
    const second = await store.startJobRun({ job: "reconcile", scheduledFor: T1, startedOn: T1, runner: "a:1" });
    await store.finishJobRun(second!, { status: "succeeded", now: T1 + 250, details: { opened: 2 } });

    expect(await store.latestJobRuns()).toEqual([
      {
        id: second,
        job: "reconcile",
        scheduledFor: T1,
        startedOn: T1,
        finishedOn: T1 + 250,
        status: "succeeded",
        runner: "a:1",
        error: null,
        details: { opened: 2 },
      },
      {
        id: other,
        job: "sync:git",
        scheduledFor: T0,
        startedOn: T0 + 6,
        finishedOn: null,
        status: "running",
        runner: "b:2",
        error: null,
        details: null,
      },
    ]);
    expect(await store.pruneJobRuns(T1)).toBe(2);
    expect((await store.latestJobRuns()).map((r) => r.id)).toEqual([second]);
  });

  it("answers a statement run again and again with new parameters, and hundreds of distinct statements (PostgreSQL prepares them, bounded)", async () => {
    await store.upsert({ entities: [host("h1", { ip: "10.0.0.1" }), host("h2", { ip: "10.0.0.2" })], relationships: [] }, { now: T0 });
    for (const key of ["h1", "h2", "h1", "nope", "h2", "h1", "h2"]) {
      const p = store.dialect.newParams();
      const rows = await store.select(`SELECT key FROM entities WHERE key = ${p.add(key)}`, p.values);
      expect(rows.map((r) => r.key)).toEqual(key === "nope" ? [] : [key]);
    }
    for (let k = 0; k < 250; k++) {
      const p = store.dialect.newParams();
      const rows = await store.select(`SELECT count(*) + ${k} AS n FROM entities WHERE key <> ${p.add(`x${k}`)}`, p.values);
      expect(Number(rows[0]!.n)).toBe(2 + k);
    }
  });

  it("records drills with their steps, newest first, and sums them up for /metrics", async () => {
    expect(await store.drillSummary()).toEqual({ runs: 0, failures: 0, lastSuccess: null, latest: null });
    const step = { step: "deliver", ok: true, ms: 12, detail: "accepted (HTTP 200)", rule: "overdue", destination: "slack #sec" };
    const audit = (id: string) => ({ at: T0, actor: "tester", action: "drill", subject: id, details: {} });
    await store.recordDrill({ id: "aaaa0001", startedOn: T0, ms: 40, ok: true, failedStep: null, rules: ["overdue"], steps: [step], actor: "tester" }, { audit: audit("aaaa0001") });
    await store.recordDrill(
      { id: "aaaa0002", startedOn: T0 + 1000, ms: 55, ok: false, failedStep: "deliver", rules: ["overdue"], steps: [{ ...step, ok: false }], actor: "tester" },
      { audit: audit("aaaa0002") },
    );
    const runs = await store.drillRuns();
    expect(runs.map((r) => [r.id, r.ok, r.failedStep])).toEqual([
      ["aaaa0002", false, "deliver"],
      ["aaaa0001", true, null],
    ]);
    expect(runs[1]!.steps).toEqual([step]);
    expect(await store.drillSummary()).toEqual({ runs: 2, failures: 1, lastSuccess: T0, latest: { startedOn: T0 + 1000, ms: 55, ok: false } });
    expect((await store.auditLog({ limit: 2 })).map((e) => e.action)).toEqual(["drill", "drill"]);
  });

  it("takes a named lock once until it is released", async () => {
    const release = await store.tryLock("job:reconcile");
    expect(release).toBeTypeOf("function");
    expect(await store.tryLock("job:reconcile")).toBeUndefined();
    const other = await store.tryLock("job:sync");
    expect(other).toBeTypeOf("function");
    await release!();
    await release!(); // twice is harmless
    const again = await store.tryLock("job:reconcile");
    expect(again).toBeTypeOf("function");
    if (backend.name === "postgres") {
      // another process (another pool) on the same database is excluded too
      const replica = await open();
      expect(await replica.tryLock("job:reconcile")).toBeUndefined();
      await again!();
      const theirs = await replica.tryLock("job:reconcile");
      expect(theirs).toBeTypeOf("function");
      expect(await store.tryLock("job:reconcile")).toBeUndefined();
      await theirs!();
    } else {
      await again!();
    }
    await other!();
  });

  it("stops a select that runs past its time limit, and keeps answering", async () => {
    const { QueryTimeoutError } = await import("../shared/errors.js");
    // A recursive CTE counting to a large number: slow on both engines, no data needed.
    const slow = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 30000000) SELECT count(*) AS n FROM c";
    const started = Date.now();
    const error = await rejection(store.select(slow, [], { timeoutMs: 200 }));
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect(Date.now() - started).toBeLessThan(5000);
    const rows = await store.select("SELECT 1 AS one", [], { timeoutMs: 5000 });
    expect(Number(rows[0]!.one)).toBe(1);
    expect(Number((await store.select("SELECT 2 AS two", []))[0]!.two)).toBe(2);
  });

  it("runs parameterised selects written for its dialect", async () => {
    await store.upsert(
      {
        entities: [
          host("a", { name: "alpha", dueDate: 5, closed: false }),
          host("b", { name: "beta", dueDate: 50, closed: true }),
          { _key: "p", _type: "person", _class: "User", name: "alpha" },
        ],
        relationships: [],
      },
      { now: T0 },
    );
    const d = store.dialect;
    const p = d.newParams();
    const name = d.typed("e", d.keyRef(p, "name"), "string");
    const due = d.typed("e", d.keyRef(p, "dueDate"), "number");
    const closed = d.typed("e", d.keyRef(p, "closed"), "boolean");
    const sql = `SELECT ${d.idText("e.id")} AS id, e.key, ${due} AS due FROM entities e
      WHERE e.type = ${p.add("aws_instance")} AND e.deleted = ${p.add(false)} AND ${name} = ${p.add("alpha")}
        AND ${due} < ${p.add(10)} AND ${closed} = ${d.bool(false)}`;
    const rows = await store.select(sql, p.values);
    expect(rows).toEqual([{ id: (await entityByKey("a")).id, key: "a", due: 5 }]);

    const q = d.newParams();
    const free = d.typed("e", d.keyRef(q, "unindexedProp"), "string");
    expect(await store.select(`SELECT e.key FROM entities e WHERE ${free} IS NOT NULL`, q.values)).toEqual([]);
  });

  it("round-trips a big batch (20,000 entities, 20,000 relationships)", async () => {
    const n = 20_000;
    const entities: EntityRecord[] = [];
    const relationships: RelationshipRecord[] = [];
    for (let i = 0; i < n; i++) {
      entities.push({
        _key: `host-${i}`,
        _type: "aws_instance",
        _class: i % 2 === 0 ? ["Host"] : ["Host", "Device"],
        displayName: `Host ${i}`,
        name: `host-${i}`,
        ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        tags: { env: i % 3 === 0 ? "prod" : "dev", team: `t${i % 17}` },
        dueDate: T0 + i,
      });
      relationships.push(edge(`edge-${i}`, `host-${i}`, `host-${(i + 1) % n}`, { port: i % 65536 }));
    }
    const started = performance.now();
    const result = await store.upsert({ entities, relationships }, { now: T0, source: "bench" });
    const seconds = (performance.now() - started) / 1000;
    expect(result.entities).toEqual({ created: n, updated: 0, unchanged: 0 });
    expect(result.relationships).toEqual({ created: n, updated: 0, unchanged: 0 });
    // Reported, not asserted: timing belongs to benchmarks.
    console.log(
      `[${backend.name}] upsert of ${n} entities + ${n} relationships: ${seconds.toFixed(2)} s (${Math.round(n / seconds)} entities/s with their edges)`,
    );
    await store.analyze();
    expect(await store.counts()).toEqual({ entities: n, relationships: n });

    const pages = await collect(store, 5000);
    const exported = pages.flatMap((p) => p.entities ?? []);
    expect(exported).toHaveLength(n);
    expect(exported[1234]).toMatchObject({
      key: "host-1234",
      classes: ["Host"],
      displayName: "Host 1234",
      props: { name: "host-1234", ip: "10.0.4.210", tags: { env: "dev", team: "t10" }, dueDate: T0 + 1234 },
    });
    const edges = pages.flatMap((p) => p.relationships ?? []);
    expect(edges).toHaveLength(n);
    expect(edges[n - 1]).toMatchObject({ key: `edge-${n - 1}`, fromKey: `host-${n - 1}`, toKey: "host-0" });

    const again = await store.upsert({ entities, relationships }, { now: T1, source: "bench" });
    expect(again).toEqual({
      entities: { created: 0, updated: 0, unchanged: n },
      relationships: { created: 0, updated: 0, unchanged: n },
    });
  }, 120_000);
});

describe("PostgresStore.open", () => {
  it("reports an unreachable server as ExternalServiceError without the password", async () => {
    const url = "postgres://dm:s3cret-pw@127.0.0.1:1/dm";
    const started = Date.now();
    const error = await rejection(PostgresStore.open(url, { connectionTimeoutMillis: 2000 }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(ExternalServiceError);
    const e = error as ExternalServiceError;
    expect(e.service).toBe("postgres");
    expect(e.message).toContain("127.0.0.1:1/dm");
    expect(e.message).not.toContain("s3cret-pw");
    expect(e.cause).toBeDefined();
  });

  it("reports a wrong password without echoing it", async () => {
    const target = await backends[1]!.newTarget();
    try {
      const u = new URL(target.target);
      u.password = "wrong-password-xyz";
      const error = await rejection(PostgresStore.open(u.toString(), { connectionTimeoutMillis: 5000 }));
      expect(error).toBeInstanceOf(ExternalServiceError);
      expect((error as Error).message).toContain("password authentication failed");
      expect((error as Error).message).not.toContain("wrong-password-xyz");
    } finally {
      await target.cleanup();
    }
  });

  it("builds the property indexes on the compiler's expressions", async () => {
    const target = await backends[1]!.newTarget();
    const store = await openStore(target.target);
    const client = new pg.Client({ connectionString: target.target });
    await client.connect();
    try {
      const d = store.dialect;
      const p = d.newParams();
      const sql = `SELECT e.id FROM entities e WHERE ${d.typed("e", d.keyRef(p, "name"), "string")} = ${p.add("x")}
        AND ${d.typed("e", d.keyRef(p, "dueDate"), "number")} < ${p.add(5)}`;
      await client.query("SET enable_seqscan = off");
      const plan = await client.query(`EXPLAIN ${sql}`, p.values);
      const text = plan.rows.map((r: Record<string, unknown>) => String(r["QUERY PLAN"])).join("\n");
      expect(text).toMatch(/entities_prop_(name|duedate)/);
    } finally {
      await client.end();
      await store.close();
      await target.cleanup();
    }
  });
});

describe("openStore", () => {
  it("rejects an unknown scheme, naming the value with its password masked", async () => {
    const error = await rejection(openStore("mysql://root:hunter2@db.example:3306/dm"));
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toContain("mysql://root:***@db.example:3306/dm");
    expect(message).not.toContain("hunter2");
    expect(message).toContain("postgres://");
  });

  it("opens SQLite from a path, a file: URL and :memory:", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-open-"));
    try {
      for (const where of [path.join(dir, "a.db"), `file://${path.join(dir, "b.db")}`, ":memory:"]) {
        const s = await openStore(where);
        expect(s.kind).toBe("sqlite");
        await s.close();
      }
      expect(fs.existsSync(path.join(dir, "b.db"))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a database that does not exist when the command only reads, and creates nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-open-"));
    try {
      const missing = path.join(dir, "nonexistent", "x.db");
      const error = await rejection(openStore(missing, { mustExist: true }));
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(`there is no database at ${missing}`);
      expect((error as InputError).details.join("\n")).toMatch(/dm import <file>.*\n?.*|dm demo/);
      expect(fs.existsSync(path.join(dir, "nonexistent"))).toBe(false);
      // A writer creates it, and is told so once.
      const created: string[] = [];
      const s = await openStore(missing, { onCreate: (where) => created.push(where) });
      await s.close();
      const again = await openStore(missing, { mustExist: true, onCreate: (where) => created.push(where) });
      await again.close();
      expect(created).toEqual([missing]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads file: URLs as URLs: mode=ro opens read only, other parameters are refused, not made part of the name", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-open-"));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(await rejection(openStore("file:t.db?mode=ro"))).toBeInstanceOf(InputError);
      const unknown = await rejection(openStore("file:t.db?cache=shared"));
      expect((unknown as Error).message).toBe('"file:t.db?cache=shared": unsupported parameter "cache" in the file: URL');
      expect((await rejection(openStore("file:t.db?mode=memory"))) as Error).toBeInstanceOf(InputError);
      expect(fs.readdirSync(dir)).toEqual([]);

      const writer = await openStore("file:t.db");
      await writer.upsert({ entities: [host("a")], relationships: [] }, { now: T0 });
      await writer.close();
      expect(fs.existsSync(path.join(dir, "t.db"))).toBe(true);

      const reader = await openStore(`file://${path.join(dir, "t.db")}?mode=ro`);
      try {
        expect(await reader.counts()).toEqual({ entities: 1, relationships: 0 });
        const error = await rejection(reader.audit({ at: T0, actor: "t", action: "x", subject: "y" }));
        expect(error).toBeInstanceOf(ExternalServiceError);
        expect((error as ExternalServiceError).exitCode).toBe(3);
        expect((error as Error).message).toMatch(/is read-only/);
      } finally {
        await reader.close();
      }
      expect(fs.readdirSync(dir).filter((f) => f.includes("?"))).toEqual([]);
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("puts the default database under the home directory", () => {
    expect(defaultDatabasePath("/home/me")).toBe(path.join("/home/me", ".deferred-maintenance", "dm.db"));
  });
});

describe("SqliteStore initial load", () => {
  it("loads a large first import without secondary indexes and rebuilds them, or rolls them back on failure", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-initial-"));
    const store = await openStore(path.join(dir, "dm.db"));
    const indexNames = async () =>
      (await store.select("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name", [])).map(
        (r) => String(r.name),
      );
    try {
      const before = await indexNames();
      expect(before).toContain("relationships_from");
      const entities = Array.from({ length: 6000 }, (_, i) => ({ _key: `e${i}`, _type: "t", _class: "C", name: `n${i}` }));
      // A failing load leaves nothing and keeps every index.
      const bad = { entities, relationships: [{ _key: "r", _type: "t", _class: "HAS", _fromEntityKey: "e1", _toEntityKey: "nope" }] };
      await expect(store.upsert(bad, { now: 1 })).rejects.toThrow(/no entity has the key "nope"/);
      expect(await indexNames()).toEqual(before);
      expect(await store.counts()).toEqual({ entities: 0, relationships: 0 });
      // A good one is written and indexed as before.
      const good = { entities, relationships: [{ _key: "r", _type: "t", _class: "HAS", _fromEntityKey: "e1", _toEntityKey: "e2" }] };
      expect((await store.upsert(good, { now: 1 })).entities.created).toBe(6000);
      expect(await indexNames()).toEqual(before);
      const p = store.dialect.newParams();
      const plan = await store.select(
        `EXPLAIN QUERY PLAN SELECT id FROM entities WHERE ${store.dialect.typed("entities", "'$.\"name\"'", "string")} = ${p.add("n5")}`,
        p.values,
      );
      expect(plan.map((r) => String(r.detail)).join(" ")).toContain("entities_prop_name");
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("PostgresStore initial load", () => {
  it("loads a large first import without secondary indexes and rebuilds them, or rolls them back on failure", async () => {
    const url = await createTestDatabase();
    const store = await openStore(url);
    const indexes = async () =>
      (
        await store.select(
          "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('entities', 'entity_classes', 'relationships') ORDER BY indexname",
          [],
        )
      ).map((r) => String(r.indexdef));
    try {
      const before = await indexes();
      expect(before.join("\n")).toContain("USING gin");
      expect(before.join("\n")).toContain("relationships_from");
      const entities = Array.from({ length: 6000 }, (_, i) => ({ _key: `e${i}`, _type: "t", _class: "Resource", name: `n${i}` }));
      const bad = { entities, relationships: [{ _key: "r", _type: "t", _class: "HAS", _fromEntityKey: "e1", _toEntityKey: "nope" }] };
      await expect(store.upsert(bad, { now: 1 })).rejects.toThrow(/no entity has the key "nope"/);
      expect(await indexes()).toEqual(before);
      expect(await store.counts()).toEqual({ entities: 0, relationships: 0 });
      const good = { entities, relationships: [{ _key: "r", _type: "t", _class: "HAS", _fromEntityKey: "e1", _toEntityKey: "e2" }] };
      expect((await store.upsert(good, { now: 1 })).entities.created).toBe(6000);
      expect(await indexes()).toEqual(before);
      const rows = await store.select("SELECT count(*)::int AS n FROM entity_classes WHERE class = 'Resource'", []);
      expect(rows[0]!.n).toBe(6000);
    } finally {
      await store.close();
      await dropTestDatabase(url);
    }
  });
});
