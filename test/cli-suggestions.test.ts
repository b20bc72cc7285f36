/**
 * Unknown names are refused with exit 2 and the closest known ones: owners
 * (compared without case), repositories and item ids.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";

const repo = (name: string) => ({ _key: `repo:${name}`, _type: "git_repo", _class: "CodeRepo", displayName: name, name });
const GRAPH = {
  entities: [
    { _key: "team:identity", _type: "team", _class: "Team", displayName: "Identity", name: "identity" },
    { _key: "team:web", _type: "team", _class: "Team", displayName: "Web", name: "web" },
    repo("payments"),
    repo("payments-api"),
    repo("website"),
  ],
  relationships: [
    { _key: "team:web|owns|repo:website", _type: "team_owns_git_repo", _class: "OWNS", _fromEntityKey: "team:web", _toEntityKey: "repo:website" },
  ],
};

let db: string;
let mid: string;

beforeAll(async () => {
  const dir = tempDir();
  db = path.join(dir, "dm.db");
  fs.writeFileSync(path.join(dir, "graph.json"), JSON.stringify(GRAPH));
  expect((await dm(["import", path.join(dir, "graph.json"), "--db", db])).code).toBe(0);
  const r = await dm(["open", "--db", db, "--query", "Find CodeRepo", "--short", "Rotate deploy keys", "--link", "https://wiki.example.com/k", "--due", "30d", "--yes", "--json"]);
  mid = JSON.parse(r.stdout).maintenanceId;
});

describe("dm report --owner", () => {
  it("matches the owner without case", async () => {
    for (const owner of ["Web", "WEB", "web"]) {
      const r = await dm(["report", "--owner", owner, "--db", db]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${owner} \\(owner\\): 1 open finding, none overdue\\n`));
    }
  });
  it("a known owner with nothing open is an empty report, not an error", async () => {
    const r = await dm(["report", "--owner", "identity", "--db", db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^identity \(owner\): no open /);
  });
  it("refuses an unknown owner with exit 2 and the closest names", async () => {
    const r = await dm(["report", "--owner", "identiy", "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('no owner named "identiy": no team or person has that name and no finding is owned by it; did you mean "Identity"?');
    const json = await dm(["report", "--owner", "nobody", "--db", db, "--json"]);
    expect(json.code).toBe(2);
  });
});

describe("did you mean", () => {
  it("for a repository", async () => {
    const r = await dm(["report", "--repo", "paymnets", "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no repository named "paymnets" in the graph; did you mean "payments"?');
    const check = await dm(["check", "--repo", "payment", "--db", db]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('did you mean "payments" or "payments-api"?');
  });
  it("for an item id (show, stats, close)", async () => {
    const typo = `${mid.slice(0, 7)}${mid[7] === "0" ? "1" : "0"}`;
    for (const args of [["show", typo], ["stats", typo], ["close", "--id", typo, "--reason", "ERROR", "--yes"]]) {
      const r = await dm([...args, "--db", db]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`no maintenance item ${typo}`);
      expect(r.stderr).toContain(`did you mean:\n  ${mid}  Rotate deploy keys`);
    }
  });
});
