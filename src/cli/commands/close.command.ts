import type { Command } from "@commander-js/extra-typings";
import { dbOption, idOption, type FlagsOf, formatOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("close")
    .description("Close the findings of a maintenance item: done, opened in error, or risk accepted until a date")
    .argument("[maintenance-id]", "the item (or --id)")
    .addOption(idOption())
    .option("-q, --query <j1ql>", "only these: the item's findings, or (with --id) assets, standing for the item's finding on each")
    .option("--reason <reason>", "COMPLETE, ERROR or RISK_ACCEPTED")
    .option("-l, --link <url>", "the pull request (COMPLETE) or decision record (RISK_ACCEPTED)")
    .option("--until <when>", "RISK_ACCEPTED: when the acceptance expires (90d, 2027-03-31); the findings reopen then")
    .option("--dry-run", "check everything and list what would be closed; write nothing")
    .option("-y, --yes", "write without asking (required when not on a terminal)")
    .option("--json", "print the result as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
COMPLETE and RISK_ACCEPTED need --link; RISK_ACCEPTED needs --until. With
--id, --query may select assets: each stands for the item's finding on it.
Entities that are not open findings of the item (nor assets with one) are
skipped and listed. On a terminal, dm asks for what is missing and confirms.

Examples:
  dm close --id 9c3e21a0 --reason COMPLETE --link https://github.com/acme/payments/pull/42 \\
           --query "Find CodeRepo with name='payments'" --yes
  dm close --id 9c3e21a0 --reason COMPLETE --link https://github.com/acme/payments/pull/42 \\
           --query "Find deferred_maintenance with entityName='payments'" --yes
  dm close --id 9c3e21a0 --reason RISK_ACCEPTED --link https://wiki.example.com/adr/17 --until 90d --yes
  dm close --id 9c3e21a0 --reason ERROR --yes
  dm close 9c3e21a0 --reason ERROR --yes          (the id as an argument works too)`,
    );

/** What `dm close` parses from its flags. */
export type CloseFlags = FlagsOf<typeof define>;

export const closeRegistration: Registration = (program, ctx) => {
  define(program).action(async (id, o) => run((await import("./close.js")).closeCommand, ctx, id === undefined ? o : { ...o, idArgument: id }));
};
