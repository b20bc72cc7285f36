import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, formatOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("check")
    .description("CI gate: exit 1 when the repository has maintenance overdue by more than the grace")
    .option("-r, --repo <name>", "the repository's name (or _key) in the graph, instead of the current checkout")
    .option("--grace <duration>", "tolerated lateness: 7d, 2w, 12h (default 0: anything overdue fails)", "0")
    .option("--json", "print the result as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Exit status: 0 ok, 1 overdue maintenance, 2 the repository is unknown or the
options are wrong, 3 the database failed.

Examples:
  dm check --grace 7d
  dm check --repo payments --json`,
    );

/** What `dm check` parses from its flags. */
export type CheckFlags = FlagsOf<typeof define>;

export const checkRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./check.js")).checkCommand, ctx, o));
};
