/** J1QL over HTTP: the query, a page at a time, and single entities. */
import { z } from "zod";
import { deploymentOf } from "../../core/entity-view.js";
import { metadataOf, runQuery } from "../../query/run.js";
import { resolveEntity } from "../../core/dashboard/asset.js";
import { defineRoute, type Route } from "../route.js";
import { entityPage, queryResult } from "../schemas.js";
import { serverRulesSetup } from "./rules.js";

/** Rows per page at most: a client pages with the cursor rather than asking for everything at once. */
export const MAX_PAGE_SIZE = 5000;

const queryBody = z.strictObject({
  query: z.string().min(1).describe("J1QL, e.g. Find CodeRepo with public=true"),
  cursor: z.string().optional().describe("from the previous page's `cursor`"),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe("rows per page (default 250)"),
  includeDeleted: z.boolean().optional(),
  parameters: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe("values of the question parameters {{name}} in the query (bound, never written into SQL)"),
});

export function queryRoutes(options: { dataDir: string }): Route[] {
  return [
  defineRoute({
    method: "POST",
    path: "/api/v1/query",
    role: "reader",
    summary: "Run a J1QL query: a page of results (list, table or tree) and a cursor when more exist",
    body: queryBody,
    response: queryResult,
    queued: true,
    async handle(ctx) {
      const b = ctx.body;
      return runQuery(ctx.store, b.query, {
        now: ctx.now,
        ...(b.cursor === undefined ? {} : { cursor: b.cursor }),
        ...(b.limit === undefined ? {} : { pageSize: b.limit }),
        ...(b.includeDeleted === undefined ? {} : { includeDeleted: b.includeDeleted }),
        ...(b.parameters === undefined ? {} : { parameters: b.parameters }),
        timeoutMs: ctx.limits.queryTimeoutMs,
      });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/entities/{id}",
    role: "reader",
    summary: "One entity by its _id (or _key): metadata, properties, and how it is deployed (its deployment model and where that came from)",
    params: z.object({ id: z.string().describe("the entity's _id, or its _key") }),
    response: entityPage,
    async handle(ctx) {
      // an _id, or a _key (the dashboard's /assets/repo:checkout-proxy)
      const entity = await resolveEntity(ctx.store, ctx.params.id, ctx.now, { includeDeleted: true });
      const item = { id: entity.id, entity: metadataOf(entity), properties: entity.props };
      const { deploymentModels } = serverRulesSetup(ctx.cwd, options.dataDir);
      const { model, source } = await deploymentOf(ctx.store, item, deploymentModels, ctx.now);
      return { ...item, deployment: { model, source } };
    },
  }),
  ];
}
