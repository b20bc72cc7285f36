import { type Command, Option } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, paramOption, positiveInt, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("query")
    .description("Run a J1QL query against the graph")
    .argument("<j1ql>", `the query, e.g. "Find CodeRepo with name='payments'"`)
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json", "csv"]).default("table"))
    .option("--json", "print JSON (the same as --format json)")
    .option("-L, --limit <n>", "rows per page (default 250); -L as gh spells it (-l is --link on dm open and dm close)", positiveInt("--limit"))
    .option("-a, --all", "every row, not only the first page")
    .option("--cursor <cursor>", "the next page, from the cursor a previous page printed")
    .option("--include-deleted", "also match entities and edges marked deleted")
    .addOption(paramOption())
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm query "Find CodeRepo with public=true"
  dm query "Find deferred_maintenance with closed=false and dueDate < date.now that HAS CodeRepo" --format csv
  dm query "FIND CodeRepo as r THAT HAS Finding as f RETURN r.name, COUNT(f) AS findings ORDER BY findings DESC" --all
  dm query "Find User with email !$= '@{{domain}}'" --param domain=example.com`,
    );

/** What `dm query` parses from its flags. */
export type QueryFlags = FlagsOf<typeof define>;

export const queryRegistration: Registration = (program, ctx) => {
  define(program).action(async (query, o) => run((await import("./query.js")).queryCommand, ctx, { query, ...o }));
};
