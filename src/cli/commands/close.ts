import {
  type CloseInput,
  type CloseResult,
  parseCloseReason,
} from "../../core/maintenance/close.js";
import { isoDate, parseDue } from "../../core/maintenance/due.js";
import { assertMaintenanceId, CLOSE_REASONS } from "../../core/maintenance/finding.js";
import { assertSelectionQuery, linkProblem, previewNames } from "../../core/maintenance/open.js";
import { InputError } from "../../shared/errors.js";
import { withBackend } from "../backend.js";
import { unknownItemError } from "../suggestions.js";
import type { CommandContext } from "../context.js";
import { outputFormat } from "../output.js";
import { problemOf, REFUSE_WITHOUT_YES } from "./open.js";
import { plural } from "./report.js";
import type { CloseFlags } from "./close.command.js";
import { oneItemId } from "../registration.js";

export interface CloseOptions extends CloseFlags {
  /** the item's id given as the argument (`dm close 9c3e21a0`) */
  idArgument?: string;
}

export async function closeCommand(ctx: CommandContext, given: CloseOptions): Promise<CloseResult | undefined> {
  const now = ctx.now();
  const { idArgument, ...flags } = given;
  const id = oneItemId(idArgument, flags.id);
  const json = outputFormat(flags) === "json";
  const options: CloseFlags = { ...flags, ...(id === undefined ? {} : { id }) };
  if (options.id === undefined && options.query === undefined) {
    throw new InputError("say what to close: --id MID, --query Q, or both", {
      details: ["  dm close --id 9c3e21a0 --reason COMPLETE --link https://github.com/acme/payments/pull/42 --yes"],
    });
  }
  if (options.id !== undefined) assertMaintenanceId(options.id);
  if (options.query !== undefined) assertSelectionQuery(options.query);
  let reason = options.reason === undefined ? undefined : parseCloseReason(options.reason);
  let link = options.link;
  if (link !== undefined) {
    const problem = linkProblem(link, "--link");
    if (problem) throw new InputError(problem);
  }
  let until = options.until === undefined ? undefined : parseDue(options.until, now, "--until");
  if (!ctx.interactive && reason === undefined) {
    throw new InputError(`missing --reason: ${CLOSE_REASONS.join(", ")}`, {
      details: ["Not on a terminal, so nothing can be asked."],
    });
  }

  return withBackend(ctx, options.db, async (b) => {
    if (options.id !== undefined && (await b.loadFindings(now, { maintenanceId: options.id })).length === 0) {
      throw await unknownItemError(b, options.id, now, "`dm list` and `dm stats` show the ids of the items.");
    }
    let confirmed = !!options.yes;
    const actor = await b.actor();
    const input = (): CloseInput => ({
      ...(options.id === undefined ? {} : { maintenanceId: options.id }),
      ...(options.query === undefined ? {} : { query: options.query }),
      reason: reason!,
      ...(link === undefined ? {} : { link }),
      ...(until === undefined ? {} : { until }),
      actor,
      now,
    });
    if (ctx.interactive) {
      const p = ctx.prompter();
      try {
        reason ??= await p.choose("Why close? (COMPLETE: done · ERROR: opened by mistake · RISK_ACCEPTED: not now, until a date)", CLOSE_REASONS, 0);
        if (link === undefined && reason !== "ERROR") {
          const what = reason === "COMPLETE" ? "Link to the change that did it (pull request)" : "Link to the decision record";
          link = await p.text(what, { validate: (a) => linkProblem(a) });
        }
        if (until === undefined && reason === "RISK_ACCEPTED") {
          const text = await p.text("Accept the risk until (90d, 2027-03-31)", {
            validate: (a) => problemOf(() => parseDue(a, now, "the date")),
          });
          until = parseDue(text, now, "the date");
        }
        if (!options.yes && !options.dryRun) {
          const preview = await b.close({ ...input(), dryRun: true });
          const count = `${preview.closed} ${preview.closed === 1 ? "finding" : "findings"}`;
          const what =
            reason === "RISK_ACCEPTED" ? `Accept the risk on ${count} until ${isoDate(until!)}` : `Close ${count} as ${reason}`;
          const ok = await p.confirm(`${what}: ${previewNames(preview.findings.map((f) => f.entityName))}?`, true);
          if (!ok) {
            ctx.stderr.write("Nothing closed.\n");
            return undefined;
          }
          confirmed = true;
        }
      } finally {
        p.close();
      }
    }
    const refuse = !options.dryRun && !confirmed;
    const result = await b.close({ ...input(), dryRun: !!options.dryRun || refuse });
    if (refuse) {
      throw new InputError(REFUSE_WITHOUT_YES, {
        details: [`It would close ${plural(result.closed, "finding")}.`, "Add --yes to close them, or --dry-run to list them."],
      });
    }
    if (json) ctx.stdout.write(`${JSON.stringify(result)}\n`);
    else print(ctx, result, options.id, until);
    return result;
  });
}

function print(ctx: CommandContext, r: CloseResult, id: string | undefined, until: number | undefined): void {
  const s = ctx.style;
  const noun = r.closed === 1 ? "finding" : "findings";
  const of = id !== undefined ? ` of ${id}` : "";
  const head =
    r.reason === "RISK_ACCEPTED"
      ? `${r.dryRun ? "Would accept" : "Accepted"} the risk on ${r.closed} ${noun}${of} until ${isoDate(until!)}`
      : `${r.dryRun ? "Would close" : "Closed"} ${r.closed} ${noun}${of} as ${r.reason}`;
  ctx.stdout.write(`${s.bold(head)}${r.dryRun ? s.dim(" (dry run: nothing written)") : ""}\n`);
  if (r.dryRun) ctx.stdout.write(`  ${previewNames(r.findings.map((f) => f.entityName), 10)}\n`);
  if (r.skipped.length > 0) {
    ctx.stdout.write(`Skipped ${r.skipped.length} selected ${r.skipped.length === 1 ? "entity" : "entities"}:\n`);
    for (const e of r.skipped.slice(0, 10)) ctx.stdout.write(`  ${e.name}: ${e.why}\n`);
    if (r.skipped.length > 10) ctx.stdout.write(`  … and ${r.skipped.length - 10} more (--json lists them all)\n`);
  }
  if (r.reason === "RISK_ACCEPTED" && !r.dryRun) {
    ctx.stdout.write(s.dim("They reopen by themselves when the acceptance expires (dm reconcile).\n"));
  }
}
