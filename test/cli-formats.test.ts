/**
 * One spelling per flag: wherever output is structured, `--json` and
 * `--format json` print the same; `--format csv` where the output is rows;
 * the two disagreeing is refused.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";

const repo = (name: string) => ({ _key: `repo:${name}`, _type: "git_repo", _class: "CodeRepo", displayName: name, name });
let db: string;
let mid: string;

beforeAll(async () => {
  const dir = tempDir();
  db = path.join(dir, "dm.db");
  fs.writeFileSync(path.join(dir, "g.json"), JSON.stringify({ entities: [repo("payments"), repo("website")], relationships: [] }));
  expect((await dm(["import", path.join(dir, "g.json"), "--db", db])).code).toBe(0);
  const r = await dm(["open", "--db", db, "--query", "Find CodeRepo", "--short", "Rotate keys", "--link", "https://wiki.example.com/k", "--due", "30d", "--yes", "--json"]);
  mid = JSON.parse(r.stdout).maintenanceId;
});

describe("--json and --format json", () => {
  const commands = (): string[][] => [
    ["report", "--repo", "payments"],
    ["stats"],
    ["stats", mid],
    ["show", mid],
    ["sources"],
    ["check", "--repo", "payments"],
    ["reconcile", "--dry-run"],
    ["list"],
    ["query", "Find CodeRepo"],
    ["close", "--id", mid, "--reason", "ERROR", "--dry-run"],
    ["open", "--query", "Find CodeRepo", "--short", "Rotate keys", "--link", "https://wiki.example.com/k", "--due", "30d", "--dry-run"],
  ];
  it("print the same JSON everywhere output is structured", async () => {
    for (const args of commands()) {
      const a = await dm([...args, "--db", db, "--json"]);
      const b = await dm([...args, "--db", db, "--format", "json"]);
      expect(a.code, `${args.join(" ")} --json: ${a.stderr}`).toBe(0);
      expect(b.code, `${args.join(" ")} --format json: ${b.stderr}`).toBe(0);
      expect(JSON.parse(b.stdout), args.join(" ")).toEqual(JSON.parse(a.stdout));
    }
  });
  it("disagreeing with --format is refused (exit 2)", async () => {
    const r = await dm(["report", "--repo", "payments", "--db", db, "--json", "--format", "csv"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--json and --format csv disagree: give one of them");
    const table = await dm(["show", mid, "--db", db, "--format", "table"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("Rotate keys");
  });
  it("--format csv for the reports made of rows", async () => {
    const report = await dm(["report", "--repo", "payments", "--db", db, "--format", "csv"]);
    expect(report.code).toBe(0);
    const lines = report.stdout.split("\r\n");
    expect(lines[0]).toBe("maintenanceId,item,entity,entityType,entityKey,via,owner,dueDate,overdue,webLink");
    expect(lines[1]).toBe(`${mid},Rotate keys,payments,git_repo,repo:payments,,,2026-12-23T12:00:00.000Z,,https://wiki.example.com/k`);
    const stats = await dm(["stats", "--db", db, "--format", "csv"]);
    expect(stats.stdout.split("\r\n")[1]).toMatch(new RegExp(`^${mid},Rotate keys,2,2,0,0,0,2026-12-23T12:00:00.000Z,,`));
    const notHere = await dm(["show", mid, "--db", db, "--format", "csv"]);
    expect(notHere.code).toBe(2);
  });
});
