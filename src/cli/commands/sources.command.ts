import { dbOption, type Registration, run } from "../registration.js";

export const sourcesRegistration: Registration = (program, ctx) => {
  program
    .command("sources")
    .description("Integration instances with their last sync: when, status, changes")
    .option("--json", "print them as JSON")
    .addOption(dbOption())
    .action(async (o) => run((await import("./sources.js")).sourcesCommand, ctx, o));
};
