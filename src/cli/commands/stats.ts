/** `dm stats [MID]`: campaign progress, worst first; one item in full with its burndown. */
import { percent } from "../../shared/percent.js";
import { DAY_MS, isoDate } from "../../core/maintenance/due.js";
import { assertMaintenanceId } from "../../core/maintenance/finding.js";
import { type BurndownPoint, type ItemStats, PACE_WINDOW_DAYS } from "../../core/maintenance/stats.js";
import { withBackend } from "../backend.js";
import { unknownItemError } from "../suggestions.js";
import type { CommandContext } from "../context.js";
import { outputFormat, renderCsv, renderTable, type Style } from "../output.js";
import { plural } from "./report.js";
import type { StatsFlags } from "./stats.command.js";
import { oneItemId } from "../registration.js";

/** The flags of `dm stats` (stats.command.ts) and, for one item in full, its id. */
export interface StatsOptions extends StatsFlags {
  /** the item given as the argument (or --id) */
  idArgument?: string;
}

function round1(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1).replace(/\.0$/, "");
}

/** "38 days", "12.6 days" (one decimal at most) */
export function daysText(days: number): string {
  return `${round1(Math.round(days * 10) / 10)} days`;
}

/** "3/day", "2/week", "0.5/week" */
export function paceText(pace: number): string {
  return pace >= 1 ? `${round1(pace)}/day` : `${round1(pace * 7)}/week`;
}

/** "finished 2026-11-02", "in 41 days, 11 late", "in 12 days, on time", "not converging (2/week)" */
export function forecastText(stats: Pick<ItemStats, "forecast">, now: number): string {
  const f = stats.forecast;
  switch (f.status) {
    case "done":
      return f.finishDate ? `finished ${isoDate(f.finishDate)}` : "finished";
    case "not-converging":
      return f.pace === 0
        ? `not converging (none closed in ${plural(Math.round(f.paceWindowDays), "day")})`
        : `not converging (${paceText(f.pace)})`;
    default: {
      const days = f.daysToFinish ?? Math.ceil(((f.finishDate ?? now) - now) / DAY_MS);
      const when = days === 0 ? "today" : days === 1 ? "in 1 day" : `in ${days} days`;
      return `${when}, ${f.status === "late" ? `${f.daysLate} late` : "on time"}`;
    }
  }
}

/** The DUE column: "20 days ago", "in 30 days", "today", "done". */
export function dueText(stats: Pick<ItemStats, "dueDate" | "open">, now: number): string {
  if (stats.open === 0) return "done";
  if (stats.dueDate <= 0) return "";
  const days = Math.floor(Math.abs(stats.dueDate - now) / DAY_MS);
  if (days === 0) return "today";
  const n = plural(days, "day");
  return stats.dueDate < now ? `${n} ago` : `in ${n}`;
}

const BARS = "▁▂▃▄▅▆▇█";

/**
 * The series as one line of block characters, at most `width` wide (each
 * character is the open count at the end of its stretch of days).
 */
export function sparkline(values: readonly number[], width = 60): string {
  if (values.length === 0) return "";
  const columns = Math.min(width, values.length);
  const max = Math.max(...values);
  let line = "";
  for (let c = 0; c < columns; c++) {
    const v = values[Math.min(values.length - 1, Math.ceil(((c + 1) * values.length) / columns) - 1)]!;
    line += v === 0 || max === 0 ? " " : BARS[Math.max(0, Math.min(7, Math.ceil((v / max) * 8) - 1))];
  }
  return line;
}

/** Whole percent, rounded down: 100% only when everything is done (one rounding for the CLI and the dashboard). */
export { percent };

function summaryTable(all: ItemStats[], now: number, style: Style): string {
  const rows = all.map((x) => [
    x.shortDescription,
    `${x.closed.total}/${x.total}`,
    percent(x.completion),
    x.overdue === 0 ? "0" : style.red(String(x.overdue)),
    dueText(x, now),
    forecastText(x, now),
    x.maintenanceId,
  ]);
  return renderTable(["ITEM", "DONE", "%", "OVERDUE", "DUE", "FORECAST", "ID"], rows, style, 60);
}

function burndownText(series: BurndownPoint[], style: Style): string {
  if (series.length === 0) return "";
  const first = series[0]!;
  const last = series[series.length - 1]!;
  const peak = Math.max(...series.map((p) => p.open));
  return (
    `Open findings, ${first.date} → ${last.date} (${plural(series.length, "day")}, peak ${peak})\n` +
    `  ${String(first.open).padStart(5)} ${style.yellow(sparkline(series.map((p) => p.open)))} ${last.open}\n`
  );
}

function detailText(x: ItemStats, now: number, style: Style): string {
  const c = x.closed;
  const reasons = [
    `${c.COMPLETE} complete`,
    `${c.ERROR} error`,
    `${c.RISK_ACCEPTED} risk accepted`,
    ...(c.unknown ? [`${c.unknown} without a reason`] : []),
  ];
  const f = x.forecast;
  const field = (name: string, value: string) => `  ${style.dim(name.padEnd(10))} ${value}\n`;
  const window = f.paceWindowDays >= PACE_WINDOW_DAYS ? `the last ${PACE_WINDOW_DAYS} days` : `${round1(f.paceWindowDays)} days (since it was opened)`;
  let text = `${style.bold(x.shortDescription)}  ${style.dim(`· ${x.maintenanceId}`)}\n`;
  text += field("Done", `${c.total}/${x.total} (${percent(x.completion)}): ${reasons.join(", ")}`);
  text += field("Open", `${x.open}, ${x.overdue} overdue`);
  if (x.dueDate > 0) text += field("Due", `${isoDate(x.dueDate)} (${dueText({ ...x, open: 1 }, now)})`);
  text += field("To close", x.medianDaysToClose === null ? "nothing closed yet" : `median ${daysText(x.medianDaysToClose)}`);
  text += field("Pace", `${paceText(f.pace)} (${f.closedInWindow} closed over ${window})`);
  text += field(
    "Forecast",
    f.status === "done" || f.status === "not-converging"
      ? forecastText(x, now)
      : `${isoDate(f.finishDate!)}: ${forecastText(x, now)}`,
  );
  return `${text}\n${burndownText(x.burndown, style)}`;
}

/** One row per item (the burndown series is in --json). */
function statsCsv(items: ItemStats[]): string {
  return renderCsv(
    ["maintenanceId", "item", "total", "open", "overdue", "closed", "completion", "dueDate", "medianDaysToClose", "forecast", "forecastFinish", "webLink"],
    items.map((x) => [
      x.maintenanceId,
      x.shortDescription,
      x.total,
      x.open,
      x.overdue,
      x.closed.total,
      Math.floor(x.completion * 100) / 100,
      x.dueDate > 0 ? new Date(x.dueDate).toISOString() : "",
      x.medianDaysToClose ?? "",
      x.forecast.status,
      x.forecast.finishDate === undefined ? "" : new Date(x.forecast.finishDate).toISOString(),
      x.webLink,
    ]),
  );
}

export async function statsCommand(ctx: CommandContext, options: StatsOptions): Promise<ItemStats | ItemStats[]> {
  const given = oneItemId(options.idArgument, options.id);
  const id = given === undefined ? undefined : assertMaintenanceId(given);
  const format = outputFormat(options, ["table", "json", "csv"]);
  const now = ctx.now();
  // the table shows neither the burndown nor the median time to close: not counted for it
  const table = format === "table" && id === undefined;
  const found = await withBackend(ctx, options.db, async (b) => {
    const stats = await b.itemStats(now, { ...(id === undefined ? {} : { maintenanceId: id }), ...(table ? { burndown: false, median: false } : {}) });
    if (id !== undefined && stats.length === 0) throw await unknownItemError(b, id, now, "`dm stats` without an id lists the items.");
    return stats;
  });
  if (id !== undefined) {
    const one = found[0]!;
    ctx.stdout.write(
      format === "json" ? `${JSON.stringify(one, null, 2)}\n` : format === "csv" ? statsCsv([one]) : detailText(one, now, ctx.style),
    );
    return one;
  }
  const all = found;
  if (format === "csv") {
    ctx.stdout.write(statsCsv(all));
  } else if (format === "json") {
    ctx.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
  } else if (all.length === 0) {
    ctx.stdout.write("No maintenance items yet: dm open starts one.\n");
  } else {
    ctx.stdout.write(summaryTable(all, now, ctx.style));
    ctx.stdout.write(`\nOne in full, with its burndown:  dm stats ${all[0]!.maintenanceId}\n`);
  }
  return all;
}
