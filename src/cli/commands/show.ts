/** `dm show MID`: one maintenance item, its numbers and its findings; `dm show <asset>`: one asset. */
import { type EntityView, viewEntity } from "../../core/entity-view.js";
import { formatDue, isoDate } from "../../core/maintenance/due.js";
import { assertMaintenanceId, type Finding, MAINTENANCE_ID } from "../../core/maintenance/finding.js";
import { byDue, isOverdue } from "../../core/maintenance/report.js";
import { type ItemStats, statsOf } from "../../core/maintenance/stats.js";
import { InputError } from "../../shared/errors.js";
import { withBackend } from "../backend.js";
import { unknownItemError } from "../suggestions.js";
import { type CommandContext, withStore } from "../context.js";
import { formatCell, outputFormat, renderTable } from "../output.js";
import { plural } from "./report.js";
import { rulesSetup } from "./rules.js";
import { daysText, forecastText, percent } from "./stats.js";
import type { ShowFlags } from "./show.command.js";
import { oneItemId } from "../registration.js";

/** Findings shown in the table unless --all. */
export const SHOW_ROWS = 50;

/** The flags of `dm show` (show.command.ts) and the item's id. */
export interface ShowOptions extends ShowFlags {
  /** the argument: an item's id, or an asset's key or name */
  idArgument?: string;
}

export interface ShowResult {
  maintenanceId: string;
  shortDescription: string;
  description: string;
  webLink: string;
  query: string;
  tracked: boolean;
  createdBy: string;
  createdOn: number;
  dueDate: number;
  stats: Omit<ItemStats, "burndown">;
  /** open ones first (by due date), then closed ones (latest first) */
  findings: Finding[];
}

/** Open findings by due date, then closed ones, most recently closed first. */
function order(findings: Finding[]): Finding[] {
  const open = findings.filter((f) => !f.closed).sort(byDue);
  const closed = findings
    .filter((f) => f.closed)
    .sort((a, b) => (b.closedOn ?? 0) - (a.closedOn ?? 0) || a.entityName.localeCompare(b.entityName));
  return [...open, ...closed];
}

export async function showCommand(ctx: CommandContext, options: ShowOptions): Promise<ShowResult | EntityView> {
  if (options.id !== undefined) assertMaintenanceId(options.id);
  const id = oneItemId(options.idArgument, options.id);
  if (id === undefined) {
    throw new InputError("say what to show: an item's id (dm show 9c3e21a0, or --id) or an asset's key or name (dm show web-1)");
  }
  const now = ctx.now();
  outputFormat(options);
  if (!MAINTENANCE_ID.test(id)) return showEntity(ctx, options, id);
  const findings = await withBackend(ctx, options.db, async (b) => {
    const found = await b.loadFindings(now, { maintenanceId: id });
    if (found.length === 0) {
      throw await unknownItemError(b, id, now, "`dm list` and `dm stats` show the ids of the items; an asset whose name looks like an id: give its key.");
    }
    return found;
  });
  const { burndown: _series, ...stats } = statsOf(findings, now);
  // Item-level text from the finding that describes it best (normally all the same).
  const about = findings.find((f) => f.description) ?? findings[0]!;
  const result: ShowResult = {
    maintenanceId: id,
    shortDescription: stats.shortDescription,
    description: about.description,
    webLink: stats.webLink,
    query: about.query,
    tracked: findings.some((f) => f.tracked),
    createdBy: about.createdBy,
    createdOn: stats.createdOn,
    dueDate: stats.dueDate,
    stats,
    findings: order(findings),
  };
  if (outputFormat(options) === "json") {
    ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }

  const s = ctx.style;
  const c = stats.closed;
  const reasons = [
    c.COMPLETE ? `${c.COMPLETE} complete` : "",
    c.ERROR ? `${c.ERROR} error` : "",
    c.RISK_ACCEPTED ? `${c.RISK_ACCEPTED} risk accepted` : "",
    c.unknown ? `${c.unknown} without a reason` : "",
  ].filter(Boolean);
  const due = stats.dueDate > 0 ? `${isoDate(stats.dueDate)}${stats.open > 0 ? `, ${formatDue(stats.dueDate, now)}` : ""}` : "none";
  const field = (name: string, value: string) => `  ${s.dim(name.padEnd(9))} ${value}\n`;
  let text = `${s.bold(result.shortDescription)}  ${s.dim(`· ${id}`)}\n`;
  if (result.description) text += `${result.description}\n`;
  text += "\n";
  if (result.webLink) text += field("Link", result.webLink);
  if (result.query) text += field("Query", `${result.query}${result.tracked ? "  (tracked)" : ""}`);
  text += field(
    "Opened",
    `${result.createdOn > 0 ? isoDate(result.createdOn) : "?"}${result.createdBy ? ` by ${result.createdBy}` : ""}`,
  );
  text += field("Due", due);
  text += field(
    "Findings",
    `${stats.total}: ${stats.open} open (${stats.overdue} overdue), ${stats.closed.total} closed${reasons.length > 0 ? ` (${reasons.join(", ")})` : ""}`,
  );
  text += field(
    "Progress",
    `${percent(stats.completion)} done; ${forecastText(stats, now)}` +
      (stats.medianDaysToClose === null ? "" : `; median ${daysText(stats.medianDaysToClose)} to close`),
  );

  const shown = options.all ? result.findings : result.findings.slice(0, SHOW_ROWS);
  const rows = shown.map((f) => {
    if (!f.closed) {
      const when = formatDue(f.dueDate, now);
      return [isOverdue(f, now) ? s.red(when) : when, f.entityName || f.entityKey, f.entityType, f.owner ?? "", ""];
    }
    const status = `${f.closeReason ?? "closed"}${f.closedOn ? ` ${isoDate(f.closedOn)}` : ""}`;
    const until = f.acceptedUntil ? `until ${isoDate(f.acceptedUntil)} ` : "";
    const by = f.closedBy ? `${f.closedBy} ` : "";
    return [s.green(status), f.entityName || f.entityKey, f.entityType, f.owner ?? "", `${until}${by}${f.maintenanceLink ?? ""}`.trim()];
  });
  text += `\n${renderTable(["STATUS", "ENTITY", "TYPE", "OWNER", "CLOSED BY / LINK"], rows, s, 70)}`;
  if (shown.length < result.findings.length) {
    text += s.dim(
      `… ${plural(result.findings.length - shown.length, "more finding")}: dm show ${id} --all\n`,
    );
  }
  if (stats.open > 0) text += `\nProgress over time:  dm stats ${id}\n`;
  ctx.stdout.write(text);
  return result;
}

/** Properties not worth a line of their own in the asset view. */
const HIDDEN = new Set(["name", "displayName"]);

/** `dm show <asset>`: what it is, how it is deployed and who said so, its properties and findings. */
async function showEntity(ctx: CommandContext, options: ShowOptions, ref: string): Promise<EntityView> {
  if (await ctx.remote(options.db)) {
    throw new InputError("dm show <asset> reads a local database; in remote mode use the dashboard's asset page", {
      details: ["dm show MID (8 hex digits) works in remote mode."],
    });
  }
  const setup = rulesSetup(ctx);
  const now = ctx.now();
  const view = await withStore(ctx, options.db, (store) => viewEntity(store, ref, { now, deploymentModels: setup.deploymentModels }));
  if (outputFormat(options) === "json") {
    ctx.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return view;
  }
  const s = ctx.style;
  const e = view.entity;
  const shownProps = Object.entries(view.properties)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== null && value !== undefined && value !== "")
    .sort(([a], [b]) => a.localeCompare(b));
  const pad = Math.max("Deployment".length, ...shownProps.map(([key]) => key.length));
  const field = (name: string, value: string) => `  ${s.dim(name.padEnd(pad))}  ${value}\n`;
  let text = `${s.bold(e.displayName)}  ${s.dim(`· ${e._key}`)}\n`;
  text += `${e._class.join(", ")} (${e._type})\n\n`;
  const source = { configured: "from deploymentModels in dm.config.yaml", recorded: "recorded by its source", unknown: "" }[e.deploymentModelSource];
  text += field(
    "Deployment",
    e.deploymentModel ? `${e.deploymentModel}  ${s.dim(`(${source})`)}` : `unknown  ${s.dim("(set one with deploymentModels: in dm.config.yaml to judge repave)")}`,
  );
  for (const [key, value] of shownProps) text += field(key, formatCell(value, key));
  const open = view.findings.filter((f) => !f.closed);
  text += `\n${s.bold("Maintenance")}: ${open.length} open (${open.filter((f) => isOverdue(f, now)).length} overdue), ${view.findings.length - open.length} closed\n`;
  if (view.findings.length > 0) {
    const rows = view.findings.slice(0, options.all ? undefined : SHOW_ROWS).map((f) => {
      const status = f.closed ? s.green(`${f.closeReason ?? "closed"}${f.closedOn ? ` ${isoDate(f.closedOn)}` : ""}`) : isOverdue(f, now) ? s.red(formatDue(f.dueDate, now)) : formatDue(f.dueDate, now);
      return [status, f.shortDescription, f.maintenanceId, f.owner ?? ""];
    });
    text += renderTable(["STATUS", "ITEM", "ID", "OWNER"], rows, s, 70);
  }
  text += `\nWhich rules apply and why:  dm rules explain ${e._key}\n`;
  ctx.stdout.write(text);
  return view;
}
