/**
 * The graph scan on SQLite and PostgreSQL: findings per (vulnerability,
 * asset) with SLA due dates, closing when the fix lands, reopening when the
 * vulnerability comes back, acceptance, the ignore list, and nothing closed
 * after a partial sync.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { runQuery } from "../../query/run.js";
import type { EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";
import { closeMaintenance } from "../maintenance/close.js";
import { DAY_MS } from "../maintenance/due.js";
import { reconcile } from "../maintenance/reconcile.js";
import { defaultVulnsConfig, vulnsConfigFrom } from "./config.js";
import { AdvisoryDb } from "./db.js";
import { Matcher } from "./match.js";
import { debianEcosystem, scanGraph, vulnMaintenanceId } from "./scan-graph.js";
import { advisoryTexts } from "./sources.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const T0 = Date.UTC(2026, 10, 23, 12);
const LODASH = "GHSA-35jh-r3h4-6jhm";
const DJANGO = "GHSA-jh3w-4vvf-mjgr";
const DECODE = "GHSA-w573-4hg7-7wgq";
const YAML = "GHSA-wxc4-f4m6-wwqv";

type Pkg = [ecosystem: string, name: string, version: string, manifest: string];
interface RepoSpec {
  name: string;
  packages: Pkg[];
}

let dir: string;
let db: AdvisoryDb;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-vscan-"));
  const src = path.join(dir, "advisories");
  fs.mkdirSync(src);
  for (const f of [`${LODASH}.json`, `${DJANGO}.json`, `${DECODE}.json`, `${YAML}.json`, "GO-2020-0036.json"]) {
    fs.copyFileSync(path.join(FIXTURES, f), path.join(src, f));
  }
  // Debian advisories made up for the host test (ids say so): one for bookworm, one for bullseye
  const debian = (id: string, release: string, fixed: string) => ({
    id,
    modified: "2026-01-01T00:00:00Z",
    summary: "test advisory, not a real record",
    affected: [{ package: { ecosystem: `Debian:${release}`, name: "openssl" }, ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }] }],
    database_specific: { severity: "CRITICAL" },
  });
  fs.writeFileSync(path.join(src, "TEST-DEB12.json"), JSON.stringify(debian("TEST-DEB12", "12", "3.0.11-1~deb12u2")));
  fs.writeFileSync(path.join(src, "TEST-DEB11.json"), JSON.stringify(debian("TEST-DEB11", "11", "9.9.9-1")));
  // made up: only a CVSS v4.0 vector (7.1, high; the v3.1 approximation once said medium) and the database's LOW
  const v4Only = {
    id: "TEST-V4",
    modified: "2026-01-01T00:00:00Z",
    summary: "test advisory, not a real record",
    affected: [{ package: { ecosystem: "npm", name: "v4-scored" }, ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "2.0.0" }] }] }],
    severity: [{ type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N" }],
    database_specific: { severity: "LOW" },
  };
  fs.writeFileSync(path.join(src, "TEST-V4.json"), JSON.stringify(v4Only));
  db = AdvisoryDb.open(path.join(dir, "osv.db"), { create: true });
  await db.import(advisoryTexts(src), { now: T0, source: src });
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A git-like sync run: these repos with these packages, then deletion of the unseen when it succeeded. */
async function sync(store: GraphStore, now: number, repos: RepoSpec[], status: "succeeded" | "partial" = "succeeded") {
  const entities: EntityRecord[] = [{ _key: "team:core", _type: "team", _class: "Team", displayName: "Core", name: "core" }];
  const relationships: RelationshipRecord[] = [
    { _key: "team:core|owns|repo:shop", _type: "team_owns_git_repo", _class: "OWNS", _fromEntityKey: "team:core", _toEntityKey: "repo:shop" },
  ];
  const seen = new Set<string>();
  for (const repo of repos) {
    entities.push({ _key: `repo:${repo.name}`, _type: "git_repo", _class: "CodeRepo", displayName: repo.name, name: repo.name });
    for (const [ecosystem, name, version, manifest] of repo.packages) {
      const key = `${ecosystem}:${name}@${version}`;
      if (!seen.has(key)) {
        seen.add(key);
        entities.push({ _key: key, _type: `${ecosystem}_package`, _class: "CodeModule", displayName: `${name}@${version}`, name, version, ecosystem });
      }
      relationships.push({
        _key: `repo:${repo.name}|uses|${key}`,
        _type: `git_repo_uses_${ecosystem}_package`,
        _class: "USES",
        _fromEntityKey: `repo:${repo.name}`,
        _toEntityKey: key,
        manifest,
      });
    }
  }
  const run = await store.startSyncRun("git", "git:test", now);
  await store.upsert({ entities, relationships }, { now, source: "git:test", syncRun: run });
  if (status === "succeeded") await store.markUnseenDeleted("git:test", run, now);
  await store.finishSyncRun(run, { status, now });
}

const SHOP: RepoSpec = {
  name: "shop",
  packages: [
    ["npm", "lodash", "4.17.20", "package-lock.json"],
    ["npm", "lodash-es", "4.17.21", "package-lock.json"],
  ],
};
const WEB: RepoSpec = { name: "web", packages: [["npm", "decode-uri-component", "0.2.0", "web/package-lock.json"]] };
const API: RepoSpec = {
  name: "api",
  packages: [
    ["pypi", "Django", "4.2.2", "requirements.txt"],
    ["pypi", "requests", "2.31.0", "requirements.txt"],
  ],
};
const WORKER: RepoSpec = { name: "worker", packages: [["go", "gopkg.in/yaml.v2", "v2.2.7", "go.mod"]] };

describe("debianEcosystem", () => {
  it.each([
    ["Debian GNU/Linux 12 (bookworm)", "Debian:12"],
    ["debian 11.9", "Debian:11"],
    ["Ubuntu 22.04.3 LTS (Jammy Jellyfish)", "Ubuntu"],
    ["CentOS Stream 9", "Debian"],
    [undefined, "Debian"],
  ])("%s -> %s", (os, ecosystem) => {
    expect(debianEcosystem(os)).toBe(ecosystem);
  });
});

describe.each(BACKENDS)("dm vulns scan over the graph (%s)", (backend) => {
  let store: GraphStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await openTestStore(backend));
  });
  afterEach(async () => {
    await close();
  });

  const scan = (now: number, config = defaultVulnsConfig()) => scanGraph(store, new Matcher(db), { now, config });
  const findingOf = async (vulnId: string, repo: string, now: number) => {
    const r = await runQuery(store, `Find deferred_maintenance with maintenanceId = '${vulnMaintenanceId(vulnId)}' and entityKey = 'repo:${repo}'`, {
      now,
      all: true,
    });
    if (r.type !== "list") throw new Error("list expected");
    return r.data[0]?.properties;
  };

  it("a CVSS v4.0 vector is scored exactly: its score sets the severity and the due date, over the database's word", async () => {
    await sync(store, T0, [SHOP, { name: "scored", packages: [["npm", "v4-scored", "1.0.0", "package-lock.json"]] }]);
    const result = await scan(T0);
    expect(result.open.filter((f) => f.entityName === "scored").map((f) => [f.vulnerabilityId, f.severity])).toEqual([["TEST-V4", "high"]]);
    expect(await findingOf("TEST-V4", "scored", T0)).toMatchObject({ severity: "high", dueDate: T0 + 30 * DAY_MS });
  });

  it("uses the top-level SLA policy, shorter on exposed assets (exposure by query), and keeps the dates on the next scan", async () => {
    const other: RepoSpec = { name: "other", packages: [["npm", "lodash", "4.17.20", "package-lock.json"]] };
    await sync(store, T0, [SHOP, other]);
    const config = vulnsConfigFrom(
      { sla: { high: "20d", exposure: [{ name: "storefront", query: "Find CodeRepo with name = 'shop'", factor: 0.5 }] } },
      "dm.config.yaml",
    );
    await scan(T0, config);
    expect(await findingOf(LODASH, "shop", T0)).toMatchObject({ severity: "high", dueDate: T0 + 10 * DAY_MS, exposure: "storefront" });
    expect(await findingOf(LODASH, "other", T0)).toMatchObject({ severity: "high", dueDate: T0 + 20 * DAY_MS });
    expect((await findingOf(LODASH, "other", T0))!.exposure).toBeUndefined();
    const again = await scan(T0 + DAY_MS, config);
    expect(again.updated).toBe(0);
    expect((await findingOf(LODASH, "shop", T0 + DAY_MS))!.dueDate).toBe(T0 + 10 * DAY_MS);
    // vulns: sla: still overrides the policy's period for vulnerabilities
    await sync(store, T0, [SHOP, other, { name: "third", packages: [["npm", "lodash", "4.17.20", "package-lock.json"]] }]);
    await scan(T0 + 2 * DAY_MS, vulnsConfigFrom({ sla: { high: "20d" }, vulns: { sla: { high: "14d" } } }, "dm.config.yaml"));
    expect((await findingOf(LODASH, "third", T0 + 2 * DAY_MS))!.dueDate).toBe(T0 + 16 * DAY_MS);
  });

  it("a risk acceptance that expires resumes the SLA clock, and the next scan keeps the moved due date", async () => {
    await sync(store, T0, [SHOP]);
    await scan(T0);
    await closeMaintenance(store, {
      maintenanceId: vulnMaintenanceId(LODASH),
      reason: "RISK_ACCEPTED",
      link: "https://wiki.example.com/adr/3",
      until: T0 + 21 * DAY_MS,
      actor: "ciso@example.com",
      now: T0 + DAY_MS,
    });
    await reconcile(store, { now: T0 + 21 * DAY_MS });
    expect(await findingOf(LODASH, "shop", T0 + 21 * DAY_MS)).toMatchObject({ closed: false, dueDate: T0 + 50 * DAY_MS, pausedMs: 20 * DAY_MS });
    await scan(T0 + 22 * DAY_MS);
    expect((await findingOf(LODASH, "shop", T0 + 22 * DAY_MS))!.dueDate).toBe(T0 + 50 * DAY_MS);
  });

  it("opens one finding per vulnerability and asset, due by the severity SLA, with package, versions and manifest", async () => {
    await sync(store, T0, [SHOP, WEB, API, WORKER]);
    const result = await scan(T0);
    expect(result).toMatchObject({ instances: 6, vulnerabilities: 4, opened: 4, reopened: 0, closed: 0 });
    expect(result.open.map((f) => [f.vulnerabilityId, f.entityName, f.package, f.installedVersion, f.fixedVersion ?? null, f.severity])).toEqual([
      [LODASH, "shop", "lodash", "4.17.20", "4.17.21", "high"],
      [DJANGO, "api", "Django", "4.2.2", "4.2.3", "high"],
      [DECODE, "web", "decode-uri-component", "0.2.0", null, "high"],
      [YAML, "worker", "gopkg.in/yaml.v2", "v2.2.7", "2.2.8", "medium"],
    ]);
    const shop = await findingOf(LODASH, "shop", T0);
    expect(shop).toMatchObject({
      kind: "vulnerability",
      closed: false,
      severity: "high",
      dueDate: T0 + 30 * DAY_MS,
      owner: "Core",
      package: "lodash",
      installedVersion: "4.17.20",
      fixedVersion: "4.17.21",
      manifest: "package-lock.json",
      aliases: ["CVE-2021-23337"],
      webLink: `https://osv.dev/vulnerability/${LODASH}`,
    });
    expect((await findingOf(YAML, "worker", T0))!.dueDate).toBe(T0 + 90 * DAY_MS);
    // the graph answers J1QL about it
    const q = await runQuery(store, "Find CodeModule with name = 'lodash' that HAS Vulnerability with severity = 'high' return CodeModule.version", {
      now: T0,
    });
    expect(q.type === "table" && q.data).toEqual([{ "CodeModule.version": "4.17.20" }]);
    const j = await runQuery(store, "Find CodeRepo that HAS deferred_maintenance with kind = 'vulnerability' and closed = false return CodeRepo.name", {
      now: T0,
      all: true,
    });
    expect(j.type === "table" && j.data.map((r) => r["CodeRepo.name"]).sort()).toEqual(["api", "shop", "web", "worker"]);
    // scanning again changes nothing
    const again = await scan(T0 + DAY_MS);
    expect(again).toMatchObject({ opened: 0, reopened: 0, closed: 0, updated: 0 });
    // another vulnerable version of the same package: the finding follows it
    await sync(store, T0 + 2 * DAY_MS, [{ name: "shop", packages: [["npm", "lodash", "4.17.19", "package-lock.json"]] }, WEB, API, WORKER]);
    expect(await scan(T0 + 2 * DAY_MS)).toMatchObject({ opened: 0, closed: 0, updated: 1 });
    expect(await findingOf(LODASH, "shop", T0 + 2 * DAY_MS)).toMatchObject({ installedVersion: "4.17.19", closed: false, dueDate: T0 + 30 * DAY_MS });
  });

  it("closes a finding when the package is upgraded past the fix, and reopens it when it comes back", async () => {
    await sync(store, T0, [SHOP, WEB]);
    await scan(T0);
    const t1 = T0 + 3 * DAY_MS;
    await sync(store, t1, [{ name: "shop", packages: [["npm", "lodash", "4.17.21", "package-lock.json"]] }, WEB]);
    const fixed = await scan(t1);
    expect(fixed).toMatchObject({ closed: 1, opened: 0 });
    expect(await findingOf(LODASH, "shop", t1)).toMatchObject({
      closed: true,
      closeReason: "COMPLETE",
      closedBy: "dm",
      evidence: "lodash is 4.17.21 now (was 4.17.20) (scan of 2026-11-26)",
    });
    // the Vulnerability nobody has any more is gone from the graph
    const v = await runQuery(store, `Find Vulnerability with id = '${LODASH}'`, { now: t1 });
    expect(v.data).toEqual([]);

    const t2 = t1 + 5 * DAY_MS;
    await sync(store, t2, [SHOP, WEB]);
    const back = await scan(t2);
    expect(back).toMatchObject({ reopened: 1, opened: 0 });
    expect(await findingOf(LODASH, "shop", t2)).toMatchObject({ closed: false, status: "open", reopenedOn: t2, dueDate: t2 + 30 * DAY_MS });
  });

  it("matches a host's Debian packages against its own release's advisories, dpkg ordering at the boundary", async () => {
    const host = (name: string, version: string): [EntityRecord[], RelationshipRecord[]] => {
      const pkg = `deb:openssl@${version}`;
      return [
        [
          { _key: `host:${name}`, _type: "host", _class: "Host", displayName: name, hostname: name, osVersion: "Debian GNU/Linux 12 (bookworm)" },
          { _key: pkg, _type: "deb_package", _class: "CodeModule", name: "openssl", version },
        ],
        [{ _key: `host:${name}|has|${pkg}`, _type: "host_has_deb_package", _class: "HAS", _fromEntityKey: `host:${name}`, _toEntityKey: pkg }],
      ];
    };
    const [e1, r1] = host("web-1", "3.0.11-1~deb12u1");
    const [e2, r2] = host("web-2", "3.0.11-1~deb12u2");
    await store.upsert({ entities: [...e1, ...e2], relationships: [...r1, ...r2] }, { now: T0, source: "hosts" });
    const result = await scan(T0);
    expect(result.open.map((f) => [f.vulnerabilityId, f.entityName, f.installedVersion, f.fixedVersion, f.severity])).toEqual([
      ["TEST-DEB12", "web-1", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "critical"],
    ]);
    expect(result.open[0]!.dueDate).toBe(T0 + 7 * DAY_MS);
  });

  it("closes nothing after a partial sync: a package missing from it is not a fix", async () => {
    await sync(store, T0, [SHOP, WEB]);
    await scan(T0);
    // web's package is gone from the graph, but the latest sync after that was partial
    await sync(store, T0 + DAY_MS, [SHOP]);
    await sync(store, T0 + DAY_MS, [SHOP], "partial");
    const result = await scan(T0 + DAY_MS);
    expect(result.closed).toBe(0);
    expect(result.closingSkipped).toMatchObject({ status: "partial" });
    expect(await findingOf(DECODE, "web", T0 + DAY_MS)).toMatchObject({ closed: false });
    // the next good sync lets it close
    await sync(store, T0 + 2 * DAY_MS, [SHOP]);
    expect(await scan(T0 + 2 * DAY_MS)).toMatchObject({ closed: 1 });
    expect(await findingOf(DECODE, "web", T0 + 2 * DAY_MS)).toMatchObject({ closed: true, evidence: "decode-uri-component is no longer used (scan of 2026-11-25)" });
  });

  it("a risk acceptance holds until it expires; an ERROR close is not reopened", async () => {
    await sync(store, T0, [SHOP, WEB]);
    await scan(T0);
    await closeMaintenance(store, {
      maintenanceId: vulnMaintenanceId(LODASH),
      reason: "RISK_ACCEPTED",
      until: T0 + 10 * DAY_MS,
      link: "https://tickets.example.com/SEC-12",
      actor: "sec@example.com",
      now: T0,
    });
    await closeMaintenance(store, { maintenanceId: vulnMaintenanceId(DECODE), reason: "ERROR", link: "https://tickets.example.com/SEC-13", actor: "sec@example.com", now: T0 });
    expect(await scan(T0 + DAY_MS)).toMatchObject({ reopened: 0, opened: 0, closed: 0 });
    expect(await findingOf(LODASH, "shop", T0 + DAY_MS)).toMatchObject({ closed: true, closeReason: "RISK_ACCEPTED" });
    expect(await findingOf(DECODE, "web", T0 + DAY_MS)).toMatchObject({ closed: true, closeReason: "ERROR" });
    const later = T0 + 11 * DAY_MS;
    expect(await reconcile(store, { now: later })).toMatchObject({ reopened: 1 });
    expect(await scan(later)).toMatchObject({ reopened: 0, closed: 0 });
    expect(await findingOf(LODASH, "shop", later)).toMatchObject({ closed: false });
  });

  it("the ignore list closes a finding as accepted until the rule's date, with its reason, and reports it", async () => {
    await sync(store, T0, [SHOP, API]);
    await scan(T0);
    const config = vulnsConfigFrom(
      { vulns: { sla: { high: "14d" }, ignore: [{ id: "CVE-2023-36053", reason: "no user-supplied URLs reach EmailValidator", until: "2026-12-31" }] } },
      "dm.config.yaml",
    );
    const result = await scan(T0 + DAY_MS, config);
    expect(result).toMatchObject({ accepted: 1, closed: 0 });
    expect(result.ignored).toEqual([
      { vulnerabilityId: DJANGO, entityKey: "repo:api", package: "Django", reason: "no user-supplied URLs reach EmailValidator", until: Date.UTC(2026, 11, 31, 23, 59, 59, 999) },
    ]);
    expect(await findingOf(DJANGO, "api", T0 + DAY_MS)).toMatchObject({
      closed: true,
      closeReason: "RISK_ACCEPTED",
      acceptedUntil: Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      acceptedBy: "dm.config.yaml ignore list",
      evidence: "on the ignore list: no user-supplied URLs reach EmailValidator",
    });
    // the rule expires: reconcile reopens the finding, the scan reports the expired rule and leaves it open
    const later = Date.UTC(2027, 0, 2);
    await reconcile(store, { now: later });
    const after = await scan(later, config);
    expect(after.expiredIgnores.map((r) => r.id)).toEqual(["CVE-2023-36053"]);
    expect(after.ignored).toEqual([]);
    expect(await findingOf(DJANGO, "api", later)).toMatchObject({ closed: false });
    // a new finding gets the configured SLA
    await sync(store, later, [SHOP, API, WEB]);
    await scan(later, config);
    expect((await findingOf(DECODE, "web", later))!.dueDate).toBe(later + 14 * DAY_MS);
  });
});
