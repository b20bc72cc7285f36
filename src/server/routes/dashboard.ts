/**
 * Read-only views the web dashboard needs and the rest of the API lacks: the
 * caller's own token, an overview of the whole debt, one campaign with every
 * finding (open and closed) and its asset, an entity's relationships, an
 * asset's findings with their history, and the on-call group. The
 * computations live in src/core/dashboard/; these routes only wire them up.
 */
import { z } from "zod";
import { assetFindings, neighbourhood } from "../../core/dashboard/asset.js";
import { oncallGroups } from "../../core/dashboard/oncall.js";
import { campaign, OVERVIEW_ALL, OVERVIEW_TOP, overview } from "../../core/dashboard/overview.js";
import { SEARCH_LIMIT, SEARCH_MAX_LIMIT, search } from "../../core/dashboard/search.js";
import { teamView } from "../../core/dashboard/team.js";
import { assertMaintenanceId } from "../../core/maintenance/finding.js";
import { defineRoute, type Route } from "../route.js";
import * as s from "../schemas.js";

const entityParams = z.object({ id: z.string().describe("the entity's _id, or its _key") });

export const dashboardRoutes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/api/v1/session",
    role: "reader",
    summary: "The calling token's name and role, and whether on-call is set up (the dashboard's sign-in check)",
    response: s.session,
    async handle(ctx) {
      // the sync runs table is small: on-call is "set up" once dm oncall sync has run
      const oncall = (await ctx.store.latestSyncRuns()).some((r) => r.integration === "oncall");
      return { name: ctx.token!.name, role: ctx.token!.role, expiresOn: ctx.token!.expiresOn, oncall, owner: ctx.token!.owner };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/overview",
    role: "reader",
    summary: "Open, overdue and accepted counts, the riskiest assets and owners, campaigns most behind schedule first",
    query: z.strictObject({ all: z.enum(["true", "false"]).optional().describe(`every riskiest asset and owner (up to ${OVERVIEW_ALL}), not the top ${OVERVIEW_TOP}`) }),
    response: s.overview,
    async handle(ctx) {
      return overview(ctx.store, { now: ctx.now, ...(ctx.query.all === "true" ? { top: OVERVIEW_ALL } : {}) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/campaigns/{id}",
    role: "reader",
    summary: "One maintenance item: progress, burndown, forecast and every finding (open and closed) with its asset",
    params: s.maintenanceIdParams,
    response: s.campaign,
    async handle(ctx) {
      return campaign(ctx.store, { id: assertMaintenanceId(ctx.params.id), now: ctx.now });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/teams/{owner}",
    role: "reader",
    summary:
      "One owner's (team's) findings across campaigns: open, overdue and risk-accepted, its worst assets, its burndown, and the dm report --owner command",
    params: z.object({ owner: z.string().min(1).max(200).describe("the owner, compared without case") }),
    response: s.team,
    async handle(ctx) {
      return teamView(ctx.store, { owner: ctx.params.owner, now: ctx.now });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/search",
    role: "reader",
    summary: "Repos, hosts, teams, people and campaigns whose name starts with q (without case), each with its dashboard page",
    query: z.strictObject({
      q: z.string().max(200).describe("the start of a name"),
      limit: z
        .string()
        .regex(/^\d{1,4}$/, "a whole number")
        .optional()
        .describe(`at most this many results (${SEARCH_LIMIT} by default, at most ${SEARCH_MAX_LIMIT})`),
    }),
    response: s.searchResults,
    async handle(ctx) {
      return search(ctx.store, { q: ctx.query.q, ...(ctx.query.limit === undefined ? {} : { limit: Number(ctx.query.limit) }) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/entities/{id}/relationships",
    role: "reader",
    summary: "An entity's relationships, both directions, with the entity at the other end",
    params: entityParams,
    response: s.relationships,
    async handle(ctx) {
      const { id, relationships } = await neighbourhood(ctx.store, { id: ctx.params.id, now: ctx.now });
      return { id, relationships };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/entities/{id}/findings",
    role: "reader",
    summary: "An asset's findings (open and closed), each with its history and its item's audit entries",
    params: entityParams,
    response: s.assetFindings,
    async handle(ctx) {
      return assetFindings(ctx.store, { id: ctx.params.id, now: ctx.now });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/oncall",
    role: "reader",
    summary: "The on-call groups in the graph (Person -ASSIGNED-> Group), their members, the latest on-call syncs",
    response: s.oncall,
    async handle(ctx) {
      return oncallGroups(ctx.store, { now: ctx.now });
    },
  }),
];
