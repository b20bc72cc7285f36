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
import { Duration } from "../settings.js";
import { CredentialRef } from "../credentials.js";
import type { Integration } from "../types.js";
import { PagerDutyClient } from "./client.js";
import { type PdMember, pagerDutyGraph } from "./map.js";

/** PagerDuty answers /oncalls for at most 90 days. */
const MAX_LOOKAHEAD = 90 * 86_400_000;

export const PagerDutyConfig = z
  .object({
    url: z.string().regex(/^https?:\/\/[^/\s]+/, "an http(s) URL, e.g. https://api.pagerduty.com").optional(),
    token: CredentialRef,
    lookahead: Duration("14d, 36h, 2w", MAX_LOOKAHEAD).optional(),
    /** per request; default 10s */
    timeout: Duration().optional(),
  })
  .strict();
export type PagerDutyConfig = z.infer<typeof PagerDutyConfig>;

export const DEFAULT_URL = "https://api.pagerduty.com";
/** 14 days */
export const DEFAULT_LOOKAHEAD_MS = 14 * 86_400_000;

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
      timeoutMs: ctx.config.timeout,
    });
    const window = { since: ctx.now, until: ctx.now + (ctx.config.lookahead ?? DEFAULT_LOOKAHEAD_MS) };
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
