/**
 * Evaluate alert rules: the one computation `dm alerts run`, dm serve's
 * `alerts` job and (later) the API use.
 *
 * Per rule:
 * 1. take the store's lock `alert:<rule>` (PostgreSQL: a session advisory
 *    lock, so replicas on one database exclude each other; a replica that
 *    finds it held skips the rule: another is evaluating it now);
 * 2. run its queries, read its silences;
 * 3. in ONE transaction: read its state, decide (plan.ts), write the new
 *    state and a pending delivery per notification and destination;
 * 4. deliver what is pending and due (new ones, and earlier ones waiting for
 *    a retry): claim each (only one process wins a claim), send, record sent,
 *    failed, or pending again with backoff when the destination says a retry
 *    is safe.
 * A dry run does 2 and 3 without writing, and sends nothing.
 */
import { createHash } from "node:crypto";
import type { Destination, DeliveryResult, Notification, NotifiedEntity } from "../../notify/destination.js";
import { runQuery } from "../../query/run.js";
import type { AlertDelivery, GraphStore } from "../../store/types.js";
import type { AlertRule } from "./config.js";
import { type CurrentMatch, fingerprintOf, planEvaluation } from "./plan.js";

/** Waits before the 1st, 2nd, ... retry of a delivery; the last repeats. */
export const BACKOFF_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];
/** A delivery given up after this many attempts: abandoned. */
export const MAX_ATTEMPTS = 10;
/** How long a claimed delivery is reserved for its sender (a crashed sender's claim expires). */
export const CLAIM_LEASE_MS = 10 * 60_000;

export function backoffAfter(attempts: number): number {
  return BACKOFF_MS[Math.min(Math.max(attempts, 1), BACKOFF_MS.length) - 1]!;
}

export type DeliveryStatus = "sent" | "pending" | "failed" | "abandoned" | "would-send" | "would-retry";

export interface DeliveryReport {
  notification: string;
  kind: string;
  group: string | null;
  destination: string;
  status: DeliveryStatus;
  attempts: number;
  error?: string;
}

export interface RuleReport {
  name: string;
  total: number;
  announced: number;
  resolved: number;
  /** deliveries still pending after this evaluation */
  pending: number;
  silenced: number;
  /** not evaluated here: "locked" (another process is evaluating it) */
  skipped?: "locked";
  /** the rule could not be evaluated (its query failed); the others were */
  error?: string;
  notifications: { id: string; kind: string; group: string | null; title: string; entities: number }[];
  deliveries: DeliveryReport[];
}

export interface EvaluateOptions {
  now: number;
  dryRun?: boolean;
  /** the rule's destinations, ready to send (the factory's destinationFor over its actions) */
  destinations: (rule: AlertRule) => readonly Destination[];
  /** the dashboard's page for an entity, when server.url is configured */
  linkFor?: (key: string) => string | undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

function groupValue(v: unknown): string | null {
  if (Array.isArray(v)) {
    const parts = v.map(str).filter((x): x is string => x !== undefined).sort();
    return parts.length > 0 ? parts.join(",") : null;
  }
  return str(v) ?? null;
}

/**
 * What the rule's queries return now, by entity key (a RETURN query's rows are keyed by their content).
 * The canaries of `dm drill` (entities with `drill: true`) are left out unless `includeDrill`: they
 * never enter a rule's state, so a drill is never announced as firing or resolved to everyone.
 */
export async function currentMatches(
  store: GraphStore,
  rule: AlertRule,
  options: Pick<EvaluateOptions, "now" | "linkFor"> & { includeDrill?: boolean },
): Promise<Map<string, CurrentMatch>> {
  const out = new Map<string, CurrentMatch>();
  const add = (entity: NotifiedEntity, group: string | null) => {
    const link = options.linkFor?.(entity._key);
    const e = link ? { ...entity, link } : entity;
    out.set(e._key, { entity: e, group, fingerprint: fingerprintOf(e, group) });
  };
  for (const q of rule.queries) {
    const result = await runQuery(store, q.query, { now: options.now, all: true, parameters: rule.parameters });
    if (result.type === "list") {
      for (const item of result.data) {
        const p = item.properties;
        if (p.drill === true && !options.includeDrill) continue;
        const owner = str(p.owner);
        const dueDate = typeof p.dueDate === "number" ? p.dueDate : undefined;
        const group = rule.groupBy === undefined ? null : groupValue(p[rule.groupBy] ?? (item.entity as unknown as Record<string, unknown>)[rule.groupBy]);
        add(
          {
            _key: item.entity._key,
            _type: item.entity._type,
            displayName: item.entity.displayName ?? item.entity._key,
            ...(owner === undefined ? {} : { owner }),
            ...(dueDate === undefined ? {} : { dueDate }),
          },
          group,
        );
      }
    } else if (result.type === "table") {
      for (const row of result.data) {
        const sorted = Object.keys(row)
          .sort()
          .map((k) => [k, row[k]]);
        const key = `row:${q.name}:${createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 24)}`;
        const shown = Object.values(row)
          .map(str)
          .filter((x): x is string => x !== undefined)
          .join(" · ")
          .slice(0, 120);
        add({ _key: key, _type: q.name, displayName: shown || key }, rule.groupBy === undefined ? null : groupValue(row[rule.groupBy]));
      }
    }
  }
  return out;
}

/** Destinations with labels unique within the rule (two webhooks to one host get "(2)"). */
export function labelled(destinations: readonly Destination[]): Map<string, Destination> {
  const out = new Map<string, Destination>();
  for (const d of destinations) {
    let label = d.label;
    for (let n = 2; out.has(label); n++) label = `${d.label} (${n})`;
    out.set(label, d);
  }
  return out;
}

export async function safeSend(destination: Destination, notification: Notification): Promise<DeliveryResult> {
  try {
    return await destination.send(notification);
  } catch (error) {
    // A destination answers with a result; a throw is unexpected, and it may have sent: no blind retry.
    return { ok: false, retryable: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** A failed delivery, said in one line (never a secret: destinations scrub their errors). */
export function failureOf(result: DeliveryResult): string {
  return `${result.status === undefined ? "" : `HTTP ${result.status}: `}${result.error ?? "not delivered"}`;
}

/**
 * Send the pending deliveries of `rule` (an alert rule's name, or "digest")
 * that are due, each claimed first; `destinations` by label.
 */
export async function deliverPending(store: GraphStore, rule: string, destinations: ReadonlyMap<string, Destination>, now: number): Promise<DeliveryReport[]> {
  const reports: DeliveryReport[] = [];
  for (const d of await store.dueAlertDeliveries(rule, now)) {
    if (!(await store.claimAlertDelivery(d, now + CLAIM_LEASE_MS, now))) continue; // another process took it
    const attempts = d.attempts + 1;
    const payload = d.payload as Notification;
    const base = { notification: d.notificationId, kind: d.kind, group: payload.group ?? null, destination: d.destination, attempts };
    const destination = destinations.get(d.destination);
    if (!destination) {
      const error = `the destination is no longer configured for ${rule}`;
      await store.finishAlertDelivery(d.id, { status: "abandoned", now, error });
      reports.push({ ...base, status: "abandoned", error });
      continue;
    }
    const result = await safeSend(destination, payload);
    if (result.ok) {
      await store.finishAlertDelivery(d.id, { status: "sent", now });
      reports.push({ ...base, status: "sent" });
      continue;
    }
    const error = failureOf(result);
    if (result.retryable && attempts < MAX_ATTEMPTS) {
      await store.finishAlertDelivery(d.id, { status: "pending", now, nextAttemptAt: now + backoffAfter(attempts), error });
      reports.push({ ...base, status: "pending", error });
    } else {
      const status = result.retryable ? "abandoned" : "failed";
      await store.finishAlertDelivery(d.id, { status, now, error });
      reports.push({ ...base, status, error });
    }
  }
  return reports;
}

function emptyReport(name: string): RuleReport {
  return { name, total: 0, announced: 0, resolved: 0, pending: 0, silenced: 0, notifications: [], deliveries: [] };
}

/** Evaluate one rule (see the module comment). */
export async function evaluateRule(store: GraphStore, rule: AlertRule, options: EvaluateOptions): Promise<RuleReport> {
  const { now } = options;
  const report = emptyReport(rule.name);
  const release = options.dryRun ? async () => undefined : await store.tryLock(`alert:${rule.name}`);
  if (!release) return { ...report, skipped: "locked" };
  try {
    const current = await currentMatches(store, rule, options);
    const silences = (await store.alertSilences(now)).filter((s) => s.rule === rule.name);
    const ruleSilenced = silences.some((s) => s.entityKey === null);
    const silencedKeys = new Set(silences.flatMap((s) => (s.entityKey === null ? [] : [s.entityKey])));
    const destinations = labelled(options.destinations(rule));
    const decide = (state: Awaited<ReturnType<GraphStore["alertState"]>>) =>
      planEvaluation({ rule, current, state, ruleSilenced, silencedKeys, now });
    let plan: ReturnType<typeof decide>;
    if (options.dryRun) {
      plan = decide(await store.alertState(rule.name));
    } else {
      plan = await store.updateAlertState(rule.name, (state) => {
        const p = decide(state);
        const deliveries = p.notifications.flatMap((n) =>
          [...destinations.keys()].map((label) => ({ notificationId: n.id, destination: label, kind: n.kind, payload: n })),
        );
        return { change: { upsert: p.upsert, remove: p.remove, deliveries, evaluatedOn: now, total: p.total }, value: p };
      });
    }
    Object.assign(report, { total: plan.total, announced: plan.announced, resolved: plan.resolved, silenced: plan.silenced });
    report.notifications = plan.notifications.map((n) => ({ id: n.id, kind: n.kind, group: n.group ?? null, title: n.title, entities: n.entities.length }));
    if (options.dryRun) {
      for (const n of plan.notifications) {
        for (const label of destinations.keys()) {
          report.deliveries.push({ notification: n.id, kind: n.kind, group: n.group ?? null, destination: label, status: "would-send", attempts: 0 });
        }
      }
      const due: AlertDelivery[] = await store.dueAlertDeliveries(rule.name, now);
      for (const d of due) {
        const group = (d.payload as Notification).group ?? null;
        report.deliveries.push({ notification: d.notificationId, kind: d.kind, group, destination: d.destination, status: "would-retry", attempts: d.attempts });
      }
      report.pending = (await store.pendingAlertDeliveries()).get(rule.name) ?? 0;
      return report;
    }
    report.deliveries = await deliverPending(store, rule.name, destinations, now);
    report.pending = (await store.pendingAlertDeliveries()).get(rule.name) ?? 0;
    return report;
  } finally {
    await release();
  }
}

/** Evaluate every enabled rule once; a rule whose query fails is reported and the others still run. */
export async function evaluateAlerts(store: GraphStore, rules: readonly AlertRule[], options: EvaluateOptions): Promise<{ rules: RuleReport[]; dryRun: boolean }> {
  const reports: RuleReport[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    try {
      reports.push(await evaluateRule(store, rule, options));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      reports.push({ ...emptyReport(rule.name), error: message });
    }
  }
  return { rules: reports, dryRun: options.dryRun === true };
}
