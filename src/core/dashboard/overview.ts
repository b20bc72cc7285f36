/**
 * The dashboard's overview and campaign views: counts, rankings and how far
 * behind schedule each item is, over the same findings and item statistics
 * as dm stats (stats.ts).
 */
import { j1qlString } from "../../query/quote.js";
import { runQuery } from "../../query/run.js";
import { NotFoundError } from "../../shared/errors.js";
import type { GraphStore, Row } from "../../store/types.js";
import { DAY_MS } from "../maintenance/due.js";
import type { Params } from "../../query/dialect.js";
import { closedTest, findingFactsSql, openTest } from "../../query/finding-facts.js";
import { FINDING_TYPE, type Finding, findingFrom, loadFindings, ownerKey } from "../maintenance/finding.js";
import { type Computed, cachedResult } from "../maintenance/result-cache.js";
import { storeItemStats } from "../maintenance/stats-sql.js";
import { isOverdue } from "../maintenance/report.js";
import { type ItemStats, itemStats, statsOf } from "../maintenance/stats.js";

/** How many assets and owners the overview ranks. */
export const OVERVIEW_TOP = 10;
/** "See all": at most this many riskiest assets and owners in one answer (each asset's page is looked up). */
export const OVERVIEW_ALL = 500;

/** Whole days past due (0 on the due day), for an open finding; null otherwise. */
export function daysOverdue(f: Finding, now: number): number | null {
  return isOverdue(f, now) ? Math.floor((now - f.dueDate) / DAY_MS) : null;
}

/** open, overdue, or the close reason ("closed" when none was recorded). */
export function findingStatus(f: Finding, now: number): string {
  if (!f.closed) return isOverdue(f, now) ? "overdue" : "open";
  return f.closeReason ?? "closed";
}

/**
 * How far behind schedule a campaign is: the share it should have done by
 * now if work went at an even pace from its creation to its due date, minus
 * the share done. Positive is behind, negative ahead.
 */
export function behindSchedule(item: Pick<ItemStats, "createdOn" | "dueDate" | "completion">, now: number): { expected: number; behind: number } {
  const span = item.dueDate - item.createdOn;
  const expected = span <= 0 ? 1 : Math.min(1, Math.max(0, (now - item.createdOn) / span));
  return { expected, behind: expected - item.completion };
}

interface Ranked {
  open: number;
  overdue: number;
  /** the largest days overdue among its findings */
  maxDaysOverdue: number;
  /** the sum of days overdue: weighs how late as well as how many */
  totalDaysOverdue: number;
}

function addTo(r: Ranked, f: Finding, now: number): void {
  r.open++;
  const late = daysOverdue(f, now);
  if (late !== null) {
    r.overdue++;
    r.totalDaysOverdue += late;
    r.maxDaysOverdue = Math.max(r.maxDaysOverdue, late);
  }
}

/** Riskiest first: most overdue, then most days overdue, then most open. */
function riskiest(a: Ranked, b: Ranked): number {
  return b.overdue - a.overdue || b.totalDaysOverdue - a.totalDaysOverdue || b.open - a.open;
}

async function entityIdByKey(store: GraphStore, key: string, now: number): Promise<string | undefined> {
  const result = await runQuery(store, `Find * with _key = ${j1qlString(key)}`, { now, pageSize: 1 });
  return result.type === "list" ? result.data[0]?.id : undefined;
}

/**
 * The assets with the riskiest open findings (most overdue, then most days
 * overdue, then most open), at most OVERVIEW_TOP, each with its `_id`: the
 * overview's ranking over every finding, a team page's over its own.
 */
export async function riskiestAssets(store: GraphStore, findings: readonly Finding[], now: number, top = OVERVIEW_TOP) {
  const assets = new Map<string, Ranked & { key: string; name: string; type: string; owner: string }>();
  for (const f of findings) {
    if (f.closed) continue;
    let asset = assets.get(f.entityKey);
    if (!asset) {
      asset = { open: 0, overdue: 0, maxDaysOverdue: 0, totalDaysOverdue: 0, key: f.entityKey, name: f.entityName || f.entityKey, type: f.entityType, owner: f.owner ?? "" };
      assets.set(f.entityKey, asset);
    }
    addTo(asset, f, now);
  }
  const ranked = [...assets.values()].sort(riskiest).slice(0, top);
  const ids = await Promise.all(ranked.map((a) => entityIdByKey(store, a.key, now)));
  return ranked.map((a, i) => ({ ...a, id: ids[i] ?? null }));
}

/** Every item with how far behind schedule it is, most behind first (without the burndown). */
export function campaignsBehind(findings: readonly Finding[], now: number) {
  return itemStats(findings, now)
    .map(({ burndown: _burndown, ...item }) => ({ ...item, ...behindSchedule(item, now) }))
    .sort((a, b) => b.behind - a.behind || b.overdue - a.overdue || a.dueDate - b.dueDate);
}

/** Every item with how far behind schedule it is, most behind first, counted in SQL (storeItemStats). */
export async function storeCampaignsBehind(store: GraphStore, now: number) {
  return (await storeItemStats(store, now, { burndown: false }))
    .map(({ burndown: _burndown, ...item }) => ({ ...item, ...behindSchedule(item, now) }))
    .sort((a, b) => b.behind - a.behind || b.overdue - a.overdue || a.dueDate - b.dueDate);
}

/**
 * The rows the overview counts in SQL (kept by result-cache.ts), as they were
 * at `at`, with the clock events that change them before the kept rows'
 * time range ends (overviewAt applies them).
 */
interface OverviewRows {
  counts: Row[];
  /** every owner ('o'), the top assets ('a'), and the other assets with an event ('a') */
  ranked: Row[];
  merged: Row[];
  /** one per open finding whose lateness changes in the time range: owner as written (ow), asset (k), due date (du) */
  events: Row[];
  at: number;
}

function isOverviewRows(v: unknown): v is OverviewRows {
  const x = v as OverviewRows;
  return (
    typeof v === "object" &&
    v !== null &&
    Array.isArray(x.counts) &&
    Array.isArray(x.ranked) &&
    Array.isArray(x.merged) &&
    Array.isArray(x.events) &&
    typeof x.at === "number"
  );
}

/** At most this many clock events are kept with the overview's rows; the rows are kept until the next one. */
export const MAX_OVERVIEW_EVENTS = 10_000;

/** An open finding's whole days overdue at `now` as the SQL counts them (late()), -1 when it is not overdue. */
function lateness(du: number, now: number): number {
  return du > 0 && du < now ? Math.floor((now - du) / DAY_MS) : -1;
}

/** A SQL number as JS: PostgreSQL's bigint and numeric come back as strings. */
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));

/**
 * The kept rows at `now` (at or after they were counted, before their time
 * range ends): each event's finding counted as late as it is at `now`, in the
 * totals, its owner's row and its asset's row, then the assets ranked again
 * and the top `top` kept. Exact because every value the ranking compares
 * only grows with the clock while nothing is written: an asset outside the
 * top without an event cannot overtake the ones in it, so the top at `now`
 * is among the kept rows.
 */
function overviewAt(rows: OverviewRows, now: number, top: number): Pick<OverviewRows, "counts" | "ranked" | "merged"> {
  const counts = { ...(rows.counts[0] ?? {}) };
  const numbers = (r: Row): Row => ({ ...r, open: num(r.open), overdue: num(r.overdue), total_days: num(r.total_days), max_days: num(r.max_days), first: num(r.first) });
  const owners = new Map<unknown, Row>();
  const assets = new Map<unknown, Row>();
  for (const r of rows.ranked) (r.kind === "o" ? owners : assets).set(r.name ?? null, numbers(r));
  counts.overdue = num(counts.overdue ?? 0);
  for (const e of rows.events) {
    const du = num(e.du);
    const before = lateness(du, rows.at);
    const after = lateness(du, now);
    if (before === after) continue;
    const overdue = (after >= 0 ? 1 : 0) - (before >= 0 ? 1 : 0);
    counts.overdue = (counts.overdue as number) + overdue;
    for (const row of [owners.get(e.ow ?? null), assets.get(e.k ?? "")]) {
      if (!row) continue;
      row.overdue = (row.overdue as number) + overdue;
      row.total_days = (row.total_days as number) + Math.max(after, 0) - Math.max(before, 0);
      row.max_days = Math.max(row.max_days as number, after);
    }
  }
  // as the SQL orders them: most overdue, most days overdue, most open, then the first finding made
  const ranked = [...assets.values()]
    .sort((a, b) => (b.overdue as number) - (a.overdue as number) || (b.total_days as number) - (a.total_days as number) || (b.open as number) - (a.open as number) || (a.first as number) - (b.first as number))
    .slice(0, top);
  return { counts: [counts], ranked: [...owners.values(), ...ranked], merged: rows.merged };
}

/**
 * The whole debt at a glance: counts, the riskiest assets and owners, and
 * every campaign with how far behind schedule it is, most behind first.
 * Counted in SQL over the findings' facts (src/query/finding-facts.ts), the
 * same numbers as overviewOf() over every finding: owners grouped by their
 * exact name in SQL, then by ownerKey here; the riskiest assets ranked in
 * SQL (ties in the order the findings were made), each named after its
 * first open finding.
 */
export async function overview(store: GraphStore, options: { now: number; top?: number }) {
  const { now } = options;
  const top = options.top ?? OVERVIEW_TOP;
  const d = store.dialect;
  const closed = closedTest(d);
  const open = openTest(d);
  // whole days overdue of an open finding at `at` (as daysOverdue()), `notLate` when it is not overdue then
  const daysLate = (p: Params, at: number, notLate: number) =>
    `CASE WHEN du > 0 AND du < ${d.numberParam(p.add(at))} THEN floor((${d.numberParam(p.add(at))} - du) / ${DAY_MS}.0) ELSE ${notLate} END`;
  const late = (p: Params) => daysLate(p, now, 0);
  const isLate = (p: Params) => `CASE WHEN du > 0 AND du < ${d.numberParam(p.add(now))} THEN 1 ELSE 0 END`;

  const pc = d.newParams();
  const countsSql =
    `SELECT COUNT(*) AS total, SUM(CASE WHEN ${closed} THEN 1 ELSE 0 END) AS closed, ` +
    `SUM(CASE WHEN ${closed} AND r = 'RISK_ACCEPTED' THEN 1 ELSE 0 END) AS accepted, ` +
    `SUM(CASE WHEN ${open} THEN ${isLate(pc)} ELSE 0 END) AS overdue ` +
    `FROM (${findingFactsSql(d, ["c", "du", "r"])}) f`;
  // One grouping of the open findings by (owner as written, asset), then by
  // owner (its assets are its groups) and by asset (the riskiest first, and
  // how many assets there are): one sort of the open findings, not three.
  const pg = d.newParams();
  const groups =
    `SELECT ow, COALESCE(ek, '') AS k, MIN(id) AS first, COUNT(*) AS open, SUM(${isLate(pg)}) AS overdue, SUM(${late(pg)}) AS total_days, ` +
    `MAX(${late(pg)}) AS max_days FROM (${findingFactsSql(d, ["id", "c", "du", "ek", "ow"])}) f WHERE ${open} GROUP BY ow, COALESCE(ek, '')`;
  const rankedSql =
    `WITH g AS MATERIALIZED (${groups}) ` +
    `SELECT 'o' AS kind, ow AS name, MIN(first) AS first, SUM(open) AS open, SUM(overdue) AS overdue, SUM(total_days) AS total_days, MAX(max_days) AS max_days, COUNT(*) AS n ` +
    `FROM g GROUP BY ow UNION ALL ` +
    `SELECT 'a' AS kind, name, first, open, overdue, total_days, max_days, n FROM (SELECT k AS name, MIN(first) AS first, SUM(open) AS open, SUM(overdue) AS overdue, ` +
    `SUM(total_days) AS total_days, MAX(max_days) AS max_days, COUNT(*) OVER () AS n FROM g GROUP BY k ` +
    `ORDER BY overdue DESC, total_days DESC, open DESC, first LIMIT ${pg.add(top)}) a`;
  // The clock events until the end of the UTC day: each open finding whose
  // lateness (daysLate with -1 before its due date, as lateness() in JS)
  // differs then from now, in the order they happen (its due date, or its
  // next whole day).
  const dayEnd = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  const pe = d.newParams();
  const eventsSql =
    `SELECT ow, COALESCE(ek, '') AS k, du, CASE WHEN du >= ${d.numberParam(pe.add(now))} THEN du ` +
    `ELSE du + (floor((${d.numberParam(pe.add(now))} - du) / ${DAY_MS}.0) + 1) * ${DAY_MS} END AS t ` +
    `FROM (${findingFactsSql(d, ["c", "du", "ek", "ow"])}) f WHERE ${open} AND ${daysLate(pe, dayEnd, -1)} <> ${daysLate(pe, now, -1)} ` +
    `ORDER BY t LIMIT ${MAX_OVERVIEW_EVENTS + 1}`;
  const count = async (): Promise<Computed<OverviewRows>> => {
    const [countRows, rankedRows, eventRows] = await Promise.all([
      store.select(countsSql, pc.values),
      store.select(rankedSql, pg.values),
      store.select(eventsSql, pe.values),
    ]);
    let validUntil = dayEnd;
    if (eventRows.length > MAX_OVERVIEW_EVENTS) {
      // kept until the first event left out (a whole millisecond early: the division may round)
      validUntil = Math.floor(num(eventRows.pop()!.t)) - 1;
    }
    // (those at or after the end of the range never apply: at data with a due date per campaign, most of them)
    const events = eventRows.filter((e) => num(e.t) <= validUntil).map((e) => ({ ow: e.ow ?? null, k: String(e.k), du: num(e.du) }));
    // the assets outside the top that have an event: as they are now, to be ranked again at a later `now`
    const shown = new Set(rankedRows.filter((r) => r.kind === "a").map((r) => String(r.name)));
    const others = [...new Set(events.map((e) => e.k))].filter((k) => !shown.has(k));
    const assetCount = rankedRows.find((r) => r.kind === "a")?.n ?? 0;
    const otherRows = others.length === 0 ? [] : (await assetsNamed(others)).map((r) => ({ ...r, n: assetCount }));
    return {
      value: { counts: countRows, ranked: [...rankedRows, ...otherRows], merged: await mergedRows(rankedRows), events, at: now },
      validUntil,
    };
  };
  // the given assets' rows as the ranking counts them now
  const assetsNamed = async (keys: readonly string[]): Promise<Row[]> => {
    const pa = d.newParams();
    const list = d.listParam(pa, "string", keys);
    return store.select(
      `SELECT 'a' AS kind, COALESCE(ek, '') AS name, MIN(id) AS first, COUNT(*) AS open, SUM(${isLate(pa)}) AS overdue, ` +
        `SUM(${late(pa)}) AS total_days, MAX(${late(pa)}) AS max_days ` +
        `FROM (${findingFactsSql(d, ["id", "c", "du", "ek"])}) f WHERE ${open} AND ${d.inList("COALESCE(ek, '')", list)} GROUP BY COALESCE(ek, '')`,
      pa.values,
    );
  };
  // an owner written several ways: its assets counted once across them
  const mergedRows = async (rankedRows: readonly Row[]): Promise<Row[]> => {
    const byKey = new Map<string, string[]>();
    for (const r of rankedRows) {
      if (r.kind !== "o") continue;
      const name = typeof r.name === "string" ? r.name : "";
      byKey.set(ownerKey(name), [...(byKey.get(ownerKey(name)) ?? []), name]);
    }
    const names = [...byKey.values()].filter((list) => list.length > 1).flat();
    if (names.length === 0) return [];
    const pm = d.newParams();
    const list = d.listParam(pm, "string", names);
    return store.select(
      `SELECT o, k FROM (SELECT COALESCE(ow, '') AS o, COALESCE(ek, '') AS k FROM (${findingFactsSql(d, ["c", "ek", "ow"])}) f WHERE ${open}) g ` +
        `WHERE ${d.inList("o", list)} GROUP BY o, k`,
      pm.values,
    );
  };
  const [kept, campaigns] = await Promise.all([
    cachedResult(store, `overview:${top}`, now, count, isOverviewRows),
    storeCampaignsBehind(store, now),
  ]);
  const rows = overviewAt(kept, now, top);
  const countRows = rows.counts;
  const rankedRows = rows.ranked;
  const ownerRows: Row[] = rankedRows.filter((r) => r.kind === "o").map((r) => ({ ...r, ow: r.name, assets: r.n }));
  const assetRows: Row[] = rankedRows.filter((r) => r.kind === "a").map((r) => ({ ...r, k: r.name }));
  const assetCount = num(assetRows[0]?.n ?? 0);

  const c = countRows[0] ?? {};
  const total = num(c.total ?? 0);
  const closedCount = num(c.closed ?? 0);

  // owners: one row per exact name in SQL, one per ownerKey here, named as first seen
  type OwnerRow = Ranked & { owner: string; first: number; assets: number; names: string[] };
  const owners = new Map<string, OwnerRow>();
  for (const r of ownerRows) {
    const name = typeof r.ow === "string" ? r.ow : "";
    const row = { open: num(r.open), overdue: num(r.overdue), maxDaysOverdue: num(r.max_days), totalDaysOverdue: num(r.total_days), first: num(r.first), assets: num(r.assets) };
    const known = owners.get(ownerKey(name));
    if (!known) {
      owners.set(ownerKey(name), { ...row, owner: name, names: [name] });
      continue;
    }
    known.open += row.open;
    known.overdue += row.overdue;
    known.totalDaysOverdue += row.totalDaysOverdue;
    known.maxDaysOverdue = Math.max(known.maxDaysOverdue, row.maxDaysOverdue);
    if (row.first < known.first) {
      known.first = row.first;
      known.owner = name;
    }
    known.names.push(name);
  }
  const merged = [...owners.values()].filter((o) => o.names.length > 1);
  if (merged.length > 0) {
    // an owner written several ways: its assets counted once across them (mergedRows)
    const sets = new Map<string, Set<string>>();
    for (const r of rows.merged) {
      const key = ownerKey(String(r.o));
      const set = sets.get(key) ?? new Set<string>();
      set.add(String(r.k));
      sets.set(key, set);
    }
    for (const o of merged) o.assets = sets.get(ownerKey(o.owner))?.size ?? 0;
  }

  // the riskiest assets, named after their first open finding
  const firsts = await store.getEntities(assetRows.map((r) => String(r.first)));
  const firstById = new Map(firsts.map((e) => [e.id, findingFrom(e.id, e.key, e.props)]));
  const ranked = assetRows.map((r) => {
    const f = firstById.get(String(r.first));
    const key = String(r.k);
    return {
      open: num(r.open),
      overdue: num(r.overdue),
      maxDaysOverdue: num(r.max_days),
      totalDaysOverdue: num(r.total_days),
      key,
      name: f?.entityName || key,
      type: f?.entityType ?? "",
      owner: f?.owner ?? "",
    };
  });
  const ids = await Promise.all(ranked.map((a) => entityIdByKey(store, a.key, now)));

  return {
    now,
    counts: {
      total,
      open: total - closedCount,
      overdue: num(c.overdue ?? 0),
      accepted: num(c.accepted ?? 0),
      closed: closedCount,
      campaigns: campaigns.length,
      assets: assetCount,
      owners: owners.size,
    },
    riskiestAssets: ranked.map((a, i) => ({ ...a, id: ids[i] ?? null })),
    riskiestOwners: [...owners.values()]
      .sort((x, y) => riskiest(x, y) || x.first - y.first)
      .slice(0, top)
      .map(({ open: o, overdue, maxDaysOverdue, totalDaysOverdue, owner, assets }) => ({ open: o, overdue, maxDaysOverdue, totalDaysOverdue, owner, assets })),
    campaigns,
  };
}

/**
 * The overview counted over the findings one by one: the definition that
 * overview() counts in SQL (its tests compare the two), and its answer for
 * data the SQL does not read the same way.
 */
export async function overviewOf(store: GraphStore, findings: readonly Finding[], options: { now: number; top?: number }) {
  const { now } = options;
  const top = options.top ?? OVERVIEW_TOP;
  const counts = { total: findings.length, open: 0, overdue: 0, accepted: 0, closed: 0, campaigns: 0, assets: 0, owners: 0 };
  const owners = new Map<string, Ranked & { owner: string; assets: Set<string> }>();
  for (const f of findings) {
    if (f.closed) {
      counts.closed++;
      if (f.closeReason === "RISK_ACCEPTED") counts.accepted++;
      continue;
    }
    counts.open++;
    if (isOverdue(f, now)) counts.overdue++;
    const zero = { open: 0, overdue: 0, maxDaysOverdue: 0, totalDaysOverdue: 0 };
    // one row per owner whatever the case (ownerKey); named as first seen
    const ownerName = f.owner ?? "";
    let owner = owners.get(ownerKey(ownerName));
    if (!owner) {
      owner = { ...zero, owner: ownerName, assets: new Set() };
      owners.set(ownerKey(ownerName), owner);
    }
    addTo(owner, f, now);
    owner.assets.add(f.entityKey);
  }
  const campaigns = campaignsBehind(findings, now);
  counts.campaigns = campaigns.length;
  counts.owners = owners.size;
  counts.assets = new Set(findings.filter((f) => !f.closed).map((f) => f.entityKey)).size;
  return {
    now,
    counts,
    riskiestAssets: await riskiestAssets(store, findings, now, top),
    riskiestOwners: [...owners.values()]
      .sort(riskiest)
      .slice(0, top)
      .map(({ assets: owned, ...o }) => ({ ...o, assets: owned.size })),
    campaigns,
  };
}

/** A finding as a row of the campaign and team tables. */
export function findingRow(f: Finding, now: number, assetId: string | null) {
  return {
    findingId: f.id,
    assetId,
    maintenanceId: f.maintenanceId,
    shortDescription: f.shortDescription,
    entityKey: f.entityKey,
    entityName: f.entityName || f.entityKey,
    entityType: f.entityType,
    owner: f.owner ?? "",
    status: findingStatus(f, now),
    dueDate: f.dueDate,
    daysOverdue: daysOverdue(f, now),
    closedOn: f.closedOn ?? null,
    closedBy: f.closedBy ?? null,
    link: f.maintenanceLink ?? null,
    acceptedUntil: f.acceptedUntil ?? null,
  };
}

export function mostOverdueFirst(a: ReturnType<typeof findingRow>, b: ReturnType<typeof findingRow>): number {
  return (b.daysOverdue ?? -1) - (a.daysOverdue ?? -1) || a.entityName.localeCompare(b.entityName);
}

/** One maintenance item: its stats and how far behind it is, and every finding (open and closed) with its asset. */
export async function campaign(store: GraphStore, options: { id: string; now: number }) {
  const { id, now } = options;
  const findings = await loadFindings(store, now, { maintenanceId: id });
  if (findings.length === 0) throw new NotFoundError(`no maintenance item ${id}`);
  const links = await runQuery(
    store,
    `Find * as a that HAS ${FINDING_TYPE} with maintenanceId = ${j1qlString(id)} as f return a._id as assetId, f._id as findingId`,
    { now, all: true },
  );
  const assetOf = new Map<string, string>();
  if (links.type === "table") for (const row of links.data) assetOf.set(String(row.findingId), String(row.assetId));
  const stats = statsOf(findings, now);
  return {
    now,
    stats: { ...stats, ...behindSchedule(stats, now) },
    findings: findings
      .map((f) => findingRow(f, now, assetOf.get(f.id) ?? null))
      .sort(mostOverdueFirst),
  };
}
