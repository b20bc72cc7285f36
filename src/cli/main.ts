/**
 * The `dm` program. `runCli` parses arguments, runs one command and returns
 * the exit code; `main` is the only place that exits the process.
 *
 * Exit codes: 0 success; 1 a check or policy found a problem; 2 bad input or
 * usage; 3 an external service or the database failed; 70 an internal bug.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { resolveActor } from "../core/maintenance/actor.js";
import { loadConfig } from "../shared/config.js";
import { DmError, InputError } from "../shared/errors.js";
import { createLogger, type Logger, redact } from "../shared/logger.js";
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

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
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
    .description("Deferred maintenance: an asset graph, the chores owed on it, and who is on call.")
    .version(version(), "-V, --version", "print the version")
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
    .description("Write the whole graph in the bulk format")
    .option("-o, --out <file>", "write to this file (atomically) instead of stdout")
    .addOption(new Option("-f, --format <format>", "json or yaml (default: from --out's extension, else json)").choices(["json", "yaml"]))
    .option("--include-deleted", "also export entities and edges marked deleted")
    .addOption(dbOption())
    .action((o) => {
      setResult(
        import("./commands/export.js").then((m) =>
          m.exportCommand(ctx, { out: o.out, format: o.format, includeDeleted: o.includeDeleted, db: o.db }),
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

  // ---- maintenance: open, close, reconcile ----
  // ---- end open, close, reconcile ----

  // ---- maintenance: report, list, show, check, stats ----
  // ---- end report, list, show, check, stats ----

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
  };
  let pending: Promise<unknown> | undefined;
  const program = buildProgram(ctx, (p) => {
    pending = p;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(argv, { from: "user" });
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
