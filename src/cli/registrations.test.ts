/**
 * Every command's flags reach its implementation. The implementations are
 * replaced by recorders, then each command runs through `runCli` with every
 * one of its options given: the recorder must receive each option under its
 * own name with the parsed value (numbers parsed, choices checked), the
 * positional arguments, and the context. A flag that a registration forgot
 * to pass on, renamed, or routed to the wrong command fails here.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Command, Option } from "@commander-js/extra-typings";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { dm, tempDir } from "../../test/helpers/cli.js";
import { CheckFailedError, ExternalServiceError, InputError } from "../shared/errors.js";
import type { CommandContext } from "./context.js";
import { buildProgram } from "./main.js";
import { createStyle } from "./output.js";

interface Call {
  name: string;
  ctx: CommandContext;
  options: Record<string, unknown>;
}

const { calls, fail, recorders } = vi.hoisted(() => {
  const calls: Call[] = [];
  const fail: { next?: Error } = {};
  const recorders = (...names: string[]) =>
    Object.fromEntries(
      names.map((name) => [
        name,
        async (ctx: CommandContext, options: Record<string, unknown>) => {
          calls.push({ name, ctx, options });
          if (fail.next) throw fail.next;
        },
      ]),
    );
  return { calls, fail, recorders };
});

vi.mock("./commands/query.js", () => recorders("queryCommand"));
vi.mock("./commands/import.js", () => recorders("importCommand"));
vi.mock("./commands/export.js", () => recorders("exportCommand", "exportFindings"));
vi.mock("./commands/demo.js", () => recorders("demoCommand"));
vi.mock("./commands/sync.js", () => recorders("syncCommand"));
vi.mock("./commands/sources.js", () => recorders("sourcesCommand"));
vi.mock("./commands/open.js", () => recorders("openCommand"));
vi.mock("./commands/close.js", () => recorders("closeCommand"));
vi.mock("./commands/reconcile.js", () => recorders("reconcileCommand"));
vi.mock("./commands/report.js", () => recorders("reportCommand"));
vi.mock("./commands/list.js", () => recorders("listCommand"));
vi.mock("./commands/show.js", () => recorders("showCommand"));
vi.mock("./commands/check.js", () => recorders("checkCommand"));
vi.mock("./commands/vulns.js", () => recorders("vulnsDbImportCommand", "vulnsDbStatusCommand", "vulnsScanCommand"));
vi.mock("./commands/stats.js", () => recorders("statsCommand"));
vi.mock("./commands/serve.js", () => recorders("serveCommand"));
vi.mock("./commands/token.js", () => recorders("tokenCreateCommand", "tokenListCommand", "tokenRevokeCommand"));
vi.mock("./commands/oncall.js", () => recorders("oncallSyncCommand", "oncallStatusCommand"));
vi.mock("./commands/questions.js", () => recorders("questionsImportCommand", "questionsListCommand", "askCommand"));
vi.mock("./commands/rules.js", () => recorders("rulesListCommand", "rulesRunCommand", "rulesExplainCommand"));
vi.mock("./commands/alerts.js", () =>
  recorders("alertsListCommand", "alertsRunCommand", "alertsHistoryCommand", "alertsImportCommand", "alertsSilenceCommand", "alertsSilencesCommand"),
);
vi.mock("./commands/drill.js", () => recorders("drillCommand"));

vi.mock("./commands/alerts-digest.js", () => recorders("alertsDigestCommand"));

/**
 * Each command line and the implementation it must reach. `consumed`: flags
 * the registration itself acts on instead of passing them on.
 */
const COMMANDS: Record<string, { fn: string; consumed?: string[] }> = {
  query: { fn: "queryCommand" },
  import: { fn: "importCommand" },
  export: { fn: "exportFindings", consumed: ["findings"] },
  demo: { fn: "demoCommand" },
  sync: { fn: "syncCommand" },
  sources: { fn: "sourcesCommand" },
  open: { fn: "openCommand" },
  close: { fn: "closeCommand" },
  reconcile: { fn: "reconcileCommand" },
  report: { fn: "reportCommand" },
  list: { fn: "listCommand" },
  show: { fn: "showCommand" },
  check: { fn: "checkCommand" },
  "vulns db import": { fn: "vulnsDbImportCommand" },
  "vulns db status": { fn: "vulnsDbStatusCommand" },
  "vulns scan": { fn: "vulnsScanCommand" },
  stats: { fn: "statsCommand" },
  serve: { fn: "serveCommand" },
  "token create": { fn: "tokenCreateCommand" },
  "token list": { fn: "tokenListCommand" },
  "token revoke": { fn: "tokenRevokeCommand" },
  "oncall sync": { fn: "oncallSyncCommand" },
  "oncall status": { fn: "oncallStatusCommand" },
  "questions import": { fn: "questionsImportCommand" },
  "questions list": { fn: "questionsListCommand" },
  ask: { fn: "askCommand" },
  "rules list": { fn: "rulesListCommand" },
  "rules run": { fn: "rulesRunCommand" },
  "rules explain": { fn: "rulesExplainCommand" },
  "alerts list": { fn: "alertsListCommand" },
  "alerts run": { fn: "alertsRunCommand" },
  "alerts history": { fn: "alertsHistoryCommand" },
  "alerts import": { fn: "alertsImportCommand" },
  "alerts silence": { fn: "alertsSilenceCommand" },
  "alerts silences": { fn: "alertsSilencesCommand" },
  "alerts digest": { fn: "alertsDigestCommand" },
  drill: { fn: "drillCommand" },
};

/** The commands the program really has, by their path ("vulns db import"). */
async function leafCommands(): Promise<Map<string, Command>> {
  const out = { write: () => undefined };
  const ctx = { stdout: out, stderr: out, style: createStyle(false) } as unknown as CommandContext;
  const found = new Map<string, Command>();
  const walk = (command: Command, prefix: string[]) => {
    for (const sub of command.commands as Command[]) {
      const name = [...prefix, sub.name()];
      if (sub.commands.length === 0) found.set(name.join(" "), sub);
      else walk(sub, name);
    }
  };
  walk(await buildProgram(ctx), []);
  return found;
}

/** A value for an option and what the implementation should get for it. */
function sample(option: Option): { args: string[]; expected: unknown } {
  const flag = option.long ?? option.short ?? option.flags;
  if (!option.required && !option.optional) return { args: [flag], expected: true };
  if (option.argChoices) {
    // not the default, so a default cannot pass for the value given
    const value = option.argChoices.find((c) => c !== option.defaultValue) ?? option.argChoices[0]!;
    return { args: [flag, value], expected: value };
  }
  if (option.parseArg) return { args: [flag, "7"], expected: option.parseArg("7", undefined as never) };
  const value = `v-${option.attributeName()}`;
  return { args: [flag, value], expected: value };
}

beforeEach(() => {
  calls.length = 0;
  fail.next = undefined;
});

describe("command registrations", () => {
  it("every command in the program is one this test drives, and the other way round", async () => {
    expect([...(await leafCommands()).keys()].sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  for (const [commandPath, { fn, consumed = [] }] of Object.entries(COMMANDS)) {
    it(`dm ${commandPath} passes every option and argument to ${fn}`, async () => {
      const command = (await leafCommands()).get(commandPath);
      if (!command) throw new Error(`dm ${commandPath} is not registered`);
      const positional = command.registeredArguments.map((a) => `arg-${a.name()}`);
      const options = command.options as readonly Option[];
      expect(options.length).toBeGreaterThan(0);
      const samples = options.map((o) => ({ option: o, ...sample(o) }));
      const argv = [...commandPath.split(" "), ...positional, ...samples.flatMap((s) => s.args)];

      const r = await dm(argv);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(calls.map((c) => c.name)).toEqual([fn]);
      const [call] = calls;
      expect(typeof call!.ctx.openStore).toBe("function");
      for (const s of samples) {
        const key = s.option.attributeName();
        if (consumed.includes(key)) expect(call!.options).not.toHaveProperty(key);
        else expect(call!.options, `${s.option.flags} of dm ${commandPath}`).toHaveProperty(key, s.expected);
      }
      const values = Object.values(call!.options);
      for (const value of positional) expect(values).toContain(value);
    });
  }

  it("a short flag means one long flag on every command (-l is --link, never --limit)", async () => {
    const meaning = new Map<string, Set<string>>();
    for (const command of (await leafCommands()).values()) {
      for (const option of command.options as readonly Option[]) {
        if (!option.short) continue;
        const longs = meaning.get(option.short) ?? new Set<string>();
        longs.add(option.long ?? "");
        meaning.set(option.short, longs);
      }
    }
    const ambiguous = [...meaning].filter(([, longs]) => longs.size > 1).map(([short, longs]) => `${short}: ${[...longs].join(", ")}`);
    expect(ambiguous).toEqual([]);
    expect([...(meaning.get("-l") ?? [])]).toEqual(["--link"]);
  });

  it("defaults and the short flags arrive as parsed, typed values", async () => {
    expect((await dm(["query", "Find CodeRepo", "-L", "20", "-a", "-f", "csv"])).code).toBe(0);
    expect(calls[0]!.options).toEqual({ query: "Find CodeRepo", limit: 20, all: true, format: "csv" });
    calls.length = 0;
    expect((await dm(["query", "Find Host"])).code).toBe(0);
    expect(calls[0]!.options).toEqual({ query: "Find Host", format: "table" });
    calls.length = 0;
    expect((await dm(["serve"])).code).toBe(0);
    expect(calls[0]!.options).toEqual({ port: "8080", host: "127.0.0.1" });
    calls.length = 0;
    expect((await dm(["check"])).code).toBe(0);
    expect(calls[0]!.options).toEqual({ grace: "0" });
    calls.length = 0;
    expect((await dm(["list", "--overdue"])).code).toBe(0);
    expect(calls[0]!.options).toEqual({ overdue: true, format: "table" });
  });

  it("export without --findings writes the graph", async () => {
    expect((await dm(["export", "-o", "graph.yaml"])).code).toBe(0);
    expect(calls.map((c) => c.name)).toEqual(["exportCommand"]);
    expect(calls[0]!.options).toEqual({ out: "graph.yaml" });
  });

  it("dm --mine runs the report with that flag", async () => {
    expect((await dm(["--mine", "--json"])).code).toBe(0);
    expect(calls.map((c) => c.name)).toEqual(["reportCommand"]);
    expect(calls[0]!.options).toEqual({ mine: true, json: true });
  });

  it("what a command throws after it started decides the exit code", async () => {
    const cases: [Error, number, RegExp][] = [
      [new InputError("--grace is wrong"), 2, /^error: --grace is wrong\n$/],
      [new CheckFailedError("payments is overdue"), 1, /^error: payments is overdue\n$/],
      [new ExternalServiceError("database", "the database refused the connection"), 3, /^error: the database refused/],
      [new TypeError("x is undefined"), 70, /^internal error: x is undefined\nThis is a bug in dm/],
    ];
    for (const [error, code, stderr] of cases) {
      fail.next = error;
      const r = await dm(["check", "--repo", "payments"]);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(stderr);
    }
  });

  it("a wrong value never reaches the command: exit 2 naming the flag", async () => {
    const r = await dm(["serve", "--rate-limit", "lots"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rate-limit must be a positive whole number, not "lots"');
    const s = await dm(["vulns", "scan", "--fail-on", "severe"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain("argument 'severe' is invalid. Allowed choices are any, critical, high, medium, low, none.");
    expect(calls).toEqual([]);
  });
});

describe("start-up", () => {
  const root = path.resolve(import.meta.dirname, "../..");
  const dir = tempDir("dm-startup-");
  // A preload that writes down every module the binary loads: CommonJS through
  // Module._load (bin/dm runs dist/cjs/), and ES modules through a resolve hook.
  const hooks = path.join(dir, "hooks.mjs");
  fs.writeFileSync(
    hooks,
    `import fs from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  fs.appendFileSync(process.env.DM_TRACE, r.url + "\\n");
  return r;
}`,
  );
  const register = path.join(dir, "register.cjs");
  fs.writeFileSync(
    register,
    `const fs = require("node:fs");
const Module = require("node:module");
const { pathToFileURL } = require("node:url");
Module.register(${JSON.stringify(`file://${hooks}`)});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try {
    const file = Module._resolveFilename(request, parent, isMain);
    if (require("node:path").isAbsolute(file)) fs.appendFileSync(process.env.DM_TRACE, pathToFileURL(file).href + "\\n");
  } catch {}
  return load.apply(this, arguments);
};
`,
  );

  /** The modules of dist/ and node_modules/ that `dm <args>` loads, as paths from there (dist/cjs/x as dist/x). */
  function loadedBy(args: string[]): string[] {
    return traced(args).map((u) => u.replace(/^dist\/cjs\//, "dist/"));
  }
  function traced(args: string[]): string[] {
    if (!fs.existsSync(path.join(root, "dist", "cjs", "cli", "main.js"))) {
      throw new Error("dist/ is missing: run `npm run build` first (npm test does it)");
    }
    const trace = path.join(dir, `loaded-${args.join("-")}.txt`);
    const r = spawnSync(process.execPath, ["--require", register, path.join(root, "bin", "dm"), ...args], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: dir, DM_TRACE: trace },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const loaded = fs.readFileSync(trace, "utf8").split("\n");
    return [...new Set(loaded.filter((u) => u.startsWith("file://")).map((u) => u.replace(/^.*\/(dist|node_modules)\//, "$1/")))];
  }

  it("bin/dm runs the CommonJS tree only: no ES module of dist/ in the process", () => {
    const loaded = traced(["--version"]);
    expect(loaded).toContain("dist/cjs/cli/main.js");
    expect(loaded.filter((u) => u.startsWith("dist/") && !u.startsWith("dist/cjs/"))).toEqual([]);
  });

  /** Modules that only running a command needs: implementations, the store, the query engine, yaml, pino, drivers. */
  const heavy = (u: string) =>
    /^dist\/cli\/commands\/(?![a-z-]+\.command\.js$)/.test(u) ||
    // core/maintenance/actor.js (who is acting: node built-ins only) is the one core module main needs
    (/^dist\/(store|query|server|integrations|core)\//.test(u) && u !== "dist/core/maintenance/actor.js") ||
    /^node_modules\/(yaml|pino|better-sqlite3|pg)\//.test(u);

  it("dm --version loads no command at all", () => {
    const loaded = loadedBy(["--version"]);
    expect(loaded).toContain("dist/cli/main.js");
    expect(loaded.filter((u) => u.startsWith("dist/cli/commands/"))).toEqual([]);
    expect(loaded.filter(heavy)).toEqual([]);
  });

  it("dm query --help loads the query's registration, not its implementation nor the other commands", () => {
    const loaded = loadedBy(["query", "--help"]);
    expect(loaded.filter((u) => u.startsWith("dist/cli/commands/"))).toEqual(["dist/cli/commands/query.command.js"]);
    expect(loaded.filter(heavy)).toEqual([]);
  });

  it("dm --help loads every registration and no implementation", () => {
    const loaded = loadedBy(["--help"]);
    // questions.command.js holds two registrations (dm questions, dm ask)
    expect(loaded.filter((u) => u.endsWith(".command.js"))).toHaveLength(22);
    expect(loaded.filter(heavy)).toEqual([]);
  });
});
