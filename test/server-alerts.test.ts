/**
 * Alerts over HTTP, on SQLite and PostgreSQL: an admin imports JupiterOne's
 * own alert packs; the rules (configured and imported) are listed; an
 * evaluation delivers to a signing webhook receiver once; silences; roles.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeWebhook, startFakeWebhook } from "./fakes/webhook.js";
import { BACKENDS } from "./helpers/pg.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const NOW = Date.UTC(2027, 0, 10, 12);
const DAY = 86_400_000;
const SECRET = "server-alerts-secret-789";
const packDir = path.join(path.dirname(createRequire(import.meta.url).resolve("@jupiterone/jupiterone-alert-rules/package.json")), "rule-packs");

describe.each(BACKENDS)("alerts over HTTP: %s", (backend) => {
  let t: TestServer;
  let hook: FakeWebhook;
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dm-server-alerts-"));

  beforeAll(async () => {
    hook = await startFakeWebhook({ secret: SECRET });
    fs.writeFileSync(
      path.join(cwd, "dm.config.yaml"),
      `alerts:
  - name: overdue-maintenance
    queries:
      - name: overdue
        query: Find deferred_maintenance with closed=false and dueDate < date.now
    group_by: owner
    actions:
      - type: webhook
        url: ${hook.hookUrl}
        secret: file:${path.join(cwd, "secret.txt")}
`,
    );
    fs.writeFileSync(path.join(cwd, "secret.txt"), SECRET);
    t = await startTestServer(backend, { now: () => NOW, cwd });
    const graph = {
      entities: [
        { _key: "f1", _type: "deferred_maintenance", _class: "Finding", displayName: "f1", closed: false, owner: "payments", dueDate: NOW - DAY },
        { _key: "f2", _type: "deferred_maintenance", _class: "Finding", displayName: "f2", closed: false, owner: "web", dueDate: NOW + DAY },
      ],
      relationships: [],
    };
    expect((await t.call("POST", "/api/v1/graph?source=test", { body: graph })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await hook?.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it("an admin imports JupiterOne's published packs; a reader cannot", async () => {
    const pack = JSON.parse(fs.readFileSync(path.join(packDir, "common-alerts.json"), "utf8")) as unknown[];
    expect((await t.call("POST", "/api/v1/alerts/rules", { token: t.tokens.maintainer, body: pack })).status).toBe(403);
    const r = await t.call("POST", "/api/v1/alerts/rules?source=common-alerts.json", { body: pack });
    expect(r.status).toBe(200);
    expect(r.json.imported).toHaveLength(pack.length);
    expect(r.json.problems).toEqual([]);
    const bad = await t.call("POST", "/api/v1/alerts/rules", { body: [{ name: "broken", queries: [{ name: "q", query: "Find Host wiht x=1" }] }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain("broken");

    const list = await t.call("GET", "/api/v1/alerts", { token: t.tokens.reader });
    const names = (list.json.rules as { name: string; origin: string }[]).map((x) => `${x.origin} ${x.name}`);
    expect(names).toContain("config overdue-maintenance");
    expect(names.filter((n) => n.startsWith("imported "))).toHaveLength(pack.length);
  });

  it("runs the rules: the overdue group is delivered once, signed; a dry run sends nothing; readers cannot run", async () => {
    expect((await t.call("POST", "/api/v1/alerts/run", { token: t.tokens.reader, body: {} })).status).toBe(403);
    const dry = await t.call("POST", "/api/v1/alerts/run", { body: { rule: "overdue-maintenance", dryRun: true } });
    expect(dry.status).toBe(200);
    expect(dry.json.rules[0].deliveries.map((d: { status: string }) => d.status)).toEqual(["would-send"]);
    expect(hook.bodies).toHaveLength(0);

    const run = await t.call("POST", "/api/v1/alerts/run", { body: { rule: "overdue-maintenance" } });
    expect(run.status).toBe(200);
    expect(run.json.rules[0].deliveries).toEqual([expect.objectContaining({ group: "payments", status: "sent" })]);
    expect(hook.bodies.map((b) => b.group)).toEqual(["payments"]);
    expect(hook.badSignatures).toBe(0);
    const again = await t.call("POST", "/api/v1/alerts/run", { body: { rule: "overdue-maintenance" } });
    expect(again.json.rules[0].deliveries).toEqual([]);
    expect(hook.bodies).toHaveLength(1);

    const history = await t.call("GET", "/api/v1/alerts/history?rule=overdue-maintenance", { token: t.tokens.reader });
    expect(history.json.deliveries.map((d: { status: string }) => d.status)).toEqual(["sent"]);
    expect(history.text).not.toContain(SECRET);
    const unknown = await t.call("POST", "/api/v1/alerts/run", { body: { rule: "nope" } });
    expect(unknown.status).toBe(400);
  });

  it("a maintainer silences a rule until a date; the silence is listed and audited", async () => {
    const bad = await t.call("POST", "/api/v1/alerts/silences", { token: t.tokens.maintainer, body: { rule: "nope", until: "7d", reason: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('no alert rule "nope"');
    const s = await t.call("POST", "/api/v1/alerts/silences", {
      token: t.tokens.maintainer,
      body: { rule: "overdue-maintenance", entity: "f1", until: "7d", reason: "migrating payments" },
    });
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ rule: "overdue-maintenance", entityKey: "f1", until: NOW + 7 * DAY, createdBy: "maintainer" });
    const listed = await t.call("GET", "/api/v1/alerts/silences", { token: t.tokens.reader });
    expect(listed.json.silences).toHaveLength(1);
    const audit = await t.call("GET", "/api/v1/audit?limit=5");
    expect(audit.json.entries.map((e: { action: string }) => e.action)).toContain("alerts.silence");
  });
});
