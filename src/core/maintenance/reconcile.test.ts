/**
 * reconcile on SQLite and PostgreSQL: expired risk acceptances reopen,
 * tracked items follow their query, nothing is closed after a failed or
 * partial sync, and every change is in the audit log.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TF_QUERY, terraformItem } from "../../../test/helpers/findings.js";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { closeMaintenance } from "./close.js";
import { DAY_MS } from "./due.js";
import { type Finding, findingKey, loadFindings } from "./finding.js";
import { type OpenInput, openMaintenance } from "./open.js";
import { reconcile } from "./reconcile.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const LOADED = NOW - 10 * DAY_MS;
const OPENER = "dev@example.com";
const LATER = NOW + 2 * DAY_MS;

const repo = (name: string, terraformVersion: string, props: Record<string, unknown> = {}): EntityRecord => ({
  _key: `repo:${name}`,
  _type: "git_repo",
  _class: "CodeRepo",
  displayName: name,
  name,
  terraformVersion,
  ...props,
});

function opening(overrides: Partial<OpenInput> = {}): OpenInput {
  return terraformItem(NOW, { track: true, ...overrides });
}


describe.each(BACKENDS)("reconcile on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;

  beforeEach(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    await store.upsert(
      {
        entities: [
          { _key: "team:core", _type: "team", _class: "Team", displayName: "Core" },
          repo("payments", "0.12"),
          repo("website", "0.12"),
          repo("billing", "0.12"),
          repo("docs", "1.5"),
        ],
        relationships: [
          { _key: "team:core|owns|repo:docs", _type: "owns", _class: "OWNS", _fromEntityKey: "team:core", _toEntityKey: "repo:docs" },
        ],
      },
      { now: LOADED },
    );
  });

  afterEach(async () => {
    await closeStore();
  });

  const byName = (findings: Finding[]) => Object.fromEntries(findings.map((f) => [f.entityName, f]));

  async function syncRun(status: string, integration = "git", instance = "local"): Promise<void> {
    const p = store.dialect.newParams();
    await store.select(
      `INSERT INTO sync_runs (integration, instance, started_on, finished_on, status) VALUES (${p.add(integration)}, ${p.add(instance)}, ${p.add(NOW)}, ${p.add(NOW)}, ${p.add(status)}) RETURNING id`,
      p.values,
    );
  }

  it("does nothing (but records the run) when there is nothing to do", async () => {
    const result = await reconcile(store, { now: NOW });
    expect(result).toEqual({ reopened: 0, closed: 0, opened: 0, items: 0, perItem: [], errors: [] });
    const [entry] = await store.auditLog({ limit: 1 });
    expect(entry).toMatchObject({ actor: "dm", action: "reconcile", details: { items: 0, reopened: 0, closed: 0, opened: 0 } });
  });

  it("reopens expired risk acceptances, and only those", async () => {
    const item = await openMaintenance(store, opening({ track: false }), { now: LOADED, actor: OPENER });
    const accept = (query: string, until: number) =>
      closeMaintenance(store, {
        maintenanceId: item.maintenanceId,
        query,
        reason: "RISK_ACCEPTED",
        link: "https://wiki.example.com/adr/17",
        until,
        actor: "ops@example.com",
        now: NOW,
      });
    await accept("Find deferred_maintenance with entityName = 'payments'", NOW + DAY_MS);
    await accept("Find deferred_maintenance with entityName = 'website'", NOW + 30 * DAY_MS);

    expect((await reconcile(store, { now: NOW })).reopened).toBe(0);
    const result = await reconcile(store, { now: LATER });
    expect(result).toMatchObject({ reopened: 1, closed: 0, opened: 0, items: 0 });

    const f = byName(await loadFindings(store, LATER, { maintenanceId: item.maintenanceId }));
    expect(f.payments).toMatchObject({
      status: "open",
      closed: false,
      reopenedOn: LATER,
      // accepted NOW until NOW + 1 day, reopened LATER: the clock stood still for the day accepted, then resumes
      evidence: `risk acceptance expired on 2026-11-24; accepted for 1 day, so the SLA clock resumes: due 2026-12-23 -> 2026-12-24`,
      pausedMs: DAY_MS,
    });
    for (const gone of ["closedOn", "closedBy", "closeReason", "maintenanceLink", "acceptedUntil", "acceptedBy"] as const) {
      expect(f.payments![gone]).toBeUndefined();
    }
    expect(f.website).toMatchObject({ closed: true, closeReason: "RISK_ACCEPTED" });
    const reopen = (await store.auditLog()).find((e) => e.action === "reopen");
    expect(reopen).toMatchObject({ actor: "dm", subject: item.maintenanceId, details: { count: 1 } });
  });

  it("a tracked item closes findings that no longer match and opens new matches; untracked items stay", async () => {
    const tracked = await openMaintenance(store, opening(), { now: LOADED, actor: OPENER });
    const untracked = await openMaintenance(store, opening({ shortDescription: "Untracked", track: false }), {
      now: LOADED,
      actor: OPENER,
    });
    // website is closed by hand (done); then the graph changes.
    await closeMaintenance(store, {
      maintenanceId: tracked.maintenanceId,
      query: "Find deferred_maintenance with entityName = 'website'",
      reason: "COMPLETE",
      link: "https://github.com/acme/website/pull/1",
      actor: OPENER,
      now: NOW,
    });
    await store.upsert({ entities: [repo("payments", "1.5"), repo("docs", "0.12")], relationships: [] }, { now: NOW });

    const result = await reconcile(store, { now: LATER });
    expect(result).toMatchObject({ reopened: 0, closed: 1, opened: 1, items: 1, errors: [] });
    expect(result.perItem).toEqual([
      {
        maintenanceId: tracked.maintenanceId,
        shortDescription: "Upgrade Terraform to 1.x",
        matched: 3,
        opened: 1,
        closed: 1,
        notClosed: 0,
      },
    ]);
    const f = byName(await loadFindings(store, LATER, { maintenanceId: tracked.maintenanceId }));
    expect(f.payments).toMatchObject({
      closed: true,
      status: "closed",
      closeReason: "COMPLETE",
      closedBy: "dm",
      closedOn: LATER,
      evidence: "no longer matched the query on 2026-11-25",
    });
    expect(f.docs).toMatchObject({
      key: findingKey(tracked.maintenanceId, "repo:docs"),
      closed: false,
      dueDate: NOW + 30 * DAY_MS,
      shortDescription: "Upgrade Terraform to 1.x",
      description: "Move every module to Terraform 1.x",
      webLink: "https://wiki.example.com/tf1",
      createdBy: OPENER,
      createdOn: LATER,
      tracked: true,
      query: TF_QUERY,
      owner: "Core",
      evidence: "matched the query on 2026-11-25",
    });
    // website still matches but was done: it stays closed, by its closer.
    expect(f.website).toMatchObject({ closed: true, closedBy: OPENER });
    expect(f.billing).toMatchObject({ closed: false });
    // The untracked item did not move.
    const u = byName(await loadFindings(store, LATER, { maintenanceId: untracked.maintenanceId }));
    expect(Object.keys(u).sort()).toEqual(["billing", "payments", "website"]);
    expect(Object.values(u).every((x) => !x.closed)).toBe(true);

    const audit = await store.auditLog();
    expect(audit.find((e) => e.action === "reconcile" && e.subject === tracked.maintenanceId)).toMatchObject({
      actor: "dm",
      details: { matched: 3, opened: 1, closed: 1 },
    });

    // Again: nothing to do.
    expect(await reconcile(store, { now: LATER + DAY_MS })).toMatchObject({ closed: 0, opened: 0, items: 1 });
  });

  it("closes nothing after a failed or partial sync, but still opens and reopens", async () => {
    const tracked = await openMaintenance(store, opening(), { now: LOADED, actor: OPENER });
    await closeMaintenance(store, {
      maintenanceId: tracked.maintenanceId,
      query: "Find deferred_maintenance with entityName = 'billing'",
      reason: "RISK_ACCEPTED",
      link: "https://wiki.example.com/adr/1",
      until: NOW + DAY_MS,
      actor: OPENER,
      now: NOW,
    });
    await store.upsert({ entities: [repo("payments", "1.5"), repo("docs", "0.12")], relationships: [] }, { now: NOW });
    await syncRun("succeeded");
    await syncRun("partial");

    const result = await reconcile(store, { now: LATER });
    expect(result).toMatchObject({ reopened: 1, closed: 0, opened: 1, closingSkipped: { status: "partial" } });
    expect(result.perItem[0]).toMatchObject({ notClosed: 1, opened: 1 });
    const f = byName(await loadFindings(store, LATER, { maintenanceId: tracked.maintenanceId }));
    expect(f.payments!.closed).toBe(false);
    expect(f.billing!.closed).toBe(false);
    expect(f.docs!.closed).toBe(false);

    // Another source succeeding since (an on-call sync every minute) does not lift it.
    await syncRun("succeeded", "oncall", "oncall:ldap");
    const masked = await reconcile(store, { now: LATER });
    expect(masked).toMatchObject({ closed: 0, closingSkipped: { status: "partial" } });

    // The next sync of that source succeeds: now payments is closed, with the run as evidence.
    await syncRun("succeeded");
    const next = await reconcile(store, { now: LATER });
    expect(next).toMatchObject({ closed: 1, opened: 0 });
    expect(next.closingSkipped).toBeUndefined();
    const after = byName(await loadFindings(store, LATER, { maintenanceId: tracked.maintenanceId }));
    expect(after.payments!.evidence).toMatch(/^no longer matched the query on 2026-11-25 \(sync run \d+\)$/);
  });

  it("an expired acceptance on an entity that no longer matches is reopened, then closed by its tracked item", async () => {
    const tracked = await openMaintenance(store, opening(), { now: LOADED, actor: OPENER });
    await closeMaintenance(store, {
      maintenanceId: tracked.maintenanceId,
      query: "Find deferred_maintenance with entityName = 'payments'",
      reason: "RISK_ACCEPTED",
      link: "https://wiki.example.com/adr/1",
      until: NOW + DAY_MS,
      actor: OPENER,
      now: NOW,
    });
    await store.upsert({ entities: [repo("payments", "1.5")], relationships: [] }, { now: NOW });
    const result = await reconcile(store, { now: LATER });
    expect(result).toMatchObject({ reopened: 1, closed: 1 });
    const f = byName(await loadFindings(store, LATER, { maintenanceId: tracked.maintenanceId }));
    expect(f.payments).toMatchObject({ closed: true, closeReason: "COMPLETE", closedBy: "dm", reopenedOn: LATER });
  });

  it("a tracked item whose query no longer runs is reported and left alone", async () => {
    await store.upsert(
      {
        entities: [
          {
            _key: "dm:broken:billing",
            _type: "deferred_maintenance",
            _class: "Finding",
            maintenanceId: "0badc0de",
            shortDescription: "Broken",
            tracked: true,
            query: "Find CodeRepo wiht name='x'",
            closed: false,
            status: "open",
            entityKey: "repo:billing",
            entityName: "billing",
          },
        ],
        relationships: [],
      },
      { now: LOADED },
    );
    const ok = await openMaintenance(store, opening(), { now: LOADED, actor: OPENER });
    await store.upsert({ entities: [repo("docs", "0.12")], relationships: [] }, { now: NOW });
    const result = await reconcile(store, { now: LATER });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ maintenanceId: "0badc0de" });
    expect(result.errors[0]!.message).toMatch(/unexpected/);
    expect(result.perItem.map((i) => i.maintenanceId)).toEqual([ok.maintenanceId]);
    expect(result.opened).toBe(1);
  });
});
