import { formatDuration } from "../../core/maintenance/due.js";
import { withBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import { outputFormat, renderTable } from "../output.js";
import type { SourcesFlags } from "./sources.command.js";

/** Integration instances with their last run: when, how it ended, what it did. */
export async function sourcesCommand(ctx: CommandContext, options: SourcesFlags) {
  const json = outputFormat(options) === "json";
  const runs = await withBackend(ctx, options.db, (b) => b.latestSyncRuns());
  if (json) {
    ctx.stdout.write(`${JSON.stringify(runs)}\n`);
    return runs;
  }
  if (runs.length === 0) {
    ctx.stdout.write("No syncs yet: dm sync git --path ~/src (or dm sync --all with dm.config.yaml).\n");
    return runs;
  }
  const now = ctx.now();
  ctx.stdout.write(
    renderTable(
      ["INSTANCE", "INTEGRATION", "LAST RUN", "STATUS", "CHANGES"],
      runs.map((r) => [
        r.instance,
        r.integration,
        `${formatDuration(now - r.startedOn)} ago`,
        r.status === "succeeded" ? r.status : `${r.status}${r.error ? ` (${r.error})` : ""}`,
        r.counts
          ? `+${r.counts.created ?? 0} ~${r.counts.updated ?? 0} -${r.counts.deleted ?? 0}${r.counts.warnings ? `, ${r.counts.warnings} warnings` : ""}`
          : "",
      ]),
      ctx.style,
    ),
  );
  return runs;
}
