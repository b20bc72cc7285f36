/**
 * PagerDuty REST API v2, the parts dm uses, as documented: GET /schedules
 * (query, limit/offset/more), GET /schedules/{id}, GET /oncalls
 * (schedule_ids[], since, until, paging), GET /users/{id}; for the
 * inventory also GET /users, /teams, /teams/{id}/members, /services and
 * /escalation_policies (offset paging). Auth is `Authorization: Token
 * token=...`; anything else is 401. A path in `forbidden` answers 403 (a
 * key that may not read that team).
 */
import { type FakeServer, pageOf, startFakeServer } from "./http.js";

export interface FakeSchedule {
  id: string;
  name: string;
  /** the users in its layers */
  userIds?: string[];
}

export interface FakeUser {
  id: string;
  name: string;
  email: string;
  role?: string;
}

export interface FakeTeam {
  id: string;
  name: string;
  members: { userId: string; role: "manager" | "responder" | "observer" }[];
}

export interface FakeService {
  id: string;
  name: string;
  teamIds: string[];
  escalationPolicyId: string;
  status?: string;
  createdAt?: string;
}

export interface FakeEscalationPolicy {
  id: string;
  name: string;
  rules: { delay: number; targets: { type: "user" | "schedule"; id: string }[] }[];
}

export interface FakeOnCall {
  scheduleId: string | null;
  userId: string;
  /** ISO; absent: always */
  start?: string;
  end?: string;
  escalationPolicyId?: string;
  level?: number;
}

export interface FakePagerDuty extends FakeServer {
  token: string;
  schedules: FakeSchedule[];
  users: FakeUser[];
  oncalls: FakeOnCall[];
  teams: FakeTeam[];
  services: FakeService[];
  escalationPolicies: FakeEscalationPolicy[];
  /** paths answered 403 */
  forbidden: Set<string>;
}

export async function startFakePagerDuty(options: { token: string; pageSize?: number }): Promise<FakePagerDuty> {
  const state = {
    schedules: [] as FakeSchedule[],
    users: [] as FakeUser[],
    oncalls: [] as FakeOnCall[],
    teams: [] as FakeTeam[],
    services: [] as FakeService[],
    escalationPolicies: [] as FakeEscalationPolicy[],
    forbidden: new Set<string>(),
  };
  const cap = options.pageSize ?? 100;
  const ref = (type: string, id: string, summary: string) => ({ id, type, summary, self: `https://api.pagerduty.com/${type}s/${id}`, html_url: null });
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== `Token token=${options.token}`) {
      return { status: 401, json: { error: { message: "Unauthorized", code: 2006 } } };
    }
    if (req.method !== "GET") return { status: 405, json: { error: { message: "Method not allowed" } } };
    if (state.forbidden.has(req.path)) return { status: 403, json: { error: { message: "Access Denied", code: 2010 } } };
    const list = <T>(key: string, items: T[], map: (item: T) => unknown) => {
      const p = pageOf(items, req.query, cap);
      return { json: { [key]: p.items.map(map), limit: p.limit, offset: p.offset, more: p.more, total: null } };
    };
    const userObject = (u: FakeUser) => ({
      ...ref("user", u.id, u.name),
      html_url: `https://acme.pagerduty.com/users/${u.id}`,
      name: u.name,
      email: u.email,
      time_zone: "UTC",
      role: u.role ?? "user",
      job_title: null,
      description: null,
      invitation_sent: false,
      teams: state.teams.filter((t) => t.members.some((m) => m.userId === u.id)).map((t) => ref("team", t.id, t.name)),
    });
    if (req.path === "/users") {
      const q = (req.query.get("query") ?? "").toLowerCase();
      return list("users", state.users.filter((u) => `${u.name} ${u.email}`.toLowerCase().includes(q)), userObject);
    }
    if (req.path === "/teams") {
      return list("teams", state.teams, (t) => ({ ...ref("team", t.id, t.name), name: t.name, description: null, parent: null }));
    }
    const members = /^\/teams\/([^/]+)\/members$/.exec(req.path);
    if (members) {
      const t = state.teams.find((x) => x.id === members[1]);
      if (!t) return { status: 404, json: { error: { message: "Not Found", code: 2100 } } };
      return list("members", t.members, (m) => {
        const u = state.users.find((x) => x.id === m.userId);
        return { user: ref("user", m.userId, u?.name ?? m.userId), role: m.role };
      });
    }
    if (req.path === "/services") {
      return list("services", state.services, (s) => {
        const ep = state.escalationPolicies.find((p) => p.id === s.escalationPolicyId);
        return {
          ...ref("service", s.id, s.name),
          html_url: `https://acme.pagerduty.com/service-directory/${s.id}`,
          name: s.name,
          description: null,
          status: s.status ?? "active",
          created_at: s.createdAt ?? "2025-03-01T09:00:00Z",
          updated_at: s.createdAt ?? "2025-03-01T09:00:00Z",
          alert_creation: "create_alerts_and_incidents",
          escalation_policy: ref("escalation_policy", s.escalationPolicyId, ep?.name ?? s.escalationPolicyId),
          teams: s.teamIds.map((id) => ref("team", id, state.teams.find((t) => t.id === id)?.name ?? id)),
        };
      });
    }
    if (req.path === "/escalation_policies") {
      return list("escalation_policies", state.escalationPolicies, (p) => ({
        ...ref("escalation_policy", p.id, p.name),
        name: p.name,
        num_loops: 1,
        on_call_handoff_notifications: "if_has_services",
        escalation_rules: p.rules.map((r, i) => ({
          id: `${p.id}R${i}`,
          escalation_delay_in_minutes: r.delay,
          targets: r.targets.map((t) => {
            const name = t.type === "user" ? state.users.find((u) => u.id === t.id)?.name : state.schedules.find((x) => x.id === t.id)?.name;
            return ref(t.type === "user" ? "user_reference" : "schedule_reference", t.id, name ?? t.id);
          }),
        })),
        services: state.services.filter((s) => s.escalationPolicyId === p.id).map((s) => ref("service", s.id, s.name)),
        teams: [],
      }));
    }
    if (req.path === "/schedules") {
      const q = (req.query.get("query") ?? "").toLowerCase();
      const found = state.schedules.filter((s) => s.name.toLowerCase().includes(q));
      const p = pageOf(found, req.query, cap);
      return {
        json: {
          schedules: p.items.map((s) => ({
            ...ref("schedule", s.id, s.name),
            name: s.name,
            time_zone: "UTC",
            description: null,
            users: (s.userIds ?? []).map((id) => ref("user", id, state.users.find((u) => u.id === id)?.name ?? id)),
            escalation_policies: [],
            teams: [],
          })),
          limit: p.limit,
          offset: p.offset,
          more: p.more,
          total: null,
        },
      };
    }
    const schedule = /^\/schedules\/([^/]+)$/.exec(req.path);
    if (schedule) {
      const s = state.schedules.find((x) => x.id === schedule[1]);
      return s ? { json: { schedule: { ...ref("schedule", s.id, s.name), name: s.name } } } : { status: 404, json: { error: { message: "Not Found", code: 2100 } } };
    }
    if (req.path === "/oncalls") {
      const ids = req.query.getAll("schedule_ids[]");
      const since = Date.parse(req.query.get("since") ?? "");
      const until = Date.parse(req.query.get("until") ?? "");
      if (Number.isNaN(since) || Number.isNaN(until) || until <= since) {
        return { status: 400, json: { error: { message: "Invalid Input Provided", code: 2001, errors: ["since/until"] } } };
      }
      const found = state.oncalls.filter((o) => {
        if (ids.length > 0 && (o.scheduleId === null || !ids.includes(o.scheduleId))) return false;
        const start = o.start ? Date.parse(o.start) : -Infinity;
        const end = o.end ? Date.parse(o.end) : Infinity;
        return start < until && end > since;
      });
      const p = pageOf(found, req.query, cap);
      return {
        json: {
          oncalls: p.items.map((o) => {
            const u = state.users.find((x) => x.id === o.userId);
            const s = state.schedules.find((x) => x.id === o.scheduleId);
            return {
              escalation_policy: ref("escalation_policy", o.escalationPolicyId ?? "PEP0001", "Default"),
              escalation_level: o.level ?? 1,
              schedule: s ? ref("schedule", s.id, s.name) : null,
              user: ref("user", o.userId, u?.name ?? o.userId),
              start: o.start ?? null,
              end: o.end ?? null,
            };
          }),
          limit: p.limit,
          offset: p.offset,
          more: p.more,
          total: null,
        },
      };
    }
    const user = /^\/users\/([^/]+)$/.exec(req.path);
    if (user) {
      const u = state.users.find((x) => x.id === user[1]);
      return u
        ? { json: { user: { ...ref("user", u.id, u.name), name: u.name, email: u.email, time_zone: "UTC", role: "user" } } }
        : { status: 404, json: { error: { message: "Not Found", code: 2100 } } };
    }
    return { status: 404, json: { error: { message: "Not Found" } } };
  });
  return Object.assign(server, { token: options.token }, state);
}
