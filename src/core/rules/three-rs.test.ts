/**
 * Each built-in three-rs rule on a fixture graph (test/helpers/rules-graph.ts),
 * on SQLite and PostgreSQL: an entity that violates it, one that is fine and,
 * for the rules with appliesTo, one of a deployment model the rule does not
 * apply to (with what to do instead), and an entity with no deployment model
 * (unknown, not judged). Checked through explainEntity and runRules' counts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { E, EXPECTED_VIOLATIONS, NOW, PERSON, RULES_GRAPH, TEAM } from "../../../test/helpers/rules-graph.js";
import type { GraphStore } from "../../store/types.js";
import { loadFindings } from "../maintenance/finding.js";
import { builtinPack } from "./config.js";
import { explainEntity, type RuleStatus } from "./explain.js";
import type { Rule } from "./pack.js";
import { ruleMaintenanceId, runRules } from "./run.js";

const RULES: Rule[] = builtinPack().rules;
const rule = (id: string) => RULES.find((r) => r.id === id)!;

interface Case {
  rule: string;
  violates: string[];
  ok: string[];
  /** of a deployment model the rule does not apply to: the reason must match */
  notApplicable?: { key: string; reason: RegExp }[];
  unknown?: string[];
}

const REBUILD = /deployment model is immutable-container; .*rebuild its image instead \(rule [a-z-]+\)/;

const CASES: Case[] = [
  {
    rule: "repair-host-patch",
    violates: [E.oldVm._key, E.metal._key],
    ok: [E.freshVm._key],
    notApplicable: [{ key: E.container._key, reason: REBUILD }],
    unknown: [E.mystery._key],
  },
  { rule: "repair-image-pinning", violates: [E.imageLatest._key], ok: [E.imagePinned._key, E.imageOldRunning._key] },
  { rule: "repair-vulnerable-packages", violates: [E.vulnerable._key], ok: [E.active._key, E.orphan._key, E.freshVm._key] },
  { rule: "rotate-access-key-age", violates: [E.keyOld._key], ok: [E.keyFresh._key, E.keyUnused._key, E.keyInactive._key] },
  { rule: "rotate-access-key-unused", violates: [E.keyUnused._key], ok: [E.keyFresh._key, E.keyOld._key, E.keyInactive._key] },
  { rule: "rotate-vault-secret-age", violates: [E.secretOld._key], ok: [E.secretNew._key] },
  {
    rule: "repave-host-age",
    violates: [E.oldVm._key, E.metal._key],
    ok: [E.freshVm._key],
    notApplicable: [
      { key: E.container._key, reason: REBUILD },
      { key: E.workload._key, reason: REBUILD },
      { key: E.lambda._key, reason: /^repave: not applicable — deployment model is serverless; / },
    ],
    unknown: [E.mystery._key],
  },
  {
    rule: "hygiene-no-owner",
    violates: [E.oldVm._key, E.orphan._key],
    // owned by an OWNS edge from a Team, from a Person, or by the owner property
    ok: [E.freshVm._key, E.mystery._key, E.metal._key, E.container._key, E.archived._key, E.idle._key],
  },
  { rule: "hygiene-archived-deployed", violates: [E.archived._key], ok: [E.active._key, E.idle._key] },
  // idle and deployed / idle but deployed nothing / deployed but active
  { rule: "aging-repo-deployed", violates: [E.archived._key], ok: [E.idle._key, E.active._key] },
  { rule: "aging-host-unseen", violates: [E.oldVm._key], ok: [E.freshVm._key, E.metal._key] },
  { rule: "aging-image-running", violates: [E.imageOldRunning._key, E.imageOldOnHost._key], ok: [E.imageOldIdle._key, E.imageNewRunning._key] },
];

describe("the fixture covers every built-in rule", () => {
  it("one case per rule, and the expected violations agree", () => {
    expect(CASES.map((c) => c.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
    for (const c of CASES) expect(c.violates.sort()).toEqual([...EXPECTED_VIOLATIONS[c.rule]!].sort());
    // every rule with appliesTo has a not-applicable and an unknown case
    for (const r of RULES.filter((x) => x.appliesTo)) {
      const c = CASES.find((x) => x.rule === r.id)!;
      expect(c.notApplicable?.length).toBeGreaterThan(0);
      expect(c.unknown?.length).toBeGreaterThan(0);
    }
  });
});

describe.each(BACKENDS)("the three-rs rules on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    await store.upsert(RULES_GRAPH, { now: NOW - 1000, source: "import" });
  });
  afterAll(async () => {
    await closeStore();
  });

  async function statusOf(ruleId: string, key: string): Promise<{ status: RuleStatus; reason: string }> {
    const e = await explainEntity(store, RULES, key, { now: NOW });
    const r = e.rules.find((x) => x.id === ruleId);
    if (!r) throw new Error(`explain of ${key} has no rule ${ruleId}`);
    return r;
  }

  describe.each(CASES)("$rule", (c) => {
    it("violates", async () => {
      for (const key of c.violates) {
        const r = await statusOf(c.rule, key);
        expect({ key, ...r }).toMatchObject({ key, status: "violates" });
        expect(r.reason).toMatch(new RegExp(`^${rule(c.rule).r}: violates — `));
      }
    });

    it("ok", async () => {
      for (const key of c.ok) expect({ key, ...(await statusOf(c.rule, key)) }).toMatchObject({ key, status: "ok" });
    });

    if (c.notApplicable) {
      it("not applicable to other deployment models, saying why", async () => {
        for (const { key, reason } of c.notApplicable!) {
          const r = await statusOf(c.rule, key);
          expect({ key, ...r }).toMatchObject({ key, status: "not-applicable" });
          expect(r.reason).toMatch(reason);
        }
      });
    }

    if (c.unknown) {
      it("unknown for an asset with no deployment model, saying how to set one", async () => {
        for (const key of c.unknown!) {
          const r = await statusOf(c.rule, key);
          expect({ key, ...r }).toMatchObject({ key, status: "unknown" });
          expect(r.reason).toMatch(/no deployment model is recorded.*deploymentModels:/);
        }
      });
    }
  });

  it("explain names the entity and its deployment model (recorded, or null)", async () => {
    const vm = await explainEntity(store, RULES, "old-vm", { now: NOW });
    expect(vm.entity).toEqual({ _key: E.oldVm._key, _type: "host", displayName: "old-vm", deploymentModel: "mutable-vm" });
    expect(vm.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const api = await explainEntity(store, RULES, "payments-api", { now: NOW });
    expect(api.entity).toMatchObject({ _key: E.workload._key, _type: "kube_deployment", deploymentModel: "immutable-container" });
    expect((await explainEntity(store, RULES, E.mystery._key, { now: NOW })).entity.deploymentModel).toBeNull();
    // a rule about another kind of asset is not applicable to it, whatever the model
    const key = await explainEntity(store, RULES, E.keyOld._key, { now: NOW });
    expect(key.rules.find((r) => r.id === "repave-host-age")).toMatchObject({ status: "not-applicable", reason: expect.stringMatching(/about Host/) });
  });

  it("a configured deployment model wins over the recorded one (first match wins)", async () => {
    const deploymentModels = [
      { query: "Find Host with hostname = 'old-vm'", model: "immutable-vm" as const },
      { query: "Find Host", model: "bare-metal" as const },
    ];
    const vm = await explainEntity(store, RULES, "old-vm", { now: NOW, deploymentModels });
    expect(vm.entity.deploymentModel).toBe("immutable-vm");
    expect(vm.rules.find((r) => r.id === "repave-host-age")).toMatchObject({ status: "not-applicable" });
    const mystery = await explainEntity(store, RULES, E.mystery._key, { now: NOW, deploymentModels });
    expect(mystery.entity.deploymentModel).toBe("bare-metal");
    expect(mystery.rules.find((r) => r.id === "repave-host-age")).toMatchObject({ status: "violates" });
  });

  it("a dry run counts each rule's violations as explain judges them, notes the hosts of no model, and writes nothing", async () => {
    const before = await store.counts();
    const result = await runRules(store, RULES, { now: NOW, dryRun: true });
    expect(result.dryRun).toBe(true);
    const byRule = Object.fromEntries(result.rules.map((o) => [o.id, o.violations]));
    expect(byRule).toEqual(Object.fromEntries(Object.entries(EXPECTED_VIOLATIONS).map(([id, keys]) => [id, keys.length])));
    const total = Object.values(EXPECTED_VIOLATIONS).reduce((n, k) => n + k.length, 0);
    expect(result).toMatchObject({ opened: total, closed: 0, reopened: 0, unchanged: 0 });
    expect(result.notes).toEqual([expect.stringMatching(/^1 host has no deployment model; set one .*to judge repair-host-patch, repave-host-age/)]);
    expect(await store.counts()).toEqual(before);
  });
});

describe.each(BACKENDS)("a whole three-rs sweep on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    await store.upsert(RULES_GRAPH, { now: NOW - 1000, source: "import" });
  });
  afterAll(async () => {
    await closeStore();
  });

  it("opens one finding per violating entity, under one item per rule, with the owner; a second run changes nothing", async () => {
    const first = await runRules(store, RULES, { now: NOW });
    const total = Object.values(EXPECTED_VIOLATIONS).reduce((n, k) => n + k.length, 0);
    expect(first).toMatchObject({ opened: total, closed: 0, reopened: 0, unchanged: 0, dryRun: false });
    for (const r of RULES) {
      const findings = await loadFindings(store, NOW, { maintenanceId: ruleMaintenanceId(r) });
      expect(findings.map((f) => f.entityKey).sort()).toEqual([...EXPECTED_VIOLATIONS[r.id]!].sort());
      for (const f of findings) expect(f).toMatchObject({ status: "open", closed: false, tracked: false });
    }
    const owners = Object.fromEntries(
      (await loadFindings(store, NOW, { maintenanceId: ruleMaintenanceId(rule("repair-host-patch")) })).map((f) => [f.entityKey, f.owner]),
    );
    expect(owners).toEqual({ [E.oldVm._key]: undefined, [E.metal._key]: "ops" });
    const archived = await loadFindings(store, NOW, { maintenanceId: ruleMaintenanceId(rule("hygiene-archived-deployed")) });
    expect(archived[0]!.owner).toBe(TEAM.displayName);
    expect(PERSON.displayName).toBe("Alice");

    const second = await runRules(store, RULES, { now: NOW + 60_000 });
    expect(second).toMatchObject({ opened: 0, closed: 0, reopened: 0, unchanged: total });
    for (const o of second.rules) expect(o).toMatchObject({ opened: 0, closed: 0, reopened: 0 });
  });
});
