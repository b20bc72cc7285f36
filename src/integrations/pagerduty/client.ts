/**
 * PagerDuty REST API v2 through the shared ApiClient: `Authorization: Token
 * token=...`, the v2 Accept header, offset paging (`limit`, `offset`,
 * `more`) followed to the end, 429 and 5xx retried with Retry-After.
 */
import { z } from "zod";
import { ApiClient, type HttpCache } from "../http.js";
import { PdEscalationPolicy, PdMember, PdOnCall, PdSchedule, PdService, PdTeam, PdUser } from "./map.js";

const PAGE = 100;

export interface PagerDutyClientOptions {
  url: string;
  token: string;
  cache?: HttpCache;
  timeoutMs?: number;
}

export class PagerDutyClient {
  private readonly api: ApiClient;

  constructor(options: PagerDutyClientOptions) {
    this.api = new ApiClient({
      service: "PagerDuty",
      baseUrl: options.url,
      headers: {
        authorization: `Token token=${options.token}`,
        accept: "application/vnd.pagerduty+json;version=2",
      },
      authHint:
        "Check the PagerDuty API key in the token setting: a REST API key (a read-only General Access key is enough) that is not revoked.",
      cache: options.cache,
      timeoutMs: options.timeoutMs,
    });
  }

  /**
   * Every item of an offset-paged list. The next offset follows what the
   * server returned (it may cap the limit). `accept` statuses (403/404 of
   * one team's members) end the list with `undefined`.
   */
  async list<S extends z.ZodType>(
    path: string,
    key: string,
    item: S,
    opts: { query?: string; accept?: number[] } = {},
  ): Promise<z.infer<S>[] | undefined> {
    const page = z.object({ [key]: z.array(item), more: z.boolean().nullish(), limit: z.number().nullish(), offset: z.number().nullish() });
    const all: z.infer<S>[] = [];
    for (let offset = 0; ; ) {
      const answer = await this.api.get(`${path}?limit=${PAGE}&offset=${offset}${opts.query ? `&${opts.query}` : ""}`, page, {
        accept: opts.accept,
      });
      if (answer.data === undefined) return undefined;
      const items = answer.data[key] as z.infer<S>[];
      all.push(...items);
      if (!answer.data.more || items.length === 0) return all;
      offset += items.length;
    }
  }

  users() {
    return this.list("/users", "users", PdUser) as Promise<PdUser[]>;
  }

  teams() {
    return this.list("/teams", "teams", PdTeam) as Promise<PdTeam[]>;
  }

  /** undefined when the key may not read this team's members (403) or the team is gone (404) */
  members(teamId: string) {
    return this.list(`/teams/${encodeURIComponent(teamId)}/members`, "members", PdMember, { accept: [403, 404] }) as Promise<
      PdMember[] | undefined
    >;
  }

  services() {
    return this.list("/services", "services", PdService) as Promise<PdService[]>;
  }

  schedules() {
    return this.list("/schedules", "schedules", PdSchedule) as Promise<PdSchedule[]>;
  }

  escalationPolicies() {
    return this.list("/escalation_policies", "escalation_policies", PdEscalationPolicy) as Promise<PdEscalationPolicy[]>;
  }

  /** every on-call entry overlapping [since, until): overrides already applied */
  oncalls(since: number, until: number) {
    const q = `since=${encodeURIComponent(new Date(since).toISOString())}&until=${encodeURIComponent(new Date(until).toISOString())}`;
    return this.list("/oncalls", "oncalls", PdOnCall, { query: q }) as Promise<PdOnCall[]>;
  }
}
