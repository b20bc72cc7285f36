import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("show")
    .description("One maintenance item: what, why, due, progress, and its findings")
    .argument("<maintenanceId>", "the item's id (8 hex digits, shown by dm list and dm stats)")
    .option("-a, --all", "every finding, not only the first 50")
    .option("--json", "print the item as JSON")
    .addOption(dbOption());

/** What `dm show` parses from its flags. */
export type ShowFlags = FlagsOf<typeof define>;

export const showRegistration: Registration = (program, ctx) => {
  define(program).action(async (id, o) => run((await import("./show.js")).showCommand, ctx, { id, ...o }));
};
