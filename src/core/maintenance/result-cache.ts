/**
 * A persisted cache of the counts behind `dm stats`, GET /api/v1/stats and
 * the dashboard overview (`result_cache`, migration 10), so that a repeated
 * question answers without recounting a million findings while nothing
 * changed.
 *
 * What is kept is the SQL's rows, not the answer: the answer is built from
 * them again with the caller's `now` (the forecast's finish date, the pace
 * window of a young item and how far behind schedule an item is move with
 * every millisecond). The rows are a step function of `now`: each is stored
 * with the first moment its counts could change in a way the rows do not
 * carry (`validUntil`, computed in the same SQL pass: for the overview the
 * next due date to pass or day of overdue more for a late finding; for the
 * statistics, which keep those moments as clock events applied at the
 * caller's `now` (stats-sql.ts), the next closedOn or createdOn to come and
 * an item's pace-window regime change; for both the end of the UTC day),
 * and is used only for a clock in [computedOn, validUntil).
 *
 * A write is seen through the versions of the maintenance items
 * (`item_versions`, migration 11): every write that creates, changes or
 * deletes a finding bumps its item's row (before and after the change) in
 * its own transaction (SqlStore.upsertMany and markUnseenDeleted, the only
 * writers of entities). A write of other records (a sync of repositories)
 * keeps the counts. Reading the versions is one row per item, not a scan of
 * the findings. They are read before counting, so a write during a count
 * makes the next question count again. When the kept rows are still in
 * their time range but some items changed, `update` may recount those items
 * only (stats-sql.ts does; the overview counts everything again).
 *
 * A database that cannot be written (a read-only file, a PostgreSQL reader)
 * still answers: the failed write of the cache is ignored. A row that does
 * not parse, or of another format, is ignored.
 */
import type { GraphStore } from "../../store/types.js";

/** The format of the kept rows: a row of another format is ignored (3: keyed by the items' versions; 4: the stats keep their clock events; 5: so does the overview). */
export const RESULT_CACHE_FORMAT = 5;

/** The versions of the maintenance items (see above): `key` changes whenever one of them does. */
export interface ItemVersions {
  key: string;
  items: Record<string, number>;
}

/** The items' versions now: versions only grow, so their count and sum change with every write of a finding. */
export async function itemVersions(store: GraphStore): Promise<ItemVersions> {
  const rows = await store.select("SELECT item, version FROM item_versions", []);
  const items: Record<string, number> = {};
  let sum = 0;
  for (const row of rows) {
    const version = Number(row.version);
    items[String(row.item)] = version;
    sum += version;
  }
  return { key: `${RESULT_CACHE_FORMAT}:${rows.length}:${sum}`, items };
}

/** The items whose version differs between two readings (an item absent from one has version 0). */
export function changedItems(before: Record<string, number>, after: Record<string, number>): Set<string> {
  const changed = new Set<string>();
  for (const [item, version] of Object.entries(after)) if (before[item] !== version) changed.add(item);
  for (const item of Object.keys(before)) if (!Object.hasOwn(after, item)) changed.add(item);
  return changed;
}

/** What a computation returns: rows (JSON-able) and until when they stay exact (exclusive; -Infinity: do not keep). */
export interface Computed<T> {
  value: T;
  validUntil: number;
}

/** A kept value brought up to date: the items named changed since it was counted. Undefined: count everything again. */
export type Update<T> = (kept: T, changed: ReadonlySet<string>) => Promise<Computed<T> | undefined>;

interface Kept {
  format?: unknown;
  value?: unknown;
  items?: unknown;
}

/**
 * `compute(now)`'s value, or the one kept under `name` while the findings
 * have not changed and `now` is in its time range; when some items changed,
 * `update` (if given) recounts them into the kept value. `check` says whether
 * a kept value has the expected shape. Only an integer `now` (epoch ms) is
 * cached: the boundaries are compared as whole milliseconds.
 */
export async function cachedResult<T>(
  store: GraphStore,
  name: string,
  now: number,
  compute: () => Promise<Computed<T>>,
  check: (value: unknown) => value is T,
  update?: Update<T>,
): Promise<T> {
  if (!Number.isInteger(now)) return (await compute()).value;
  const versions = await itemVersions(store);
  const kept = await store.getCachedResult(name);
  let computed: Computed<T> | undefined;
  if (kept && kept.computedOn <= now && now < kept.validUntil) {
    let parsed: Kept | undefined;
    try {
      parsed = JSON.parse(kept.body) as Kept;
    } catch {
      // corrupt: counted again below
    }
    if (parsed?.format === RESULT_CACHE_FORMAT && check(parsed.value)) {
      if (kept.versionKey === versions.key) return parsed.value;
      if (update && isVersionMap(parsed.items)) {
        const updated = await update(parsed.value, changedItems(parsed.items, versions.items));
        // the kept rows are exact until their own boundary, the recounted ones until theirs
        if (updated) computed = { value: updated.value, validUntil: Math.min(kept.validUntil, updated.validUntil) };
      }
    }
  }
  const { value, validUntil } = computed ?? (await compute());
  // whole milliseconds before the boundary: a clock at or after it counts again
  const until = Math.floor(Math.min(validUntil, Number.MAX_SAFE_INTEGER));
  if (until > now) {
    try {
      await store.putCachedResult({
        name,
        versionKey: versions.key,
        validUntil: until,
        computedOn: now,
        body: JSON.stringify({ format: RESULT_CACHE_FORMAT, value, items: versions.items }),
      });
    } catch {
      // read-only database: answer without keeping it
    }
  }
  return value;
}

function isVersionMap(v: unknown): v is Record<string, number> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "number");
}

/** The earliest of the boundaries that are numbers (Infinity when none). */
export function earliest(...values: unknown[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isNaN(n) && n < min) min = n;
  }
  return min;
}
