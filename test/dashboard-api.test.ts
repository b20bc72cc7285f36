/**
 * What the dashboard reads, on SQLite and PostgreSQL: the routes added for it
 * (session, overview, campaign, an entity's relationships and findings with
 * their history, on-call), their auth, and the static files `dm serve`
 * answers for every path outside the API: content types, the page for
 * client-side routes, cache headers, and no way out of the folder.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordMembership } from "../src/core/oncall/graph.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { createLogger } from "../src/shared/logger.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { BACKENDS } from "./helpers/pg.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const DAY = 86_400_000;
const DASHBOARD_ROUTES = [
  "/api/v1/session",
  "/api/v1/overview",
  "/api/v1/campaigns/0a1b2c3d",
  "/api/v1/entities/1/relationships",
  "/api/v1/entities/1/findings",
  "/api/v1/oncall",
  "/api/v1/teams/web",
  "/api/v1/search?q=pay",
];

const graph = {
  entities: [
    { _key: "team:platform", _type: "team", _class: "Team", name: "platform", displayName: "platform" },
    { _key: "team:web", _type: "team", _class: "Team", name: "web", displayName: "web" },
    { _key: "repo:payments", _type: "github_repo", _class: "CodeRepo", name: "payments", displayName: "payments", owner: "platform" },
    { _key: "repo:billing", _type: "github_repo", _class: "CodeRepo", name: "billing", displayName: "billing", owner: "platform" },
    { _key: "repo:website", _type: "github_repo", _class: "CodeRepo", name: "website", displayName: "website", owner: "web" },
  ],
  relationships: [
    { _key: "p-payments", _type: "team_owns_repo", _class: "OWNS", _fromEntityKey: "team:platform", _toEntityKey: "repo:payments" },
    { _key: "p-billing", _type: "team_owns_repo", _class: "OWNS", _fromEntityKey: "team:platform", _toEntityKey: "repo:billing" },
    { _key: "w-website", _type: "team_owns_repo", _class: "OWNS", _fromEntityKey: "team:web", _toEntityKey: "repo:website" },
  ],
};

describe.each(BACKENDS)("dashboard API: %s", (backend) => {
  let t: TestServer;
  let clock = Date.UTC(2026, 0, 10, 12);
  let late: string;
  let fresh: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestServer(backend, { now: () => clock });
    expect((await t.call("POST", "/api/v1/graph", { body: graph })).status).toBe(200);
    const open = (shortDescription: string, query: string, due: string) =>
      t.call("POST", "/api/v1/maintenance", { token: t.tokens.maintainer, body: { query, shortDescription, webLink: "https://wiki.example.com/x", due } });
    // "late": three repos, due in 10 days; "fresh": one repo, due in 90
    late = (await open("Upgrade Terraform", "Find CodeRepo", "10d")).json.maintenanceId;
    fresh = (await open("Rotate keys", "Find CodeRepo with name='website'", "90d")).json.maintenanceId;
    clock += 20 * DAY;
    const close = await t.call("POST", `/api/v1/maintenance/${late}/close`, {
      token: t.tokens.maintainer,
      body: { reason: "COMPLETE", link: "https://git.example.com/payments/pull/7", query: "Find deferred_maintenance that HAS CodeRepo with name='payments'" },
    });
    expect(close.json.closed).toBe(1);
    const accept = await t.call("POST", `/api/v1/maintenance/${late}/close`, {
      token: t.tokens.maintainer,
      body: { reason: "RISK_ACCEPTED", link: "https://wiki.example.com/adr/1", until: "30d", query: "Find deferred_maintenance that HAS CodeRepo with name='billing'" },
    });
    expect(accept.json.closed).toBe(1);
    const list = await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: "Find (CodeRepo|Team)" } });
    for (const item of list.json.data) ids[item.properties.name] = item.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses each dashboard route without a valid token (401); a reader is enough", async () => {
    for (const route of DASHBOARD_ROUTES) {
      for (const token of [null, "dm_not-a-real-token"]) {
        const r = await t.call("GET", route, { token });
        expect([route, r.status, r.json?.error?.code]).toEqual([route, 401, "unauthorized"]);
      }
      const ok = await t.call("GET", route, { token: t.tokens.reader });
      expect([route, ok.status === 401 || ok.status === 403]).toEqual([route, false]);
    }
    const doc = (await t.call("GET", "/api/openapi.json", { token: null })).json;
    for (const p of ["/api/v1/session", "/api/v1/overview", "/api/v1/campaigns/{id}", "/api/v1/entities/{id}/relationships", "/api/v1/entities/{id}/findings", "/api/v1/oncall", "/api/v1/teams/{owner}", "/api/v1/search"]) {
      expect(doc.paths[p].get["x-dm-role"]).toBe("reader");
    }
  });

  it("names the caller's token, never the token itself", async () => {
    const r = await t.call("GET", "/api/v1/session", { token: t.tokens.maintainer });
    expect(r.json).toEqual({ name: "maintainer", role: "maintainer", expiresOn: null, oncall: false, owner: null });
    expect(r.text).not.toContain(t.tokens.maintainer);
  });

  it("sums up open, overdue and accepted, ranks assets and owners, and puts the campaign most behind first", async () => {
    const r = await t.call("GET", "/api/v1/overview", { token: t.tokens.reader });
    expect(r.status).toBe(200);
    // late: payments closed, billing accepted, website open and 10 days overdue; fresh: website open, due in 70 days
    expect(r.json.counts).toEqual({ total: 4, open: 2, overdue: 1, accepted: 1, closed: 2, campaigns: 2, assets: 1, owners: 1 });
    expect(r.json.riskiestAssets[0]).toMatchObject({ name: "website", id: ids.website, open: 2, overdue: 1, maxDaysOverdue: 10, owner: "web" });
    expect(r.json.riskiestOwners).toEqual([{ owner: "web", assets: 1, open: 2, overdue: 1, maxDaysOverdue: 10, totalDaysOverdue: 10 }]);
    expect(r.json.campaigns.map((c: { maintenanceId: string }) => c.maintenanceId)).toEqual([late, fresh]);
    const [first, second] = r.json.campaigns;
    // past due: should be all done, is 2/3
    expect(first.expected).toBe(1);
    expect(first.behind).toBeCloseTo(1 / 3, 5);
    // 20 of 90 days gone, nothing done
    expect(second.behind).toBeCloseTo(20 / 90, 5);
    expect(first).not.toHaveProperty("burndown");
  });

  it("gives one campaign in full: burndown, forecast, every finding with its asset and status", async () => {
    const r = await t.call("GET", `/api/v1/campaigns/${late}`, { token: t.tokens.reader });
    expect(r.status).toBe(200);
    expect(r.json.stats).toMatchObject({ maintenanceId: late, total: 3, open: 1, overdue: 1, completion: 2 / 3 });
    expect(r.json.stats.burndown.at(-1).open).toBe(1);
    const rows = Object.fromEntries(r.json.findings.map((f: { entityName: string }) => [f.entityName, f]));
    expect(rows.website).toMatchObject({ status: "overdue", daysOverdue: 10, assetId: ids.website, owner: "web", link: null });
    expect(rows.payments).toMatchObject({ status: "COMPLETE", daysOverdue: null, assetId: ids.payments, link: "https://git.example.com/payments/pull/7", closedBy: "maintainer" });
    expect(rows.billing).toMatchObject({ status: "RISK_ACCEPTED", acceptedUntil: clock + 30 * DAY });
    expect((await t.call("GET", "/api/v1/campaigns/0a1b2c3d", { token: t.tokens.reader })).status).toBe(404);
    const bad = await t.call("GET", "/api/v1/campaigns/nope", { token: t.tokens.reader });
    expect([bad.status, bad.json.error.code]).toEqual([400, "bad_input"]);
  });

  it("gives a team's page: the owner report's counts (without case), accepted items, worst assets, burndown and the CLI command", async () => {
    const r = await t.call("GET", "/api/v1/teams/WEB", { token: t.tokens.reader });
    expect(r.status).toBe(200);
    const report = (await t.call("GET", "/api/v1/report?owner=web", { token: t.tokens.reader })).json;
    expect([r.json.counts.open, r.json.counts.overdue]).toEqual([report.open, report.overdue]);
    expect(r.json).toMatchObject({ owner: "web", team: { id: ids.web, key: "team:web", name: "web" }, command: "dm report --owner web" });
    expect(r.json.counts).toEqual({ total: 2, open: 2, overdue: 1, accepted: 0, closed: 0, campaigns: 2 });
    expect(r.json.worstAssets.map((a: { name: string; id: string; overdue: number }) => [a.name, a.id, a.overdue])).toEqual([["website", ids.website, 1]]);
    expect(r.json.stats.burndown.at(-1).open).toBe(2);
    expect(r.json.campaigns.map((c: { maintenanceId: string }) => c.maintenanceId)).toEqual([late, fresh]);
    expect(r.json.findings.map((f: { entityName: string; status: string; maintenanceId: string }) => [f.entityName, f.status, f.maintenanceId])).toEqual([
      ["website", "overdue", late],
      ["website", "open", fresh],
    ]);
    // platform: nothing open, one risk accepted (listed with its expiry), one complete
    const platform = (await t.call("GET", "/api/v1/teams/platform", { token: t.tokens.reader })).json;
    expect(platform.counts).toMatchObject({ open: 0, overdue: 0, accepted: 1, closed: 2 });
    expect(platform.findings).toMatchObject([{ entityName: "billing", status: "RISK_ACCEPTED", acceptedUntil: expect.any(Number) }]);
    const unknown = await t.call("GET", "/api/v1/teams/nobody", { token: t.tokens.reader });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, "not_found"]);
  });

  it("searches repos, teams and campaigns by the start of their name, without case, values bound", async () => {
    const names = async (q: string, extra = "") =>
      (await t.call("GET", `/api/v1/search?q=${encodeURIComponent(q)}${extra}`, { token: t.tokens.reader })).json.results.map(
        (x: { kind: string; name: string; path: string }) => `${x.kind}:${x.name}:${x.path}`,
      );
    expect(await names("PAY")).toEqual([`repo:payments:/assets/${ids.payments}`]);
    expect(await names("w")).toEqual([`team:web:/teams/web`, `repo:website:/assets/${ids.website}`]);
    expect(await names("upgrade")).toEqual([`campaign:Upgrade Terraform:/campaigns/${late}`]);
    expect(await names(late.slice(0, 4))).toContain(`campaign:Upgrade Terraform:/campaigns/${late}`);
    // a prefix, not a substring; LIKE's wildcards and quotes are plain text
    expect(await names("ayments")).toEqual([]);
    expect(await names("%")).toEqual([]);
    expect(await names("_")).toEqual([]);
    expect(await names("' or 1=1 --")).toEqual([]);
    const limited = (await t.call("GET", "/api/v1/search?q=&limit=1", { token: t.tokens.reader })).json;
    expect(limited).toEqual({ query: "", results: [], truncated: false });
    const one = (await t.call("GET", "/api/v1/search?q=p&limit=1", { token: t.tokens.reader })).json;
    expect([one.results.length, one.truncated]).toEqual([1, true]);
    // a limit past the maximum is the maximum; a limit that is not a number is refused
    expect((await t.call("GET", "/api/v1/search?q=p&limit=500", { token: t.tokens.reader })).status).toBe(200);
    expect((await t.call("GET", "/api/v1/search?q=p&limit=ten", { token: t.tokens.reader })).status).toBe(400);
  });

  it("finds an entity by its _key as well as its _id", async () => {
    const byKey = await t.call("GET", "/api/v1/entities/repo:payments", { token: t.tokens.reader });
    expect([byKey.status, byKey.json.id]).toEqual([200, ids.payments]);
    const rels = await t.call("GET", `/api/v1/entities/${encodeURIComponent("repo:payments")}/relationships`, { token: t.tokens.reader });
    expect([rels.status, rels.json.id]).toEqual([200, ids.payments]);
    expect((await t.call("GET", "/api/v1/entities/repo:payments/findings", { token: t.tokens.reader })).json.findings).toHaveLength(1);
    expect((await t.call("GET", "/api/v1/entities/repo:nothing", { token: t.tokens.reader })).status).toBe(404);
  });

  it("lists an entity's relationships both ways, with the entity at the other end", async () => {
    const r = await t.call("GET", `/api/v1/entities/${ids.payments}/relationships`, { token: t.tokens.reader });
    expect(r.status).toBe(200);
    const summary = r.json.relationships.map((x: { class: string; direction: string; other: { displayName: string; type: string } }) => [
      x.class,
      x.direction,
      x.other.type,
      x.other.displayName,
    ]);
    expect(summary).toEqual([
      ["HAS", "out", "deferred_maintenance", "Upgrade Terraform"],
      ["OWNS", "in", "team", "platform"],
    ]);
    const team = await t.call("GET", `/api/v1/entities/${ids.platform}/relationships`, { token: t.tokens.reader });
    expect(team.json.relationships.map((x: { other: { displayName: string } }) => x.other.displayName)).toEqual(["billing", "payments"]);
    expect((await t.call("GET", "/api/v1/entities/999999/relationships", { token: t.tokens.reader })).status).toBe(404);
    expect((await t.call("GET", "/api/v1/entities/x'y/relationships", { token: t.tokens.reader })).status).toBe(404);
  });

  it("shows an asset's findings with their history from the finding and the audit log", async () => {
    const r = await t.call("GET", `/api/v1/entities/${ids.payments}/findings`, { token: t.tokens.reader });
    expect(r.status).toBe(200);
    expect(r.json.findings).toHaveLength(1);
    const f = r.json.findings[0];
    expect(f).toMatchObject({ maintenanceId: late, status: "COMPLETE", maintenanceLink: "https://git.example.com/payments/pull/7" });
    expect(f.history.map((h: { what: string; by: string }) => `${h.what} by ${h.by}`)).toEqual(["closed COMPLETE by maintainer", "opened by maintainer"]);
    // the item's audit entries, newest first: accept (billing), close (payments), open
    expect(f.audit.map((a: { action: string; actor: string }) => `${a.action} ${a.actor}`)).toEqual(["accept maintainer", "close maintainer", "open maintainer"]);
    expect(f.audit[1].details).toMatchObject({ reason: "COMPLETE", count: 1 });
    const website = await t.call("GET", `/api/v1/entities/${ids.website}/findings`, { token: t.tokens.reader });
    expect(website.json.findings.map((x: { status: string }) => x.status)).toEqual(["overdue", "open"]);
  });

  it("reports no on-call until dm oncall sync wrote a group, then its members and syncs", async () => {
    expect((await t.call("GET", "/api/v1/oncall", { token: t.tokens.reader })).json).toEqual({ configured: false, groups: [], syncs: [], audit: [] });
    const dn = "cn=oncall,ou=groups,dc=example,dc=org";
    await recordMembership(
      t.store,
      {
        groupDN: dn,
        members: [
          { key: "uid=carol,ou=people,dc=example,dc=org", value: "uid=carol,ou=people,dc=example,dc=org", name: "carol", email: "carol@example.com" },
          { key: "uid=alice,ou=people,dc=example,dc=org", value: "uid=alice,ou=people,dc=example,dc=org", name: "alice", email: "alice@example.com" },
        ],
        removed: [],
      },
      clock,
    );
    await t.store.audit({ at: clock, actor: "scheduler", action: "oncall.sync", subject: "ldap-group:x", details: { group: dn, added: ["carol"], removed: ["bob"] } });
    const r = await t.call("GET", "/api/v1/oncall", { token: t.tokens.reader });
    expect(r.json.configured).toBe(true);
    expect(r.json.groups).toHaveLength(1);
    expect(r.json.groups[0]).toMatchObject({ name: "oncall", dn });
    expect(r.json.groups[0].members.map((m: { name: string; email: string; since: number }) => [m.name, m.email, m.since])).toEqual([
      ["alice", "alice@example.com", clock],
      ["carol", "carol@example.com", clock],
    ]);
    expect(r.json.syncs).toMatchObject([{ integration: "oncall", status: "succeeded" }]);
    expect((await t.call("GET", "/api/v1/session", { token: t.tokens.reader })).json.oncall).toBe(true);
    expect(r.json.audit).toMatchObject([{ actor: "scheduler", details: { added: ["carol"], removed: ["bob"] } }]);
  });

  it("reopens closed findings by hand (maintainer): narrowed by a query, audited, an accepted one resuming its SLA clock", async () => {
    const route = `/api/v1/maintenance/${late}/reopen`;
    const billing = "Find deferred_maintenance with entityKey = 'repo:billing'";
    expect((await t.call("POST", route, { token: t.tokens.reader, body: { query: billing } })).status).toBe(403);
    // website's finding is open: nothing to reopen, and the answer says why
    const none = await t.call("POST", route, { token: t.tokens.maintainer, body: { query: "Find deferred_maintenance with entityKey = 'repo:website'" } });
    expect(none.status).toBe(400);
    expect(none.json.error.message).toBe(`no closed findings match item ${late}: nothing to reopen`);
    expect(none.json.error.details).toEqual(["  website: already open", `  website: a finding of another item (${fresh})`]);
    expect((await t.call("POST", `/api/v1/maintenance/${fresh}/reopen`, { token: t.tokens.maintainer, body: { query: billing } })).status).toBe(400);

    const before = (await t.call("GET", `/api/v1/entities/${ids.billing}/findings`, { token: t.tokens.reader })).json.findings[0];
    expect(before.status).toBe("RISK_ACCEPTED");
    clock += 5 * DAY;
    const dry = await t.call("POST", route, { token: t.tokens.maintainer, body: { query: billing, dryRun: true } });
    expect(dry.json).toMatchObject({ reopened: 1, dryRun: true });
    expect((await t.call("GET", `/api/v1/entities/${ids.billing}/findings`, { token: t.tokens.reader })).json.findings[0].status).toBe("RISK_ACCEPTED");
    const r = await t.call("POST", route, { token: t.tokens.maintainer, body: { query: billing } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ reopened: 1, skipped: [], dryRun: false, findings: [{ maintenanceId: late, entityKey: "repo:billing" }] });
    const after = (await t.call("GET", `/api/v1/entities/${ids.billing}/findings`, { token: t.tokens.reader })).json.findings[0];
    expect(after.status).toBe("overdue");
    expect(after.closeReason).toBeUndefined();
    // five days accepted: due five days later
    expect(after.dueDate - before.dueDate).toBe(5 * DAY);
    expect(after.history[0]).toMatchObject({ what: "reopened", by: "maintainer" });
    expect(after.history[0].details).toMatch(/^reopened by maintainer \(was RISK_ACCEPTED on \d{4}-\d\d-\d\d\); accepted for 5 days/);
    expect(after.audit[0]).toMatchObject({ action: "reopen", actor: "maintainer", details: { count: 1, why: "reopened by hand", query: billing } });
  });
});

describe("dashboard files", () => {
  let dir: string;
  let server: RunningServer;
  const INDEX = "<!doctype html><title>dm</title><div id=root></div>";

  /** A raw request: fetch and URL would normalise the dots away before they reach the server. */
  function raw(method: string, target: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: server.port, method, path: target }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-web-"));
    const web = path.join(dir, "web");
    fs.mkdirSync(path.join(web, "assets"), { recursive: true });
    fs.writeFileSync(path.join(web, "index.html"), INDEX);
    fs.writeFileSync(path.join(web, "assets", "index-AbC123.js"), "console.log('dm')");
    fs.writeFileSync(path.join(web, "assets", "index-AbC123.css"), "body{}");
    fs.writeFileSync(path.join(web, "favicon.svg"), "<svg/>");
    fs.writeFileSync(path.join(dir, "secret.txt"), "SECRET-OUTSIDE");
    fs.symlinkSync(path.join(dir, "secret.txt"), path.join(web, "link.txt"));
    server = await startServer({
      store: SqliteStore.open(path.join(dir, "dm.db")),
      logger: createLogger("silent"),
      cwd: dir,
      dataDir: dir,
      version: "test",
      host: "127.0.0.1",
      port: 0,
      webDir: web,
    });
  });
  afterAll(async () => {
    await server?.stop(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves the page at / and for the dashboard's own paths, never cached, with a same-origin CSP", async () => {
    // an asset's key may end like a file name (a package version): still the dashboard's page
    for (const p of ["/", "/campaigns/9c3e21a0", "/assets/42", "/query?q=Find%20Host", "/assets/npm%3Aleft-pad%401.3.0", "/assets/repo:checkout-proxy"]) {
      const r = await raw("GET", p);
      expect([p, r.status, r.headers["content-type"], r.body]).toEqual([p, 200, "text/html; charset=utf-8", INDEX]);
      expect(r.headers["cache-control"]).toBe("no-cache");
      expect(r.headers["content-security-policy"]).toContain("default-src 'self'");
      expect(r.headers["content-security-policy"]).toContain("connect-src 'self'");
    }
  });

  it("serves hashed assets with their content type and a year of immutable cache; HEAD without a body", async () => {
    const js = await raw("GET", "/assets/index-AbC123.js");
    expect([js.status, js.headers["content-type"], js.body]).toEqual([200, "text/javascript; charset=utf-8", "console.log('dm')"]);
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.headers["x-content-type-options"]).toBe("nosniff");
    expect((await raw("GET", "/assets/index-AbC123.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
    const svg = await raw("GET", "/favicon.svg");
    expect([svg.headers["content-type"], svg.headers["cache-control"]]).toEqual(["image/svg+xml", "no-cache"]);
    const head = await raw("HEAD", "/assets/index-AbC123.js");
    expect([head.status, head.headers["content-length"], head.body]).toEqual([200, "17", ""]);
  });

  it("answers 404 for a missing file, and keeps the API's JSON 404s", async () => {
    const missing = await raw("GET", "/assets/nothing-123.js");
    expect([missing.status, JSON.parse(missing.body).error.code]).toEqual([404, "no_route"]);
    const api = await raw("GET", "/api/v1/nothing");
    expect([api.status, JSON.parse(api.body).error.code]).toEqual([404, "no_route"]);
    const post = await raw("POST", "/");
    expect(post.status).toBe(404);
  });

  it("never serves a file outside its folder, however the path is spelled", async () => {
    const attempts = [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/..%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/..%5csecret.txt",
      "/assets/%2e%2e%5c%2e%2e%5csecret.txt",
      "//secret.txt",
      "/link.txt",
      "/secret.txt%00.js",
      "/%E0%A4%A",
      `/${"../".repeat(12)}etc/passwd`,
      `/${"..%2f".repeat(12)}etc%2fpasswd`,
    ];
    for (const target of attempts) {
      const r = await raw("GET", target);
      expect([target, r.body.includes("SECRET-OUTSIDE"), r.body.includes("root:")]).toEqual([target, false, false]);
      // either the page (a client-side path) or a 404/400, never a file from elsewhere
      expect([target, [200, 400, 404].includes(r.status)]).toEqual([target, true]);
      if (r.status === 200) expect([target, r.body]).toEqual([target, INDEX]);
    }
  });

  it("says how to build the dashboard when it is not built", async () => {
    const bare = await startServer({
      store: SqliteStore.open(path.join(dir, "bare.db")),
      logger: createLogger("silent"),
      cwd: dir,
      dataDir: dir,
      version: "test",
      host: "127.0.0.1",
      port: 0,
      webDir: null,
    });
    try {
      const r = await fetch(`${bare.url}/`);
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: { message: string } }).error.message).toContain("npm run build");
    } finally {
      await bare.stop(1000);
    }
  });
});
