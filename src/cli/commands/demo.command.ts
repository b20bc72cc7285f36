import { positiveInt, type Registration, run } from "../registration.js";

export const demoRegistration: Registration = (program, ctx) => {
  program
    .command("demo")
    .description("Load a generated sample organisation and show what dm answers about it")
    .option("--db <path-or-url>", "where to load it (default ~/.deferred-maintenance/demo.db)")
    .option("--size <entities>", "approximate number of entities (default: a small organisation)", positiveInt("--size"))
    .action(async (o) => run((await import("./demo.js")).demoCommand, ctx, o));
};
