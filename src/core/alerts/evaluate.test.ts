/**
 * Alert evaluation on both backends: announce once, new and changed
 * entities, repeat, resolved, silences, delivery retries, and two evaluators
 * on one PostgreSQL announcing once.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../../test/helpers/pg.js";
import { openStore } from "../../store/open-store.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { type AlertRule, parseCondition } from "./config.js";
import { backoffAfter, evaluateAlerts, evaluateRule } from "./evaluate.js";
import { alertRule, FakeDestination, STORE_TARGETS } from "../../../test/helpers/alerts.js";

const T0 = Date.UTC(2026, 0, 5, 9);
const MIN = 60_000;
const DAY = 86_400_000;


function finding(key: string, owner: string, dueDate: number, extra: Record<string, unknown> = {}): EntityRecord {
  return { _key: key, _type: "deferred_maintenance", _class: "Finding", displayName: `fix ${key}`, closed: false, owner, dueDate, ...extra };
}



describe.each(STORE_TARGETS)("alert evaluation ($name)", (backend) => {
  let store: GraphStore;
  let target: { url: string; cleanup(): Promise<void> };
  let dest: FakeDestination;
  const run = (r: AlertRule, now: number, dryRun = false) => evaluateRule(store, r, { now, dryRun, destinations: () => [dest] });

  beforeEach(async () => {
    target = await backend.target();
    store = await openStore(target.url);
    dest = new FakeDestination();
    await store.upsert({ entities: [finding("f1", "payments", T0 - DAY), finding("f2", "payments", T0 - 2 * DAY), finding("f3", "web", T0 - DAY)], relationships: [] }, { now: T0 });
  });
  afterEach(async () => {
    await store.close();
    await target.cleanup();
  });

  it("announces each alerting entity once, per group, across repeated runs", async () => {
    const first = await run(alertRule(), T0);
    expect(first).toMatchObject({ total: 3, announced: 3, resolved: 0, pending: 0 });
    expect(dest.sent.map((n) => [n.kind, n.group, n.total, n.entities.map((e) => e._key)])).toEqual(
      expect.arrayContaining([
        ["firing", "payments", 2, ["f1", "f2"]],
        ["firing", "web", 1, ["f3"]],
      ]),
    );
    expect(dest.sent).toHaveLength(2);
    for (const at of [T0 + 15 * MIN, T0 + 30 * MIN, T0 + 6 * 3_600_000]) {
      const again = await run(alertRule(), at);
      expect(again.announced).toBe(0);
    }
    expect(dest.sent).toHaveLength(2);
    expect((await store.alertDeliveries({ rule: "overdue" })).map((d) => d.status)).toEqual(["sent", "sent"]);
  });

  it("announces a new entity and a changed one, alone", async () => {
    await run(alertRule(), T0);
    await store.upsert({ entities: [finding("f4", "payments", T0 - DAY), finding("f1", "payments", T0 - 5 * DAY)], relationships: [] }, { now: T0 + MIN });
    const r = await run(alertRule(), T0 + 15 * MIN);
    expect(r.announced).toBe(2);
    expect(dest.sent.at(-1)).toMatchObject({ kind: "firing", group: "payments", total: 3 });
    expect(dest.sent.at(-1)!.entities.map((e) => e._key)).toEqual(["f1", "f4"]);
  });

  it("repeats an unchanged alert when `repeat` has passed, not before", async () => {
    await run(alertRule(), T0);
    expect((await run(alertRule(), T0 + DAY - MIN)).announced).toBe(0);
    const r = await run(alertRule(), T0 + DAY);
    expect(r.announced).toBe(3);
    expect(dest.sent.slice(2).map((n) => n.kind)).toEqual(["repeat", "repeat"]);
    expect((await run(alertRule(), T0 + DAY + 15 * MIN)).announced).toBe(0);
  });

  it("announces resolved entities as resolved, once", async () => {
    await run(alertRule(), T0);
    await store.upsert({ entities: [finding("f2", "payments", T0 - 2 * DAY, { closed: true })], relationships: [] }, { now: T0 + MIN });
    const r = await run(alertRule(), T0 + 15 * MIN);
    expect(r).toMatchObject({ total: 2, announced: 0, resolved: 1 });
    const resolved = dest.sent.at(-1)!;
    expect(resolved).toMatchObject({ kind: "resolved", group: "payments", total: 1 });
    expect(resolved.entities.map((e) => e._key)).toEqual(["f2"]);
    expect((await run(alertRule(), T0 + 30 * MIN)).resolved).toBe(0);
  });

  it("total > N: alerts while the group holds more than N; dropping below resolves", async () => {
    const r1 = alertRule({ when: parseCondition("total > 1", "when"), whenText: "total > 1" });
    expect((await run(r1, T0)).announced).toBe(2);
    expect(dest.sent.map((n) => n.group)).toEqual(["payments"]);
    await store.upsert({ entities: [finding("f2", "payments", T0 - 2 * DAY, { closed: true })], relationships: [] }, { now: T0 + MIN });
    const r = await run(r1, T0 + 15 * MIN);
    expect(r.resolved).toBe(2);
  });

  it("`new` announces only entities not in the previous result", async () => {
    const r1 = alertRule({ when: parseCondition("new", "when"), whenText: "new" });
    expect((await run(r1, T0)).announced).toBe(3);
    expect((await run(r1, T0 + 2 * DAY)).announced).toBe(0);
    await store.upsert({ entities: [finding("f9", "web", T0)], relationships: [] }, { now: T0 + 2 * DAY });
    const r = await run(r1, T0 + 2 * DAY + MIN);
    expect(r.announced).toBe(1);
  });

  it("silences an entity, and the whole rule, until they expire", async () => {
    await store.addAlertSilence({ rule: "overdue", entityKey: "f3", until: T0 + DAY, reason: "known", createdBy: "t", createdOn: T0 });
    const r = await run(alertRule(), T0);
    expect(r).toMatchObject({ announced: 2, silenced: 1 });
    expect(dest.sent.map((n) => n.group)).toEqual(["payments"]);
    await store.addAlertSilence({ rule: "overdue", entityKey: null, until: T0 + 2 * DAY, reason: "freeze", createdBy: "t", createdOn: T0 });
    await store.upsert({ entities: [finding("f5", "web", T0 - DAY)], relationships: [] }, { now: T0 + MIN });
    const silenced = await run(alertRule(), T0 + DAY + MIN);
    expect(silenced).toMatchObject({ announced: 0, silenced: 4 });
    // both silences over: what still alerts and was never announced is announced now
    const after = await run(alertRule(), T0 + 2 * DAY + MIN);
    expect(after.announced).toBe(4); // f3 and f5 new; payments' f1, f2 repeat (a day passed)
    expect(dest.sent.slice(1).map((n) => [n.kind, n.group])).toEqual(expect.arrayContaining([["firing", "web"], ["repeat", "payments"]]));
  });

  it("keeps a retryable failure pending, retries it after the backoff, delivers it exactly once", async () => {
    dest.answers = [{ ok: false, retryable: true, status: 503, error: "service unavailable" }, { ok: false, retryable: true, status: 503, error: "down" }];
    const r1 = await run(alertRule(), T0);
    expect(r1.pending).toBe(2);
    expect(r1.deliveries.map((d) => d.status)).toEqual(["pending", "pending"]);
    expect(dest.sent).toHaveLength(0);
    // before the backoff passes: nothing is tried
    const early = await run(alertRule(), T0 + backoffAfter(1) - 1000);
    expect(early.deliveries).toEqual([]);
    const r2 = await run(alertRule(), T0 + backoffAfter(1));
    expect(r2.deliveries.map((d) => d.status)).toEqual(["sent", "sent"]);
    expect(r2.pending).toBe(0);
    expect(r2.announced).toBe(0);
    expect(dest.sent).toHaveLength(2);
    await run(alertRule(), T0 + DAY - MIN);
    expect(dest.sent).toHaveLength(2);
    const history = await store.alertDeliveries({ rule: "overdue" });
    expect(history.map((d) => [d.status, d.attempts])).toEqual([
      ["sent", 2],
      ["sent", 2],
    ]);
  });

  it("marks a non-retryable failure failed, with the error, and does not send it again", async () => {
    dest.answers = [{ ok: false, retryable: false, error: "channel_not_found" }, { ok: true, retryable: false }];
    const r = await run(alertRule(), T0);
    expect(r.deliveries.map((d) => d.status).sort()).toEqual(["failed", "sent"]);
    expect(r.pending).toBe(0);
    await run(alertRule(), T0 + DAY - MIN);
    const failed = (await store.alertDeliveries({})).filter((d) => d.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.lastError).toContain("channel_not_found");
    expect(dest.sent).toHaveLength(1);
  });

  it("a dry run writes and sends nothing", async () => {
    const r = await run(alertRule(), T0, true);
    expect(r.announced).toBe(3);
    expect(r.deliveries.map((d) => d.status)).toEqual(["would-send", "would-send"]);
    expect(dest.sent).toHaveLength(0);
    expect(await store.alertState("overdue")).toEqual([]);
    expect((await run(alertRule(), T0)).announced).toBe(3);
  });

  it("reports a rule whose query fails and evaluates the others", async () => {
    const bad = alertRule({ name: "bad", queries: [{ name: "q", query: "Find deferred_maintenance with {{missing}} = 1" }] });
    const out = await evaluateAlerts(store, [bad, alertRule()], { now: T0, destinations: () => [dest] });
    expect(out.rules[0]!.error).toBeTruthy();
    expect(out.rules[1]!.announced).toBe(3);
  });

  it("a notification's id is stable: the same decision gives the same id, and a retry sends the same id", async () => {
    const a = await run(alertRule(), T0, true);
    const b = await run(alertRule(), T0, true);
    expect(a.notifications.map((n) => n.id)).toEqual(b.notifications.map((n) => n.id));
    dest.answers = [{ ok: false, retryable: true, error: "refused" }];
    const first = await run(alertRule(), T0);
    await run(alertRule(), T0 + backoffAfter(1));
    const retried = first.deliveries.find((d) => d.status === "pending")!;
    expect(dest.sent.map((n) => n.id)).toContain(retried.notification);
    expect(a.notifications.map((n) => n.id).sort()).toEqual(first.notifications.map((n) => n.id).sort());
  });
});

describe("two evaluators on one PostgreSQL", () => {
  it("announce each entity once", async () => {
    const url = await createTestDatabase();
    const stores = await Promise.all([openStore(url), openStore(url)]);
    try {
      const entities = Array.from({ length: 50 }, (_, i) => finding(`f${i}`, `team${i % 5}`, T0 - DAY));
      await stores[0]!.upsert({ entities, relationships: [] }, { now: T0 });
      const slow = new FakeDestination();
      const send = slow.send.bind(slow);
      slow.send = async (n) => {
        await new Promise((r) => setTimeout(r, 20));
        return send(n);
      };
      for (let round = 0; round < 3; round++) {
        await Promise.all(stores.map((s) => evaluateRule(s, alertRule(), { now: T0 + round * MIN, destinations: () => [slow] })));
      }
      expect(slow.sent).toHaveLength(5);
      expect(slow.sent.flatMap((n) => n.entities.map((e) => e._key)).sort()).toEqual(entities.map((e) => e._key).sort());
      // also when the evaluations do not overlap in time: the second sees the first's state
      await evaluateRule(stores[1]!, alertRule(), { now: T0 + 10 * MIN, destinations: () => [slow] });
      expect(slow.sent).toHaveLength(5);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropTestDatabase(url);
    }
  });
});
