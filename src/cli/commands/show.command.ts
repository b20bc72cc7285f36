import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, formatOption, idOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("show")
    .description("One maintenance item (what, why, due, progress, its findings), or one asset (how it is deployed, its properties, what it owes)")
    .argument("[id]", "an item's id (8 hex digits, shown by dm list and dm stats), or an asset's key or name")
    .addOption(idOption())
    .option("-a, --all", "every finding, not only the first 50")
    .option("--json", "print the item as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm show 9c3e21a0                  a maintenance item
  dm show web-1                     an asset: its deployment model, properties and findings
  dm show repo:checkout-proxy --json`,
    );

/** What `dm show` parses from its flags. */
export type ShowFlags = FlagsOf<typeof define>;

export const showRegistration: Registration = (program, ctx) => {
  define(program).action(async (id, o) => run((await import("./show.js")).showCommand, ctx, id === undefined ? o : { ...o, idArgument: id }));
};
