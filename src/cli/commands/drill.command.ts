import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, positiveInt, type Registration, run, formatOption } from "../registration.js";

const define = (program: Command) =>
  program
    .command("drill")
    .description("Prove the alerting path: a canary finding, the rules that catch it, each destination accepting it; exit 1 naming the broken step")
    .option("--alert <name>", "drill only this alert rule")
    .option("--history", "list the recorded drills instead of running one")
    .option("--limit <n>", "with --history: at most this many (default 20)", positiveInt("--limit"))
    .option("--json", 'print {"ok", "ms", "id", "rules", "steps": [{"step", "ok", "ms", "detail", "rule", "destination"}], "failed"}')
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
A drill opens a canary finding ("DRILL — ignore", drill: true, already
overdue, owner dm-drill, on the entity drill:<id>), evaluates the alert rules
(or --alert's) to find those whose queries select it, sends each of their
destinations one DRILL notification (kind "drill") and checks it was accepted
(HTTP 2xx, Slack ok), then closes the canary as ERROR with the result and
records the drill (dm drill --history, dm_drill_* in /metrics). The rules'
own state is not touched: nobody is told "resolved" afterwards.

Steps: open, evaluate, deliver (per destination), close, record. Exit 1
when one fails, naming it (and the destination). A canary is never left
open: an interrupted drill closes it, and one older than 10 minutes is closed
by the next drill and by dm reconcile. dm serve runs drills on a schedule
with "drill:" under schedule: in dm.config.yaml.

Examples:
  dm drill
  dm drill --alert overdue-maintenance --json
  dm drill --history`,
    );

export type DrillFlags = FlagsOf<typeof define>;

export const drillRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./drill.js")).drillCommand, ctx, o));
};
