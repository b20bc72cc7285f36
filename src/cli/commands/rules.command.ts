import type { Command } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, type Registration, run, formatOption } from "../registration.js";

const defineList = (rules: Command) =>
  rules
    .command("list")
    .description("Every rule of the enabled packs: id, R, title, what it applies to, open findings")
    .option("--pack <pack>", "only this pack's rules")
    .option("--json", "print them as JSON, with rationale and query")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

const defineRun = (rules: Command) =>
  rules
    .command("run")
    .description("Run the rules as tracked maintenance: open a finding per violation, close what no longer violates")
    .option("--pack <pack>", "only this pack's rules")
    .option("--rule <id>", "only this rule")
    .option("--dry-run", "say what would open and close; write nothing")
    .option("--json", 'print {"opened", "closed", "unchanged", "rules": [...], "notes": [...]}')
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Nothing is closed while some source's latest sync failed or was partial. Risk
acceptances are honoured until they expire (dm reconcile reopens them then).

Examples:
  dm rules run --dry-run
  dm rules run --rule repave-host-age --json`,
    );

const defineExplain = (rules: Command) =>
  rules
    .command("explain")
    .description("For one entity, every rule: violates, ok, not applicable or unknown, and why")
    .argument("<entity>", "the entity's key, or its name")
    .option("--json", 'print {"entity": {...}, "rules": [{"id", "r", "status", "reason"}]}')
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm rules explain web-1
  dm rules explain kube_deployment:prod/payments/api --json`,
    );

export type RulesListFlags = FlagsOf<typeof defineList>;
export type RulesRunFlags = FlagsOf<typeof defineRun>;
export type RulesExplainFlags = FlagsOf<typeof defineExplain>;

export const rulesRegistration: Registration = (program, ctx) => {
  const rules = program
    .command("rules")
    .description("Hygiene policy, the three R's (repair, rotate, repave): rules that open maintenance by themselves");
  defineList(rules).action(async (o) => run((await import("./rules.js")).rulesListCommand, ctx, o));
  defineRun(rules).action(async (o) => run((await import("./rules.js")).rulesRunCommand, ctx, o));
  defineExplain(rules).action(async (entity, o) => run((await import("./rules.js")).rulesExplainCommand, ctx, { entity, ...o }));
};
