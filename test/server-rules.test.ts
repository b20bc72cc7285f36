/**
 * The three R's over HTTP, on SQLite and PostgreSQL: the rules with their
 * open findings, a run (dry and real, then a no-op), explain, and each
 * asset's deployment model on its page — from the server's dm.config.yaml,
 * the same computation as `dm rules` and `dm show`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "./helpers/pg.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2027, 0, 10, 12);

const graph = {
  entities: [
    // a VM neither patched nor rebuilt for months, with an owner
    { _key: "host:old-vm", _type: "host", _class: "Host", displayName: "old-vm", deployment: "mutable-vm", owner: "platform", lastPatchedOn: NOW - 60 * DAY, lastRebuiltOn: NOW - 200 * DAY },
    // the same age, but a Kubernetes node the config calls immutable: repave does not apply
    { _key: "host:k8s-node", _type: "host", _class: "Host", displayName: "k8s-node", role: "k8s-node", owner: "platform", lastPatchedOn: NOW - 60 * DAY, lastRebuiltOn: NOW - 200 * DAY },
    // no model at all
    { _key: "host:mystery", _type: "host", _class: "Host", displayName: "mystery", owner: "platform", lastRebuiltOn: NOW - 200 * DAY },
  ],
  relationships: [],
};

const CONFIG = `deploymentModels:
  - query: Find Host with role = 'k8s-node'
    model: immutable-vm
rules:
  overrides:
    aging-host-unseen: { enabled: false }
`;

describe.each(BACKENDS)("rules over HTTP: %s", (backend) => {
  let t: TestServer;
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dm-server-rules-"));

  beforeAll(async () => {
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), CONFIG);
    t = await startTestServer(backend, { now: () => NOW, cwd });
    expect((await t.call("POST", "/api/v1/graph?source=test", { body: graph })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it("lists the rules of the server's config: overrides applied, with their rationale", async () => {
    const r = await t.call("GET", "/api/v1/rules", { token: t.tokens.reader });
    expect(r.status).toBe(200);
    const byId = new Map((r.json.rules as { id: string; enabled: boolean; rationale: string; openFindings: number }[]).map((x) => [x.id, x]));
    expect(byId.get("aging-host-unseen")!.enabled).toBe(false);
    expect(byId.get("repave-host-age")).toMatchObject({ enabled: true, openFindings: 0, appliesTo: ["mutable-vm", "bare-metal"] });
    expect(byId.get("repave-host-age")!.rationale.length).toBeGreaterThan(20);
    const pack = await t.call("GET", "/api/v1/rules?pack=nope", { token: t.tokens.reader });
    expect(pack.status).toBe(400);
    expect(pack.json.error.message).toContain('pack: no pack "nope"');
  });

  it("runs them as maintenance: a dry run writes nothing, the run opens, a second run changes nothing", async () => {
    const dry = await t.call("POST", "/api/v1/rules/run", { token: t.tokens.maintainer, body: { dryRun: true } });
    expect(dry.status).toBe(200);
    const repave = (body: { rules: { id: string; opened: number; violations: number }[] }) => body.rules.find((x) => x.id === "repave-host-age")!;
    // the immutable node and the unknown host are not judged by repave
    expect(repave(dry.json)).toMatchObject({ violations: 1, opened: 1 });
    expect(dry.json.notes.join("\n")).toMatch(/1 host has no deployment model/);
    expect((await t.call("GET", "/api/v1/findings")).json.findings).toHaveLength(0);

    const run = await t.call("POST", "/api/v1/rules/run", { token: t.tokens.maintainer, body: {} });
    expect(run.status).toBe(200);
    expect(run.json.opened).toBe(dry.json.opened);
    expect(run.json.dryRun).toBe(false);
    const again = await t.call("POST", "/api/v1/rules/run", { token: t.tokens.maintainer, body: {} });
    expect([again.json.opened, again.json.closed, again.json.reopened]).toEqual([0, 0, 0]);
    const listed = await t.call("GET", "/api/v1/rules", { token: t.tokens.reader });
    expect(listed.json.rules.find((x: { id: string }) => x.id === "repave-host-age").openFindings).toBe(1);

    const one = await t.call("POST", "/api/v1/rules/run", { token: t.tokens.maintainer, body: { rule: "aging-host-unseen" } });
    expect(one.status).toBe(400);
    expect(one.json.error.message).toContain("disabled");
  });

  it("explains a rule for an asset, and the asset's page says how it is deployed and who said so", async () => {
    const e = await t.call("GET", "/api/v1/rules/explain?entity=k8s-node", { token: t.tokens.reader });
    expect(e.status).toBe(200);
    expect(e.json.entity).toEqual({ _key: "host:k8s-node", _type: "host", displayName: "k8s-node", deploymentModel: "immutable-vm" });
    expect(e.json.rules.find((x: { id: string }) => x.id === "repave-host-age")).toMatchObject({ status: "not-applicable" });
    const missing = await t.call("GET", "/api/v1/rules/explain?entity=nowhere", { token: t.tokens.reader });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain('no entity has the key or name "nowhere"');

    const ids = (await t.call("POST", "/api/v1/query", { body: { query: "Find Host as h return h._key as key, h._id as id" } })).json.data as { key: string; id: string }[];
    const page = async (key: string) => (await t.call("GET", `/api/v1/entities/${ids.find((x) => x.key === key)!.id}`, { token: t.tokens.reader })).json.deployment;
    expect(await page("host:k8s-node")).toEqual({ model: "immutable-vm", source: "configured" });
    expect(await page("host:old-vm")).toEqual({ model: "mutable-vm", source: "recorded" });
    expect(await page("host:mystery")).toEqual({ model: null, source: "unknown" });
  });

  it("a bad rules section in the server's config is refused by name, and nothing runs", async () => {
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `${CONFIG}    repave-host-age: { enabled: maybe }\n`);
    try {
      const r = await t.call("POST", "/api/v1/rules/run", { token: t.tokens.maintainer, body: {} });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toContain("dm.config.yaml");
      expect(r.json.error.message).toContain("repave-host-age");
    } finally {
      fs.writeFileSync(path.join(cwd, "dm.config.yaml"), CONFIG);
    }
  });
});
