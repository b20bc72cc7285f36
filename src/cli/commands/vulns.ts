/**
 * `dm vulns db import`, `dm vulns db status`, `dm vulns scan [path]`.
 */
import fs from "node:fs";
import path from "node:path";
import { findConfigFile } from "../../core/ingest/config-file.js";
import { formatDuration, isoDate } from "../../core/maintenance/due.js";
import { defaultVulnsConfig, loadVulnsConfig, type VulnsConfig } from "../../core/vulns/config.js";
import { AdvisoryDb, type DbStatus, type ImportResult, OSV_DB_FILE } from "../../core/vulns/db.js";
import { Matcher, SEVERITY_ORDER, type VulnSeverity } from "../../core/vulns/match.js";
import { toSarif } from "../../core/vulns/sarif.js";
import { type GraphScanResult, scanGraph, type VulnFindingSummary } from "../../core/vulns/scan-graph.js";
import { failsAt, type PathFinding, type PathScanResult, scanPath } from "../../core/vulns/scan-path.js";
import { advisoryTexts } from "../../core/vulns/sources.js";
import { j1qlString } from "../../query/quote.js";
import { dataDir } from "../../shared/config.js";
import { CheckFailedError, ExternalServiceError, InputError } from "../../shared/errors.js";
import { packageVersion } from "../../shared/version.js";
import { outputPath, writeAtomically } from "../files.js";
import { type CommandContext, withStore } from "../context.js";
import { outputFormat, renderTable } from "../output.js";
import { progressReporter } from "../progress.js";
import { plural, shellArg } from "./report.js";
import type { VulnsDbImportFlags, VulnsDbStatusFlags, VulnsScanFlags } from "./vulns.command.js";

export const FAIL_ON = ["any", "critical", "high", "medium", "low", "none"] as const;
export type FailOn = (typeof FAIL_ON)[number];
export const SCAN_FORMATS = ["table", "json", "sarif"] as const;

interface DbOptions {
  /** --osv-db */
  osvDb?: string;
  /** --config */
  config?: string;
}

/** The config file's `vulns:` section: --config, else dm.config.yaml here or in ~/.deferred-maintenance/. */
export function vulnsSettings(ctx: CommandContext, options: DbOptions): VulnsConfig & { db?: string } {
  if (options.config) return loadVulnsConfig(path.resolve(ctx.cwd, options.config));
  const file = findConfigFile(ctx.cwd, dataDir(ctx.config));
  return file ? loadVulnsConfig(file) : defaultVulnsConfig();
}

function expandHome(ctx: CommandContext, p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(ctx.config.homeDir, p.slice(1)) : p;
}

/** --osv-db, else DM_OSV_DB, else the config file's vulns.db, else ~/.deferred-maintenance/osv.db. */
export function osvDbPath(ctx: CommandContext, options: DbOptions, settings?: { db?: string }): string {
  const chosen = options.osvDb ?? ctx.config.osvDb ?? settings?.db;
  return chosen ? path.resolve(ctx.cwd, expandHome(ctx, chosen)) : path.join(dataDir(ctx.config), OSV_DB_FILE);
}

function withDb<T>(file: string, create: boolean, fn: (db: AdvisoryDb) => Promise<T> | T): Promise<T> {
  const db = AdvisoryDb.open(file, { create });
  return Promise.resolve()
    .then(() => fn(db))
    .finally(() => db.close());
}

// ------------------------------------------------------------------ db import

export async function vulnsDbImportCommand(
  ctx: CommandContext,
  options: VulnsDbImportFlags & { source: string },
): Promise<ImportResult & { file: string }> {
  const source = path.resolve(ctx.cwd, options.source);
  if (!fs.existsSync(source)) {
    throw new InputError(`${options.source}: no such file or folder`, {
      details: ["Give a folder of OSV JSON files, an osv.dev all.zip, or one JSON file."],
    });
  }
  const file = osvDbPath(ctx, options, options.config ? vulnsSettings(ctx, options) : undefined);
  const progress = progressReporter(ctx, "Importing advisories");
  const result = await withDb(file, true, (db) =>
    db.import(advisoryTexts(source), { now: ctx.now(), source, onProgress: (n) => progress.update(n, undefined, "files") }),
  ).finally(() => progress.done());
  const summary = { ...result, file };
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const n = (x: number) => x.toLocaleString("en");
    const lines = [
      `Imported ${plural(result.read, "advisory", "advisories")} from ${options.source} into ${file}`,
      `  added ${n(result.added)} · updated ${n(result.updated)} · unchanged ${n(result.unchanged)}${result.withdrawn ? ` · ${n(result.withdrawn)} withdrawn (they match nothing)` : ""}`,
    ];
    if (result.skipped.length > 0) {
      lines.push(`  skipped ${plural(result.skipped.length, "malformed file")}:`);
      for (const s of result.skipped.slice(0, 20)) lines.push(`    ${s.file}: ${s.reason}`);
      if (result.skipped.length > 20) lines.push(`    … and ${n(result.skipped.length - 20)} more (--json lists them all)`);
    }
    ctx.stdout.write(`${lines.join("\n")}\n`);
  }
  if (result.read === 0) {
    throw new InputError(
      result.skipped.length > 0
        ? `no valid OSV advisory in ${options.source}: every file was skipped (reasons above)`
        : `no OSV advisories in ${options.source}: it holds no .json files`,
      { details: ["OSV advisories come from osv.dev exports (<ecosystem>/all.zip) or the GitHub Advisory Database repository."] },
    );
  }
  return summary;
}

// ------------------------------------------------------------------ db status

export async function vulnsDbStatusCommand(ctx: CommandContext, options: VulnsDbStatusFlags): Promise<DbStatus> {
  const file = osvDbPath(ctx, options, options.config ? vulnsSettings(ctx, options) : undefined);
  const status = await withDb(file, false, (db) => db.status());
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(status)}\n`);
    return status;
  }
  const now = ctx.now();
  const age = (ms: number) => `${isoDate(ms)} (${formatDuration(Math.max(0, now - ms))} ago)`;
  const lines = [`${ctx.style.bold(file)}: ${plural(status.advisories, "advisory", "advisories")}${status.withdrawn ? `, ${status.withdrawn} withdrawn` : ""}`];
  if (status.newest !== undefined) lines.push(`  newest modification: ${age(status.newest)}`);
  if (status.lastImport) {
    const l = status.lastImport;
    lines.push(`  last import: ${age(l.at)} from ${l.source} (+${l.added} ~${l.updated}, ${l.skipped} skipped)`);
  }
  ctx.stdout.write(`${lines.join("\n")}\n`);
  if (status.ecosystems.length > 0) {
    ctx.stdout.write(
      renderTable(
        ["ECOSYSTEM", "ADVISORIES", "NEWEST"],
        status.ecosystems.map((e) => [e.ecosystem, e.advisories.toLocaleString("en"), isoDate(e.newest)]),
        ctx.style,
      ),
    );
  }
  if (status.newest !== undefined && now - status.newest > 30 * 86_400_000) {
    ctx.stdout.write(`The newest advisory is over 30 days old: import a fresh export to catch new vulnerabilities.\n`);
  }
  return status;
}

// ------------------------------------------------------------------ scan

/** The flags of `dm vulns scan` (vulns.command.ts) and the folder or lockfile, if one was given. */
export interface ScanOptions extends VulnsScanFlags {
  path?: string;
}

function countBySeverity(severities: readonly VulnSeverity[]): string {
  const counts = SEVERITY_ORDER.map((s) => [s, severities.filter((x) => x === s).length] as const).filter(([, c]) => c > 0);
  return counts.map(([s, c]) => `${c} ${s}`).join(", ");
}

/** Distinct vulnerable packages among findings: a package is one name@version in one lockfile, however many advisories hit it. */
export function vulnerablePackages(findings: readonly PathFinding[]): number {
  return new Set(findings.map((f) => `${f.package.manifest}\u0000${f.package.ecosystem}\u0000${f.package.name}\u0000${f.package.version}`)).size;
}

/** The last line of a folder scan's table: vulnerabilities, vulnerable packages and findings, each counted as what it is. */
export function pathScanSummary(result: PathScanResult): string {
  const unreadableFiles = new Set(result.unreadable.map((u) => u.file));
  const read = result.manifests.filter((m) => !unreadableFiles.has(m)).length;
  const checked = `${plural(result.packages, "package")} in ${plural(read, "lockfile")} checked`;
  let text: string;
  if (result.findings.length === 0) {
    text = `No known vulnerabilities: ${checked}.\n`;
  } else {
    const vulns = new Set(result.findings.map((f) => f.vuln.id));
    const severities = [...new Map(result.findings.map((f) => [f.vuln.id, f.vuln.severity])).values()];
    text = `${plural(vulns.size, "vulnerability", "vulnerabilities")} (${countBySeverity(severities)}) in ${plural(vulnerablePackages(result.findings), "vulnerable package")} (${plural(result.findings.length, "finding")}); ${checked}.\n`;
  }
  if (result.unreadable.length > 0) {
    text += `Incomplete: ${plural(result.unreadable.length, "lockfile or folder", "lockfiles or folders")} could not be read (the warnings say why).\n`;
  }
  return text;
}

/** Where a folder scan could not read: `file:line`, a few of them. */
function unreadableList(result: PathScanResult): string {
  const names = result.unreadable.map((u) => `${u.file}${u.line ? `:${u.line}` : ""}`);
  return names.length > 5 ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more` : names.join(", ");
}

function colourOf(ctx: CommandContext, severity: VulnSeverity): (s: string) => string {
  return severity === "critical" || severity === "high" ? ctx.style.red : severity === "medium" ? ctx.style.yellow : ctx.style.dim;
}

function pathTable(ctx: CommandContext, findings: readonly PathFinding[]): string {
  return renderTable(
    ["SEVERITY", "VULNERABILITY", "PACKAGE", "INSTALLED", "FIXED", "LOCKFILE"],
    findings.map((f) => [
      colourOf(ctx, f.vuln.severity)(f.vuln.severity),
      f.vuln.id,
      f.package.name,
      f.package.version,
      f.vuln.fixed ?? "none",
      `${f.package.manifest}:${f.package.line}`,
    ]),
    ctx.style,
  );
}

async function writeReport(ctx: CommandContext, options: ScanOptions, text: string): Promise<void> {
  if (!options.out) {
    ctx.stdout.write(text);
    return;
  }
  await writeAtomically(outputPath(ctx.cwd, options.out), options.out, async (write) => write(text));
}

async function scanPathCommand(ctx: CommandContext, options: ScanOptions & { path: string }): Promise<PathScanResult> {
  const settings = vulnsSettings(ctx, options);
  const file = osvDbPath(ctx, options, settings);
  const target = path.resolve(ctx.cwd, options.path);
  const result = await withDb(file, false, (db) => scanPath(target, new Matcher(db), { now: ctx.now(), ignore: settings.ignore }));
  for (const w of result.warnings) ctx.stderr.write(`warning: ${w.file}${w.line ? `:${w.line}` : ""}: ${w.message}\n`);
  for (const r of result.expiredIgnores) {
    ctx.stderr.write(`warning: the ignore rule for ${r.id} expired on ${isoDate(r.until)}; it is reported again\n`);
  }
  const format = options.format ?? "table";
  if (format === "sarif") {
    await writeReport(ctx, options, `${JSON.stringify(toSarif(result.findings, { version: packageVersion() }, result.unreadable), null, 2)}\n`);
  } else if (format === "json") {
    await writeReport(ctx, options, `${JSON.stringify(result)}\n`);
  } else {
    let text = "";
    if (result.findings.length > 0) text += pathTable(ctx, result.findings);
    text += pathScanSummary(result);
    if (result.ignored.length > 0) {
      text += `${plural(result.ignored.length, "finding")} ignored by the config:\n`;
      for (const i of result.ignored) text += `  ${i.vuln.id} in ${i.package.name} ${i.package.version} (${i.package.manifest}) until ${isoDate(i.until)}: ${i.reason}\n`;
    }
    await writeReport(ctx, options, text);
  }
  const failOn = options.failOn ?? "any";
  const failing = result.findings.filter((f) => failsAt(f.vuln.severity, failOn));
  const failure =
    failing.length === 0
      ? undefined
      : failOn === "any"
        ? `${plural(vulnerablePackages(failing), "vulnerable package")} found (${plural(failing.length, "finding")}; --fail-on any; --fail-on high fails only on high and critical)`
        : `${plural(vulnerablePackages(failing), "vulnerable package")} at or above --fail-on ${failOn} (${plural(failing.length, "finding")}: ${countBySeverity(failing.map((f) => f.vuln.severity))})`;
  // A scan that could not read what it was asked to scan has not checked it: it does not pass, whatever --fail-on says.
  if (result.unreadable.length > 0 && !options.allowUnreadable) {
    const message = `the scan is incomplete: could not read ${unreadableList(result)}`;
    const details = [
      "The warnings above say what is wrong with each. Fix them, or pass --allow-unreadable to accept a scan of what could be read.",
      ...(failure ? [`Also: ${failure}.`] : []),
    ];
    // bad input when a lockfile is not valid (or too large); the file system's fault only when that is all there is
    if (result.unreadable.every((u) => u.io)) throw new ExternalServiceError("file system", message, { details });
    throw new InputError(message, { details });
  }
  if (failure) throw new CheckFailedError(failure);
  return result;
}

async function scanGraphCommand(ctx: CommandContext, options: ScanOptions): Promise<GraphScanResult> {
  if (options.allowUnreadable) {
    throw new InputError("--allow-unreadable is for scanning a folder of lockfiles: dm vulns scan <path> --allow-unreadable");
  }
  if (options.format === "sarif") {
    throw new InputError("--format sarif is for scanning a folder of lockfiles: dm vulns scan <path> --format sarif");
  }
  const remote = await ctx.remote(options.db);
  const settings = remote ? undefined : vulnsSettings(ctx, options);
  const progress = progressReporter(ctx, "Matching packages");
  const result = remote
    ? await remote.post<GraphScanResult>("/api/v1/vulns/scan")
    : await withDb(osvDbPath(ctx, options, settings), false, (db) =>
    withStore(ctx, options.db, (store) =>
      scanGraph(store, new Matcher(db), {
        now: ctx.now(),
        config: settings!,
        ranBy: ctx.actor(),
        onProgress: (done, total) => progress.update(done, total, "package uses"),
      }),
    ),
  ).finally(() => progress.done());
  for (const r of result.expiredIgnores) {
    ctx.stderr.write(`warning: the ignore rule for ${r.id} expired on ${isoDate(r.until)}; its findings are open again\n`);
  }
  if (options.format === "json") {
    await writeReport(ctx, options, `${JSON.stringify(result)}\n`);
  } else {
    const now = ctx.now();
    let text = "";
    if (result.open.length > 0) {
      text += renderTable(
        ["SEVERITY", "VULNERABILITY", "ASSET", "PACKAGE", "INSTALLED", "FIXED", "DUE"],
        result.open.map((f) => [
          colourOf(ctx, f.severity)(f.severity),
          f.vulnerabilityId,
          f.entityName,
          f.package,
          f.installedVersion,
          f.fixedVersion ?? "none",
          f.dueDate < now ? ctx.style.red(`${formatDuration(now - f.dueDate)} overdue`) : `in ${formatDuration(f.dueDate - now)}`,
        ]),
        ctx.style,
      );
    }
    text += `Scanned ${plural(result.instances, "package use")} (${plural(result.packages, "version")} with advisories to check): ${plural(result.open.length, "open finding")}; this scan opened ${result.opened}, reopened ${result.reopened}, closed ${result.closed} as fixed${result.accepted ? `, accepted ${result.accepted} by the ignore list` : ""}.\n`;
    if (result.closingSkipped) {
      text += `Nothing was closed as fixed: sync run ${result.closingSkipped.syncRun}, the latest of its source, is ${result.closingSkipped.status}.\n`;
    }
    if (result.ignored.length > 0) text += `${plural(result.ignored.length, "match", "matches")} ignored by the config (dm vulns scan --format json lists them).\n`;
    const first = result.open[0];
    if (first !== undefined) {
      text += `See one: dm show ${first.maintenanceId}\n`;
      text += `Fixed ${first.vulnerabilityId} on ${first.entityName}?  ${vulnCloseHint(first)}\n`;
    }
    await writeReport(ctx, options, text);
  }
  const failOn = options.failOn ?? "none";
  const failing = result.open.filter((f) => failsAt(f.severity, failOn));
  if (failing.length > 0) {
    throw new CheckFailedError(`${plural(failing.length, "open vulnerability finding")} at or above --fail-on ${failOn}`);
  }
  return result;
}

/** The command that closes one vulnerability finding: that item (the vulnerability) on that asset only. */
export function vulnCloseHint(f: Pick<VulnFindingSummary, "maintenanceId" | "entityKey">): string {
  return `dm close --id ${f.maintenanceId} --query ${shellArg(`Find * with _key=${j1qlString(f.entityKey)}`)} --reason COMPLETE --link <pull request URL>`;
}

export async function vulnsScanCommand(ctx: CommandContext, given: ScanOptions): Promise<PathScanResult | GraphScanResult> {
  // --json is --format json
  const options: ScanOptions = given.json ? { ...given, format: outputFormat(given, ["json"]) as "json" } : given;
  if (options.path !== undefined) return scanPathCommand(ctx, { ...options, path: options.path });
  return scanGraphCommand(ctx, options);
}
