/**
 * PagerDuty REST API v2, the parts dm uses, as documented: GET /schedules
 * (query, limit/offset/more), GET /schedules/{id}, GET /oncalls
 * (schedule_ids[], since, until, paging), GET /users/{id}. Auth is
 * `Authorization: Token token=...`; anything else is 401.
 */
import { type FakeServer, pageOf, startFakeServer } from "./http.js";

export interface FakeSchedule {
  id: string;
  name: string;
}

export interface FakeUser {
  id: string;
  name: string;
  email: string;
}

export interface FakeOnCall {
  scheduleId: string | null;
  userId: string;
  /** ISO; absent: always */
  start?: string;
  end?: string;
}

export interface FakePagerDuty extends FakeServer {
  token: string;
  schedules: FakeSchedule[];
  users: FakeUser[];
  oncalls: FakeOnCall[];
}

export async function startFakePagerDuty(options: { token: string; pageSize?: number }): Promise<FakePagerDuty> {
  const state = { schedules: [] as FakeSchedule[], users: [] as FakeUser[], oncalls: [] as FakeOnCall[] };
  const cap = options.pageSize ?? 100;
  const ref = (type: string, id: string, summary: string) => ({ id, type, summary, self: `https://api.pagerduty.com/${type}s/${id}`, html_url: null });
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== `Token token=${options.token}`) {
      return { status: 401, json: { error: { message: "Unauthorized", code: 2006 } } };
    }
    if (req.method !== "GET") return { status: 405, json: { error: { message: "Method not allowed" } } };
    if (req.path === "/schedules") {
      const q = (req.query.get("query") ?? "").toLowerCase();
      const found = state.schedules.filter((s) => s.name.toLowerCase().includes(q));
      const p = pageOf(found, req.query, cap);
      return {
        json: {
          schedules: p.items.map((s) => ({ ...ref("schedule", s.id, s.name), name: s.name, time_zone: "UTC" })),
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
              escalation_policy: ref("escalation_policy", "PEP0001", "Default"),
              escalation_level: 1,
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
