import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, formatOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("sources")
    .description("Integration instances with their last sync: when, status, changes")
    .option("--json", "print them as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

/** What `dm sources` parses from its flags. */
export type SourcesFlags = FlagsOf<typeof define>;

export const sourcesRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./sources.js")).sourcesCommand, ctx, o));
};
