/**
 * `dm open`, `dm close` and `dm reconcile` end to end, in-process through
 * the dm() runner: output and --json shapes, idempotency, every refusal
 * (exit 2, nothing written), the interactive flows, the --yes rule, close
 * reasons, expiry and tracking, the audit log, and the deferred-maintenance
 * queries of J1QL.md answering right afterwards.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { QueryResult } from "../src/query/run.js";
import { openStore } from "../src/store/open-store.js";
import type { StoredAuditEntry } from "../src/store/types.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;
const PR = "https://github.com/acme/payments/pull/42";
const TF = "Find CodeRepo with terraformVersion = '0.12'";

const repo = (name: string, terraformVersion: string) => ({
  _key: `repo:${name}`,
  _type: "git_repo",
  _class: "CodeRepo",
  displayName: name,
  name,
  terraformVersion,
});

const GRAPH = {
  entities: [
    { _key: "team:core", _type: "team", _class: "Team", displayName: "Core", name: "core" },
    repo("my-project", "0.12"),
    repo("payments", "0.12"),
    repo("foo", "0.12"),
    repo("website", "1.5"),
    repo("bar", "1.5"),
    { _key: "host:web-1", _type: "host", _class: "Host", displayName: "web-1", name: "web-1" },
  ],
  relationships: [
    { _key: "team:core|owns|repo:payments", _type: "team_owns_git_repo", _class: "OWNS", _fromEntityKey: "team:core", _toEntityKey: "repo:payments" },
  ],
};

const OPEN_FLAGS = ["--query", TF, "--short", "Upgrade Terraform to 1.x", "--description", "Move to 1.x", "--link", "https://wiki.example.com/tf1", "--due", "30d"];

interface OpenJson {
  maintenanceId: string;
  dueDate: number;
  opened: number;
  alreadyOpen: number;
  skipped: number;
  dryRun: boolean;
  findings: { key: string; entityKey: string; entityName: string; dueDate: number }[];
}

let dir: string;
let db: string;

function writeJson(name: string, data: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(data));
  return file;
}

async function freshDb(): Promise<void> {
  dir = tempDir();
  db = path.join(dir, "dm.db");
  const r = await dm(["import", writeJson("graph.json", GRAPH), "--db", db]);
  expect(r.code).toBe(0);
}

async function query(text: string, now = NOW): Promise<QueryResult> {
  const r = await dm(["query", text, "--db", db, "--all", "--format", "json"], { now });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as QueryResult;
}

/** Every finding as a flat object (properties and key), by entity name. */
async function findings(filter = ""): Promise<Record<string, unknown>[]> {
  const result = await query(`Find deferred_maintenance${filter ? ` with ${filter}` : ""}`);
  if (result.type !== "list") throw new Error("expected a list");
  return result.data.map((i) => ({ ...i.properties, _key: i.entity._key }));
}

async function findingCount(): Promise<number> {
  return (await findings()).length;
}

async function auditLog(): Promise<StoredAuditEntry[]> {
  const store = await openStore(db);
  try {
    return await store.auditLog();
  } finally {
    await store.close();
  }
}

async function openTf(extra: string[] = [], options: Parameters<typeof dm>[1] = {}): Promise<OpenJson> {
  const r = await dm(["open", "--db", db, ...OPEN_FLAGS, "--yes", "--json", ...extra], options);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as OpenJson;
}

describe("dm open", () => {
  beforeEach(freshDb);

  it("opens one finding per selected entity and says so in one line", async () => {
    const r = await dm(["open", "--db", db, ...OPEN_FLAGS, "--yes"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const first = r.stdout.split("\n")[0]!;
    expect(first).toMatch(/^Opened 3 findings · id [0-9a-f]{8} · due 2026-12-23$/);
    const id = /id ([0-9a-f]{8})/.exec(first)![1]!;
    expect(r.stdout).toContain(`dm query "Find deferred_maintenance with maintenanceId='${id}'"`);
    const all = await findings();
    expect(all.map((f) => f.entityName).sort()).toEqual(["foo", "my-project", "payments"]);
    expect(all.find((f) => f.entityName === "payments")).toMatchObject({
      maintenanceId: id,
      createdBy: "tester@example.com",
      owner: "Core",
      status: "open",
      closed: false,
      tracked: false,
      dueDate: NOW + 30 * DAY,
    });
  });

  it("--json prints the id, the count and the findings; a second open changes nothing", async () => {
    const first = await openTf();
    expect(Object.keys(first).sort()).toEqual(["alreadyOpen", "dryRun", "dueDate", "findings", "maintenanceId", "opened", "skipped"]);
    expect(first).toMatchObject({ opened: 3, alreadyOpen: 0, skipped: 0, dryRun: false });
    expect(first.findings).toHaveLength(3);
    expect(first.findings[0]).toEqual({
      key: `deferred_maintenance:${first.maintenanceId}:${first.findings[0]!.entityKey}`,
      entityKey: first.findings[0]!.entityKey,
      entityName: first.findings[0]!.entityName,
      dueDate: NOW + 30 * DAY,
    });
    const before = await query(`Find deferred_maintenance`);
    const again = await openTf([], { now: NOW + DAY });
    expect(again).toMatchObject({ maintenanceId: first.maintenanceId, opened: 0, alreadyOpen: 3, findings: [] });
    expect(await query(`Find deferred_maintenance`)).toEqual(before);
    const human = await dm(["open", "--db", db, ...OPEN_FLAGS, "--yes"]);
    expect(human.stdout.split("\n")[0]).toBe(`Opened 0 findings · id ${first.maintenanceId} · due 2026-12-23 · 3 already open`);
    expect((await auditLog()).filter((e) => e.action === "open")).toHaveLength(1);
  });

  it("--dry-run needs no --yes and writes nothing", async () => {
    const r = await dm(["open", "--db", db, ...OPEN_FLAGS, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Would open 3 findings · id [0-9a-f]{8} · due 2026-12-23 \(dry run: nothing written\)\n {2}my-project, payments, foo\n$/);
    expect(await findingCount()).toBe(0);
    const json = await dm(["open", "--db", db, ...OPEN_FLAGS, "--dry-run", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ opened: 3, dryRun: true });
    expect(await findingCount()).toBe(0);
    expect(await auditLog()).toEqual([expect.objectContaining({ action: "import" })]);
  });

  const flag = (name: string, value: string) => {
    const args = [...OPEN_FLAGS];
    args[args.indexOf(name) + 1] = value;
    return args;
  };
  const refusals: [string, string[], RegExp][] = [
    ["a query that selects nothing", flag("--query", "Find CodeRepo with name='nope'"), /the query selects no entities/],
    ["a query that does not parse", flag("--query", "Find CodeRepo wiht name='x'"), /unexpected "wiht" at line 1, column 15/],
    ["a query with RETURN", flag("--query", "Find CodeRepo as r return r.name"), /the query must select entities: drop the RETURN/],
    ["a short description over 50 characters", flag("--short", "x".repeat(51)), /51 characters; at most 50/],
    ["a link that is not http(s)", flag("--link", "ftp://wiki.example.com/tf1"), /not an http\(s\) URL/],
    ["a link that is not a URL", flag("--link", "wiki.example.com/tf1"), /not a URL/],
    ["a due date that cannot be parsed", flag("--due", "next week"), /neither a number of days .* nor a date/],
    ["a due date that is not a date", flag("--due", "2027-02-30"), /not a real date/],
    ["a due date in the past", flag("--due", "2026-01-01"), /not in the future/],
    ["a due date of zero days", flag("--due", "0d"), /not in the future/],
    ["missing flags off a terminal", ["--query", TF], /missing --short, --link, --due: not on a terminal/],
    ["no --yes off a terminal", OPEN_FLAGS, /refusing to write without --yes when not on a terminal/],
  ];
  it.each(refusals)("refuses %s: exit 2, nothing written", async (_what, args, message) => {
    const yes = _what === "no --yes off a terminal" ? [] : ["--yes"];
    const r = await dm(["open", "--db", db, ...args, ...yes]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(await findingCount()).toBe(0);
    expect((await auditLog()).filter((e) => e.action === "open")).toEqual([]);
  });

  it("refuses without --yes only after validating: a bad flag is reported first", async () => {
    const r = await dm(["open", "--db", db, ...flag("--link", "ftp://x")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an http\(s\) URL/);
    expect(r.stderr).not.toMatch(/--yes/);
    const ok = await dm(["open", "--db", db, ...OPEN_FLAGS]);
    expect(ok.stderr).toContain("It would open 3 findings");
  });

  it("asks for everything on a terminal: the query, a preview to confirm, the texts and the due date", async () => {
    const r = await dm(["open", "--db", db], {
      answers: [
        "Find CodeRepo wiht x", // does not parse: asked again
        TF,
        "y",
        "x".repeat(51), // too long: asked again
        "Upgrade Terraform to 1.x",
        "Move to 1.x",
        "ftp://nope", // not http(s): asked again
        "https://wiki.example.com/tf1",
        "2", // 30 days
        "", // track the query? no
        "y", // Open 3 findings due 2026-12-23?
      ],
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^Opened 3 findings · id [0-9a-f]{8} · due 2026-12-23$/);
    const all = await findings();
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ shortDescription: "Upgrade Terraform to 1.x", description: "Move to 1.x", webLink: "https://wiki.example.com/tf1" });
  });

  it("on a terminal asks only what the flags leave out; a date can be chosen; declining writes nothing", async () => {
    const declined = await dm(["open", "--db", db, "--query", TF], { answers: ["n"] });
    expect(declined.code).toBe(0);
    expect(declined.stderr).toBe("Nothing opened.\n");
    expect(await findingCount()).toBe(0);

    const r = await dm(["open", "--db", db, "--query", TF, "--short", "Upgrade", "--link", "https://wiki.example.com/tf1"], {
      answers: ["yes", "", "7", "2026-01-01", "2027-03-31", "n", "y"],
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^Opened 3 findings · id [0-9a-f]{8} · due 2027-03-31$/);
    const [f] = await findings();
    expect(f).toMatchObject({ description: "Upgrade", dueDate: Date.UTC(2027, 2, 31, 23, 59, 59, 999) });
  });

  it("with --yes on a terminal asks no confirmation", async () => {
    const r = await dm(["open", "--db", db, "--query", TF, "--short", "Upgrade", "--link", "https://x.example.com", "--yes"], {
      answers: ["", "1"],
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Opened 3 findings · id [0-9a-f]{8} · due 2026-11-30\n/);
  });
});

describe("dm close", () => {
  let mid: string;
  beforeEach(async () => {
    await freshDb();
    mid = (await openTf()).maintenanceId;
  });

  it("closes an item as COMPLETE with a link; --json has the count, the skipped and the findings", async () => {
    const r = await dm(["close", "--db", db, "--id", mid, "--reason", "COMPLETE", "--link", PR, "--yes", "--json"], {
      env: { DM_USER: "closer@example.com" },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ closed: 3, reason: "COMPLETE", skipped: [], dryRun: false });
    expect(json.findings).toHaveLength(3);
    for (const f of await findings()) {
      expect(f).toMatchObject({ closed: true, status: "closed", closedBy: "closer@example.com", closedOn: NOW, closeReason: "COMPLETE", maintenanceLink: PR });
    }
    const audit = await auditLog();
    expect(audit[0]).toMatchObject({ actor: "closer@example.com", action: "close", subject: mid, details: { count: 3, reason: "COMPLETE", link: PR } });

    const again = await dm(["close", "--db", db, "--id", mid, "--reason", "COMPLETE", "--link", PR, "--yes"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("no open findings match");
  });

  it("--query narrows the item; entities that are not findings are skipped with a message", async () => {
    const r = await dm([
      "close", "--db", db, "--id", mid, "--reason", "ERROR", "--yes",
      "--query", "Find (deferred_maintenance|Host) with entityName = 'payments' or name = 'web-1'",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Closed 1 finding of ${mid} as ERROR\nSkipped 1 selected entity:\n  web-1: has no finding of ${mid}\n`);
    const closed = await findings("closed = true");
    expect(closed.map((f) => f.entityName)).toEqual(["payments"]);
  });

  it("the documented form: --id and a query selecting assets closes the item's findings on those assets", async () => {
    const r = await dm([
      "close", "--db", db, "--id", mid, "--query", "Find CodeRepo with name = ('payments' or 'website')",
      "--reason", "COMPLETE", "--link", PR, "--yes",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Closed 1 finding of ${mid} as COMPLETE\nSkipped 1 selected entity:\n  website: has no finding of ${mid}\n`);
    expect((await findings("closed = true")).map((f) => f.entityName)).toEqual(["payments"]);
    const again = await dm(["close", "--db", db, "--id", mid, "--query", "Find CodeRepo with name='payments'", "--reason", "ERROR", "--yes"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("payments: already closed");
    const noId = await dm(["close", "--db", db, "--query", "Find CodeRepo with name='foo'", "--reason", "ERROR", "--yes"]);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain("foo: not a maintenance finding (give the item's --id to close its finding on this asset)");
  });

  const refusals: [string, string[], RegExp][] = [
    ["no --id and no --query", ["--reason", "ERROR"], /--id MID, --query Q, or both/],
    ["a malformed id", ["--id", "xyz", "--reason", "ERROR"], /not a maintenance id/],
    ["an unknown id", ["--id", "00000000", "--reason", "ERROR"], /no maintenance item 00000000/],
    ["an unknown reason", ["--reason", "DONE"], /not a close reason/],
    ["no reason off a terminal", [], /missing --reason/],
    ["COMPLETE without --link", ["--reason", "COMPLETE"], /COMPLETE needs --link/],
    ["RISK_ACCEPTED without --link", ["--reason", "RISK_ACCEPTED", "--until", "30d"], /RISK_ACCEPTED needs --link/],
    ["RISK_ACCEPTED without --until", ["--reason", "RISK_ACCEPTED", "--link", PR], /needs --until/],
    ["RISK_ACCEPTED until the past", ["--reason", "RISK_ACCEPTED", "--link", PR, "--until", "2026-01-01"], /--until 2026-01-01 is not in the future/],
    ["--until with COMPLETE", ["--reason", "COMPLETE", "--link", PR, "--until", "30d"], /only applies to --reason RISK_ACCEPTED/],
    ["a link that is not http(s)", ["--reason", "COMPLETE", "--link", "mailto:x@example.com"], /not an http\(s\) URL/],
    ["a query selecting no findings", ["--reason", "ERROR", "--query", "Find Host"], /no open findings match/],
    ["no --yes off a terminal", ["--reason", "ERROR", "NO_YES"], /refusing to write without --yes when not on a terminal/],
  ];
  it.each(refusals)("refuses %s: exit 2, nothing written", async (_what, args, message) => {
    const before = await query("Find deferred_maintenance");
    const withId = args.includes("--id") || _what === "no --id and no --query" ? [] : ["--id", mid];
    const yes = args.includes("NO_YES") ? [] : ["--yes"];
    const r = await dm(["close", "--db", db, ...withId, ...args.filter((a) => a !== "NO_YES"), ...yes]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(await query("Find deferred_maintenance")).toEqual(before);
    expect((await auditLog()).filter((e) => e.action === "close" || e.action === "accept")).toEqual([]);
  });

  it("--dry-run lists without --yes and writes nothing", async () => {
    const r = await dm(["close", "--db", db, "--id", mid, "--reason", "ERROR", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Would close 3 findings of ${mid} as ERROR (dry run: nothing written)\n  my-project, payments, foo\n`);
    expect(await findings("closed = true")).toEqual([]);
  });

  it("asks on a terminal for the reason, the link, the expiry, and confirms", async () => {
    const declined = await dm(["close", "--db", db, "--id", mid], { answers: ["2", "n"] });
    expect(declined.code).toBe(0);
    expect(declined.stderr).toBe("Nothing closed.\n");
    expect(await findings("closed = true")).toEqual([]);

    const r = await dm(["close", "--db", db, "--id", mid], {
      answers: ["3", "not a url", "https://wiki.example.com/adr/17", "yesterday", "90d", "y"],
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`Accepted the risk on 3 findings of ${mid} until 2027-02-21`);
    for (const f of await findings()) {
      expect(f).toMatchObject({ closeReason: "RISK_ACCEPTED", acceptedUntil: NOW + 90 * DAY, acceptedBy: "tester@example.com", maintenanceLink: "https://wiki.example.com/adr/17" });
    }
  });

  it("a risk acceptance expires: reconcile at a later date reopens the findings", async () => {
    const r = await dm([
      "close", "--db", db, "--id", mid, "--reason", "RISK_ACCEPTED", "--link", "https://wiki.example.com/adr/17",
      "--until", "10d", "--query", "Find deferred_maintenance with entityName = 'foo'", "--yes",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Accepted the risk on 1 finding of ${mid} until 2026-12-03`);
    expect((await auditLog())[0]).toMatchObject({ action: "accept", subject: mid, details: { until: NOW + 10 * DAY } });

    const early = await dm(["reconcile", "--db", db, "--json"], { now: NOW + 9 * DAY });
    expect(JSON.parse(early.stdout)).toMatchObject({ reopened: 0 });
    const late = await dm(["reconcile", "--db", db], { now: NOW + 11 * DAY });
    expect(late.code).toBe(0);
    expect(late.stdout).toBe(`Reconciled 0 tracked items: opened 0 · closed 0 · reopened 1\n1 expired risk acceptance reopened.\nReopened:\n  ${mid}  foo\n`);
    const [foo] = await findings("entityName = 'foo'");
    // the SLA clock stood still for the 10 days accepted (not the 11 until reconcile ran), then resumes
    expect(foo).toMatchObject({ closed: false, status: "open", reopenedOn: NOW + 11 * DAY, pausedMs: 10 * DAY });
    expect(foo!.evidence).toMatch(/^risk acceptance expired on 2026-12-03; accepted for 10 days, so the SLA clock resumes: due (\S+) -> (\S+)$/);
    expect(foo!.acceptedUntil).toBeUndefined();
    expect(foo!.closeReason).toBeUndefined();
    expect((await auditLog())[1]).toMatchObject({ actor: "dm", action: "reopen", subject: mid, details: { count: 1 } });
  });
});

describe("dm reconcile with a tracked item", () => {
  beforeEach(freshDb);

  it("closes findings whose entity no longer matches and opens new matches after an import changes the graph", async () => {
    const opened = await openTf(["--track"]);
    const mid = opened.maintenanceId;
    // payments moves to 1.5, bar falls back to 0.12.
    const change = writeJson("change.json", { entities: [repo("payments", "1.5"), repo("bar", "0.12")], relationships: [] });
    expect((await dm(["import", change, "--db", db])).code).toBe(0);

    const dry = await dm(["reconcile", "--db", db, "--dry-run"], { now: NOW + DAY });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      "Would reconcile 1 tracked item: open 1 · close 1 · reopen 0 (dry run: nothing written)\n" +
        `  ${mid}  Upgrade Terraform to 1.x: 3 match · would open 1 · would close 1\n` +
        `Would close:\n  ${mid}  payments\nWould open:\n  ${mid}  bar\n`,
    );
    expect((await findings("entityName = 'payments'"))[0]).toMatchObject({ closed: false });
    expect(await findings("entityName = 'bar'")).toEqual([]);
    expect((await auditLog()).filter((e) => e.action === "reconcile")).toEqual([]);

    const r = await dm(["reconcile", "--db", db, "--json"], { now: NOW + DAY });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ reopened: 0, closed: 1, opened: 1, items: 1, errors: [] });
    expect(json.perItem).toEqual([{ maintenanceId: mid, shortDescription: "Upgrade Terraform to 1.x", matched: 3, opened: 1, closed: 1, notClosed: 0 }]);
    expect(json.changes).toEqual([
      { action: "closed", maintenanceId: mid, entityKey: "repo:payments", entityName: "payments" },
      { action: "opened", maintenanceId: mid, entityKey: "repo:bar", entityName: "bar" },
    ]);

    const [payments] = await findings("entityName = 'payments'");
    expect(payments).toMatchObject({ closed: true, closeReason: "COMPLETE", closedBy: "dm", closedOn: NOW + DAY, evidence: "no longer matched the query on 2026-11-24" });
    const [bar] = await findings("entityName = 'bar'");
    expect(bar).toMatchObject({ closed: false, maintenanceId: mid, dueDate: opened.dueDate, tracked: true, createdBy: "tester@example.com" });

    const human = await dm(["reconcile", "--db", db], { now: NOW + 2 * DAY });
    expect(human.stdout).toBe(`Reconciled 1 tracked item: opened 0 · closed 0 · reopened 0\n  ${mid}  Upgrade Terraform to 1.x: 3 match\n`);

    const audit = await auditLog();
    expect(audit.map((e) => [e.actor, e.action, e.subject])).toEqual([
      ["dm", "reconcile", "tracked items"],
      ["dm", "reconcile", "tracked items"],
      ["dm", "reconcile", mid],
      ["tester@example.com", "import", change],
      ["tester@example.com", "open", mid],
      ["tester@example.com", "import", path.join(dir, "graph.json")],
    ]);
    expect(audit[1]!.details).toMatchObject({ items: 1, closed: 1, opened: 1, ranBy: "tester@example.com" });
  });
});

describe("the deferred-maintenance queries of J1QL.md after dm open / dm close", () => {
  let a: string; // Upgrade Terraform (my-project, payments, foo), due in 10 days, by dev@
  let b: string; // Rotate deploy keys (payments, website), due in 30 days, by dev@
  let c: string; // Patch hosts (web-1), due in 5 days, by tester@
  const LATER = NOW + 20 * DAY; // a and c are overdue then, b is not
  const dev = { env: { DM_USER: "dev@example.com" } };

  beforeEach(async () => {
    await freshDb();
    const open = async (args: string[], options = {}) => {
      const r = await dm(["open", "--db", db, "--yes", "--json", "--link", "https://wiki.example.com/x", ...args], options);
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as OpenJson).maintenanceId;
    };
    a = await open(["--query", TF, "--short", "Upgrade Terraform to 1.x", "--due", "10d"], dev);
    b = await open(["--query", "FIND CodeRepo with name = ('payments' or 'website')", "--short", "Rotate deploy keys", "--due", "30d"], dev);
    c = await open(["--query", "Find Host", "--short", "Patch hosts", "--due", "5d"]);
    const r = await dm(
      ["close", "--db", db, "--id", a, "--query", "Find deferred_maintenance with entityName = 'foo'", "--reason", "COMPLETE", "--link", PR, "--yes"],
      { env: { DM_USER: "closer@example.com" } },
    );
    expect(r.code).toBe(0);
  });

  it("Find deferred_maintenance with closed=false and dueDate < date.now that HAS CodeRepo with name='my-project'", async () => {
    const r = await query("Find deferred_maintenance with closed=false and dueDate < date.now that HAS CodeRepo with name='my-project'", LATER);
    expect(r.type === "list" && r.data.map((i) => i.entity._key)).toEqual([`deferred_maintenance:${a}:repo:my-project`]);
    const now = await query("Find deferred_maintenance with closed=false and dueDate < date.now that HAS CodeRepo with name='my-project'");
    expect(now.type === "list" && now.data).toEqual([]);
  });

  it("Find * as e that HAS deferred_maintenance with closed=false and dueDate < date.now as m return e._type, e.displayName, m.*", async () => {
    const r = await query(
      "Find * as e that HAS deferred_maintenance with closed=false and dueDate < date.now as m return e._type, e.displayName, m.*",
      LATER,
    );
    if (r.type !== "table") throw new Error("expected a table");
    const rows = r.data.map((row) => [row["e._type"], row["e.displayName"], row["m.maintenanceId"], row["m.shortDescription"]]);
    expect(rows.sort()).toEqual([
      ["git_repo", "my-project", a, "Upgrade Terraform to 1.x"],
      ["git_repo", "payments", a, "Upgrade Terraform to 1.x"],
      ["host", "web-1", c, "Patch hosts"],
    ]);
  });

  it("Find deferred_maintenance with closed=true as m that HAS CodeRepo as c return c.displayName, m.closedOn, m.closedBy, m.maintenanceLink", async () => {
    const r = await query(
      "Find deferred_maintenance with closed=true as m that HAS CodeRepo as c return c.displayName, m.closedOn, m.closedBy, m.maintenanceLink",
    );
    expect(r.type === "table" && r.data).toEqual([
      { "c.displayName": "foo", "m.closedOn": NOW, "m.closedBy": "closer@example.com", "m.maintenanceLink": PR },
    ]);
  });

  it("FIND CodeRepo with name = ('foo' or 'bar')", async () => {
    const r = await query("FIND CodeRepo with name = ('foo' or 'bar')");
    expect(r.type === "list" && r.data.map((i) => i.entity.displayName).sort()).toEqual(["bar", "foo"]);
  });

  it('Find deferred_maintenance with closed=false as m that HAS CodeRepo with name = "payments" return … ORDER by m.dueDate ASC', async () => {
    const r = await query(
      'Find deferred_maintenance with closed=false as m that HAS CodeRepo with name = "payments" return m.maintenanceId as maintenanceId, m.shortDescription as description, m.dueDate as dueDate, m.webLink as webLink ORDER by m.dueDate ASC',
    );
    expect(r.type === "table" && r.data).toEqual([
      { maintenanceId: a, description: "Upgrade Terraform to 1.x", dueDate: NOW + 10 * DAY, webLink: "https://wiki.example.com/x" },
      { maintenanceId: b, description: "Rotate deploy keys", dueDate: NOW + 30 * DAY, webLink: "https://wiki.example.com/x" },
    ]);
  });

  it("Find UNIQUE deferred_maintenance with closed=false and createdBy = 'dev@example.com' as m return m.maintenanceId, m.dueDate ORDER BY m.dueDate ASC", async () => {
    const r = await query(
      "Find UNIQUE deferred_maintenance with closed=false and createdBy = 'dev@example.com' as m return m.maintenanceId, m.dueDate ORDER BY m.dueDate ASC",
    );
    expect(r.type === "table" && r.data).toEqual([
      { "m.maintenanceId": a, "m.dueDate": NOW + 10 * DAY },
      { "m.maintenanceId": b, "m.dueDate": NOW + 30 * DAY },
    ]);
  });
});

describe("dm open again: another value is refused without --update, applied and audited with it", () => {
  beforeEach(freshDb);
  const withFlag = (name: string, value: string, args = OPEN_FLAGS) => {
    const out = [...args];
    out[out.indexOf(name) + 1] = value;
    return out;
  };
  const TF2 = "https://wiki.example.com/tf2";

  it("refuses another --due or --link (exit 2), showing old → new and the flag to use; nothing written", async () => {
    const first = await openTf();
    const before = await query("Find deferred_maintenance");
    const r = await dm(["open", "--db", db, ...withFlag("--due", "60d", withFlag("--link", TF2)), "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`item ${first.maintenanceId} is already open (3 open findings) with other values: nothing written`);
    expect(r.stderr).toContain('--link: "https://wiki.example.com/tf1" → "https://wiki.example.com/tf2"');
    expect(r.stderr).toContain("--due: 2026-12-23 → 2027-01-22");
    expect(r.stderr).toContain("Add --update");
    expect(await query("Find deferred_maintenance")).toEqual(before);
    expect((await auditLog()).map((e) => e.action).sort()).toEqual(["import", "open"]);
  });

  it("the same --due 30d run again days later is the same item (the period counts from its opening)", async () => {
    await openTf();
    const r = await dm(["open", "--db", db, ...OPEN_FLAGS, "--yes"], { now: NOW + 5 * DAY });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^Opened 0 findings · id [0-9a-f]{8} · due 2026-12-23 · 3 already open$/);
  });

  it("--update changes the open findings (not the closed ones), says what changed, and audits it", async () => {
    const first = await openTf();
    const closed = await dm(["close", "--db", db, "--id", first.maintenanceId, "--query", "Find CodeRepo with name='foo'", "--reason", "ERROR", "--yes"]);
    expect(closed.code).toBe(0);
    const args = [...withFlag("--due", "2027-03-31", withFlag("--link", TF2)), "--description", "Move to 1.x, see v2"];
    const dry = await dm(["open", "--db", db, ...args, "--update", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Would update 2 open findings: ");
    expect((await findings("closed=false")).map((f) => f.webLink)).toEqual(["https://wiki.example.com/tf1", "https://wiki.example.com/tf1"]);

    const r = await dm(["open", "--db", db, ...args, "--update", "--yes"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Updated 2 open findings: --description: "Move to 1.x" → "Move to 1.x, see v2"; --link: "https://wiki.example.com/tf1" → "https://wiki.example.com/tf2"; --due: 2026-12-23 → 2027-03-31',
    );
    for (const f of await findings("closed=false")) {
      expect(f).toMatchObject({ webLink: TF2, description: "Move to 1.x, see v2", dueDate: Date.UTC(2027, 2, 31, 23, 59, 59, 999), status: "open" });
    }
    expect((await findings("closed=true"))[0]).toMatchObject({ entityName: "foo", webLink: "https://wiki.example.com/tf1" });
    const update = (await auditLog()).find((e) => e.action === "update");
    expect(update).toMatchObject({
      actor: "tester@example.com",
      subject: first.maintenanceId,
      details: { count: 2, changes: { webLink: { from: "https://wiki.example.com/tf1", to: TF2 }, dueDate: { to: Date.UTC(2027, 2, 31, 23, 59, 59, 999) } } },
    });
    // the same values again: nothing to update, no new audit entry
    const again = await dm(["open", "--db", db, ...args, "--yes"]);
    expect(again.code).toBe(0);
    expect((await auditLog()).filter((e) => e.action === "update")).toHaveLength(1);
  });

  it("--track on an untracked item is a change too: refused, then applied with --update", async () => {
    await openTf();
    const r = await dm(["open", "--db", db, ...OPEN_FLAGS, "--track", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--track: false → true");
    const u = await dm(["open", "--db", db, ...OPEN_FLAGS, "--track", "--update", "--yes"]);
    expect(u.code).toBe(0);
    expect((await findings()).every((f) => f.tracked === true)).toBe(true);
  });

  it("a second item with the same short description warns; off a terminal it needs --yes; on one it asks", async () => {
    const first = await openTf();
    const other = withFlag("--query", "Find CodeRepo with name='website'");
    const refused = await dm(["open", "--db", db, ...other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('warning: "Upgrade Terraform to 1.x" is already the short description of an open item');
    expect(refused.stderr).toContain(`${first.maintenanceId}: 3 open findings · ${TF}`);

    const declined = await dm(["open", "--db", db, ...other], { answers: ["y", "n", "n"] });
    expect(declined.code).toBe(0);
    expect(declined.stderr).toContain("is already the short description of an open item");
    expect(declined.asked?.at(-1)).toBe("Open 1 finding due 2026-12-23?");
    expect(await findingCount()).toBe(3);

    const yes = await dm(["open", "--db", db, ...other, "--yes"]);
    expect(yes.code).toBe(0);
    expect(yes.stderr).toContain("is already the short description of an open item");
    expect(yes.stdout).toMatch(/^Opened 1 finding · id/);
    expect(await findingCount()).toBe(4);
  });

  it("interactive: asks whether to track, then confirms a summary (default no); declining writes nothing", async () => {
    const declined = await dm(["open", "--db", db, "--query", TF, "--short", "Upgrade", "--link", "https://wiki.example.com/tf1"], {
      answers: ["y", "", "1", "y", ""],
    });
    expect(declined.code).toBe(0);
    expect(declined.asked).toEqual([
      "3 entities: my-project, payments, foo. Proceed?",
      "Description",
      "Due",
      "Track the query? (dm reconcile then closes findings whose asset no longer matches and opens new matches)",
      "Open 3 findings due 2026-11-30, tracked?",
    ]);
    expect(declined.stderr).toBe("Nothing opened.\n");
    expect(await findingCount()).toBe(0);
    const r = await dm(["open", "--db", db, "--query", TF, "--short", "Upgrade", "--link", "https://wiki.example.com/tf1"], {
      answers: ["y", "", "1", "y", "y"],
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Tracked: dm reconcile");
    expect((await findings()).every((f) => f.tracked === true)).toBe(true);
  });
});
