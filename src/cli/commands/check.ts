/**
 * `dm check`: a gate for CI pipelines and deploys. Exit 1 when the
 * repository has open maintenance overdue by more than the grace, 0 otherwise.
 */
import { DAY_MS, formatDue, parseDuration } from "../../core/maintenance/due.js";
import type { Finding } from "../../core/maintenance/finding.js";
import { isOverdue, type RepoRef } from "../../core/maintenance/report.js";
import { CheckFailedError } from "../../shared/errors.js";
import { withBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import { outputFormat } from "../output.js";
import { closeHint, plural, resolveRepo, viaLabel } from "./report.js";
import type { CheckFlags } from "./check.command.js";

export type CheckOptions = CheckFlags;

export interface CheckResult {
  ok: boolean;
  repo: RepoRef;
  graceMs: number;
  /** open findings */
  open: number;
  /** distinct open maintenance items */
  openItems: number;
  /** overdue by more than the grace: these fail the check */
  failing: Finding[];
  /** overdue, but within the grace */
  withinGrace: Finding[];
}

/** "7 days", "12 hours", "0 days" */
export function formatGrace(ms: number): string {
  if (ms % DAY_MS === 0) return plural(ms / DAY_MS, "day");
  return plural(Math.round(ms / 3_600_000), "hour");
}

/**
 * One item per line: several findings of one item on one repo are one line;
 * a finding of the item on an asset the repo deploys is a line of its own
 * ("via web-1"): it is closed on that asset.
 */
function byItem(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const id = `${f.maintenanceId}\n${f.via?.key ?? ""}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** " (2 via deployed assets)", or "" when none of these findings is reached via one. */
function viaNote(findings: Finding[]): string {
  const n = findings.filter((f) => f.via).length;
  return n === 0 ? "" : ` (${n} via deployed assets)`;
}

export async function checkCommand(ctx: CommandContext, options: CheckOptions): Promise<CheckResult> {
  const json = outputFormat(options) === "json";
  const graceMs = parseDuration(options.grace ?? "0", "--grace");
  const now = ctx.now();
  const result = await withBackend(ctx, options.db, async (b): Promise<CheckResult> => {
    const repo = await resolveRepo(ctx, b, options.repo, "dm check");
    const report = await b.repoReport(repo, { now });
    const failing = report.findings.filter((f) => isOverdue(f, now, graceMs));
    const withinGrace = report.findings.filter((f) => isOverdue(f, now) && !isOverdue(f, now, graceMs));
    return {
      ok: failing.length === 0,
      repo,
      graceMs,
      open: report.open,
      openItems: new Set(report.findings.map((f) => f.maintenanceId)).size,
      failing,
      withinGrace,
    };
  });
  const grace = formatGrace(graceMs);
  const beyond = graceMs === 0 ? "overdue" : `overdue by more than ${grace}`;
  if (json) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!result.ok) {
    const items = byItem(result.failing);
    const first = items[0]!;
    if (!json) {
      const s = ctx.style;
      const what = graceMs === 0 ? "overdue maintenance" : `maintenance ${beyond}`;
      ctx.stdout.write(
        `${s.red("✗")} ${result.repo.name} has ${what}${viaNote(items)}:\n` +
          items
            .map((f) => `  ${f.shortDescription}, ${formatDue(f.dueDate, now)} (${f.webLink || f.maintenanceId})${f.via ? ` ${viaLabel(f.via)}` : ""}\n`)
            .join("") +
          `\nDone with it?     ${closeHint(result.repo, first.maintenanceId, "COMPLETE", first.via)}\n` +
          `Accepting it?     ${closeHint(result.repo, first.maintenanceId, "RISK_ACCEPTED", first.via)}\n`,
      );
    }
    throw new CheckFailedError(`check failed: ${plural(items.length, "item")} ${beyond} on ${result.repo.name}${viaNote(items)}`);
  }
  if (!json) {
    const soon = byItem(result.withinGrace);
    const also =
      soon.length > 0
        ? ` (${plural(soon.length, "item")} overdue within the grace: ${soon.map((f) => `${f.shortDescription}, ${formatDue(f.dueDate, now)}`).join("; ")})`
        : "";
    ctx.stdout.write(
      `${ctx.style.green("✓")} ${result.repo.name}: ok, nothing ${beyond}, ${plural(result.openItems, "open item")}${also}\n`,
    );
  }
  return result;
}
