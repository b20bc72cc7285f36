/**
 * What one evaluation of an alert rule announces, decided from what its
 * queries return now and what the rule announced before (alert_state).
 * Pure: no store, no clock but `now`. docs/alerts.md states the semantics:
 *
 * - `total > N`: a group (or the whole result, without group_by) alerts
 *   while it holds more than N entities. Its entities are announced once
 *   ("firing"); again when one changes (its fingerprint: group, type,
 *   displayName, owner, dueDate) or joins, and all of them ("repeat") when
 *   `repeat` has passed since the group's latest announcement. An announced
 *   entity that no longer matches, or whose group drops to N or fewer, is
 *   announced "resolved".
 * - `new`: an entity that was not in the previous evaluation's result is
 *   announced once. Nothing repeats, nothing resolves.
 * - `resolved`: an entity of the previous result that is gone is announced.
 * - Silenced entities (or the whole rule) are not announced; their state
 *   keeps "never announced", so once the silence ends what still alerts is
 *   announced. One that resolves while silenced is forgotten quietly.
 */
import { createHash } from "node:crypto";
import type { Notification, NotificationKind, NotifiedEntity } from "../../notify/destination.js";
import type { AlertStateRow } from "../../store/types.js";
import type { AlertCondition } from "./config.js";

/** At most this many entities ride in one notification; `total` still counts them all. */
export const MAX_NOTIFIED_ENTITIES = 200;
/** Entities listed in a notification's text. */
const TEXT_LINES = 20;

/** One entity the rule's queries return now. */
export interface CurrentMatch {
  entity: NotifiedEntity;
  group: string | null;
  fingerprint: string;
}

export interface PlanRule {
  name: string;
  description: string;
  when: AlertCondition;
  repeatMs: number;
}

export interface PlanInput {
  rule: PlanRule;
  current: ReadonlyMap<string, CurrentMatch>;
  state: readonly AlertStateRow[];
  /** the whole rule is silenced */
  ruleSilenced: boolean;
  /** entity keys silenced */
  silencedKeys: ReadonlySet<string>;
  now: number;
}

export interface Plan {
  notifications: Notification[];
  upsert: AlertStateRow[];
  remove: string[];
  total: number;
  /** entities announced firing or repeated */
  announced: number;
  resolved: number;
  /** matching entities not announced because silenced */
  silenced: number;
}

/** What identifies an announcement of an entity: it changes when what a person would read about it changes. */
export function fingerprintOf(entity: NotifiedEntity, group: string | null): string {
  return createHash("sha256")
    .update(JSON.stringify([group, entity._type, entity.displayName, entity.owner ?? null, entity.dueDate ?? null]))
    .digest("hex")
    .slice(0, 16);
}

/** Stable for the rule, group, kind and the entities (with what distinguishes this announcement from an earlier one of the same entities). */
export function notificationId(rule: string, group: string | null, kind: NotificationKind, parts: readonly string[]): string {
  const h = createHash("sha256");
  h.update(JSON.stringify([rule, group, kind, [...parts].sort()]));
  return `${rule}:${h.digest("hex").slice(0, 24)}`;
}

function isoDay(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().slice(0, 10);
}

function describe(kind: NotificationKind, n: number): string {
  switch (kind) {
    case "repeat":
      return `${n} still alerting`;
    case "resolved":
      return `${n} resolved`;
    default:
      return `${n} alerting`;
  }
}

export function notificationOf(
  rule: PlanRule,
  kind: NotificationKind,
  group: string | null,
  total: number,
  entities: NotifiedEntity[],
  parts: string[],
  now: number,
): Notification {
  const sorted = [...entities].sort((a, b) => (a.displayName < b.displayName ? -1 : a.displayName > b.displayName ? 1 : a._key < b._key ? -1 : 1));
  const title = `${rule.name}: ${describe(kind, entities.length)}${group === null ? "" : ` for ${group}`}`;
  const lines = sorted.slice(0, TEXT_LINES).map((e) => {
    const extra = [e._type, e.owner ? `owner ${e.owner}` : "", e.dueDate !== undefined ? `due ${isoDay(e.dueDate)}` : ""].filter(Boolean).join(", ");
    return `• ${e.displayName} (${extra})${e.link ? ` ${e.link}` : ""}`;
  });
  if (sorted.length > TEXT_LINES) lines.push(`… and ${sorted.length - TEXT_LINES} more`);
  const text = [rule.description, kind === "resolved" ? "No longer alerting:" : "", ...lines].filter(Boolean).join("\n");
  return {
    id: notificationId(rule.name, group, kind, parts),
    rule: rule.name,
    kind,
    title,
    text,
    ...(group === null ? {} : { group }),
    total,
    entities: sorted.slice(0, MAX_NOTIFIED_ENTITIES),
    at: now,
  };
}

/** JSON with sorted keys (PostgreSQL's jsonb returns keys in its own order). */
function stable(o: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
}

const NO_GROUP = "\u0000";
const groupKey = (g: string | null) => g ?? NO_GROUP;

export function planEvaluation(input: PlanInput): Plan {
  const { rule, current, now } = input;
  const prior = new Map(input.state.map((r) => [r.entityKey, r]));
  const silenced = (key: string) => input.ruleSilenced || input.silencedKeys.has(key);
  const rows = new Map<string, AlertStateRow>();
  const byGroup = new Map<string, { group: string | null; keys: string[] }>();
  for (const [key, c] of current) {
    const p = prior.get(key);
    rows.set(key, {
      entityKey: key,
      group: c.group,
      entity: { ...c.entity },
      firstSeen: p?.firstSeen ?? now,
      lastAnnounced: p?.lastAnnounced ?? null,
      fingerprint: p?.fingerprint ?? null,
    });
    const g = byGroup.get(groupKey(c.group)) ?? { group: c.group, keys: [] };
    g.keys.push(key);
    byGroup.set(groupKey(c.group), g);
  }
  const notifications: Notification[] = [];
  let announced = 0;
  const resolvedByGroup = new Map<string, { group: string | null; rows: AlertStateRow[] }>();
  const resolve = (row: AlertStateRow) => {
    const g = resolvedByGroup.get(groupKey(row.group)) ?? { group: row.group, rows: [] };
    g.rows.push(row);
    resolvedByGroup.set(groupKey(row.group), g);
  };
  const gone = input.state.filter((r) => !current.has(r.entityKey));
  const remove = gone.map((r) => r.entityKey);
  const when = rule.when;

  if (when.kind === "total") {
    for (const { group, keys } of byGroup.values()) {
      if (keys.length > when.above) {
        const eligible = keys.filter((k) => !silenced(k));
        const fresh = eligible.filter((k) => {
          const row = rows.get(k)!;
          return row.lastAnnounced === null || row.fingerprint !== current.get(k)!.fingerprint;
        });
        if (fresh.length > 0) {
          const parts = fresh.map((k) => `${k}:${current.get(k)!.fingerprint}:${rows.get(k)!.firstSeen}`);
          notifications.push(notificationOf(rule, "firing", group, keys.length, fresh.map((k) => current.get(k)!.entity), parts, now));
          for (const k of fresh) Object.assign(rows.get(k)!, { lastAnnounced: now, fingerprint: current.get(k)!.fingerprint });
          announced += fresh.length;
        } else if (eligible.length > 0) {
          const last = Math.max(...eligible.map((k) => rows.get(k)!.lastAnnounced ?? 0));
          if (now - last >= rule.repeatMs) {
            const parts = [...eligible.map((k) => `${k}:${current.get(k)!.fingerprint}`), `after:${last}`];
            notifications.push(notificationOf(rule, "repeat", group, keys.length, eligible.map((k) => current.get(k)!.entity), parts, now));
            for (const k of eligible) rows.get(k)!.lastAnnounced = now;
            announced += eligible.length;
          }
        }
      } else {
        // below the threshold: what was announced is resolved; the entities stay known
        for (const k of keys) {
          const row = rows.get(k)!;
          if (row.lastAnnounced !== null && !silenced(k)) resolve({ ...row });
          row.lastAnnounced = null;
          row.fingerprint = null;
        }
      }
    }
    for (const r of gone) if (r.lastAnnounced !== null && !silenced(r.entityKey)) resolve(r);
  } else if (when.kind === "new") {
    for (const { group, keys } of byGroup.values()) {
      const fresh = keys.filter((k) => !prior.has(k) && !silenced(k));
      if (fresh.length === 0) continue;
      const parts = fresh.map((k) => `${k}:${current.get(k)!.fingerprint}:${now}`);
      notifications.push(notificationOf(rule, "firing", group, keys.length, fresh.map((k) => current.get(k)!.entity), parts, now));
      for (const k of fresh) Object.assign(rows.get(k)!, { lastAnnounced: now, fingerprint: current.get(k)!.fingerprint });
      announced += fresh.length;
    }
  } else {
    for (const r of gone) if (!silenced(r.entityKey)) resolve(r);
  }

  let resolved = 0;
  for (const { group, rows: list } of resolvedByGroup.values()) {
    const total = byGroup.get(groupKey(group))?.keys.length ?? 0;
    const parts = list.map((r) => `${r.entityKey}:${r.firstSeen}`);
    notifications.push(notificationOf(rule, "resolved", group, total, list.map((r) => r.entity as unknown as NotifiedEntity), parts, now));
    resolved += list.length;
  }
  const silencedCount = [...current.keys()].filter(silenced).length;
  return {
    notifications,
    // only what changed is written: most evaluations change nothing
    upsert: [...rows.values()].filter((r) => {
      const p = prior.get(r.entityKey);
      return (
        !p ||
        p.group !== r.group ||
        p.lastAnnounced !== r.lastAnnounced ||
        p.fingerprint !== r.fingerprint ||
        p.firstSeen !== r.firstSeen ||
        stable(p.entity) !== stable(r.entity)
      );
    }),
    remove,
    total: current.size,
    announced,
    resolved,
    silenced: silencedCount,
  };
}
