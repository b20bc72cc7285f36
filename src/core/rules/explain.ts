/**
 * `dm rules explain <entity>`: every rule of every enabled pack, and for
 * this entity whether it violates it, is fine, or the rule does not apply —
 * and why (the rule is about other kinds of asset; its deployment model is
 * one the rule does not apply to, with what to do instead; its model is not
 * recorded, so the rule cannot judge it).
 */
import { j1qlString } from "../../query/quote.js";
import { type ListItem, runQuery } from "../../query/run.js";
import { parseQuery } from "../../query/parser.js";
import { InputError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import { configuredModels, type DeploymentRule, modelOf } from "./deployment.js";
import { type DeploymentModel, fill, type Rule } from "./pack.js";
import { violationsOf } from "./run.js";

export type RuleStatus = "violates" | "ok" | "not-applicable" | "unknown";

export interface Explanation {
  entity: { _key: string; _type: string; displayName: string; deploymentModel: DeploymentModel | null };
  rules: { id: string; pack: string; r: string; title: string; status: RuleStatus; reason: string; rationale: string }[];
}

/** The entity a user names: its key, else its name or display name (one match). */
export async function findEntity(store: GraphStore, ref: string, now: number): Promise<ListItem> {
  for (const query of [`Find * with _key = ${j1qlString(ref)}`, `Find * with name = ${j1qlString(ref)}`, `Find * with displayName = ${j1qlString(ref)}`]) {
    const r = await runQuery(store, query, { now, all: true });
    if (r.type !== "list") continue;
    const found = r.data.filter((i) => i.entity._type !== "deferred_maintenance");
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new InputError(`"${ref}" names ${found.length} entities: give one's key`, {
        details: found.slice(0, 5).map((i) => `${i.entity._key} (${i.entity._type})`),
      });
    }
  }
  throw new InputError(`no entity has the key or name "${ref}"`, { details: ["dm query \"Find * with name ^= '...'\" finds keys."] });
}

/** The classes and types a rule's query starts from (empty: any entity). */
function targetsOf(rule: Rule): { classes: string[]; types: string[] } {
  const targets = parseQuery(rule.query).start.targets;
  return {
    classes: targets.filter((t) => t.kind === "class").map((t) => t.name),
    types: targets.filter((t) => t.kind === "type").map((t) => t.name),
  };
}

export async function explainEntity(
  store: GraphStore,
  rules: readonly Rule[],
  ref: string,
  options: { now: number; deploymentModels?: readonly DeploymentRule[] },
): Promise<Explanation> {
  const { now } = options;
  const item = await findEntity(store, ref, now);
  const models = await configuredModels(store, options.deploymentModels ?? [], now);
  const model = modelOf(item, models);
  const out: Explanation = {
    entity: {
      _key: item.entity._key,
      _type: item.entity._type,
      displayName: item.entity.displayName ?? String(item.properties.name ?? item.entity._key),
      deploymentModel: model ?? null,
    },
    rules: [],
  };
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const base = { id: rule.id, pack: rule.pack, r: rule.r, title: fill(rule.title, rule.parameters), rationale: rule.rationale };
    // a deployment model the rule does not apply to says the most (repave an immutable container: never)
    if (rule.appliesTo && model !== undefined && !rule.appliesTo.includes(model)) {
      out.rules.push({
        ...base,
        status: "not-applicable",
        reason: `${rule.r}: not applicable — deployment model is ${model}${rule.notApplicable ? `; ${rule.notApplicable}` : ""}`,
      });
      continue;
    }
    const { classes, types } = targetsOf(rule);
    const isTarget =
      classes.length + types.length === 0 || types.includes(item.entity._type) || classes.some((c) => item.entity._class.includes(c));
    if (!isTarget) {
      const about = [...classes, ...types].join(" or ");
      out.rules.push({ ...base, status: "not-applicable", reason: `${rule.r}: not applicable — the rule is about ${about}; this is a ${item.entity._type}` });
      continue;
    }
    if (rule.appliesTo) {
      if (model === undefined) {
        out.rules.push({
          ...base,
          status: "unknown",
          reason: `${rule.r}: unknown — no deployment model is recorded; the rule applies to ${rule.appliesTo.join(", ")} (set one with deploymentModels: in dm.config.yaml)`,
        });
        continue;
      }
    }
    // the rule's query for this entity alone: a lookup by key, not a scan of every asset
    const { matched } = await violationsOf(store, rule, models, now, item.entity._key);
    out.rules.push(
      matched.has(item.entity._key)
        ? { ...base, status: "violates", reason: `${rule.r}: violates — ${base.title}` }
        : { ...base, status: "ok", reason: `${rule.r}: ok — not matched by: ${base.title}` },
    );
  }
  return out;
}
