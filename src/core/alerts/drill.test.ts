/**
 * dm drill's core on both backends: a drill passes (canary opened and closed
 * ERROR with the result, one DRILL notification per destination, the rules'
 * state untouched), fails naming the step (no rule selects the canary, a
 * destination refuses), never leaves its canary open (a throw after opening;
 * a stale canary closed by the next drill and by reconcile), and is recorded
 * for /metrics.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { drillFamilies, renderFamilies } from "../../server/metrics.js";
import { openStore } from "../../store/open-store.js";
import type { GraphStore } from "../../store/types.js";
import { DRILL_MAINTENANCE_ID, openCanaries, openCanary } from "../maintenance/canary.js";
import { loadFindings } from "../maintenance/finding.js";
import { reconcile } from "../maintenance/reconcile.js";
import { drill } from "./drill.js";
import { evaluateRule } from "./evaluate.js";
import { alertRule, FakeDestination, STORE_TARGETS } from "../../../test/helpers/alerts.js";

const T0 = Date.UTC(2026, 0, 5, 9);
const MIN = 60_000;
const _DAY = 86_400_000;




describe.each(STORE_TARGETS)("dm drill ($name)", (backend) => {
  let store: GraphStore;
  let cleanup: () => Promise<void>;
  let slack: FakeDestination;
  let hook: FakeDestination;
  const destinations = () => [slack, hook];

  beforeEach(async () => {
    const t = await backend.target();
    cleanup = t.cleanup;
    store = await openStore(t.url);
    slack = new FakeDestination("slack #security", { ok: true, status: 202, retryable: false });
    hook = new FakeDestination("webhook hooks.example.com", { ok: true, status: 202, retryable: false });
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  const drillFindings = () => loadFindings(store, T0, { maintenanceId: DRILL_MAINTENANCE_ID });

  it("passes: the canary is caught, each destination accepts one DRILL notification, the canary is closed ERROR with the result", async () => {
    const other = alertRule({ name: "payments-only", queries: [{ name: "q", query: "Find deferred_maintenance with owner='payments'" }] });
    const r = await drill(store, [alertRule(), other], { now: T0, actor: "tester", destinations });
    expect(r.ok).toBe(true);
    expect(r.failed).toBeUndefined();
    expect(r.rules).toEqual(["overdue"]);
    expect(r.steps.map((s) => [s.step, s.ok, s.destination ?? null])).toEqual([
      ["open", true, null],
      ["evaluate", true, null],
      ["deliver", true, "slack #security"],
      ["deliver", true, "webhook hooks.example.com"],
      ["close", true, null],
      ["record", true, null],
    ]);
    expect(r.ms).toBeGreaterThan(0);
    for (const d of [slack, hook]) {
      expect(d.sent).toHaveLength(1);
      const n = d.sent[0]!;
      expect(n).toMatchObject({ kind: "drill", drill: true, rule: "overdue", group: "dm-drill", total: 1 });
      expect(n.title).toMatch(/^DRILL overdue/);
      expect(n.entities.map((e) => e._key)).toEqual([r.canary]);
    }
    const [canary] = await drillFindings();
    expect(canary).toMatchObject({ key: r.canary, closed: true, closeReason: "ERROR", closedBy: "tester", shortDescription: "DRILL — ignore" });
    expect(canary!.evidence).toMatch(new RegExp(`^drill ${r.id} passed in \\d+ ms: overdue → slack #security, overdue → webhook hooks.example.com`));
    // the rule's own state is untouched: nothing announced, nothing pending, no evaluation recorded
    expect(await store.alertState("overdue")).toEqual([]);
    expect(await store.alertDeliveries({})).toEqual([]);
    expect((await store.alertEvaluations()).size).toBe(0);
    const [run] = await store.drillRuns();
    expect(run).toMatchObject({ id: r.id, ok: true, failedStep: null, rules: ["overdue"], actor: "tester" });
    expect(await store.drillSummary()).toMatchObject({ runs: 1, failures: 0, lastSuccess: T0 });
  });

  it("fails at evaluate when no alert rule selects the canary, and closes it all the same", async () => {
    const r = await drill(store, [alertRule({ queries: [{ name: "q", query: "Find deferred_maintenance with owner='payments'" }] })], {
      now: T0,
      actor: "tester",
      destinations,
    });
    expect(r.ok).toBe(false);
    expect(r.failed).toMatchObject({ step: "evaluate" });
    expect(r.failed!.detail).toContain("no alert rule selects the canary");
    expect(slack.sent).toHaveLength(0);
    expect((await drillFindings()).map((f) => [f.closed, f.closeReason])).toEqual([[true, "ERROR"]]);
    expect((await drillFindings())[0]!.evidence).toContain("failed at evaluate");
    expect(await store.drillSummary()).toMatchObject({ runs: 1, failures: 1, lastSuccess: null });
  });

  it("fails at deliver naming the destination that refused, and still tries the others", async () => {
    slack.answers.push({ ok: false, retryable: false, error: "invalid_auth" });
    const r = await drill(store, [alertRule()], { now: T0, actor: "tester", destinations });
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual({ step: "deliver", rule: "overdue", destination: "slack #security", detail: "not accepted: invalid_auth" });
    expect(hook.sent).toHaveLength(1);
    expect(r.steps.find((s) => s.step === "close")?.ok).toBe(true);
    expect((await drillFindings())[0]!.evidence).toContain("failed at deliver (slack #security): not accepted: invalid_auth");
    // nothing is left pending: a drill is not retried later
    expect(await store.pendingAlertDeliveries()).toEqual(new Map());
  });

  it("fails at deliver when the rule that catches it has no actions", async () => {
    const r = await drill(store, [alertRule()], { now: T0, actor: "tester", destinations: () => [] });
    expect(r.failed).toMatchObject({ step: "deliver", rule: "overdue" });
    expect(r.failed!.detail).toContain("no actions");
  });

  it("--alert drills only that rule", async () => {
    const r = await drill(store, [alertRule(), alertRule({ name: "second" })], { now: T0, actor: "tester", destinations, alert: "second" });
    expect(r.rules).toEqual(["second"]);
    expect(slack.sent.map((n) => n.rule)).toEqual(["second"]);
  });

  it("closes its canary when interrupted after opening it", async () => {
    const r = await drill(store, [alertRule()], {
      now: T0,
      actor: "tester",
      destinations,
      afterOpen: () => {
        throw new Error("killed");
      },
    });
    expect(r.ok).toBe(false);
    expect(r.failed).toMatchObject({ step: "evaluate", detail: "interrupted: killed" });
    expect(await openCanaries(store, T0)).toEqual([]);
    const [canary] = await drillFindings();
    expect(canary).toMatchObject({ closed: true, closeReason: "ERROR" });
    expect(canary!.evidence).toContain(`drill ${r.id} interrupted at evaluate`);
    expect(slack.sent).toHaveLength(0);
    expect((await store.drillRuns())[0]).toMatchObject({ id: r.id, ok: false, failedStep: "evaluate" });
  });

  it("a stale canary (its drill was killed) is closed by the next drill; a fresh one is left to its drill", async () => {
    const stale = await openCanary(store, { id: "0000dead", now: T0 - 30 * MIN, actor: "tester" });
    const fresh = await openCanary(store, { id: "0000beef", now: T0 - 2 * MIN, actor: "tester" });
    // a normal evaluation does not see canaries: nothing is announced, nothing enters the state
    const report = await evaluateRule(store, alertRule(), { now: T0, destinations });
    expect(report.total).toBe(0);
    expect(slack.sent).toHaveLength(0);
    const r = await drill(store, [alertRule()], { now: T0, actor: "tester", destinations });
    expect(r.ok).toBe(true);
    expect(r.staleClosed).toBe(1);
    // the drill's notification is about its own canary only
    expect(slack.sent[0]!.entities.map((e) => e._key)).toEqual([r.canary]);
    const byKey = new Map((await drillFindings()).map((f) => [f.key, f]));
    expect(byKey.get(stale.key)).toMatchObject({ closed: true, closeReason: "ERROR" });
    expect(byKey.get(stale.key)!.evidence).toMatch(/^stale drill canary: opened 30 min ago/);
    expect(byKey.get(fresh.key)).toMatchObject({ closed: false });
  });

  it("a stale canary is closed by reconcile", async () => {
    const stale = await openCanary(store, { id: "0000dead", now: T0 - 11 * MIN, actor: "tester" });
    const fresh = await openCanary(store, { id: "0000beef", now: T0 - MIN, actor: "tester" });
    const r = await reconcile(store, { now: T0 });
    expect(r.canariesClosed).toBe(1);
    expect((await openCanaries(store, T0)).map((row) => row.finding.key)).toEqual([fresh.key]);
    const closed = (await drillFindings()).find((f) => f.key === stale.key)!;
    expect(closed).toMatchObject({ closed: true, closeReason: "ERROR", closedBy: "dm" });
    expect((await reconcile(store, { now: T0 + 1 })).canariesClosed).toBeUndefined();
  });

  it("feeds dm_drill_* for /metrics", async () => {
    const ok = await drill(store, [alertRule()], { now: T0, actor: "tester", destinations });
    slack.answers.push({ ok: false, retryable: true, status: 503, error: "service unavailable" });
    const bad = await drill(store, [alertRule()], { now: T0 + MIN, actor: "tester", destinations });
    expect(bad.failed).toMatchObject({ step: "deliver", destination: "slack #security", detail: "not accepted: HTTP 503: service unavailable" });
    const text = renderFamilies(drillFamilies(await store.drillSummary()));
    expect(text).toContain(`dm_drill_last_success_timestamp_seconds ${T0 / 1000}\n`);
    expect(text).toContain(`dm_drill_last_run_timestamp_seconds ${(T0 + MIN) / 1000}\n`);
    expect(text).toContain("dm_drill_last_ok 0\n");
    expect(text).toContain("dm_drill_failures_total 1\n");
    expect(text).toContain("dm_drill_runs_total 2\n");
    expect(text).toMatch(/dm_drill_duration_seconds \d+(\.\d+)?(e-\d+)?\n/);
    expect(ok.ok).toBe(true);
  });
});
