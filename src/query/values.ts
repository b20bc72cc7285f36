import type { DateUnit } from "./ast.js";

const HOUR = 3_600_000;
const FIXED: Partial<Record<DateUnit, number>> = { hour: HOUR, day: 24 * HOUR, week: 7 * 24 * HOUR };

/**
 * `date.now + amount unit` in epoch ms. Hours, days and weeks are fixed
 * lengths; months and years are calendar steps in UTC (Jan 31 - 1 month is
 * the last day of December... and Mar 31 - 1 month clamps to Feb 28/29).
 */
export function resolveDate(now: number, amount: number, unit: DateUnit): number {
  const fixed = FIXED[unit];
  if (fixed !== undefined) return now + amount * fixed;
  const months = unit === "month" ? amount : amount * 12;
  const date = new Date(now);
  const whole = Math.trunc(months);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + whole);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  // A fractional month (rare: "date.now - 1.5 months") adds its share of 30 days.
  return date.getTime() + (months - whole) * 30 * 24 * HOUR;
}
