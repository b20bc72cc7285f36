/**
 * PagerDuty REST API v2 objects → JupiterOne's PagerDuty model (pure: no
 * I/O, so `dm demo` can feed canned answers through it).
 *
 * JupiterOne's graph-pagerduty documents `pagerduty_service` (Service),
 * `pagerduty_team` (Team), `pagerduty_user` (User) and
 * service -ASSIGNED-> team, team -HAS-> user, user -MONITORS-> service.
 * It says nothing about schedules and escalation policies; dm's choices:
 * `pagerduty_schedule` (Configuration), `pagerduty_escalation_policy`
 * (Ruleset: its escalation rules), service -USES-> escalation policy,
 * escalation policy -USES-> schedule, and user -ASSIGNED-> schedule for
 * whoever is on call in the look-ahead window (from /oncalls, which already
 * reflects overrides).
 *
 * MONITORS: a user monitors a service when the service's escalation policy
 * targets the user directly or targets a schedule the user is in.
 */
import { z } from "zod";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";

export const Ref = z.object({ id: z.string(), type: z.string().optional(), summary: z.string().nullish(), html_url: z.string().nullish() });
export type Ref = z.infer<typeof Ref>;

export const PdUser = z.object({
  id: z.string(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  role: z.string().nullish(),
  job_title: z.string().nullish(),
  time_zone: z.string().nullish(),
  description: z.string().nullish(),
  html_url: z.string().nullish(),
  invitation_sent: z.boolean().nullish(),
  teams: z.array(Ref).nullish(),
});
export type PdUser = z.infer<typeof PdUser>;

export const PdTeam = z.object({
  id: z.string(),
  name: z.string().nullish(),
  summary: z.string().nullish(),
  description: z.string().nullish(),
  html_url: z.string().nullish(),
});
export type PdTeam = z.infer<typeof PdTeam>;

export const PdMember = z.object({ user: Ref, role: z.string().nullish() });
export type PdMember = z.infer<typeof PdMember>;

export const PdService = z.object({
  id: z.string(),
  name: z.string().nullish(),
  summary: z.string().nullish(),
  description: z.string().nullish(),
  status: z.string().nullish(),
  html_url: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  last_incident_timestamp: z.string().nullish(),
  alert_creation: z.string().nullish(),
  escalation_policy: Ref.nullish(),
  teams: z.array(Ref).nullish(),
});
export type PdService = z.infer<typeof PdService>;

export const PdSchedule = z.object({
  id: z.string(),
  name: z.string().nullish(),
  summary: z.string().nullish(),
  description: z.string().nullish(),
  time_zone: z.string().nullish(),
  html_url: z.string().nullish(),
  users: z.array(Ref).nullish(),
  teams: z.array(Ref).nullish(),
});
export type PdSchedule = z.infer<typeof PdSchedule>;

export const PdEscalationPolicy = z.object({
  id: z.string(),
  name: z.string().nullish(),
  summary: z.string().nullish(),
  description: z.string().nullish(),
  num_loops: z.number().nullish(),
  on_call_handoff_notifications: z.string().nullish(),
  html_url: z.string().nullish(),
  escalation_rules: z
    .array(z.object({ id: z.string().nullish(), escalation_delay_in_minutes: z.number().nullish(), targets: z.array(Ref).nullish() }))
    .nullish(),
});
export type PdEscalationPolicy = z.infer<typeof PdEscalationPolicy>;

export const PdOnCall = z.object({
  user: Ref,
  schedule: Ref.nullish(),
  escalation_policy: Ref.nullish(),
  escalation_level: z.number().nullish(),
  /** null: on call permanently (a user the escalation policy targets directly) */
  start: z.string().nullish(),
  end: z.string().nullish(),
});
export type PdOnCall = z.infer<typeof PdOnCall>;

/** Everything one sync read. `members` by team id; a team whose members could not be read is absent. */
export interface PagerDutySnapshot {
  users: PdUser[];
  teams: PdTeam[];
  members: Map<string, PdMember[]>;
  services: PdService[];
  schedules: PdSchedule[];
  escalationPolicies: PdEscalationPolicy[];
  oncalls: PdOnCall[];
}

/** The /oncalls window: `since` is now. */
export interface OnCallWindow {
  since: number;
  until: number;
}

export const userKey = (id: string) => `pagerduty_user:${id}`;
export const teamKey = (id: string) => `pagerduty_team:${id}`;
export const serviceKey = (id: string) => `pagerduty_service:${id}`;
export const scheduleKey = (id: string) => `pagerduty_schedule:${id}`;
export const escalationPolicyKey = (id: string) => `pagerduty_escalation_policy:${id}`;

function epoch(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** Properties without the undefined ones (a store compares records as JSON). */
function defined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

function nameParts(name: string): { firstName: string | null; lastName: string | null } {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { firstName: null, lastName: null };
  if (parts.length === 1) return { firstName: parts[0]!, lastName: null };
  return { firstName: parts.slice(0, -1).join(" "), lastName: parts.at(-1)! };
}

export function userEntity(u: PdUser): EntityRecord {
  const email = u.email?.trim().toLowerCase() || undefined;
  const name = u.name?.trim() || email || u.id;
  return defined({
    _key: userKey(u.id),
    _type: "pagerduty_user",
    _class: "User",
    id: u.id,
    name,
    displayName: name,
    // JupiterOne's User class holds these as lists
    email: email ? [email] : null,
    username: email ? [email] : [u.id],
    shortLoginId: email ? [email.split("@")[0]!] : [u.id],
    ...nameParts(u.name ?? ""),
    role: u.role ?? undefined,
    isAdmin: u.role === "admin" || u.role === "owner",
    jobTitle: u.job_title ?? undefined,
    timeZone: u.time_zone ?? undefined,
    description: u.description ?? undefined,
    webLink: u.html_url ?? undefined,
    active: true,
  });
}

export function teamEntity(t: PdTeam): EntityRecord {
  const name = t.name ?? t.summary ?? t.id;
  return defined({
    _key: teamKey(t.id),
    _type: "pagerduty_team",
    _class: "Team",
    id: t.id,
    name,
    displayName: name,
    description: t.description ?? undefined,
    webLink: t.html_url ?? undefined,
  });
}

export function serviceEntity(s: PdService): EntityRecord {
  const name = s.name ?? s.summary ?? s.id;
  return defined({
    _key: serviceKey(s.id),
    _type: "pagerduty_service",
    _class: "Service",
    id: s.id,
    name,
    displayName: name,
    description: s.description ?? undefined,
    category: ["software"],
    function: ["monitoring"],
    status: s.status ?? undefined,
    active: s.status !== "disabled",
    alertCreation: s.alert_creation ?? undefined,
    escalationPolicyId: s.escalation_policy?.id,
    escalationPolicy: s.escalation_policy?.summary ?? undefined,
    createdOn: epoch(s.created_at),
    updatedOn: epoch(s.updated_at),
    lastIncidentOn: epoch(s.last_incident_timestamp),
    webLink: s.html_url ?? undefined,
  });
}

export function scheduleEntity(s: PdSchedule): EntityRecord {
  const name = s.name ?? s.summary ?? s.id;
  return defined({
    _key: scheduleKey(s.id),
    _type: "pagerduty_schedule",
    _class: "Configuration",
    id: s.id,
    name,
    displayName: name,
    description: s.description ?? undefined,
    timeZone: s.time_zone ?? undefined,
    webLink: s.html_url ?? undefined,
  });
}

export function escalationPolicyEntity(p: PdEscalationPolicy): EntityRecord {
  const name = p.name ?? p.summary ?? p.id;
  const rules = p.escalation_rules ?? [];
  return defined({
    _key: escalationPolicyKey(p.id),
    _type: "pagerduty_escalation_policy",
    _class: "Ruleset",
    id: p.id,
    name,
    displayName: name,
    description: p.description ?? undefined,
    numLoops: p.num_loops ?? undefined,
    onCallHandoffNotifications: p.on_call_handoff_notifications ?? undefined,
    // "after 0 min: schedule Primary, user Bob" per level, in order
    rules: rules.map(
      (r, i) =>
        `${i + 1}: after ${r.escalation_delay_in_minutes ?? 0} min: ${(r.targets ?? [])
          .map((t) => `${(t.type ?? "").replace(/_reference$/, "")} ${t.summary ?? t.id}`)
          .join(", ")}`,
    ),
    webLink: p.html_url ?? undefined,
  });
}

function relationship(cls: string, type: string, from: string, to: string, props: Record<string, unknown> = {}): RelationshipRecord {
  return defined({
    _key: `${from}|${cls.toLowerCase()}|${to}`,
    _type: type,
    _class: cls,
    _fromEntityKey: from,
    _toEntityKey: to,
    ...props,
  });
}

const targetKind = (t: Ref) => (t.type ?? "").replace(/_reference$/, "");

/**
 * Who is on call per user and schedule in the window. A user with several
 * shifts in one schedule gets one relationship: `onCallFrom`/`onCallUntil`
 * are the earliest shift's start and end as PagerDuty gives them (a shift
 * under way began before now), `onCallNow` says whether any shift covers
 * `since` (now), `shifts` counts them. A null start or end (on call
 * permanently) leaves that property out.
 */
export function onCallRelationships(oncalls: readonly PdOnCall[], window: OnCallWindow): RelationshipRecord[] {
  const byPair = new Map<string, { user: string; schedule: string; shifts: { from?: number; until?: number }[]; level?: number }>();
  for (const o of oncalls) {
    if (!o.schedule) continue; // a user the escalation policy targets directly: no schedule to assign to
    const pair = `${o.user.id} ${o.schedule.id}`;
    const entry = byPair.get(pair) ?? { user: o.user.id, schedule: o.schedule.id, shifts: [] };
    entry.shifts.push({ from: epoch(o.start), until: epoch(o.end) });
    if (o.escalation_level != null) entry.level = Math.min(entry.level ?? Infinity, o.escalation_level);
    byPair.set(pair, entry);
  }
  return [...byPair.values()].map((e) => {
    const shifts = e.shifts.sort((a, b) => (a.from ?? -Infinity) - (b.from ?? -Infinity) || (a.until ?? Infinity) - (b.until ?? Infinity));
    const first = shifts[0]!;
    return relationship("ASSIGNED", "pagerduty_user_assigned_schedule", userKey(e.user), scheduleKey(e.schedule), {
      onCallFrom: first.from,
      onCallUntil: first.until,
      onCallNow: shifts.some((s) => (s.from ?? -Infinity) <= window.since && (s.until ?? Infinity) > window.since),
      shifts: shifts.length,
      escalationLevel: e.level,
    });
  });
}

/** The whole graph of one sync: entities, then relationships between entities it has (dangling ones dropped). */
export function pagerDutyGraph(s: PagerDutySnapshot, window: OnCallWindow): { entities: EntityRecord[]; relationships: RelationshipRecord[] } {
  const entities = [
    ...s.users.map(userEntity),
    ...s.teams.map(teamEntity),
    ...s.services.map(serviceEntity),
    ...s.schedules.map(scheduleEntity),
    ...s.escalationPolicies.map(escalationPolicyEntity),
  ];
  const rels: RelationshipRecord[] = [];
  for (const svc of s.services) {
    for (const t of svc.teams ?? []) rels.push(relationship("ASSIGNED", "pagerduty_service_assigned_team", serviceKey(svc.id), teamKey(t.id)));
    if (svc.escalation_policy) {
      rels.push(
        relationship("USES", "pagerduty_service_uses_escalation_policy", serviceKey(svc.id), escalationPolicyKey(svc.escalation_policy.id)),
      );
    }
  }
  for (const [teamId, members] of s.members) {
    for (const m of members) {
      rels.push(relationship("HAS", "pagerduty_team_has_user", teamKey(teamId), userKey(m.user.id), { role: m.role ?? undefined }));
    }
  }
  const scheduleUsers = new Map(s.schedules.map((sc) => [sc.id, (sc.users ?? []).map((u) => u.id)]));
  const policyUsers = new Map<string, Set<string>>();
  for (const p of s.escalationPolicies) {
    const users = new Set<string>();
    const schedules = new Set<string>();
    for (const rule of p.escalation_rules ?? []) {
      for (const t of rule.targets ?? []) {
        if (targetKind(t) === "user") users.add(t.id);
        if (targetKind(t) === "schedule") {
          schedules.add(t.id);
          for (const u of scheduleUsers.get(t.id) ?? []) users.add(u);
        }
      }
    }
    for (const sc of schedules) rels.push(relationship("USES", "pagerduty_escalation_policy_uses_schedule", escalationPolicyKey(p.id), scheduleKey(sc)));
    policyUsers.set(p.id, users);
  }
  for (const svc of s.services) {
    const users = svc.escalation_policy ? policyUsers.get(svc.escalation_policy.id) : undefined;
    for (const u of [...(users ?? [])].sort()) {
      rels.push(relationship("MONITORS", "pagerduty_user_monitors_service", userKey(u), serviceKey(svc.id)));
    }
  }
  rels.push(...onCallRelationships(s.oncalls, window));
  const keys = new Set(entities.map((e) => e._key));
  const seen = new Set<string>();
  const relationships = rels.filter((r) => {
    if (!keys.has(r._fromEntityKey) || !keys.has(r._toEntityKey) || seen.has(r._key)) return false;
    seen.add(r._key);
    return true;
  });
  return { entities, relationships };
}
