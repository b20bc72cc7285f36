import type { Command } from "@commander-js/extra-typings";
import { positiveInt, type FlagsOf, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("demo")
    .description("Load a generated sample organisation and show what dm answers about it")
    .option("--db <path-or-url>", "where to load it (default ~/.deferred-maintenance/demo.db)")
    .option("--size <entities>", "approximate number of entities (default: a small organisation)", positiveInt("--size"));

/** What `dm demo` parses from its flags. */
export type DemoFlags = FlagsOf<typeof define>;

export const demoRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./demo.js")).demoCommand, ctx, o));
};
