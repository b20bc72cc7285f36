/**
 * The feedback loop from the CLI: `dm report` and `dm` in a checkout list the
 * findings of the assets the repo deploys, marked "via <asset>"; `dm check`
 * fails on them and says how many came that way; the close hint names the
 * asset the finding is on.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";
import { startTestServer } from "./helpers/server.js";
import { VIA_ITEMS, viaGraph } from "./helpers/via-graph.js";

const I = VIA_ITEMS;
const NOW = Date.UTC(2026, 10, 23, 12);
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir("dm-via-");
  env = { DM_DATABASE_URL: path.join(dir, "dm.db") };
  // the deleted edge cannot be imported as deleted: leave it out
  const { deletedEdge, entities, relationships } = viaGraph();
  const file = path.join(dir, "graph.json");
  fs.writeFileSync(file, JSON.stringify({ entities, relationships: relationships.filter((r) => r._key !== deletedEdge) }));
  const imported = await dm(["import", file], { env });
  expect(imported.stderr).toBe("");
  expect(imported.code).toBe(0);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("dm report with deployed assets", () => {
  it("marks the findings of deployed assets via <asset>, and says how many", async () => {
    const r = await dm(["report", "--repo", "quiet"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "quiet: 2 open maintenance items, 1 overdue (2 via deployed assets)",
        "",
        "  DUE             ITEM           VIA         LINK                              ID",
        "  3 days overdue  Patch OpenSSL  via shop-1  https://wiki.example.com/openssl  22222222",
        "  in 5 days       Shared chore   via shop-1  https://wiki.example.com/shared   88888888",
        "",
        // the finding is the host's: closing it for "quiet" means closing it on shop-1
        `Done with one?  dm close --id 22222222 --query "Find deferred_maintenance that HAS * with _key='host:shop-1'" --reason COMPLETE --link <pull request URL>`,
        "",
      ].join("\n"),
    );
  });

  it("keeps the repo's own findings unmarked, and its close hint scoped to the repo", async () => {
    const r = await dm(["report", "--repo", "shop"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^shop: 7 open maintenance items, 4 overdue \(5 via deployed assets\)\n/);
    expect(r.stdout).toMatch(/^ {2}20 days overdue +Upgrade Terraform to 1.x +https:\/\/wiki.example.com\/tf1 +9c3e21a0$/m);
    expect(r.stdout).toMatch(/^ {2}12 days overdue +Set resource limits +via shop-web +https/m);
    expect(r.stdout).toMatch(/^ {2}1 day overdue +Drop privileged containers +via app +https/m);
    expect(r.stdout).toMatch(/^ {2}in 10 days +Move to nodejs20.x +via shop-fn +https/m);
    expect(r.stdout).toMatch(/^ {2}in 20 days +Rebuild on the new base +via acme\/shop +https/m);
    expect(r.stdout).toContain(`dm close --id 9c3e21a0 --query "Find deferred_maintenance that HAS CodeRepo with name='shop'"`);
  });

  it("--json: each via finding carries its asset, the report the counts", async () => {
    const r = await dm(["report", "--repo", "shop", "--json"], { env });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ open: 7, overdue: 4, viaDeployed: { open: 5, overdue: 3 } });
    expect(json.findings.find((f: { maintenanceId: string }) => f.maintenanceId === I.K8S.id).via).toEqual({
      key: "uid-1",
      type: "kube_deployment",
      name: "shop-web",
    });
    expect(json.findings.find((f: { maintenanceId: string }) => f.maintenanceId === I.TF.id).via).toBeUndefined();
  });
});

describe("dm check with deployed assets", () => {
  it("fails on a via finding alone, names the asset, and the close hint names it too", async () => {
    const r = await dm(["check", "--repo", "quiet"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "✗ quiet has overdue maintenance (1 via deployed assets):",
        "  Patch OpenSSL, 3 days overdue (https://wiki.example.com/openssl) via shop-1",
        "",
        `Done with it?     dm close --id 22222222 --query "Find deferred_maintenance that HAS * with _key='host:shop-1'" --reason COMPLETE --link <pull request URL>`,
        `Accepting it?     dm close --id 22222222 --query "Find deferred_maintenance that HAS * with _key='host:shop-1'" --reason RISK_ACCEPTED --until YYYY-MM-DD --link <decision record>`,
        "",
      ].join("\n"),
    );
    expect(r.stderr).toContain("check failed: 1 item overdue on quiet (1 via deployed assets)");
  });

  it("counts via findings against the grace like any other", async () => {
    const within = await dm(["check", "--repo", "quiet", "--grace", "7d"], { env });
    expect(within.code).toBe(0);
    expect(within.stdout).toContain("quiet: ok, nothing overdue by more than 7 days");
    const shop = await dm(["check", "--repo", "shop", "--grace", "10d"], { env });
    expect(shop.code).toBe(1);
    expect(shop.stdout).toMatch(/^✗ shop has maintenance overdue by more than 10 days \(1 via deployed assets\):\n/);
    expect(shop.stdout).toContain("Set resource limits, 12 days overdue (https://wiki.example.com/limits) via shop-web");
    const json = JSON.parse((await dm(["check", "--repo", "shop", "--grace", "10d", "--json"], { env })).stdout);
    expect(json.failing.map((f: { maintenanceId: string; via?: { name: string } }) => [f.maintenanceId, f.via?.name ?? null])).toEqual([
      [I.TF.id, null],
      [I.K8S.id, "shop-web"],
    ]);
  });

  it("the hinted close closes the via finding on its asset only, and the gate passes", async () => {
    const closed = await dm(
      ["close", "--id", I.SSL.id, "--query", "Find deferred_maintenance that HAS * with _key='host:shop-1'", "--reason", "COMPLETE", "--link", "https://example.com/pr/2", "--yes"],
      { env },
    );
    expect(closed.stderr).toBe("");
    expect(closed.code).toBe(0);
    const r = await dm(["check", "--repo", "quiet"], { env });
    expect(r.code).toBe(0);
    expect((await dm(["report", "--repo", "quiet"], { env })).stdout).toMatch(/^quiet: 1 open maintenance item, none overdue \(1 via deployed assets\)\n/);
  });
});

describe("through the team server (DM_SERVER)", () => {
  it("the API's report and check carry via and viaDeployed: the CLI prints the same", async () => {
    const server = await startTestServer("sqlite", { now: () => NOW });
    try {
      const { deletedEdge, entities, relationships } = viaGraph();
      await server.store.upsert({ entities, relationships: relationships.filter((r) => r._key !== deletedEdge) }, { now: NOW - 40 * 86_400_000 });
      const report = await server.call("GET", "/api/v1/report?repo=shop", { token: server.tokens.reader });
      expect(report.status).toBe(200);
      expect(report.json).toMatchObject({ open: 7, overdue: 4, viaDeployed: { open: 5, overdue: 3 } });
      expect(report.json.findings.find((f: { maintenanceId: string }) => f.maintenanceId === I.SSL.id).via).toEqual({
        key: "host:shop-1",
        type: "host",
        name: "shop-1",
      });
      const check = await server.call("GET", "/api/v1/check?repo=quiet", { token: server.tokens.reader });
      expect(check.json).toMatchObject({ ok: false, failing: [{ maintenanceId: I.SSL.id, via: { name: "shop-1" } }] });
      const remote = { DM_SERVER: server.url, DM_TOKEN: server.tokens.reader };
      const local = await dm(["report", "--repo", "quiet"], { env });
      const viaApi = await dm(["report", "--repo", "quiet"], { env: remote });
      expect(viaApi.stderr).toBe("");
      // the local database had SSL closed above; the server's has it open
      expect(viaApi.stdout).toMatch(/^quiet: 2 open maintenance items, 1 overdue \(2 via deployed assets\)\n/);
      expect(viaApi.stdout).toContain("via shop-1");
      expect(local.stdout).toContain("via shop-1");
      const gate = await dm(["check", "--repo", "quiet"], { env: remote });
      expect(gate.code).toBe(1);
      expect(gate.stdout).toContain("Patch OpenSSL, 3 days overdue (https://wiki.example.com/openssl) via shop-1");
    } finally {
      await server.close();
    }
  });
});
