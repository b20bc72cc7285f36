/**
 * The persisted result cache (result-cache.ts) behind storeItemStats and the
 * overview, on SQLite and PostgreSQL: a cached answer is byte for byte the
 * answer counted again at the same `now`; a write of a finding (an upsert,
 * a deletion by a sync) and a clock passing a boundary (a due date, the end
 * of the UTC day) make it count again; a corrupt or old-format row is
 * ignored; a database that cannot be written still answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../../test/helpers/pg.js";
import { PostgresStore } from "../../store/postgres/postgres-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { overview, overviewOf } from "../dashboard/overview.js";
import { DAY_MS } from "./due.js";
import { findingKey, findingRecord, loadFindings } from "./finding.js";
import { graphVersion } from "./result-cache.js";
import { storeItemStats, uncachedItemStats } from "./stats-sql.js";

/** 2026-11-23 12:00 UTC */
const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = DAY_MS;
const json = (x: unknown) => JSON.stringify(x);
const ALL = `stats:${JSON.stringify([null, true, true])}`;

function finding(item: string, asset: string, props: Record<string, unknown>): EntityRecord {
  return findingRecord(findingKey(item, asset), {
    maintenanceId: item,
    shortDescription: `fix ${item}`,
    webLink: "https://example.com",
    entityKey: asset,
    entityName: asset,
    entityType: "git_repo",
    owner: asset.length % 2 === 0 ? "core" : "Core",
    createdOn: NOW - 20 * DAY,
    dueDate: NOW + 5 * DAY,
    closed: false,
    status: "open",
    ...props,
  } as never);
}

function graph(): EntityRecord[] {
  const list: EntityRecord[] = [];
  for (let i = 0; i < 12; i++) {
    const closed = i % 3 === 0;
    list.push(
      finding("aaaaaaaa", `repo-${i}`, {
        dueDate: i === 1 ? NOW + 2 * 3600_000 : i === 2 ? NOW - 3 * DAY + 5000 : NOW + 5 * DAY,
        ...(closed ? { closed: true, status: "closed", closedOn: NOW - i * DAY, closeReason: "COMPLETE" } : {}),
      }),
    );
    list.push(finding("bbbbbbbb", `lib-${i}`, { createdOn: NOW - 3 * DAY, dueDate: NOW + 9 * DAY, ...(i < 4 ? { closed: true, status: "closed", closedOn: NOW - DAY, closeReason: "ERROR" } : {}) }));
  }
  return list;
}

const pgUrls: string[] = [];
const opened: GraphStore[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  for (const url of pgUrls) await dropTestDatabase(url);
});

async function newStore(backend: "sqlite" | "postgres"): Promise<GraphStore> {
  let store: GraphStore;
  if (backend === "sqlite") store = SqliteStore.open(":memory:");
  else {
    const url = await createTestDatabase();
    pgUrls.push(url);
    store = await PostgresStore.open(url);
  }
  opened.push(store);
  return store;
}

/** The store, counting the statements that group the findings by item (a recount). */
function counting(store: GraphStore) {
  const seen = { recounts: 0 };
  const spy: GraphStore = Object.create(store, {
    select: {
      value: (sql: string, params: readonly unknown[]) => {
        if (sql.includes("GROUP BY m")) seen.recounts++;
        return store.select(sql, params);
      },
    },
  });
  return { spy, seen };
}

describe.each(["sqlite", "postgres"] as const)("the result cache on %s", (backend) => {
  let store: GraphStore;
  beforeAll(async () => {
    store = await newStore(backend);
    await store.upsert({ entities: graph(), relationships: [] }, { now: NOW - 30 * DAY, source: "s" });
  });

  async function same(now: number) {
    expect(json(await storeItemStats(store, now))).toBe(json(await uncachedItemStats(store, now)));
    expect(json(await storeItemStats(store, now, { maintenanceId: "aaaaaaaa" }))).toBe(json(await uncachedItemStats(store, now, { maintenanceId: "aaaaaaaa" })));
    expect(json(await overview(store, { now }))).toBe(json(await overviewOf(store, await loadFindings(store, now), { now })));
  }

  it("answers a repeated question from the cache, the same JSON as a recount", async () => {
    await same(NOW);
    const { spy, seen } = counting(store);
    // counted and kept by same(NOW): no recount while nothing changed
    const first = await storeItemStats(spy, NOW + 1000);
    const again = await storeItemStats(spy, NOW + 2000);
    expect(seen.recounts).toBe(0);
    expect(json(first)).toBe(json(await uncachedItemStats(store, NOW + 1000)));
    expect(json(again)).toBe(json(await uncachedItemStats(store, NOW + 2000)));
    // the forecast moves with the clock, the counts do not
    expect(json(again)).not.toBe(json(first));
    const row = await store.getCachedResult(ALL);
    expect(row?.versionKey).toBe(await graphVersion(store));
    // exact until the first due date to pass (repo-1's, two hours on)
    expect(row?.validUntil).toBe(NOW + 2 * 3600_000);
  });

  it("counts again once the clock passes a due date, a day overdue more, or the end of the day", async () => {
    const row = (await store.getCachedResult(ALL))!;
    const { spy, seen } = counting(store);
    await storeItemStats(spy, row.validUntil - 1);
    expect(seen.recounts).toBe(0);
    await storeItemStats(spy, row.validUntil);
    expect(seen.recounts).toBeGreaterThan(0);
    for (const now of [NOW + 2 * 3600_000 + 1, NOW + 5000, NOW + 5001, Math.floor(NOW / DAY) * DAY + DAY - 1, Math.floor(NOW / DAY) * DAY + DAY, NOW + 6 * DAY]) {
      await same(now);
      await same(now);
    }
  });

  it("counts again after a write of a finding: an upsert, a deletion by a sync", async () => {
    await same(NOW);
    const before = await storeItemStats(store, NOW);
    const list = graph();
    await store.upsert({ entities: [{ ...list[3]!, closed: true, status: "closed", closedOn: NOW - DAY, closeReason: "RISK_ACCEPTED" }], relationships: [] }, { now: NOW, source: "s" });
    const after = await storeItemStats(store, NOW);
    expect(json(after)).not.toBe(json(before));
    await same(NOW);
    const run = await store.startSyncRun("s", "s", NOW);
    await store.markSeen("s", run, { entities: list.slice(0, 10).map((e) => e._key) }, NOW);
    await store.markUnseenDeleted("s", run, NOW);
    const deleted = await storeItemStats(store, NOW);
    expect(deleted.reduce((n, x) => n + x.total, 0)).toBe(10);
    await same(NOW);
    // a new finding
    await store.upsert({ entities: [finding("cccccccc", "new", {})], relationships: [] }, { now: NOW, source: "t" });
    expect((await storeItemStats(store, NOW)).map((x) => x.maintenanceId)).toContain("cccccccc");
    await same(NOW);
  });

  it("ignores a corrupt or old-format row", async () => {
    const expected = json(await uncachedItemStats(store, NOW));
    const versionKey = await graphVersion(store);
    for (const body of ["{", JSON.stringify({ format: 0, value: { counts: [], days: [], middles: [] } }), JSON.stringify({ format: 1, value: 3 })]) {
      await store.putCachedResult({ name: ALL, versionKey, validUntil: NOW + DAY, computedOn: NOW - 1, body });
      expect(json(await storeItemStats(store, NOW))).toBe(expected);
    }
  });

  it("answers on a database it cannot write", async () => {
    const readOnly: GraphStore = Object.create(store, {
      putCachedResult: {
        value: async () => {
          throw new Error("attempt to write a readonly database");
        },
      },
    });
    await store.upsert({ entities: [finding("dddddddd", "ro", {})], relationships: [] }, { now: NOW, source: "t" });
    expect(json(await storeItemStats(readOnly, NOW))).toBe(json(await uncachedItemStats(store, NOW)));
    expect(json(await overview(readOnly, { now: NOW }))).toBe(json(await overviewOf(store, await loadFindings(store, NOW), { now: NOW })));
  });
});
