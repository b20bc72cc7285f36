/**
 * Digests: one message per owner (team) per period with their overdue and
 * soon-due maintenance: the counts, the five worst, links to the dashboard
 * when `server.url` is configured. Sent to the owner's destinations from
 * `owners:` in dm.config.yaml, else to the default ones (`digests.actions`);
 * findings without an owner make an "unowned" digest to the default ones.
 * An owner with nothing overdue or due soon gets no digest.
 *
 * The counting is the reports' (listFindings, summarise, isOverdue: one
 * definition of overdue). Delivery is the alerts' (pending deliveries under
 * the rule name "digest", claimed, retried with backoff): a digest's
 * notification id is derived from the owner and the period's start, so a
 * second run in the same period, a retry, or a second replica never sends
 * it twice.
 */
import { createHash } from "node:crypto";
import type { Destination, Notification, NotifiedEntity } from "../../notify/destination.js";
import type { GraphStore, NewAlertDelivery } from "../../store/types.js";
import { formatDue, isoDate } from "../maintenance/due.js";
import { FINDING_TYPE, type Finding, ownerKey } from "../maintenance/finding.js";
import { isOverdue, listFindings, summarise } from "../maintenance/report.js";
import type { AlertAction } from "./config.js";
import { actionsFor, type DigestSetup, periodStart } from "./digest-config.js";
import { type DeliveryReport, deliverPending, labelled } from "./evaluate.js";

/** The rule name digest deliveries are kept under (alert_deliveries.rule); no alert rule may be named so. */
export const DIGEST_RULE = "digest";
/** How many items a digest lists. */
export const WORST = 5;

export interface DigestItem {
  maintenanceId: string;
  shortDescription: string;
  /** the asset's name */
  entityName: string;
  entityKey: string;
  /** the finding's key */
  findingKey: string;
  dueDate: number;
  overdue: boolean;
  /** the item's page on the dashboard, when server.url is configured */
  link?: string;
}

export interface Digest {
  /** the owner as written on its findings (the first, by due date); null: findings without an owner */
  owner: string | null;
  overdue: number;
  /** open, not overdue, due within the soon window */
  dueSoon: number;
  /** every open finding of the owner */
  open: number;
  /** the five worst: overdue first (most overdue first), then the soonest due */
  worst: DigestItem[];
  /** the dashboard, when server.url is configured */
  dashboard?: string;
}

export interface BuildOptions {
  now: number;
  soonMs: number;
  serverUrl?: string;
  /** only this owner (compared as ownerKey) */
  owner?: string;
}

const UNOWNED = "\u0000";

/**
 * The digests due now, by owner (owners by name, the unowned last); owners
 * with nothing overdue or due within `soonMs` are counted in `empty`.
 */
export async function buildDigests(store: GraphStore, options: BuildOptions): Promise<{ digests: Digest[]; empty: number }> {
  const { now, soonMs, serverUrl } = options;
  const byOwner = new Map<string, Finding[]>();
  for (const f of await listFindings(store, { now })) {
    const key = f.owner === undefined || f.owner.trim() === "" ? UNOWNED : ownerKey(f.owner);
    if (options.owner !== undefined && key !== ownerKey(options.owner)) continue;
    const list = byOwner.get(key) ?? [];
    list.push(f);
    byOwner.set(key, list);
  }
  const digests: Digest[] = [];
  let empty = 0;
  const keys = [...byOwner.keys()].sort((a, b) => (a === UNOWNED ? 1 : b === UNOWNED ? -1 : a.localeCompare(b)));
  for (const key of keys) {
    const { findings, open, overdue } = summarise(byOwner.get(key)!, now);
    const soon = findings.filter((f) => !isOverdue(f, now) && f.dueDate > 0 && f.dueDate <= now + soonMs);
    if (overdue === 0 && soon.length === 0) {
      empty++;
      continue;
    }
    // by due date: the most overdue first, then the soonest due
    const worst = findings
      .filter((f) => isOverdue(f, now) || soon.includes(f))
      .slice(0, WORST)
      .map(
        (f): DigestItem => ({
          maintenanceId: f.maintenanceId,
          shortDescription: f.shortDescription,
          entityName: f.entityName || f.entityKey,
          entityKey: f.entityKey,
          findingKey: f.key,
          dueDate: f.dueDate,
          overdue: isOverdue(f, now),
          ...(serverUrl === undefined || f.maintenanceId === "" ? {} : { link: `${serverUrl}/campaigns/${encodeURIComponent(f.maintenanceId)}` }),
        }),
      );
    digests.push({
      owner: key === UNOWNED ? null : findings[0]!.owner!.trim(),
      overdue,
      dueSoon: soon.length,
      open,
      worst,
      ...(serverUrl === undefined ? {} : { dashboard: `${serverUrl}/` }),
    });
  }
  return { digests, empty };
}

function days(ms: number): string {
  const d = Math.round(ms / 86_400_000);
  return d === 1 ? "1 day" : `${d} days`;
}

/** Stable for the owner and the period: the same digest built again has the same id. */
export function digestId(owner: string | null, period: number): string {
  const h = createHash("sha256").update(JSON.stringify([owner === null ? null : ownerKey(owner), period])).digest("hex");
  return `${DIGEST_RULE}:${h.slice(0, 24)}`;
}

/** The digest as a notification (kind "digest"), for the period starting at `period`. */
export function digestNotification(d: Digest, options: { now: number; period: number; soonMs: number }): Notification {
  const { now } = options;
  const who = d.owner ?? "unowned items";
  const counts = [d.overdue > 0 ? `${d.overdue} overdue` : "", d.dueSoon > 0 ? `${d.dueSoon} due within ${days(options.soonMs)}` : ""].filter(Boolean).join(", ");
  const title = `Maintenance digest for ${who}: ${counts}`;
  const lines = d.worst.map((i) => {
    const id = i.maintenanceId === "" ? "" : `, ${i.maintenanceId}`;
    return `• ${formatDue(i.dueDate, now)}: ${i.shortDescription || i.maintenanceId} on ${i.entityName} (due ${isoDate(i.dueDate)}${id})${i.link ? ` ${i.link}` : ""}`;
  });
  const shown = d.overdue + d.dueSoon;
  const text = [
    `${d.open} open in all; the ${d.worst.length === 1 ? "worst" : `${d.worst.length} worst`}${shown > d.worst.length ? ` of ${shown}` : ""}:`,
    ...lines,
    d.dashboard ? `Dashboard: ${d.dashboard}` : "",
    d.worst[0]?.maintenanceId ? `Done with one? dm close --id ${d.worst[0].maintenanceId} --reason COMPLETE --link <pull request URL>` : "",
  ]
    .filter(Boolean)
    .join("\n");
  const entities = d.worst.map(
    (i): NotifiedEntity => ({
      _key: i.findingKey,
      _type: FINDING_TYPE,
      displayName: `${i.shortDescription || i.maintenanceId} (${i.entityName})`,
      ...(d.owner === null ? {} : { owner: d.owner }),
      dueDate: i.dueDate,
      ...(i.link ? { link: i.link } : {}),
    }),
  );
  return {
    id: digestId(d.owner, options.period),
    rule: DIGEST_RULE,
    kind: "digest",
    title,
    text,
    ...(d.owner === null ? {} : { group: d.owner }),
    total: shown,
    entities,
    at: now,
    ...(d.dashboard ? { dashboard: d.dashboard } : {}),
  };
}

export interface DigestReport {
  owner: string | null;
  overdue: number;
  dueSoon: number;
  open: number;
  worst: DigestItem[];
  notification: string;
  title: string;
  /** the destinations' labels */
  destinations: string[];
}

export interface DigestRun {
  /** the start of the period (ISO) */
  period: string;
  dryRun: boolean;
  /** not run here: another process is sending digests now */
  skipped?: "locked";
  digests: DigestReport[];
  /** owners with open items but nothing overdue or due soon: no digest */
  empty: number;
  deliveries: DeliveryReport[];
  /** digest deliveries still pending */
  pending: number;
}

export interface DigestRunOptions {
  now: number;
  dryRun?: boolean;
  owner?: string;
  /** actions ready to send (the factory's destinationFor over them), in order */
  destinations: (actions: readonly AlertAction[]) => readonly Destination[];
}

/**
 * Every configured destination once, labelled uniquely across the digests
 * (the defaults first, then the owners' by name, so labels are stable), and
 * each owner's labels.
 */
function routing(setup: DigestSetup, options: DigestRunOptions) {
  const distinct = new Map<string, AlertAction>();
  const keyOf = (a: AlertAction) => JSON.stringify(a.parsed);
  const all = [...setup.actions, ...[...setup.owners.keys()].sort().flatMap((k) => setup.owners.get(k)!.actions)];
  for (const a of all) if (!distinct.has(keyOf(a))) distinct.set(keyOf(a), a);
  const actions = [...distinct.values()];
  const destinations = labelled(options.destinations(actions));
  const labels = [...destinations.keys()];
  const labelOf = new Map(actions.map((a, i) => [keyOf(a), labels[i]!]));
  return { destinations, labelsFor: (owner: string | null) => [...new Set(actionsFor(setup, owner).map((a) => labelOf.get(keyOf(a))!))] };
}

/**
 * Build the period's digests, record a pending delivery per digest and
 * destination (once per period: ids by owner and period), and deliver what
 * is pending and due. A dry run builds and writes nothing, sends nothing.
 */
export async function runDigests(store: GraphStore, setup: DigestSetup, options: DigestRunOptions): Promise<DigestRun> {
  const { now } = options;
  const period = periodStart(setup.schedule, now);
  const run: DigestRun = { period: new Date(period).toISOString(), dryRun: options.dryRun === true, digests: [], empty: 0, deliveries: [], pending: 0 };
  const release = options.dryRun ? async () => undefined : await store.tryLock(`alert:${DIGEST_RULE}`);
  if (!release) return { ...run, skipped: "locked" };
  try {
    const { destinations, labelsFor } = routing(setup, options);
    const built = await buildDigests(store, {
      now,
      soonMs: setup.soonMs,
      ...(setup.serverUrl === undefined ? {} : { serverUrl: setup.serverUrl }),
      ...(options.owner === undefined ? {} : { owner: options.owner }),
    });
    run.empty = built.empty;
    const notifications = built.digests.map((d) => ({ d, n: digestNotification(d, { now, period, soonMs: setup.soonMs }), labels: labelsFor(d.owner) }));
    run.digests = notifications.map(({ d, n, labels }) => ({ ...d, notification: n.id, title: n.title, destinations: labels }));
    const deliveries: NewAlertDelivery[] = notifications.flatMap(({ n, labels }) =>
      labels.map((destination) => ({ notificationId: n.id, destination, kind: n.kind, payload: n })),
    );
    if (options.dryRun) {
      // what this period already recorded is not sent again
      const recorded = new Map((await store.alertDeliveries({ rule: DIGEST_RULE, limit: 1000 })).map((x) => [`${x.notificationId} ${x.destination}`, x]));
      for (const { notificationId, destination, payload } of deliveries) {
        const seen = recorded.get(`${notificationId} ${destination}`);
        const status = seen === undefined ? "would-send" : seen.status === "pending" ? "would-retry" : seen.status;
        run.deliveries.push({ notification: notificationId, kind: "digest", group: (payload as Notification).group ?? null, destination, status, attempts: seen?.attempts ?? 0 });
      }
      run.pending = (await store.pendingAlertDeliveries()).get(DIGEST_RULE) ?? 0;
      return run;
    }
    await store.updateAlertState(DIGEST_RULE, () => ({
      change: { upsert: [], remove: [], deliveries, evaluatedOn: now, total: built.digests.length },
      value: undefined,
    }));
    run.deliveries = await deliverPending(store, DIGEST_RULE, destinations, now);
    run.pending = (await store.pendingAlertDeliveries()).get(DIGEST_RULE) ?? 0;
    return run;
  } finally {
    await release();
  }
}

/** Deliver the digests' pending deliveries that are due (dm serve's retries between periods). */
export async function retryDigests(store: GraphStore, setup: DigestSetup, options: Pick<DigestRunOptions, "now" | "destinations">): Promise<{ deliveries: DeliveryReport[]; pending: number }> {
  const release = await store.tryLock(`alert:${DIGEST_RULE}`);
  if (!release) return { deliveries: [], pending: 0 };
  try {
    const { destinations } = routing(setup, options);
    const deliveries = await deliverPending(store, DIGEST_RULE, destinations, options.now);
    return { deliveries, pending: (await store.pendingAlertDeliveries()).get(DIGEST_RULE) ?? 0 };
  } finally {
    await release();
  }
}
