/** `dm list`: one row per open finding, by due date. */
import { DAY_MS, formatDue, parseDuration } from "../../core/maintenance/due.js";
import { assertMaintenanceId, type Finding } from "../../core/maintenance/finding.js";
import { isOverdue } from "../../core/maintenance/report.js";
import { InputError } from "../../shared/errors.js";
import { withBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import { outputFormat, renderCsv, renderTable } from "../output.js";
import { plural } from "./report.js";
import type { ListFlags } from "./list.command.js";
import { oneItemId } from "../registration.js";

export const LIST_FORMATS = ["table", "json", "csv"] as const;

export interface ListOptions extends ListFlags {
  /** the item given as the argument (or --id) */
  idArgument?: string;
}

/** Epoch ms as an ISO 8601 UTC timestamp (CSV and evidence files). */
export function isoTime(ms: number | undefined): string {
  return ms === undefined || ms === 0 ? "" : new Date(ms).toISOString();
}

export const LIST_CSV_COLUMNS = [
  "maintenanceId",
  "item",
  "entity",
  "entityType",
  "entityKey",
  "owner",
  "dueDate",
  "overdue",
  "webLink",
  "createdBy",
] as const;

function overdueDays(value: boolean | string | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 0;
  const ms = parseDuration(value, "--overdue");
  if (ms % DAY_MS !== 0) throw new InputError(`--overdue ${value}: give whole days, like 7 or 2w`);
  return ms / DAY_MS;
}

export async function listCommand(ctx: CommandContext, options: ListOptions): Promise<Finding[]> {
  const format = outputFormat(options, LIST_FORMATS);
  if (!LIST_FORMATS.includes(format)) throw new InputError(`--format ${format} is not known; use table, json or csv`);
  const days = overdueDays(options.overdue);
  const id = oneItemId(options.idArgument, options.id);
  const maintenanceId = id === undefined ? undefined : assertMaintenanceId(id);
  const now = ctx.now();
  const findings = await withBackend(ctx, options.db, (b) => b.listFindings({ now, overdueDays: days, maintenanceId }));
  if (format === "json") {
    ctx.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  } else if (format === "csv") {
    ctx.stdout.write(
      renderCsv(
        [...LIST_CSV_COLUMNS],
        findings.map((f) => [
          f.maintenanceId,
          f.shortDescription,
          f.entityName,
          f.entityType,
          f.entityKey,
          f.owner ?? "",
          isoTime(f.dueDate),
          isOverdue(f, now) ? Math.floor((now - f.dueDate) / DAY_MS) : "",
          f.webLink,
          f.createdBy,
        ]),
      ),
    );
  } else if (findings.length > 0) {
    const s = ctx.style;
    ctx.stdout.write(
      renderTable(
        ["DUE", "ITEM", "ENTITY", "OWNER", "ID"],
        findings.map((f) => {
          const due = formatDue(f.dueDate, now);
          return [
            isOverdue(f, now) ? s.red(due) : due,
            f.shortDescription,
            f.entityName || f.entityKey,
            f.owner ?? "",
            f.maintenanceId,
          ];
        }),
        s,
      ),
    );
  }
  const overdue = findings.filter((f) => isOverdue(f, now)).length;
  const items = new Set(findings.map((f) => f.maintenanceId)).size;
  const filter = [
    days === undefined ? "" : days === 0 ? "overdue" : `overdue by more than ${plural(days, "day")}`,
    maintenanceId === undefined ? "" : `of ${maintenanceId}`,
  ]
    .filter(Boolean)
    .join(" ");
  const summary =
    findings.length === 0
      ? `no open findings${filter ? ` ${filter}` : ""}`
      : `${plural(findings.length, "open finding")}${filter ? ` ${filter}` : ""} in ${plural(items, "item")}, ${overdue} overdue`;
  ctx.stderr.write(`${ctx.style.dim(summary)}\n`);
  return findings;
}
