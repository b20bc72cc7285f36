import type { Command } from "@commander-js/extra-typings";
import { dbOption, positiveInt, type FlagsOf, type Registration, run, formatOption } from "../registration.js";

const define = (program: Command) =>
  program
    .command("sync")
    .description("Fill the graph from an integration (git, ...), or every instance in dm.config.yaml")
    .argument("[integration]", "the integration: one of those listed below")
    .option("--all", "every instance in dm.config.yaml (this folder, then ~/.deferred-maintenance/)")
    .option("--path <folder>", "git: the folder that holds your clones")
    .option("--file <file>", "hosts, aws-credential-report: the file to read")
    .option("--concurrency <n>", "git: repositories read at once (default 4)", positiveInt("--concurrency"))
    .option("--full", "read everything again, ignoring what the last run cached (git: unchanged repositories are skipped otherwise)")
    .option("--json", "print the run summary as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Integrations (settings beyond --path and --file go in dm.config.yaml;
docs/integrations.md):
  git                    git repositories under a folder (--path): repos, owners, packages, images, Terraform
  hosts                  hosts from an inventory file (CSV/JSON) or osquery results (--file)
  aws-credential-report  AWS IAM users and access keys from the credential report (--file)
  pagerduty              users, teams, services, schedules, escalation policies, who is on call
  vault                  HashiCorp Vault engines, auth methods, userpass users, KV v2 metadata (never values)
  kubernetes             a cluster's workloads, images, services, secrets (metadata) and nodes
  ldap                   users and groups (with membership) of an LDAP directory
  gitlab                 GitLab groups, projects and members (self-hosted or gitlab.com)
  bitbucket              Bitbucket Cloud or Data Center: projects, repositories, users and groups
  github                 a GitHub organisation: repositories, teams, members, permissions, branch protection

A run that succeeds marks deleted what its instance no longer has; a run with
warnings is partial and deletes nothing; a run that fails changes nothing.
git skips repositories unchanged since the last run (HEAD, file list, the
lockfiles and manifests it read); --full reads every one again.
Tracked maintenance is reconciled after every run.

Examples:
  dm sync git --path ~/src
  dm sync hosts --file inventory.csv
  dm sync github                (its instances in dm.config.yaml)
  dm sync --all`,
    );

/** What `dm sync` parses from its flags. */
export type SyncFlags = FlagsOf<typeof define>;

export const syncRegistration: Registration = (program, ctx) => {
  define(program).action(async (integration, o) => run((await import("./sync.js")).syncCommand, ctx, { integration, ...o }));
};
