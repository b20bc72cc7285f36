/**
 * Remote mode: one suite of commands run twice, once on a local database
 * (DM_DATABASE_URL) and once against a team server (DM_SERVER, DM_TOKEN),
 * from the same start. Every step must print the same thing and exit with
 * the same code in both modes.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../src/core/tokens/tokens.js";
import { dm, tempDir } from "./helpers/cli.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 23, 12);
const USER = "tester@example.com";

const GRAPH = {
  entities: [
    { _key: "team:core", _type: "team", _class: "Team", displayName: "Core", name: "core" },
    { _key: "repo:payments", _type: "git_repo", _class: "CodeRepo", name: "payments", webLink: "https://git.example.com/acme/payments", terraformVersion: "0.12" },
    { _key: "repo:website", _type: "git_repo", _class: "CodeRepo", name: "website", terraformVersion: "0.12" },
    { _key: "repo:docs", _type: "git_repo", _class: "CodeRepo", name: "docs", terraformVersion: "1.5" },
  ],
  relationships: [{ _key: "core|owns|payments", _type: "team_owns_git_repo", _class: "OWNS", _fromEntityKey: "team:core", _toEntityKey: "repo:payments" }],
};

interface Step {
  name: string;
  args: string[];
  /** the clock for this step */
  at: number;
  cwd?: string;
}

type Outcome = { code: number; stdout: string; stderr: string };

let root: string;
let graphFile: string;
let checkout: string;

function steps(id: string): Step[] {
  const tf = "Find CodeRepo with terraformVersion = '0.12'";
  const later = T0 + 40 * DAY;
  return [
    { name: "import", args: ["import", graphFile], at: T0 },
    { name: "query table", args: ["query", "Find CodeRepo with terraformVersion = '0.12'"], at: T0 },
    { name: "query json, all pages", args: ["query", "Find CodeRepo", "--format", "json", "--limit", "1", "--all"], at: T0 },
    { name: "query error", args: ["query", "Find CodeRepo wiht name = 'x'"], at: T0 },
    { name: "open dry run", args: ["open", "--query", tf, "--short", "Upgrade Terraform", "--link", "https://wiki.example.com/tf", "--due", "30d", "--dry-run"], at: T0 },
    { name: "open", args: ["open", "--query", tf, "--short", "Upgrade Terraform", "--link", "https://wiki.example.com/tf", "--due", "30d", "--track", "--yes"], at: T0 },
    { name: "open without --yes", args: ["open", "--query", tf, "--short", "Other", "--link", "https://wiki.example.com/x", "--due", "30d"], at: T0 },
    { name: "list", args: ["list"], at: T0 },
    { name: "list json", args: ["list", "--format", "json"], at: T0 },
    { name: "show", args: ["show", id], at: T0 },
    { name: "stats", args: ["stats"], at: T0 },
    { name: "report by name", args: ["report", "--repo", "payments"], at: T0 },
    { name: "report of the checkout, with --mine", args: ["report", "--mine"], at: T0, cwd: checkout },
    { name: "report of an unknown repo", args: ["report", "--repo", "nope"], at: T0 },
    { name: "report by owner", args: ["report", "--owner", "Core"], at: T0 },
    { name: "check in time", args: ["check", "--repo", "payments"], at: T0 },
    { name: "check overdue", args: ["check", "--repo", "payments", "--grace", "7d"], at: later },
    { name: "list overdue", args: ["list", "--overdue", "7"], at: later },
    { name: "close one repo", args: ["close", "--id", id, "--reason", "COMPLETE", "--link", "https://git.example.com/acme/payments/pull/7", "--query", "Find deferred_maintenance that HAS CodeRepo with name='payments'", "--yes"], at: later },
    { name: "accept the risk", args: ["close", "--id", id, "--reason", "RISK_ACCEPTED", "--until", "30d", "--link", "https://tickets.example.com/SEC-1", "--yes"], at: later },
    { name: "stats of the item", args: ["stats", id], at: later },
    { name: "reconcile, dry run", args: ["reconcile", "--dry-run"], at: later + 31 * DAY },
    { name: "reconcile", args: ["reconcile"], at: later + 31 * DAY },
    { name: "show after reconcile", args: ["show", id], at: later + 31 * DAY },
    { name: "sources", args: ["sources"], at: later },
    { name: "findings export", args: ["export", "--findings", "--format", "csv"], at: later },
    { name: "close: bad reason", args: ["close", "--id", id, "--reason", "DONE", "--yes"], at: later },
    { name: "show: no such item", args: ["show", "00000000"], at: later },
  ];
}

async function runAll(env: Record<string, string>, setClock: (t: number) => void, id: string): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  for (const step of steps(id)) {
    setClock(step.at);
    const r = await dm(step.args, { env: { HOME: path.join(root, "home"), DM_USER: USER, ...env }, now: step.at, cwd: step.cwd ?? root });
    out.set(step.name, r);
  }
  return out;
}

describe("remote mode: the same commands, the same output and exit codes", () => {
  let server: TestServer;
  let clock = T0;
  let local: Map<string, Outcome>;
  let remote: Map<string, Outcome>;
  // the item's id is derived from its short description and query: the same in both modes
  let id = "";

  beforeAll(async () => {
    root = tempDir("dm-remote-");
    fs.mkdirSync(path.join(root, "home"));
    graphFile = path.join(root, "graph.json");
    fs.writeFileSync(graphFile, JSON.stringify(GRAPH));
    checkout = path.join(root, "payments");
    fs.mkdirSync(checkout);
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: checkout });
    execFileSync("git", ["remote", "add", "origin", "https://git.example.com/acme/payments.git"], { cwd: checkout });

    const { maintenanceIdFor } = await import("../src/core/maintenance/finding.js");
    id = maintenanceIdFor("Upgrade Terraform", "Find CodeRepo with terraformVersion = '0.12'");

    local = await runAll({ DM_DATABASE_URL: path.join(root, "local.db") }, () => undefined, id);

    server = await startTestServer("sqlite", { now: () => clock });
    // the token is named like the local user, so "who opened it" reads the same
    const { token } = await createToken(server.store, { name: USER, role: "admin" }, { now: T0, actor: "setup" });
    remote = await runAll({ DM_SERVER: server.url, DM_TOKEN: token }, (t) => (clock = t), id);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const step of steps("x")) {
    it(step.name, () => {
      const l = local.get(step.name)!;
      const r = remote.get(step.name)!;
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: l.code, stdout: l.stdout, stderr: l.stderr });
    });
  }

  it("the suite covers successes and each kind of failure", () => {
    const codes = [...local.values()].map((o) => o.code);
    expect(codes.filter((c) => c === 0).length).toBeGreaterThan(15);
    expect(local.get("check overdue")!.code).toBe(1);
    expect(local.get("query error")!.code).toBe(2);
    expect(local.get("query error")!.stderr).toContain("^");
    expect(local.get("show: no such item")!.code).toBe(2);
    expect(local.get("open")!.stdout).toContain(`Opened 2 findings · id ${id}`);
    expect(local.get("report of the checkout, with --mine")!.stdout).toContain("payments");
    // accepted until 30 days later, reopened by reconcile a day after that
    expect(local.get("show after reconcile")!.stdout).toContain("2: 1 open (1 overdue), 1 closed (1 complete)");
  });

  it("the server wrote what the commands did, as the token's name", async () => {
    const log = await server.store.auditLog({ limit: 100 });
    expect(log.some((e) => e.action === "open" && e.actor === USER)).toBe(true);
    expect(log.some((e) => e.action === "close" && e.actor === USER)).toBe(true);
  });
});

describe("remote mode: failures", () => {
  it("a server that is not there is an external failure (exit 3); the token never shows", async () => {
    const secret = "dm_secret-token-value-123456";
    const r = await dm(["list"], { env: { DM_SERVER: "http://127.0.0.1:9", DM_TOKEN: secret } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("cannot reach the dm server at http://127.0.0.1:9");
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("a wrong token is refused (exit 2), a reader may not write (exit 2), no token is bad input", async () => {
    const server = await startTestServer("sqlite");
    try {
      const bad = await dm(["list"], { env: { DM_SERVER: server.url, DM_TOKEN: "dm_wrong" } });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("the dm server refused the token");
      const reader = await dm(["reconcile"], { env: { DM_SERVER: server.url, DM_TOKEN: server.tokens.reader } });
      expect(reader.code).toBe(2);
      expect(reader.stderr).toContain("may not do this");
      const none = await dm(["list"], { env: { DM_SERVER: server.url } });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("DM_TOKEN is not");
      const badUrl = await dm(["list"], { env: { DM_SERVER: "dm.example.com" } });
      expect(badUrl.code).toBe(2);
      expect(badUrl.stderr).toContain("DM_SERVER");
      // --db names a local database: it wins over the server
      const db = path.join(tempDir(), "x.db");
      expect((await dm(["import", "-", "--db", db], { stdin: '{"entities": []}' })).code).toBe(0);
      const forced = await dm(["list", "--db", db], { env: { DM_SERVER: "http://127.0.0.1:9", DM_TOKEN: "x" } });
      expect(forced.code).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe("remote mode: dm vulns scan of the graph", () => {
  it("scans with the server's advisory database and prints what a local scan prints", async () => {
    const dir = tempDir("dm-remote-vulns-");
    const { AdvisoryDb } = await import("../src/core/vulns/db.js");
    const { advisoryTexts } = await import("../src/core/vulns/sources.js");
    const { defaultVulnsConfig } = await import("../src/core/vulns/config.js");
    const { SqliteStore } = await import("../src/store/sqlite/sqlite-store.js");
    const { startServer } = await import("../src/server/serve.js");
    const { createLogger } = await import("../src/shared/logger.js");
    const osvDb = path.join(dir, "osv.db");
    const advisories = AdvisoryDb.open(osvDb, { create: true });
    await advisories.import(advisoryTexts(path.join(import.meta.dirname, "../src/core/vulns/fixtures/GHSA-35jh-r3h4-6jhm.json")), { now: T0, source: "test" });
    advisories.close();
    const graph = {
      entities: [
        { _key: "repo:shop", _type: "git_repo", _class: "CodeRepo", name: "shop" },
        { _key: "npm:lodash@4.17.20", _type: "npm_package", _class: "CodeModule", name: "lodash", version: "4.17.20", ecosystem: "npm" },
      ],
      relationships: [{ _key: "shop|uses|lodash", _type: "git_repo_uses_npm_package", _class: "USES", _fromEntityKey: "repo:shop", _toEntityKey: "npm:lodash@4.17.20", manifest: "package-lock.json" }],
    };
    const file = path.join(dir, "graph.json");
    fs.writeFileSync(file, JSON.stringify(graph));
    const env = { HOME: path.join(dir, "home"), DM_USER: USER, DM_OSV_DB: osvDb };

    const localDb = path.join(dir, "local.db");
    expect((await dm(["import", file], { env: { ...env, DM_DATABASE_URL: localDb }, now: T0 })).code).toBe(0);
    const local = await dm(["vulns", "scan"], { env: { ...env, DM_DATABASE_URL: localDb }, now: T0 });

    const store = SqliteStore.open(path.join(dir, "server.db"));
    const { token } = await createToken(store, { name: USER, role: "maintainer" }, { now: T0, actor: "setup" });
    const server = await startServer({
      store,
      logger: createLogger("silent"),
      now: () => T0,
      cwd: dir,
      dataDir: path.join(dir, "server-home"),
      version: "test",
      host: "127.0.0.1",
      port: 0,
      vulns: { osvDb, config: defaultVulnsConfig() },
    });
    try {
      await store.upsert(graph, { now: T0, source: "import" });
      const remote = await dm(["vulns", "scan"], { env: { ...env, DM_SERVER: server.url, DM_TOKEN: token }, now: T0 });
      expect(local.code).toBe(0);
      expect(local.stdout).toMatch(/high\s+GHSA-35jh-r3h4-6jhm\s+shop\s+lodash\s+4\.17\.20\s+4\.17\.21\s+in 30 days/);
      expect({ code: remote.code, stdout: remote.stdout, stderr: remote.stderr }).toEqual({ code: local.code, stdout: local.stdout, stderr: local.stderr });
    } finally {
      // stops taking requests and closes the store
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
