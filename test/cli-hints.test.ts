/**
 * Every `dm close ...` the CLI suggests is a command that works as printed:
 * each hint is taken from the output, its placeholders filled in, and run;
 * it closes only what it names. (The vulnerability scan's hint is run in
 * test/vulns-cli.test.ts.)
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dm, hintedCommand, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;
const LATER = NOW + 40 * DAY;
const repo = (name: string) => ({ _key: `repo:${name}`, _type: "git_repo", _class: "CodeRepo", displayName: name, name });
const GRAPH = {
  entities: [repo("payments"), repo("website"), { _key: "host:web-1", _type: "host", _class: "Host", displayName: "web-1", name: "web-1" }],
  relationships: [
    { _key: "repo:payments|deployed|host:web-1", _type: "git_repo_deployed_host", _class: "DEPLOYED", _fromEntityKey: "repo:payments", _toEntityKey: "host:web-1" },
  ],
};
const FILL = {
  "<pull request URL>": "https://git.example.com/pull/1",
  "<decision record>": "https://wiki.example.com/adr/1",
  "YYYY-MM-DD": "2027-06-30",
};

let db: string;

async function openItem(query: string, short: string, due: string): Promise<string> {
  const r = await dm(["open", "--db", db, "--query", query, "--short", short, "--link", "https://wiki.example.com/x", "--due", due, "--yes", "--json"]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).maintenanceId;
}

async function openFindings(at = NOW): Promise<string[]> {
  const r = await dm(["list", "--db", db, "--format", "json"], { now: at });
  return (JSON.parse(r.stdout) as { maintenanceId: string; entityName: string }[]).map((f) => `${f.maintenanceId} ${f.entityName}`).sort();
}

describe("the close hints of dm report and dm check", () => {
  let keys: string;
  let ssl: string;
  beforeAll(async () => {
    const dir = tempDir();
    db = path.join(dir, "dm.db");
    fs.writeFileSync(path.join(dir, "graph.json"), JSON.stringify(GRAPH));
    expect((await dm(["import", path.join(dir, "graph.json"), "--db", db])).code).toBe(0);
    keys = await openItem("Find CodeRepo", "Rotate deploy keys", "10d");
    ssl = await openItem("Find Host", "Patch OpenSSL", "20d");
  });

  it("dm report --repo: the hint closes the repo's own finding only, then the one via its deployed host", async () => {
    const report = await dm(["report", "--repo", "payments", "--db", db]);
    expect(report.code).toBe(0);
    const own = await dm([...hintedCommand(report.stdout, "Done with one?", FILL), "--db", db, "--yes"]);
    expect(own.stderr).toBe("");
    expect(own.stdout).toBe(`Closed 1 finding of ${keys} as COMPLETE\n`);
    expect(await openFindings()).toEqual([`${keys} website`, `${ssl} web-1`].sort());

    const next = await dm(["report", "--repo", "payments", "--db", db]);
    expect(next.stdout).toContain("via web-1");
    const via = await dm([...hintedCommand(next.stdout, "Done with one?", FILL), "--db", db, "--yes"]);
    expect(via.stderr).toBe("");
    expect(via.stdout).toBe(`Closed 1 finding of ${ssl} as COMPLETE\n`);
    expect(await openFindings()).toEqual([`${keys} website`]);
  });

  it("dm check: both hints (done, accepting) work as printed", async () => {
    const check = await dm(["check", "--repo", "website", "--db", db], { now: LATER });
    expect(check.code).toBe(1);
    const accept = await dm([...hintedCommand(check.stderr + check.stdout, "Accepting it?", FILL), "--db", db, "--yes"], { now: LATER });
    expect(accept.stderr).toBe("");
    expect(accept.stdout).toMatch(new RegExp(`^Accepted the risk on 1 finding of ${keys} until 2027-06-30\\n`));
    expect(await openFindings(LATER)).toEqual([]);
    // the "done" hint, checked as a dry run against the reopened finding
    const reopened = await dm(["reconcile", "--db", db], { now: Date.UTC(2027, 6, 1) });
    expect(reopened.code).toBe(0);
    const again = await dm(["check", "--repo", "website", "--db", db], { now: Date.UTC(2027, 6, 1) });
    const done = await dm([...hintedCommand(again.stderr + again.stdout, "Done with it?", FILL), "--db", db, "--dry-run"], { now: Date.UTC(2027, 6, 1) });
    expect(done.stderr).toBe("");
    expect(done.stdout).toMatch(new RegExp(`^Would close 1 finding of ${keys} as COMPLETE`));
  });

  it("dm close takes the id as an argument too; two different ids are refused", async () => {
    const r = await dm(["close", keys, "--reason", "ERROR", "--db", db, "--dry-run"], { now: Date.UTC(2027, 6, 1) });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^Would close 1 finding of ${keys} as ERROR`));
    const two = await dm(["close", keys, "--id", ssl, "--reason", "ERROR", "--db", db, "--yes"]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(`two ids: ${keys} (the argument) and --id ${ssl}; give one`);
  });
});
