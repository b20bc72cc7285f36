/**
 * Messages of the CLI, through dm(): a missing integration setting is named
 * with what it is for; `dm sync --help` lists every integration; counts are
 * singular at one; `dm list --overdue N` means more than N whole days, as
 * its table counts them; CSV cells of lists are `A;B`.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { INTEGRATIONS } from "../src/integrations/registry.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;

describe("integration settings", () => {
  it("dm sync git without --path names the flag and what it is for", async () => {
    const r = await dm(["sync", "git", "--db", path.join(tempDir(), "dm.db")], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--path is required: the folder that holds your clones");
    expect(r.stderr).not.toContain("Invalid input");
  });
  it("a setting only dm.config.yaml can give is named as a setting", async () => {
    const r = await dm(["sync", "github", "--db", path.join(tempDir(), "dm.db")], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("dm sync github: the org setting is required: the organisation's login");
  });
  it("in dm.config.yaml: the instance's key, and the expected type", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "dm.config.yaml"), "integrations:\n  - id: git\n    concurrency: 2\n");
    const missing = await dm(["sync", "--all", "--db", path.join(dir, "dm.db")], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("integrations[0].path is required: the folder that holds your clones");
    fs.writeFileSync(path.join(dir, "dm.config.yaml"), "integrations:\n  - id: git\n    path: 3\n");
    const wrong = await dm(["sync", "--all", "--db", path.join(dir, "dm.db")], { cwd: dir });
    expect(wrong.stderr).toContain("integrations[0].path: expected a string, not a number");
  });
  it("dm sync --help lists every integration", async () => {
    const r = await dm(["sync", "--help"]);
    expect(r.code).toBe(0);
    for (const i of INTEGRATIONS) expect(r.stdout).toMatch(new RegExp(`^  ${i.id} `, "m"));
  });
});

describe("counts, overdue days and CSV", () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = tempDir();
    db = path.join(dir, "dm.db");
    const repo = (name: string) => ({ _key: `repo:${name}`, _type: "git_repo", _class: ["CodeRepo", "Service"], name, tags: ["a", "b"] });
    fs.writeFileSync(path.join(dir, "g.json"), JSON.stringify({ entities: [repo("alpha"), repo("beta")], relationships: [] }));
    expect((await dm(["import", path.join(dir, "g.json"), "--db", db])).code).toBe(0);
    const open = (name: string, due: string, now: number) =>
      dm(["open", "--db", db, "--query", `Find CodeRepo with name='${name}'`, "--short", `Fix ${name}`, "--link", "https://x.example.com", "--due", due, "--yes"], { now });
    // alpha: due 30.5 days before NOW ("30 days overdue"); beta: 31 days before ("31 days overdue")
    expect((await open("alpha", "1d", NOW - 31.5 * DAY)).stdout).toMatch(/^Opened 1 finding · /);
    expect((await open("beta", "1d", NOW - 32 * DAY)).code).toBe(0);
  });

  it("one is singular", async () => {
    const refused = await dm(["close", "--db", db, "--query", "Find CodeRepo with name='alpha'", "--id", "00000000", "--reason", "ERROR"]);
    expect(refused.code).toBe(2);
    const list = await dm(["list", "--db", db, "--format", "json"]);
    const mid = JSON.parse(list.stdout).find((f: { entityName: string }) => f.entityName === "alpha").maintenanceId;
    const r = await dm(["close", "--db", db, "--id", mid, "--reason", "ERROR"]);
    expect(r.stderr).toContain("It would close 1 finding.");
    const out = path.join(dir, "f.csv");
    const exported = await dm(["export", "--findings", "--format", "csv", "--out", out, "--db", db]);
    expect(exported.stderr).toBe(`Exported 2 findings to ${out}\n`);
  });

  it("dm list --overdue 30: more than 30 whole days, as the DUE column counts them, and says so", async () => {
    const all = await dm(["list", "--db", db, "--overdue"]);
    expect(all.stdout).toMatch(/30 days overdue\s+Fix alpha/);
    expect(all.stdout).toMatch(/31 days overdue\s+Fix beta/);
    const r = await dm(["list", "--db", db, "--overdue", "30"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("31 days overdue");
    expect(r.stdout).not.toContain("Fix alpha");
    expect(r.stderr).toContain("1 open finding overdue by more than 30 days in 1 item, 1 overdue");
    const csv = await dm(["list", "--db", db, "--overdue", "30", "--format", "csv"]);
    expect(csv.stdout.split("\r\n")[1]).toContain(",31,");
  });

  it("CSV cells of lists are A;B, not JSON", async () => {
    const r = await dm(["query", "Find CodeRepo with name='alpha' as r return r._class, r.tags, r.name", "--db", db, "--format", "csv"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\r\n")[1]).toBe("CodeRepo;Service,a;b,alpha");
  });
});
