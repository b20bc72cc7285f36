import { secretSourcesOf } from "../../integrations/credentials.js";
import fs from "node:fs";
import { instancesFor } from "../../core/ingest/config-file.js";
import { runSync, type SyncSummary } from "../../core/ingest/sync.js";
import { INTEGRATIONS } from "../../integrations/registry.js";
import { dataDir } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import { type CommandContext, withStore } from "../context.js";
import type { RemoteClient } from "../remote.js";
import { progressReporter } from "../progress.js";
import type { SyncFlags } from "./sync.command.js";
import { wantsJson } from "../output.js";

/** The flags of `dm sync` (sync.command.ts) and the integration. */
export interface SyncOptions extends SyncFlags {
  integration?: string;
}

function printSummary(ctx: CommandContext, s: SyncSummary): void {
  const n = (x: number) => x.toLocaleString("en");
  const lines = [
    `${ctx.style.bold(s.instance)}: ${s.status} in ${s.seconds.toFixed(1)} s`,
    `  created ${n(s.created)} · updated ${n(s.updated)} · unchanged ${n(s.unchanged)} · deleted ${n(s.deleted)}`,
  ];
  if (s.warnings.length > 0) {
    lines.push(`  ${s.warnings.length} warning${s.warnings.length === 1 ? "" : "s"}:`);
    for (const w of s.warnings.slice(0, 20)) {
      lines.push(`    ${w.file ?? ""}${w.line ? `:${w.line}` : ""}${w.file ? " " : ""}${w.message}`);
    }
    if (s.warnings.length > 20) lines.push(`    … and ${s.warnings.length - 20} more (--json lists them all)`);
    lines.push("  Run was partial: nothing was deleted. Fix the files above and sync again.");
  }
  if (s.notices.length > 0) {
    lines.push(`  ${s.notices.length} notice${s.notices.length === 1 ? "" : "s"} (not problems): ${s.notices[0]!.file ?? ""}${s.notices[0]!.line ? `:${s.notices[0]!.line}` : ""} ${s.notices[0]!.message}${s.notices.length > 1 ? " …" : ""}`);
  }
  if (s.reconciled && s.reconciled.opened + s.reconciled.closed + s.reconciled.reopened > 0) {
    lines.push(
      `  tracked maintenance: ${s.reconciled.opened} opened · ${s.reconciled.closed} closed · ${s.reconciled.reopened} reopened`,
    );
  }
  ctx.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * On a team server the sync runs there: `--all` is the server's
 * dm.config.yaml, and paths and files are the server's.
 */
async function remoteSync(ctx: CommandContext, remote: RemoteClient, options: SyncOptions): Promise<SyncSummary[]> {
  if (options.all && options.integration) throw new InputError("give an integration or --all, not both");
  if (!options.all && !options.integration) {
    throw new InputError(`name an integration (${INTEGRATIONS.map((i) => i.id).join(", ")}) or use --all`);
  }
  const settings = commandLineSettings(options);
  ctx.stderr.write(`Syncing on the dm server ${remote.url} (paths and files are the server's) …\n`);
  const { runs } = await remote.post<{ runs: SyncSummary[] }>("/api/v1/sync", {
    body: {
      ...(options.all ? { all: true } : { integration: options.integration, settings }),
      ...(options.full ? { full: true } : {}),
    },
  });
  if (wantsJson(options)) ctx.stdout.write(`${JSON.stringify(options.all ? runs : runs[0])}\n`);
  else for (const summary of runs) printSummary(ctx, summary);
  return runs;
}

/**
 * With an advisory database in place, the graph is scanned after the sync,
 * so vulnerability findings close when the fix lands and open when a
 * vulnerable package arrives. No database: nothing to do.
 */
async function scanAfterSync(ctx: CommandContext, store: GraphStore, quiet: boolean): Promise<void> {
  const { osvDbPath, vulnsSettings } = await import("./vulns.js");
  const config = vulnsSettings(ctx, {});
  const file = osvDbPath(ctx, {}, config);
  if (!fs.existsSync(file)) return;
  const [{ AdvisoryDb }, { Matcher }, { scanGraph }] = await Promise.all([
    import("../../core/vulns/db.js"),
    import("../../core/vulns/match.js"),
    import("../../core/vulns/scan-graph.js"),
  ]);
  const db = AdvisoryDb.open(file);
  try {
    const r = await scanGraph(store, new Matcher(db), { now: ctx.now(), config, ranBy: ctx.actor() });
    if (!quiet) {
      ctx.stdout.write(
        `vulnerabilities: ${r.open.length} open · ${r.opened} opened · ${r.closed} closed as fixed · ${r.reopened} reopened (dm vulns scan lists them)\n`,
      );
    }
  } finally {
    db.close();
  }
}

/** The integration's settings given as flags (`--path`, `--file`, ...), without the ones left out. */
/** The settings a flag can give; the others live in dm.config.yaml. */
const FLAG_SETTINGS = { path: true, file: true, concurrency: true } as const;

function commandLineSettings(options: SyncOptions): Record<string, unknown> {
  const given = { path: options.path, file: options.file, concurrency: options.concurrency };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

export async function syncCommand(ctx: CommandContext, options: SyncOptions): Promise<SyncSummary[]> {
  const remote = await ctx.remote(options.db);
  if (remote) return remoteSync(ctx, remote, options);
  const instances = instancesFor(
    { integration: options.integration, all: options.all, settings: commandLineSettings(options) },
    { cwd: ctx.cwd, dataDir: dataDir(ctx.config) },
    { all: "--all", setting: (key) => (key in FLAG_SETTINGS ? `--${key}` : `the ${key} setting`), command: "dm sync" },
  );
  const summaries: SyncSummary[] = [];
  await withStore(ctx, options.db, async (store) => {
    for (const { integration, config } of instances) {
      const progress = progressReporter(ctx, `Syncing ${integration.id}`);
      const summary = await runSync(store, integration, config, {
        now: ctx.now(),
        cwd: ctx.cwd,
        actor: ctx.actor(),
        progress: progress.update,
        secrets: secretSourcesOf(ctx.config),
        full: options.full === true,
      }).finally(() => progress.done());
      summaries.push(summary);
      if (!wantsJson(options)) printSummary(ctx, summary);
    }
    await scanAfterSync(ctx, store, wantsJson(options));
  }, { create: true });
  if (wantsJson(options)) ctx.stdout.write(`${JSON.stringify(options.all || summaries.length !== 1 ? summaries : summaries[0])}\n`);
  return summaries;
}
