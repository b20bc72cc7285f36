/** The scheduled jobs: what runs when, and how the latest run of each went. */
import type { Scheduler } from "../../core/schedule/scheduler.js";
import type { Route } from "../route.js";

export function jobsRoutes(scheduler: () => Scheduler | undefined): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v1/jobs",
      role: "admin",
      summary: "Scheduled jobs (the schedule: section of dm.config.yaml): cron, next run, running here, latest run by any replica",
      async handle(ctx) {
        const s = scheduler();
        return {
          scheduler: s ? "running" : "off",
          // how replicas are kept from running a job twice at once
          lock: ctx.store.kind === "postgres" ? "postgres-advisory" : "in-process",
          timezone: "UTC",
          jobs: s ? await s.status() : [],
        };
      },
    },
  ];
}
