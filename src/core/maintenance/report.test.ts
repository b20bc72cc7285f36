/**
 * Reports on both stores, on a hand-made graph: which repo a checkout is,
 * which findings a repo, an owner or a person has, and that the lookups
 * start from an index (SQLite query plans).
 */
import { type AssetSpec, handMadeFinding, type ItemSpec } from "../../../test/helpers/findings.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../../test/helpers/pg.js";
import { referenceReportByName } from "../../../test/helpers/report-reference.js";
import { compile, runQuery } from "../../query/run.js";
import { markDeleted } from "../../query/fixtures/graph.js";
import { InputError } from "../../shared/errors.js";
import { PostgresStore } from "../../store/postgres/postgres-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { DAY_MS } from "./due.js";
import { type FindingProps, findingKey } from "./finding.js";
import {
  findRepo,
  listFindings,
  mineReport,
  normaliseRemote,
  ownerReport,
  parseRemote,
  remoteRepoName,
  repoReport,
  repoReportByName,
  repoReportQuery,
  reposNamed,
} from "./report.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = DAY_MS;

function repo(key: string, props: Record<string, unknown>): EntityRecord {
  return { _key: key, _type: "github_repo", _class: "CodeRepo", displayName: String(props.name ?? key), ...props };
}

const TF = { id: "9c3e21a0", short: "Upgrade Terraform to 1.x", link: "https://wiki.example.com/tf1", due: NOW - 20 * DAY };
const KEYS = { id: "4be21f07", short: "Rotate deploy keys", link: "https://wiki.example.com/rotate", due: NOW + 29 * DAY };
const DONE = { id: "11111111", short: "Remove left-pad", link: "https://wiki.example.com/left-pad", due: NOW - 5 * DAY };
const OS = { id: "22222222", short: "Patch OpenSSL", link: "https://wiki.example.com/openssl", due: NOW - 3 * DAY };

function finding(item: ItemSpec, asset: AssetSpec, extra: Partial<FindingProps> = {}) {
  return handMadeFinding(item, asset, NOW, extra);
}

const acmePayments = { key: "repo:acme/payments", type: "github_repo", name: "payments", owner: "core" };
const otherPayments = { key: "repo:other/payments", type: "github_repo", name: "payments", owner: "other" };
const website = { key: "repo:website", type: "github_repo", name: "website", owner: "web" };
const host = { key: "host:web-1", type: "host", name: "web-1", owner: "platform" };

const findings = [
  finding(KEYS, acmePayments, { createdBy: "tester@example.com" }),
  finding(TF, acmePayments),
  finding(DONE, acmePayments, { closed: true, status: "closed", closedOn: NOW - 2 * DAY, closedBy: "dev@example.com", closeReason: "COMPLETE" }),
  finding(TF, otherPayments),
  finding(KEYS, website, { createdBy: "tester@example.com" }),
  finding(OS, host, { createdBy: "tester@example.com" }),
  finding(OS, website, { createdBy: "tester@example.com", closed: true, status: "closed", closedOn: NOW - DAY, closeReason: "RISK_ACCEPTED" }),
];
// The website's Terraform finding is linked the other way round (finding -HAS-> repo), as some imports do.
const reversed = finding(TF, website);
// A deleted finding on acme/payments: never reported.
const gone = finding(OS, acmePayments);

const GRAPH = {
  entities: [
    repo("repo:acme/payments", { name: "payments", remoteUrl: "https://github.com/acme/payments.git" }),
    repo("repo:other/payments", { name: "payments", remoteUrl: "git@github.com:other/payments.git" }),
    repo("repo:billing", { name: "billing-service", webLink: "https://github.com/acme/billing" }),
    repo("repo:website", { name: "website" }),
    repo("repo:dup-1", { name: "dup" }),
    repo("repo:dup-2", { name: "dup" }),
    repo("repo:folder", { name: "my-folder" }),
    repo("repo:fullname", { name: "acme/fullname" }),
    { _key: "host:web-1", _type: "host", _class: "Host", displayName: "web-1", name: "web-1" },
    ...findings.map((f) => f.entity),
    reversed.entity,
    gone.entity,
  ],
  relationships: [
    ...findings.map((f) => f.edge),
    {
      _key: `${reversed.entity._key}|has|repo:website`,
      _type: "deferred_maintenance_has_github_repo",
      _class: "HAS",
      _fromEntityKey: reversed.entity._key,
      _toEntityKey: "repo:website",
    },
    gone.edge,
  ],
};

describe("remotes", () => {
  it.each([
    ["git@github.com:acme/payments.git", "github.com/acme/payments"],
    ["https://github.com/acme/payments.git", "github.com/acme/payments"],
    ["https://github.com/acme/payments", "github.com/acme/payments"],
    ["https://github.com/acme/payments/", "github.com/acme/payments"],
    ["https://x-access-token:s3cret@github.com/acme/payments.git", "github.com/acme/payments"],
    ["ssh://git@github.com:22/acme/payments.git", "github.com/acme/payments"],
    ["ssh://git@GitHub.com/Acme/Payments", "github.com/acme/payments"],
    ["git://github.com/acme/payments.git", "github.com/acme/payments"],
    ["github.com:acme/payments", "github.com/acme/payments"],
    ["https://gitlab.example.com/group/sub/payments.git", "gitlab.example.com/group/sub/payments"],
    ["/srv/git/payments.git", "srv/git/payments"],
  ])("%s is %s", (raw, normal) => {
    expect(normaliseRemote(raw)).toBe(normal);
  });

  it("names the repository by the last path segment, keeping its case", () => {
    expect(remoteRepoName("git@github.com:acme/Payments.git")).toBe("Payments");
    expect(parseRemote("https://user:pw@github.com/acme/payments.git")).toEqual({ host: "github.com", path: "acme/payments" });
    expect(normaliseRemote("")).toBeUndefined();
    expect(normaliseRemote("https://")).toBeUndefined();
  });
});

const opened: GraphStore[] = [];
const pgUrls: string[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  for (const url of pgUrls) await dropTestDatabase(url);
});

describe.each(["sqlite", "postgres"] as const)("reports on %s", (backend) => {
  let store: GraphStore;
  beforeAll(async () => {
    if (backend === "sqlite") {
      store = SqliteStore.open(":memory:");
    } else {
      const url = await createTestDatabase();
      pgUrls.push(url);
      store = await PostgresStore.open(url);
    }
    opened.push(store);
    await store.upsert(GRAPH, { now: NOW - 40 * DAY });
    await markDeleted(store, "entities", gone.entity._key);
  });

  describe("findRepo", () => {
    it("finds a checkout by its remote, in any spelling, among repos of the same name", async () => {
      for (const remoteUrl of ["git@github.com:acme/payments.git", "https://token@github.com/acme/payments", "ssh://git@github.com/ACME/payments.git"]) {
        expect(await findRepo(store, { remoteUrl, dirName: "payments", now: NOW })).toMatchObject({
          key: "repo:acme/payments",
          name: "payments",
          matchedBy: "remote",
          // another repo is named payments too
          uniqueName: false,
        });
      }
      expect(await findRepo(store, { remoteUrl: "git@github.com:other/payments.git", now: NOW })).toMatchObject({
        key: "repo:other/payments",
        matchedBy: "remote",
      });
    });

    it("finds a repo named otherwise by its URL (webLink)", async () => {
      expect(await findRepo(store, { remoteUrl: "git@github.com:acme/billing.git", dirName: "billing", now: NOW })).toMatchObject({
        key: "repo:billing",
        name: "billing-service",
        matchedBy: "remote",
      });
    });

    it("falls back to the remote's last segment, then to the folder name", async () => {
      expect(await findRepo(store, { remoteUrl: "git@github.com:acme/website.git", dirName: "x", now: NOW })).toMatchObject({
        key: "repo:website",
        matchedBy: "name",
        uniqueName: true,
      });
      expect(await findRepo(store, { remoteUrl: "git@github.com:acme/fullname.git", now: NOW })).toMatchObject({
        key: "repo:fullname",
        matchedBy: "name",
      });
      expect(await findRepo(store, { remoteUrl: "git@github.com:acme/elsewhere.git", dirName: "my-folder", now: NOW })).toMatchObject({
        key: "repo:folder",
        matchedBy: "folder",
      });
      expect(await findRepo(store, { dirName: "my-folder", now: NOW })).toMatchObject({ key: "repo:folder" });
    });

    it("does not take a same-named repo that has another remote", async () => {
      expect(await findRepo(store, { remoteUrl: "git@github.com:third/payments.git", dirName: "payments", now: NOW })).toBeUndefined();
      expect(await findRepo(store, { remoteUrl: "git@github.com:acme/nothing.git", dirName: "nothing", now: NOW })).toBeUndefined();
    });

    it("finds --repo by name, else by key, and refuses an ambiguous name", async () => {
      expect(await findRepo(store, { name: "website", now: NOW })).toMatchObject({ key: "repo:website", matchedBy: "name", uniqueName: true });
      expect(await findRepo(store, { name: "repo:dup-2", now: NOW })).toMatchObject({ key: "repo:dup-2", matchedBy: "key", uniqueName: false });
      await expect(findRepo(store, { name: "dup", now: NOW })).rejects.toThrow(InputError);
      await expect(findRepo(store, { name: "dup", now: NOW })).rejects.toThrow(/2 repositories match name "dup": repo:dup-1, repo:dup-2/);
      expect(await findRepo(store, { name: "nope", now: NOW })).toBeUndefined();
      // a name is data, not J1QL
      expect(await findRepo(store, { name: "x' or name = 'website", now: NOW })).toBeUndefined();
    });
  });

  describe("repoReport", () => {
    it("gives the repo's open findings by due date, and nothing of other repos, closed or deleted findings", async () => {
      const payments = (await findRepo(store, { remoteUrl: "git@github.com:acme/payments.git", now: NOW }))!;
      const report = await repoReport(store, payments, { now: NOW });
      expect(report.open).toBe(2);
      expect(report.overdue).toBe(1);
      expect(report.findings.map((f) => [f.maintenanceId, f.shortDescription, f.dueDate, f.entityKey])).toEqual([
        [TF.id, TF.short, TF.due, "repo:acme/payments"],
        [KEYS.id, KEYS.short, KEYS.due, "repo:acme/payments"],
      ]);
      expect(report.findings[0]!.key).toBe(findingKey(TF.id, "repo:acme/payments"));
      expect(report.mine).toBeUndefined();
    });

    it("follows HAS edges in either direction", async () => {
      const site = (await findRepo(store, { name: "website", now: NOW }))!;
      const report = await repoReport(store, site, { now: NOW });
      expect(report.findings.map((f) => f.maintenanceId)).toEqual([TF.id, KEYS.id]);
    });

    it("adds the items I opened, anywhere, with --mine", async () => {
      const payments = (await findRepo(store, { remoteUrl: "git@github.com:acme/payments.git", now: NOW }))!;
      const report = await repoReport(store, payments, { now: NOW, mine: "tester@example.com" });
      expect(report.mine).toEqual([
        { maintenanceId: OS.id, shortDescription: OS.short, webLink: OS.link, dueDate: OS.due, open: 1, overdue: 1 },
        { maintenanceId: KEYS.id, shortDescription: KEYS.short, webLink: KEYS.link, dueDate: KEYS.due, open: 2, overdue: 0 },
      ]);
      expect(await mineReport(store, "nobody@example.com", NOW)).toEqual([]);
    });

    it("repoReportByName gives in one statement what findRepo and the J1QL report gave, errors included", async () => {
      const names = ["payments", "website", "billing-service", "my-folder", "acme/fullname", "dup", "nope", "x' or name = 'website"];
      const keys = GRAPH.entities.map((e) => e._key);
      let reports = 0;
      for (const name of [...names, ...keys]) {
        const expected = await referenceReportByName(store, name, NOW).catch((error: Error) => error);
        const actual = await repoReportByName(store, name, { now: NOW }).catch((error: Error) => error);
        expect(actual).toEqual(expected);
        if (expected instanceof Error) {
          expect(actual).toBeInstanceOf(InputError);
          continue;
        }
        if (expected) reports++;
        if (expected) expect(await repoReport(store, expected.repo, { now: NOW })).toEqual(expected);
      }
      // website by name, the repos by key; payments and dup are ambiguous by name
      expect(reports).toBeGreaterThan(8);
      const site = (await repoReportByName(store, "website", { now: NOW }))!;
      expect(site.repo).toEqual({ id: site.repo.id, key: "repo:website", name: "website", matchedBy: "name", uniqueName: true });
      expect(site.findings.map((f) => f.maintenanceId)).toEqual([TF.id, KEYS.id]);
      await expect(repoReportByName(store, "dup", { now: NOW })).rejects.toThrow(/2 repositories match name "dup": repo:dup-1, repo:dup-2/);
    });

    it("reports a repo without findings as empty", async () => {
      const billing = (await findRepo(store, { name: "billing-service", now: NOW }))!;
      expect(await repoReport(store, billing, { now: NOW })).toMatchObject({ open: 0, overdue: 0, findings: [] });
    });
  });

  it("ownerReport gives an owner's open findings by due date", async () => {
    const report = await ownerReport(store, "web", { now: NOW });
    expect(report.findings.map((f) => [f.maintenanceId, f.entityName])).toEqual([
      [TF.id, "website"],
      [KEYS.id, "website"],
    ]);
    expect(report.overdue).toBe(1);
    expect((await ownerReport(store, "platform", { now: NOW })).overdue).toBe(1);
    expect((await ownerReport(store, "nobody", { now: NOW })).findings).toEqual([]);
  });

  it("ownerReport compares owner names without case: `Web` and ` web` are the owner `web`", async () => {
    expect((await ownerReport(store, "Web", { now: NOW })).findings.map((f) => f.entityName)).toEqual(["website", "website"]);
    expect((await ownerReport(store, " WEB ", { now: NOW })).findings).toHaveLength(2);
    expect((await ownerReport(store, "we", { now: NOW })).findings).toEqual([]);
  });

  it("listFindings filters by item and by days overdue", async () => {
    const all = await listFindings(store, { now: NOW });
    expect(all.map((f) => `${f.maintenanceId} ${f.entityName}`)).toEqual([
      `${TF.id} payments`,
      `${TF.id} payments`,
      `${TF.id} website`,
      `${OS.id} web-1`,
      `${KEYS.id} payments`,
      `${KEYS.id} website`,
    ]);
    expect((await listFindings(store, { now: NOW, overdueDays: 0 })).length).toBe(4);
    expect((await listFindings(store, { now: NOW, overdueDays: 3 })).map((f) => f.maintenanceId)).toEqual([TF.id, TF.id, TF.id]);
    expect((await listFindings(store, { now: NOW, overdueDays: 20 })).length).toBe(0);
    expect((await listFindings(store, { now: NOW, maintenanceId: KEYS.id })).map((f) => f.entityName)).toEqual(["payments", "website"]);
    await expect(listFindings(store, { now: NOW, overdueDays: -1 })).rejects.toThrow(InputError);
  });

  // Query plans are checked on SQLite, whose planner is deterministic on a tiny
  // graph (PostgreSQL rightly prefers scans there); registered only for it.
  if (backend === "sqlite") it("starts every lookup from an index", async () => {
    const sqlite = store as SqliteStore;
    const plan = (j1ql: string) => {
      const c = compile(j1ql, sqlite.dialect, { now: NOW, all: true });
      return sqlite.explain(c.sql, c.params).join("\n");
    };
    const report = plan(repoReportQuery("repo:acme/payments"));
    // the repo by its unique key, its edges by the edge indexes, the findings by id: no full scans
    expect(report).not.toMatch(/SCAN (e0|e1|r1|entities|relationships)\b/);
    expect(report).toMatch(/SEARCH e0 USING INDEX sqlite_autoindex_entities_\d \(key=\?\)/);
    expect(report).toMatch(/relationships_from/);
    expect(report).toMatch(/relationships_to/);
    expect(plan("Find CodeRepo with name = ('payments' or 'acme/payments')")).toMatch(/entities_prop_name/);
    expect(plan("Find deferred_maintenance with closed = false and createdBy = 'a' as m return m.maintenanceId, count(m)")).toMatch(
      /entities_prop_createdBy/,
    );
    // the report by name (on SQLite the lookups and the report as separate statements): the name
    // indexes, the key, the edge indexes; never every CodeRepo
    const statements: { sql: string; params: readonly unknown[] }[] = [];
    const spy = Object.create(sqlite) as SqliteStore;
    spy.select = async (sql, params) => {
      statements.push({ sql, params });
      return sqlite.select(sql, params);
    };
    for (const name of ["website", "repo:dup-1", "nope"]) await repoReportByName(spy, name, { now: NOW });
    expect(statements.length).toBeGreaterThanOrEqual(3);
    const plans = statements.map((st) => sqlite.explain(st.sql, st.params).join("\n"));
    expect(plans.join("\n")).toMatch(/entities_prop_name/);
    expect(plans.join("\n")).toMatch(/sqlite_autoindex_entities_\d \(key=\?\)/);
    for (const byName of plans) expect(byName).not.toMatch(/SCAN (e|e0|e1|m|h|a|r|r1|entities|relationships|entity_classes)\b/);
    // a name that matches never lists every CodeRepo (the key fallback's J1QL lookup, for a name that matches
    // nothing, reads the CodeRepo class index: as before this session's one-statement version)
    statements.length = 0;
    await repoReportByName(spy, "website", { now: NOW });
    for (const st of statements) expect(sqlite.explain(st.sql, st.params).join("\n")).not.toMatch(/USING PRIMARY KEY \(class=\?\)/);
  });

  // last: it adds repos to the graph
  it("reposNamed selects what `Find CodeRepo with name = (...)` selects, in id order, arrays of names included", async () => {
    await store.upsert(
      {
        entities: [
          repo("repo:multi", { name: ["multi-a", "payments"] }),
          repo("repo:deleted-payments", { name: "payments" }),
          { _key: "host:payments", _type: "host", _class: "Host", name: "payments" },
        ],
        relationships: [],
      },
      { now: NOW },
    );
    await markDeleted(store, "entities", "repo:deleted-payments");
    for (const names of [["payments"], ["multi-a"], ["payments", "acme/payments"], ["dup"], ["website", "nope"], ["nope"], ["x' or 1=1 --"]]) {
      const j1ql = await runQuery(store, `Find CodeRepo with name = (${names.map((n) => `'${n.replace(/'/g, "\\'")}'`).join(" or ")})`, { now: NOW, all: true });
      if (j1ql.type !== "list") throw new Error("unreachable");
      const found = await reposNamed(store, names);
      expect(found.map((c) => c.ref.key)).toEqual(j1ql.data.map((item) => item.entity._key));
      expect(found.map((c) => c.ref.id)).toEqual(j1ql.data.map((item) => item.id));
    }
    expect((await reposNamed(store, ["payments"])).map((c) => c.ref.key)).toEqual(["repo:acme/payments", "repo:other/payments", "repo:multi"]);
  });
});
