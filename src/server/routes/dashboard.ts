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
import { campaign, overview } from "../../core/dashboard/overview.js";
import { assertMaintenanceId } from "../../core/maintenance/finding.js";
import { defineRoute, type Route } from "../route.js";
import * as s from "../schemas.js";

const entityParams = z.object({ id: z.string().describe("the entity's _id") });

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
      return { name: ctx.token!.name, role: ctx.token!.role, expiresOn: ctx.token!.expiresOn, oncall };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/overview",
    role: "reader",
    summary: "Open, overdue and accepted counts, the riskiest assets and owners, campaigns most behind schedule first",
    response: s.overview,
    async handle(ctx) {
      return overview(ctx.store, { now: ctx.now });
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
