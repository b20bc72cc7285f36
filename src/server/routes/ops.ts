/** Liveness, readiness, metrics: what an orchestrator and Prometheus call. */
import { ExternalServiceError } from "../../shared/errors.js";
import type { Scheduler } from "../../core/schedule/scheduler.js";
import { domainFamilies, drillFamilies, type HttpMetrics, jobFamilies, renderFamilies } from "../metrics.js";
import { defineRoute, type Route } from "../route.js";
import { health, metricsText, ready } from "../schemas.js";

export function opsRoutes(http: HttpMetrics, scheduler: () => Scheduler | undefined = () => undefined): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/healthz",
      role: "public",
      summary: "The process is up (no database call)",
        response: health,
      async handle() {
        return { status: "ok" } as const;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/readyz",
      role: "public",
      summary: "The database answers a trivial select: 200, else 503",
        response: ready,
      async handle(ctx) {
        try {
          await ctx.store.select("SELECT 1 AS ok", [], { timeoutMs: 2000 });
        } catch (error) {
          throw new ExternalServiceError("database", "the database does not answer", { cause: error });
        }
        return { status: "ready", database: ctx.store.kind } as const;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/metrics",
      role: "reader",
      summary: "Prometheus text format: findings by campaign and owner, completion, sync ages and statuses, scheduled jobs, HTTP requests",
        response: metricsText,
        contentType: "text/plain; version=0.0.4; charset=utf-8",
      async handle(ctx) {
        const jobs = scheduler();
        const families = [
          ...(await domainFamilies(ctx.store, ctx.now)),
          ...(jobs ? jobFamilies(await jobs.status(), jobs.metrics) : []),
          ...drillFamilies(await ctx.store.drillSummary()),
          ...http.families(),
        ];
        return renderFamilies(families);
      },
    }),
  ];
}
