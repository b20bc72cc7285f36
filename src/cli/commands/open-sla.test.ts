/**
 * `dm open --due sla:<severity>`: due by the SLA policy of --config (or
 * dm.config.yaml in the current folder), sooner on exposed assets; a
 * severity that is none, or a bad policy, is exit 2 with nothing written;
 * remote mode refuses it.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { dm, tempDir } from "../../../test/helpers/cli.js";

const NOW = Date.UTC(2027, 0, 10, 12);
const DAY = 86_400_000;
const GRAPH = {
  entities: [
    { _key: "host:edge", _type: "host", _class: "Host", displayName: "edge", name: "edge", public: true, openssl: "1.1" },
    { _key: "host:db", _type: "host", _class: "Host", displayName: "db", name: "db", openssl: "1.1" },
  ],
  relationships: [],
};
const FLAGS = ["--query", "Find Host with openssl = '1.1'", "--short", "Patch openssl", "--link", "https://wiki.example.com/openssl", "--yes"];
const POLICY = "sla:\n  high: 30d\n  exposure:\n    - name: internet-facing\n      when: public=true\n      factor: 0.5\n";

describe("dm open --due sla:<severity>", () => {
  let dir: string;
  let db: string;

  beforeEach(async () => {
    dir = tempDir();
    db = path.join(dir, "dm.db");
    fs.writeFileSync(path.join(dir, "graph.json"), JSON.stringify(GRAPH));
    expect((await dm(["import", path.join(dir, "graph.json"), "--db", db], { now: NOW })).code).toBe(0);
  });

  it("uses dm.config.yaml here: 30 days for high, 15 on the public host", async () => {
    fs.writeFileSync(path.join(dir, "dm.config.yaml"), POLICY);
    const r = await dm(["open", ...FLAGS, "--due", "sla:high", "--db", db, "--json"], { now: NOW, cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { dueDate: number; sla: unknown; findings: { entityName: string; dueDate: number }[] };
    expect(out.dueDate).toBe(NOW + 30 * DAY);
    expect(out.sla).toEqual({ severity: "high", exposed: 1 });
    expect(Object.fromEntries(out.findings.map((f) => [f.entityName, (f.dueDate - NOW) / DAY]))).toEqual({ edge: 15, db: 30 });

    const text = await dm(["open", ...FLAGS, "--short", "Patch openssl again", "--due", "SLA:High", "--db", db], { now: NOW, cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("due 2027-02-09 (SLA high)");
    expect(text.stdout).toContain("1 on an exposed asset, due sooner");
  });

  it("--config picks the file; without one, the default policy", async () => {
    const file = path.join(dir, "other.yaml");
    fs.writeFileSync(file, "sla:\n  critical: 3d\n");
    const r = await dm(["open", ...FLAGS, "--due", "sla:critical", "--config", file, "--db", db, "--json"], { now: NOW, cwd: dir });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { dueDate: number }).dueDate).toBe(NOW + 3 * DAY);
    const d = await dm(["open", ...FLAGS, "--short", "Default", "--due", "sla:low", "--db", db, "--json"], { now: NOW, cwd: dir });
    expect(d.code).toBe(0);
    expect((JSON.parse(d.stdout) as { dueDate: number }).dueDate).toBe(NOW + 180 * DAY);
  });

  it("sla:urgent is exit 2 naming the severities; nothing is written", async () => {
    const r = await dm(["open", ...FLAGS, "--due", "sla:urgent", "--db", db], { now: NOW, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--due sla:urgent: "urgent" is not a severity; use sla:critical, sla:high, sla:medium, sla:low');
    const q = await dm(["query", "Find deferred_maintenance", "--db", db, "--format", "json"], { now: NOW });
    expect(q.stdout).not.toContain("Patch openssl");
  });

  it("a bad policy is exit 2 naming file and field", async () => {
    fs.writeFileSync(path.join(dir, "dm.config.yaml"), "sla:\n  exposure:\n    - name: x\n      when: public=true\n      factor: 2\n");
    const r = await dm(["open", ...FLAGS, "--due", "sla:high", "--db", db], { now: NOW, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("dm.config.yaml: sla.exposure[0].factor: must be more than 0 and at most 1");
  });

  it("remote mode refuses it clearly (exit 2, before any request)", async () => {
    const r = await dm(["open", ...FLAGS, "--due", "sla:high"], { now: NOW, cwd: dir, env: { DM_SERVER: "http://127.0.0.1:9", DM_TOKEN: "dm_test_not_a_real_token" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--due sla:high is not supported on a dm server");
    expect(r.stderr).not.toContain("dm_test_not_a_real_token");
  });
});
