/**
 * The `dm` program. `runCli` parses arguments, runs one command and returns
 * the exit code; `main` is the only place that exits the process.
 *
 * Exit codes: 0 success; 1 a check or policy found a problem; 2 bad input or
 * usage; 3 an external service or the database failed; 70 an internal bug.
 */
import { Command, CommanderError, Option } from "commander";
import { resolveActor } from "../core/maintenance/actor.js";
import { loadConfig } from "../shared/config.js";
import { DmError, InputError } from "../shared/errors.js";
import { createLogger, type Logger, redact } from "../shared/logger.js";
import { packageVersion } from "../shared/version.js";
import type { CommandContext } from "./context.js";
import { createStyle, type Out } from "./output.js";
import { type Prompter, terminalPrompter } from "./prompt.js";

export const EXIT = { ok: 0, problem: 1, usage: 2, external: 3, internal: 70 } as const;

export interface CliIO {
  stdout: Out & { isTTY?: boolean };
  stderr: Out & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** the clock; tests pin it */
  now?: () => number;
  /** stdin is a terminal */
  stdinIsTTY?: boolean;
  /** answers for interactive questions (tests) */
  prompter?: Prompter;
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InputError(`${flag} must be a positive whole number, not "${value}"`);
    }
    return n;
  };
}

const dbOption = () =>
  new Option("--db <path-or-url>", "SQLite file, file: URL or postgres:// URL (default: DM_DATABASE_URL, else ~/.deferred-maintenance/dm.db)");

function buildProgram(ctx: CommandContext, setResult: (p: Promise<unknown>) => void): Command {
  const program = new Command("dm")
    .description("Deferred maintenance: an asset graph, the chores owed on it, and how late they are.")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s, write) => write(ctx.style.red(s)),
    });

  program
    .command("query")
    .description("Run a J1QL query against the graph")
    .argument("<j1ql>", `the query, e.g. "Find CodeRepo with name='payments'"`)
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json", "csv"]).default("table"))
    .option("-l, --limit <n>", "rows per page (default 250)", positiveInt("--limit"))
    .option("-a, --all", "every row, not only the first page")
    .option("--cursor <cursor>", "the next page, from the cursor a previous page printed")
    .option("--include-deleted", "also match entities and edges marked deleted")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm query "Find CodeRepo with public=true"
  dm query "Find deferred_maintenance with closed=false and dueDate < date.now that HAS CodeRepo" --format csv
  dm query "FIND CodeRepo as r THAT HAS Finding as f RETURN r.name, COUNT(f) AS findings ORDER BY findings DESC" --all`,
    )
    .action((j1ql: string, o) => {
      setResult(
        import("./commands/query.js").then((m) =>
          m.queryCommand(ctx, {
            query: j1ql,
            format: o.format,
            limit: o.limit,
            all: o.all,
            cursor: o.cursor,
            includeDeleted: o.includeDeleted,
            db: o.db,
          }),
        ),
      );
    });

  program
    .command("import")
    .description("Upsert entities and relationships from a bulk file (JSON or YAML; - for stdin)")
    .argument("<file>", "the bulk file: { entities: [...], relationships: [...] }")
    .option("--source <name>", "_source for records that do not name one", "import")
    .option("--json", "print the counts as JSON")
    .addOption(dbOption())
    .action((file: string, o) => {
      setResult(
        import("./commands/import.js").then((m) =>
          m.importCommand(ctx, { file, source: o.source, json: o.json, db: o.db, actor: ctx.config.user }),
        ),
      );
    });

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
    .addOption(dbOption())
    .action((o) => {
      setResult(
        import("./commands/export.js").then((m): Promise<unknown> =>
          o.findings
            ? m.exportFindings(ctx, { out: o.out, format: o.format, includeDeleted: o.includeDeleted, db: o.db })
            : m.exportCommand(ctx, { out: o.out, format: o.format, includeDeleted: o.includeDeleted, db: o.db }),
        ),
      );
    });

  program
    .command("demo")
    .description("Load a generated sample organisation and show what dm answers about it")
    .option("--db <path-or-url>", "where to load it (default ~/.deferred-maintenance/demo.db)")
    .option("--size <entities>", "approximate number of entities (default: a small organisation)", positiveInt("--size"))
    .action((o) => {
      setResult(import("./commands/demo.js").then((m) => m.demoCommand(ctx, { db: o.db, size: o.size })));
    });

  program
    .command("sync")
    .description("Fill the graph from an integration (git, ...), or every instance in dm.config.yaml")
    .argument("[integration]", "the integration: git")
    .option("--all", "every instance in dm.config.yaml (this folder, then ~/.deferred-maintenance/)")
    .option("--path <folder>", "git: the folder holding the clones")
    .option("--file <file>", "file-based integrations: the file to read")
    .option("--concurrency <n>", "git: repositories read at once (default 4)", positiveInt("--concurrency"))
    .option("--json", "print the run summary as JSON")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
A run that succeeds marks deleted what its instance no longer has; a run with
warnings is partial and deletes nothing; a run that fails changes nothing.
Tracked maintenance is reconciled after every run.

Examples:
  dm sync git --path ~/src
  dm sync --all`,
    )
    .action((integration: string | undefined, o) => {
      setResult(
        import("./commands/sync.js").then((m) =>
          m.syncCommand(ctx, {
            integration,
            all: o.all,
            settings: { path: o.path, file: o.file, concurrency: o.concurrency },
            json: o.json,
            db: o.db,
          }),
        ),
      );
    });

  program
    .command("sources")
    .description("Integration instances with their last sync: when, status, changes")
    .option("--json", "print them as JSON")
    .addOption(dbOption())
    .action((o) => {
      setResult(import("./commands/sources.js").then((m) => m.sourcesCommand(ctx, { json: o.json, db: o.db })));
    });

  // ---- maintenance: open, close, reconcile ----
  program
    .command("open")
    .description("Open a maintenance item: one finding on every entity a J1QL query selects")
    .option("-q, --query <j1ql>", "the assets, e.g. \"Find CodeRepo that USES npm_package with name='left-pad'\"")
    .option("-s, --short <text>", "short description, at most 50 characters (the finding's displayName)")
    .option("-d, --description <text>", "what to do and why (default: the short description)")
    .option("-l, --link <url>", "http(s) link to the instructions")
    .option("--due <when>", "due date: days (7d, 30d, 2w) or a date (2027-03-31, end of that day UTC)")
    .option("--track", "keep the query: dm reconcile closes findings that no longer match and opens new ones")
    .option("--dry-run", "check everything and list what would be opened; write nothing")
    .option("-y, --yes", "write without asking (required when not on a terminal)")
    .option("--json", "print the result as JSON")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
On a terminal, dm asks for whatever the flags leave out, shows how many
entities the query selects and asks before writing. Elsewhere (CI, scripts)
every flag but --description is needed, and --yes.

Opening the same item again (same short description and query) changes
nothing for entities that already have its finding; new matches get one.

Examples:
  dm open
  dm open --query "Find CodeRepo that USES npm_package with name='left-pad'" \\
          --short "Remove left-pad" --description "Use String.prototype.padStart" \\
          --link https://wiki.example.com/left-pad --due 30d --track --yes
  dm open --query "Find Host with os='centos'" --short "Move off CentOS" \\
          --link https://wiki.example.com/centos --due 2027-03-31 --dry-run`,
    )
    .action((o) => {
      setResult(
        import("./commands/open.js").then((m) =>
          m.openCommand(ctx, {
            query: o.query,
            short: o.short,
            description: o.description,
            link: o.link,
            due: o.due,
            track: o.track,
            dryRun: o.dryRun,
            yes: o.yes,
            json: o.json,
            db: o.db,
          }),
        ),
      );
    });

  program
    .command("close")
    .description("Close the findings of a maintenance item: done, opened in error, or risk accepted until a date")
    .option("--id <maintenance-id>", "the item (8 hex digits, as dm open printed)")
    .option("-q, --query <j1ql>", "only the findings this query selects (of the item, with --id)")
    .option("-r, --reason <reason>", "COMPLETE, ERROR or RISK_ACCEPTED")
    .option("-l, --link <url>", "the pull request (COMPLETE) or decision record (RISK_ACCEPTED)")
    .option("--until <when>", "RISK_ACCEPTED: when the acceptance expires (90d, 2027-03-31); the findings reopen then")
    .option("--dry-run", "check everything and list what would be closed; write nothing")
    .option("-y, --yes", "write without asking (required when not on a terminal)")
    .option("--json", "print the result as JSON")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
COMPLETE and RISK_ACCEPTED need --link; RISK_ACCEPTED needs --until. Entities
the query selects that are not open findings (of the item) are skipped and
listed. On a terminal, dm asks for what is missing and confirms.

Examples:
  dm close --id 9c3e21a0 --reason COMPLETE --link https://github.com/acme/payments/pull/42 \\
           --query "Find deferred_maintenance with entityName='payments'" --yes
  dm close --id 9c3e21a0 --reason RISK_ACCEPTED --link https://wiki.example.com/adr/17 --until 90d --yes
  dm close --id 9c3e21a0 --reason ERROR --yes`,
    )
    .action((o) => {
      setResult(
        import("./commands/close.js").then((m) =>
          m.closeCommand(ctx, {
            id: o.id,
            query: o.query,
            reason: o.reason,
            link: o.link,
            until: o.until,
            dryRun: o.dryRun,
            yes: o.yes,
            json: o.json,
            db: o.db,
          }),
        ),
      );
    });

  program
    .command("reconcile")
    .description("Reopen expired risk acceptances and bring tracked items in step with their queries")
    .option("--json", "print the counts as JSON")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
For every item opened with --track, the query runs again: an open finding
whose entity no longer matches is closed COMPLETE by "dm" (with the date as
evidence), an entity that newly matches gets a finding with the item's due
date. A closed finding whose entity matches again stays closed: that work was
done (open a new item if the problem is back). Nothing is closed when the
latest run of a source failed or was partial.

Examples:
  dm reconcile
  dm reconcile --json`,
    )
    .action((o) => {
      setResult(import("./commands/reconcile.js").then((m) => m.reconcileCommand(ctx, { json: o.json, db: o.db })));
    });
  // ---- end open, close, reconcile ----

  // ---- maintenance: report, list, show, check, stats ----
  program
    .command("report")
    .description("Open maintenance of a repository (default: the current checkout), a team, or what you opened")
    .option("-r, --repo <name>", "the repository's name (or _key) in the graph, instead of the current checkout")
    .option("--owner <team>", "the open findings of everything this team or person owns")
    .option("--mine", "also the items you opened (DM_USER, else git user.email), wherever they are")
    .option("--json", "print the report as JSON")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
\`dm\` with no arguments inside a git checkout is \`dm report\` for that repository,
found by its remote URL (remoteUrl, url or webLink of a CodeRepo), else by name.

Examples:
  dm
  dm report --repo payments
  dm report --owner platform --json
  dm report --mine`,
    )
    .action((o) => {
      setResult(
        import("./commands/report.js").then((m) =>
          m.reportCommand(ctx, { repo: o.repo, owner: o.owner, mine: o.mine, json: o.json, db: o.db }),
        ),
      );
    });

  program
    .command("list")
    .description("Open maintenance findings, one row per entity, by due date")
    .addOption(new Option("--overdue [days]", "only overdue findings; with DAYS, overdue by more than that (7, 7d, 2w)"))
    .option("--id <maintenanceId>", "only this maintenance item")
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json", "csv"]).default("table"))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm list --overdue
  dm list --overdue 30 --format csv > late.csv
  dm list --id 9c3e21a0 --format json`,
    )
    .action((o) => {
      setResult(
        import("./commands/list.js").then((m) =>
          m.listCommand(ctx, { overdue: o.overdue, id: o.id, format: o.format, db: o.db }),
        ),
      );
    });

  program
    .command("show")
    .description("One maintenance item: what, why, due, progress, and its findings")
    .argument("<maintenanceId>", "the item's id (8 hex digits, shown by dm list and dm stats)")
    .option("-a, --all", "every finding, not only the first 50")
    .option("--json", "print the item as JSON")
    .addOption(dbOption())
    .action((id: string, o) => {
      setResult(
        import("./commands/show.js").then((m) => m.showCommand(ctx, { id, all: o.all, json: o.json, db: o.db })),
      );
    });

  program
    .command("check")
    .description("CI gate: exit 1 when the repository has maintenance overdue by more than the grace")
    .option("-r, --repo <name>", "the repository's name (or _key) in the graph, instead of the current checkout")
    .option("--grace <duration>", "tolerated lateness: 7d, 2w, 12h (default 0: anything overdue fails)", "0")
    .option("--json", "print the result as JSON")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Exit status: 0 ok, 1 overdue maintenance, 2 the repository is unknown or the
options are wrong, 3 the database failed.

Examples:
  dm check --grace 7d
  dm check --repo payments --json`,
    )
    .action((o) => {
      setResult(
        import("./commands/check.js").then((m) =>
          m.checkCommand(ctx, { repo: o.repo, grace: o.grace, json: o.json, db: o.db }),
        ),
      );
    });

  const vulns = program
    .command("vulns")
    .description("Vulnerabilities: an offline OSV advisory database, lockfile scans, tracked findings");
  const osvDbOption = () =>
    new Option("--osv-db <file>", "the advisory database (default: DM_OSV_DB, else vulns.db in dm.config.yaml, else ~/.deferred-maintenance/osv.db)");
  const vulnsDb = vulns.command("db").description("The offline advisory database");
  vulnsDb
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
    )
    .action((source: string, o) => {
      setResult(
        import("./commands/vulns.js").then((m) =>
          m.vulnsDbImportCommand(ctx, { source, osvDb: o.osvDb, config: o.config, json: o.json }),
        ),
      );
    });
  vulnsDb
    .command("status")
    .description("Advisories per ecosystem, the newest modification and its age, the last import")
    .addOption(osvDbOption())
    .option("--config <file>", "config file with a vulns: section")
    .option("--json", "print it as JSON")
    .action((o) => {
      setResult(import("./commands/vulns.js").then((m) => m.vulnsDbStatusCommand(ctx, { osvDb: o.osvDb, config: o.config, json: o.json })));
    });
  vulns
    .command("scan")
    .description("Match packages against the advisory database: the lockfiles under [path], else every package in the graph")
    .argument("[path]", "a folder (its lockfiles) or one lockfile; without it the graph is scanned and findings are kept")
    .addOption(new Option("-f, --format <format>", "output format (sarif only with a path)").choices(["table", "json", "sarif"]).default("table"))
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
    .option("-o, --output <file>", "write the report to this file instead of stdout")
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

Examples:
  dm vulns scan .                                   # this checkout's lockfiles; exit 1 if anything is found
  dm vulns scan . --format sarif -o results.sarif --fail-on high
  dm vulns scan                                     # the graph: findings for every repo and host`,
    )
    .action((target: string | undefined, o) => {
      setResult(
        import("./commands/vulns.js").then((m) =>
          m.vulnsScanCommand(ctx, {
            ...(target === undefined ? {} : { path: target }),
            format: o.format,
            failOn: o.failOn,
            output: o.output,
            osvDb: o.osvDb,
            config: o.config,
            db: o.db,
          }),
        ),
      );
    });

  program
    .command("stats")
    .description("Progress of maintenance items, worst first; one item in full with its burndown and forecast")
    .argument("[maintenanceId]", "one item in full")
    .option("--json", "print the statistics as JSON (with the daily burndown series)")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Done: closed for any reason (COMPLETE, ERROR or RISK_ACCEPTED); DONE % is
done / all findings. Overdue: open and past due. Pace: findings closed per
day over the last 14 days (or since the item was opened, if younger).
Forecast: open / pace, from today; "not converging" when nothing was closed
in that window or the finish is more than three years away. The burndown
counts findings open at the end of each day from their createdOn to their
closedOn (a reopened finding counts as open since it was created).

Examples:
  dm stats
  dm stats 9c3e21a0
  dm stats 9c3e21a0 --json | jq '.burndown[-7:]'`,
    )
    .action((id: string | undefined, o) => {
      setResult(import("./commands/stats.js").then((m) => m.statsCommand(ctx, { id, json: o.json, db: o.db })));
    });
  // ---- end report, list, show, check, stats ----

  // ---- team server: serve, token ----
  program
    .command("serve")
    .description("Serve the graph over HTTP: a JSON API with tokens and roles, /metrics, /healthz, /readyz")
    .option("-p, --port <port>", "TCP port (0: any free port)", "8080")
    .option("--host <host>", "address to listen on (0.0.0.0 for every interface)", "127.0.0.1")
    .option("--query-timeout <ms>", "stop a J1QL query after this long (504)", positiveInt("--query-timeout"))
    .option("--max-body <bytes>", "largest request body accepted (413)", positiveInt("--max-body"))
    .option("--rate-limit <n>", "requests per minute per token (429)", positiveInt("--rate-limit"))
    .option("--config <file>", "dm.config.yaml whose schedule: section lists the jobs to run (default: here, then ~/.deferred-maintenance/)")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Every /api/v1 route needs Authorization: Bearer <token> (dm token create).
SIGTERM or Ctrl-C stops taking requests, finishes the ones in flight, exits 0.
See docs/server.md; the routes are described at /api/openapi.json.

Examples:
  dm serve
  DM_DATABASE_URL=postgres://dm@db/dm dm serve --host 0.0.0.0 --port 8080`,
    )
    .action((o) => {
      setResult(
        import("./commands/serve.js").then((m) =>
          m.serveCommand(ctx, {
            port: o.port,
            host: o.host,
            queryTimeoutMs: o.queryTimeout,
            maxBodyBytes: o.maxBody,
            rateLimit: o.rateLimit,
            config: o.config,
            db: o.db,
          }),
        ),
      );
    });
  const token = program.command("token").description("API tokens for dm serve: create (shown once), list, revoke");
  token
    .command("create")
    .description("Make a token; it is printed once, only its SHA-256 is stored")
    .requiredOption("--name <name>", "who or what uses it: ci-payments, alice@example.com")
    .addOption(new Option("--role <role>", "reader: query and read · maintainer: also open, close, reconcile · admin: also tokens, imports, syncs").choices(["reader", "maintainer", "admin"]).makeOptionMandatory())
    .option("--expires <lifetime>", "90d, 12w (default: never)")
    .option("--json", "print the token and its record as JSON")
    .addOption(dbOption())
    .action((o) => {
      setResult(import("./commands/token.js").then((m) => m.tokenCreateCommand(ctx, { name: o.name, role: o.role, expires: o.expires, json: o.json, db: o.db })));
    });
  token
    .command("list")
    .description("Tokens with role, status, created, last used, expiry (never the token)")
    .option("--json", "print them as JSON")
    .addOption(dbOption())
    .action((o) => {
      setResult(import("./commands/token.js").then((m) => m.tokenListCommand(ctx, { json: o.json, db: o.db })));
    });
  token
    .command("revoke")
    .description("Refuse a token from now on (its name stays taken)")
    .argument("<name>", "the token's name")
    .option("--json", "print the revoked token's record as JSON")
    .addOption(dbOption())
    .action((name: string, o) => {
      setResult(import("./commands/token.js").then((m) => m.tokenRevokeCommand(ctx, { name, json: o.json, db: o.db })));
    });
  // ---- end team server ----

  // ---- on-call access control ----
  const oncall = program
    .command("oncall")
    .description("On-call access control: the people on call in PagerDuty, in an LDAP group (and GitLab)");
  const oncallOptions = (c: Command) =>
    c
      .option("-c, --config <file>", "the on-call config (default: dm-oncall.yaml here, else in ~/.deferred-maintenance/)")
      .option("--deputize-config <file>", "read a Deputize config.json instead (secrets from its Vault path)")
      .option("--json", "print the result as JSON")
      .addOption(dbOption());
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
    )
    .action((o) => {
      setResult(import("./commands/oncall.js").then((m) => m.oncallSyncCommand(ctx, o)));
    });
  oncallOptions(oncall.command("status").description("The group, who PagerDuty says is on call, and the difference (changes nothing)")).action(
    (o) => {
      setResult(import("./commands/oncall.js").then((m) => m.oncallStatusCommand(ctx, o)));
    },
  );
  // ---- end on-call ----

  return program;
}

/** Print an error for a person: the message, the details, no stack. */
function report(ctx: CommandContext, error: DmError): void {
  ctx.stderr.write(`${ctx.style.red("error:")} ${redact(error.message)}\n`);
  for (const line of error.details) ctx.stderr.write(`${redact(line)}\n`);
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  const stderrStyle = createStyle(!!io.stderr.isTTY && !("NO_COLOR" in io.env));
  try {
    config = loadConfig(io.env);
  } catch (error) {
    io.stderr.write(`${stderrStyle.red("error:")} ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const colour = !!io.stdout.isTTY && !config.noColor;
  let logger: Logger | undefined;
  let actor: string | undefined;
  const ctx: CommandContext = {
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: io.stdin,
    isTTY: !!io.stdout.isTTY,
    stderrIsTTY: !!io.stderr.isTTY,
    interactive: io.prompter !== undefined || (!!io.stdinIsTTY && !!io.stdout.isTTY),
    prompter() {
      return io.prompter ?? terminalPrompter(io.stdin, io.stderr as unknown as NodeJS.WritableStream);
    },
    actor() {
      actor ??= resolveActor({ user: config.user, cwd: io.cwd });
      return actor;
    },
    cwd: io.cwd,
    config,
    style: createStyle(colour),
    // pino is loaded on first use: most commands never log.
    get logger() {
      logger ??= createLogger(config.logLevel, io.stderr);
      return logger;
    },
    now: io.now ?? (() => Date.now()),
    async openStore(db) {
      const { openStore, defaultDatabasePath } = await import("../store/open-store.js");
      return openStore(db ?? config.databaseUrl ?? defaultDatabasePath(config.homeDir));
    },
    async remote(db) {
      // --db names a database: that wins over the server
      if (db !== undefined || config.server === undefined) return undefined;
      const { RemoteClient } = await import("./remote.js");
      return new RemoteClient(config.server.url, config.server.token);
    },
  };
  let pending: Promise<unknown> | undefined;
  const program = buildProgram(ctx, (p) => {
    pending = p;
  });
  try {
    let args = argv;
    if (args.length === 0) {
      // `dm` alone: inside a git checkout, that repository's report; elsewhere, the help.
      const { gitCheckout } = await import("./commands/report.js");
      if (!gitCheckout(io.cwd)) {
        program.outputHelp();
        return EXIT.ok;
      }
      args = ["report"];
    } else if (/^-/.test(args[0]!) && !["-h", "--help", "-V", "--version"].includes(args[0]!)) {
      // `dm --mine`, `dm --repo x`, `dm --db path`: options of the report.
      args = ["report", ...args];
    }
    await program.parseAsync(args, { from: "user" });
    if (pending) await pending;
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they exit 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof DmError) {
      report(ctx, error);
      return error.exitCode;
    }
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof DmError) {
      report(ctx, cause);
      return cause.exitCode;
    }
    ctx.stderr.write(
      `${ctx.style.red("internal error:")} ${redact(String((error as Error)?.message ?? error))}\n` +
        "This is a bug in dm. Please report it with the command you ran" +
        (config.debug ? ".\n" : " (set DM_DEBUG=1 for the stack trace).\n"),
    );
    if (config.debug && error instanceof Error && error.stack) ctx.stderr.write(`${redact(error.stack)}\n`);
    return EXIT.internal;
  }
}

/** Entry point of the binaries: run, then exit with the code. */
export async function main(): Promise<never> {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY,
    env: process.env,
    cwd: process.cwd(),
  });
  // Let stdout drain before exiting (large --format json output to a pipe).
  await new Promise<void>((resolve) => {
    if (process.stdout.writableLength === 0) resolve();
    else process.stdout.once("drain", () => resolve());
  });
  process.exit(code);
}
