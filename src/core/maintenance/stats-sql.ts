/**
 * Campaign statistics counted in SQL: the same ItemStats as itemStats() and
 * statsOf() in stats.ts compute from every finding, without loading the
 * findings. `dm stats`, GET /api/v1/stats and the dashboard overview call
 * these (stats.ts keeps the definitions; the SQL counts what they need):
 *
 * 1. one GROUP BY maintenance item: totals, open, overdue, closed by reason,
 *    the earliest due date and createdOn, the last closedOn, closed in the
 *    pace window, how many have a time to close, and whether the item's
 *    short description and link are the same on all its findings;
 * 2. the burndown: findings opened and stopped counting per UTC day;
 * 3. the median time to close: the middle one or two of each item's closed
 *    findings (a window function);
 * 4. for an item younger than the 14-day pace window (and older than a
 *    day), its findings closed since it was opened;
 * 5. the clock events up to the end of the UTC day (clockEvents): due
 *    dates passing and closedOns leaving the pace windows, applied to the
 *    kept counts at the caller's `now`.
 *
 * On SQLite every statement reads the covering index of migration 9 only
 * (src/query/finding-facts.ts). Findings whose properties the JS code reads
 * in its own way (a maintenanceId or createdOn missing or not a positive
 * number, a closedOn that is not a number) make the whole answer fall back
 * to loading the findings; so does an item whose findings disagree on the
 * short description or link (which one the JS code shows depends on the
 * order of the findings) for that item. So the answer is the same as the JS
 * computation's, whatever the data.
 */
import type { Params } from "../../query/dialect.js";
import { closedTest, findingFactsSql, numberTypes } from "../../query/finding-facts.js";

import type { GraphStore, Row } from "../../store/types.js";
import { DAY_MS } from "./due.js";
import { type Computed, cachedResult, earliest, itemVersions, type Update } from "./result-cache.js";
import { loadFindings } from "./finding.js";
import { burndownFromDays, forecastFrom, type ItemStats, itemStats, PACE_WINDOW_DAYS, paceWindowDays, statsOf, worstFirst } from "./stats.js";

/** The facts' SELECT of the columns named, its filter bound into the statement's parameters. */
type Facts = (params: Params, names: readonly string[], byItem?: boolean) => string;

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

interface ItemCounts {
  m: string;
  total: number;
  open: number;
  overdue: number;
  complete: number;
  error: number;
  accepted: number;
  closed: number;
  dueMin: number | null;
  createdMin: number | null;
  lastClosed: number | null;
  in14: number;
  in1: number;
  toClose: number;
  sinceOpened: number | null;
  sdMin: string | null;
  sdMax: string | null;
  sdNull: number;
  wlMin: string | null;
  wlMax: string | null;
  wlNull: number;
}

/** Whether every finding of the item has the same non-empty short description and the same link. */
function uniformText(x: ItemCounts): boolean {
  const sd = x.sdNull === 0 && x.sdMin !== null && x.sdMin !== "" && x.sdMin === x.sdMax;
  const wl = x.wlNull === x.total || (x.wlNull === 0 && x.wlMin === x.wlMax);
  return sd && wl;
}

/** One day's start (epoch ms) from a day number counted in SQL. */
const dayOf = (bucket: unknown) => num(bucket) * DAY_MS;

/** `ceil(v)` as a day number: a time counts on the day its next whole millisecond falls on (as the JS burndown compares). */
function dayBucket(store: GraphStore, v: string): string {
  return store.kind === "sqlite" ? `(CAST(ceil(${v}) AS INTEGER) / ${DAY_MS})` : `div(ceil(${v}), ${DAY_MS})`;
}

export interface StatsFilter {
  /** one item only */
  maintenanceId?: string;
  /**
   * false: skip the burndown (left empty) for a caller that does not show it
   * (dm stats' table, the overview's campaigns): one scan fewer
   */
  burndown?: boolean;
  /** false: skip the median time to close (left null) for a caller that does not show it (dm stats' table) */
  median?: boolean;
}

/**
 * Statistics of every item (worst first), or of one item (a list of one, or
 * empty when it has no findings), counted in SQL.
 */
async function statsRows(store: GraphStore, now: number, filter: StatsFilter): Promise<Computed<StatsRows | null>> {
  const d = store.dialect;
  const closed = closedTest(d);
  const p = d.newParams();
  const n = (v: number) => d.numberParam(p.add(v));
  const id = filter.maintenanceId;
  const facts: Facts = (q, names, byItem) =>
    findingFactsSql(d, names, id === undefined ? undefined : (f) => `${f("m")} = ${q.add(id)}`, { byItem });
  const nowP = n(now);
  const sum = (test: string) => `SUM(CASE WHEN ${test} THEN 1 ELSE 0 END)`;
  const odd = `m IS NULL OR cr IS NULL OR cr <= 0 OR (cot IS NOT NULL AND cot NOT IN (${numberTypes(d)}))`;
  const countsSql =
    `SELECT m, COUNT(*) AS total, SUM(CASE WHEN ${closed} THEN 0 ELSE 1 END) AS open, ` +
    `SUM(CASE WHEN ${closed} THEN 0 WHEN du > 0 AND du < ${nowP} THEN 1 ELSE 0 END) AS overdue, ` +
    `${sum(`${closed} AND r = 'COMPLETE'`)} AS complete, ${sum(`${closed} AND r = 'ERROR'`)} AS error, ` +
    `${sum(`${closed} AND r = 'RISK_ACCEPTED'`)} AS accepted, ${sum(closed)} AS closed, ` +
    `MIN(CASE WHEN du > 0 THEN du END) AS due_min, MIN(cr) AS created_min, MAX(CASE WHEN ${closed} THEN co END) AS last_closed, ` +
    `${sum(`${closed} AND co > ${n(now - PACE_WINDOW_DAYS * DAY_MS)} AND co <= ${nowP}`)} AS in14, ` +
    `${sum(`${closed} AND co > ${n(now - DAY_MS)} AND co <= ${nowP}`)} AS in1, ` +
    `${sum(`${closed} AND co >= cr`)} AS to_close, ` +
    `MIN(sd) AS sd_min, MAX(sd) AS sd_max, ${sum("sd IS NULL")} AS sd_null, MIN(wl) AS wl_min, MAX(wl) AS wl_max, ${sum("wl IS NULL")} AS wl_null, ` +
    `${sum(odd)} AS odd, ` +
    // when these counts may change other than by a clock event (events, below;
    // result-cache.ts): the next createdOn or closedOn to come
    `MIN(CASE WHEN cr > ${nowP} THEN cr END) AS nx_cr, MIN(CASE WHEN ${closed} AND co > ${nowP} THEN co END) AS nx_co ` +
    `FROM (${facts(p, ["m", "c", "cr", "du", "co", "cot", "r", "sd", "wl"], true)}) f GROUP BY m`;
  const rows = await store.select(countsSql, p.values);
  if (rows.some((r) => num(r.odd) > 0)) return { value: null, validUntil: Number.NEGATIVE_INFINITY };
  let validUntil = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  for (const r of rows) validUntil = earliest(validUntil, r.nx_cr, r.nx_co);
  const counts = rows.map(({ nx_cr: _b, nx_co: _c, odd: _f, ...r }) => r);
  if (counts.length === 0) return { value: { counts, days: [], middles: [], events: [] }, validUntil };
  // An item younger than the pace window counts its findings closed since it
  // was opened: counted here, once, so that a kept answer needs no statement
  // per young item. The window changes regime a day and 14 days after the
  // item's first createdOn: the counts are kept until then at most.
  for (const r of counts) {
    const createdOn = numOrNull(r.created_min);
    if (createdOn === null) continue;
    // (the first whole millisecond of the next regime, or one before: a boundary early only counts again)
    if (now - createdOn <= DAY_MS) validUntil = earliest(validUntil, Math.floor(createdOn + DAY_MS) + 1);
    else if (now - createdOn < PACE_WINDOW_DAYS * DAY_MS) {
      validUntil = earliest(validUntil, Math.ceil(createdOn + PACE_WINDOW_DAYS * DAY_MS) - 1);
      Object.assign(r, await closedSinceOpened(store, String(r.m), createdOn, now));
    }
  }
  const days = filter.burndown === false ? [] : await burndownRows(store, now, facts);
  const middles = filter.median === false ? [] : await medianRows(store, facts, counts.map(itemCounts));
  const events = await clockEvents(store, now, validUntil, facts);
  return { value: { counts, days, middles, events: events.rows }, validUntil: Math.min(validUntil, events.until) };
}

/** The windows a closedOn leaves as the clock moves: the pace window's 14 days (k = 1) and 1 day (k = 2). */
const WINDOW_MS: Record<number, number> = { 1: PACE_WINDOW_DAYS * DAY_MS, 2: DAY_MS };

/** At most this many clock events are kept with the counts; the counts are kept until the next one. */
const MAX_CLOCK_EVENTS = 50_000;

/**
 * The moments before `until` at which an item's counts change only because
 * the clock moved, one row per finding: an open finding's due date passes
 * (k = 0: overdue + 1), a closedOn leaves the 14-day window (k = 1: in14 - 1)
 * or the 1-day window (k = 2: in1 - 1). Kept with the counts, they make the
 * counts exact at any later `now` before `until` (atClock) without counting
 * again: at a million findings the next such moment is seconds away, while
 * a day holds a few thousand of them. Each row keeps the value the count's
 * own condition compares (the due date, the closedOn), so that atClock
 * compares exactly as the SQL does. A finding yields one event at most (a
 * closedOn within the last day leaves the 14-day window 13 days later).
 * More than MAX_CLOCK_EVENTS: the first ones are kept, and `until` moves to
 * the first one left out.
 */
async function clockEvents(store: GraphStore, now: number, until: number, facts: Facts): Promise<{ rows: Row[]; until: number }> {
  const d = store.dialect;
  const p = d.newParams();
  const closed = closedTest(d);
  const n = (v: number) => d.numberParam(p.add(v));
  const [w14, w1] = [WINDOW_MS[1]!, WINDOW_MS[2]!];
  const k =
    `CASE WHEN NOT (${closed}) AND du >= ${n(now)} AND du < ${n(until)} THEN 0 ` +
    `WHEN ${closed} AND co > ${n(now - w14)} AND co <= ${n(until - w14)} THEN 1 ` +
    `WHEN ${closed} AND co > ${n(now - w1)} AND co <= ${n(until - w1)} THEN 2 END`;
  const inner = `SELECT m, ${k} AS k, du, co FROM (${facts(p, ["m", "c", "du", "co"])}) f`;
  const sql =
    `SELECT m, k, CASE WHEN k = 0 THEN du ELSE co END AS t FROM (${inner}) e WHERE k IS NOT NULL ` +
    `ORDER BY CASE k WHEN 0 THEN du WHEN 1 THEN co + ${w14} ELSE co + ${w1} END LIMIT ${MAX_CLOCK_EVENTS + 1}`;
  const rows = (await store.select(sql, p.values)).map((r) => ({ m: String(r.m), k: num(r.k), t: num(r.t) }));
  if (rows.length <= MAX_CLOCK_EVENTS) return { rows, until };
  const first = rows.pop()!;
  // (the left-out event changes the counts at its moment or a millisecond after: early only counts again)
  return { rows, until: Math.floor(first.t + (WINDOW_MS[first.k] ?? 0)) };
}

/** The counts of `rows` at `now`: each clock event (clockEvents) that has happened by then applied. */
function atClock(rows: StatsRows, now: number): ItemCounts[] {
  const counts = new Map(rows.counts.map((r) => [String(r.m), itemCounts(r)]));
  for (const e of rows.events) {
    const x = counts.get(String(e.m));
    if (!x) continue;
    const t = num(e.t);
    const k = num(e.k);
    if (k === 0) {
      if (t < now) x.overdue++;
    } else if (!(t > now - WINDOW_MS[k]!)) {
      if (k === 1) x.in14--;
      else x.in1--;
    }
  }
  return [...counts.values()];
}

/**
 * Kept rows brought up to date by counting again only the items whose
 * findings changed: their rows replaced by a count of each alone (the same
 * statements, for one item). Everything is counted again when the kept rows
 * fell back, or a changed finding has no string maintenanceId ("").
 */
function recountItems(store: GraphStore, now: number, filter: StatsFilter): Update<StatsRows | null> {
  return async (kept, changed) => {
    if (kept === null || changed.has("")) return undefined;
    const items = [...changed].filter((m) => filter.maintenanceId === undefined || m === filter.maintenanceId).sort();
    let rows: StatsRows = kept;
    let validUntil = Number.POSITIVE_INFINITY;
    for (const m of items) {
      const counted = await statsRows(store, now, { ...filter, maintenanceId: m });
      // findings the SQL does not read the same way: the whole answer falls back, as a full count would
      if (counted.value === null) return counted;
      const others = (list: readonly Row[]) => list.filter((r) => String(r.m) !== m);
      rows = {
        counts: [...others(rows.counts), ...counted.value.counts],
        days: [...others(rows.days), ...counted.value.days],
        middles: [...others(rows.middles), ...counted.value.middles],
        events: [...others(rows.events), ...counted.value.events],
      };
      validUntil = Math.min(validUntil, counted.validUntil);
    }
    return { value: rows, validUntil };
  };
}

/** The rows storeItemStats counts in SQL (kept by result-cache.ts); null when it falls back to loading the findings. */
interface StatsRows {
  counts: Row[];
  days: Row[];
  middles: Row[];
  /** the clock events (clockEvents) of the counts */
  events: Row[];
}

function isStatsRows(v: unknown): v is StatsRows | null {
  if (v === null) return true;
  const x = v as StatsRows;
  return typeof v === "object" && Array.isArray(x.counts) && Array.isArray(x.days) && Array.isArray(x.middles) && Array.isArray(x.events);
}

function itemCounts(r: Row): ItemCounts {
  return {
    m: String(r.m),
    total: num(r.total),
    open: num(r.open),
    overdue: num(r.overdue),
    complete: num(r.complete),
    error: num(r.error),
    accepted: num(r.accepted),
    closed: num(r.closed),
    dueMin: numOrNull(r.due_min),
    createdMin: numOrNull(r.created_min),
    lastClosed: numOrNull(r.last_closed),
    in14: num(r.in14),
    in1: num(r.in1),
    toClose: num(r.to_close),
    // counted for an item younger than the pace window (statsRows); null when
    // absent or when the window's exact start decides (closedSinceOpened)
    sinceOpened: typeof r.since === "number" && r.near === 0 ? r.since : null,
    sdMin: r.sd_min as string | null,
    sdMax: r.sd_max as string | null,
    sdNull: num(r.sd_null),
    wlMin: r.wl_min as string | null,
    wlMax: r.wl_max as string | null,
    wlNull: num(r.wl_null),
  };
}

/**
 * Statistics of every item (worst first), or of one item (a list of one, or
 * empty when it has no findings), counted in SQL; the counts are kept in the
 * result cache (result-cache.ts) while the findings and the counts' time
 * range allow, and the statistics built from them with `now`.
 */
export async function storeItemStats(store: GraphStore, now: number, filter: StatsFilter = {}): Promise<ItemStats[]> {
  const name = `stats:${JSON.stringify([filter.maintenanceId ?? null, filter.burndown !== false, filter.median !== false])}`;
  const rows = await cachedResult(store, name, now, () => statsRows(store, now, filter), isStatsRows, recountItems(store, now, filter));
  if (rows === null) return fallback(store, now, filter);
  return statsFromRows(store, now, filter, rows);
}

/** The same statistics, always counted again (the cache's reference). */
export async function uncachedItemStats(store: GraphStore, now: number, filter: StatsFilter = {}): Promise<ItemStats[]> {
  const { value } = await statsRows(store, now, filter);
  if (value === null) return fallback(store, now, filter);
  return statsFromRows(store, now, filter, value);
}

async function statsFromRows(store: GraphStore, now: number, filter: StatsFilter, rows: StatsRows): Promise<ItemStats[]> {
  const d = store.dialect;
  const counts = atClock(rows, now);
  if (counts.length === 0) return [];
  const days = burndownFrom(rows.days);
  const middles = new Map<string, number[]>();
  for (const r of rows.middles) {
    const m = String(r.m);
    const day = (num(r.co) - num(r.cr)) / DAY_MS;
    const list = middles.get(m);
    if (list) list.push(day);
    else middles.set(m, [day]);
  }
  const stats: ItemStats[] = [];
  for (const x of counts) {
    if (!uniformText(x)) {
      stats.push(trim(statsOf(await loadFindings(store, now, { maintenanceId: x.m }), now), filter));
      continue;
    }
    const createdOn = x.createdMin!;
    const dueDate = x.dueMin ?? 0;
    const windowDays = paceWindowDays(now, createdOn);
    const closedInWindow =
      windowDays === PACE_WINDOW_DAYS
        ? x.in14
        : windowDays === 1
          ? x.in1
          : x.sinceOpened !== null
            ? x.sinceOpened
            : await closedSince(store, x.m, now - windowDays * DAY_MS, now);
    const middle = middles.get(x.m) ?? [];
    const medianDays =
      middle.length === 0 ? null : middle.length === 1 ? middle[0]! : (middle[0]! + middle[1]!) / 2;
    const burn = days.get(x.m) ?? { opened: new Map(), closed: new Map() };
    const burndown = filter.burndown === false ? [] : burndownFromDays(burn.opened, burn.closed, now, createdOn);
    stats.push({
      maintenanceId: x.m,
      shortDescription: x.sdMin!,
      webLink: x.wlMin ?? "",
      dueDate,
      createdOn,
      total: x.total,
      open: x.open,
      overdue: x.overdue,
      closed: { total: x.closed, COMPLETE: x.complete, ERROR: x.error, RISK_ACCEPTED: x.accepted, unknown: x.closed - x.complete - x.error - x.accepted },
      completion: x.closed / x.total,
      medianDaysToClose: medianDays,
      burndown,
      forecast: forecastFrom({ open: x.open, closedInWindow, lastClosed: Math.max(0, x.lastClosed ?? 0), windowDays }, now, dueDate),
    });
  }
  return stats.sort(worstFirst);

  async function closedSince(s: GraphStore, item: string, start: number, end: number): Promise<number> {
    const q = d.newParams();
    const where = findingFactsSql(d, ["c", "co"], (f) => `${f("m")} = ${q.add(item)}`);
    const sql = `SELECT COUNT(*) AS n FROM (${where}) f WHERE ${closedTest(d)} AND co > ${d.numberParam(q.add(start))} AND co <= ${d.numberParam(q.add(end))}`;
    return num((await s.select(sql, q.values))[0]?.n ?? 0);
  }
}

/**
 * How far from the item's first createdOn the pace window's start may fall:
 * the window of a young item starts at `now - ((now - createdOn) / DAY_MS) *
 * DAY_MS` (stats.ts), which is createdOn up to a few units in the last place.
 */
const WINDOW_START_SLACK_MS = 0.001;

/**
 * An item's findings closed after its first createdOn and at or before now
 * (`since`), and how many closed within WINDOW_START_SLACK_MS of createdOn
 * (`near`): for those, whether they are in the window depends on the
 * rounding of its start, and the count is made again with the exact start
 * (statsFromRows).
 */
async function closedSinceOpened(store: GraphStore, item: string, createdOn: number, now: number): Promise<{ since: number; near: number }> {
  const d = store.dialect;
  const q = d.newParams();
  const where = findingFactsSql(d, ["c", "co"], (f) => `${f("m")} = ${q.add(item)}`);
  const lo = d.numberParam(q.add(createdOn - WINDOW_START_SLACK_MS));
  const hi = d.numberParam(q.add(createdOn + WINDOW_START_SLACK_MS));
  const sql =
    `SELECT SUM(CASE WHEN co > ${hi} THEN 1 ELSE 0 END) AS since, SUM(CASE WHEN co >= ${lo} AND co <= ${hi} THEN 1 ELSE 0 END) AS near ` +
    `FROM (${where}) f WHERE ${closedTest(d)} AND co <= ${d.numberParam(q.add(now))}`;
  const row = (await store.select(sql, q.values))[0] ?? {};
  return { since: num(row.since ?? 0), near: num(row.near ?? 0) };
}

/** Leave out what the caller asked to skip, so the answer is the same whichever way it was counted. */
function trim(x: ItemStats, filter: StatsFilter): ItemStats {
  return { ...x, ...(filter.burndown === false ? { burndown: [] } : {}), ...(filter.median === false ? { medianDaysToClose: null } : {}) };
}

/** The JS computation over every finding: for data the SQL does not read the same way. */
async function fallback(store: GraphStore, now: number, filter: StatsFilter): Promise<ItemStats[]> {
  const findings = await loadFindings(store, now, filter.maintenanceId === undefined ? {} : { maintenanceId: filter.maintenanceId });
  const all = filter.maintenanceId !== undefined ? (findings.length === 0 ? [] : [statsOf(findings, now)]) : itemStats(findings, now);
  return all.map((x) => trim(x, filter));
}

/** Findings opened, and findings that stopped counting as open, per item and UTC day, at or before now. */
async function burndownRows(store: GraphStore, now: number, facts: Facts): Promise<Row[]> {
  const d = store.dialect;
  const p1 = d.newParams();
  const f1 = facts(p1, ["m", "cr"]);
  const opened = `SELECT m, 0 AS k, ${dayBucket(store, "cr")} AS day, COUNT(*) AS n FROM (${f1}) f WHERE cr <= ${d.numberParam(p1.add(now))} GROUP BY m, ${dayBucket(store, "cr")}`;
  const f2 = facts(p1, ["m", "c", "co", "cr"]);
  const end = `CASE WHEN co > 0 AND co > cr THEN co ELSE cr END`;
  const stopped =
    `SELECT m, 1 AS k, ${dayBucket(store, "x")} AS day, COUNT(*) AS n FROM (SELECT m, ${end} AS x FROM (${f2}) f WHERE ${closedTest(d)}) g ` +
    `WHERE x <= ${d.numberParam(p1.add(now))} GROUP BY m, ${dayBucket(store, "x")}`;
  return store.select(`${opened} UNION ALL ${stopped}`, p1.values);
}

function burndownFrom(rows: readonly Row[]) {
  const byItem = new Map<string, { opened: Map<number, number>; closed: Map<number, number> }>();
  for (const r of rows) {
    const m = String(r.m);
    let entry = byItem.get(m);
    if (!entry) {
      entry = { opened: new Map(), closed: new Map() };
      byItem.set(m, entry);
    }
    (num(r.k) === 0 ? entry.opened : entry.closed).set(dayOf(r.day), num(r.n));
  }
  return byItem;
}

/** The middle one or two times to close (in days) of each item that has any. */
async function medianRows(store: GraphStore, facts: Facts, counts: readonly ItemCounts[]): Promise<Row[]> {
  if (!counts.some((x) => x.toClose > 0)) return [];
  const d = store.dialect;
  const p = d.newParams();
  const sql =
    `SELECT m, co, cr FROM (SELECT m, co, cr, ROW_NUMBER() OVER (PARTITION BY m ORDER BY co - cr, id) AS rn, COUNT(*) OVER (PARTITION BY m) AS n ` +
    `FROM (${facts(p, ["id", "m", "c", "co", "cr"])}) f WHERE ${closedTest(d)} AND co >= cr) g WHERE rn = (n + 1) / 2 OR rn = n / 2 + 1 ORDER BY m, rn`;
  return store.select(sql, p.values);
}

/**
 * How long (in the caller's clock) GET /api/v1/stats may answer with
 * statistics counted earlier while the data has not changed: at most this
 * much behind `now` (an overdue count or today's burndown point may lag by
 * up to a second). Any write, by this process or another, is seen at once.
 */
export const STATS_CACHE_MS = 1000;

interface CacheEntry {
  token: string;
  now: number;
  value: Promise<ItemStats[]>;
}
const caches = new WeakMap<GraphStore, Map<string, CacheEntry>>();

/**
 * storeItemStats for a server under load: the same answer, counted again
 * only when the data changed or the last count is STATS_CACHE_MS behind
 * `now`. Requests at the same time share one count. The token is read before
 * counting, so a write during a count makes the next request count again.
 */
export async function cachedItemStats(store: GraphStore, now: number, filter: StatsFilter = {}): Promise<ItemStats[]> {
  // the items' versions (result-cache.ts): any write of a finding, by this process or another, moves them
  const token = (await itemVersions(store)).key;
  let cache = caches.get(store);
  if (!cache) {
    cache = new Map();
    caches.set(store, cache);
  }
  const key = JSON.stringify([filter.maintenanceId ?? null, filter.burndown !== false, filter.median !== false]);
  const hit = cache.get(key);
  if (hit && hit.token === token && now >= hit.now && now - hit.now < STATS_CACHE_MS) return hit.value;
  const value = storeItemStats(store, now, filter);
  const entry = { token, now, value };
  cache.set(key, entry);
  value.catch(() => {
    if (cache.get(key) === entry) cache.delete(key);
  });
  // one entry per item asked for at most: bounded by the items
  if (cache.size > 1000) cache.clear();
  return value;
}
