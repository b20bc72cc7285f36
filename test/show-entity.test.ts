/** `dm show <asset>`: how it is deployed (and who said so), its properties, what it owes. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";

const dir = tempDir("dm-show-entity-");
const db = path.join(dir, "graph.db");
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12);

beforeAll(async () => {
  const graph = {
    entities: [
      { _key: "host:web-1", _type: "host", _class: ["Host"], displayName: "web-1", deployment: "mutable-vm", lastPatchedOn: NOW - 40 * DAY, os: "linux" },
      { _key: "host:k8s-node-1", _type: "host", _class: ["Host"], displayName: "k8s-node-1", os: "linux", role: "k8s-node" },
      { _key: "host:bare", _type: "host", _class: ["Host"], displayName: "bare", os: "linux" },
      { _key: "host:00c0ffee", _type: "host", _class: ["Host"], displayName: "00c0ffee" },
    ],
    relationships: [],
  };
  const file = path.join(dir, "graph.json");
  fs.writeFileSync(file, JSON.stringify(graph));
  expect((await dm(["import", file, "--db", db])).code).toBe(0);
  const open = await dm(["open", "--db", db, "--query", "Find Host with os='linux'", "--short", "Patch the kernel", "--description", "Kernel 6.1.90", "--link", "https://wiki.example.com/kernel", "--due", "2026-12-01", "--yes"]);
  expect(open.code, open.stderr).toBe(0);
  // the configured model wins over what the entity records
  fs.writeFileSync(
    path.join(dir, "dm.config.yaml"),
    "deploymentModels:\n  - query: Find Host with role = 'k8s-node'\n    model: immutable-vm\n",
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("dm show <asset>", () => {
  it("prints the deployment model recorded by the source, the properties and the findings", async () => {
    const r = await dm(["show", "web-1", "--db", db], { cwd: dir, now: NOW });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^web-1 {2}· host:web-1\nHost \(host\)\n/);
    expect(r.stdout).toMatch(/Deployment +mutable-vm {2}\(recorded by its source\)/);
    expect(r.stdout).toMatch(/lastPatchedOn +2026-10-14/);
    expect(r.stdout).toContain("Maintenance: 1 open (0 overdue), 0 closed");
    expect(r.stdout).toMatch(/in 8 days +Patch the kernel +[0-9a-f]{8}/);
    expect(r.stdout).toContain("dm rules explain host:web-1");
  });

  it("--json: the entity with its model and where it came from, the properties, the findings", async () => {
    const configured = JSON.parse((await dm(["show", "host:k8s-node-1", "--db", db, "--json"], { cwd: dir, now: NOW })).stdout);
    expect(configured.entity).toEqual({
      _id: expect.any(String),
      _key: "host:k8s-node-1",
      _type: "host",
      _class: ["Host"],
      displayName: "k8s-node-1",
      deploymentModel: "immutable-vm",
      deploymentModelSource: "configured",
    });
    expect(configured.properties.role).toBe("k8s-node");
    expect(configured.findings.map((f: { shortDescription: string; closed: boolean }) => [f.shortDescription, f.closed])).toEqual([["Patch the kernel", false]]);
    const unknown = JSON.parse((await dm(["show", "bare", "--db", db, "--json"], { cwd: dir, now: NOW })).stdout);
    expect(unknown.entity).toMatchObject({ deploymentModel: null, deploymentModelSource: "unknown" });
    expect((await dm(["show", "bare", "--db", db], { cwd: dir, now: NOW })).stdout).toMatch(/Deployment +unknown {2}\(set one with deploymentModels:/);
  });

  it("an unknown asset, or an id no item has, exits 2 and says how to find one", async () => {
    const none = await dm(["show", "web-9", "--db", db], { cwd: dir, now: NOW });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no entity has the key or name "web-9"');
    const noItem = await dm(["show", "00c0ffee", "--db", db], { cwd: dir, now: NOW });
    expect(noItem.code).toBe(2);
    expect(noItem.stderr).toContain("no maintenance item 00c0ffee");
    expect(noItem.stderr).toContain("give its key");
    // an asset whose name looks like an item id is still reachable by its key
    expect((await dm(["show", "host:00c0ffee", "--db", db], { cwd: dir, now: NOW })).code).toBe(0);
  });

  it("every command that takes an item takes it as the argument or as --id; two different ids are refused", async () => {
    const [item] = JSON.parse((await dm(["stats", "--json", "--db", db], { cwd: dir, now: NOW })).stdout) as { maintenanceId: string }[];
    const id = item!.maintenanceId;
    for (const command of ["list", "stats", "show"]) {
      const byArgument = await dm([command, id, "--json", "--db", db], { cwd: dir, now: NOW });
      const byFlag = await dm([command, "--id", id, "--json", "--db", db], { cwd: dir, now: NOW });
      expect([command, byArgument.code, byFlag.code]).toEqual([command, 0, 0]);
      expect(byFlag.stdout).toBe(byArgument.stdout);
      const both = await dm([command, id, "--id", "0a1b2c3d", "--db", db], { cwd: dir, now: NOW });
      expect([command, both.code, both.stderr]).toEqual([command, 2, expect.stringContaining(`two ids: ${id} (the argument) and --id 0a1b2c3d`)]);
    }
    // --id is an item's id: an asset's name is refused there
    expect((await dm(["show", "--id", "web-1", "--db", db], { cwd: dir, now: NOW })).code).toBe(2);
  });
});
