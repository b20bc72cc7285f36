/**
 * The dashboard's computations on both stores, over a hand-made graph whose
 * numbers are worked out by hand: the overview's counts, rankings and
 * schedule, one campaign, an asset's relationships and findings with their
 * history, and the on-call groups.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AssetSpec, handMadeFinding, type ItemSpec } from "../../../test/helpers/findings.js";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { j1qlString } from "../../query/quote.js";
import { runQuery } from "../../query/run.js";
import { NotFoundError } from "../../shared/errors.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { DAY_MS } from "../maintenance/due.js";
import { type Finding, type FindingProps, findingFrom } from "../maintenance/finding.js";
import { recordMembership } from "../oncall/graph.js";
import { assetFindings, neighbourhood } from "./asset.js";
import { oncallGroups } from "./oncall.js";
import { behindSchedule, campaign, daysOverdue, findingStatus, overview } from "./overview.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = DAY_MS;

// every finding is opened 40 days before NOW (handMadeFinding)
const TF: ItemSpec = { id: "9c3e21a0", short: "Upgrade Terraform to 1.x", link: "https://wiki.example.com/tf1", due: NOW - 20 * DAY };
const KEYS: ItemSpec = { id: "4be21f07", short: "Rotate deploy keys", link: "https://wiki.example.com/rotate", due: NOW + 29 * DAY };
const OS: ItemSpec = { id: "22222222", short: "Patch OpenSSL", link: "https://wiki.example.com/openssl", due: NOW - 3 * DAY };

const payments: AssetSpec = { key: "repo:payments", type: "github_repo", name: "payments", owner: "core" };
const website: AssetSpec = { key: "repo:website", type: "github_repo", name: "website", owner: "web" };
const host: AssetSpec = { key: "host:web-1", type: "host", name: "web-1", owner: "platform" };

function asset(a: AssetSpec, classes: string): EntityRecord {
  return { _key: a.key, _type: a.type, _class: classes, displayName: a.name, name: a.name, owner: a.owner };
}

const findings = [
  handMadeFinding(TF, payments, NOW),
  handMadeFinding(TF, website, NOW),
  handMadeFinding(KEYS, payments, NOW),
  handMadeFinding(KEYS, website, NOW, {
    closed: true,
    status: "closed",
    closedOn: NOW - 2 * DAY,
    closedBy: "dev@example.com",
    closeReason: "COMPLETE",
    maintenanceLink: "https://git.example.com/website/pull/3",
  }),
  handMadeFinding(OS, host, NOW),
  handMadeFinding(OS, website, NOW, {
    closed: true,
    status: "closed",
    closedOn: NOW - DAY,
    closedBy: "lead@example.com",
    closeReason: "RISK_ACCEPTED",
    acceptedUntil: NOW + 30 * DAY,
  }),
];

describe.each(BACKENDS)("dashboard computations: %s", (backend) => {
  let store: GraphStore;
  let close: () => Promise<void>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ store, close } = await openTestStore(backend));
    await store.upsertMany(
      [
        {
          entities: [asset(payments, "CodeRepo"), asset(website, "CodeRepo"), asset(host, "Host"), ...findings.map((f) => f.entity)],
          relationships: findings.map((f) => f.edge),
        },
      ],
      { now: NOW, source: "test" },
    );
    for (const a of [payments, website, host]) {
      const r = await runQuery(store, `Find * with _key = ${j1qlString(a.key)}`, { now: NOW });
      if (r.type === "list") ids[a.name] = r.data[0]!.id;
    }
    await store.audit({ at: NOW - 2 * DAY, actor: "dev@example.com", action: "close", subject: KEYS.id, details: { closed: 1 } });
    await store.audit({ at: NOW - 3 * DAY, actor: "dev@example.com", action: "close", subject: `${OS.id},${TF.id}`, details: {} });
  });
  afterAll(async () => {
    await close?.();
  });

  it("counts open, overdue, accepted and closed, and ranks assets and owners riskiest first", async () => {
    const o = await overview(store, { now: NOW });
    expect(o.now).toBe(NOW);
    expect(o.counts).toEqual({ total: 6, open: 4, overdue: 3, accepted: 1, closed: 2, campaigns: 3, assets: 3, owners: o.riskiestOwners.length });
    expect(o.riskiestOwners.length).toBeGreaterThanOrEqual(2);
    // payments and website are both 20 days late on one finding; payments has one more open
    expect(o.riskiestAssets.map((a) => [a.name, a.open, a.overdue, a.maxDaysOverdue, a.totalDaysOverdue])).toEqual([
      ["payments", 2, 1, 20, 20],
      ["website", 1, 1, 20, 20],
      ["web-1", 1, 1, 3, 3],
    ]);
    expect(o.riskiestAssets[0]).toMatchObject({ id: ids.payments, key: payments.key, type: "github_repo", owner: "core" });
    expect(o.riskiestOwners).toEqual([
      { owner: "core", assets: 1, open: 2, overdue: 1, maxDaysOverdue: 20, totalDaysOverdue: 20 },
      { owner: "web", assets: 1, open: 1, overdue: 1, maxDaysOverdue: 20, totalDaysOverdue: 20 },
      { owner: "platform", assets: 1, open: 1, overdue: 1, maxDaysOverdue: 3, totalDaysOverdue: 3 },
    ]);
  });

  it("puts the campaign most behind schedule first", async () => {
    const { campaigns } = await overview(store, { now: NOW });
    expect(campaigns.map((c) => c.maintenanceId)).toEqual([TF.id, OS.id, KEYS.id]);
    const [tf, os, keys] = campaigns;
    // past due: all should be done; Terraform has none, OpenSSL half
    expect(tf).toMatchObject({ expected: 1, behind: 1, total: 2, open: 2, overdue: 2 });
    expect(os).toMatchObject({ expected: 1, behind: 0.5 });
    // 40 of 69 days gone, half done
    expect(keys!.expected).toBeCloseTo(40 / 69, 10);
    expect(keys!.behind).toBeCloseTo(40 / 69 - 0.5, 10);
    expect(keys).not.toHaveProperty("burndown");
  });

  it("shows one campaign with every finding and its asset, most overdue first", async () => {
    const c = await campaign(store, { id: TF.id, now: NOW });
    expect(c.stats).toMatchObject({ maintenanceId: TF.id, total: 2, expected: 1, behind: 1 });
    expect(c.stats.burndown.length).toBeGreaterThan(0);
    expect(c.findings.map((f) => [f.entityName, f.assetId, f.status, f.daysOverdue, f.owner])).toEqual([
      ["payments", ids.payments, "overdue", 20, "core"],
      ["website", ids.website, "overdue", 20, "web"],
    ]);
    const accepted = (await campaign(store, { id: OS.id, now: NOW })).findings.find((f) => f.entityName === "website");
    expect(accepted).toMatchObject({ status: "RISK_ACCEPTED", daysOverdue: null, closedOn: NOW - DAY, closedBy: "lead@example.com", acceptedUntil: NOW + 30 * DAY });
    await expect(campaign(store, { id: "0badf00d", now: NOW })).rejects.toThrow(NotFoundError);
  });

  it("lists an asset's relationships with the entity at the other end", async () => {
    const n = await neighbourhood(store, { id: ids.payments!, now: NOW });
    expect(n.id).toBe(ids.payments);
    expect(n.relationships).toHaveLength(2);
    for (const r of n.relationships) {
      expect(r).toMatchObject({ class: "HAS", direction: "out" });
      expect(r.other.type).toBe("deferred_maintenance");
    }
    await expect(neighbourhood(store, { id: "999999", now: NOW })).rejects.toThrow(NotFoundError);
    await expect(neighbourhood(store, { id: "not-an-id", now: NOW })).rejects.toThrow(NotFoundError);
  });

  it("gives an asset's findings open first, each with its history and its item's audit entries", async () => {
    const { findings: list } = await assetFindings(store, { id: ids.website!, now: NOW });
    expect(list.map((f) => [f.maintenanceId, f.status, f.daysOverdue])).toEqual([
      [TF.id, "overdue", 20],
      [OS.id, "RISK_ACCEPTED", null],
      [KEYS.id, "COMPLETE", null],
    ]);
    const keys = list[2]!;
    expect(keys.history.map((h) => h.what)).toEqual(["closed COMPLETE", "opened"]);
    expect(keys.history[0]).toMatchObject({ by: "dev@example.com", details: "https://git.example.com/website/pull/3" });
    expect(keys.audit.map((a) => a.subject)).toEqual([KEYS.id]);
    // an audit entry naming several items shows with each
    expect(list[0]!.audit.map((a) => a.subject)).toEqual([`${OS.id},${TF.id}`]);
    expect(list[1]!.history[0]!.details).toBe(`accepted until ${new Date(NOW + 30 * DAY).toISOString().slice(0, 10)}`);
  });

  it("reads the on-call groups once dm oncall sync has recorded one", async () => {
    expect(await oncallGroups(store, { now: NOW })).toEqual({ configured: false, groups: [], syncs: [], audit: [] });
    const dn = "cn=oncall,ou=groups,dc=example,dc=org";
    await recordMembership(
      store,
      {
        groupDN: dn,
        members: [
          { key: "uid=carol,ou=people,dc=example,dc=org", value: "uid=carol,ou=people,dc=example,dc=org", name: "carol", email: "carol@example.com" },
          { key: "uid=alice,ou=people,dc=example,dc=org", value: "uid=alice,ou=people,dc=example,dc=org", name: "alice", email: "alice@example.com" },
        ],
        removed: [],
      },
      NOW,
    );
    const o = await oncallGroups(store, { now: NOW });
    expect(o.configured).toBe(true);
    expect(o.groups).toHaveLength(1);
    expect(o.groups[0]).toMatchObject({ name: "oncall", dn });
    expect(o.groups[0]!.members.map((m) => [m.name, m.email])).toEqual([
      ["alice", "alice@example.com"],
      ["carol", "carol@example.com"],
    ]);
  });

  // last: it adds a finding the tests above do not expect
  it("counts an owner once whatever the case of its name", async () => {
    const shouty: AssetSpec = { key: "host:web-2", type: "host", name: "web-2", owner: "PLATFORM" };
    const f = handMadeFinding(OS, shouty, NOW);
    await store.upsertMany([{ entities: [asset(shouty, "Host"), f.entity], relationships: [f.edge] }], { now: NOW, source: "test" });
    const o = await overview(store, { now: NOW });
    expect(o.riskiestOwners.filter((r) => r.owner.toLowerCase() === "platform")).toEqual([
      { owner: "platform", assets: 2, open: 2, overdue: 2, maxDaysOverdue: 3, totalDaysOverdue: 6 },
    ]);
  });
});

describe("finding status, lateness and schedule", () => {
  const base = (extra: Partial<FindingProps>): Finding => {
    const { entity } = handMadeFinding(TF, payments, NOW, extra);
    return findingFrom("1", entity._key, entity);
  };

  it("calls a finding open, overdue, or by its close reason", () => {
    expect(findingStatus(base({ dueDate: NOW + DAY }), NOW)).toBe("open");
    expect(findingStatus(base({}), NOW)).toBe("overdue");
    expect(findingStatus(base({ closed: true, status: "closed", closeReason: "ERROR" }), NOW)).toBe("ERROR");
    expect(findingStatus(base({ closed: true, status: "closed" }), NOW)).toBe("closed");
  });

  it("counts whole days overdue, null when not overdue or closed", () => {
    expect(daysOverdue(base({ dueDate: NOW - 2.5 * DAY }), NOW)).toBe(2);
    expect(daysOverdue(base({ dueDate: NOW + DAY }), NOW)).toBeNull();
    expect(daysOverdue(base({ closed: true, status: "closed" }), NOW)).toBeNull();
  });

  it("expects an even pace from creation to the due date", () => {
    expect(behindSchedule({ createdOn: NOW - 10 * DAY, dueDate: NOW + 10 * DAY, completion: 0.25 }, NOW)).toEqual({ expected: 0.5, behind: 0.25 });
    expect(behindSchedule({ createdOn: NOW, dueDate: NOW, completion: 1 }, NOW)).toEqual({ expected: 1, behind: 0 });
    expect(behindSchedule({ createdOn: NOW + DAY, dueDate: NOW + 10 * DAY, completion: 0 }, NOW)).toEqual({ expected: 0, behind: 0 });
  });
});
