import { findConfigFile } from "../../core/ingest/config-file.js";
import { loadRulesSetup, type RulesSetup } from "../../core/rules/config.js";
import { type Explanation, explainEntity } from "../../core/rules/explain.js";
import { type RulesRunResult, runRules } from "../../core/rules/run.js";
import { chooseRules, listRules, type RuleRow, runSummary } from "../../core/rules/select.js";
import { dataDir } from "../../shared/config.js";
import { type CommandContext, withStore } from "../context.js";
import { renderTable } from "../output.js";
import type { RulesExplainFlags, RulesListFlags, RulesRunFlags } from "./rules.command.js";
import { wantsJson } from "../output.js";

/** The packs and deployment models of dm.config.yaml (this folder, else ~/.deferred-maintenance/), with the built-in pack. */
export function rulesSetup(ctx: CommandContext): RulesSetup {
  return loadRulesSetup(findConfigFile(ctx.cwd, dataDir(ctx.config)), ctx.cwd);
}

export async function rulesListCommand(ctx: CommandContext, options: RulesListFlags): Promise<RuleRow[]> {
  const rules = chooseRules(rulesSetup(ctx), options);
  const rows = await withStore(ctx, options.db, (store) => listRules(store, rules, ctx.now()));
  if (wantsJson(options)) ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    ctx.stdout.write(
      renderTable(
        ["ID", "R", "TITLE", "APPLIES TO", "OPEN"],
        rows.map((r) => [r.enabled ? r.id : `${r.id} (disabled)`, r.r, r.title, Array.isArray(r.appliesTo) ? r.appliesTo.join(", ") : "all", String(r.openFindings)]),
        ctx.style,
      ),
    );
  }
  return rows;
}

export function printRun(ctx: CommandContext, r: RulesRunResult): void {
  const s = ctx.style;
  const verb = r.dryRun ? "would open" : "opened";
  ctx.stdout.write(
    renderTable(
      ["RULE", "R", "VIOLATIONS", r.dryRun ? "WOULD OPEN" : "OPENED", r.dryRun ? "WOULD CLOSE" : "CLOSED", "REOPENED"],
      r.rules.map((o) => [o.id, o.r, String(o.violations), String(o.opened), String(o.closed), String(o.reopened)]),
      s,
    ),
  );
  ctx.stdout.write(
    `${s.bold(r.dryRun ? "Dry run" : "Rules run")}: ${verb} ${r.opened} · ${r.dryRun ? "would close" : "closed"} ${r.closed} · reopened ${r.reopened} · unchanged ${r.unchanged}${r.dryRun ? " (nothing written)" : ""}\n`,
  );
  for (const note of r.notes) ctx.stdout.write(`${s.yellow("note:")} ${note}\n`);
}

export async function rulesRunCommand(ctx: CommandContext, options: RulesRunFlags): Promise<RulesRunResult> {
  const setup = rulesSetup(ctx);
  const rules = chooseRules(setup, options);
  const result = await withStore(
    ctx,
    options.db,
    (store) => runRules(store, rules, { now: ctx.now(), actor: "dm", ranBy: ctx.actor(), dryRun: options.dryRun === true, deploymentModels: setup.deploymentModels, sla: setup.sla }),
  );
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify(runSummary(result), null, 2)}\n`);
  } else printRun(ctx, result);
  return result;
}

export async function rulesExplainCommand(ctx: CommandContext, options: RulesExplainFlags & { entity: string }): Promise<Explanation> {
  const setup = rulesSetup(ctx);
  const rules = setup.packs.flatMap((p) => p.rules);
  const e = await withStore(ctx, options.db, (store) => explainEntity(store, rules, options.entity, { now: ctx.now(), deploymentModels: setup.deploymentModels }));
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify({ entity: e.entity, rules: e.rules.map(({ id, r, status, reason }) => ({ id, r, status, reason })) }, null, 2)}\n`);
    return e;
  }
  printExplanation(ctx, e);
  return e;
}

export function printExplanation(ctx: CommandContext, e: Explanation): void {
  const s = ctx.style;
  ctx.stdout.write(`${s.bold(e.entity.displayName)} (${e.entity._type}, ${e.entity._key})\ndeployment model: ${e.entity.deploymentModel ?? "unknown"}\n\n`);
  const color = { violates: s.red, ok: s.green, "not-applicable": s.dim, unknown: s.yellow } as const;
  // one rule per paragraph: the reasons are sentences, too long for a table column
  const width = Math.max(...e.rules.map((r) => r.id.length));
  for (const r of e.rules) ctx.stdout.write(`${r.id.padEnd(width)}  ${color[r.status](r.status)}\n  ${r.reason}\n`);
}
