import { InputError } from "../../shared/errors.js";

export const DAY_MS = 86_400_000;

/** The latest date dm accepts anywhere: the end of 9999 (UTC). */
export const MAX_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The longest duration dm accepts anywhere (a grace period, an SLA): 100 years. */
export const MAX_DURATION_MS = 36_500 * DAY_MS;

/**
 * A date (epoch ms) from any path (CLI, API, config) checked before anything
 * is written: a whole number, in the future, no later than 9999-12-31.
 */
export function assertFutureDate(ms: number, now: number, what: string): number {
  if (!Number.isSafeInteger(ms) || ms > MAX_DATE || ms < 0) {
    throw new InputError(`${what} ${String(ms)} is not a usable date: dates run up to 9999-12-31`, {
      details: ["Give a number of days like 30d, a date like 2027-03-31, or epoch milliseconds before year 10000."],
    });
  }
  if (ms <= now) {
    throw new InputError(`${what} ${isoDate(ms)} is not in the future`, { details: ["A due date gives people time to do the work: pick one ahead."] });
  }
  return ms;
}

/** The due-date choices offered interactively, in days. */
export const DUE_CHOICES = [7, 30, 60, 90, 180, 365] as const;

const RELATIVE_DUE = /^(\d+)\s*(d|days?|w|weeks?)?$/i;

/** A due date given as days from now (`30d`, `2w`), not as a date. */
export function isRelativeDue(text: string): boolean {
  return RELATIVE_DUE.test(text.trim());
}

/**
 * `30d`, `2w`, `30` (days) or a date `2027-03-31` (end of that day, UTC) ->
 * epoch ms. A due date must be in the future.
 */
export function parseDue(text: string, now: number, what = "--due"): number {
  const value = text.trim();
  const relative = RELATIVE_DUE.exec(value);
  let due: number;
  if (relative) {
    const n = Number(relative[1]);
    const unit = (relative[2] ?? "d").toLowerCase().startsWith("w") ? 7 : 1;
    due = now + n * unit * DAY_MS;
    if (!(due <= MAX_DATE)) {
      throw new InputError(`${what} ${value} is too far ahead: dates run up to 9999-12-31`, {
        details: ["Give a number of days like 30d or 365d, or a date like 2027-03-31."],
      });
    }
  } else if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== value) {
      throw new InputError(`${what} ${value}: not a real date`, { details: ["Use YYYY-MM-DD, e.g. 2027-03-31, or a number of days like 30d."] });
    }
    due = start + DAY_MS - 1;
  } else {
    throw new InputError(`${what} "${value}" is neither a number of days (30d) nor a date (2027-03-31)`);
  }
  if (due <= now) {
    throw new InputError(`${what} ${value} is not in the future`, { details: ["A due date gives people time to do the work: pick one ahead."] });
  }
  return assertFutureDate(due, now, what);
}

/** "in 6 days", "today", "12 days overdue" */
export function formatDue(due: number, now: number): string {
  if (due >= now) {
    const days = Math.floor((due - now) / DAY_MS);
    return days === 0 ? "due today" : days === 1 ? "in 1 day" : `in ${days} days`;
  }
  const late = Math.floor((now - due) / DAY_MS);
  return late === 0 ? "due today" : late === 1 ? "1 day overdue" : `${late} days overdue`;
}

/** `7d`, `2w`, `0` -> ms (a grace period; zero allowed). */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+)\s*(d|days?|w|weeks?|h|hours?)?$/i.exec(text.trim());
  if (!m) throw new InputError(`${what} "${text}" is not a duration; use days like 7d, weeks like 2w, or hours like 12h`);
  const unit = (m[2] ?? "d").toLowerCase();
  const ms = unit.startsWith("w") ? 7 * DAY_MS : unit.startsWith("h") ? 3_600_000 : DAY_MS;
  const total = Number(m[1]) * ms;
  if (!(total <= MAX_DURATION_MS)) {
    throw new InputError(`${what} "${text}" is too long: at most 100 years (36500d)`);
  }
  return total;
}

/** `2027-03-31`; a value that is no date (stored before dates were checked) prints as itself rather than failing. */
export function isoDate(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().slice(0, 10);
}

/** A short age for a person: `40 s`, `12 min`, `3 h`, `5 days`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  const days = Math.floor(s / 86_400);
  return `${days} day${days === 1 ? "" : "s"}`;
}
