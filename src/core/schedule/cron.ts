/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week),
 * evaluated in UTC so that every replica of a server, whatever its local
 * zone, agrees on when a job is due.
 *
 * Each field: `*`, a number, a range `a-b`, a list `a,b-c`, a step `*\/n` or
 * `a-b/n` or `a/n` (from a to the end). Months and days may be named
 * (`jan`, `mon-fri`); day-of-week 0 and 7 are both Sunday. As in Vixie cron,
 * when both day-of-month and day-of-week are restricted, a day matching
 * either is due. `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`,
 * `@yearly` (`@annually`) are accepted.
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** the first name stands for this number */
  namesFrom?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export class CronError extends Error {}

export interface CronSchedule {
  /** the expression as written */
  readonly source: string;
  /** The first due minute strictly after `after` (epoch ms), as epoch ms. */
  next(after: number): number;
  /** `at` falls in a due minute. */
  matches(at: number): boolean;
}

function parseValue(text: string, spec: FieldSpec): number {
  const lower = text.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (spec.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) throw new CronError(`${spec.name}: "${text}" is not a number${spec.names ? " or a name" : ""}`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) throw new CronError(`${spec.name}: ${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

function parseField(text: string, spec: FieldSpec): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) {
    if (part === "") throw new CronError(`${spec.name}: an empty item in "${text}"`);
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined) throw new CronError(`${spec.name}: "${part}" has more than one /`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new CronError(`${spec.name}: the step in "${part}" must be a whole number above 0`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === "*") {
      from = spec.min;
      to = spec.max;
      if (stepText === undefined) star = true;
    } else if (range!.includes("-")) {
      const [a, b, more] = range!.split("-");
      if (more !== undefined || a === "" || b === "") throw new CronError(`${spec.name}: "${range}" is not a range a-b`);
      from = parseValue(a!, spec);
      to = parseValue(b!, spec);
      if (from > to) throw new CronError(`${spec.name}: the range "${range}" runs backwards`);
    } else {
      from = parseValue(range!, spec);
      // `5/15`: from 5 to the end in steps of 15
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, star };
}

const MINUTE = 60_000;

export function parseCron(expression: string): CronSchedule {
  const source = expression.trim();
  const expanded = MACROS[source.toLowerCase()] ?? source;
  if (expanded.startsWith("@")) throw new CronError(`unknown macro "${source}" (known: ${Object.keys(MACROS).join(", ")})`);
  const parts = expanded.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) {
    throw new CronError(`"${source}" has ${parts.length} fields; expected 5: minute hour day-of-month month day-of-week`);
  }
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  if (dow.values.has(7)) dow.values.add(0);

  const dayMatches = (d: Date): boolean => {
    const byDom = dom.values.has(d.getUTCDate());
    const byDow = dow.values.has(d.getUTCDay());
    if (dom.star && dow.star) return true;
    if (dom.star) return byDow;
    if (dow.star) return byDom;
    return byDom || byDow;
  };

  const matches = (at: number): boolean => {
    const d = new Date(at);
    return (
      minute.values.has(d.getUTCMinutes()) &&
      hour.values.has(d.getUTCHours()) &&
      month.values.has(d.getUTCMonth() + 1) &&
      dayMatches(d)
    );
  };

  const next = (after: number): number => {
    // Start at the next whole minute, then skip whole months, days and hours
    // that cannot match; at most a few thousand steps for any expression.
    let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
    const limit = after + 8 * 366 * 24 * 60 * MINUTE;
    while (t <= limit) {
      const d = new Date(t);
      if (!month.values.has(d.getUTCMonth() + 1)) {
        t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
        continue;
      }
      if (!dayMatches(d)) {
        t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
        continue;
      }
      if (!hour.values.has(d.getUTCHours())) {
        t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
        continue;
      }
      if (!minute.values.has(d.getUTCMinutes())) {
        t += MINUTE;
        continue;
      }
      return t;
    }
    throw new CronError(`"${source}" never matches (no such day, e.g. February 30th)`);
  };

  // An expression that can never fire is a mistake to report now, not at run time.
  next(Date.UTC(2000, 0, 1));
  return { source, next, matches };
}
