import type { Command } from "@commander-js/extra-typings";
import { positiveInt, type FlagsOf, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("demo")
    .description("Load a generated sample organisation and show what dm answers about it")
    .option("--db <path-or-url>", "where to load it (default ~/.deferred-maintenance/demo.db)")
    .option("--use", "load it into your default database (DM_DATABASE_URL, else ~/.deferred-maintenance/dm.db) so plain dm stats, dm list … see it; refused when that database holds anything but an earlier demo")
    .option("--size <entities>", "approximate number of entities (default: a small organisation)", positiveInt("--size"))
    .addHelpText(
      "after",
      `
Without --use the sample lives in its own database, and every command the demo
prints names it with --db; it also prints the export DM_DATABASE_URL=... line
that makes it the default for your shell.

Examples:
  dm demo
  dm demo --use && dm stats`,
    );

/** What `dm demo` parses from its flags. */
export type DemoFlags = FlagsOf<typeof define>;

export const demoRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./demo.js")).demoCommand, ctx, o));
};
