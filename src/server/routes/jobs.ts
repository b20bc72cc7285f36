/** The scheduled jobs: what runs when, and how the latest run of each went. */
import type { Scheduler } from "../../core/schedule/scheduler.js";
import { defineRoute, type Route } from "../route.js";
import { jobs as jobsResponse } from "../schemas.js";

export function jobsRoutes(scheduler: () => Scheduler | undefined): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/jobs",
      role: "admin",
      summary: "Scheduled jobs (the schedule: section of dm.config.yaml): cron, next run, running here, latest run by any replica",
        response: jobsResponse,
      async handle(ctx) {
        const s = scheduler();
        return {
          scheduler: s ? ("running" as const) : ("off" as const),
          // how replicas are kept from running a job twice at once
          lock: ctx.store.kind === "postgres" ? ("postgres-advisory" as const) : ("in-process" as const),
          timezone: "UTC" as const,
          jobs: s ? await s.status() : [],
        };
      },
    }),
  ];
}
