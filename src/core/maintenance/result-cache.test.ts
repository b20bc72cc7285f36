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
import { MAX_OVERVIEW_EVENTS, overview, overviewOf } from "../dashboard/overview.js";
import { DAY_MS } from "./due.js";
import { findingKey, findingRecord, loadFindings } from "./finding.js";
import { changedItems, itemVersions } from "./result-cache.js";
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

/** The store, counting the statements that group the findings by item (a recount), and the items a recount was limited to. */
function counting(store: GraphStore) {
  const seen = { recounts: 0, items: [] as unknown[] };
  const spy: GraphStore = Object.create(store, {
    select: {
      value: (sql: string, params: readonly unknown[]) => {
        if (sql.includes("GROUP BY m") && !sql.includes("UNION ALL")) {
          seen.recounts++;
          // a count of one item binds its maintenanceId (the first string parameter)
          const item = params.find((p) => typeof p === "string");
          if (item !== undefined) seen.items.push(item);
        }
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
    expect(row?.versionKey).toBe((await itemVersions(store)).key);
    // exact until the end of the UTC day: repo-1's due date, two hours on, is a clock event kept with the counts
    expect(row?.validUntil).toBe(Math.floor(NOW / DAY) * DAY + DAY);
  });

  it("keeps the counts while the clock passes a due date and closedOns leave the pace windows, each applied at its moment", async () => {
    const fresh = await newStore(backend);
    const H = 3600_000;
    const item = (asset: string, props: Record<string, unknown>) => finding("eeeeeeee", asset, { createdOn: NOW - 30 * DAY, dueDate: NOW + 9 * DAY, ...props });
    const closedOn = (at: number) => ({ closed: true, status: "closed", closedOn: at, closeReason: "COMPLETE" });
    await fresh.upsert(
      {
        entities: [
          item("due", { dueDate: NOW + 2 * H }), // overdue from NOW + 2h
          item("left14", closedOn(NOW - 14 * DAY + 3 * H)), // leaves the 14-day window at NOW + 3h
          item("left1", closedOn(NOW - DAY + H + 0.5)), // leaves the 1-day window between NOW + 1h and a millisecond later
          item("stays", closedOn(NOW - 2 * DAY)),
          item("open", {}),
        ],
        relationships: [],
      },
      { now: NOW - 30 * DAY, source: "s" },
    );
    const cached = (now: number) => storeItemStats(spy, now);
    const { spy, seen } = counting(fresh);
    const first = await cached(NOW);
    expect(seen.recounts).toBe(1);
    const moments = [NOW + H - 1, NOW + H, NOW + H + 1, NOW + 2 * H - 1, NOW + 2 * H, NOW + 2 * H + 1, NOW + 3 * H - 1, NOW + 3 * H, NOW + 3 * H + 1, NOW + 11 * H];
    const answers: string[] = [];
    for (const now of moments) {
      const answer = json(await cached(now));
      expect(answer, `at NOW + ${now - NOW} ms`).toBe(json(await uncachedItemStats(fresh, now)));
      answers.push(answer);
    }
    // counted once, at NOW: every later answer came from the kept counts and their events
    expect(seen.recounts).toBe(1);
    const at = (i: number) => JSON.parse(answers[i]!)[0];
    expect(JSON.parse(json(first))[0].overdue).toBe(0);
    expect(at(4).overdue).toBe(0); // a due date is overdue once the clock is past it
    expect(at(5).overdue).toBe(1);
    // the pace: left14's closedOn leaves the 14-day window at NOW + 3h exactly
    expect(at(6).forecast.closedInWindow).toBe(3);
    expect(at(7).forecast.closedInWindow).toBe(2);
  });

  // the cap is the same code on both backends: 50,001 findings once, on SQLite, is enough
  if (backend === "sqlite") it("keeps at most MAX_CLOCK_EVENTS clock events and counts again at the first one left out", async () => {
    const fresh = await newStore(backend);
    const entities = Array.from({ length: 50_001 }, (_, i) => finding("ffffffff", `r${i}`, { dueDate: NOW + 1000 + i }));
    await fresh.upsert({ entities, relationships: [] }, { now: NOW - 30 * DAY, source: "s" });
    await storeItemStats(fresh, NOW, { burndown: false, median: false });
    const row = await fresh.getCachedResult(`stats:${JSON.stringify([null, false, false])}`);
    expect(row?.validUntil).toBe(NOW + 1000 + 50_000);
    const { spy, seen } = counting(fresh);
    const late = await storeItemStats(spy, NOW + 1000 + 49_999, { burndown: false, median: false });
    expect(late[0]!.overdue).toBe(49_999);
    expect(seen.recounts).toBe(0);
    const all = await storeItemStats(spy, NOW + 1000 + 50_001, { burndown: false, median: false });
    expect(all[0]!.overdue).toBe(50_001);
    expect(seen.recounts).toBe(1);
  });

  it("keeps the overview while due dates pass and days overdue grow, ranking the assets again at each moment", async () => {
    const fresh = await newStore(backend);
    const H = 3600_000;
    const dayEnd = Math.floor(NOW / DAY) * DAY + DAY; // NOW is noon: twelve hours left
    const at = (item: string, asset: string, dueDate: number, owner?: string) =>
      finding(item, asset, { dueDate, owner, entityName: asset, createdOn: NOW - 30 * DAY });
    await fresh.upsert(
      {
        entities: [
          // alpha: 1 day overdue, 2 from NOW + 1 h + 17 ms
          at("aaaaaaaa", "alpha", NOW - 2 * DAY + H + 17, "core"),
          // beta: two findings 1 day overdue; their next day comes after the end of the day
          at("aaaaaaaa", "beta", NOW - DAY - 5 * H, "Core"),
          at("bbbbbbbb", "beta", NOW - DAY - 6 * H, "Core"),
          // gamma: due in 2 h 123 ms
          at("aaaaaaaa", "gamma", NOW + 2 * H + 123, "web"),
          // delta: due in 3 h 7 ms, and 4 days overdue, 5 from NOW + 4 h + 9 ms
          at("aaaaaaaa", "delta", NOW + 3 * H + 7),
          at("bbbbbbbb", "delta", NOW - 5 * DAY + 4 * H + 9),
          // epsilon: nothing happens today
          at("aaaaaaaa", "epsilon", NOW + 9 * DAY, "web"),
          // zeta: 10 days overdue, 11 from NOW + 11 h
          at("cccccccc", "zeta", NOW - 11 * DAY + 11 * H, "ops"),
        ],
        relationships: [],
      },
      { now: NOW - 30 * DAY, source: "s" },
    );
    const ranked = "'o' AS kind";
    const recounts = { n: 0 };
    const spy: GraphStore = Object.create(fresh, {
      select: {
        value: (sql: string, params: readonly unknown[]) => {
          if (sql.includes(ranked)) recounts.n++;
          return fresh.select(sql, params);
        },
      },
    });
    const expected = async (now: number, top: number) => json(await overviewOf(fresh, await loadFindings(fresh, now), { now, top }));
    for (const top of [2, 10]) {
      recounts.n = 0;
      const first = await overview(spy, { now: NOW, top });
      expect(json(first)).toBe(await expected(NOW, top));
      expect(recounts.n).toBe(1);
      const moments = [NOW + H + 16, NOW + H + 17, NOW + H + 18, NOW + 2 * H + 123, NOW + 2 * H + 124, NOW + 3 * H + 8, NOW + 4 * H + 9, NOW + 4 * H + 10, NOW + 11 * H + 1, dayEnd - 1];
      for (const now of moments) expect(json(await overview(spy, { now, top })), `top ${top} at NOW + ${now - NOW} ms`).toBe(await expected(now, top));
      // every moment answered from the kept rows and their events
      expect(recounts.n).toBe(1);
      // the end of the UTC day: counted again
      expect(json(await overview(spy, { now: dayEnd, top }))).toBe(await expected(dayEnd, top));
      expect(recounts.n).toBe(2);
    }
    // the clock reordered the top two during the day (so the test saw a ranking change, not only counts)
    const names = async (now: number) => (await overview(fresh, { now, top: 2 })).riskiestAssets.map((a) => a.key);
    expect(await names(NOW)).not.toEqual(await names(dayEnd - 1));
  });

  // the cap is the same code on both backends
  if (backend === "sqlite") it("keeps at most MAX_OVERVIEW_EVENTS of the overview's clock events and counts again at the first one left out", async () => {
    const fresh = await newStore(backend);
    const cap = MAX_OVERVIEW_EVENTS;
    const entities = Array.from({ length: cap + 1 }, (_, i) => finding("ffffffff", `r${i}`, { dueDate: NOW + 1000 + i }));
    await fresh.upsert({ entities, relationships: [] }, { now: NOW - 30 * DAY, source: "s" });
    await overview(fresh, { now: NOW });
    // the first left out is due at NOW + 1000 + cap: kept until a millisecond before it
    expect((await fresh.getCachedResult("overview:10"))?.validUntil).toBe(NOW + 1000 + cap - 1);
    const late = await overview(fresh, { now: NOW + 1000 + cap - 2 });
    expect(late.counts.overdue).toBe(cap - 2);
    expect((await fresh.getCachedResult("overview:10"))?.computedOn).toBe(NOW);
    const all = await overview(fresh, { now: NOW + 1000 + cap + 1 });
    expect(all.counts.overdue).toBe(cap + 1);
    expect((await fresh.getCachedResult("overview:10"))?.computedOn).toBe(NOW + 1000 + cap + 1);
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

  it("keeps the counts through a write of other records, and recounts only the item whose findings changed", async () => {
    await same(NOW);
    const before = await itemVersions(store);
    // a sync of repositories: no finding written
    await store.upsert({ entities: [{ _key: "repo:x", _type: "git_repo", _class: "CodeRepo", name: "x" }], relationships: [] }, { now: NOW, source: "git" });
    const run = await store.startSyncRun("git", "git", NOW);
    await store.markUnseenDeleted("git", run, NOW);
    expect((await itemVersions(store)).key).toBe(before.key);
    let { spy, seen } = counting(store);
    await storeItemStats(spy, NOW);
    await overview(spy, { now: NOW });
    expect(seen.recounts).toBe(0);
    // one finding of bbbbbbbb closed: that item alone is counted again, and the answer is a recount's
    const list = graph();
    const b = list.find((e) => e.maintenanceId === "bbbbbbbb" && e.closed === false)!;
    await store.upsert({ entities: [{ ...b, closed: true, status: "closed", closedOn: NOW - 3600_000, closeReason: "COMPLETE" }], relationships: [] }, { now: NOW, source: "s" });
    expect([...changedItems(before.items, (await itemVersions(store)).items)]).toEqual(["bbbbbbbb"]);
    ({ spy, seen } = counting(store));
    expect(json(await storeItemStats(spy, NOW))).toBe(json(await uncachedItemStats(store, NOW)));
    expect(seen.recounts).toBe(1);
    expect(seen.items).toEqual(["bbbbbbbb"]);
    // one item's question is kept when another item changes
    const a = await storeItemStats(store, NOW, { maintenanceId: "aaaaaaaa" });
    await store.upsert({ entities: [{ ...b, closed: false, status: "open" }], relationships: [] }, { now: NOW, source: "s" });
    ({ spy, seen } = counting(store));
    expect(json(await storeItemStats(spy, NOW, { maintenanceId: "aaaaaaaa" }))).toBe(json(a));
    expect(seen.recounts).toBe(0);
    await same(NOW);
  });

  it("names the items of the findings a write created, changed (before and after) or deleted, and no others", async () => {
    const fresh = await newStore(backend);
    const versions = async () => (await itemVersions(fresh)).items;
    await fresh.upsert({ entities: [finding("11111111", "r1", {}), finding("22222222", "r2", {}), { _key: "repo:1", _type: "git_repo", _class: "CodeRepo" }], relationships: [] }, { now: NOW, source: "s" });
    expect(await versions()).toEqual({ "11111111": 1, "22222222": 1 });
    // unchanged: nothing
    await fresh.upsert({ entities: [finding("11111111", "r1", {})], relationships: [] }, { now: NOW, source: "s" });
    expect(await versions()).toEqual({ "11111111": 1, "22222222": 1 });
    // moved to another item: both
    const moved = finding("11111111", "r1", {});
    await fresh.upsert({ entities: [{ ...moved, maintenanceId: "33333333" }], relationships: [] }, { now: NOW, source: "s" });
    expect(await versions()).toEqual({ "11111111": 2, "22222222": 1, "33333333": 1 });
    // no longer a finding: its old item; a finding without a string maintenanceId: ""
    await fresh.upsert({ entities: [{ ...moved, _type: "git_repo", _class: "CodeRepo" }, { ...finding("44444444", "r4", {}), maintenanceId: 7 }], relationships: [] }, { now: NOW, source: "s" });
    expect(await versions()).toEqual({ "11111111": 2, "22222222": 1, "33333333": 2, "": 1 });
    // deleted by a sync that did not see it (r2's finding): its item; markSeen names none
    const run = await fresh.startSyncRun("s", "s", NOW);
    await fresh.markSeen("s", run, { entities: [findingKey("11111111", "r1"), "repo:1", findingKey("44444444", "r4")] }, NOW);
    expect(await versions()).toEqual({ "11111111": 2, "22222222": 1, "33333333": 2, "": 1 });
    await fresh.markUnseenDeleted("s", run, NOW);
    expect(await versions()).toEqual({ "11111111": 2, "22222222": 2, "33333333": 2, "": 1 });
  });

  it("ignores a corrupt or old-format row", async () => {
    const expected = json(await uncachedItemStats(store, NOW));
    const versionKey = (await itemVersions(store)).key;
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
