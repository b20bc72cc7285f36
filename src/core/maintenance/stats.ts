/**
 * Campaign statistics for maintenance items: pure functions of the findings
 * and a clock, so they are tested with hand-made findings and a fixed `now`.
 *
 * Definitions (also in `dm stats --help`):
 * - done: every closed finding, whatever the reason (COMPLETE, ERROR,
 *   RISK_ACCEPTED, or none recorded); `completion` is done / total.
 * - overdue: open and past its due date.
 * - days to close: closedOn - createdOn, for closed findings that have both.
 * - burndown: one point per UTC day from the day of the earliest createdOn to
 *   the day of `now`; each point is the number of findings open at the end of
 *   that day (at `now` for the last one). A finding counts from its createdOn
 *   until its closedOn; an open finding counts until now. Reopening is not
 *   replayed: a finding open now counts as open since it was created, and a
 *   closed one as closed since its last closedOn (a closed finding without
 *   closedOn never counts as open).
 * - pace: findings closed per day over the last 14 days, or since the item
 *   was opened if that is shorter (at least one day).
 * - forecast: remaining open / pace, in whole days (rounded up) from now.
 *   "not converging" when the pace is 0 or the forecast is more than three
 *   years out.
 */
import { DAY_MS, isoDate } from "./due.js";
import { CLOSE_REASONS, type CloseReason, type Finding } from "./finding.js";

export const PACE_WINDOW_DAYS = 14;
/** A forecast further out than this is "not converging". */
export const FORECAST_HORIZON_DAYS = 3 * 365;

export interface BurndownPoint {
  /** UTC day, YYYY-MM-DD */
  date: string;
  /** findings open at the end of that day (at `now` for today) */
  open: number;
}

export type ForecastStatus = "done" | "on-time" | "late" | "not-converging";

export interface Forecast {
  status: ForecastStatus;
  /** findings closed per day over the window */
  pace: number;
  /** how many days the pace is measured over (14, or the item's age if younger; at least 1) */
  paceWindowDays: number;
  /** findings closed in that window */
  closedInWindow: number;
  /** whole days from now to the forecast finish (open > 0 and converging) */
  daysToFinish?: number;
  /** the forecast finish (epoch ms): now + daysToFinish days; for a done item, its last closedOn */
  finishDate?: number;
  /** days after the due date the forecast finish falls (0 when on time) */
  daysLate?: number;
  /** the forecast finish is on or before the due date */
  beforeDue?: boolean;
}

export interface ItemStats {
  maintenanceId: string;
  shortDescription: string;
  webLink: string;
  /** the item's due date: the earliest due date of its findings */
  dueDate: number;
  /** the earliest createdOn of its findings */
  createdOn: number;
  total: number;
  open: number;
  /** open and past due */
  overdue: number;
  /** closed findings by close reason ("unknown": closed without a recorded reason) */
  closed: Record<CloseReason | "unknown", number> & { total: number };
  /** closed (any reason) / total, 0..1 */
  completion: number;
  /** median of (closedOn - createdOn) in days over closed findings; null if none */
  medianDaysToClose: number | null;
  burndown: BurndownPoint[];
  forecast: Forecast;
}

/** The start of the UTC day containing `ms`. */
function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** When a finding stops counting as open (Infinity while open). */
function closedAt(f: Finding, created: number): number {
  if (!f.closed) return Number.POSITIVE_INFINITY;
  return f.closedOn !== undefined && f.closedOn > 0 ? Math.max(f.closedOn, created) : created;
}

/**
 * The open count at the end of every UTC day from `start` to `now`. One pass
 * over the sorted creation and closing times: O(n log n + days).
 */
export function burndown(findings: readonly Finding[], now: number, start = earliestCreated(findings, now)): BurndownPoint[] {
  const opened: number[] = [];
  const closed: number[] = [];
  for (const f of findings) {
    const created = f.createdOn > 0 ? f.createdOn : start;
    opened.push(created);
    const end = closedAt(f, created);
    if (end !== Number.POSITIVE_INFINITY) closed.push(end);
  }
  opened.sort((a, b) => a - b);
  closed.sort((a, b) => a - b);
  const points: BurndownPoint[] = [];
  let o = 0;
  let c = 0;
  for (let day = dayStart(Math.min(start, now)); day <= now; day += DAY_MS) {
    // counted as of the last millisecond of the day, or now
    const at = Math.min(day + DAY_MS - 1, now);
    while (o < opened.length && opened[o]! <= at) o++;
    while (c < closed.length && closed[c]! <= at) c++;
    points.push({ date: isoDate(day), open: o - c });
  }
  return points;
}

/**
 * The same burndown from counts per UTC day (the day's start in epoch ms):
 * how many findings opened, and how many stopped counting, on that day, at
 * or before `now` (stats-sql.ts counts them in SQL).
 */
export function burndownFromDays(opened: ReadonlyMap<number, number>, closed: ReadonlyMap<number, number>, now: number, start: number): BurndownPoint[] {
  const points: BurndownPoint[] = [];
  let open = 0;
  for (let day = dayStart(Math.min(start, now)); day <= now; day += DAY_MS) {
    open += (opened.get(day) ?? 0) - (closed.get(day) ?? 0);
    points.push({ date: isoDate(day), open });
  }
  return points;
}

function earliestCreated(findings: readonly Finding[], now: number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const f of findings) if (f.createdOn > 0 && f.createdOn < earliest) earliest = f.createdOn;
  return earliest === Number.POSITIVE_INFINITY ? now : earliest;
}

/** How many days the pace is measured over: 14, or the item's age if younger (at least 1). */
export function paceWindowDays(now: number, createdOn: number): number {
  return Math.max(1, Math.min(PACE_WINDOW_DAYS, (now - createdOn) / DAY_MS));
}

/** What a forecast is made of: counted over the findings one by one, or in SQL (stats-sql.ts). */
export interface ForecastCounts {
  open: number;
  /** closed findings with closedOn in (now - windowDays, now] */
  closedInWindow: number;
  /** the latest closedOn of a closed finding, 0 if none */
  lastClosed: number;
  windowDays: number;
}

/** The forecast from its counts. */
export function forecastFrom(counts: ForecastCounts, now: number, dueDate: number): Forecast {
  const { open, closedInWindow, lastClosed, windowDays } = counts;
  const pace = closedInWindow / windowDays;
  const base = { pace, paceWindowDays: windowDays, closedInWindow };
  if (open === 0) {
    if (lastClosed === 0) return { status: "done", ...base };
    const late = lastClosed > dueDate;
    return {
      status: "done",
      ...base,
      finishDate: lastClosed,
      beforeDue: !late,
      daysLate: late ? Math.ceil((lastClosed - dueDate) / DAY_MS) : 0,
    };
  }
  if (pace === 0) return { status: "not-converging", ...base };
  const daysToFinish = Math.ceil(open / pace - 1e-9);
  if (daysToFinish > FORECAST_HORIZON_DAYS) return { status: "not-converging", ...base };
  const finishDate = now + daysToFinish * DAY_MS;
  const beforeDue = finishDate <= dueDate;
  const daysLate = beforeDue ? 0 : Math.ceil((finishDate - dueDate) / DAY_MS);
  return { status: beforeDue ? "on-time" : "late", ...base, daysToFinish, finishDate, daysLate, beforeDue };
}

/** The pace and the forecast finish of one item's findings. */
export function forecast(
  findings: readonly Finding[],
  now: number,
  dueDate: number,
  createdOn = earliestCreated(findings, now),
): Forecast {
  const windowDays = paceWindowDays(now, createdOn);
  const windowStart = now - windowDays * DAY_MS;
  let open = 0;
  let closedInWindow = 0;
  let lastClosed = 0;
  for (const f of findings) {
    if (!f.closed) {
      open++;
      continue;
    }
    if (f.closedOn !== undefined) {
      if (f.closedOn > windowStart && f.closedOn <= now) closedInWindow++;
      if (f.closedOn > lastClosed) lastClosed = f.closedOn;
    }
  }
  return forecastFrom({ open, closedInWindow, lastClosed, windowDays }, now, dueDate);
}

/** Statistics of one item from all its findings (open and closed). */
export function statsOf(findings: readonly Finding[], now: number): ItemStats {
  const first = findings[0];
  if (!first) throw new Error("statsOf needs at least one finding");
  const createdOn = earliestCreated(findings, now);
  let dueDate = Number.POSITIVE_INFINITY;
  let open = 0;
  let overdue = 0;
  const closed: ItemStats["closed"] = { total: 0, COMPLETE: 0, ERROR: 0, RISK_ACCEPTED: 0, unknown: 0 };
  const daysToClose: number[] = [];
  // Item-level text from the newest finding that has it (they are normally all the same).
  let describedBy = first;
  for (const f of findings) {
    if (f.dueDate > 0 && f.dueDate < dueDate) dueDate = f.dueDate;
    if (f.createdOn >= describedBy.createdOn && f.shortDescription) describedBy = f;
    if (!f.closed) {
      open++;
      if (f.dueDate > 0 && f.dueDate < now) overdue++;
      continue;
    }
    closed.total++;
    closed[f.closeReason && CLOSE_REASONS.includes(f.closeReason) ? f.closeReason : "unknown"]++;
    if (f.closedOn !== undefined && f.createdOn > 0 && f.closedOn >= f.createdOn) {
      daysToClose.push((f.closedOn - f.createdOn) / DAY_MS);
    }
  }
  if (dueDate === Number.POSITIVE_INFINITY) dueDate = 0;
  return {
    maintenanceId: first.maintenanceId,
    shortDescription: describedBy.shortDescription,
    webLink: describedBy.webLink,
    dueDate,
    createdOn,
    total: findings.length,
    open,
    overdue,
    closed,
    completion: closed.total / findings.length,
    medianDaysToClose: median(daysToClose),
    burndown: burndown(findings, now, createdOn),
    forecast: forecast(findings, now, dueDate, createdOn),
  };
}

/** Worst first: most overdue findings, then lowest completion, then earliest due. */
export function worstFirst(a: ItemStats, b: ItemStats): number {
  return (
    b.overdue - a.overdue ||
    a.completion - b.completion ||
    a.dueDate - b.dueDate ||
    (a.maintenanceId < b.maintenanceId ? -1 : a.maintenanceId > b.maintenanceId ? 1 : 0)
  );
}

/** Statistics per maintenance item, worst first. */
export function itemStats(findings: readonly Finding[], now: number): ItemStats[] {
  const byItem = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byItem.get(f.maintenanceId);
    if (list) list.push(f);
    else byItem.set(f.maintenanceId, [f]);
  }
  return [...byItem.values()].map((list) => statsOf(list, now)).sort(worstFirst);
}
