/** Liveness, readiness, metrics: what an orchestrator and Prometheus call. */
import { ExternalServiceError } from "../../shared/errors.js";
import type { Scheduler } from "../../core/schedule/scheduler.js";
import { domainFamilies, type HttpMetrics, jobFamilies, renderFamilies } from "../metrics.js";
import { reply, type Route } from "../route.js";

export function opsRoutes(http: HttpMetrics, scheduler: () => Scheduler | undefined = () => undefined): Route[] {
  return [
    {
      method: "GET",
      path: "/healthz",
      role: "public",
      summary: "The process is up (no database call)",
      async handle() {
        return { status: "ok" };
      },
    },
    {
      method: "GET",
      path: "/readyz",
      role: "public",
      summary: "The database answers a trivial select: 200, else 503",
      async handle(ctx) {
        try {
          await ctx.store.select("SELECT 1 AS ok", [], { timeoutMs: 2000 });
        } catch (error) {
          throw new ExternalServiceError("database", "the database does not answer", { cause: error });
        }
        return { status: "ready", database: ctx.store.kind };
      },
    },
    {
      method: "GET",
      path: "/metrics",
      role: "reader",
      summary: "Prometheus text format: findings by campaign and owner, completion, sync ages and statuses, scheduled jobs, HTTP requests",
      async handle(ctx) {
        const jobs = scheduler();
        const families = [
          ...(await domainFamilies(ctx.store, ctx.now)),
          ...(jobs ? jobFamilies(await jobs.status(), jobs.metrics) : []),
          ...http.families(),
        ];
        return reply(200, renderFamilies(families), "text/plain; version=0.0.4; charset=utf-8");
      },
    },
  ];
}
