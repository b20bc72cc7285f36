import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, type Registration, run, formatOption } from "../registration.js";

const define = (program: Command) =>
  program
    .command("import")
    .description("Upsert entities and relationships from a bulk file (JSON or YAML; - for stdin)")
    .argument("<file>", "the bulk file: { entities: [...], relationships: [...] }")
    .option("--source <name>", "_source for records that do not name one", "import")
    .option("--json", "print the counts as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

/** What `dm import` parses from its flags. */
export type ImportFlags = FlagsOf<typeof define>;

export const importRegistration: Registration = (program, ctx) => {
  define(program).action(async (file, o) => run((await import("./import.js")).importCommand, ctx, { file, ...o }));
};
