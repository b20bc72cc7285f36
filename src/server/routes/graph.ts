/** Bulk upsert in the bulk file format, and the sync runs. */
import { z } from "zod";
import { instancesFor } from "../../core/ingest/config-file.js";
import { validateBulk } from "../../core/ingest/bulk-file.js";
import { runSync, type SyncSummary } from "../../core/ingest/sync.js";
import { defineRoute, type Route } from "../route.js";
import { syncRun, syncSummary, upsertResult } from "../schemas.js";

const graphQuery = z.strictObject({
  source: z.string().min(1).max(200).optional().describe('`_source` for records that do not name one (default "api")'),
});

const syncBody = z.strictObject({
  integration: z.string().optional().describe("one integration (git, hosts, ...) with its settings"),
  settings: z.record(z.string(), z.unknown()).optional(),
  all: z.boolean().optional().describe("every instance in the server's dm.config.yaml"),
  full: z.boolean().optional().describe("read everything again, ignoring what the last run cached (git: unchanged repositories are skipped otherwise)"),
});

export function graphRoutes(options: { dataDir: string }): Route[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/graph",
      role: "admin",
      writes: true,
      summary: "Upsert entities and relationships in the bulk format, in one transaction (all or nothing)",
      body: z.unknown().describe("{ entities: [...], relationships: [...] } as in dm import"),
      query: graphQuery,
      response: upsertResult,
      async handle(ctx) {
        const batch = validateBulk(ctx.body);
        const source = ctx.query.source ?? "api";
        const counts = await ctx.store.upsertMany([batch], {
          now: ctx.now,
          source,
          audit: (result) => ({ at: ctx.now, actor: ctx.actor, action: "import", subject: `api:${source}`, details: { ...result } }),
        });
        return counts;
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/sync",
      role: "admin",
      writes: true,
      summary: "Run a sync on the server: one integration with settings, or every instance of its dm.config.yaml",
      body: syncBody,
      response: z.object({ runs: z.array(syncSummary) }),
      async handle(ctx) {
        const b = ctx.body;
        const instances = instancesFor(
          { integration: b.integration, all: b.all, settings: b.settings ?? {} },
          { cwd: ctx.cwd, dataDir: options.dataDir },
          { all: "all", setting: (key) => `settings.${key}`, command: "sync" },
        );
        const summaries: SyncSummary[] = [];
        for (const { integration, config } of instances) {
          summaries.push(
            await runSync(ctx.store, integration, config, { now: ctx.now, cwd: ctx.cwd, actor: ctx.actor, secrets: ctx.secrets, full: b.full === true }),
          );
        }
        return { runs: summaries };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/sources",
      role: "reader",
      summary: "The latest sync run of each integration instance",
      response: z.object({ runs: z.array(syncRun) }),
      async handle(ctx) {
        return { runs: await ctx.store.latestSyncRuns() };
      },
    }),
  ];
}
