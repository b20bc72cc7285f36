import { type AlertRule, type AlertsSetup, alertLinks, loadAlertsSetup } from "../../core/alerts/config.js";
import { destinationsWith } from "../../core/alerts/destinations.js";
import { addSilence, alertRows, loadRules } from "../../core/alerts/service.js";
import { evaluateAlerts, type RuleReport } from "../../core/alerts/evaluate.js";
import { readAlertPacks } from "../../core/alerts/import.js";
import { findConfigFile } from "../../core/ingest/config-file.js";
import { parseDue } from "../../core/maintenance/due.js";
import { credentialReader, secretSourcesOf } from "../../integrations/credentials.js";
import type { Destination, Notification } from "../../notify/destination.js";
import { dataDir } from "../../shared/config.js";
import { CheckFailedError, InputError } from "../../shared/errors.js";
import { type CommandContext, withStore } from "../context.js";
import { renderTable } from "../output.js";
import { destinationFactory } from "./alerts-destinations.js";
import { wantsJson } from "../output.js";
import type {
  AlertsHistoryFlags,
  AlertsImportFlags,
  AlertsListFlags,
  AlertsRunFlags,
  AlertsSilenceFlags,
  AlertsSilencesFlags,
} from "./alerts.command.js";

/** The alerts: section of dm.config.yaml (this folder, else ~/.deferred-maintenance/). */
export function alertsSetup(ctx: CommandContext, file?: string): AlertsSetup {
  return loadAlertsSetup(file ?? findConfigFile(ctx.cwd, dataDir(ctx.config)), destinationFactory());
}

/** A rule's destinations, from the factory in use (secrets read through env:/file:/vault: references). */
export function destinationsOf(ctx: CommandContext): (rule: Pick<AlertRule, "actions">) => Destination[] {
  return destinationsWith(destinationFactory(), credentialReader(secretSourcesOf(ctx.config), ctx.cwd));
}

function when(ms: number | undefined): string {
  return ms === undefined ? "never" : new Date(ms).toISOString().replace(/:\d\d\.\d+Z$/, "Z").replace("T", " ");
}

export async function alertsListCommand(ctx: CommandContext, options: AlertsListFlags) {
  const setup = alertsSetup(ctx);
  const now = ctx.now();
  const { rules: rows, silences } = await withStore(ctx, options.db, (store) => alertRows(store, setup, now));
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify({ rules: rows, silences }, null, 2)}\n`);
    return rows;
  }
  if (rows.length === 0) {
    ctx.stdout.write("No alert rules. Add some under alerts: in dm.config.yaml (docs/alerts.md), or: dm alerts import <pack.json>\n");
    return rows;
  }
  ctx.stdout.write(
    renderTable(
      ["RULE", "WHEN", "GROUP BY", "EVERY", "ACTIONS", "LAST RUN", "TOTAL", "PENDING", "SILENCES"],
      rows.map((r) => [
        r.enabled ? r.name : `${r.name} (disabled)`,
        r.when,
        r.groupBy ?? "",
        r.schedule,
        r.actions === 0 ? ctx.style.yellow("none") : String(r.actions),
        when(r.lastEvaluated ?? undefined),
        r.total === null ? "" : String(r.total),
        String(r.pending),
        String(r.silenced),
      ]),
      ctx.style,
    ),
  );
  const noActions = rows.filter((r) => r.actions === 0).length;
  if (noActions > 0) {
    ctx.stdout.write(
      `${ctx.style.yellow("note:")} ${noActions} rule${noActions === 1 ? " has" : "s have"} no actions: ${noActions === 1 ? "it is" : "they are"} evaluated but nobody is told (give actions, or alertDefaults.actions for imported rules)\n`,
    );
  }
  return rows;
}

function printRun(ctx: CommandContext, result: { rules: RuleReport[]; dryRun: boolean }): void {
  const s = ctx.style;
  ctx.stdout.write(
    renderTable(
      ["RULE", "TOTAL", result.dryRun ? "WOULD ANNOUNCE" : "ANNOUNCED", "RESOLVED", "SILENCED", "PENDING"],
      result.rules.map((r) => [
        r.error ? s.red(`${r.name} (error)`) : r.skipped ? `${r.name} (${r.skipped})` : r.name,
        String(r.total),
        String(r.announced),
        String(r.resolved),
        String(r.silenced),
        String(r.pending),
      ]),
      s,
    ),
  );
  for (const r of result.rules) {
    if (r.error) ctx.stdout.write(`${s.red("error:")} ${r.name}: ${r.error}\n`);
    if (r.skipped === "locked") ctx.stdout.write(`${r.name}: another process is evaluating it now; skipped here\n`);
    for (const d of r.deliveries) {
      const status = d.status === "sent" ? s.green(d.status) : d.status === "failed" || d.status === "abandoned" ? s.red(d.status) : s.yellow(d.status);
      ctx.stdout.write(`  ${r.name} → ${d.destination}: ${d.kind}${d.group === null ? "" : ` ${d.group}`} ${status}${d.error ? ` (${d.error})` : ""}\n`);
    }
  }
  const noDestinations = result.rules.filter((r) => r.notifications.length > 0 && r.deliveries.length === 0);
  for (const r of noDestinations) ctx.stdout.write(`${s.yellow("note:")} ${r.name} has no actions: ${r.notifications.length} announcement(s) went nowhere\n`);
  if (result.dryRun) ctx.stdout.write(`${s.bold("Dry run")}: nothing written, nothing sent\n`);
}

export async function alertsRunCommand(ctx: CommandContext, options: AlertsRunFlags) {
  const setup = alertsSetup(ctx);
  const result = await withStore(
    ctx,
    options.db,
    async (store) => {
      let rules = await loadRules(store, setup);
      if (options.rule !== undefined) {
        rules = rules.filter((r) => r.name === options.rule);
        if (rules.length === 0) throw new InputError(`--rule: no alert rule "${options.rule}"`, { details: ["dm alerts list shows them."] });
      }
      return evaluateAlerts(store, rules, { now: ctx.now(), dryRun: options.dryRun === true, destinations: destinationsOf(ctx), linkFor: alertLinks(setup) });
    },
    { create: options.dryRun !== true },
  );
  if (wantsJson(options)) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else printRun(ctx, result);
  const broken = result.rules.filter((r) => r.error);
  const failed = result.rules.flatMap((r) => r.deliveries.filter((d) => d.status === "failed" || d.status === "abandoned"));
  if (broken.length > 0 || failed.length > 0) {
    throw new CheckFailedError(
      [
        broken.length > 0 ? `${broken.length} rule${broken.length === 1 ? "" : "s"} could not be evaluated (${broken.map((r) => r.name).join(", ")})` : "",
        failed.length > 0 ? `${failed.length} deliver${failed.length === 1 ? "y" : "ies"} failed (dm alerts history shows them)` : "",
      ]
        .filter(Boolean)
        .join("; "),
    );
  }
  return result;
}

export async function alertsHistoryCommand(ctx: CommandContext, options: AlertsHistoryFlags) {
  const rows = await withStore(ctx, options.db, (store) =>
    store.alertDeliveries({ ...(options.rule === undefined ? {} : { rule: options.rule }), limit: options.limit ?? 50 }),
  );
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return rows;
  }
  if (rows.length === 0) {
    ctx.stdout.write(`Nothing announced${options.rule === undefined ? "" : ` by ${options.rule}`} yet.\n`);
    return rows;
  }
  ctx.stdout.write(
    renderTable(
      ["WHEN", "RULE", "KIND", "GROUP", "ENTITIES", "DESTINATION", "STATUS", "TRIES", "ERROR"],
      rows.map((d) => {
        const n = d.payload as Notification;
        return [when(d.createdOn), d.rule, d.kind, n.group ?? "", String(n.entities?.length ?? 0), d.destination, d.status, String(d.attempts), d.lastError ?? ""];
      }),
      ctx.style,
    ),
  );
  return rows;
}

export async function alertsImportCommand(ctx: CommandContext, options: AlertsImportFlags & { pack: string }) {
  const now = ctx.now();
  const path = await import("node:path");
  const imported = readAlertPacks(path.resolve(ctx.cwd, options.pack), now);
  const configured = new Set(alertsSetup(ctx).rules.map((r) => r.name));
  if (imported.rules.length > 0) {
    await withStore(
      ctx,
      options.db,
      (store) =>
        store.saveAlertRules(imported.rules, {
          audit: {
            at: now,
            actor: ctx.actor(),
            action: "alerts.import",
            subject: options.pack,
            details: { imported: imported.rules.length, problems: imported.problems.length },
          },
        }),
      { create: true },
    );
  }
  const hidden = imported.rules.filter((r) => configured.has(r.name)).map((r) => r.name);
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify({ imported: imported.rules.map((r) => r.name), problems: imported.problems, hiddenByConfig: hidden }, null, 2)}\n`);
  } else {
    ctx.stdout.write(`Imported ${imported.rules.length} alert rule${imported.rules.length === 1 ? "" : "s"} from ${imported.files.length} pack${imported.files.length === 1 ? "" : "s"}\n`);
    for (const p of imported.problems) {
      ctx.stdout.write(`${ctx.style.yellow("skipped:")} ${p.rule}${p.query ? ` (query ${p.query})` : ""}: ${p.error.split("\n")[0]}\n`);
    }
    if (hidden.length > 0) ctx.stdout.write(`${ctx.style.yellow("note:")} dm.config.yaml defines ${hidden.join(", ")} too: its rule is the one that runs\n`);
    ctx.stdout.write("They run with alertDefaults: (actions, interval, repeat) of dm.config.yaml. Try: dm alerts run --dry-run\n");
  }
  if (imported.rules.length === 0 && imported.problems.length > 0) throw new InputError(`no rule of ${options.pack} could be imported (reasons above)`);
  return imported;
}

/** `--until`: a date, an ISO time, or a period from now (12h, 7d, 2w). */
export function parseUntil(text: string, now: number): number {
  const value = text.trim();
  const hours = /^(\d+)\s*h$/i.exec(value);
  let at: number;
  if (hours) at = now + Number(hours[1]) * 3_600_000;
  else if (value.includes("T")) {
    at = Date.parse(value);
    if (Number.isNaN(at)) throw new InputError(`--until "${value}" is not a time; write 2027-03-31, 2027-03-31T18:00Z, 12h or 7d`);
  } else return parseDue(value, now, "--until");
  if (at <= now) throw new InputError(`--until ${value} is not in the future`);
  return at;
}

export async function alertsSilenceCommand(ctx: CommandContext, options: AlertsSilenceFlags & { rule: string }) {
  const now = ctx.now();
  const until = parseUntil(options.until, now);
  const setup = alertsSetup(ctx);
  const silence = await withStore(ctx, options.db, (store) =>
    addSilence(store, setup, { rule: options.rule, entity: options.entity, until, reason: options.reason, actor: ctx.actor(), now }),
  );
  ctx.stdout.write(`Silenced ${options.entity ? `${options.entity} in ` : ""}${options.rule} until ${when(until)}: ${options.reason}\n`);
  return silence;
}

export async function alertsSilencesCommand(ctx: CommandContext, options: AlertsSilencesFlags) {
  const now = ctx.now();
  const rows = await withStore(ctx, options.db, (store) => store.alertSilences(options.all ? undefined : now));
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return rows;
  }
  if (rows.length === 0) {
    ctx.stdout.write(options.all ? "No silences.\n" : "No silence in force.\n");
    return rows;
  }
  ctx.stdout.write(
    renderTable(
      ["RULE", "ENTITY", "UNTIL", "REASON", "BY"],
      rows.map((s) => [s.rule, s.entityKey ?? "(whole rule)", `${when(s.until)}${s.until <= now ? " (expired)" : ""}`, s.reason, s.createdBy]),
      ctx.style,
    ),
  );
  return rows;
}
