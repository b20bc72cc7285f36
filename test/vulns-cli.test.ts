/**
 * `dm vulns` end to end, in-process: importing real advisories, scanning a
 * folder of real lockfiles (table, JSON, SARIF, exit codes), bad input, and
 * the graph scan after `dm sync git` on real repositories: a finding opens,
 * closes itself when the lockfile is upgraded and reopens when it comes back.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { vulnMaintenanceId } from "../src/core/vulns/scan-graph.js";
import { dm, hintedCommand, tempDir } from "./helpers/cli.js";

const FIXTURES = path.join(import.meta.dirname, "../src/core/vulns/fixtures");
const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;

let root: string;
let home: string;
let advisories: string;
let project: string;
const env = () => ({ HOME: home });

function git(dir: string, ...args: string[]): void {
  execFileSync("git", args, {
    cwd: dir,
    env: { ...process.env, GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.com" },
  });
}

beforeAll(() => {
  root = tempDir("dm-vulns-cli-");
  home = path.join(root, "home");
  fs.mkdirSync(home);
  advisories = path.join(root, "advisories");
  fs.mkdirSync(advisories);
  for (const f of ["GHSA-35jh-r3h4-6jhm.json", "GHSA-jh3w-4vvf-mjgr.json", "GHSA-w573-4hg7-7wgq.json", "GHSA-wxc4-f4m6-wwqv.json", "GO-2020-0036.json"]) {
    fs.copyFileSync(path.join(FIXTURES, f), path.join(advisories, f));
  }
  fs.copyFileSync(path.join(FIXTURES, "malformed-event.json"), path.join(advisories, "zz-malformed.json"));
  project = path.join(root, "project");
  fs.cpSync(path.join(FIXTURES, "project"), project, { recursive: true });
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("dm vulns", () => {
  it("scanning before any import says how to get a database (exit 2)", async () => {
    const r = await dm(["vulns", "scan", project], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no advisory database at");
    expect(r.stderr).toContain("dm vulns db import");
  });

  it("imports a folder, reporting the malformed file and loading the rest; status shows it", async () => {
    const r = await dm(["vulns", "db", "import", advisories, "--json"], { env: env() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ read: 5, added: 5, updated: 0 });
    expect(out.skipped).toEqual([{ file: path.join(advisories, "zz-malformed.json"), reason: expect.stringContaining("exactly one of") }]);
    const again = await dm(["vulns", "db", "import", advisories], { env: env() });
    expect(again.stdout).toContain("added 0 · updated 0 · unchanged 5");
    expect(again.stdout).toContain("zz-malformed.json: $.affected[0].ranges[0].events[1]");
    const status = await dm(["vulns", "db", "status"], { env: env(), now: NOW });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/5 advisories/);
    expect(status.stdout).toMatch(/Go\s+2\s+2024-05-20/);
    expect(status.stdout).toMatch(/newest modification: 2024-05-20/);
  });

  it("scans a folder: the table, exit 1 on findings, exit 0 under --fail-on", async () => {
    const r = await dm(["vulns", "scan", project], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/high\s+GHSA-35jh-r3h4-6jhm\s+lodash\s+4\.17\.20\s+4\.17\.21\s+package-lock\.json:15/);
    expect(r.stdout).toMatch(/medium\s+GHSA-wxc4-f4m6-wwqv\s+gopkg\.in\/yaml\.v2\s+v2\.2\.7\s+2\.2\.8\s+worker\/go\.mod:7/);
    expect(r.stdout).toContain("4 vulnerabilities (3 high, 1 medium)");
    expect(r.stderr).toContain("4 vulnerable packages found");
    expect((await dm(["vulns", "scan", project, "--fail-on", "critical"], { env: env() })).code).toBe(0);
    expect((await dm(["vulns", "scan", project, "--fail-on", "high"], { env: env() })).code).toBe(1);
    expect((await dm(["vulns", "scan", path.join(project, "api")], { env: env() })).code).toBe(0);
  });

  it("writes SARIF to a file and JSON to stdout", async () => {
    const out = path.join(root, "results.sarif");
    const r = await dm(["vulns", "scan", project, "--format", "sarif", "-o", out, "--fail-on", "none"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const sarif = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toEqual([
      "GHSA-35jh-r3h4-6jhm",
      "GHSA-jh3w-4vvf-mjgr",
      "GHSA-w573-4hg7-7wgq",
      "GHSA-wxc4-f4m6-wwqv",
    ]);
    const json = await dm(["vulns", "scan", project, "--format", "json"], { env: env() });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).findings).toHaveLength(4);
  });

  it("honours the ignore list in the config, and names a bad config key", async () => {
    const config = path.join(root, "ignore.yaml");
    fs.writeFileSync(
      config,
      "vulns:\n  ignore:\n    - id: CVE-2021-23337\n      reason: template() is not used\n      until: 2027-06-30\n",
    );
    const r = await dm(["vulns", "scan", project, "--config", config], { env: env() });
    expect(r.stdout).toContain("3 vulnerabilities");
    expect(r.stdout).toContain("GHSA-35jh-r3h4-6jhm in lodash 4.17.20 (package-lock.json) until 2027-06-30: template() is not used");
    fs.writeFileSync(config, "vulns:\n  ignore:\n    - id: CVE-2021-23337\n      until: 2027-06-30\n");
    const bad = await dm(["vulns", "scan", project, "--config", config], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${config}: vulns.ignore.0.reason`);
    fs.writeFileSync(config, "vulns:\n  ignore:\n    - id: CVE-2021-23337\n      reason: x\n      until: next year\n");
    const badDate = await dm(["vulns", "scan", project, "--config", config], { env: env() });
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("vulns.ignore[0].until: \"next year\" is not a date");
  });

  it("bad input: exit 2 with what was wrong", async () => {
    const cases: [string[], RegExp][] = [
      [["vulns", "scan", path.join(root, "nope")], /nope: no such file or folder/],
      [["vulns", "scan", project, "--fail-on", "severe"], /severe/],
      [["vulns", "scan", "--format", "sarif"], /--format sarif is for scanning a folder/],
      [["vulns", "db", "import", path.join(root, "missing.zip")], /missing\.zip: no such file or folder/],
      [["vulns", "db", "import", path.join(FIXTURES, "malformed-event.json")], /no valid OSV advisory/],
      [["vulns", "db", "import", path.join(FIXTURES, "project", "worker")], /no OSV advisories in .*: it holds no \.json files/],
    ];
    for (const [args, message] of cases) {
      const r = await dm(args, { env: env() });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });
});

describe("dm vulns scan <path>: counts, and lockfiles it cannot read", () => {
  let home2: string;
  let work: string;
  const env2 = () => ({ HOME: home2 });
  /** a synthetic advisory: `name` below `fixed` */
  const advisory = (id: string, name: string, fixed: string, severity: string) => ({
    schema_version: "1.4.0",
    id,
    modified: "2024-01-01T00:00:00Z",
    summary: `${severity} in ${name}`,
    affected: [{ package: { ecosystem: "npm", name }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }] }],
    database_specific: { severity },
  });
  const lockfile = (packages: Record<string, string>) =>
    JSON.stringify(
      {
        lockfileVersion: 3,
        packages: { "": { name: "app" }, ...Object.fromEntries(Object.entries(packages).map(([n, v]) => [`node_modules/${n}`, { version: v }])) },
      },
      null,
      2,
    );

  beforeAll(async () => {
    home2 = path.join(root, "home2");
    fs.mkdirSync(home2);
    const osv = path.join(root, "advisories2");
    fs.mkdirSync(osv);
    const all = [
      advisory("GHSA-aaaa-aaaa-aaaa", "left-pad", "1.3.1", "HIGH"),
      advisory("GHSA-bbbb-bbbb-bbbb", "left-pad", "1.3.1", "MODERATE"),
      advisory("GHSA-cccc-cccc-cccc", "left-pad", "1.3.1", "LOW"),
      advisory("GHSA-dddd-dddd-dddd", "ms", "2.1.4", "HIGH"),
    ];
    fs.writeFileSync(path.join(osv, "all.json"), JSON.stringify(all));
    expect((await dm(["vulns", "db", "import", path.join(osv, "all.json")], { env: env2() })).code).toBe(0);
    work = path.join(root, "work");
    fs.mkdirSync(path.join(work, "app"), { recursive: true });
    fs.writeFileSync(path.join(work, "app", "package-lock.json"), lockfile({ "left-pad": "1.3.0", ms: "2.1.3", once: "1.4.0" }));
  });

  it("counts packages as packages and findings as findings", async () => {
    const r = await dm(["vulns", "scan", work], { env: env2() });
    expect(r.code).toBe(1);
    // left-pad has three advisories: one vulnerable package, three findings
    expect(r.stdout).toContain("4 vulnerabilities (2 high, 1 medium, 1 low) in 2 vulnerable packages (4 findings); 3 packages in 1 lockfile checked.");
    expect(r.stderr).toContain("2 vulnerable packages found (4 findings; --fail-on any;");
    const high = await dm(["vulns", "scan", work, "--fail-on", "medium"], { env: env2() });
    expect(high.stderr).toContain("2 vulnerable packages at or above --fail-on medium (3 findings: 2 high, 1 medium)");
  });

  it("a lockfile it cannot read fails the scan (exit 2) whatever --fail-on says, unless --allow-unreadable", async () => {
    const broken = path.join(work, "broken");
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\npackages: {a: [\n");
    try {
      for (const failOn of ["any", "critical", "none"]) {
        const r = await dm(["vulns", "scan", work, "--fail-on", failOn], { env: env2() });
        expect({ failOn, code: r.code }).toEqual({ failOn, code: 2 });
        expect(r.stderr).toMatch(/warning: broken\/pnpm-lock\.yaml:\d+: not valid YAML/);
        expect(r.stderr).toMatch(/error: the scan is incomplete: could not read broken\/pnpm-lock\.yaml:\d+/);
        expect(r.stderr).toContain("--allow-unreadable");
        // what could be read is still reported
        expect(r.stdout).toContain("in 2 vulnerable packages (4 findings); 3 packages in 1 lockfile checked.");
        expect(r.stdout).toContain("Incomplete: 1 lockfile or folder could not be read");
      }
      const any = await dm(["vulns", "scan", work], { env: env2() });
      expect(any.stderr).toContain("Also: 2 vulnerable packages found");
      const json = JSON.parse((await dm(["vulns", "scan", work, "--format", "json"], { env: env2() })).stdout);
      expect(json.unreadable).toEqual([{ file: "broken/pnpm-lock.yaml", line: expect.any(Number), message: expect.stringMatching(/^not valid YAML/), io: false }]);
      // SARIF is still written, and says the run was incomplete
      const sarifFile = path.join(root, "incomplete.sarif");
      const sarif = await dm(["vulns", "scan", work, "--format", "sarif", "-o", sarifFile, "--fail-on", "none"], { env: env2() });
      expect(sarif.code).toBe(2);
      const invocation = JSON.parse(fs.readFileSync(sarifFile, "utf8")).runs[0].invocations[0];
      expect(invocation.executionSuccessful).toBe(false);
      expect(invocation.toolExecutionNotifications[0].locations[0].physicalLocation.artifactLocation.uri).toBe("broken/pnpm-lock.yaml");
      // opted out: the findings decide, as before
      expect((await dm(["vulns", "scan", work, "--allow-unreadable"], { env: env2() })).code).toBe(1);
      const allowed = await dm(["vulns", "scan", work, "--allow-unreadable", "--fail-on", "none"], { env: env2() });
      expect(allowed.code).toBe(0);
      expect(allowed.stderr).toMatch(/warning: broken\/pnpm-lock\.yaml/);
      // the flag is for folder scans
      const graph = await dm(["vulns", "scan", "--allow-unreadable", "--db", path.join(root, "none.db")], { env: env2() });
      expect(graph.code).toBe(2);
      expect(graph.stderr).toContain("--allow-unreadable is for scanning a folder");
    } finally {
      fs.rmSync(broken, { recursive: true });
    }
  });

  it("a lockfile the file system will not read: exit 3", async () => {
    const lock = path.join(work, "app", "package-lock.json");
    const read = fs.readFileSync;
    const spy = vi.spyOn(fs, "readFileSync").mockImplementation(((file: fs.PathOrFileDescriptor, options?: unknown) => {
      if (file === lock) throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
      return read(file, options as BufferEncoding);
    }) as typeof fs.readFileSync);
    try {
      const r = await dm(["vulns", "scan", work, "--fail-on", "none"], { env: env2() });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("warning: app/package-lock.json: cannot read: EACCES");
      expect(r.stderr).toContain("the scan is incomplete: could not read app/package-lock.json");
      expect(r.stdout).toContain("No known vulnerabilities: 0 packages in 0 lockfiles checked.");
    } finally {
      spy.mockRestore();
    }
  });

  it("an empty lockfile is a lockfile with no packages: the scan passes", async () => {
    const empty = path.join(root, "empty-project");
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, "package-lock.json"), "");
    fs.writeFileSync(path.join(empty, "Cargo.lock"), "# This file is automatically @generated by Cargo.\nversion = 3\n");
    const r = await dm(["vulns", "scan", empty], { env: env2() });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("No known vulnerabilities: 0 packages in 2 lockfiles checked.");
  });
});

describe("dm vulns scan over the graph, after dm sync git", () => {
  let repos: string;
  let shop: string;
  let db: string;
  const lock = (version: string) =>
    JSON.stringify(
      {
        name: "shop",
        lockfileVersion: 3,
        packages: { "": { name: "shop", dependencies: { lodash: `^${version}` } }, "node_modules/lodash": { version } },
      },
      null,
      2,
    );

  beforeAll(() => {
    repos = path.join(root, "repos");
    shop = path.join(repos, "shop");
    fs.mkdirSync(shop, { recursive: true });
    git(shop, "init", "-q", "-b", "main");
    fs.writeFileSync(path.join(shop, "package-lock.json"), lock("4.17.20"));
    git(shop, "add", ".");
    git(shop, "commit", "-q", "-m", "init");
    db = path.join(root, "graph.db");
  });

  it("opens a finding on sync, closes it when the lockfile is upgraded, reopens it when it comes back", async () => {
    const first = await dm(["sync", "git", "--path", repos, "--db", db], { env: env(), now: NOW });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("vulnerabilities: 1 open · 1 opened · 0 closed as fixed · 0 reopened");
    const scan = await dm(["vulns", "scan", "--db", db, "--format", "json"], { env: env(), now: NOW });
    expect(scan.code).toBe(0);
    const open = JSON.parse(scan.stdout).open;
    expect(open).toEqual([
      expect.objectContaining({ vulnerabilityId: "GHSA-35jh-r3h4-6jhm", entityName: "shop", package: "lodash", installedVersion: "4.17.20", fixedVersion: "4.17.21", dueDate: NOW + 30 * DAY }),
    ]);
    // the usual maintenance commands see it
    const list = await dm(["list", "--db", db, "--format", "json"], { env: env(), now: NOW });
    expect(JSON.parse(list.stdout).map((f: { maintenanceId: string }) => f.maintenanceId)).toEqual([vulnMaintenanceId("GHSA-35jh-r3h4-6jhm")]);
    const failing = await dm(["vulns", "scan", "--db", db, "--fail-on", "high"], { env: env(), now: NOW });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/high\s+GHSA-35jh-r3h4-6jhm\s+shop\s+lodash\s+4\.17\.20\s+4\.17\.21\s+in 30 days/);

    fs.writeFileSync(path.join(shop, "package-lock.json"), lock("4.17.21"));
    git(shop, "commit", "-qam", "upgrade lodash");
    const fixed = await dm(["sync", "git", "--path", repos, "--db", db], { env: env(), now: NOW + DAY });
    expect(fixed.stdout).toContain("vulnerabilities: 0 open · 0 opened · 1 closed as fixed");
    const shown = await dm(["show", vulnMaintenanceId("GHSA-35jh-r3h4-6jhm"), "--db", db, "--json"], { env: env(), now: NOW + DAY });
    expect(shown.stdout).toContain("lodash is 4.17.21 now (was 4.17.20)");

    fs.writeFileSync(path.join(shop, "package-lock.json"), lock("4.17.19"));
    git(shop, "commit", "-qam", "pin an old lodash");
    const back = await dm(["sync", "git", "--path", repos, "--db", db], { env: env(), now: NOW + 2 * DAY });
    expect(back.stdout).toContain("vulnerabilities: 1 open · 0 opened · 0 closed as fixed · 1 reopened");
  });

  it("the close hint of a scan is a command that works, and closes only that asset's finding of the vulnerability", async () => {
    const cart = path.join(repos, "cart");
    fs.mkdirSync(cart, { recursive: true });
    git(cart, "init", "-q", "-b", "main");
    fs.writeFileSync(path.join(cart, "package-lock.json"), lock("4.17.20").replace('"shop"', '"cart"'));
    git(cart, "add", ".");
    git(cart, "commit", "-q", "-m", "init");
    fs.writeFileSync(path.join(shop, "package-lock.json"), lock("4.17.20"));
    git(shop, "commit", "-qam", "lodash 4.17.20");
    expect((await dm(["sync", "git", "--path", repos, "--db", db], { env: env(), now: NOW + 3 * DAY })).code).toBe(0);
    const scan = await dm(["vulns", "scan", "--db", db], { env: env(), now: NOW + 3 * DAY });
    expect(scan.code).toBe(0);
    const mid = vulnMaintenanceId("GHSA-35jh-r3h4-6jhm");
    expect(scan.stdout).toContain(`See one: dm show ${mid}\n`);
    const named = /Fixed GHSA-35jh-r3h4-6jhm on (\w+)\?/.exec(scan.stdout)?.[1];
    expect(["shop", "cart"]).toContain(named);
    const args = hintedCommand(scan.stdout, "Fixed GHSA-35jh-r3h4-6jhm", { "<pull request URL>": "https://git.example.com/pull/9" });
    const closed = await dm([...args, "--db", db, "--yes"], { env: env(), now: NOW + 3 * DAY });
    expect(closed.stderr).toBe("");
    expect(closed.code).toBe(0);
    expect(closed.stdout).toBe(`Closed 1 finding of ${mid} as COMPLETE\n`);
    const list = await dm(["list", "--db", db, "--format", "json"], { env: env(), now: NOW + 3 * DAY });
    expect(JSON.parse(list.stdout).map((f: { entityName: string }) => f.entityName)).toEqual([named === "shop" ? "cart" : "shop"]);
  });
});
