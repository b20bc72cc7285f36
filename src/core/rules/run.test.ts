/**
 * runRules as tracked maintenance, on SQLite and PostgreSQL: what a first run
 * opens, that a second changes nothing, that a sync fixing an asset closes
 * its finding (and a failed or partial one closes nothing), reopening,
 * risk acceptances and errors left closed, dry runs, notes, disabled rules
 * and parameter overrides.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { ago, E, EXPECTED_VIOLATIONS, NOW, RULES_GRAPH, TEAM } from "../../../test/helpers/rules-graph.js";
import { runQuery } from "../../query/run.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { closeMaintenance } from "../maintenance/close.js";
import { DAY_MS } from "../maintenance/due.js";
import { slaPolicyFrom } from "../sla/policy.js";
import { type Finding, findingKey, loadFindings } from "../maintenance/finding.js";
import { builtinPack } from "./config.js";
import type { Rule } from "./pack.js";
import { openFindingsByRule, ruleMaintenanceId, runRules } from "./run.js";

const LATER = NOW + 2 * DAY_MS;
const TOTAL = Object.values(EXPECTED_VIOLATIONS).reduce((n, k) => n + k.length, 0);

/** A fresh copy of the built-in rules (tests change some). */
const rules = (): Rule[] => builtinPack().rules;
const only = (...ids: string[]) => rules().filter((r) => ids.includes(r.id));
const PATCH = only("repair-host-patch")[0]!;
const PATCH_ID = ruleMaintenanceId(PATCH);

describe.each(BACKENDS)("runRules on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;

  beforeEach(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    await store.upsert(RULES_GRAPH, { now: NOW - 1000, source: "import" });
  });
  afterEach(async () => {
    await closeStore();
  });

  /** A sync of the hosts inventory that writes these records, and ends with `status`. */
  async function sync(at: number, records: EntityRecord[], status: "succeeded" | "failed" | "partial" = "succeeded", instance = "hosts"): Promise<void> {
    const run = await store.startSyncRun("hosts", instance, at);
    await store.upsert({ entities: records, relationships: [] }, { now: at, source: instance, syncRun: run });
    await store.finishSyncRun(run, { status, now: at });
  }

  const patchFindings = async (at = LATER): Promise<Record<string, Finding>> =>
    Object.fromEntries((await loadFindings(store, at, { maintenanceId: PATCH_ID })).map((f) => [f.entityKey, f]));

  it("a first run opens one item per rule and one finding per violating entity, with the rule, its R, severity and the owner", async () => {
    const result = await runRules(store, rules(), { now: NOW, ranBy: "tester@example.com" });
    expect(result).toMatchObject({ opened: TOTAL, closed: 0, reopened: 0, unchanged: 0, dryRun: false, notes: [expect.any(String)] });
    expect(result.rules.map((o) => o.id)).toEqual(rules().map((r) => r.id));
    for (const o of result.rules) {
      expect(o).toMatchObject({ pack: "three-rs", violations: EXPECTED_VIOLATIONS[o.id]!.length, opened: EXPECTED_VIOLATIONS[o.id]!.length, closed: 0 });
      expect(o.maintenanceId).toMatch(/^[0-9a-f]{8}$/);
    }
    // one item id per rule, all different, stable across runs
    expect(new Set(result.rules.map((o) => o.maintenanceId)).size).toBe(12);
    expect(ruleMaintenanceId({ pack: "three-rs", id: "repair-host-patch" })).toBe(PATCH_ID);

    const q = await runQuery(store, "Find deferred_maintenance with ruleId = 'repair-host-patch'", { now: NOW, all: true });
    if (q.type !== "list") throw new Error("a list");
    const byEntity = Object.fromEntries(q.data.map((i) => [i.properties.entityKey, i.properties]));
    expect(Object.keys(byEntity).sort()).toEqual([E.metal._key, E.oldVm._key].sort());
    expect(byEntity[E.metal._key]).toMatchObject({
      maintenanceId: PATCH_ID,
      ruleId: "repair-host-patch",
      rulePack: "three-rs",
      r: "repair",
      severity: "high",
      owner: "ops",
      shortDescription: "Patch the host",
      description: expect.stringContaining("more than 30 days"),
      webLink: expect.stringMatching(/^https:\/\//),
      dueDate: NOW + 14 * DAY_MS,
      status: "open",
      closed: false,
      createdBy: "dm",
      createdOn: NOW,
      entityType: "host",
      entityName: "metal-1",
      evidence: "matched rule repair-host-patch on 2026-11-23",
      // the selection as it ran, runnable as it is
      query: "Find Host with lastPatchedOn < date.now - 30 days",
    });
    expect(byEntity[E.oldVm._key]!.owner).toBeUndefined();
    // the owner by an OWNS edge from a Team
    const archived = await loadFindings(store, NOW, { maintenanceId: ruleMaintenanceId(only("hygiene-archived-deployed")[0]!) });
    expect(archived.map((f) => f.owner)).toEqual([TEAM.displayName]);
    // due: sla gives the SLA of the severity (high: a positive period)
    const vuln = await loadFindings(store, NOW, { maintenanceId: ruleMaintenanceId(only("repair-vulnerable-packages")[0]!) });
    expect(vuln[0]!.dueDate).toBeGreaterThan(NOW);
    // the finding hangs off its asset: Host -HAS-> finding
    const has = await runQuery(store, "Find Host with hostname = 'metal-1' that HAS deferred_maintenance with ruleId = 'repair-host-patch'", { now: NOW, all: true });
    expect(has.type === "list" && has.data.map((i) => i.entity._key)).toEqual([E.metal._key]);
    // audited, per rule and for the run
    const audit = (await store.auditLog()).filter((e) => e.action === "rules.run");
    expect(audit.find((e) => e.subject === "rules")).toMatchObject({ actor: "dm", details: { opened: TOTAL, closed: 0, ranBy: "tester@example.com" } });
    expect(audit.find((e) => e.subject === PATCH_ID)).toMatchObject({ details: { rule: "three-rs/repair-host-patch", violations: 2, opened: 2 } });
    // and counted per rule
    expect((await openFindingsByRule(store, NOW)).get("three-rs/repair-host-patch")).toBe(2);
  });

  it("a second run changes nothing", async () => {
    await runRules(store, rules(), { now: NOW });
    const before = await store.counts();
    const second = await runRules(store, rules(), { now: NOW + 3_600_000 });
    expect(second).toMatchObject({ opened: 0, closed: 0, reopened: 0, unchanged: TOTAL });
    for (const o of second.rules) expect([o.opened, o.closed, o.reopened]).toEqual([0, 0, 0]);
    expect(await store.counts()).toEqual(before);
    // the findings are as the first run left them
    expect((await patchFindings())[E.metal._key]).toMatchObject({ createdOn: NOW, dueDate: NOW + 14 * DAY_MS });
  });

  it("a sync that fixes an asset closes its finding COMPLETE with the evidence; the others stay open", async () => {
    await runRules(store, rules(), { now: NOW });
    await sync(LATER, [{ ...E.metal, lastPatchedOn: LATER - DAY_MS }]);
    const result = await runRules(store, rules(), { now: LATER });
    expect(result).toMatchObject({ opened: 0, closed: 1, reopened: 0, unchanged: TOTAL - 1, notes: [expect.any(String)] });
    expect(result.rules.find((o) => o.id === "repair-host-patch")).toMatchObject({ violations: 1, closed: 1 });
    const f = await patchFindings();
    expect(f[E.metal._key]).toMatchObject({
      status: "closed",
      closed: true,
      closeReason: "COMPLETE",
      closedBy: "dm",
      closedOn: LATER,
      evidence: "no longer matched by rule repair-host-patch on 2026-11-25",
    });
    expect(f[E.oldVm._key]).toMatchObject({ status: "open", closed: false });
    // the rule's properties survive the close
    const q = await runQuery(store, "Find deferred_maintenance with ruleId = 'repair-host-patch' and closed = true", { now: LATER, all: true });
    expect(q.type === "list" && q.data.map((i) => [i.properties.entityKey, i.properties.r, i.properties.severity])).toEqual([[E.metal._key, "repair", "high"]]);
    expect((await openFindingsByRule(store, LATER)).get("three-rs/repair-host-patch")).toBe(1);
  });

  it("an asset a sync no longer sees (deleted) has its finding closed", async () => {
    await sync(NOW - 500, [E.oldVm, E.freshVm]);
    expect(await runRules(store, only("aging-host-unseen"), { now: NOW })).toMatchObject({ opened: 1 });
    const run = await store.startSyncRun("hosts", "hosts", LATER);
    await store.upsert({ entities: [E.freshVm], relationships: [] }, { now: LATER, source: "hosts", syncRun: run });
    expect(await store.markUnseenDeleted("hosts", run, LATER)).toMatchObject({ entities: 1 });
    await store.finishSyncRun(run, { status: "succeeded", now: LATER });
    const result = await runRules(store, only("aging-host-unseen"), { now: LATER });
    expect(result).toMatchObject({ opened: 0, closed: 1 });
    expect(result.rules[0]).toMatchObject({ violations: 0 });
  });

  for (const status of ["failed", "partial"] as const) {
    it(`a ${status} latest sync of any source closes nothing, and says so; its next success does`, async () => {
      await runRules(store, rules(), { now: NOW });
      await sync(LATER, [{ ...E.metal, lastPatchedOn: LATER - DAY_MS }]);
      // another source's latest run broke: its assets may only be missing
      await sync(LATER, [], status, "hosts-dc2");
      const blocked = await runRules(store, rules(), { now: LATER });
      expect(blocked).toMatchObject({ opened: 0, closed: 0, reopened: 0 });
      expect(blocked.rules.find((o) => o.id === "repair-host-patch")).toMatchObject({ violations: 1, closed: 0, notClosed: 1 });
      expect(blocked.notes.some((n) => n.startsWith(`nothing was closed: sync run `) && n.includes(`was ${status}`))).toBe(true);
      expect((await patchFindings())[E.metal._key]).toMatchObject({ closed: false });
      // a dry run says the same
      expect((await runRules(store, rules(), { now: LATER, dryRun: true })).closed).toBe(0);

      await sync(LATER + 1000, [], "succeeded", "hosts-dc2");
      const after = await runRules(store, rules(), { now: LATER + 2000 });
      expect(after).toMatchObject({ closed: 1 });
      expect((await patchFindings())[E.metal._key]).toMatchObject({ closed: true, closeReason: "COMPLETE" });
    });
  }

  it("an entity that violates again has the same finding reopened, with a new due date", async () => {
    await runRules(store, rules(), { now: NOW });
    await sync(NOW + DAY_MS, [{ ...E.metal, lastPatchedOn: NOW }]);
    expect((await runRules(store, rules(), { now: NOW + DAY_MS })).closed).toBe(1);
    // restored from an old snapshot
    const back = NOW + 3 * DAY_MS;
    await sync(back, [{ ...E.metal, lastPatchedOn: ago(100) }]);
    const result = await runRules(store, only("repair-host-patch"), { now: back });
    expect(result).toMatchObject({ opened: 0, closed: 0, reopened: 1, unchanged: 1 });
    expect(result.rules[0]).toMatchObject({ violations: 2, reopened: 1 });
    const f = await patchFindings(back);
    expect(Object.keys(f)).toHaveLength(2);
    expect(f[E.metal._key]).toMatchObject({
      key: findingKey(PATCH_ID, E.metal._key),
      status: "open",
      closed: false,
      reopenedOn: back,
      dueDate: back + 14 * DAY_MS,
      evidence: "matched rule repair-host-patch again on 2026-11-26",
    });
    expect(f[E.metal._key]!.closeReason).toBeUndefined();
    // and the next run leaves it
    expect(await runRules(store, only("repair-host-patch"), { now: back + 1000 })).toMatchObject({ opened: 0, closed: 0, reopened: 0, unchanged: 2 });
  });

  it("a finding closed RISK_ACCEPTED (not expired) or ERROR stays closed while the entity violates", async () => {
    await runRules(store, rules(), { now: NOW });
    const close = (entity: string, reason: "RISK_ACCEPTED" | "ERROR") =>
      closeMaintenance(store, {
        maintenanceId: PATCH_ID,
        query: `Find deferred_maintenance with entityKey = '${entity}'`,
        reason,
        link: "https://wiki.example.com/adr/1",
        ...(reason === "RISK_ACCEPTED" ? { until: NOW + 90 * DAY_MS } : {}),
        actor: "ops@example.com",
        now: NOW + 1000,
      });
    await close(E.metal._key, "RISK_ACCEPTED");
    await close(E.oldVm._key, "ERROR");
    const result = await runRules(store, only("repair-host-patch"), { now: LATER });
    expect(result).toMatchObject({ opened: 0, closed: 0, reopened: 0, unchanged: 2 });
    const f = await patchFindings();
    expect(f[E.metal._key]).toMatchObject({ closed: true, closeReason: "RISK_ACCEPTED", acceptedUntil: NOW + 90 * DAY_MS });
    expect(f[E.oldVm._key]).toMatchObject({ closed: true, closeReason: "ERROR" });
    // and when the asset is fixed, they are not touched either
    await sync(LATER, [{ ...E.metal, lastPatchedOn: LATER }]);
    expect(await runRules(store, only("repair-host-patch"), { now: LATER + 1000 })).toMatchObject({ closed: 0, reopened: 0, opened: 0 });
    expect((await patchFindings())[E.metal._key]).toMatchObject({ closeReason: "RISK_ACCEPTED", closedBy: "ops@example.com" });
  });

  it("a dry run reports what the run then does, and writes nothing", async () => {
    const counts = await store.counts();
    const audit = (await store.auditLog()).length;
    const dry = await runRules(store, rules(), { now: NOW, dryRun: true });
    expect(await store.counts()).toEqual(counts);
    expect((await store.auditLog()).length).toBe(audit);
    const real = await runRules(store, rules(), { now: NOW });
    expect({ ...dry, dryRun: false }).toEqual(real);

    // and so after a change
    await sync(LATER, [{ ...E.metal, lastPatchedOn: LATER }, { ...E.freshVm, lastSeenOn: ago(20) }]);
    const counts2 = await store.counts();
    const dry2 = await runRules(store, rules(), { now: LATER, dryRun: true });
    expect(dry2).toMatchObject({ opened: 1, closed: 1, dryRun: true });
    expect(await store.counts()).toEqual(counts2);
    expect((await patchFindings())[E.metal._key]).toMatchObject({ closed: false });
    expect({ ...dry2, dryRun: false }).toEqual(await runRules(store, rules(), { now: LATER }));
  });

  it("notes the assets a rule depends on a deployment model for and that have none, and does not judge them", async () => {
    await sync(NOW, [{ ...E.mystery, _key: "host:mystery-2", hostname: "mystery-2", displayName: "mystery-2" }]);
    const result = await runRules(store, only("repave-host-age", "repair-host-patch", "aging-host-unseen"), { now: NOW });
    expect(result.notes).toEqual([
      "2 hosts have no deployment model; set one (deploymentModels: in dm.config.yaml) to judge repair-host-patch, repave-host-age",
    ]);
    expect(result.rules.find((o) => o.id === "repave-host-age")).toMatchObject({ violations: 2, unknownModel: 2 });
    // no finding for them; a configured model makes them judged
    expect((await patchFindings(NOW))[E.mystery._key]).toBeUndefined();
    const configured = await runRules(store, only("repave-host-age"), {
      now: NOW,
      dryRun: true,
      deploymentModels: [{ query: "Find Host with hostname ^= 'mystery'", model: "mutable-vm" }],
    });
    expect(configured).toMatchObject({ opened: 2, notes: [] });
    expect(configured.rules[0]).toMatchObject({ violations: 4, unknownModel: 0 });
  });

  it("an asset whose deployment model is no longer recorded keeps its finding (not judged is not fixed)", async () => {
    await runRules(store, only("repave-host-age"), { now: NOW });
    const { deployment: _d, mutable: _m, ...noModel } = E.metal;
    await sync(LATER, [noModel]);
    const result = await runRules(store, only("repave-host-age"), { now: LATER });
    expect(result).toMatchObject({ closed: 0, opened: 0 });
    expect(result.notes[0]).toMatch(/^2 hosts have no deployment model/);
    const f = await loadFindings(store, LATER, { maintenanceId: ruleMaintenanceId(only("repave-host-age")[0]!) });
    expect(f.find((x) => x.entityKey === E.metal._key)).toMatchObject({ closed: false });
    // one it no longer applies to (the machine became a container) is closed
    await sync(LATER + 1000, [{ ...E.metal, deployment: "immutable-container", mutable: false }]);
    expect(await runRules(store, only("repave-host-age"), { now: LATER + 2000 })).toMatchObject({ closed: 1 });
  });

  it("a disabled rule is skipped; a parameter override changes what violates", async () => {
    const set = rules();
    set.find((r) => r.id === "hygiene-no-owner")!.enabled = false;
    const patch = set.find((r) => r.id === "repair-host-patch")!;
    patch.parameters = { ...patch.parameters, patchDays: 50 };
    const result = await runRules(store, set, { now: NOW });
    expect(result.rules.map((o) => o.id)).not.toContain("hygiene-no-owner");
    expect(result.rules).toHaveLength(11);
    expect(result.opened).toBe(TOTAL - EXPECTED_VIOLATIONS["hygiene-no-owner"]!.length - 1);
    // metal-1 was patched 40 days ago: fine with 50
    expect(Object.keys(await patchFindings(NOW))).toEqual([E.oldVm._key]);
    expect((await patchFindings(NOW))[E.oldVm._key]!.description).toContain("more than 50 days");
    // the item id does not depend on the parameters
    expect(result.rules.find((o) => o.id === "repair-host-patch")!.maintenanceId).toBe(PATCH_ID);
  });

  it("a rule due by the SLA policy is due by its severity, sooner on an exposed asset, and records the exposure", async () => {
    const patch = { ...PATCH, due: "sla" as const, severity: "high" as const };
    const sla = slaPolicyFrom({ sla: { high: "20d", exposure: [{ name: "bare-metal-fleet", query: "Find Host with deployment = 'bare-metal'", factor: 0.5 }] } }, "dm.config.yaml");
    await runRules(store, [patch], { now: NOW, sla });
    const found = await patchFindings(NOW);
    expect(found[E.oldVm._key]).toMatchObject({ dueDate: NOW + 20 * DAY_MS });
    expect(found[E.metal._key]).toMatchObject({ dueDate: NOW + 10 * DAY_MS });
    const exposed = await runQuery(store, `Find deferred_maintenance with maintenanceId = '${PATCH_ID}' and exposure != undefined as m return m.entityKey as k, m.exposure as e`, { now: NOW, all: true });
    expect(exposed.data).toEqual([{ k: E.metal._key, e: "bare-metal-fleet" }]);
    // without a policy: the defaults (high: 30 days)
    await store.upsert({ entities: [{ ...E.freshVm, lastPatchedOn: ago(400) }], relationships: [] }, { now: NOW + 1, source: "import" });
    await runRules(store, [patch], { now: NOW + 1 });
    expect((await patchFindings(NOW + 1))[E.freshVm._key]).toMatchObject({ dueDate: NOW + 1 + 30 * DAY_MS });
  });
});
