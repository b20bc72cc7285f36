/**
 * What the remote CLI needs beyond the other routes, so that a command in
 * remote mode computes and prints exactly what it does locally: who the
 * token is, an item's findings (open and closed), a repository found the way
 * `dm` finds it from a checkout, what a person opened, and the graph's
 * vulnerability scan.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { assertMaintenanceId, loadFindings } from "../../core/maintenance/finding.js";
import { findRepo, mineReport } from "../../core/maintenance/report.js";
import { defaultVulnsConfig, loadVulnsConfig, type VulnsConfig } from "../../core/vulns/config.js";
import { AdvisoryDb, OSV_DB_FILE } from "../../core/vulns/db.js";
import { Matcher } from "../../core/vulns/match.js";
import { scanGraph } from "../../core/vulns/scan-graph.js";
import { InputError } from "../../shared/errors.js";
import { defineRoute, type Route } from "../route.js";
import * as s from "../schemas.js";

const findingsQuery = z.strictObject({
  id: z.string().optional().describe("only this maintenance item's findings"),
});

const repoQuery = z.strictObject({
  name: z.string().min(1).optional().describe("a CodeRepo's name or _key"),
  remoteUrl: z.string().min(1).optional().describe("a checkout's origin URL"),
  dirName: z.string().min(1).optional().describe("a checkout's folder name"),
});

const mineQuery = z.strictObject({
  actor: z.string().min(1).describe("who opened the items (createdBy)"),
});

/** Without settings from `dm serve`: the data folder's dm.config.yaml and osv.db. */
function defaultVulns(dataDir: string): { osvDb: string; config: VulnsConfig } {
  const configFile = path.join(dataDir, "dm.config.yaml");
  const settings: VulnsConfig & { db?: string } = fs.existsSync(configFile) ? loadVulnsConfig(configFile) : defaultVulnsConfig();
  return { osvDb: settings.db ?? path.join(dataDir, OSV_DB_FILE), config: settings };
}

export function cliRoutes(options: { dataDir: string; vulns?: { osvDb: string; config: VulnsConfig } }): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/whoami",
      role: "reader",
      summary: "The token's name and role (the actor of its writes)",
      response: s.whoami,
      async handle(ctx) {
        return { name: ctx.token!.name, role: ctx.token!.role };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/findings",
      role: "reader",
      summary: "Every finding, open and closed, or one item's (id)",
      query: findingsQuery,
      response: z.object({ findings: z.array(s.finding) }),
      async handle(ctx) {
        const id = ctx.query.id === undefined ? undefined : assertMaintenanceId(ctx.query.id);
        return { findings: await loadFindings(ctx.store, ctx.now, id === undefined ? {} : { maintenanceId: id }) };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/repo",
      role: "reader",
      summary: "A repository by name (or _key), or by a checkout's origin URL and folder name; null when none",
      query: repoQuery,
      response: z.object({ repo: s.repoRef.nullable() }),
      async handle(ctx) {
        const q = ctx.query;
        if (q.name === undefined && q.remoteUrl === undefined && q.dirName === undefined) {
          throw new InputError("give name, or remoteUrl and/or dirName");
        }
        const repo = await findRepo(ctx.store, {
          ...(q.name === undefined ? {} : { name: q.name }),
          ...(q.remoteUrl === undefined ? {} : { remoteUrl: q.remoteUrl }),
          ...(q.dirName === undefined ? {} : { dirName: q.dirName }),
          now: ctx.now,
        });
        return { repo: repo ?? null };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/mine",
      role: "reader",
      summary: "The open items someone opened, with their open and overdue counts",
      query: mineQuery,
      response: s.mineList,
      async handle(ctx) {
        return { mine: await mineReport(ctx.store, ctx.query.actor, ctx.now) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/vulns/scan",
      role: "maintainer",
      writes: true,
      summary: "Scan every package in the graph against the server's advisory database; findings are kept",
      response: s.graphScanResult,
      async handle(ctx) {
        const { osvDb, config } = options.vulns ?? defaultVulns(options.dataDir);
        const db = AdvisoryDb.open(osvDb);
        try {
          return await scanGraph(ctx.store, new Matcher(db), { now: ctx.now, config, ranBy: ctx.actor });
        } finally {
          db.close();
        }
      },
    }),
  ];
}
