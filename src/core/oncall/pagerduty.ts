/**
 * Who is on call, from PagerDuty REST API v2: schedules by name (or id), then
 * /oncalls over the window (which reflects overrides), then each user's
 * email. Every list is followed through its pages (limit/offset/more).
 */
import { z } from "zod";
import { InputError } from "../../shared/errors.js";
import { requestJson } from "../../shared/fetch-json.js";

const Page = { limit: z.number().optional(), offset: z.number().optional(), more: z.boolean().optional() };
const Schedule = z.object({ id: z.string(), name: z.string().optional(), summary: z.string().optional() });
const SchedulesPage = z.object({ schedules: z.array(Schedule), ...Page });
const OnCall = z.object({
  user: z.object({ id: z.string(), summary: z.string().optional() }),
  schedule: z.object({ id: z.string(), summary: z.string().optional() }).nullable().optional(),
  start: z.string().nullable().optional(),
  end: z.string().nullable().optional(),
});
const OnCallsPage = z.object({ oncalls: z.array(OnCall), ...Page });
const UserResponse = z.object({ user: z.object({ id: z.string(), name: z.string().optional(), email: z.string() }) });

export interface OnCallPerson {
  email: string;
  name?: string;
  pagerdutyId: string;
  /** schedule names this person is on call in during the window */
  schedules: string[];
}

export interface OnCallAnswer {
  schedules: { id: string; name: string }[];
  people: OnCallPerson[];
  since: number;
  until: number;
}

/** What the sync needs from a source of on-call people. */
export interface OnCallSource {
  readonly name: string;
  onCall(schedules: string[], since: number, until: number): Promise<OnCallAnswer>;
}

const PAGE = 100;
const SCHEDULE_ID = /^P[A-Z0-9]{5,}$/;

export class PagerDutySource implements OnCallSource {
  readonly name = "PagerDuty";

  constructor(
    private readonly options: { url: string; token: string; timeoutMs?: number; backoffMs?: number },
  ) {}

  private get<S extends z.ZodType>(pathAndQuery: string, label: string, schema: S, accept?: number[]) {
    return requestJson({
      service: "PagerDuty",
      label,
      url: `${this.options.url}${pathAndQuery}`,
      headers: {
        Authorization: `Token token=${this.options.token}`,
        Accept: "application/vnd.pagerduty+json;version=2",
      },
      schema,
      accept,
      timeoutMs: this.options.timeoutMs,
      backoffMs: this.options.backoffMs,
      authHint: "Check the PagerDuty API key (a read-only REST API key is enough).",
    });
  }

  /** Every page of a list: the next offset follows what the server returned (it may cap the limit). */
  private async *pages<S extends z.ZodType<{ more?: boolean; limit?: number }>>(path: string, params: URLSearchParams, label: string, schema: S, count: (page: z.infer<S>) => number) {
    for (let offset = 0; ; ) {
      const q = new URLSearchParams(params);
      q.set("limit", String(PAGE));
      q.set("offset", String(offset));
      const { data } = await this.get(`${path}?${q}`, label, schema);
      const page = data as z.infer<S>;
      yield page;
      const step = count(page);
      if (!page.more || step === 0) return;
      offset += step;
      if (offset > 100_000) throw new InputError(`PagerDuty ${label}: more than 100,000 results; narrow the configuration`);
    }
  }

  /** A configured schedule by id (P…) or by exact name; unknown or ambiguous names are errors. */
  async resolveSchedule(wanted: string): Promise<{ id: string; name: string }> {
    if (SCHEDULE_ID.test(wanted)) {
      const r = await this.get(`/schedules/${encodeURIComponent(wanted)}`, `GET /schedules/${wanted}`, z.object({ schedule: Schedule }), [404]);
      if (r.status !== 404 && r.data) return { id: r.data.schedule.id, name: r.data.schedule.name ?? r.data.schedule.summary ?? wanted };
    }
    const matches: { id: string; name: string }[] = [];
    for await (const page of this.pages("/schedules", new URLSearchParams({ query: wanted }), "GET /schedules", SchedulesPage, (p) => p.schedules.length)) {
      for (const s of page.schedules) {
        const name = s.name ?? s.summary ?? "";
        if (name === wanted) matches.push({ id: s.id, name });
      }
    }
    if (matches.length === 0) {
      throw new InputError(`PagerDuty has no schedule named "${wanted}"`, {
        details: ["Check pagerduty.schedules (Deputize: OnCallSchedules): exact schedule names or ids such as PABC123."],
      });
    }
    if (matches.length > 1) {
      throw new InputError(`PagerDuty has ${matches.length} schedules named "${wanted}" (${matches.map((m) => m.id).join(", ")})`, {
        details: ["Name the schedule by its id in the config instead."],
      });
    }
    return matches[0]!;
  }

  async onCall(wanted: string[], since: number, until: number): Promise<OnCallAnswer> {
    const schedules: { id: string; name: string }[] = [];
    for (const w of wanted) {
      const s = await this.resolveSchedule(w);
      if (!schedules.some((x) => x.id === s.id)) schedules.push(s);
    }
    const nameOf = new Map(schedules.map((s) => [s.id, s.name]));
    // PagerDuty wants until after since; a zero look-ahead means "now".
    const end = Math.max(until, since + 1000);
    const params = new URLSearchParams({ since: new Date(since).toISOString(), until: new Date(end).toISOString() });
    for (const s of schedules) params.append("schedule_ids[]", s.id);
    const byUser = new Map<string, Set<string>>();
    for await (const page of this.pages("/oncalls", params, "GET /oncalls", OnCallsPage, (p) => p.oncalls.length)) {
      for (const o of page.oncalls) {
        // entries of the escalation policies that do not come from our schedules are not ours
        if (!o.schedule || !nameOf.has(o.schedule.id)) continue;
        const set = byUser.get(o.user.id) ?? new Set<string>();
        set.add(nameOf.get(o.schedule.id)!);
        byUser.set(o.user.id, set);
      }
    }
    const people: OnCallPerson[] = [];
    for (const [id, set] of byUser) {
      const { data } = await this.get(`/users/${encodeURIComponent(id)}`, `GET /users/${id}`, UserResponse);
      people.push({ email: data!.user.email, name: data!.user.name, pagerdutyId: id, schedules: [...set].sort() });
    }
    people.sort((a, b) => a.email.localeCompare(b.email));
    return { schedules, people, since, until: end };
  }
}
