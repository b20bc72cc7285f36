import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, formatOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("reconcile")
    .description("Reopen expired risk acceptances and bring tracked items in step with their queries")
    .option("--dry-run", "work out and list what it would reopen, close and open; write nothing")
    .option("--json", "print the counts and every change as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
For every item opened with --track, the query runs again: an open finding
whose entity no longer matches is closed COMPLETE by "dm" (with the date as
evidence), an entity that newly matches gets a finding with the item's due
date. A closed finding whose entity matches again stays closed: that work was
done (open a new item if the problem is back). Nothing is closed when the
latest run of a source failed or was partial.

It lists every finding it reopened, closed and opened (the first 20 of each;
--json has them all).

Examples:
  dm reconcile --dry-run
  dm reconcile
  dm reconcile --json`,
    );

/** What `dm reconcile` parses from its flags. */
export type ReconcileFlags = FlagsOf<typeof define>;

export const reconcileRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./reconcile.js")).reconcileCommand, ctx, o));
};
