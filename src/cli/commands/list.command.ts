import { type Command, Option } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, idOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("list")
    .description("Open maintenance findings, one row per entity, by due date")
    .addOption(new Option("--overdue [days]", "only overdue findings; with DAYS, overdue by more than that many whole days (30: 31 days overdue or more; 7, 7d, 2w)"))
    .argument("[maintenance-id]", "only this item (or --id)")
    .addOption(idOption())
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json", "csv"]).default("table"))
    .option("--json", "print JSON (the same as --format json)")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm list --overdue
  dm list --overdue 30 --format csv > late.csv
  dm list 9c3e21a0 --format json            (or --id 9c3e21a0)`,
    );

/** What `dm list` parses from its flags. */
export type ListFlags = FlagsOf<typeof define>;

export const listRegistration: Registration = (program, ctx) => {
  define(program).action(async (id, o) => run((await import("./list.js")).listCommand, ctx, id === undefined ? o : { ...o, idArgument: id }));
};
