/**
 * `pagerduty`: users (with their email), teams and their members, services,
 * schedules, escalation policies, and who is on call from now over a
 * look-ahead window, from PagerDuty's REST API v2.
 *
 *   - id: pagerduty
 *     url: https://api.pagerduty.com
 *     token: env:PAGERDUTY_TOKEN
 *     lookahead: 14d
 */
import { z } from "zod";
import { CredentialRef } from "../credentials.js";
import type { Integration } from "../types.js";
import { PagerDutyClient } from "./client.js";
import { type PdMember, pagerDutyGraph } from "./map.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A span such as 14d, 2w, 36h, 1h30m, 500ms: milliseconds, or undefined when it is not one. */
export function parseSpan(text: string): number | undefined {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  return s.length > 0 && end === s.length ? Math.round(total) : undefined;
}

const Span = (what: string, max?: number) =>
  z.string().refine((v) => {
    const ms = parseSpan(v);
    return ms !== undefined && ms > 0 && (max === undefined || ms <= max);
  }, `${what} (examples: 14d, 36h, 2w${max ? `; at most ${max / 86_400_000}d` : ""})`);

/** PagerDuty answers /oncalls for at most 90 days. */
const MAX_LOOKAHEAD = 90 * 86_400_000;

export const PagerDutyConfig = z
  .object({
    url: z.string().regex(/^https?:\/\/[^/\s]+/, "an http(s) URL, e.g. https://api.pagerduty.com").optional(),
    token: CredentialRef,
    lookahead: Span("a duration", MAX_LOOKAHEAD).optional(),
    /** per request; default 10s */
    timeout: Span("a duration").optional(),
  })
  .strict();
export type PagerDutyConfig = z.infer<typeof PagerDutyConfig>;

export const DEFAULT_URL = "https://api.pagerduty.com";
export const DEFAULT_LOOKAHEAD = "14d";

const baseUrl = (config: PagerDutyConfig) => (config.url ?? DEFAULT_URL).replace(/\/+$/, "");

export const pagerdutyIntegration: Integration<PagerDutyConfig> = {
  id: "pagerduty",
  description: "PagerDuty users, teams, services, schedules, escalation policies and who is on call",
  configSchema: PagerDutyConfig,
  instanceName: (config) => `pagerduty:${baseUrl(config)}`,
  async *sync(ctx) {
    const token = await ctx.secret(ctx.config.token, "token");
    const client = new PagerDutyClient({
      url: baseUrl(ctx.config),
      token,
      cache: ctx.cache,
      timeoutMs: ctx.config.timeout ? parseSpan(ctx.config.timeout) : undefined,
    });
    const window = { since: ctx.now, until: ctx.now + parseSpan(ctx.config.lookahead ?? DEFAULT_LOOKAHEAD)! };
    const users = await client.users();
    ctx.progress(1, 7, "lists");
    const teams = await client.teams();
    ctx.progress(2, 7, "lists");
    const members = new Map<string, PdMember[]>();
    for (const team of teams) {
      const list = await client.members(team.id);
      if (list === undefined) {
        ctx.warn({
          file: `team ${team.name ?? team.id}`,
          message: `PagerDuty (GET /teams/${team.id}/members) refused or not found: its memberships were skipped. Check that the API key may read this team.`,
        });
      } else members.set(team.id, list);
    }
    ctx.progress(3, 7, "lists");
    const services = await client.services();
    ctx.progress(4, 7, "lists");
    const schedules = await client.schedules();
    ctx.progress(5, 7, "lists");
    const escalationPolicies = await client.escalationPolicies();
    ctx.progress(6, 7, "lists");
    const oncalls = await client.oncalls(window.since, window.until);
    ctx.progress(7, 7, "lists");
    yield pagerDutyGraph({ users, teams, members, services, schedules, escalationPolicies, oncalls }, window);
  },
};
