/**
 * The statistics and the dashboard overview counted in SQL (stats-sql.ts,
 * overview()) against the JS computation over every finding (itemStats,
 * statsOf, overviewOf), on SQLite and PostgreSQL, over random findings with
 * the awkward cases: reopened and risk-accepted findings, closedOn missing,
 * before createdOn or after now, times on day boundaries and between
 * milliseconds, due dates missing, owners written several ways, items
 * younger than the pace window, deleted findings, drill canaries. The
 * answers must be the same JSON, byte for byte.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../../test/helpers/pg.js";
import { PostgresStore } from "../../store/postgres/postgres-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";
import { overview, overviewOf } from "../dashboard/overview.js";
import { DAY_MS } from "./due.js";
import { type CloseReason, type FindingProps, findingEdge, findingKey, findingRecord, loadFindings } from "./finding.js";
import { cachedItemStats, STATS_CACHE_MS, storeItemStats } from "./stats-sql.js";
import { itemStats, statsOf } from "./stats.js";

/** 2026-11-23 12:00 UTC */
const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = DAY_MS;

/** A small seeded generator (mulberry32), so a failure is reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const OWNERS = ["Identity", "identity", " identity ", "core", "Payments", "", undefined] as const;

interface ItemSpec {
  id: string;
  /** the item's age in days */
  age: number;
  findings: number;
  /** give some findings another short description (the JS shows the newest) */
  mixedText?: boolean;
}

function randomGraph(seed: number, items: readonly ItemSpec[]) {
  const r = rng(seed);
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  const assets = new Map<string, EntityRecord>();
  for (let a = 0; a < 40; a++) {
    // some assets are in the graph (the overview links them), some are not
    if (a % 4 !== 3) assets.set(`repo:${a}`, { _key: `repo:${a}`, _type: "git_repo", _class: "CodeRepo", displayName: `repo-${a}`, name: `repo-${a}` });
  }
  entities.push(...assets.values());
  for (const item of items) {
    const opened = NOW - item.age * DAY + r.int(DAY);
    for (let i = 0; i < item.findings; i++) {
      const asset = `repo:${r.int(40)}`;
      // created around the item's opening; a few on a day boundary or between milliseconds
      let createdOn = Math.min(NOW, opened + r.int(Math.max(1, item.age) * DAY * 0.3));
      if (r.next() < 0.05) createdOn = Math.floor(createdOn / DAY) * DAY + (r.next() < 0.5 ? 0 : DAY - 1);
      // between the last millisecond of a day and the next day: counts on the next day
      if (r.next() < 0.05) createdOn = Math.min(NOW - DAY, Math.floor(createdOn / DAY) * DAY + DAY - 1 + 0.5);
      const due = r.next() < 0.1 ? 0 : opened + r.int(60) * DAY - 20 * DAY;
      const closed = r.next() < 0.45;
      const props: FindingProps = {
        maintenanceId: item.id,
        shortDescription: item.mixedText && r.next() < 0.3 ? `Other text ${r.int(3)}` : `Item ${item.id}`,
        description: "",
        webLink: `https://wiki.example.com/${item.id}`,
        dueDate: due,
        status: closed ? "closed" : "open",
        closed,
        createdBy: "dev@example.com",
        createdOn,
        query: "Find CodeRepo",
        tracked: false,
        entityKey: asset,
        entityType: "git_repo",
        entityName: r.next() < 0.1 ? "" : `repo-${asset.slice(5)}`,
      };
      const owner = r.pick(OWNERS);
      if (owner !== undefined) props.owner = owner;
      if (closed) {
        const roll = r.next();
        if (roll < 0.08) {
          // closed without a date
        } else if (roll < 0.14) props.closedOn = createdOn - r.int(3) * DAY - 1; // before it was created
        else if (roll < 0.18) props.closedOn = NOW + r.int(3) * DAY + 1; // after now
        else if (roll < 0.22) props.closedOn = NOW;
        else if (roll < 0.27) props.closedOn = Math.floor(Math.min(NOW - DAY, createdOn + r.int(item.age * DAY + 1)) / DAY) * DAY + DAY - 0.75;
        else props.closedOn = Math.min(NOW, createdOn + r.int(item.age * DAY + 1));
        const reason = r.pick<CloseReason | undefined>(["COMPLETE", "COMPLETE", "ERROR", "RISK_ACCEPTED", undefined]);
        if (reason) props.closeReason = reason;
        if (reason === "RISK_ACCEPTED") {
          props.acceptedUntil = NOW + (r.next() < 0.5 ? -1 : 1) * r.int(10) * DAY;
          props.acceptedBy = "lead@example.com";
        }
      } else if (r.next() < 0.1) {
        props.reopenedOn = NOW - r.int(5) * DAY;
      }
      const key = findingKey(item.id, `${asset}:${i}`);
      entities.push(r.next() < 0.02 ? { ...findingRecord(key, props), drill: true } : findingRecord(key, props));
      if (assets.has(asset)) relationships.push(findingEdge(asset, "git_repo", key));
    }
  }
  return { entities, relationships };
}

const ITEMS: ItemSpec[] = [
  { id: "aaaaaaaa", age: 90, findings: 120 },
  { id: "bbbbbbbb", age: 30, findings: 80 },
  { id: "cccccccc", age: 6, findings: 40 }, // younger than the pace window
  { id: "dddddddd", age: 0, findings: 12 }, // opened today
  { id: "eeeeeeee", age: 20, findings: 30, mixedText: true },
  { id: "ffffffff", age: 400, findings: 25 },
];

const pgUrls: string[] = [];
const opened: GraphStore[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  for (const url of pgUrls) await dropTestDatabase(url);
});

/** A new store; with `file`, a second connection to the same database as well (another process, say). */
async function newStore(backend: "sqlite" | "postgres", file = false): Promise<GraphStore & { other?: GraphStore }> {
  let store: GraphStore & { other?: GraphStore };
  if (backend === "sqlite") {
    if (file) {
      const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dm-stats-sql-")), "dm.db");
      store = SqliteStore.open(target);
      store.other = SqliteStore.open(target);
    } else store = SqliteStore.open(":memory:");
  } else {
    const url = await createTestDatabase();
    pgUrls.push(url);
    store = await PostgresStore.open(url);
    if (file) store.other = await PostgresStore.open(url);
  }
  opened.push(store);
  if (store.other) opened.push(store.other);
  return store;
}

const json = (x: unknown) => JSON.stringify(x);

describe.each(["sqlite", "postgres"] as const)("statistics counted in SQL on %s", (backend) => {
  let store: GraphStore;
  beforeAll(async () => {
    store = await newStore(backend);
    const { entities, relationships } = randomGraph(18, ITEMS);
    await store.upsert({ entities, relationships }, { now: NOW - 400 * DAY });
    // a deleted finding counts nowhere
    const gone = findingRecord(findingKey("aaaaaaaa", "gone"), {
      ...(entities.find((e) => e._type === "deferred_maintenance")! as unknown as FindingProps),
      entityKey: "gone",
    });
    await store.upsert({ entities: [gone], relationships: [] }, { now: NOW - 300 * DAY, source: "s" });
    const run = await store.startSyncRun("s", "s", NOW - 200 * DAY);
    await store.markUnseenDeleted("s", run, NOW - 200 * DAY);
  });

  it("gives every item's statistics as the JS computation over every finding does", async () => {
    const findings = await loadFindings(store, NOW);
    const expected = itemStats(findings, NOW);
    expect(expected.length).toBe(ITEMS.length);
    expect(json(await storeItemStats(store, NOW))).toBe(json(expected));
    // and what the table leaves out, left out the same way
    const summary = await storeItemStats(store, NOW, { burndown: false, median: false });
    expect(json(summary)).toBe(json(expected.map((x) => ({ ...x, burndown: [], medianDaysToClose: null }))));
  });

  it("gives one item's statistics as statsOf does, and none for an unknown item", async () => {
    for (const { id } of ITEMS) {
      const one = await storeItemStats(store, NOW, { maintenanceId: id });
      expect(json(one)).toBe(json([statsOf(await loadFindings(store, NOW, { maintenanceId: id }), NOW)]));
    }
    expect(await storeItemStats(store, NOW, { maintenanceId: "01234567" })).toEqual([]);
  });

  it("is the same at other times: before some findings were created, on a day boundary", async () => {
    for (const now of [NOW - 3 * DAY, Math.floor(NOW / DAY) * DAY, Math.floor(NOW / DAY) * DAY - 1, NOW + 30 * DAY]) {
      const expected = itemStats(await loadFindings(store, now), now);
      expect(json(await storeItemStats(store, now))).toBe(json(expected));
    }
  });

  it("gives the overview the JS computation gives, at the top 10 and at See all", async () => {
    for (const top of [10, 500, 3]) {
      const expected = await overviewOf(store, await loadFindings(store, NOW), { now: NOW, top });
      const got = await overview(store, { now: NOW, top });
      expect(json(got)).toBe(json(expected));
    }
    // owners written several ways are one owner
    const got = await overview(store, { now: NOW, top: 500 });
    expect(got.riskiestOwners.filter((o) => o.owner.trim().toLowerCase() === "identity")).toHaveLength(1);
  });

  it("falls back to the findings for data it does not read the same way (a finding without createdOn)", async () => {
    const odd = await newStore(backend);
    const { entities, relationships } = randomGraph(7, [ITEMS[0]!, ITEMS[2]!]);
    const first = entities.find((e) => e._type === "deferred_maintenance")!;
    delete first.createdOn;
    const second = entities.filter((e) => e._type === "deferred_maintenance")[1]!;
    second.closed = true;
    second.closedOn = "yesterday";
    await odd.upsert({ entities, relationships }, { now: NOW - 100 * DAY });
    const expected = itemStats(await loadFindings(odd, NOW), NOW);
    expect(json(await storeItemStats(odd, NOW))).toBe(json(expected));
    expect(json(await overview(odd, { now: NOW }))).toBe(json(await overviewOf(odd, await loadFindings(odd, NOW), { now: NOW })));
  });

  it("answers from the covering index alone on SQLite (no finding's JSON parsed)", async () => {
    if (backend !== "sqlite") return;
    // a store of its own: nothing kept from the tests above, every statement runs
    const store = await newStore(backend, true);
    const { entities, relationships } = randomGraph(7, ITEMS);
    await store.upsert({ entities, relationships }, { now: NOW - 100 * DAY });
    const statements: [string, readonly unknown[]][] = [];
    const spy: GraphStore = Object.create(store, {
      select: {
        value: (sql: string, params: readonly unknown[]) => {
          statements.push([sql, params]);
          return store.select(sql, params);
        },
      },
    });
    await storeItemStats(spy, NOW);
    await overview(spy, { now: NOW });
    const facts = statements.filter(([sql]) => sql.includes("deferred_maintenance"));
    // counts, burndown, medians, the young item's window; the overview's counts and ranking (its campaigns' counts)
    expect(facts.length).toBeGreaterThanOrEqual(6);
    for (const [sql, params] of facts) {
      const plan = (await store.select(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => String(r.detail));
      const reads = plan.filter((line) => /\bentities\b/.test(line));
      expect(reads.length, sql).toBeGreaterThan(0);
      for (const line of reads) expect(line, sql).toMatch(/USING COVERING INDEX entities_finding_facts/);
    }
  });

  it("answers a kept question without reading a finding, an item younger than the pace window included", async () => {
    const kept = await newStore(backend, true);
    const { entities, relationships } = randomGraph(5, ITEMS.filter((i) => !i.mixedText)); // mixed texts are read finding by finding
    await kept.upsert({ entities, relationships }, { now: NOW - 100 * DAY });
    const statements: string[] = [];
    const spy: GraphStore = Object.create(kept, {
      select: {
        value: (sql: string, params: readonly unknown[]) => {
          statements.push(sql);
          return kept.select(sql, params);
        },
      },
    });
    const first = json(await storeItemStats(spy, NOW));
    const firstOverview = json(await overview(spy, { now: NOW }));
    expect(statements.filter((sql) => sql.includes("deferred_maintenance")).length).toBeGreaterThan(0);
    statements.length = 0;
    expect(json(await storeItemStats(spy, NOW))).toBe(json(itemStats(await loadFindings(kept, NOW), NOW)));
    await overview(spy, { now: NOW });
    // the young item's window count came from the kept rows: no statement over the findings
    expect(statements.filter((sql) => sql.includes("deferred_maintenance")).map((s) => s.slice(0, 300))).toEqual([]);
    expect(json(await storeItemStats(kept, NOW))).toBe(first);
    expect(json(await overview(kept, { now: NOW }))).toBe(firstOverview);
  });

  it("caches the statistics for the server until the data changes, here or elsewhere, or a second passes", async () => {
    const cached = await newStore(backend, true);
    const { entities, relationships } = randomGraph(3, [ITEMS[0]!]);
    await cached.upsert({ entities, relationships }, { now: NOW - 100 * DAY });
    const first = await cachedItemStats(cached, NOW);
    expect(await cachedItemStats(cached, NOW)).toBe(first);
    expect(await cachedItemStats(cached, NOW + STATS_CACHE_MS - 1)).toBe(first);
    const later = await cachedItemStats(cached, NOW + STATS_CACHE_MS);
    expect(later).not.toBe(first);
    expect(json(later)).toBe(json(await storeItemStats(cached, NOW + STATS_CACHE_MS)));

    const open = entities.filter((e) => e._type === "deferred_maintenance" && e.closed === false);
    // a write through this connection
    await cached.upsert({ entities: [{ ...open[0]!, closed: true, status: "closed", closedOn: NOW - DAY, closeReason: "COMPLETE" }], relationships: [] }, { now: NOW });
    const afterWrite = await cachedItemStats(cached, NOW);
    expect(afterWrite[0]!.closed.total).toBe(first[0]!.closed.total + 1);
    expect(json(afterWrite)).toBe(json(itemStats(await loadFindings(cached, NOW), NOW)));
    // a write by another connection (another dm process)
    await cached.other!.upsert({ entities: [{ ...open[1]!, closed: true, status: "closed", closedOn: NOW - DAY, closeReason: "ERROR" }], relationships: [] }, { now: NOW });
    const afterOther = await cachedItemStats(cached, NOW);
    expect(afterOther[0]!.closed.ERROR).toBe(afterWrite[0]!.closed.ERROR + 1);
    expect(json(afterOther)).toBe(json(itemStats(await loadFindings(cached, NOW), NOW)));
  });
});
