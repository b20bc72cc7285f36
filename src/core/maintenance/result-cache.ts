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
 * with the first moment its counts could change (`validUntil`, computed in
 * the same SQL pass: the next due date to pass, the next closedOn or
 * createdOn to come, a closedOn leaving the 14-day or 1-day pace window, a
 * day of overdue more for a late finding, the end of the UTC day), and is
 * used only for a clock in [computedOn, validUntil).
 *
 * A write is seen through the graph's version (`graph_version`, one row):
 * every write that creates, updates or deletes a record bumps it in its own
 * transaction (SqlStore.upsertMany and markUnseenDeleted, the only writers of
 * entities); markSeen only stamps last_seen_on and sync_run, which the counts
 * do not read, and does not bump it. Reading it is one row, not a scan of the
 * findings. The version is read before counting, so a write during a count
 * makes the next question count again.
 *
 * A database that cannot be written (a read-only file, a PostgreSQL reader)
 * still answers: the failed write of the cache is ignored. A row that does
 * not parse, or of another format, is ignored.
 */
import type { GraphStore } from "../../store/types.js";

/** The format of the kept rows: a row of another format is ignored (2: the window count of a young item, stats-sql.ts). */
export const RESULT_CACHE_FORMAT = 2;

/** The graph's version: changes whenever a record is written (see above). */
export async function graphVersion(store: GraphStore): Promise<string> {
  const row = (await store.select("SELECT version FROM graph_version WHERE id = 1", []))[0] ?? {};
  return `${RESULT_CACHE_FORMAT}:${String(row.version ?? "-")}`;
}

/** What a computation returns: rows (JSON-able) and until when they stay exact (exclusive; -Infinity: do not keep). */
export interface Computed<T> {
  value: T;
  validUntil: number;
}

/**
 * `compute(now)`'s value, or the one kept under `name` while the findings
 * have not changed and `now` is in its time range. `check` says whether a
 * kept value has the expected shape. Only an integer `now` (epoch ms) is
 * cached: the boundaries are compared as whole milliseconds.
 */
export async function cachedResult<T>(
  store: GraphStore,
  name: string,
  now: number,
  compute: () => Promise<Computed<T>>,
  check: (value: unknown) => value is T,
): Promise<T> {
  if (!Number.isInteger(now)) return (await compute()).value;
  const version = await graphVersion(store);
  const kept = await store.getCachedResult(name);
  if (kept && kept.versionKey === version && kept.computedOn <= now && now < kept.validUntil) {
    try {
      const parsed = JSON.parse(kept.body) as { format?: unknown; value?: unknown };
      if (parsed.format === RESULT_CACHE_FORMAT && check(parsed.value)) return parsed.value;
    } catch {
      // corrupt: counted again below
    }
  }
  const { value, validUntil } = await compute();
  // whole milliseconds before the boundary: a clock at or after it counts again
  const until = Math.floor(Math.min(validUntil, Number.MAX_SAFE_INTEGER));
  if (until > now) {
    try {
      await store.putCachedResult({ name, versionKey: version, validUntil: until, computedOn: now, body: JSON.stringify({ format: RESULT_CACHE_FORMAT, value }) });
    } catch {
      // read-only database: answer without keeping it
    }
  }
  return value;
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
