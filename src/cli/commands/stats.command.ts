import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, formatOption, idOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("stats")
    .description("Progress of maintenance items, worst first; one item in full with its burndown and forecast")
    .argument("[maintenance-id]", "one item in full (or --id)")
    .addOption(idOption())
    .option("--json", "print the statistics as JSON (with the daily burndown series)")
    .addOption(formatOption(["table", "json", "csv"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Done: closed for any reason (COMPLETE, ERROR or RISK_ACCEPTED); DONE % is
done / all findings. Overdue: open and past due. Pace: findings closed per
day over the last 14 days (or since the item was opened, if younger).
Forecast: open / pace, from today; "not converging" when nothing was closed
in that window or the finish is more than three years away. The burndown
counts findings open at the end of each day from their createdOn to their
closedOn (a reopened finding counts as open since it was created).

Examples:
  dm stats
  dm stats 9c3e21a0
  dm stats 9c3e21a0 --json | jq '.burndown[-7:]'`,
    );

/** What `dm stats` parses from its flags. */
export type StatsFlags = FlagsOf<typeof define>;

export const statsRegistration: Registration = (program, ctx) => {
  define(program).action(async (id, o) => run((await import("./stats.js")).statsCommand, ctx, id === undefined ? o : { ...o, idArgument: id }));
};
