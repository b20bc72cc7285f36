/**
 * `dm drill` (docs/alerts.md#drills): prove the alerting path end to end.
 *
 * 1. open: close stale canaries (left by an interrupted drill), then open a
 *    canary finding (maintenance/canary.ts: `drill: true`, "DRILL — ignore",
 *    overdue, on the entity drill:<id>);
 * 2. evaluate: run each enabled rule's queries (or only --alert's): a rule
 *    catches the drill when its result holds the canary (the finding or its
 *    entity). None catches it: the step fails;
 * 3. deliver: to each destination of each rule that caught it, one
 *    notification (kind "drill", `drill: true`, title "DRILL …"), sent once
 *    through the same send as alerts (safeSend): the destination must accept
 *    it (HTTP 2xx, Slack `ok: true`). No retry, nothing pending: a refusal is
 *    the drill's failure;
 * 4. close: the canary, ERROR, with the drill's result as evidence (also in
 *    a `finally` when a step threw);
 * 5. record: drill_runs (history, /metrics' dm_drill_*) and the audit log.
 *
 * A drill does not touch the rules' state: normal evaluations leave canaries
 * out (currentMatches), so a canary is never announced firing or resolved to
 * everyone, and the drill's notification is not an alert_deliveries row.
 */
import { performance } from "node:perf_hooks";
import type { Destination, Notification } from "../../notify/destination.js";
import type { DrillRun, DrillStep, GraphStore } from "../../store/types.js";
import {
  type Canary,
  closeCanaries,
  closeStaleCanaries,
  newDrillId,
  openCanaries,
  openCanary,
} from "../maintenance/canary.js";
import type { AlertRule } from "./config.js";
import { currentMatches, failureOf, labelled, safeSend } from "./evaluate.js";
import { notificationOf } from "./plan.js";

export const DRILL_STEPS = ["open", "evaluate", "deliver", "close", "record"] as const;

export interface DrillOptions {
  now: number;
  actor: string;
  /** only this rule (it must exist) */
  alert?: string;
  destinations: (rule: AlertRule) => readonly Destination[];
  linkFor?: (key: string) => string | undefined;
  /** tests: called right after the canary is opened (a throw simulates an interruption) */
  afterOpen?: (canary: Canary) => void | Promise<void>;
}

export interface DrillResult {
  id: string;
  ok: boolean;
  /** end to end, from opening the canary to recording the drill */
  ms: number;
  startedOn: number;
  /** the rules that caught the canary */
  rules: string[];
  /** the first step that failed, with what went wrong */
  failed?: { step: string; detail: string; rule?: string; destination?: string };
  steps: DrillStep[];
  /** stale canaries (of interrupted drills) this drill closed first */
  staleClosed: number;
  /** the canary finding's _key */
  canary?: string;
}

const since = (t: number) => Math.round((performance.now() - t) * 10) / 10;

/** The drill's notification for a rule that caught the canary. */
export function drillNotification(rule: AlertRule, match: Parameters<typeof notificationOf>[4][number], group: string | null, id: string, now: number): Notification {
  const n = notificationOf(rule, "drill", group, 1, [match], [`drill:${id}`], now);
  return {
    ...n,
    title: `DRILL ${rule.name}: a test of dm's alerting, ignore`,
    text: `DRILL (dm drill ${id}): a canary finding was opened so that ${rule.name} selects it, to prove this destination gets alerts. No action needed; dm closes it by itself.\n${n.text}`,
    drill: true,
  };
}

/** Run one drill (see the module comment). Never leaves its canary open. */
export async function runDrill(store: GraphStore, rules: readonly AlertRule[], options: DrillOptions): Promise<DrillResult> {
  const { now, actor } = options;
  const t0 = performance.now();
  const id = newDrillId();
  const steps: DrillStep[] = [];
  const result: DrillResult = { id, ok: false, ms: 0, startedOn: now, rules: [], steps, staleClosed: 0 };
  const fail = (step: DrillStep) => {
    steps.push(step);
    result.failed ??= { step: step.step, detail: step.detail, ...(step.rule ? { rule: step.rule } : {}), ...(step.destination ? { destination: step.destination } : {}) };
  };
  let canary: Canary | undefined;
  let closed = false;
  /** the step under way: an unexpected throw is its failure */
  let current: (typeof DRILL_STEPS)[number] = "open";
  const closeNow = async (evidence: string) => {
    if (!canary || closed) return;
    const rows = (await openCanaries(store, now)).filter((r) => r.finding.key === canary!.key);
    await closeCanaries(store, rows, { now, actor, evidence });
    closed = true;
  };
  try {
    // 1. open
    let t = performance.now();
    try {
      result.staleClosed = await closeStaleCanaries(store, { now, actor });
      canary = await openCanary(store, { id, now, actor });
      result.canary = canary.key;
      steps.push({
        step: "open",
        ok: true,
        ms: since(t),
        detail: `canary ${canary.key}${result.staleClosed > 0 ? ` (closed ${result.staleClosed} stale canar${result.staleClosed === 1 ? "y" : "ies"} first)` : ""}`,
      });
    } catch (error) {
      fail({ step: "open", ok: false, ms: since(t), detail: `the canary could not be opened: ${(error as Error).message}` });
      return result;
    }
    current = "evaluate";
    await options.afterOpen?.(canary);

    // 2. evaluate
    t = performance.now();
    const candidates = rules.filter((r) => (options.alert === undefined ? r.enabled : r.name === options.alert));
    const caught: { rule: AlertRule; notification: Notification }[] = [];
    const problems: string[] = [];
    for (const rule of candidates) {
      try {
        const matches = await currentMatches(store, rule, { now, includeDrill: true, ...(options.linkFor ? { linkFor: options.linkFor } : {}) });
        const match = matches.get(canary.key) ?? matches.get(canary.entityKey);
        if (match) caught.push({ rule, notification: drillNotification(rule, match.entity, match.group, id, now) });
      } catch (error) {
        problems.push(`${rule.name}: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    result.rules = caught.map((c) => c.rule.name);
    if (caught.length === 0) {
      const scope = options.alert === undefined ? `none of ${candidates.length} enabled rule${candidates.length === 1 ? "" : "s"}` : options.alert;
      fail({
        step: "evaluate",
        ok: false,
        ms: since(t),
        detail: `no alert rule selects the canary (${scope}${problems.length > 0 ? `; ${problems.join("; ")}` : ""}): an overdue finding would not be announced`,
      });
    } else {
      steps.push({
        step: "evaluate",
        ok: true,
        ms: since(t),
        detail: `caught by ${result.rules.join(", ")}${candidates.length > caught.length ? ` (${candidates.length - caught.length} other rule${candidates.length - caught.length === 1 ? " does" : "s do"} not select it)` : ""}`,
      });

      // 3. deliver
      current = "deliver";
      for (const { rule, notification } of caught) {
        const destinations = labelled(options.destinations(rule));
        if (destinations.size === 0) {
          fail({ step: "deliver", ok: false, ms: 0, rule: rule.name, detail: `${rule.name} has no actions: nobody would be told` });
          continue;
        }
        for (const [label, destination] of destinations) {
          t = performance.now();
          const r = await safeSend(destination, notification);
          const step = { step: "deliver", ms: since(t), rule: rule.name, destination: label };
          if (r.ok) steps.push({ ...step, ok: true, detail: `accepted${r.status === undefined ? "" : ` (HTTP ${r.status})`}` });
          else fail({ ...step, ok: false, detail: `not accepted: ${failureOf(r)}` });
        }
      }
    }

    // 4. close
    current = "close";
    t = performance.now();
    const evidence = result.failed
      ? `drill ${id} failed at ${result.failed.step}${result.failed.destination ? ` (${result.failed.destination})` : ""}: ${result.failed.detail}`
      : `drill ${id} passed in ${Math.round(since(t0))} ms: ${steps.filter((s) => s.step === "deliver").map((s) => `${s.rule} → ${s.destination}`).join(", ")}`;
    try {
      await closeNow(evidence);
      steps.push({ step: "close", ok: true, ms: since(t), detail: "canary closed ERROR with the drill's result" });
    } catch (error) {
      fail({ step: "close", ok: false, ms: since(t), detail: `the canary could not be closed: ${(error as Error).message} (the next drill or dm reconcile closes it)` });
    }
    result.ok = result.failed === undefined;
    return result;
  } catch (error) {
    // interrupted by something unexpected: the step fails, and the canary is closed below all the same
    fail({ step: current, ok: false, ms: since(t0), detail: `interrupted: ${(error as Error).message}` });
    return result;
  } finally {
    if (canary && !closed) {
      // interrupted (a throw): the canary is closed all the same; if even that fails, it is stale in 10 minutes
      const t = performance.now();
      try {
        await closeNow(`drill ${id} interrupted${result.failed ? ` at ${result.failed.step}: ${result.failed.detail}` : ""}`);
        steps.push({ step: "close", ok: true, ms: since(t), detail: "canary closed ERROR after the interruption" });
      } catch (error) {
        fail({ step: "close", ok: false, ms: since(t), detail: `the canary could not be closed: ${(error as Error).message} (the next drill or dm reconcile closes it)` });
      }
    }
    result.ms = since(t0);
  }
}

/** Record the drill (drill_runs, the audit log); adds the record step to the result. */
export async function recordDrill(store: GraphStore, result: DrillResult, options: { now: number; actor: string }): Promise<DrillResult> {
  const t = performance.now();
  const run: DrillRun = {
    id: result.id,
    startedOn: result.startedOn,
    ms: result.ms,
    ok: result.ok,
    failedStep: result.failed?.step ?? null,
    rules: result.rules,
    steps: result.steps,
    actor: options.actor,
  };
  try {
    await store.recordDrill(run, {
      audit: {
        at: options.now,
        actor: options.actor,
        action: "drill",
        subject: result.id,
        details: { ok: result.ok, ms: Math.round(result.ms), rules: result.rules, ...(result.failed ? { failed: result.failed.step, detail: result.failed.detail } : {}) },
      },
    });
    result.steps.push({ step: "record", ok: true, ms: since(t), detail: "drill_runs and the audit log" });
  } catch (error) {
    result.steps.push({ step: "record", ok: false, ms: since(t), detail: `not recorded: ${(error as Error).message}` });
    result.failed ??= { step: "record", detail: `not recorded: ${(error as Error).message}` };
    result.ok = false;
  }
  return result;
}

/** One drill, recorded: what dm drill and dm serve's drill job run. */
export async function drill(store: GraphStore, rules: readonly AlertRule[], options: DrillOptions): Promise<DrillResult> {
  return recordDrill(store, await runDrill(store, rules, options), options);
}
