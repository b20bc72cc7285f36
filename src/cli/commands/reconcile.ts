import type { ReconcileResult } from "../../core/maintenance/reconcile.js";
import { withBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import { outputFormat } from "../output.js";
import type { ReconcileFlags } from "./reconcile.command.js";

export type ReconcileCommandOptions = ReconcileFlags;

export async function reconcileCommand(ctx: CommandContext, options: ReconcileCommandOptions): Promise<ReconcileResult> {
  const now = ctx.now();
  const json = outputFormat(options) === "json";
  const result = await withBackend(ctx, options.db, async (b) => {
    return b.reconcile({ now, actor: "dm", ranBy: await b.actor(), listChanges: true, ...(options.dryRun ? { dryRun: true } : {}) });
  });
  for (const e of result.errors) {
    ctx.stderr.write(`${ctx.style.yellow("warning:")} item ${e.maintenanceId} left as it is: ${e.message}\n`);
  }
  if (json) {
    ctx.stdout.write(`${JSON.stringify(result)}\n`);
    return result;
  }
  const s = ctx.style;
  const items = `${result.items} tracked ${result.items === 1 ? "item" : "items"}`;
  const verb = options.dryRun ? "Would reconcile" : "Reconciled";
  ctx.stdout.write(
    `${s.bold(`${verb} ${items}: ${options.dryRun ? "open" : "opened"} ${result.opened} · ${options.dryRun ? "close" : "closed"} ${result.closed} · ${options.dryRun ? "reopen" : "reopened"} ${result.reopened}`)}${options.dryRun ? s.dim(" (dry run: nothing written)") : ""}\n`,
  );
  for (const item of result.perItem) {
    const changes = [`${item.matched} match`];
    if (item.opened > 0) changes.push(`${options.dryRun ? "would open" : "opened"} ${item.opened}`);
    if (item.closed > 0) changes.push(`${options.dryRun ? "would close" : "closed"} ${item.closed}`);
    if (item.notClosed > 0) changes.push(`${item.notClosed} left open`);
    ctx.stdout.write(`  ${item.maintenanceId}  ${item.shortDescription}: ${changes.join(" · ")}\n`);
  }
  if (result.reopened > 0) {
    ctx.stdout.write(`${result.reopened} expired risk ${result.reopened === 1 ? "acceptance" : "acceptances"} ${options.dryRun ? "would be " : ""}reopened.\n`);
  }
  // what changed, finding by finding (a server older than this has no list)
  const LIMIT = 20;
  for (const action of ["reopened", "closed", "opened"] as const) {
    const list = (result.changes ?? []).filter((c) => c.action === action);
    if (list.length === 0) continue;
    const label = options.dryRun ? { reopened: "Would reopen", closed: "Would close", opened: "Would open" }[action] : action[0]!.toUpperCase() + action.slice(1);
    ctx.stdout.write(`${label}:\n`);
    for (const c of list.slice(0, LIMIT)) ctx.stdout.write(`  ${c.maintenanceId}  ${c.entityName}\n`);
    if (list.length > LIMIT) ctx.stdout.write(`  … and ${list.length - LIMIT} more (--json lists them all)\n`);
  }
  if (result.closingSkipped) {
    ctx.stdout.write(
      s.yellow(
        `Sync run ${result.closingSkipped.syncRun}, the latest of its source, is ${result.closingSkipped.status}: nothing was closed. Sync that source again, then reconcile.\n`,
      ),
    );
  }
  return result;
}
