/**
 * Which rules a command or a request means (`--pack`, `--rule`), the list of
 * them with their open findings, and the published shape of a run: one
 * computation for `dm rules`, the API and the dashboard.
 */
import { InputError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import type { RulesSetup } from "./config.js";
import { type DeploymentModel, fill, type R, type Rule } from "./pack.js";
import { openFindingsByRule, type RulesRunResult } from "./run.js";

/** The enabled rules chosen by pack and rule id (each named must exist). */
export function chooseRules(setup: RulesSetup, options: { pack?: string | undefined; rule?: string | undefined }, flag = { pack: "--pack", rule: "--rule" }): Rule[] {
  let rules = setup.packs.flatMap((p) => p.rules);
  if (options.pack !== undefined) {
    if (!setup.packs.some((p) => p.name === options.pack)) {
      throw new InputError(`${flag.pack}: no pack "${options.pack}"`, { details: [`Packs: ${setup.packs.map((p) => p.name).join(", ")}.`] });
    }
    rules = rules.filter((r) => r.pack === options.pack);
  }
  if (options.rule !== undefined) {
    const one = rules.filter((r) => r.id === options.rule);
    if (one.length === 0) throw new InputError(`${flag.rule}: no rule "${options.rule}"`, { details: ["dm rules list shows them."] });
    if (!one.some((r) => r.enabled)) throw new InputError(`${flag.rule}: "${options.rule}" is disabled in dm.config.yaml (rules.overrides)`);
    rules = one;
  }
  return rules;
}

export interface RuleRow {
  id: string;
  pack: string;
  r: R;
  title: string;
  appliesTo: DeploymentModel[] | "all";
  enabled: boolean;
  openFindings: number;
  severity: string;
  rationale: string;
  query: string;
  parameters: Record<string, string | number | boolean>;
}

/** Each rule with its open findings (one grouped query). */
export async function listRules(store: GraphStore, rules: readonly Rule[], now: number): Promise<RuleRow[]> {
  const open = await openFindingsByRule(store, now);
  return rules.map((r) => ({
    id: r.id,
    pack: r.pack,
    r: r.r,
    title: fill(r.title, r.parameters),
    appliesTo: r.appliesTo ? [...r.appliesTo] : "all",
    enabled: r.enabled,
    openFindings: open.get(`${r.pack}/${r.id}`) ?? 0,
    severity: r.severity,
    rationale: r.rationale,
    query: r.query,
    parameters: { ...r.parameters },
  }));
}

/** `dm rules run --json` and the API's answer: the counts, each rule's, and the notes. */
export function runSummary(result: RulesRunResult) {
  const { opened, closed, unchanged, reopened, dryRun, notes } = result;
  const rules = result.rules.map((o) => ({ id: o.id, pack: o.pack, r: o.r, violations: o.violations, opened: o.opened, closed: o.closed, reopened: o.reopened }));
  return { opened, closed, unchanged, reopened, dryRun, rules, notes };
}
