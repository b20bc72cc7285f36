/**
 * `dm rules list | run | explain` end to end, in-process, on a temporary
 * SQLite database holding the rules fixture graph (imported with dm import).
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";
import { E, EXPECTED_VIOLATIONS, NOW, RULES_GRAPH } from "./helpers/rules-graph.js";

const TOTAL = Object.values(EXPECTED_VIOLATIONS).reduce((n, k) => n + k.length, 0);

async function freshDb(dir: string): Promise<string> {
  const db = path.join(dir, "dm.db");
  const graph = path.join(dir, "graph.json");
  fs.writeFileSync(graph, JSON.stringify(RULES_GRAPH));
  const r = await dm(["import", graph, "--db", db], { now: NOW - 1000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return db;
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe("dm rules", () => {
  let dir: string;
  let db: string;

  beforeAll(async () => {
    dir = tempDir("dm-rules-cli-");
    db = await freshDb(dir);
  });

  it("list: every rule, with R, title, applies-to and open findings; --json; --pack", async () => {
    const r = await dm(["rules", "list", "--db", db], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ID +R +TITLE +APPLIES TO +OPEN/);
    expect(r.stdout).toMatch(/\nrepave-host-age +repave +Mutable machines not rebuilt in 90 days +mutable-vm, bare-metal +0\n/);
    const rows = JSON.parse((await dm(["rules", "list", "--json", "--db", db], { cwd: dir })).stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(12);
    expect(rows.find((x) => x.id === "repair-host-patch")).toMatchObject({
      pack: "three-rs",
      r: "repair",
      title: "Hosts not patched in 30 days",
      appliesTo: ["mutable-vm", "bare-metal"],
      enabled: true,
      openFindings: 0,
      rationale: expect.stringMatching(/kernel/),
      query: expect.stringContaining("lastPatchedOn"),
    });
    expect(rows.find((x) => x.id === "repair-image-pinning")!.appliesTo).toBe("all");
    expect(JSON.parse((await dm(["rules", "list", "--json", "--pack", "three-rs", "--db", db], { cwd: dir })).stdout)).toHaveLength(12);
    const none = await dm(["rules", "list", "--pack", "nope", "--db", db], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--pack: no pack "nope"/);
  });

  it("run --dry-run --json: the counts, per rule, and the notes; nothing written", async () => {
    const r = await dm(["rules", "run", "--dry-run", "--json", "--db", db], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(Object.keys(out).sort()).toEqual(["closed", "dryRun", "notes", "opened", "reopened", "rules", "unchanged"]);
    expect(out).toMatchObject({ opened: TOTAL, closed: 0, unchanged: 0, reopened: 0, dryRun: true });
    const rules = out.rules as Record<string, unknown>[];
    expect(rules).toHaveLength(12);
    for (const o of rules) {
      expect(Object.keys(o).sort()).toEqual(["closed", "id", "opened", "pack", "r", "reopened", "violations"]);
      expect(o.violations).toBe(EXPECTED_VIOLATIONS[o.id as string]!.length);
    }
    expect(out.notes).toEqual([expect.stringMatching(/^1 host has no deployment model/)]);
    const after = await dm(["query", "Find deferred_maintenance with ruleId != undefined", "--format", "json", "--db", db], { cwd: dir });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual({ type: "list", data: [], filteredOn: ["ruleId"] });
  });

  it("run --rule: only that rule; an unknown rule is refused", async () => {
    const r = await dm(["rules", "run", "--dry-run", "--json", "--rule", "repave-host-age", "--db", db], { cwd: dir });
    const out = json(r.stdout);
    expect((out.rules as { id: string }[]).map((o) => o.id)).toEqual(["repave-host-age"]);
    expect(out).toMatchObject({ opened: 2 });
    const bad = await dm(["rules", "run", "--rule", "repave", "--db", db], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rule: no rule "repave"/);
  });

  it("explain --json: the entity and every rule's status and reason", async () => {
    const r = await dm(["rules", "explain", "payments-api", "--json", "--db", db], { cwd: dir });
    expect(r.code).toBe(0);
    const out = json(r.stdout) as { entity: Record<string, unknown>; rules: Record<string, unknown>[] };
    expect(Object.keys(out).sort()).toEqual(["entity", "rules"]);
    expect(out.entity).toEqual({ _key: E.workload._key, _type: "kube_deployment", displayName: "payments-api", deploymentModel: "immutable-container" });
    expect(out.rules).toHaveLength(12);
    for (const rule of out.rules) {
      expect(Object.keys(rule).sort()).toEqual(["id", "r", "reason", "status"]);
      expect(["violates", "ok", "not-applicable", "unknown"]).toContain(rule.status);
    }
    expect(out.rules.find((x) => x.id === "repave-host-age")).toEqual({
      id: "repave-host-age",
      r: "repave",
      status: "not-applicable",
      reason: expect.stringMatching(/^repave: not applicable — deployment model is immutable-container; .*rebuild its image instead/),
    });
    const vm = json((await dm(["rules", "explain", E.oldVm._key, "--json", "--db", db], { cwd: dir })).stdout) as typeof out;
    expect(vm.entity.deploymentModel).toBe("mutable-vm");
    expect(vm.rules.find((x) => x.id === "repave-host-age")).toMatchObject({ status: "violates" });
    const mystery = json((await dm(["rules", "explain", "mystery-1", "--json", "--db", db], { cwd: dir })).stdout) as typeof out;
    expect(mystery.entity.deploymentModel).toBeNull();
    expect(mystery.rules.find((x) => x.id === "repave-host-age")).toMatchObject({ status: "unknown" });
    // the text form
    const text = await dm(["rules", "explain", "old-vm", "--db", db], { cwd: dir });
    expect(text.stdout).toMatch(/^old-vm \(host, host:old-vm\)\ndeployment model: mutable-vm\n/);
    expect(text.stdout).toMatch(/\nrepave-host-age +violates\n {2}repave: violates — Mutable machines not rebuilt in 90 days\n/);
  });

  it("explain of an unknown entity exits 2 and says so", async () => {
    const r = await dm(["rules", "explain", "no-such-host", "--db", db], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no entity has the key or name "no-such-host"/);
    expect(r.stdout).toBe("");
  });

  it("run twice: the second changes nothing; the items show in dm list, dm stats and J1QL", async () => {
    const first = await dm(["rules", "run", "--json", "--db", db], { cwd: dir });
    expect(first.code).toBe(0);
    expect(json(first.stdout)).toMatchObject({ opened: TOTAL, closed: 0, dryRun: false });
    const second = json((await dm(["rules", "run", "--json", "--db", db], { cwd: dir, now: NOW + 60_000 })).stdout);
    expect(second).toMatchObject({ opened: 0, closed: 0, reopened: 0, unchanged: TOTAL });
    for (const o of second.rules as Record<string, number>[]) expect([o.opened, o.closed, o.reopened]).toEqual([0, 0, 0]);
    // the text form of the second run
    const text = await dm(["rules", "run", "--db", db], { cwd: dir, now: NOW + 120_000 });
    expect(text.stdout).toMatch(/Rules run: opened 0 · closed 0 · reopened 0 · unchanged \d+/);
    expect(text.stdout).toMatch(/note: 1 host has no deployment model/);

    const list = await dm(["rules", "list", "--json", "--db", db], { cwd: dir });
    expect((JSON.parse(list.stdout) as { id: string; openFindings: number }[]).find((x) => x.id === "repave-host-age")!.openFindings).toBe(2);

    const items = await dm(["list", "--db", db], { cwd: dir });
    expect(items.code).toBe(0);
    expect(items.stdout).toContain("Repave the machine from a known image");
    expect(items.stdout).toContain("Patch the host");
    const stats = await dm(["stats", "--json", "--db", db], { cwd: dir });
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain("Repave the machine from a known image");
    const q = await dm(["query", "Find deferred_maintenance with ruleId='repave-host-age'", "--format", "json", "--db", db], { cwd: dir });
    expect(q.code).toBe(0);
    const found = (JSON.parse(q.stdout) as { data: { properties: Record<string, unknown> }[] }).data;
    expect(found.map((f) => f.properties.entityKey).sort()).toEqual([E.metal._key, E.oldVm._key].sort());
    for (const f of found) expect(f.properties).toMatchObject({ ruleId: "repave-host-age", rulePack: "three-rs", r: "repave", severity: "medium", closed: false });
  });

  it("a bad pack in dm.config.yaml exits 2 naming file, line, rule and field, and writes nothing", async () => {
    const cwd = tempDir("dm-rules-bad-");
    const own = await freshDb(cwd);
    fs.mkdirSync(path.join(cwd, "rules"));
    fs.writeFileSync(
      path.join(cwd, "rules", "tf.yaml"),
      `pack: tf
description: Terraform.
rules:
  - id: stale-terraform
    title: Old Terraform
    r: rebuild
    rationale: Old providers stop getting security fixes.
    query: Find CodeRepo with terraformVersion ^= '0.'
    open: { short: Upgrade Terraform, description: Do it., link: "https://wiki.example.com/tf" }
    severity: high
    due: 30d
`,
    );
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "rules:\n  packs: [rules/]\n");
    for (const args of [["rules", "run"], ["rules", "run", "--dry-run", "--json"], ["rules", "list"], ["rules", "explain", "old-vm"]]) {
      const r = await dm([...args, "--db", own], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${path.join("rules", "tf.yaml")}:6: rule stale-terraform: rules[0].r: `);
      expect(r.stdout).toBe("");
    }
    const q = await dm(["query", "Find deferred_maintenance", "--format", "json", "--db", own], { cwd });
    // the two vulnerability findings of the fixture, and nothing else
    expect((JSON.parse(q.stdout) as { data: unknown[] }).data).toHaveLength(2);
  });

  it("a rule disabled in dm.config.yaml is listed as disabled and not run; --rule names it", async () => {
    const cwd = tempDir("dm-rules-disabled-");
    const own = await freshDb(cwd);
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "rules:\n  overrides:\n    hygiene-no-owner: { enabled: false }\n");
    const list = await dm(["rules", "list", "--db", own], { cwd });
    expect(list.stdout).toContain("hygiene-no-owner (disabled)");
    const out = json((await dm(["rules", "run", "--dry-run", "--json", "--db", own], { cwd })).stdout);
    expect((out.rules as { id: string }[]).map((o) => o.id)).not.toContain("hygiene-no-owner");
    const one = await dm(["rules", "run", "--rule", "hygiene-no-owner", "--db", own], { cwd });
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/disabled/);
  });
});
