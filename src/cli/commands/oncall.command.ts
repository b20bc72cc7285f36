import type { Command, OptionValues } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, type Registration, run, formatOption } from "../registration.js";

/** The options both on-call commands take, after their own. */
function oncallOptions<Args extends unknown[], Opts extends OptionValues, GlobalOpts extends OptionValues>(c: Command<Args, Opts, GlobalOpts>) {
  return c
    .option("-c, --config <file>", "the on-call config (default: dm-oncall.yaml here, else in ~/.deferred-maintenance/)")
    .option("--deputize-config <file>", "read a Deputize config.json instead (secrets from its Vault path)")
    .option("--json", "print the result as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());
}

const defineSync = (oncall: Command) =>
  oncallOptions(
    oncall
      .command("sync")
      .description("Put the people on call into the group and take the others out: one LDAP change, audited, notified")
      .option("--dry-run", "print the plan (adds, removes, skipped and why); change nothing")
      .option("--force", "apply a change larger than maxChange"),
  )
    .addHelpText(
      "after",
      `
Safe to run from cron every minute: a second run at the same time skips (or
waits lockWait); PagerDuty, Vault or LDAP failing changes nothing (exit 3).
Exit status: 0 done or nothing to do, 1 a safety rail refused the change,
2 a mistake in the config, 3 a service failed. See docs/oncall.md.

Examples:
  dm oncall sync --dry-run
  dm oncall sync --config /etc/dm/oncall.yaml
  dm oncall sync --deputize-config /etc/deputize/config.json`,
    );

const defineStatus = (oncall: Command) =>
  oncallOptions(oncall.command("status").description("The group, who PagerDuty says is on call, and the difference (changes nothing)"));

/** What `dm oncall sync` parses from its flags; `dm oncall status` takes the same but --dry-run and --force. */
export type OncallSyncFlags = FlagsOf<typeof defineSync>;

export const oncallRegistration: Registration = (program, ctx) => {
  const oncall = program
    .command("oncall")
    .description("On-call access control: the people on call in PagerDuty, in an LDAP group (and GitLab)");
  defineSync(oncall).action(async (o) => run((await import("./oncall.js")).oncallSyncCommand, ctx, o));
  defineStatus(oncall).action(async (o) => run((await import("./oncall.js")).oncallStatusCommand, ctx, o));
};
