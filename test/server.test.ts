/**
 * The team server over HTTP, on SQLite and PostgreSQL: every route's auth
 * (401 and 403), the API calling the same core as the CLI, the audit trail,
 * limits (413, 429, query time-out), errors as JSON, the OpenAPI document.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Route } from "../src/server/route.js";
import { TOKEN_ROLES, type GraphStore, type TokenRole } from "../src/store/types.js";
import { BACKENDS } from "./helpers/pg.js";
import { hostMesh, startTestServer, type TestServer } from "./helpers/server.js";

const DAY = 86_400_000;

/** A concrete path for a route pattern. */
function pathOf(route: Route): string {
  return route.path.replace("{id}", "0a1b2c3d").replace("{name}", "nobody");
}

const graph = {
  entities: [
    { _key: "repo:payments", _type: "github_repo", _class: "CodeRepo", name: "payments", displayName: "payments", owner: "platform" },
    { _key: "repo:billing", _type: "github_repo", _class: "CodeRepo", name: "billing", displayName: "billing", owner: "platform" },
    { _key: "repo:website", _type: "github_repo", _class: "CodeRepo", name: "website", displayName: "website", owner: "web" },
    { _key: "team:platform", _type: "team", _class: "Team", name: "platform", displayName: "platform" },
  ],
  relationships: [
    { _key: "team:platform|owns|repo:payments", _type: "team_owns_repo", _class: "OWNS", _fromEntityKey: "team:platform", _toEntityKey: "repo:payments" },
  ],
};

describe.each(BACKENDS)("dm serve API: %s", (backend) => {
  let t: TestServer;
  let clock = Date.UTC(2026, 0, 10, 12);

  beforeAll(async () => {
    t = await startTestServer(backend, { now: () => clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers /healthz and /readyz without a token, and 404/405 as JSON", async () => {
    expect((await t.call("GET", "/healthz", { token: null })).json).toEqual({ status: "ok" });
    const ready = await t.call("GET", "/readyz", { token: null });
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: "ready", database: backend });
    const none = await t.call("GET", "/api/v1/nothing");
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe("no_route");
    const wrong = await t.call("PUT", "/api/v1/stats");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
  });

  it("describes every route it serves in /api/openapi.json (OpenAPI 3.1)", async () => {
    const doc = (await t.call("GET", "/api/openapi.json", { token: null })).json;
    expect(doc.openapi).toBe("3.1.0");
    const described = Object.entries(doc.paths as Record<string, Record<string, { "x-dm-role": string }>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => `${m.toUpperCase()} ${p} ${op["x-dm-role"]}`),
    );
    const served = t.server.app.routes.map((r) => `${r.method} ${r.path} ${r.role}`);
    expect(served.length).toBeGreaterThanOrEqual(20);
    expect(described.sort()).toEqual(served.sort());
    // The bodies are described from the schemas that validate them.
    expect(doc.paths["/api/v1/maintenance"].post.requestBody.content["application/json"].schema.required).toEqual(
      expect.arrayContaining(["query", "shortDescription", "webLink", "due"]),
    );
    for (const route of ["/api/v1/query", "/api/v1/graph", "/api/v1/maintenance/{id}/close", "/api/v1/tokens", "/metrics", "/readyz"]) {
      expect(doc.paths).toHaveProperty([route]);
    }
  });

  it("refuses every route without a good token (401) and below its role (403)", async () => {
    const expired = await t.call("POST", "/api/v1/tokens", { body: { name: "short-lived", role: "admin", expires: "1d" } });
    const revoked = await t.call("POST", "/api/v1/tokens", { body: { name: "gone", role: "admin" } });
    expect((await t.call("DELETE", "/api/v1/tokens/gone")).status).toBe(200);
    const stale = expired.json.token as string;
    const bad: [string, string | null][] = [
      ["missing", null],
      ["malformed", "not-a-token"],
      ["unknown", `dm_${"A".repeat(43)}`],
      ["revoked", revoked.json.token],
    ];
    const protectedRoutes = t.server.app.routes.filter((r) => r.role !== "public");
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(18);
    for (const route of protectedRoutes) {
      for (const [why, token] of bad) {
        const r = await t.call(route.method, pathOf(route), { token, body: {} });
        expect([route.path, why, r.status, r.json?.error?.code]).toEqual([route.path, why, 401, "unauthorized"]);
        expect(r.headers.get("www-authenticate")).toContain("Bearer");
      }
      const lower = TOKEN_ROLES.slice(0, TOKEN_ROLES.indexOf(route.role as TokenRole));
      for (const role of lower) {
        const r = await t.call(route.method, pathOf(route), { token: t.tokens[role], body: {} });
        expect([route.path, role, r.status, r.json?.error?.code]).toEqual([route.path, role, 403, "forbidden"]);
      }
    }
    clock += 2 * DAY;
    try {
      const r = await t.call("GET", "/api/v1/stats", { token: stale });
      expect([r.status, r.json.error.message]).toEqual([401, "the token is expired"]);
    } finally {
      clock -= 2 * DAY;
    }
    // The token never appears in a response or the server log.
    expect(t.log.join("\n")).not.toContain(revoked.json.token);
    expect(t.log.join("\n")).not.toContain(t.tokens.admin);
  });

  it("upserts the bulk format as admin, audited under the token's name, all or nothing", async () => {
    const r = await t.call("POST", "/api/v1/graph", { body: graph });
    expect(r.status).toBe(200);
    expect(r.json.entities.created).toBe(4);
    expect(r.json.relationships.created).toBe(1);
    const bad = await t.call("POST", "/api/v1/graph", {
      body: { entities: [{ _key: "x", _type: "t", _class: "Host" }], relationships: [{ ...graph.relationships[0], _key: "e2", _toEntityKey: "missing" }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('no entity has the key "missing"');
    expect(await t.store.counts()).toEqual({ entities: 4, relationships: 1 });
    const audit = await t.call("GET", "/api/v1/audit?limit=5", { token: t.tokens.reader });
    expect(audit.json.entries[0]).toMatchObject({ actor: "admin", action: "import", subject: "api:api" });
  });

  it("queries J1QL with paging, and reports a mistake at its position", async () => {
    const first = await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: "Find CodeRepo", limit: 2 } });
    expect(first.status).toBe(200);
    expect(first.json.type).toBe("list");
    expect(first.json.data).toHaveLength(2);
    const second = await t.call("POST", "/api/v1/query", {
      token: t.tokens.reader,
      body: { query: "Find CodeRepo", limit: 2, cursor: first.json.cursor },
    });
    expect(second.json.data).toHaveLength(1);
    expect(second.json.cursor).toBeUndefined();
    const names = [...first.json.data, ...second.json.data].map((i: { properties: { name: string } }) => i.properties.name).sort();
    expect(names).toEqual(["billing", "payments", "website"]);

    const wrong = await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: "Find CodeRepo wiht name='x'" } });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.code).toBe("query_error");
    expect(wrong.json.error.position).toMatchObject({ line: 1, column: 15 });
    const unknownField = await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: "Find CodeRepo", all: true } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json.error.code).toBe("bad_input");

    const id = first.json.data[0].id as string;
    const one = await t.call("GET", `/api/v1/entities/${id}`, { token: t.tokens.reader });
    expect(one.json.entity._id).toBe(id);
    expect((await t.call("GET", "/api/v1/entities/999999", { token: t.tokens.reader })).status).toBe(404);
  });

  it("opens, lists, reports, checks and closes maintenance through the core, audited by token", async () => {
    const open = await t.call("POST", "/api/v1/maintenance", {
      token: t.tokens.maintainer,
      body: {
        query: "Find CodeRepo with owner='platform'",
        shortDescription: "Upgrade Terraform to 1.x",
        webLink: "https://wiki.example.com/tf1",
        due: "7d",
        track: true,
      },
    });
    expect(open.status).toBe(201);
    expect(open.json.opened).toBe(2);
    const mid = open.json.maintenanceId as string;

    const list = await t.call("GET", "/api/v1/maintenance", { token: t.tokens.reader });
    expect(list.json.open).toBe(2);
    expect(list.json.findings.map((f: { entityName: string }) => f.entityName).sort()).toEqual(["billing", "payments"]);

    clock += 10 * DAY;
    try {
      const overdue = await t.call("GET", `/api/v1/maintenance?overdue=2&id=${mid}`, { token: t.tokens.reader });
      expect(overdue.json.overdue).toBe(2);
      const report = await t.call("GET", "/api/v1/report?repo=payments", { token: t.tokens.reader });
      expect(report.json).toMatchObject({ open: 1, overdue: 1, repo: { name: "payments" } });
      const check = await t.call("GET", "/api/v1/check?repo=payments&grace=2d", { token: t.tokens.reader });
      expect(check.json).toMatchObject({ ok: false, open: 1 });
      expect((await t.call("GET", "/api/v1/check?repo=payments&grace=4w", { token: t.tokens.reader })).json.ok).toBe(true);
      expect((await t.call("GET", "/api/v1/report?repo=nope", { token: t.tokens.reader })).status).toBe(404);

      const closed = await t.call("POST", `/api/v1/maintenance/${mid}/close`, {
        token: t.tokens.maintainer,
        body: {
          reason: "COMPLETE",
          link: "https://git.example.com/payments/pull/7",
          query: "Find deferred_maintenance that HAS CodeRepo with name='payments'",
        },
      });
      expect(closed.status).toBe(200);
      expect(closed.json.closed).toBe(1);
      const accepted = await t.call("POST", `/api/v1/maintenance/${mid}/close`, {
        token: t.tokens.maintainer,
        body: { reason: "RISK_ACCEPTED", link: "https://wiki.example.com/adr/9", until: "30d" },
      });
      expect(accepted.json.closed).toBe(1);
      const noLink = await t.call("POST", `/api/v1/maintenance/${mid}/close`, { token: t.tokens.maintainer, body: { reason: "COMPLETE" } });
      expect(noLink.status).toBe(400);
      expect(noLink.json.error.message).toContain("needs --link");

      const stats = await t.call("GET", `/api/v1/stats/${mid}`, { token: t.tokens.reader });
      expect(stats.json).toMatchObject({ maintenanceId: mid, total: 2, open: 0, completion: 1 });
      expect((await t.call("GET", "/api/v1/stats", { token: t.tokens.reader })).json.items).toHaveLength(1);
      expect((await t.call("GET", "/api/v1/stats/00000000", { token: t.tokens.reader })).status).toBe(404);

      const reconciled = await t.call("POST", "/api/v1/reconcile", { token: t.tokens.maintainer });
      expect(reconciled.status).toBe(200);
      expect(reconciled.json.items).toBe(1);

      const log = (await t.call("GET", "/api/v1/audit?limit=10", { token: t.tokens.reader })).json.entries as {
        actor: string;
        action: string;
        subject: string;
        details?: Record<string, unknown>;
      }[];
      const mine = log.filter((e) => e.subject === mid);
      expect(mine.filter((e) => e.action === "open").map((e) => e.actor)).toEqual(["maintainer"]);
      expect(mine.filter((e) => e.action === "close" || e.action === "accept").map((e) => [e.action, e.actor])).toEqual([
        ["accept", "maintainer"],
        ["close", "maintainer"],
      ]);
      expect(log.find((e) => e.action === "reconcile" && e.subject === "tracked items")?.details?.ranBy).toBe("maintainer");
    } finally {
      clock -= 10 * DAY;
    }
  });

  it("manages tokens as admin: created once, listed without secrets, revoked at once", async () => {
    const made = await t.call("POST", "/api/v1/tokens", { body: { name: "ci-payments", role: "reader", expires: "90d" } });
    expect(made.status).toBe(201);
    expect(made.json.token).toMatch(/^dm_[A-Za-z0-9_-]{43}$/);
    expect(made.json.expiresOn).toBe(clock + 90 * DAY);
    expect((await t.call("GET", "/api/v1/sources", { token: made.json.token })).status).toBe(200);
    const dup = await t.call("POST", "/api/v1/tokens", { body: { name: "ci-payments", role: "admin" } });
    expect(dup.status).toBe(409);
    const list = await t.call("GET", "/api/v1/tokens");
    expect(list.text).not.toContain(made.json.token);
    expect(list.text).not.toMatch(/hash/i);
    const entry = list.json.tokens.find((x: { name: string }) => x.name === "ci-payments");
    expect(entry).toMatchObject({ role: "reader", status: "active", lastUsedOn: clock });
    expect((await t.call("DELETE", "/api/v1/tokens/ci-payments")).json.revokedOn).toBe(clock);
    expect((await t.call("GET", "/api/v1/sources", { token: made.json.token })).status).toBe(401);
    expect((await t.call("DELETE", "/api/v1/tokens/nobody")).status).toBe(404);
    const audit = (await t.call("GET", "/api/v1/audit?limit=3")).json.entries;
    expect(audit.map((e: { action: string; actor: string; subject: string }) => [e.action, e.actor, e.subject])).toEqual([
      ["token.revoke", "admin", "ci-payments"],
      ["token.create", "admin", "ci-payments"],
    ].concat(audit.length > 2 ? [[audit[2].action, audit[2].actor, audit[2].subject]] : []));
  });

  it("runs a sync as admin and lists it in /sources", async () => {
    const file = path.join(import.meta.dirname, "..", "src", "integrations", "hosts", "fixtures", "inventory.csv");
    const bad = await t.call("POST", "/api/v1/sync", { body: { integration: "nope" } });
    expect([bad.status, bad.json.error.code]).toEqual([400, "bad_input"]);
    const r = await t.call("POST", "/api/v1/sync", { body: { integration: "hosts", settings: { file } } });
    expect(r.status).toBe(200);
    expect(r.json.runs[0]).toMatchObject({ integration: "hosts", status: "partial" });
    expect(r.json.runs[0].created).toBeGreaterThan(0);
    const sources = await t.call("GET", "/api/v1/sources", { token: t.tokens.reader });
    expect(sources.json.runs[0]).toMatchObject({ integration: "hosts", status: "partial" });
    const audit = (await t.call("GET", "/api/v1/audit?limit=20")).json.entries as { action: string; actor: string }[];
    expect(audit.find((e) => e.action === "sync")?.actor).toBe("admin");
  });

  it("serves /metrics that parse and match the data", async () => {
    const opened = await t.call("POST", "/api/v1/maintenance", {
      token: t.tokens.maintainer,
      body: { query: "Find CodeRepo with name='website'", shortDescription: "Rotate deploy keys", webLink: "https://wiki.example.com/r", due: "3d" },
    });
    const mid = opened.json.maintenanceId as string;
    clock += 5 * DAY;
    let text: string;
    let listed: { owner?: string }[];
    try {
      text = (await t.call("GET", "/metrics", { token: t.tokens.reader })).text;
      listed = (await t.call("GET", `/api/v1/maintenance?id=${mid}&overdue=1`, { token: t.tokens.reader })).json.findings;
    } finally {
      clock -= 5 * DAY;
    }
    expect(listed).toHaveLength(1);
    const owner = listed[0]!.owner ?? "";
    const samples = new Map<string, number>();
    const typed = new Set<string>();
    for (const line of text.trimEnd().split("\n")) {
      if (line.startsWith("# HELP ")) continue;
      const type = /^# TYPE (\w+) (gauge|counter|histogram)$/.exec(line);
      if (type) {
        typed.add(type[1]!);
        continue;
      }
      const m = /^([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf)$/.exec(line);
      expect(m, line).not.toBeNull();
      const family = m![1]!.replace(/_(bucket|sum|count)$/, "");
      expect(typed.has(family) || typed.has(m![1]!), line).toBe(true);
      samples.set(`${m![1]}${m![2] ?? ""}`, Number(m![3]));
    }
    expect(samples.get(`dm_findings_open{maintenance_id="${mid}",owner="${owner}"}`)).toBe(1);
    expect(samples.get(`dm_findings_overdue{maintenance_id="${mid}",owner="${owner}"}`)).toBe(1);
    expect(samples.get(`dm_campaign_completion_ratio{maintenance_id="${mid}",item="Rotate deploy keys"}`)).toBe(0);
    expect(samples.get(`dm_campaign_findings{maintenance_id="${mid}",item="Rotate deploy keys"}`)).toBe(1);
    const done = [...samples.entries()].filter(([k]) => k.startsWith("dm_campaign_completion_ratio") && !k.includes(mid));
    expect(done.map(([, v]) => v)).toEqual([1]);
    expect([...samples.entries()].filter(([k]) => k.startsWith("dm_findings_accepted")).map(([k, v]) => [k.replace(/maintenance_id="\w+"/, "m"), v])).toEqual([
      ['dm_findings_accepted{m,owner="platform"}', 1],
    ]);
    expect([...samples.keys()].some((k) => k.startsWith('dm_http_requests_total{method="POST",route="/api/v1/query",status="200"}'))).toBe(true);
    expect(samples.get('dm_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}')).toBe(1);
    const sync = [...samples.entries()].filter(([k]) => k.startsWith("dm_sync_status{integration=\"hosts\"")).map(([k, v]) => [/status="(\w+)"}/.exec(k)![1], v]);
    expect(Object.fromEntries(sync)).toEqual({ running: 0, succeeded: 0, partial: 1, failed: 0 });
    const age = [...samples.entries()].find(([k]) => k.startsWith("dm_sync_age_seconds"));
    expect(age?.[1]).toBe(5 * 86_400);
  });
});

describe.each(BACKENDS)("dm serve limits: %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { limits: { maxBodyBytes: 2048, rateLimitPerMinute: 1000, queryTimeoutMs: 300 } });
    await t.store.upsert(hostMesh(200, backend === "postgres" ? 25 : 15), { now: Date.now() });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses a body over the limit with 413", async () => {
    const r = await t.call("POST", "/api/v1/query", { raw: JSON.stringify({ query: `Find Host with name='${"x".repeat(4000)}'` }) });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe("payload_too_large");
    expect((await t.call("GET", "/healthz", { token: null })).status).toBe(200);
  });

  it("stops a slow query with 504 and keeps serving", async () => {
    const started = Date.now();
    const slow = t.call("POST", "/api/v1/query", {
      token: t.tokens.reader,
      body: { query: "Find Host as a that USES Host as b that USES Host as c that USES Host as d that USES Host as e return count(a) as n" },
    });
    // While it runs, other requests are answered.
    const health = await t.call("GET", "/api/v1/stats", { token: t.tokens.reader });
    expect(health.status).toBe(200);
    const r = await slow;
    expect(r.status).toBe(504);
    expect(r.json.error.code).toBe("query_timeout");
    expect(Date.now() - started).toBeLessThan(5000);
    const quick = await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: "Find Host with name='h1'" } });
    expect(quick.status).toBe(200);
    expect(quick.json.data).toHaveLength(1);
  });

  it("limits each token's rate with 429 and Retry-After, per token", async () => {
    const limited = await startTestServer(backend, { limits: { rateLimitPerMinute: 3 } });
    try {
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await limited.call("GET", "/api/v1/sources", { token: limited.tokens.reader })).status);
      expect(codes).toEqual([200, 200, 200, 429]);
      const r = await limited.call("GET", "/api/v1/sources", { token: limited.tokens.reader });
      expect(r.json.error.code).toBe("rate_limited");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await limited.call("GET", "/api/v1/sources", { token: limited.tokens.maintainer })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("answers a bug with 500 and no internal message or stack", async () => {
    const broken = await startTestServer(backend, {
      wrap: (store: GraphStore) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === "latestSyncRuns") return async () => { throw new Error("secret internal detail at /srv/x.ts:12"); };
            const value = Reflect.get(target, prop, receiver);
            return typeof value === "function" ? value.bind(target) : value;
          },
        }),
    });
    try {
      const r = await broken.call("GET", "/api/v1/sources", { token: broken.tokens.reader });
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ error: { code: "internal", message: "internal error: the server log has the details" } });
      expect(r.text).not.toContain("secret");
      expect(broken.log.join("\n")).toContain("secret internal detail");
    } finally {
      await broken.close();
    }
  });
});
