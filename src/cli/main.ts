/**
 * The `dm` program. Each command declares itself (flags, help, action) in
 * `commands/<name>.command.ts`; this file lists them, loads the one the
 * command line names, runs it and maps what it throws to the exit code. `runCli` returns that code; `main` is the only
 * place that exits the process.
 *
 * Exit codes: 0 success; 1 a check or policy found a problem; 2 bad input or
 * usage; 3 an external service or the database failed; 70 an internal bug.
 */
import type { Command } from "@commander-js/extra-typings";
import { resolveActor } from "../core/maintenance/actor.js";
import { loadConfig } from "../shared/config.js";
import { DmError } from "../shared/errors.js";
import { createLogger, type Logger, redact } from "../shared/logger.js";
import { packageVersion } from "../shared/version.js";
import type { CommandContext } from "./context.js";
import { createStyle, type Out } from "./output.js";
import { type Prompter, terminalPrompter } from "./prompt.js";
import type { Registration } from "./registration.js";

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

/**
 * Every command, in the order `dm --help` lists them. A registration is
 * loaded only when the command line needs it: `dm query ...` loads the
 * query's, `dm --version` none, help and mistyped commands all of them.
 */
const COMMANDS: Record<string, () => Promise<Registration>> = {
  query: () => import("./commands/query.command.js").then((m) => m.queryRegistration),
  questions: () => import("./commands/questions.command.js").then((m) => m.questionsRegistration),
  ask: () => import("./commands/questions.command.js").then((m) => m.askRegistration),
  import: () => import("./commands/import.command.js").then((m) => m.importRegistration),
  export: () => import("./commands/export.command.js").then((m) => m.exportRegistration),
  demo: () => import("./commands/demo.command.js").then((m) => m.demoRegistration),
  sync: () => import("./commands/sync.command.js").then((m) => m.syncRegistration),
  sources: () => import("./commands/sources.command.js").then((m) => m.sourcesRegistration),
  open: () => import("./commands/open.command.js").then((m) => m.openRegistration),
  close: () => import("./commands/close.command.js").then((m) => m.closeRegistration),
  reconcile: () => import("./commands/reconcile.command.js").then((m) => m.reconcileRegistration),
  report: () => import("./commands/report.command.js").then((m) => m.reportRegistration),
  list: () => import("./commands/list.command.js").then((m) => m.listRegistration),
  show: () => import("./commands/show.command.js").then((m) => m.showRegistration),
  check: () => import("./commands/check.command.js").then((m) => m.checkRegistration),
  vulns: () => import("./commands/vulns.command.js").then((m) => m.vulnsRegistration),
  rules: () => import("./commands/rules.command.js").then((m) => m.rulesRegistration),
  alerts: () => import("./commands/alerts.command.js").then((m) => m.alertsRegistration),
  drill: () => import("./commands/drill.command.js").then((m) => m.drillRegistration),
  stats: () => import("./commands/stats.command.js").then((m) => m.statsRegistration),
  serve: () => import("./commands/serve.command.js").then((m) => m.serveRegistration),
  token: () => import("./commands/token.command.js").then((m) => m.tokenRegistration),
  oncall: () => import("./commands/oncall.command.js").then((m) => m.oncallRegistration),
};

/** commander, once loaded (the plain repo report runs without it). */
let commander: typeof import("@commander-js/extra-typings") | undefined;

/**
 * The options of `dm report` when the command line is the plain repo report
 * (`dm` in a checkout, `dm --db X`, `dm report [--db X]`): what commander
 * would parse from it, without loading commander. Anything else: undefined.
 */
export function plainReport(args: readonly string[]): { db?: string } | undefined {
  if (args[0] !== "report") return undefined;
  if (args.length === 1) return {};
  const db = args.length === 3 && args[1] === "--db" ? args[2]! : undefined;
  // a value commander could read otherwise (an option-like word, empty) goes through commander
  if (db === undefined || db === "" || db.startsWith("-")) return undefined;
  return { db };
}

/** The commands `args` can reach: the one it names, none for the version, else all (help, suggestions). */
function commandsFor(args: readonly string[] | undefined): string[] {
  const first = args?.[0];
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  if (first === "-V" || first === "--version") return [];
  return Object.keys(COMMANDS);
}

/** The program with the commands `args` can reach (without `args`, every command). */
export async function buildProgram(ctx: CommandContext, args?: readonly string[]): Promise<Command> {
  commander ??= await import("@commander-js/extra-typings");
  const program = new commander.Command("dm")
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
  const registrations = await Promise.all(commandsFor(args).map((name) => COMMANDS[name]!()));
  for (const register of registrations) register(program, ctx);
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
    async openStore(db, access) {
      const { openStore, defaultDatabasePath } = await import("../store/open-store.js");
      return openStore(db ?? config.databaseUrl ?? defaultDatabasePath(config.homeDir), {
        mustExist: access?.create !== true,
        ...(access?.readOnce ? { readOnce: true } : {}),
        // Said to a person at a terminal; scripts and pipes keep a clean stderr.
        onCreate: (location) => {
          if (io.stderr.isTTY) io.stderr.write(`dm: created a new database at ${location}\n`);
        },
      });
    },
    async remote(db) {
      // --db names a database: that wins over the server
      if (db !== undefined || config.server === undefined) return undefined;
      const { RemoteClient } = await import("./remote.js");
      return new RemoteClient(config.server.url, config.server.token);
    },
  };
  try {
    let args = argv;
    if (args.length === 0) {
      // `dm` alone: inside a git checkout, that repository's report; elsewhere, the help.
      const { gitCheckout } = await import("./commands/report.js");
      if (!gitCheckout(io.cwd)) {
        (await buildProgram(ctx)).outputHelp();
        return EXIT.ok;
      }
      args = ["report"];
    } else if (/^-/.test(args[0]!) && !["-h", "--help", "-V", "--version"].includes(args[0]!)) {
      // `dm --mine`, `dm --repo x`, `dm --db path`: options of the report.
      args = ["report", ...args];
    }
    const plain = plainReport(args);
    if (plain) {
      // the report a developer runs all day: commander and the registration are not needed to read `--db X`
      const { reportCommand } = await import("./commands/report.js");
      await reportCommand(ctx, plain);
      return EXIT.ok;
    }
    // The actions return their command's promise: parseAsync settles when the command has.
    const program = await buildProgram(ctx, args);
    await program.parseAsync(args, { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (commander && error instanceof commander.CommanderError) {
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
