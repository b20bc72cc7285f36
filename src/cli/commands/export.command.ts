import { type Command, Option } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("export")
    .description("Write the whole graph in the bulk format (or, with --findings, the maintenance evidence)")
    .option("-o, --out <file>", "write to this file (atomically) instead of stdout")
    .addOption(
      new Option("-f, --format <format>", "json or yaml; csv or json with --findings (default: from --out's extension, else json)").choices([
        "json",
        "yaml",
        "csv",
      ]),
    )
    .option("--findings", "every maintenance finding, open and closed, for auditors: who opened and closed it, when, with which link")
    .option("--include-deleted", "also export entities and edges marked deleted")
    .addOption(dbOption());

/** What `dm export` parses from its flags. */
export type ExportFlags = FlagsOf<typeof define>;

export const exportRegistration: Registration = (program, ctx) => {
  define(program).action(async ({ findings, ...o }) => {
    const m = await import("./export.js");
    return findings ? run(m.exportFindings, ctx, o) : run(m.exportCommand, ctx, o);
  });
};
