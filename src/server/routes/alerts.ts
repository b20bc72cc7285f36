/**
 * Alerts over HTTP: the rules (dm.config.yaml's and those admins import, in
 * JupiterOne's alert-pack format), an evaluation now, the delivery history
 * and silences. The same core as `dm alerts`.
 */
import { z } from "zod";
import { type AlertsSetup, alertLinks, loadAlertsSetup } from "../../core/alerts/config.js";
import { DESTINATIONS, destinationsWith } from "../../core/alerts/destinations.js";
import { evaluateAlerts } from "../../core/alerts/evaluate.js";
import { alertPackOf } from "../../core/alerts/import.js";
import { addSilence, alertRows, loadRules } from "../../core/alerts/service.js";
import { findConfigFile } from "../../core/ingest/config-file.js";
import { parseDue } from "../../core/maintenance/due.js";
import { credentialReader } from "../../integrations/credentials.js";
import { InputError } from "../../shared/errors.js";
import { defineRoute, type Route } from "../route.js";
import { alertHistory, alertImport, alertList, alertSilence, alertsRun } from "../schemas.js";

/** The alerts: section of the server's dm.config.yaml (its folder, else its data folder), read per request. */
function serverAlertsSetup(cwd: string, dataDir: string): AlertsSetup {
  return loadAlertsSetup(findConfigFile(cwd, dataDir), DESTINATIONS);
}

export function alertsRoutes(options: { dataDir: string }): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/alerts",
      role: "reader",
      summary: "The alert rules (configured and imported) with their last evaluation, pending deliveries and silences (as dm alerts list --json)",
      response: alertList,
      async handle(ctx) {
        return alertRows(ctx.store, serverAlertsSetup(ctx.cwd, options.dataDir), ctx.now);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/alerts/rules",
      role: "admin",
      writes: true,
      summary: "Import alert rules in JupiterOne's alert-pack format ([{name, description, queries: [{name, query}], alertLevel}]); they run with alertDefaults' actions",
      body: z.unknown().describe("a list of rules, or {rules: [...]}"),
      query: z.strictObject({ source: z.string().min(1).max(200).optional().describe('what the pack is called in listings (default "api")') }),
      response: alertImport,
      async handle(ctx) {
        const source = ctx.query.source ?? "api";
        const pack = alertPackOf(ctx.body, source, ctx.now);
        if (pack.rules.length === 0) {
          throw new InputError(pack.problems.length > 0 ? `no rule could be imported: ${pack.problems[0]!.rule}: ${pack.problems[0]!.error}` : "the pack has no rules");
        }
        await ctx.store.saveAlertRules(pack.rules, {
          audit: { at: ctx.now, actor: ctx.actor, action: "alerts.import", subject: source, details: { imported: pack.rules.length, problems: pack.problems.length } },
        });
        return { imported: pack.rules.map((r) => r.name), problems: pack.problems };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/alerts/run",
      role: "admin",
      writes: true,
      summary: "Evaluate every alert rule (or one) now and deliver what it announces (as dm alerts run --json); dryRun sends and writes nothing",
      body: z.strictObject({ rule: z.string().min(1).optional(), dryRun: z.boolean().optional() }),
      response: alertsRun,
      queued: true,
      async handle(ctx) {
        const setup = serverAlertsSetup(ctx.cwd, options.dataDir);
        let rules = await loadRules(ctx.store, setup);
        if (ctx.body.rule !== undefined) {
          rules = rules.filter((r) => r.name === ctx.body.rule);
          if (rules.length === 0) throw new InputError(`rule: no alert rule "${ctx.body.rule}"`);
        }
        return evaluateAlerts(ctx.store, rules, {
          now: ctx.now,
          dryRun: ctx.body.dryRun === true,
          linkFor: alertLinks(setup),
          destinations: destinationsWith(DESTINATIONS, credentialReader(ctx.secrets, ctx.cwd)),
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/alerts/history",
      role: "reader",
      summary: "Deliveries, newest first: what was announced where, and how it went",
      query: z.strictObject({
        rule: z.string().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional().describe("default 50"),
      }),
      response: alertHistory,
      async handle(ctx) {
        return { deliveries: await ctx.store.alertDeliveries({ ...(ctx.query.rule === undefined ? {} : { rule: ctx.query.rule }), limit: ctx.query.limit ?? 50 }) };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/alerts/silences",
      role: "reader",
      summary: "Silences in force (all=true: expired ones too)",
      query: z.strictObject({ all: z.enum(["true", "false"]).optional() }),
      response: z.object({ silences: z.array(alertSilence) }),
      async handle(ctx) {
        return { silences: await ctx.store.alertSilences(ctx.query.all === "true" ? undefined : ctx.now) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/alerts/silences",
      role: "maintainer",
      writes: true,
      summary: "Silence a rule, or one entity of it, until a date (as dm alerts silence)",
      body: z.strictObject({
        rule: z.string().min(1),
        entity: z.string().min(1).optional().describe("one entity's key; omit for the whole rule"),
        until: z.string().min(1).describe("2027-03-31 or a period from now (7d)"),
        reason: z.string().min(1),
      }),
      response: alertSilence,
      async handle(ctx) {
        const b = ctx.body;
        return addSilence(ctx.store, serverAlertsSetup(ctx.cwd, options.dataDir), {
          rule: b.rule,
          entity: b.entity,
          until: parseDue(b.until, ctx.now, "until"),
          reason: b.reason,
          actor: ctx.actor,
          now: ctx.now,
        });
      },
    }),
  ];
}
