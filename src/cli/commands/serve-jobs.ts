/**
 * The jobs `dm serve` runs, from the schedule: section of dm.config.yaml
 * (--config, else here, else ~/.deferred-maintenance/). Each job runs the
 * same core code as its command: dm sync, dm reconcile, dm vulns scan,
 * dm oncall sync. Settings are read once, at start: a mistake stops the
 * server before it listens.
 */
import { alertLinks, allRules, isDue, loadAlertsSetup } from "../../core/alerts/config.js";
import { loadDigestSetup } from "../../core/alerts/digest-config.js";
import { retryDigests, runDigests } from "../../core/alerts/digest.js";
import { evaluateAlerts } from "../../core/alerts/evaluate.js";
import { drill } from "../../core/alerts/drill.js";
import { loadRulesSetup } from "../../core/rules/config.js";
import { runRules } from "../../core/rules/run.js";
import { secretSourcesOf } from "../../integrations/credentials.js";
import { createHash } from "node:crypto";
import path from "node:path";
import { findConfigFile } from "../../core/ingest/config-file.js";
import { runSync } from "../../core/ingest/sync.js";
import { reconcile } from "../../core/maintenance/reconcile.js";
import { findOncallConfig, type LoadedOncallConfig, loadOncallConfig } from "../../core/oncall/config.js";
import { normaliseDn } from "../../core/oncall/ldap.js";
import { runOncall } from "../../core/oncall/sync.js";
import { type JobSpec, loadScheduleConfig } from "../../core/schedule/config.js";
import { parseCron } from "../../core/schedule/cron.js";
import type { Job } from "../../core/schedule/scheduler.js";
import { AdvisoryDb } from "../../core/vulns/db.js";
import { Matcher } from "../../core/vulns/match.js";
import { scanGraph } from "../../core/vulns/scan-graph.js";
import { dataDir } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import type { CommandContext } from "../context.js";
import { destinationFactory } from "./alerts-destinations.js";
import { digestDestinations } from "./alerts-digest.js";
import { destinationsOf } from "./alerts.js";
import { failureLine } from "./drill.js";
import { osvDbPath, vulnsSettings } from "./vulns.js";

/** Who the audit log names for what a scheduled job does. */
export const SCHEDULER_ACTOR = "dm-scheduler";

/** The store as a job borrows it: closing it is a no-op (the server owns it). */
function borrowed(store: GraphStore): GraphStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "close") return async () => undefined;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function jobOf(ctx: CommandContext, spec: JobSpec, file: string): Job {
  switch (spec.kind) {
    case "sync": {
      const { integration, config: settings } = spec.instance;
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now }) {
          const s = await runSync(store, integration, settings, { now, cwd: ctx.cwd, actor: SCHEDULER_ACTOR, secrets: secretSourcesOf(ctx.config) });
          return {
            status: s.status,
            created: s.created,
            updated: s.updated,
            deleted: s.deleted,
            warnings: s.warnings.length,
            ...(s.reconciled ? { reconciled: s.reconciled } : {}),
          };
        },
      };
    }
    case "reconcile":
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now }) {
          const r = await reconcile(store, { now, actor: "dm", ranBy: SCHEDULER_ACTOR });
          if (r.errors.length > 0 && r.items === r.errors.length) {
            throw new Error(`no tracked item could be reconciled: ${r.errors[0]!.maintenanceId}: ${r.errors[0]!.message}`);
          }
          return { items: r.items, opened: r.opened, closed: r.closed, reopened: r.reopened, errors: r.errors.length };
        },
      };
    case "rules": {
      // the packs and overrides of the same file, read once: a bad pack stops dm serve at start
      const setup = loadRulesSetup(file, ctx.cwd);
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now }) {
          const r = await runRules(store, setup.packs.flatMap((p) => p.rules), {
            now,
            actor: "dm",
            ranBy: SCHEDULER_ACTOR,
            deploymentModels: setup.deploymentModels,
            sla: setup.sla,
          });
          return { rules: r.rules.length, opened: r.opened, closed: r.closed, reopened: r.reopened };
        },
      };
    }
    case "alerts": {
      // the alerts: section read once: a bad rule stops dm serve at start. Imported rules are read per run.
      const setup = loadAlertsSetup(file, destinationFactory());
      const destinations = destinationsOf(ctx);
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now }) {
          const evaluations = await store.alertEvaluations();
          const due = allRules(setup, await store.listAlertRules()).filter((r) => isDue(r, evaluations.get(r.name)?.evaluatedOn, now));
          const r = await evaluateAlerts(store, due, { now, destinations, linkFor: alertLinks(setup) });
          const failed = r.rules.filter((x) => x.error);
          if (failed.length > 0 && failed.length === r.rules.length) throw new Error(`no alert rule could be evaluated: ${failed[0]!.name}: ${failed[0]!.error}`);
          return {
            rules: r.rules.length,
            announced: r.rules.reduce((n, x) => n + x.announced, 0),
            resolved: r.rules.reduce((n, x) => n + x.resolved, 0),
            sent: r.rules.reduce((n, x) => n + x.deliveries.filter((d) => d.status === "sent").length, 0),
            pending: r.rules.reduce((n, x) => n + x.pending, 0),
            errors: failed.length,
          };
        },
      };
    }
    case "digest": {
      // digests: read once (a mistake stops dm serve at start). Each run retries pending digests;
      // the run whose slot digests.schedule names also builds and sends the period's digests.
      const setup = loadDigestSetup(file, destinationFactory());
      if (!setup) throw new InputError(`${file}: schedule.digest: there is no digests: section to send (docs/alerts.md, Digests)`);
      const destinations = digestDestinations(ctx);
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now, scheduledFor }) {
          if (!setup.schedule.matches(scheduledFor)) {
            const r = await retryDigests(store, setup, { now, destinations });
            return { digests: 0, sent: r.deliveries.filter((d) => d.status === "sent").length, pending: r.pending };
          }
          const r = await runDigests(store, setup, { now, destinations });
          return {
            digests: r.digests.length,
            empty: r.empty,
            sent: r.deliveries.filter((d) => d.status === "sent").length,
            pending: r.pending,
            ...(r.skipped ? { skipped: r.skipped } : {}),
          };
        },
      };
    }
    case "drill": {
      // dm drill on a schedule: a failed drill is a failed job run (dm_job_last_status) and counts in dm_drill_failures_total
      const setup = loadAlertsSetup(file, destinationFactory());
      const destinations = destinationsOf(ctx);
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now }) {
          const r = await drill(store, allRules(setup, await store.listAlertRules()), { now, actor: SCHEDULER_ACTOR, destinations });
          if (!r.ok) throw new Error(`drill ${r.id} ${failureLine(r)}`);
          return { drill: r.id, ms: Math.round(r.ms), rules: r.rules.length, delivered: r.steps.filter((x) => x.step === "deliver").length };
        },
      };
    }
    case "vulns-scan": {
      const settings = vulnsSettings(ctx, { config: file });
      const dbFile = osvDbPath(ctx, {}, settings);
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now }) {
          // Opened per run: `dm vulns db import` may have replaced it since.
          const db = AdvisoryDb.open(dbFile, { create: false });
          try {
            const r = await scanGraph(store, new Matcher(db), { now, config: settings, ranBy: SCHEDULER_ACTOR });
            return { instances: r.instances, open: r.open.length, opened: r.opened, reopened: r.reopened, closed: r.closed };
          } finally {
            db.close();
          }
        },
      };
    }
    case "oncall-sync": {
      const found = findOncallConfig(ctx.cwd, dataDir(ctx.config));
      if (!found) {
        throw new InputError(`${file}: oncall-sync: no dm-oncall.yaml here or in ~/.deferred-maintenance/ (the job reads it as dm oncall sync does)`, {
          details: ["dm oncall sync reads the same file; see docs/oncall.md."],
        });
      }
      const loaded: LoadedOncallConfig = loadOncallConfig(found, ctx.config);
      const lockFile = path.join(
        dataDir(ctx.config),
        "locks",
        `oncall-${createHash("sha256").update(normaliseDn(loaded.config.ldap.groupDN)).digest("hex").slice(0, 16)}.lock`,
      );
      return {
        name: spec.name,
        schedule: spec.schedule,
        async run({ store, now, logger }) {
          const outcome = await runOncall(loaded, {
            mode: "sync",
            dryRun: false,
            force: false,
            now,
            actor: SCHEDULER_ACTOR,
            env: ctx.config,
            lockFile,
            openStore: async () => borrowed(store),
            warn: (m) => logger.warn({ job: spec.name }, m),
          });
          if ("skipped" in outcome) return { skipped: "another dm oncall sync holds the lock" };
          const r = outcome.result;
          if (r.plan.refused) throw new Error(`the on-call group was not changed: ${r.plan.refused.message}`);
          if (r.gitlab?.plan.refused) throw new Error(`the GitLab group was not changed: ${r.gitlab.plan.refused}`);
          return { added: r.plan.add.length, removed: r.plan.remove.length, applied: r.applied };
        },
      };
    }
  }
}

/** The configured jobs and the file they came from (none without a config file or a schedule: section). */
export function scheduledJobs(ctx: CommandContext, options: { config?: string }): { file?: string; jobs: Job[] } {
  const file = options.config ? path.resolve(ctx.cwd, options.config) : findConfigFile(ctx.cwd, dataDir(ctx.config));
  if (!file) return { jobs: [] };
  const specs = loadScheduleConfig(file, ctx.cwd);
  // alert rules run on their own intervals: with an alerts: section (or alertDefaults: for imported
  // rules), dm serve looks at them every minute unless schedule: says otherwise
  if (!specs.some((s) => s.kind === "alerts")) {
    const setup = loadAlertsSetup(file, destinationFactory());
    if (setup.rules.length > 0 || setup.defaults.actions.length > 0) specs.push({ name: "alerts", kind: "alerts", schedule: parseCron("* * * * *") });
  }
  // digests: sent when digests.schedule is due, pending ones retried every minute
  if (!specs.some((s) => s.kind === "digest") && loadDigestSetup(file, destinationFactory())) {
    specs.push({ name: "digest", kind: "digest", schedule: parseCron("* * * * *") });
  }
  return { file, jobs: specs.map((spec) => jobOf(ctx, spec, file)) };
}
