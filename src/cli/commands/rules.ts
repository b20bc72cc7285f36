import { findConfigFile } from "../../core/ingest/config-file.js";
import { loadRulesSetup, type RulesSetup } from "../../core/rules/config.js";
import { type Explanation, explainEntity } from "../../core/rules/explain.js";
import { fill, type Rule } from "../../core/rules/pack.js";
import { openFindingsByRule, type RulesRunResult, runRules } from "../../core/rules/run.js";
import { dataDir } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import { type CommandContext, withStore } from "../context.js";
import { renderTable } from "../output.js";
import type { RulesExplainFlags, RulesListFlags, RulesRunFlags } from "./rules.command.js";

/** The packs and deployment models of dm.config.yaml (this folder, else ~/.deferred-maintenance/), with the built-in pack. */
export function rulesSetup(ctx: CommandContext): RulesSetup {
  return loadRulesSetup(findConfigFile(ctx.cwd, dataDir(ctx.config)), ctx.cwd);
}

/** The enabled rules chosen by --pack and --rule (each named must exist). */
function chosenRules(setup: RulesSetup, options: { pack?: string; rule?: string }): Rule[] {
  let rules = setup.packs.flatMap((p) => p.rules);
  if (options.pack !== undefined) {
    if (!setup.packs.some((p) => p.name === options.pack)) {
      throw new InputError(`--pack: no pack "${options.pack}"`, { details: [`Packs: ${setup.packs.map((p) => p.name).join(", ")}.`] });
    }
    rules = rules.filter((r) => r.pack === options.pack);
  }
  if (options.rule !== undefined) {
    const one = rules.filter((r) => r.id === options.rule);
    if (one.length === 0) throw new InputError(`--rule: no rule "${options.rule}"`, { details: ["dm rules list shows them."] });
    if (!one.some((r) => r.enabled)) throw new InputError(`--rule: "${options.rule}" is disabled in dm.config.yaml (rules.overrides)`);
    rules = one;
  }
  return rules;
}

export async function rulesListCommand(ctx: CommandContext, options: RulesListFlags) {
  const setup = rulesSetup(ctx);
  const rules = chosenRules(setup, options);
  const open = await withStore(ctx, options.db, (store) => openFindingsByRule(store, ctx.now()));
  const rows = rules.map((r) => ({
    id: r.id,
    pack: r.pack,
    r: r.r,
    title: fill(r.title, r.parameters),
    appliesTo: r.appliesTo ?? "all",
    enabled: r.enabled,
    openFindings: open.get(`${r.pack}/${r.id}`) ?? 0,
    severity: r.severity,
    rationale: r.rationale,
    query: r.query,
    parameters: r.parameters,
  }));
  if (options.json) ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
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
  const rules = chosenRules(setup, options);
  const result = await withStore(
    ctx,
    options.db,
    (store) => runRules(store, rules, { now: ctx.now(), actor: "dm", ranBy: ctx.actor(), dryRun: options.dryRun === true, deploymentModels: setup.deploymentModels }),
  );
  if (options.json) {
    const { opened, closed, unchanged, reopened, dryRun, notes } = result;
    const rulesOut = result.rules.map((o) => ({ id: o.id, pack: o.pack, r: o.r, violations: o.violations, opened: o.opened, closed: o.closed, reopened: o.reopened }));
    ctx.stdout.write(`${JSON.stringify({ opened, closed, unchanged, reopened, dryRun, rules: rulesOut, notes }, null, 2)}\n`);
  } else printRun(ctx, result);
  return result;
}

export async function rulesExplainCommand(ctx: CommandContext, options: RulesExplainFlags & { entity: string }): Promise<Explanation> {
  const setup = rulesSetup(ctx);
  const rules = setup.packs.flatMap((p) => p.rules);
  const e = await withStore(ctx, options.db, (store) => explainEntity(store, rules, options.entity, { now: ctx.now(), deploymentModels: setup.deploymentModels }));
  if (options.json) {
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
