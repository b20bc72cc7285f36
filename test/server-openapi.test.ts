/**
 * /api/openapi.json describes what the server really answers: a real `dm
 * serve` over the sample organisation (and on-call, a scheduled job, an
 * advisory scan), every GET route and the writes called for real, and each
 * 2xx body validated with ajv against the response schema the document gives
 * for that operation and status. On SQLite and PostgreSQL.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Ajv2020Module, { type ValidateFunction } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordMembership } from "../src/core/oncall/graph.js";
import { SAMPLE_ADVISORIES } from "../src/core/sample/advisories.js";
import { DEMO_SIZE, generateOrg } from "../src/core/sample/generate-org.js";
import { parseCron } from "../src/core/schedule/cron.js";
import type { Timer } from "../src/core/schedule/scheduler.js";
import { createToken } from "../src/core/tokens/tokens.js";
import { AdvisoryDb, OSV_DB_FILE } from "../src/core/vulns/db.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { createLogger } from "../src/shared/logger.js";
import { openStore } from "../src/store/open-store.js";
import { BACKENDS, createTestDatabase, dropTestDatabase } from "./helpers/pg.js";

/** ajv is CommonJS: its class is the module's default export. */
const Ajv2020 = Ajv2020Module.default;
const NOW = Date.UTC(2026, 5, 1, 12);
const idleTimer: Timer = { set: () => 0, clear: () => undefined };

type Operation = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
type Doc = { paths: Record<string, Record<string, Operation>> };

/** A validator per operation and 2xx status, from the document's response schemas. */
function responseValidators(doc: Doc): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!status.startsWith("2")) continue;
        const [content] = Object.values(response.content ?? {});
        if (content) validators.set(`${method.toUpperCase()} ${p} ${status}`, ajv.compile(content.schema));
      }
    }
  }
  return validators;
}

/** The document's path pattern a concrete URL path matches. */
function patternOf(doc: Doc, urlPath: string): string {
  const found = Object.keys(doc.paths).find((p) => new RegExp(`^${p.replace(/\{\w+\}/g, "[^/]+")}$`).test(urlPath));
  if (!found) throw new Error(`no operation for ${urlPath}`);
  return found;
}

describe("the OpenAPI response schemas", () => {
  it("reject a body its schema does not allow (a wrong type, a missing field, an extra one)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-openapi-unit-"));
    const store = await openStore(path.join(dir, "dm.db"));
    const server = await startServer({
      store,
      logger: createLogger("silent"),
      now: () => NOW,
      cwd: process.cwd(),
      dataDir: dir,
      version: "test",
      host: "127.0.0.1",
      port: 0,
      webDir: null,
    });
    try {
      const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as Doc;
      const validate = responseValidators(doc).get("GET /readyz 200")!;
      const session = responseValidators(doc).get("GET /api/v1/session 200")!;
      expect(validate({ status: "ready", database: "sqlite" })).toBe(true);
      expect(validate({ status: "ready", database: "oracle" })).toBe(false);
      expect(validate({ status: "ready" })).toBe(false);
      expect(validate({ status: "ready", database: "sqlite", extra: 1 })).toBe(false);
      expect(session({ name: "a", role: "reader", expiresOn: null, oncall: false, owner: null })).toBe(true);
      expect(session({ name: "a", role: "reader", expiresOn: null, oncall: false, owner: "payments" })).toBe(true);
      expect(session({ name: "a", role: "reader", expiresOn: null, oncall: false })).toBe(false);
      expect(session({ name: "a", role: "reader", expiresOn: "never", oncall: false, owner: null })).toBe(false);
    } finally {
      await server.stop(1000);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(BACKENDS)("every response matches /api/openapi.json: %s", (backend) => {
  let server: RunningServer;
  let doc: Doc;
  let validators: Map<string, ValidateFunction>;
  let admin: string;
  const dirs: string[] = [];
  let dropDb: (() => Promise<void>) | undefined;
  let clock = NOW;
  /** "METHOD pattern" of every call made */
  const called = new Set<string>();

  async function call(method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${admin}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(server.url + route, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    expect(res.status, `${method} ${route}: ${text.slice(0, 300)}`).toBeLessThan(300);
    const pattern = patternOf(doc, new URL(route, server.url).pathname);
    const key = `${method} ${pattern} ${res.status}`;
    const validate = validators.get(key);
    expect(validate, `no response schema for ${key}`).toBeDefined();
    const isJson = (res.headers.get("content-type") ?? "").startsWith("application/json");
    const json: unknown = isJson ? JSON.parse(text) : text;
    const ok = validate!(json);
    expect(ok ? [] : validate!.errors, `${key} does not match its schema`).toEqual([]);
    called.add(`${method} ${pattern}`);
    return { status: res.status, json, text };
  }

  beforeAll(async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "dm-openapi-"));
    dirs.push(home);
    let where: string;
    if (backend === "postgres") {
      where = await createTestDatabase();
      const url = where;
      dropDb = () => dropTestDatabase(url);
    } else {
      where = path.join(home, "dm.db");
    }
    const store = await openStore(where);
    await store.upsertMany(generateOrg({ size: DEMO_SIZE, now: NOW }), { now: NOW, source: "demo" });
    await recordMembership(
      store,
      {
        groupDN: "cn=oncall,ou=groups,dc=example,dc=org",
        members: [{ key: "uid=carol,ou=people,dc=example,dc=org", value: "uid=carol,ou=people,dc=example,dc=org", name: "carol", email: "carol@example.com" }],
        removed: [],
      },
      NOW,
    );
    await store.audit({ at: NOW, actor: "scheduler", action: "oncall.sync", subject: "ldap-group:x", details: { added: ["carol"] } });
    admin = (await createToken(store, { name: "admin", role: "admin" }, { now: NOW, actor: "setup" })).token;
    // the server's advisory database: dataDir/osv.db
    const advisories = AdvisoryDb.open(path.join(home, OSV_DB_FILE), { create: true });
    await advisories.import(
      SAMPLE_ADVISORIES.map((a, i) => ({ file: `sample[${i}]`, text: JSON.stringify(a) })),
      { now: NOW, source: "test" },
    );
    advisories.close();
    server = await startServer({
      store,
      logger: createLogger("silent"),
      now: () => clock,
      cwd: home,
      dataDir: home,
      version: "test",
      host: "127.0.0.1",
      port: 0,
      webDir: null,
      jobs: [{ name: "noop", schedule: parseCron("* * * * *"), run: async () => ({ ran: true }) }],
      timer: idleTimer,
    });
    clock += 61_000;
    await server.scheduler!.tick();
    doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as Doc;
    validators = responseValidators(doc);
  });

  afterAll(async () => {
    await server?.stop(1000);
    await dropDb?.();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gives every operation a non-empty 2xx response schema", () => {
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => ({ id: `${m} ${p}`, op })));
    expect(operations.length).toBeGreaterThanOrEqual(30);
    for (const { id, op } of operations) {
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith("2"));
      expect(success.length, id).toBeGreaterThan(0);
      for (const [, response] of success) {
        const schemas = Object.values(response.content ?? {}).map((c) => c.schema);
        expect(schemas.length, id).toBe(1);
        expect(Object.keys(schemas[0]!).length, `${id} has an empty response schema`).toBeGreaterThan(0);
      }
    }
    expect(doc.paths["/metrics"]!.get!.responses["200"]!.content!["text/plain"]!.schema.type).toBe("string");
  });

  it("answers every GET route and the writes with bodies its document allows", async () => {
    // reads over the sample organisation
    const overview = (await call("GET", "/api/v1/overview")).json as {
      campaigns: { maintenanceId: string }[];
      riskiestAssets: { id: string | null; name: string }[];
      riskiestOwners: { owner: string }[];
    };
    expect(overview.campaigns.length).toBeGreaterThan(0);
    const campaignId = overview.campaigns[0]!.maintenanceId;
    const asset = overview.riskiestAssets.find((a) => a.id !== null)!;
    await call("GET", `/api/v1/campaigns/${campaignId}`);
    await call("GET", `/api/v1/entities/${asset.id}`);
    await call("GET", `/api/v1/entities/${asset.id}/relationships`);
    const assetFindings = (await call("GET", `/api/v1/entities/${asset.id}/findings`)).json as { findings: unknown[] };
    expect(assetFindings.findings.length).toBeGreaterThan(0);
    const oncall = (await call("GET", "/api/v1/oncall")).json as { groups: unknown[] };
    expect(oncall.groups).toHaveLength(1);
    for (const route of ["/healthz", "/readyz", "/metrics", "/api/openapi.json", "/api/v1/session", "/api/v1/whoami", "/api/v1/sources"]) {
      await call("GET", route);
    }
    await call("GET", "/api/v1/maintenance");
    await call("GET", "/api/v1/maintenance?overdue=true");
    await call("GET", `/api/v1/maintenance?id=${campaignId}`);
    await call("GET", "/api/v1/stats");
    await call("GET", `/api/v1/stats/${campaignId}`);
    await call("GET", `/api/v1/findings?id=${campaignId}`);
    await call("GET", `/api/v1/report?owner=${encodeURIComponent(overview.riskiestOwners[0]!.owner)}`);
    await call("GET", `/api/v1/teams/${encodeURIComponent(overview.riskiestOwners[0]!.owner)}`);
    await call("GET", `/api/v1/search?q=${encodeURIComponent(overview.riskiestOwners[0]!.owner.slice(0, 2))}&limit=5`);
    const repos = (await call("POST", "/api/v1/query", { query: "Find CodeRepo with name != undefined as r return r.name as name", limit: 5 })).json as {
      data: { name: string }[];
    };
    const repoName = repos.data[0]!.name;
    await call("GET", `/api/v1/report?repo=${encodeURIComponent(repoName)}`);
    await call("GET", `/api/v1/check?repo=${encodeURIComponent(repoName)}&grace=7d`);
    const repo = (await call("GET", `/api/v1/repo?name=${encodeURIComponent(repoName)}`)).json as { repo: unknown };
    expect(repo.repo).not.toBeNull();
    expect(((await call("GET", "/api/v1/repo?name=no-such-repo")).json as { repo: unknown }).repo).toBeNull();
    const findings = (await call("GET", "/api/v1/findings")).json as { findings: { createdBy: string }[] };
    await call("GET", `/api/v1/mine?actor=${encodeURIComponent(findings.findings[0]!.createdBy)}`);
    const questions = (await call("GET", "/api/v1/questions")).json as { questions: { source: string }[] };
    expect(questions.questions.some((q) => q.source === "built-in")).toBe(true);
    expect(((await call("GET", "/api/v1/questions?tag=vulnerabilities")).json as { questions: unknown[] }).questions).toHaveLength(1);
    const jobs = (await call("GET", "/api/v1/jobs")).json as { jobs: { lastRun: unknown }[] };
    expect(jobs.jobs[0]!.lastRun).not.toBeNull();

    // the three shapes of a query
    await call("POST", "/api/v1/query", { query: "Find CodeRepo", limit: 3 });
    await call("POST", "/api/v1/query", { query: "Find CodeRepo as r return r.name, count(r)" });
    await call("POST", "/api/v1/query", { query: `Find * with _id = '${asset.id}' that RELATES TO * return tree` });

    // writes
    await call("POST", "/api/v1/graph?source=test", {
      entities: [{ _key: "repo:openapi", _type: "github_repo", _class: "CodeRepo", name: "openapi-test", owner: "web" }],
    });
    const body = { query: "Find CodeRepo with name='openapi-test'", shortDescription: "Check the schemas", webLink: "https://wiki.example.com/s", due: "10d" };
    expect((await call("POST", "/api/v1/maintenance", { ...body, dryRun: true })).status).toBe(200);
    const opened = await call("POST", "/api/v1/maintenance", body);
    expect(opened.status).toBe(201);
    const id = (opened.json as { maintenanceId: string }).maintenanceId;
    await call("POST", `/api/v1/maintenance/${id}/close`, { reason: "RISK_ACCEPTED", link: "https://wiki.example.com/adr/2", until: "30d", dryRun: true });
    await call("POST", `/api/v1/maintenance/${id}/close`, { reason: "COMPLETE", link: "https://git.example.com/o/pull/1" });
    expect((await call("POST", `/api/v1/maintenance/${id}/reopen`, { dryRun: true })).json).toMatchObject({ reopened: 1, dryRun: true });
    await call("POST", "/api/v1/reconcile", {});
    const scan = (await call("POST", "/api/v1/vulns/scan", {})).json as { instances: number };
    expect(scan.instances).toBeGreaterThan(0);
    await call("POST", "/api/v1/tokens", { name: "short", role: "reader", expires: "1d" });
    await call("GET", "/api/v1/tokens");
    await call("DELETE", "/api/v1/tokens/short");
    await call("GET", "/api/v1/audit?limit=20");
    const hosts = path.join(dirs[0]!, "hosts.json");
    fs.writeFileSync(hosts, JSON.stringify([{ hostname: "openapi-1" }]));
    await call("POST", "/api/v1/sync", { integration: "hosts", settings: { file: hosts } });
    await call("POST", "/api/v1/alerts/rules?source=openapi", [
      { name: "open-findings", description: "d", queries: [{ name: "q", query: "Find deferred_maintenance with closed = false", version: "v1" }], alertLevel: "LOW" },
    ]);
    const alerts = (await call("GET", "/api/v1/alerts")).json as { rules: { name: string }[] };
    expect(alerts.rules.map((r) => r.name)).toContain("open-findings");
    await call("POST", "/api/v1/alerts/run", { dryRun: true });
    await call("POST", "/api/v1/alerts/silences", { rule: "open-findings", until: "7d", reason: "openapi test" });
    await call("GET", "/api/v1/alerts/silences");
    await call("GET", "/api/v1/alerts/history?limit=5");
    const rules = (await call("GET", "/api/v1/rules")).json as { rules: { id: string }[] };
    expect(rules.rules.map((r) => r.id)).toContain("repave-host-age");
    const dry = (await call("POST", "/api/v1/rules/run", { dryRun: true })).json as { dryRun: boolean };
    expect(dry.dryRun).toBe(true);
    await call("POST", "/api/v1/rules/run", { rule: "hygiene-no-owner" });
    const explained = (await call("GET", "/api/v1/rules/explain?entity=openapi-1")).json as { entity: { _key: string } };
    expect(explained.entity._key).toContain("openapi-1");

    // every GET the document lists was called (a new route cannot go unchecked)
    const gets = Object.entries(doc.paths).flatMap(([p, ops]) => ("get" in ops ? [`GET ${p}`] : []));
    expect(gets.filter((g) => !called.has(g))).toEqual([]);
    expect(called.size).toBe(Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0));
  });

  it("validates the overview body in full: a changed field fails", async () => {
    const { json } = await call("GET", "/api/v1/overview");
    const validate = validators.get("GET /api/v1/overview 200")!;
    const broken = structuredClone(json) as { riskiestAssets: Record<string, unknown>[] };
    broken.riskiestAssets[0]!.open = "3";
    expect(validate(broken)).toBe(false);
  });
});
