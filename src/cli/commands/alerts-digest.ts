/** `dm alerts digest`: build and send this period's digests (src/core/alerts/digest.ts). */
import type { AlertAction } from "../../core/alerts/config.js";
import { type DigestSetup, loadDigestSetup } from "../../core/alerts/digest-config.js";
import { type DigestRun, runDigests } from "../../core/alerts/digest.js";
import { findConfigFile } from "../../core/ingest/config-file.js";
import { formatDue } from "../../core/maintenance/due.js";
import { dataDir } from "../../shared/config.js";
import { CheckFailedError, InputError } from "../../shared/errors.js";
import { type CommandContext, withStore } from "../context.js";
import { renderTable } from "../output.js";
import { destinationFactory } from "./alerts-destinations.js";
import type { AlertsDigestFlags } from "./alerts.command.js";
import { destinationsOf } from "./alerts.js";
import { wantsJson } from "../output.js";

/** The digests: section of dm.config.yaml (this folder, else ~/.deferred-maintenance/); an error without one. */
export function digestSetup(ctx: CommandContext, file?: string): DigestSetup {
  const found = file ?? findConfigFile(ctx.cwd, dataDir(ctx.config));
  const setup = loadDigestSetup(found, destinationFactory());
  if (!setup) {
    throw new InputError(`${found ?? "dm.config.yaml"}: no digests: section, so there is nothing to send`, {
      details: ['digests:\n  schedule: weekly\n  actions: [{type: slack, token: env:SLACK_BOT_TOKEN, channel: "#maintenance"}]\nowners:\n  payments: {slack: "#payments"}', "See docs/alerts.md (Digests)."],
    });
  }
  return setup;
}

/** Destinations for a list of actions (secrets read on first send). */
export function digestDestinations(ctx: CommandContext): (actions: readonly AlertAction[]) => ReturnType<ReturnType<typeof destinationsOf>> {
  const of = destinationsOf(ctx);
  return (actions) => of({ actions: [...actions] });
}

function print(ctx: CommandContext, run: DigestRun, now: number): void {
  const s = ctx.style;
  const period = run.period.replace(/:00\.000Z$/, " UTC").replace("T", " ");
  if (run.skipped === "locked") {
    ctx.stdout.write("Another process is sending digests now: nothing done here.\n");
    return;
  }
  const owners = run.empty === 1 ? "1 owner has" : `${run.empty} owners have`;
  ctx.stdout.write(
    `Digests for the period from ${period}: ${run.digests.length} ${run.dryRun ? "would be sent" : "built"}${run.empty > 0 ? `; ${owners} nothing overdue or due soon (no digest)` : ""}\n`,
  );
  if (run.digests.length > 0) {
    ctx.stdout.write(
      renderTable(
        ["OWNER", "OVERDUE", "DUE SOON", "OPEN", "TO"],
        run.digests.map((d) => [d.owner ?? "(unowned)", String(d.overdue), String(d.dueSoon), String(d.open), d.destinations.join(", ") || s.yellow("nowhere")]),
        s,
      ),
    );
  }
  if (run.dryRun) {
    for (const d of run.digests) {
      ctx.stdout.write(`\n${s.bold(d.title)}\n`);
      for (const i of d.worst) ctx.stdout.write(`  ${formatDue(i.dueDate, now).padEnd(18)} ${i.shortDescription} on ${i.entityName}  ${i.maintenanceId}${i.link ? `  ${i.link}` : ""}\n`);
    }
  }
  for (const d of run.deliveries) {
    const status = d.status === "sent" ? s.green(d.status) : d.status === "failed" || d.status === "abandoned" ? s.red(d.status) : s.yellow(d.status);
    ctx.stdout.write(`  ${d.group ?? "(unowned)"} → ${d.destination}: ${status}${d.error ? ` (${d.error})` : ""}\n`);
  }
  const nowhere = run.digests.filter((d) => d.destinations.length === 0);
  if (nowhere.length > 0) ctx.stdout.write(`${s.yellow("note:")} no destination for ${nowhere.map((d) => d.owner ?? "(unowned)").join(", ")}: give digests.actions (the default) or owners:\n`);
  if (!run.dryRun && run.digests.some((d) => d.destinations.length > 0) && run.deliveries.length === 0) ctx.stdout.write("Already sent for this period: nothing new to send.\n");
  if (run.pending > 0) ctx.stdout.write(`${run.pending} pending: retried on the next run (dm serve retries every minute)\n`);
  if (run.dryRun) ctx.stdout.write(`${s.bold("Dry run")}: nothing written, nothing sent\n`);
}

export async function alertsDigestCommand(ctx: CommandContext, options: AlertsDigestFlags) {
  const setup = digestSetup(ctx);
  const now = ctx.now();
  const run = await withStore(
    ctx,
    options.db,
    (store) =>
      runDigests(store, setup, {
        now,
        dryRun: options.dryRun === true,
        ...(options.owner === undefined ? {} : { owner: options.owner }),
        destinations: digestDestinations(ctx),
      }),
    { create: options.dryRun !== true },
  );
  if (wantsJson(options)) ctx.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  else print(ctx, run, now);
  const failed = run.deliveries.filter((d) => d.status === "failed" || d.status === "abandoned");
  if (failed.length > 0) throw new CheckFailedError(`${failed.length} digest deliver${failed.length === 1 ? "y" : "ies"} failed (dm alerts history --rule digest shows them)`);
  return run;
}
