/**
 * What `dm alerts list` and `dm alerts silence` compute, and the API with
 * them: one place for the rules' status rows and for adding a silence.
 */
import { InputError } from "../../shared/errors.js";
import type { AlertSilence, GraphStore } from "../../store/types.js";
import { type AlertRule, type AlertsSetup, allRules } from "./config.js";

/** Configured and imported rules. */
export async function loadRules(store: GraphStore, setup: AlertsSetup): Promise<AlertRule[]> {
  return allRules(setup, await store.listAlertRules());
}

export interface AlertRuleRow {
  name: string;
  origin: AlertRule["origin"];
  source: string;
  description: string;
  when: string;
  groupBy: string | null;
  schedule: string;
  repeat: number;
  actions: number;
  level: string | null;
  enabled: boolean;
  lastEvaluated: number | null;
  total: number | null;
  pending: number;
  silenced: number;
  queries: { name: string; query: string }[];
}

/** Every rule with when it last ran, what it matched, what is pending and silenced; and the silences in force. */
export async function alertRows(store: GraphStore, setup: AlertsSetup, now: number): Promise<{ rules: AlertRuleRow[]; silences: AlertSilence[] }> {
  const rules = await loadRules(store, setup);
  const evaluations = await store.alertEvaluations();
  const pending = await store.pendingAlertDeliveries();
  const silences = await store.alertSilences(now);
  return {
    rules: rules.map((r) => ({
      name: r.name,
      origin: r.origin,
      source: r.source,
      description: r.description,
      when: r.whenText,
      groupBy: r.groupBy ?? null,
      schedule: r.schedule.source,
      repeat: r.repeatMs,
      actions: r.actions.length,
      level: r.level ?? null,
      enabled: r.enabled,
      lastEvaluated: evaluations.get(r.name)?.evaluatedOn ?? null,
      total: evaluations.get(r.name)?.total ?? null,
      pending: pending.get(r.name) ?? 0,
      silenced: silences.filter((s) => s.rule === r.name).length,
      queries: r.queries,
    })),
    silences,
  };
}

/** Silence a rule (or one entity of it) until `until`, audited. The rule must exist; the reason must say something. */
export async function addSilence(
  store: GraphStore,
  setup: AlertsSetup,
  input: { rule: string; entity?: string | undefined; until: number; reason: string; actor: string; now: number },
): Promise<AlertSilence> {
  if (input.reason.trim() === "") throw new InputError("--reason: say why (it is shown with the silence)");
  if (input.until <= input.now) throw new InputError("--until is not in the future");
  const rules = await loadRules(store, setup);
  if (!rules.some((r) => r.name === input.rule)) {
    throw new InputError(`no alert rule "${input.rule}"`, { details: [`Rules: ${rules.map((r) => r.name).join(", ") || "none"}.`] });
  }
  const silence = await store.addAlertSilence({
    rule: input.rule,
    entityKey: input.entity ?? null,
    until: input.until,
    reason: input.reason,
    createdBy: input.actor,
    createdOn: input.now,
  });
  await store.audit({
    at: input.now,
    actor: input.actor,
    action: "alerts.silence",
    subject: input.rule,
    details: { entity: silence.entityKey, until: input.until, reason: silence.reason },
  });
  return silence;
}
