import { type Command, Option } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, type Registration, run } from "../registration.js";

const osvDbOption = () =>
  new Option("--osv-db <file>", "the advisory database (default: DM_OSV_DB, else vulns.db in dm.config.yaml, else ~/.deferred-maintenance/osv.db)");

const defineDbImport = (db: Command) =>
  db
    .command("import")
    .description("Load OSV advisories: a folder (GitHub Advisory Database, unpacked osv.dev export), an osv.dev all.zip, or a JSON file")
    .argument("<source>", "folder, .zip or .json")
    .addOption(osvDbOption())
    .option("--config <file>", "config file with a vulns: section (default: dm.config.yaml here, else in ~/.deferred-maintenance/)")
    .option("--json", "print the counts (and every skipped file) as JSON")
    .addHelpText(
      "after",
      `
Re-importing updates what changed; withdrawn advisories stop matching. A
malformed advisory is skipped with its file and reason; the rest loads.

Examples:
  dm vulns db import ~/Downloads/npm-all.zip
  dm vulns db import ~/src/advisory-database/advisories/github-reviewed`,
    );

const defineDbStatus = (db: Command) =>
  db
    .command("status")
    .description("Advisories per ecosystem, the newest modification and its age, the last import")
    .addOption(osvDbOption())
    .option("--config <file>", "config file with a vulns: section")
    .option("--json", "print it as JSON");

const defineScan = (vulns: Command) =>
  vulns
    .command("scan")
    .description("Match packages against the advisory database: the lockfiles under [path], else every package in the graph")
    .argument("[path]", "a folder (its lockfiles) or one lockfile; without it the graph is scanned and findings are kept")
    .addOption(new Option("-f, --format <format>", "output format (sarif only with a path)").choices(["table", "json", "sarif"]).default("table"))
    .option("--json", "print JSON (the same as --format json)")
    .addOption(
      new Option("--fail-on <severity>", "exit 1 when a finding is at or above this severity (default: any with a path, none for the graph)").choices([
        "any",
        "critical",
        "high",
        "medium",
        "low",
        "none",
      ]),
    )
    .option("-o, --out <file>", "write the report to this file instead of stdout (atomically)")
    .option(
      "--allow-unreadable",
      "with a path: a lockfile that cannot be read is only a warning (default: the scan is incomplete and fails, exit 2; exit 3 when the file system would not read it)",
    )
    .addOption(osvDbOption())
    .option("--config <file>", "config file with a vulns: section (SLA, ignore list)")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Graph scans open one finding per vulnerability and repository or host, due by
the severity SLA (critical 7 days, high 30, medium 90, low 180; vulns.sla in
dm.config.yaml). A finding closes by itself when the package is upgraded past
the fix and reopens when the vulnerability comes back; dm close works on it
like on any maintenance item. vulns.ignore lists accepted vulnerabilities
with a reason and an expiry.

A folder scan that cannot read one of its lockfiles (not valid, too large,
no permission) reports what it could read and exits 2 (3 for a file-system
error), whatever --fail-on says: it did not check what it was asked to.
--allow-unreadable makes that a warning only.

Examples:
  dm vulns scan .                                   # this checkout's lockfiles; exit 1 if anything is found
  dm vulns scan . --format sarif -o results.sarif --fail-on high
  dm vulns scan                                     # the graph: findings for every repo and host`,
    );

/** What `dm vulns db import`, `dm vulns db status` and `dm vulns scan` parse from their flags. */
export type VulnsDbImportFlags = FlagsOf<typeof defineDbImport>;
export type VulnsDbStatusFlags = FlagsOf<typeof defineDbStatus>;
export type VulnsScanFlags = FlagsOf<typeof defineScan>;

export const vulnsRegistration: Registration = (program, ctx) => {
  const vulns = program
    .command("vulns")
    .description("Vulnerabilities: an offline OSV advisory database, lockfile scans, tracked findings");
  const vulnsDb = vulns.command("db").description("The offline advisory database");
  defineDbImport(vulnsDb).action(async (source, o) => run((await import("./vulns.js")).vulnsDbImportCommand, ctx, { source, ...o }));
  defineDbStatus(vulnsDb).action(async (o) => run((await import("./vulns.js")).vulnsDbStatusCommand, ctx, o));
  defineScan(vulns).action(async (path, o) => run((await import("./vulns.js")).vulnsScanCommand, ctx, { path, ...o }));
};
