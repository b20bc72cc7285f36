import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, positiveInt, type Registration, run, formatOption } from "../registration.js";

const defineList = (alerts: Command) =>
  alerts
    .command("list")
    .description("Every alert rule (dm.config.yaml and imported): condition, grouping, interval, actions, last evaluation, silences")
    .option("--json", 'print {"rules": [...], "silences": [...]}')
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm alerts list
  dm alerts list --json`,
    );

const defineRun = (alerts: Command) =>
  alerts
    .command("run")
    .description("Evaluate every alert rule once: announce what is new, changed, due again or resolved; retry pending deliveries")
    .option("--rule <name>", "only this rule")
    .option("--dry-run", "say what would be sent; write and send nothing")
    .option("--json", 'print {"rules": [{"name", "total", "announced", "resolved", "pending", "silenced", "deliveries": [...]}]}')
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Each alerting entity is announced once; again when it changes, when the
rule's repeat has passed, and when it resolves. A delivery the destination
may safely retry stays pending and is retried on later runs (backoff 1m, 5m,
30m, 2h, then every 6h). Exit 1 when a rule could not be evaluated or a
delivery failed.

Examples:
  dm alerts run --dry-run
  dm alerts run --rule overdue-maintenance --json`,
    );

const defineHistory = (alerts: Command) =>
  alerts
    .command("history")
    .description("Notifications and their deliveries, newest first: sent, pending, failed, abandoned")
    .option("--rule <name>", "only this rule")
    .option("--limit <n>", "at most this many (default 50)", positiveInt("--limit"))
    .option("--json", "print them as JSON, with each notification")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm alerts history
  dm alerts history --rule overdue-maintenance --json`,
    );

const defineImport = (alerts: Command) =>
  alerts
    .command("import")
    .description("Import JupiterOne alert rules (the @jupiterone/jupiterone-alert-rules format): a pack file or a folder of packs")
    .argument("<pack>", "a .json pack (a list of {name, description, queries, alertLevel}) or a folder of them")
    .option("--json", 'print {"imported": [...], "problems": [...]}')
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
A rule whose query does not compile is reported and left out; the others are
imported (stored in the database, replacing rules of the same name). They
alert on total > 0, with the actions, interval and repeat of alertDefaults:
in dm.config.yaml.

Examples:
  dm alerts import node_modules/@jupiterone/jupiterone-alert-rules/rule-packs
  dm alerts import my-pack.json --json`,
    );

const defineSilence = (alerts: Command) =>
  alerts
    .command("silence")
    .description("Silence a rule, or one entity of it, until a date")
    .argument("<rule>", "the alert rule's name")
    .option("--entity <key>", "only this entity (its _key); default: the whole rule")
    .requiredOption("--until <date>", "a date (2027-03-31, end of day UTC), an ISO time, or a period from now (12h, 7d, 2w)")
    .requiredOption("--reason <text>", "why: shown in dm alerts silences")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
A silenced entity is not announced; when the silence ends, what still alerts
is announced.

Examples:
  dm alerts silence overdue-maintenance --until 7d --reason "freeze week"
  dm alerts silence overdue-maintenance --entity deferred_maintenance:abc --until 2027-01-31 --reason "accepted"`,
    );

const defineSilences = (alerts: Command) =>
  alerts
    .command("silences")
    .description("Silences in force (with --all, expired ones too)")
    .option("--all", "expired silences too")
    .option("--json", "print them as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

const defineDigest = (alerts: Command) =>
  alerts
    .command("digest")
    .description("Send this period's digests: per owner, their overdue and soon-due maintenance, to the owner's channel (digests: in dm.config.yaml)")
    .option("--owner <name>", "only this owner's digest")
    .option("--dry-run", "print the digests and where they would go; write and send nothing")
    .option("--json", 'print {"period", "digests": [{"owner", "overdue", "dueSoon", "open", "worst", "destinations"}], "deliveries": [...]}')
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
One digest per owner and period (digests.schedule): running it again in the
same period sends nothing new, and retries what is pending. Owners with
nothing overdue or due soon get none. dm serve sends them on schedule.

Examples:
  dm alerts digest --dry-run
  dm alerts digest --owner payments --json`,
    );

export type AlertsDigestFlags = FlagsOf<typeof defineDigest>;
export type AlertsListFlags = FlagsOf<typeof defineList>;
export type AlertsRunFlags = FlagsOf<typeof defineRun>;
export type AlertsHistoryFlags = FlagsOf<typeof defineHistory>;
export type AlertsImportFlags = FlagsOf<typeof defineImport>;
export type AlertsSilenceFlags = FlagsOf<typeof defineSilence>;
export type AlertsSilencesFlags = FlagsOf<typeof defineSilences>;

export const alertsRegistration: Registration = (program, ctx) => {
  const alerts = program
    .command("alerts")
    .description("Alert rules: tell the right people about overdue work, once (Slack, webhooks, GELF)");
  defineList(alerts).action(async (o) => run((await import("./alerts.js")).alertsListCommand, ctx, o));
  defineRun(alerts).action(async (o) => run((await import("./alerts.js")).alertsRunCommand, ctx, o));
  defineHistory(alerts).action(async (o) => run((await import("./alerts.js")).alertsHistoryCommand, ctx, o));
  defineImport(alerts).action(async (pack, o) => run((await import("./alerts.js")).alertsImportCommand, ctx, { pack, ...o }));
  defineSilence(alerts).action(async (rule, o) => run((await import("./alerts.js")).alertsSilenceCommand, ctx, { rule, ...o }));
  defineSilences(alerts).action(async (o) => run((await import("./alerts.js")).alertsSilencesCommand, ctx, o));
  defineDigest(alerts).action(async (o) => run((await import("./alerts-digest.js")).alertsDigestCommand, ctx, o));
};
