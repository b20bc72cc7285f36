import { dbOption, type Registration, run } from "../registration.js";

export const importRegistration: Registration = (program, ctx) => {
  program
    .command("import")
    .description("Upsert entities and relationships from a bulk file (JSON or YAML; - for stdin)")
    .argument("<file>", "the bulk file: { entities: [...], relationships: [...] }")
    .option("--source <name>", "_source for records that do not name one", "import")
    .option("--json", "print the counts as JSON")
    .addOption(dbOption())
    .action(async (file, o) => run((await import("./import.js")).importCommand, ctx, { file, ...o }));
};
