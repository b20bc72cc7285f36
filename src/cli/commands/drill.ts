import { drill, type DrillResult } from "../../core/alerts/drill.js";
import { CheckFailedError, InputError } from "../../shared/errors.js";
import type { DrillRun } from "../../store/types.js";
import { type CommandContext, withStore } from "../context.js";
import { renderTable } from "../output.js";
import { loadRules } from "../../core/alerts/service.js";
import { alertsSetup, destinationsOf } from "./alerts.js";
import type { DrillFlags } from "./drill.command.js";
import { wantsJson } from "../output.js";

function when(ms: number): string {
  return new Date(ms).toISOString().replace(/:\d\d\.\d+Z$/, "Z").replace("T", " ");
}

const ms = (n: number) => `${Math.round(n)} ms`;

/** "failed at deliver (overdue → slack #security): not accepted: invalid_auth" */
export function failureLine(r: Pick<DrillResult, "failed">): string {
  const f = r.failed;
  if (!f) return "";
  const where = [f.rule, f.destination].filter(Boolean).join(" → ");
  return `failed at step ${f.step}${where ? ` (${where})` : ""}: ${f.detail}`;
}

function printDrill(ctx: CommandContext, r: DrillResult): void {
  const s = ctx.style;
  const head = r.ok
    ? s.green(`✓ Drill ${r.id} passed in ${ms(r.ms)}: ${r.rules.join(", ")} reached ${r.steps.filter((x) => x.step === "deliver").length} destination(s)`)
    : s.red(`✗ Drill ${r.id} ${failureLine(r)}`);
  ctx.stdout.write(`${s.bold(head)}\n`);
  ctx.stdout.write(
    renderTable(
      ["STEP", "", "TIME", "DETAIL"],
      r.steps.map((x) => [
        x.step,
        x.ok ? s.green("✓") : s.red("✗"),
        ms(x.ms),
        `${x.destination ? `${x.rule} → ${x.destination}: ` : ""}${x.detail}`,
      ]),
      s,
    ),
  );
  if (!r.ok) {
    const next =
      r.failed?.step === "evaluate"
        ? "Give an alert rule that selects overdue findings (docs/alerts.md), then: dm drill"
        : r.failed?.step === "deliver"
          ? `Fix the destination (its credentials, channel or URL), then: dm drill${r.failed.rule ? ` --alert ${r.failed.rule}` : ""}`
          : "dm drill --history shows earlier drills.";
    ctx.stdout.write(`${next}\n`);
  }
}

async function historyCommand(ctx: CommandContext, options: DrillFlags): Promise<DrillRun[]> {
  const runs = await withStore(ctx, options.db, (store) => store.drillRuns({ limit: options.limit ?? 20 }));
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return runs;
  }
  if (runs.length === 0) {
    ctx.stdout.write("No drill yet. Run one: dm drill\n");
    return runs;
  }
  const s = ctx.style;
  ctx.stdout.write(
    renderTable(
      ["WHEN", "DRILL", "RESULT", "TIME", "RULES", "FAILED STEP"],
      runs.map((r) => {
        const failed = r.steps.find((x) => !x.ok);
        return [
          when(r.startedOn),
          r.id,
          r.ok ? s.green("ok") : s.red("failed"),
          ms(r.ms),
          r.rules.join(", "),
          failed ? `${failed.step}${failed.destination ? ` (${failed.destination})` : ""}: ${failed.detail}` : "",
        ];
      }),
      s,
    ),
  );
  return runs;
}

export async function drillCommand(ctx: CommandContext, options: DrillFlags): Promise<DrillResult | DrillRun[]> {
  if (options.history) return historyCommand(ctx, options);
  if (options.limit !== undefined) throw new InputError("--limit goes with --history");
  const setup = alertsSetup(ctx);
  const now = ctx.now();
  const actor = ctx.actor();
  const result = await withStore(
    ctx,
    options.db,
    async (store) => {
      const rules = await loadRules(store, setup);
      if (options.alert !== undefined && !rules.some((r) => r.name === options.alert)) {
        throw new InputError(`--alert: no alert rule "${options.alert}"`, { details: [`Rules: ${rules.map((r) => r.name).join(", ") || "none"} (dm alerts list).`] });
      }
      return drill(store, rules, { now, actor, destinations: destinationsOf(ctx), ...(options.alert === undefined ? {} : { alert: options.alert }) });
    },
    { create: true },
  );
  if (wantsJson(options)) {
    const { failed, ...rest } = result;
    ctx.stdout.write(`${JSON.stringify({ ...rest, ms: Math.round(result.ms), ...(failed ? { failed } : {}) }, null, 2)}\n`);
  } else printDrill(ctx, result);
  if (!result.ok) throw new CheckFailedError(`drill ${result.id} ${failureLine(result)}`);
  return result;
}
