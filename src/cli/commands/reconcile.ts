import type { ReconcileResult } from "../../core/maintenance/reconcile.js";
import { withBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import type { ReconcileFlags } from "./reconcile.command.js";

export type ReconcileCommandOptions = ReconcileFlags;

export async function reconcileCommand(ctx: CommandContext, options: ReconcileCommandOptions): Promise<ReconcileResult> {
  const now = ctx.now();
  const result = await withBackend(ctx, options.db, async (b) => b.reconcile({ now, actor: "dm", ranBy: await b.actor() }));
  for (const e of result.errors) {
    ctx.stderr.write(`${ctx.style.yellow("warning:")} item ${e.maintenanceId} left as it is: ${e.message}\n`);
  }
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(result)}\n`);
    return result;
  }
  const s = ctx.style;
  const items = `${result.items} tracked ${result.items === 1 ? "item" : "items"}`;
  ctx.stdout.write(
    `${s.bold(`Reconciled ${items}: opened ${result.opened} · closed ${result.closed} · reopened ${result.reopened}`)}\n`,
  );
  for (const item of result.perItem) {
    const changes = [`${item.matched} match`];
    if (item.opened > 0) changes.push(`opened ${item.opened}`);
    if (item.closed > 0) changes.push(`closed ${item.closed}`);
    if (item.notClosed > 0) changes.push(`${item.notClosed} left open`);
    ctx.stdout.write(`  ${item.maintenanceId}  ${item.shortDescription}: ${changes.join(" · ")}\n`);
  }
  if (result.reopened > 0) {
    ctx.stdout.write(`${result.reopened} expired risk ${result.reopened === 1 ? "acceptance" : "acceptances"} reopened.\n`);
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
