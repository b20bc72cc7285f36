import { dbOption, type Registration, run } from "../registration.js";

export const showRegistration: Registration = (program, ctx) => {
  program
    .command("show")
    .description("One maintenance item: what, why, due, progress, and its findings")
    .argument("<maintenanceId>", "the item's id (8 hex digits, shown by dm list and dm stats)")
    .option("-a, --all", "every finding, not only the first 50")
    .option("--json", "print the item as JSON")
    .addOption(dbOption())
    .action(async (id, o) => run((await import("./show.js")).showCommand, ctx, { id, ...o }));
};
