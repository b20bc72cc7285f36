import type { Command } from "@commander-js/extra-typings";
import { dbOption, positiveInt, type FlagsOf, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("sync")
    .description("Fill the graph from an integration (git, ...), or every instance in dm.config.yaml")
    .argument("[integration]", "the integration: git")
    .option("--all", "every instance in dm.config.yaml (this folder, then ~/.deferred-maintenance/)")
    .option("--path <folder>", "git: the folder holding the clones")
    .option("--file <file>", "file-based integrations: the file to read")
    .option("--concurrency <n>", "git: repositories read at once (default 4)", positiveInt("--concurrency"))
    .option("--full", "read everything again, ignoring what the last run cached (git: unchanged repositories are skipped otherwise)")
    .option("--json", "print the run summary as JSON")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
A run that succeeds marks deleted what its instance no longer has; a run with
warnings is partial and deletes nothing; a run that fails changes nothing.
git skips repositories unchanged since the last run (HEAD, file list, the
lockfiles and manifests it read); --full reads every one again.
Tracked maintenance is reconciled after every run.

Examples:
  dm sync git --path ~/src
  dm sync --all`,
    );

/** What `dm sync` parses from its flags. */
export type SyncFlags = FlagsOf<typeof define>;

export const syncRegistration: Registration = (program, ctx) => {
  define(program).action(async (integration, o) => run((await import("./sync.js")).syncCommand, ctx, { integration, ...o }));
};
