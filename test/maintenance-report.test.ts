/**
 * Seeing maintenance from the CLI: `dm` in a checkout, report, list, show,
 * check, stats and the findings evidence export, on a small hand-made graph
 * (numbers derived by hand below) and on the demo organisation.
 */
import { type AssetSpec, handMadeFinding, type ItemSpec } from "./helpers/findings.js";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plainReport } from "../src/cli/main.js";
import { DAY_MS } from "../src/core/maintenance/due.js";
import type { FindingProps } from "../src/core/maintenance/finding.js";
import { DEMO_SIZE, describeCampaigns, sampleRepoName } from "../src/core/sample/generate-org.js";
import { builtinPack } from "../src/core/rules/config.js";
import { ruleMaintenanceId } from "../src/core/rules/run.js";
import type { EntityRecord, RelationshipRecord } from "../src/store/types.js";
import { dm, tempDir } from "./helpers/cli.js";

/** The clock of every run (test/helpers/cli.ts): 2026-11-23 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = DAY_MS;

const TF = { id: "9c3e21a0", short: "Upgrade Terraform to 1.x", link: "https://wiki.example.com/tf1", due: NOW - 20 * DAY };
const KEYS = { id: "4be21f07", short: "Rotate deploy keys", link: "https://wiki.example.com/rotate", due: NOW + 29 * DAY };
const PAD = { id: "11111111", short: "Remove left-pad", link: "https://wiki.example.com/left-pad", due: NOW - 5 * DAY };
const SSL = { id: "22222222", short: "Patch OpenSSL", link: "https://wiki.example.com/openssl", due: NOW - 3 * DAY };
const payments = { key: "repo:acme/payments", type: "github_repo", name: "payments", owner: "core" };
const website = { key: "repo:website", type: "github_repo", name: "website", owner: "web" };
const host = { key: "host:web-1", type: "host", name: "web-1", owner: "platform" };

const PR = "https://github.com/acme/website/pull/7";

function finding(item: ItemSpec, asset: AssetSpec, extra: Partial<FindingProps> = {}) {
  return handMadeFinding(item, asset, NOW, extra);
}

const closed = (on: number, reason: "COMPLETE" | "ERROR" | "RISK_ACCEPTED", link = PR): Partial<FindingProps> => ({
  closed: true,
  status: "closed",
  closedOn: on,
  closedBy: "carol@example.com",
  closeReason: reason,
  maintenanceLink: link,
});

/**
 * payments: TF (20 days overdue) and KEYS (due in 29 days) open, PAD closed.
 * website: KEYS open, TF closed 2 days ago. web-1: SSL open, 3 days overdue,
 * opened by tester@example.com (the DM_USER of every run).
 */
const FINDINGS = [
  finding(TF, payments),
  finding(KEYS, payments),
  finding(PAD, payments, { createdOn: NOW - 30 * DAY, ...closed(NOW - 10 * DAY, "COMPLETE") }),
  finding(KEYS, website),
  finding(TF, website, closed(NOW - 2 * DAY, "COMPLETE")),
  finding(SSL, host, { createdBy: "tester@example.com", createdOn: NOW - 10 * DAY }),
];

const GRAPH: { entities: EntityRecord[]; relationships: RelationshipRecord[] } = {
  entities: [
    { _key: payments.key, _type: "github_repo", _class: "CodeRepo", displayName: "payments", name: "payments", remoteUrl: "https://github.com/acme/payments" },
    { _key: website.key, _type: "github_repo", _class: "CodeRepo", displayName: "website", name: "website" },
    { _key: host.key, _type: "host", _class: "Host", displayName: "web-1", name: "web-1" },
    ...FINDINGS.map((f) => f.entity),
  ],
  relationships: FINDINGS.map((f) => f.edge),
};

function git(cwd: string, ...args: string[]): void {
  execFileSync("git", ["-C", cwd, ...args], { stdio: "ignore" });
}

/** A fresh checkout (no commits needed) with an origin remote. */
function checkout(parent: string, folder: string, remote?: string): string {
  const dir = path.join(parent, folder);
  fs.mkdirSync(dir, { recursive: true });
  git(dir, "-c", "init.defaultBranch=main", "init", "-q");
  if (remote) git(dir, "remote", "add", "origin", remote);
  return dir;
}

let dir: string;
let env: Record<string, string>;
let inPayments: string;
let outside: string;

beforeAll(async () => {
  dir = tempDir("dm-maint-");
  const db = path.join(dir, "dm.db");
  env = { DM_DATABASE_URL: db };
  const file = path.join(dir, "graph.json");
  fs.writeFileSync(file, JSON.stringify(GRAPH));
  const imported = await dm(["import", file], { env });
  expect(imported.stderr).toBe("");
  expect(imported.code).toBe(0);
  // cloned over ssh, into a folder named otherwise: found by the remote
  inPayments = checkout(dir, "pay-checkout", "git@github.com:acme/payments.git");
  outside = path.join(dir, "not-a-checkout");
  fs.mkdirSync(outside);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("dm with no arguments", () => {
  it("inside a checkout: this repository's open maintenance, by due date, and how to close one", async () => {
    const r = await dm([], { env, cwd: inPayments });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "payments: 2 open maintenance items, 1 overdue",
        "",
        "  DUE              ITEM                      LINK                             ID",
        "  20 days overdue  Upgrade Terraform to 1.x  https://wiki.example.com/tf1     9c3e21a0",
        "  in 29 days       Rotate deploy keys        https://wiki.example.com/rotate  4be21f07",
        "",
        `Done with one?  dm close --id 9c3e21a0 --query "Find deferred_maintenance that HAS CodeRepo with name='payments'" --reason COMPLETE --link <pull request URL>`,
        "",
      ].join("\n"),
    );
  });

  it("from a sub-folder of the checkout too", async () => {
    const sub = path.join(inPayments, "src", "deep");
    fs.mkdirSync(sub, { recursive: true });
    const r = await dm([], { env, cwd: sub });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^payments: 2 open maintenance items, 1 overdue\n/);
  });

  it("outside a checkout: the help, as always", async () => {
    const r = await dm([], { env, cwd: outside });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: dm");
    expect(r.stdout).toMatch(/report .*Open maintenance of a repository/);
  });

  it("in a checkout the graph does not know: says so and how to go on, exit 2", async () => {
    const unknown = checkout(dir, "mystery", "https://ci-token:s3cret@github.com/acme/mystery.git");
    const r = await dm([], { env, cwd: unknown });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      "error: no repository named mystery (https://github.com/acme/mystery.git) in the graph; import or sync it, or use --repo",
    );
    expect(r.stderr).not.toContain("s3cret");
    expect(r.stderr).toContain("dm report --repo NAME");
  });

  it("in a checkout without a remote: found by its folder name", async () => {
    const local = checkout(dir, "website");
    const r = await dm([], { env, cwd: local });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^website: 1 open maintenance item, none overdue\n/);
  });
});

describe("dm report", () => {
  it("--mine adds the items I opened anywhere", async () => {
    const r = await dm(["report", "--mine"], { env, cwd: inPayments });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("payments: 2 open maintenance items, 1 overdue");
    expect(r.stdout).toContain("Opened by you (tester@example.com): 1 item, 1 open finding, 1 overdue");
    expect(r.stdout).toMatch(/^ {2}DUE +ITEM +OPEN +OVERDUE +ID$/m);
    expect(r.stdout).toMatch(/^ {2}3 days overdue +Patch OpenSSL +1 +1 +22222222$/m);
    expect(r.stdout).toContain("dm stats 22222222");
  });

  it("is what `dm --mine` and `dm --repo x` run: options alone mean the report", async () => {
    const viaReport = await dm(["report", "--mine"], { env, cwd: inPayments });
    const bare = await dm(["--mine"], { env, cwd: inPayments });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe(viaReport.stdout);
    expect((await dm(["--repo", "payments"], { env, cwd: outside })).stdout).toContain("payments: 2 open maintenance items");
    expect((await dm(["--help"], { env, cwd: inPayments })).stdout).toContain("Usage: dm");
  });

  it("--mine outside a checkout: only what I opened", async () => {
    const r = await dm(["report", "--mine"], { env, cwd: outside });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Opened by you \(tester@example.com\): 1 item/);
    const json = JSON.parse((await dm(["report", "--mine", "--json"], { env, cwd: outside })).stdout);
    expect(json.mine).toEqual([
      { maintenanceId: SSL.id, shortDescription: SSL.short, webLink: SSL.link, dueDate: SSL.due, open: 1, overdue: 1 },
    ]);
  });

  it("--repo picks one explicitly, wherever dm runs", async () => {
    const r = await dm(["report", "--repo", "website"], { env, cwd: inPayments });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^website: 1 open maintenance item, none overdue\n/);
    expect(r.stdout).toMatch(/^ {2}in 29 days +Rotate deploy keys +https:\/\/wiki.example.com\/rotate +4be21f07$/m);
    const byKey = await dm(["report", "--repo", "repo:website"], { env, cwd: outside });
    expect(byKey.stdout).toMatch(/^website: 1 open/);
  });

  it("the plain report (`dm`, `dm --db X`, `dm report`), read without commander, prints what commander's parse prints", async () => {
    const db = env.DM_DATABASE_URL!;
    // `--format table` is the default: that command line goes through commander
    const viaCommander = await dm(["report", "--db", db, "--format", "table"], { env, cwd: inPayments });
    expect(viaCommander.code).toBe(0);
    expect(viaCommander.stdout).toMatch(/^payments: 2 open maintenance items, 1 overdue\n/);
    for (const args of [[], ["--db", db], ["report"], ["report", "--db", db]]) {
      expect(plainReport(args[0] === "report" ? args : ["report", ...args])).toBeDefined();
      expect(await dm(args, { env, cwd: inPayments })).toEqual(viaCommander);
    }
    const refused = await dm(["report", "--format", "table"], { env, cwd: outside });
    expect(refused.code).toBe(2);
    expect(await dm(["report"], { env, cwd: outside })).toEqual(refused);
    expect(await dm(["--db", path.join(dir, "missing.db")], { env, cwd: inPayments })).toEqual(
      await dm(["report", "--db", path.join(dir, "missing.db"), "--format", "table"], { env, cwd: inPayments }),
    );
    // anything else is commander's to read
    for (const args of [["report", "--json"], ["report", "--db"], ["report", "--db", "--json"], ["report", "--db", ""], ["report", "--db=x"], ["query"]]) {
      expect(plainReport(args)).toBeUndefined();
    }
  });

  it("outside a checkout without --repo: says how to pick one, exit 2", async () => {
    const r = await dm(["report"], { env, cwd: outside });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not inside a git repository");
    expect(r.stderr).toContain("dm report --repo NAME");
  });

  it("an unknown --repo is exit 2", async () => {
    const r = await dm(["report", "--repo", "nope"], { env, cwd: outside });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: no repository named "nope" in the graph');
  });

  it("--owner lists a team's open findings with their entities", async () => {
    const r = await dm(["report", "--owner", "web"], { env, cwd: outside });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^web \(owner\): 1 open finding, none overdue\n/);
    expect(r.stdout).toMatch(/^ {2}DUE +ITEM +ENTITY +LINK +ID$/m);
    expect(r.stdout).toMatch(/^ {2}in 29 days +Rotate deploy keys +website +https/m);
    expect((await dm(["report", "--owner", "web", "--repo", "x"], { env })).code).toBe(2);
  });

  it("--json gives the repo, the counts and the findings", async () => {
    const r = await dm(["report", "--json"], { env, cwd: inPayments });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.repo).toMatchObject({ key: "repo:acme/payments", name: "payments", matchedBy: "remote" });
    expect(json.open).toBe(2);
    expect(json.overdue).toBe(1);
    expect(json.findings.map((f: { maintenanceId: string; dueDate: number }) => [f.maintenanceId, f.dueDate])).toEqual([
      [TF.id, TF.due],
      [KEYS.id, KEYS.due],
    ]);
  });
});

describe("dm list", () => {
  it("one row per open finding, by due date", async () => {
    const r = await dm(["list"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "DUE              ITEM                      ENTITY    OWNER     ID",
      "20 days overdue  Upgrade Terraform to 1.x  payments  core      9c3e21a0",
      "3 days overdue   Patch OpenSSL             web-1     platform  22222222",
      "in 29 days       Rotate deploy keys        payments  core      4be21f07",
      "in 29 days       Rotate deploy keys        website   web       4be21f07",
      "",
    ]);
    expect(r.stderr).toBe("4 open findings in 3 items, 2 overdue\n");
  });

  it("--overdue, --overdue DAYS and --id filter", async () => {
    const overdue = await dm(["list", "--overdue"], { env });
    expect(overdue.stdout.trim().split("\n")).toHaveLength(3);
    expect(overdue.stderr).toBe("2 open findings overdue in 2 items, 2 overdue\n");
    const late = await dm(["list", "--overdue", "7"], { env });
    expect(late.stdout).toContain("Upgrade Terraform");
    expect(late.stdout).not.toContain("Patch OpenSSL");
    expect(late.stderr).toBe("1 open finding overdue by more than 7 days in 1 item, 1 overdue\n");
    expect((await dm(["list", "--overdue", "3w"], { env })).stderr).toBe("no open findings overdue by more than 21 days\n");
    const one = await dm(["list", "--id", KEYS.id, "--format", "json"], { env });
    expect(JSON.parse(one.stdout).map((f: { entityName: string }) => f.entityName)).toEqual(["payments", "website"]);
  });

  it("--format csv: dates as ISO 8601, days overdue", async () => {
    const r = await dm(["list", "--overdue", "--format", "csv"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "maintenanceId,item,entity,entityType,entityKey,owner,dueDate,overdue,webLink,createdBy\r\n" +
        "9c3e21a0,Upgrade Terraform to 1.x,payments,github_repo,repo:acme/payments,core,2026-11-03T12:00:00.000Z,20,https://wiki.example.com/tf1,dev@example.com\r\n" +
        "22222222,Patch OpenSSL,web-1,host,host:web-1,platform,2026-11-20T12:00:00.000Z,3,https://wiki.example.com/openssl,tester@example.com\r\n",
    );
  });

  it("refuses a bad id or day count with exit 2", async () => {
    expect((await dm(["list", "--id", "nope"], { env })).code).toBe(2);
    const r = await dm(["list", "--overdue", "soon"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--overdue "soon" is not a duration');
  });
});

describe("dm show", () => {
  it("shows the item, its numbers and its findings, open first", async () => {
    const r = await dm(["show", TF.id], { env });
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Upgrade Terraform to 1.x {2}· 9c3e21a0\nUpgrade Terraform to 1.x: see the link\n/);
    expect(out).toMatch(/^ {2}Link +https:\/\/wiki.example.com\/tf1$/m);
    expect(out).toMatch(/^ {2}Query +Find CodeRepo$/m);
    expect(out).toMatch(/^ {2}Opened +2026-10-14 by dev@example.com$/m);
    expect(out).toMatch(/^ {2}Due +2026-11-03, 20 days overdue$/m);
    expect(out).toMatch(/^ {2}Findings +2: 1 open \(1 overdue\), 1 closed \(1 complete\)$/m);
    expect(out).toMatch(/^ {2}Progress +50% done; in 14 days, 34 late; median 38 days to close$/m);
    const table = out.slice(out.indexOf("STATUS"));
    expect(table.split("\n").slice(0, 3)).toEqual([
      "STATUS               ENTITY    TYPE         OWNER  CLOSED BY / LINK",
      "20 days overdue      payments  github_repo  core",
      `COMPLETE 2026-11-21  website   github_repo  web    carol@example.com ${PR}`,
    ]);
  });

  it("--json, and exit 2 for an unknown or malformed id", async () => {
    const json = JSON.parse((await dm(["show", TF.id, "--json"], { env })).stdout);
    expect(json).toMatchObject({ maintenanceId: TF.id, shortDescription: TF.short, dueDate: TF.due, stats: { total: 2, open: 1 } });
    expect(json.findings).toHaveLength(2);
    const missing = await dm(["show", "abcdef12"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no maintenance item abcdef12");
    expect((await dm(["show", "XYZ"], { env })).code).toBe(2);
  });
});

describe("dm check", () => {
  it("exit 1 when the checkout's repo has maintenance overdue by more than the grace, and says why", async () => {
    const r = await dm(["check", "--grace", "7d"], { env, cwd: inPayments });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^✗ payments has maintenance overdue by more than 7 days:\n {2}Upgrade Terraform to 1.x, 20 days overdue \(https:\/\/wiki.example.com\/tf1\)\n/,
    );
    expect(r.stdout).toContain("dm close --id 9c3e21a0 --query");
    expect(r.stdout).toContain("--reason RISK_ACCEPTED --until YYYY-MM-DD");
    expect(r.stderr).toContain("check failed: 1 item overdue by more than 7 days on payments");
  });

  it("exit 0 with a one-line ok within the grace, or with nothing overdue", async () => {
    const r = await dm(["check", "--grace", "30d"], { env, cwd: inPayments });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "✓ payments: ok, nothing overdue by more than 30 days, 2 open items (1 item overdue within the grace: Upgrade Terraform to 1.x, 20 days overdue)\n",
    );
    const site = await dm(["check", "--repo", "website"], { env, cwd: outside });
    expect(site.code).toBe(0);
    expect(site.stdout).toBe("✓ website: ok, nothing overdue, 1 open item\n");
  });

  it("without a grace anything overdue fails; --json prints the result either way", async () => {
    const r = await dm(["check", "--repo", "payments", "--json"], { env, cwd: outside });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ok: false, graceMs: 0, open: 2, openItems: 2 });
    expect(json.failing.map((f: { maintenanceId: string }) => f.maintenanceId)).toEqual([TF.id]);
    const ok = await dm(["check", "--repo", "payments", "--grace", "3w", "--json"], { env });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, graceMs: 21 * DAY });
  });

  it("exit 2 outside a checkout, for an unknown repo, or a bad grace", async () => {
    const r = await dm(["check"], { env, cwd: outside });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("dm check --repo NAME");
    expect((await dm(["check", "--repo", "nope"], { env })).code).toBe(2);
    const bad = await dm(["check", "--repo", "payments", "--grace", "a week"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--grace "a week" is not a duration');
  });
});

describe("dm stats", () => {
  /*
   * By hand, at 2026-11-23 12:00:
   * SSL 22222222: 1 finding, open, 3 days overdue; nothing closed -> not converging.
   * TF  9c3e21a0: 2 findings, 1 closed 2 days ago -> 50%; 1 closed in 14 days = 1/14 a day,
   *     1 open -> 14 days -> 2026-12-07, 34 days after the due date (2026-11-03).
   * KEYS 4be21f07: 2 open, due in 29 days, nothing closed -> not converging.
   * PAD 11111111: 1 finding, closed 10 days ago -> done.
   * Worst first: overdue 1 (SSL 0%, TF 50%), then overdue 0 (KEYS 0%, PAD 100%).
   */
  it("one line per item, worst first", async () => {
    const r = await dm(["stats"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "ITEM                      DONE  %     OVERDUE  DUE          FORECAST                                 ID",
      "Patch OpenSSL             0/1   0%    1        3 days ago   not converging (none closed in 10 days)  22222222",
      "Upgrade Terraform to 1.x  1/2   50%   1        20 days ago  in 14 days, 34 late                      9c3e21a0",
      "Rotate deploy keys        0/2   0%    0        in 29 days   not converging (none closed in 14 days)  4be21f07",
      "Remove left-pad           1/1   100%  0        done         finished 2026-11-13                      11111111",
      "",
      "One in full, with its burndown:  dm stats 22222222",
      "",
    ]);
  });

  it("--json: the numbers and the daily series", async () => {
    const all = JSON.parse((await dm(["stats", "--json"], { env })).stdout);
    expect(all.map((s: { maintenanceId: string }) => s.maintenanceId)).toEqual([SSL.id, TF.id, KEYS.id, PAD.id]);
    const tf = all[1];
    expect(tf).toMatchObject({
      total: 2,
      open: 1,
      overdue: 1,
      closed: { total: 1, COMPLETE: 1, ERROR: 0, RISK_ACCEPTED: 0, unknown: 0 },
      completion: 0.5,
      medianDaysToClose: 38,
      dueDate: TF.due,
      createdOn: NOW - 40 * DAY,
      forecast: {
        status: "late",
        pace: 1 / 14,
        paceWindowDays: 14,
        closedInWindow: 1,
        daysToFinish: 14,
        finishDate: NOW + 14 * DAY,
        daysLate: 34,
        beforeDue: false,
      },
    });
    // 2026-10-14 .. 2026-11-23: 41 days; 2 open until the close on 2026-11-21
    expect(tf.burndown).toHaveLength(41);
    expect(tf.burndown[0]).toEqual({ date: "2026-10-14", open: 2 });
    expect(tf.burndown[38]).toEqual({ date: "2026-11-21", open: 1 });
    expect(tf.burndown[37]).toEqual({ date: "2026-11-20", open: 2 });
    expect(tf.burndown[40]).toEqual({ date: "2026-11-23", open: 1 });
    const one = JSON.parse((await dm(["stats", TF.id, "--json"], { env })).stdout);
    expect(one).toEqual(tf);
  });

  it("MID: the item in full with its burndown and forecast", async () => {
    const r = await dm(["stats", TF.id], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Upgrade Terraform to 1.x {2}· 9c3e21a0\n/);
    expect(r.stdout).toMatch(/^ {2}Done +1\/2 \(50%\): 1 complete, 0 error, 0 risk accepted$/m);
    expect(r.stdout).toMatch(/^ {2}Open +1, 1 overdue$/m);
    expect(r.stdout).toMatch(/^ {2}Due +2026-11-03 \(20 days ago\)$/m);
    expect(r.stdout).toMatch(/^ {2}To close +median 38 days$/m);
    expect(r.stdout).toMatch(/^ {2}Pace +0.5\/week \(1 closed over the last 14 days\)$/m);
    expect(r.stdout).toMatch(/^ {2}Forecast +2026-12-07: in 14 days, 34 late$/m);
    expect(r.stdout).toContain("Open findings, 2026-10-14 → 2026-11-23 (41 days, peak 2)");
    // 41 days in 41 columns: 38 at full height (2), then 3 at half height (1)
    expect(r.stdout).toContain(`      2 ${"█".repeat(38)}${"▄".repeat(3)} 1\n`);
    expect((await dm(["stats", "abcdef12"], { env })).code).toBe(2);
  });
});

describe("dm export --findings", () => {
  const header =
    "maintenanceId,item,entity,entityType,entityKey,owner,createdBy,createdOn,dueDate,status,closedBy,closedOn,closeReason,maintenanceLink,acceptedUntil,webLink";

  it("writes every finding as CSV evidence: who opened and closed it, when, with which link", async () => {
    const r = await dm(["export", "--findings", "--format", "csv"], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\r\n");
    expect(lines[0]).toBe(header);
    expect(lines).toHaveLength(1 + FINDINGS.length + 1);
    expect(lines).toContain(
      `9c3e21a0,Upgrade Terraform to 1.x,website,github_repo,repo:website,web,dev@example.com,2026-10-14T12:00:00.000Z,2026-11-03T12:00:00.000Z,closed,carol@example.com,2026-11-21T12:00:00.000Z,COMPLETE,${PR},,https://wiki.example.com/tf1`,
    );
    expect(lines).toContain(
      "9c3e21a0,Upgrade Terraform to 1.x,payments,github_repo,repo:acme/payments,core,dev@example.com,2026-10-14T12:00:00.000Z,2026-11-03T12:00:00.000Z,open,,,,,,https://wiki.example.com/tf1",
    );
  });

  it("writes JSON to a file (format from --format or the extension), and the graph export still works", async () => {
    const out = path.join(dir, "evidence.json");
    const r = await dm(["export", "--findings", "--out", out], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`Exported 6 findings to ${out}\n`);
    const rows = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual({
      maintenanceId: "11111111",
      item: "Remove left-pad",
      entity: "payments",
      entityType: "github_repo",
      entityKey: "repo:acme/payments",
      owner: "core",
      createdBy: "dev@example.com",
      createdOn: "2026-10-24T12:00:00.000Z",
      dueDate: "2026-11-18T12:00:00.000Z",
      status: "closed",
      closedBy: "carol@example.com",
      closedOn: "2026-11-13T12:00:00.000Z",
      closeReason: "COMPLETE",
      maintenanceLink: PR,
      acceptedUntil: "",
      webLink: "https://wiki.example.com/left-pad",
    });
    const csvFile = path.join(dir, "evidence.csv");
    await dm(["export", "--findings", "--out", csvFile], { env });
    expect(fs.readFileSync(csvFile, "utf8").split("\r\n")[0]).toBe(header);
    const graph = JSON.parse((await dm(["export"], { env })).stdout);
    expect(graph.entities).toHaveLength(GRAPH.entities.length);
  });

  it("refuses formats that do not fit, exit 2", async () => {
    expect((await dm(["export", "--findings", "--format", "yaml"], { env })).code).toBe(2);
    const r = await dm(["export", "--format", "csv"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("csv goes with --findings");
  });
});

describe("on the demo organisation", () => {
  let demoEnv: Record<string, string>;
  beforeAll(async () => {
    const db = path.join(dir, "demo.db");
    demoEnv = { DM_DATABASE_URL: db };
    const r = await dm(["demo", "--db", db]);
    expect(r.code).toBe(0);
  });

  it("dm in a clone of a demo repo reports its maintenance, and stats covers every campaign", async () => {
    const name = sampleRepoName(DEMO_SIZE);
    const clone = checkout(dir, `demo-${name}`, `git@github.com:acme/${name}.git`);
    const r = await dm([], { env: demoEnv, cwd: clone });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${name}: \\d+ open maintenance items?, `));
    expect(r.stdout).toContain("Done with one?  dm close --id ");
    const stats = JSON.parse((await dm(["stats", "--json"], { env: demoEnv })).stdout);
    // every sample campaign, and besides them only the items of the demo's vulnerability scan
    const campaigns = describeCampaigns({ size: DEMO_SIZE, now: Date.now() }).map((c) => c.maintenanceId);
    const ids = stats.map((s: { maintenanceId: string }) => s.maintenanceId);
    expect(ids).toEqual(expect.arrayContaining(campaigns));
    expect(campaigns).toHaveLength(DEMO_SIZE.campaigns);
    // and the items the demo's rules run opened, one per built-in rule that found something
    const rules = builtinPack().rules.map((r) => ruleMaintenanceId(r));
    const others = stats.filter((s: { maintenanceId: string }) => !campaigns.includes(s.maintenanceId) && !rules.includes(s.maintenanceId));
    expect(stats.length - campaigns.length - others.length).toBeGreaterThan(0);
    expect(others.map((s: { shortDescription: string }) => s.shortDescription.split(" ")[0])).toEqual(others.map(() => expect.stringMatching(/^(GHSA|CVE)-/)));
    for (const s of stats) {
      expect(s.open + s.closed.total).toBe(s.total);
      expect(s.burndown.at(-1).open).toBe(s.open);
    }
    const check = await dm(["check", "--repo", name, "--grace", "10000d"], { env: demoEnv });
    expect(check.code).toBe(0);
  });
});
