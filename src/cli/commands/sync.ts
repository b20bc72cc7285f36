import { findConfigFile, loadConfigFile } from "../../core/ingest/config-file.js";
import { runSync, type SyncSummary } from "../../core/ingest/sync.js";
import { integrationById, INTEGRATIONS } from "../../integrations/registry.js";
import type { Integration } from "../../integrations/types.js";
import { dataDir } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import { type CommandContext, withStore } from "../context.js";

export interface SyncOptions {
  integration?: string;
  all?: boolean;
  /** settings from the command line (`--path`, `--file`, ...) */
  settings: Record<string, unknown>;
  json?: boolean;
  db?: string;
}

/**
 * Progress on stderr: on a terminal one line redrawn (bar, counts, rate,
 * elapsed); otherwise (CI logs) a plain line at every tenth of the work.
 */
function progressReporter(ctx: CommandContext, label: string) {
  if (!ctx.stderrIsTTY) {
    let lastTenth = 0;
    const started = performance.now();
    return {
      update(done: number, total?: number, unit = "items") {
        if (!total || total < 50) return;
        const tenth = Math.floor((done / total) * 10);
        if (tenth <= lastTenth) return;
        lastTenth = tenth;
        ctx.stderr.write(`${label}: ${done}/${total} ${unit} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
      },
      done: () => undefined,
    };
  }
  const started = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(done: number, total?: number, unit = "items") {
      const now = performance.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      shown = true;
      const seconds = (now - started) / 1000;
      const width = 20;
      const bar =
        total && total > 0 ? `${"█".repeat(Math.round((done / total) * width)).padEnd(width, "░")}  ${done}/${total}` : `${done}`;
      const rate = seconds > 0 ? `${Math.round(done / seconds)}/s` : "";
      const clock = `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;
      ctx.stderr.write(`\r${label}  ${bar} ${unit}  ${rate}  ${clock}\u001b[K`);
    },
    done() {
      if (shown) ctx.stderr.write("\n");
    },
  };
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

export async function syncCommand(ctx: CommandContext, options: SyncOptions): Promise<SyncSummary[]> {
  const instances: { integration: Integration<unknown>; config: unknown }[] = [];
  if (options.all) {
    if (options.integration) throw new InputError("give an integration or --all, not both");
    const file = findConfigFile(ctx.cwd, dataDir(ctx.config));
    if (!file) {
      throw new InputError("dm sync --all needs dm.config.yaml (in this folder or ~/.deferred-maintenance/)", {
        details: ["integrations:\n  - id: git\n    path: ~/src"],
      });
    }
    instances.push(...loadConfigFile(file));
  } else {
    if (!options.integration) {
      throw new InputError(`name an integration (${INTEGRATIONS.map((i) => i.id).join(", ")}) or use --all`);
    }
    const integration = integrationById(options.integration);
    if (!integration) {
      throw new InputError(`"${options.integration}" is not an integration`, {
        details: [`Known: ${INTEGRATIONS.map((i) => i.id).join(", ")}.`],
      });
    }
    const settings = Object.fromEntries(Object.entries(options.settings).filter(([, v]) => v !== undefined));
    const parsed = integration.configSchema.safeParse(settings);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const flag = issue.path.length > 0 ? `--${String(issue.path[0])}` : "the settings";
      throw new InputError(`dm sync ${integration.id}: ${flag}: ${issue.message}`);
    }
    instances.push({ integration, config: parsed.data });
  }
  const summaries: SyncSummary[] = [];
  await withStore(ctx, options.db, async (store) => {
    for (const { integration, config } of instances) {
      const progress = progressReporter(ctx, `Syncing ${integration.id}`);
      const summary = await runSync(store, integration, config, {
        now: ctx.now(),
        cwd: ctx.cwd,
        actor: ctx.actor(),
        progress: progress.update,
      }).finally(() => progress.done());
      summaries.push(summary);
      if (!options.json) printSummary(ctx, summary);
    }
  });
  if (options.json) ctx.stdout.write(`${JSON.stringify(options.all ? summaries : summaries[0])}\n`);
  return summaries;
}
