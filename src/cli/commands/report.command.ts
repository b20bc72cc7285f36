import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, formatOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("report")
    .description("Open maintenance of a repository (default: the current checkout), a team, or what you opened")
    .option("-r, --repo <name>", "the repository's name (or _key) in the graph, instead of the current checkout")
    .option("--owner <team>", "the open findings of everything this team or person owns (any case; an unknown owner is refused)")
    .option("--mine", "also the items you opened (DM_USER, else git user.email), wherever they are")
    .option("--json", "print the report as JSON")
    .addOption(formatOption(["table", "json", "csv"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
\`dm\` with no arguments inside a git checkout is \`dm report\` for that repository,
found by its remote URL (remoteUrl, url or webLink of a CodeRepo), else by name.

Examples:
  dm
  dm report --repo payments
  dm report --owner platform --json
  dm report --mine`,
    );

/** What `dm report` parses from its flags. */
export type ReportFlags = FlagsOf<typeof define>;

export const reportRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./report.js")).reportCommand, ctx, o));
};
