import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, formatOption, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("open")
    .description("Open a maintenance item: one finding on every entity a J1QL query selects")
    .option("-q, --query <j1ql>", "the assets, e.g. \"Find CodeRepo that USES npm_package with name='left-pad'\"")
    .option("-s, --short <text>", "short description, at most 50 characters (the finding's displayName)")
    .option("-d, --description <text>", "what to do and why (default: the short description)")
    .option("-l, --link <url>", "http(s) link to the instructions")
    .option("--due <when>", "due date: days (7d, 30d, 2w), a date (2027-03-31, end of that day UTC), or sla:<severity> (the SLA policy, e.g. sla:high)")
    .option("--config <file>", "the config file whose sla: policy --due sla:<severity> uses (default: dm.config.yaml here, else in ~/.deferred-maintenance/)")
    .option("--track", "keep the query: dm reconcile closes findings that no longer match and opens new ones")
    .option("--update", "the item is open already: give its open findings the new --description, --link, --due or --track (audited)")
    .option("--dry-run", "check everything and list what would be opened; write nothing")
    .option("-y, --yes", "write without asking (required when not on a terminal)")
    .option("--json", "print the result as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
On a terminal, dm asks for whatever the flags leave out, shows how many
entities the query selects, asks whether to track the query, and ends with
a summary to confirm ("Open 30 findings due 2027-03-31? [y/N]"). Elsewhere
(CI, scripts) every flag but --description is needed, and --yes.

Opening the same item again (same short description and query) changes
nothing for entities that already have its finding; new matches get one.
A period (--due 30d) then counts from when the item was opened. If the
re-run asks for another description, link, due date or --track, dm refuses
(exit 2) and shows each difference; --update applies them to the item's
open findings. A short description that another open item already has
(another query) is warned about, and needs a confirmation or --yes.

Examples:
  dm open
  dm open --query "Find CodeRepo that USES npm_package with name='left-pad'" \\
          --short "Remove left-pad" --description "Use String.prototype.padStart" \\
          --link https://wiki.example.com/left-pad --due 30d --track --yes
  dm open --query "Find Host with os='centos'" --short "Move off CentOS" \\
          --link https://wiki.example.com/centos --due 2027-03-31 --dry-run
  dm open --query "Find Host with os='centos'" --short "Patch openssl" \\
          --link https://wiki.example.com/openssl --due sla:high --yes
          (due by the SLA policy: sooner on exposed hosts; see docs/sla.md)
  dm open --query "Find Host with os='centos'" --short "Move off CentOS" \\
          --link https://wiki.example.com/centos-v2 --due 2027-06-30 --update --yes
          (the same item, its open findings now due 2027-06-30 with the new link)`,
    );

/** What `dm open` parses from its flags. */
export type OpenFlags = FlagsOf<typeof define>;

export const openRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./open.js")).openCommand, ctx, o));
};
