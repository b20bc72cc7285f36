/** Maintenance over HTTP: list, open, close (and accept), report, stats, check, reconcile. */
import { z } from "zod";
import { closeMaintenance, reopenMaintenance } from "../../core/maintenance/close.js";
import { DAY_MS, parseDue, parseDuration } from "../../core/maintenance/due.js";
import { assertMaintenanceId, CLOSE_REASONS } from "../../core/maintenance/finding.js";
import { openMaintenance } from "../../core/maintenance/open.js";
import { reconcile } from "../../core/maintenance/reconcile.js";
import { isOverdue, listFindings, ownerReport, type RepoReport, repoReportByName } from "../../core/maintenance/report.js";
import { cachedItemStats } from "../../core/maintenance/stats-sql.js";
import { InputError, NotFoundError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import { defineRoute, reply, type Route } from "../route.js";
import * as s from "../schemas.js";

/** `30d`, `2027-03-31`, or epoch ms. */
const dateInput = z.union([z.string().min(1), z.number().int().positive()]);

function dateOf(value: string | number, now: number, what: string): number {
  return typeof value === "number" ? value : parseDue(value, now, what);
}

const listQuery = z.strictObject({
  overdue: z.string().optional().describe("only overdue findings; a number of days (7, 7d, 2w) for overdue by more than that"),
  id: z.string().optional().describe("only this maintenance item"),
});

const openBody = z.strictObject({
  query: z.string().min(1).describe("J1QL selecting the assets"),
  shortDescription: z.string().min(1),
  description: z.string().optional(),
  webLink: z.string().min(1).describe("the instructions"),
  due: dateInput.describe("30d, 2027-03-31, or epoch ms"),
  track: z.boolean().optional().describe("dm reconcile re-runs the query"),
  dryRun: z.boolean().optional(),
});

const closeBody = z.strictObject({
  reason: z.enum(CLOSE_REASONS),
  link: z.string().optional().describe("the pull request (COMPLETE) or the decision record (RISK_ACCEPTED)"),
  until: dateInput.optional().describe("RISK_ACCEPTED: when the acceptance ends (90d, 2027-03-31, epoch ms)"),
  query: z.string().optional().describe("J1QL narrowing the item's findings (e.g. one repo's)"),
  dryRun: z.boolean().optional(),
});

const reopenBody = z.strictObject({
  query: z.string().optional().describe("J1QL narrowing the item's closed findings (e.g. one asset's); without it, all of them"),
  dryRun: z.boolean().optional(),
});

const reportQuery = z.strictObject({
  repo: z.string().min(1).optional().describe("a CodeRepo's name or _key"),
  owner: z.string().min(1).optional().describe("a team or person"),
});

const checkQuery = z.strictObject({
  repo: z.string().min(1),
  grace: z.string().optional().describe("tolerated lateness: 7d, 2w, 12h (default 0)"),
});

/** The report of the repo named `name` (else whose key it is): one statement (repoReportByName). */
async function reportOrThrow(store: GraphStore, name: string, now: number): Promise<RepoReport> {
  const report = await repoReportByName(store, name, { now });
  if (!report) {
    throw new NotFoundError(`no repository named ${JSON.stringify(name)} in the graph`, {
      details: ["Names come from the repos' name property (a _key works too)."],
    });
  }
  return report;
}

export const maintenanceRoutes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/api/v1/maintenance",
    role: "reader",
    summary: "Open findings by due date, optionally only overdue ones or one item's",
    query: listQuery,
    response: s.findingList,
    async handle(ctx) {
      const q = ctx.query;
      let overdueDays: number | undefined;
      if (q.overdue !== undefined) {
        const ms = q.overdue === "" || q.overdue === "true" ? 0 : parseDuration(q.overdue, "overdue");
        if (ms % DAY_MS !== 0) throw new InputError(`overdue=${q.overdue}: give whole days, like 7 or 2w`);
        overdueDays = ms / DAY_MS;
      }
      const maintenanceId = q.id === undefined ? undefined : assertMaintenanceId(q.id);
      const findings = await listFindings(ctx.store, { now: ctx.now, overdueDays, maintenanceId });
      return { findings, open: findings.length, overdue: findings.filter((f) => isOverdue(f, ctx.now)).length };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/v1/maintenance",
    role: "maintainer",
    writes: true,
    status: 201,
    otherStatuses: [200],
    summary: "Open a maintenance item: one finding per selected asset (dryRun: only say what it would open)",
    body: openBody,
    response: s.openResult,
    async handle(ctx) {
      const b = ctx.body;
      const result = await openMaintenance(
        ctx.store,
        {
          query: b.query,
          shortDescription: b.shortDescription,
          description: b.description ?? b.shortDescription,
          webLink: b.webLink,
          dueDate: dateOf(b.due, ctx.now, "due"),
          track: b.track ?? false,
          dryRun: b.dryRun ?? false,
        },
        { now: ctx.now, actor: ctx.actor },
      );
      return result.dryRun ? reply(200, result) : result;
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/v1/maintenance/{id}/close",
    role: "maintainer",
    writes: true,
    summary: "Close an item's open findings as COMPLETE, ERROR or RISK_ACCEPTED (with until); query narrows them",
    body: closeBody,
    params: s.maintenanceIdParams,
    response: s.closeResult,
    async handle(ctx) {
      const b = ctx.body;
      return closeMaintenance(ctx.store, {
        maintenanceId: assertMaintenanceId(ctx.params.id),
        reason: b.reason,
        ...(b.query === undefined ? {} : { query: b.query }),
        ...(b.link === undefined ? {} : { link: b.link }),
        ...(b.until === undefined ? {} : { until: dateOf(b.until, ctx.now, "until") }),
        actor: ctx.actor,
        now: ctx.now,
        dryRun: b.dryRun ?? false,
      });
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/v1/maintenance/{id}/reopen",
    role: "maintainer",
    writes: true,
    summary: "Reopen an item's closed findings (a close made in error); query narrows them. Audited as reopen",
    body: reopenBody,
    params: s.maintenanceIdParams,
    response: s.reopenResult,
    async handle(ctx) {
      const b = ctx.body;
      return reopenMaintenance(ctx.store, {
        maintenanceId: assertMaintenanceId(ctx.params.id),
        ...(b.query === undefined ? {} : { query: b.query }),
        actor: ctx.actor,
        now: ctx.now,
        dryRun: b.dryRun ?? false,
      });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/report",
    role: "reader",
    summary: "Open maintenance of one repository (repo) or of everything an owner owns (owner)",
    query: reportQuery,
    response: s.report,
    async handle(ctx) {
      const { repo, owner } = ctx.query;
      if ((repo === undefined) === (owner === undefined)) throw new InputError("give one of repo or owner");
      if (owner !== undefined) return ownerReport(ctx.store, owner, { now: ctx.now });
      return reportOrThrow(ctx.store, repo!, ctx.now);
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/stats",
    role: "reader",
    summary: "Every maintenance item's progress, worst first",
    response: z.object({ items: z.array(s.itemStats) }),
    async handle(ctx) {
      return { items: await cachedItemStats(ctx.store, ctx.now) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/stats/{id}",
    role: "reader",
    summary: "One item in full: progress, pace, forecast and the daily burndown",
    params: s.maintenanceIdParams,
    response: s.itemStats,
    async handle(ctx) {
      const id = assertMaintenanceId(ctx.params.id);
      const [stats] = await cachedItemStats(ctx.store, ctx.now, { maintenanceId: id });
      if (!stats) throw new NotFoundError(`no maintenance item ${id}`);
      return stats;
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/check",
    role: "reader",
    summary: "The CI gate: ok is false when the repository has maintenance overdue by more than the grace",
    query: checkQuery,
    response: s.checkResult,
    async handle(ctx) {
      const graceMs = parseDuration(ctx.query.grace ?? "0", "grace");
      const report = await reportOrThrow(ctx.store, ctx.query.repo, ctx.now);
      const repo = report.repo;
      const failing = report.findings.filter((f) => isOverdue(f, ctx.now, graceMs));
      const withinGrace = report.findings.filter((f) => isOverdue(f, ctx.now) && !isOverdue(f, ctx.now, graceMs));
      return {
        ok: failing.length === 0,
        repo,
        graceMs,
        open: report.open,
        openItems: new Set(report.findings.map((f) => f.maintenanceId)).size,
        failing,
        withinGrace,
      };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/v1/reconcile",
    role: "maintainer",
    writes: true,
    summary: "Tracked items follow the graph; expired risk acceptances reopen (dryRun: what it would do, nothing written)",
    body: z
      .strictObject({
        dryRun: z.boolean().optional().describe("work everything out, write nothing"),
        listChanges: z.boolean().optional().describe("list every finding reopened, closed or opened"),
      })
      .optional(),
    response: s.reconcileResult,
    async handle(ctx) {
      const b = ctx.body ?? {};
      return reconcile(ctx.store, {
        now: ctx.now,
        actor: "dm",
        ranBy: ctx.actor,
        ...(b.dryRun ? { dryRun: true } : {}),
        ...(b.listChanges ? { listChanges: true } : {}),
      });
    },
  }),
];
