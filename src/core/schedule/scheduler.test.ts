import { afterEach, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { createLogger } from "../../shared/logger.js";
import type { GraphStore } from "../../store/types.js";
import { parseCron } from "./cron.js";
import { type Job, Scheduler, type Timer } from "./scheduler.js";

const T = (hhmmss: string) => Date.parse(`2026-03-02T${hhmmss}Z`);

/** A timer that fires only when the test says so. */
class FakeTimer implements Timer {
  pending: { fn: () => void; ms: number; id: number } | undefined;
  private ids = 0;
  set(fn: () => void, ms: number) {
    this.pending = { fn, ms, id: ++this.ids };
    return this.pending.id;
  }
  clear(handle: unknown) {
    if (this.pending?.id === handle) this.pending = undefined;
  }
  fire() {
    const p = this.pending;
    if (!p) throw new Error("no timer armed");
    this.pending = undefined;
    p.fn();
  }
}

function logSink() {
  const lines: string[] = [];
  return { lines, logger: createLogger("info", { write: (line: string) => lines.push(line) }) };
}

function recordingJob(name: string, cron: string, behaviour: (slot: number) => Promise<Record<string, unknown> | undefined> = async () => undefined) {
  const runs: number[] = [];
  const job: Job = {
    name,
    schedule: parseCron(cron),
    async run(ctx) {
      runs.push(ctx.scheduledFor);
      return behaviour(ctx.scheduledFor);
    },
  };
  return { job, runs };
}

describe.each(BACKENDS)("scheduler: %s", (backend) => {
  let store: GraphStore;
  let close: () => Promise<void>;
  const schedulers: Scheduler[] = [];

  async function setup() {
    ({ store, close } = await openTestStore(backend));
  }

  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
    await close();
  });

  it("runs a job once per slot, when its slot comes and not before, and records the run", async () => {
    await setup();
    let clock = T("10:00:30");
    const { job, runs } = recordingJob("reconcile", "*/5 * * * *", async () => ({ opened: 1 }));
    const s = new Scheduler({ store, jobs: [job], logger: logSink().logger, now: () => clock, timer: new FakeTimer(), runner: "test:1" });
    schedulers.push(s);
    s.start();
    expect(await s.tick()).toEqual([]);
    clock = T("10:04:59");
    expect(await s.tick()).toEqual([]);
    clock = T("10:05:00");
    expect(await s.tick()).toEqual([{ job: "reconcile", scheduledFor: T("10:05:00"), outcome: "succeeded" }]);
    expect(await s.tick()).toEqual([]);
    clock = T("10:09:10");
    expect(await s.tick()).toEqual([]);
    clock = T("10:10:20");
    await s.tick();
    expect(runs).toEqual([T("10:05:00"), T("10:10:00")]);
    const [status] = await s.status();
    expect(status).toEqual({
      name: "reconcile",
      cron: "*/5 * * * *",
      nextRun: T("10:15:00"),
      running: false,
      lastRun: expect.objectContaining({
        job: "reconcile",
        scheduledFor: T("10:10:00"),
        startedOn: T("10:10:20"),
        finishedOn: T("10:10:20"),
        status: "succeeded",
        runner: "test:1",
        details: { opened: 1 },
        error: null,
      }),
    });
  });

  it("after a long sleep runs once, for the latest slot that passed", async () => {
    await setup();
    let clock = T("10:00:00");
    const { job, runs } = recordingJob("vulns-scan", "*/10 * * * *");
    const s = new Scheduler({ store, jobs: [job], logger: logSink().logger, now: () => clock, timer: new FakeTimer() });
    schedulers.push(s);
    s.start();
    clock = T("13:35:00");
    await s.tick();
    expect(runs).toEqual([T("13:30:00")]);
    expect((await s.status())[0]!.nextRun).toBe(T("13:40:00"));
  });

  it("records a failed run, logs it, keeps going, and retries at the next slot", async () => {
    await setup();
    let clock = T("10:00:00");
    let fail = true;
    const { job, runs } = recordingJob("sync:git", "* * * * *", async () => {
      if (fail) throw new Error("the git folder is gone");
      return { written: 3 };
    });
    const other = recordingJob("reconcile", "* * * * *");
    const sink = logSink();
    const s = new Scheduler({ store, jobs: [job, other.job], logger: sink.logger, now: () => clock, timer: new FakeTimer() });
    schedulers.push(s);
    s.start();
    clock = T("10:01:00");
    expect((await s.tick()).map((r) => r.outcome)).toEqual(["failed", "succeeded"]);
    const failed = (await store.latestJobRuns()).find((r) => r.job === "sync:git");
    expect(failed).toMatchObject({ status: "failed", error: "the git folder is gone", details: null, finishedOn: T("10:01:00") });
    expect(sink.lines.join("\n")).toContain("job failed; its next slot tries again");
    fail = false;
    clock = T("10:02:00");
    expect((await s.tick()).map((r) => r.outcome)).toEqual(["succeeded", "succeeded"]);
    expect((await store.latestJobRuns()).find((r) => r.job === "sync:git")).toMatchObject({ status: "succeeded", details: { written: 3 } });
    expect(runs).toEqual([T("10:01:00"), T("10:02:00")]);
    expect(s.metrics.outcomes.get("sync:git")).toEqual(
      new Map([
        ["failed", 1],
        ["succeeded", 1],
      ]),
    );
  });

  it("does not start a job again while its previous slot still runs", async () => {
    await setup();
    let clock = T("10:00:00");
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const { job, runs } = recordingJob("oncall-sync", "* * * * *", async () => {
      await gate;
      return undefined;
    });
    const s = new Scheduler({ store, jobs: [job], logger: logSink().logger, now: () => clock, timer: new FakeTimer() });
    schedulers.push(s);
    s.start();
    clock = T("10:01:00");
    const first = s.tick();
    await new Promise((r) => setTimeout(r, 50));
    expect((await s.status())[0]!.running).toBe(true);
    clock = T("10:02:00");
    expect(await s.tick()).toEqual([{ job: "oncall-sync", scheduledFor: T("10:02:00"), outcome: "overlap" }]);
    finish();
    expect((await first).map((r) => r.outcome)).toEqual(["succeeded"]);
    expect(runs).toEqual([T("10:01:00")]);
  });

  it("arms its timer for the next slot (at most a minute ahead) and runs when it fires", async () => {
    await setup();
    let clock = T("10:00:00");
    const timer = new FakeTimer();
    const { job, runs } = recordingJob("reconcile", "30 10 * * *");
    const s = new Scheduler({ store, jobs: [job], logger: logSink().logger, now: () => clock, timer });
    schedulers.push(s);
    s.start();
    expect(timer.pending?.ms).toBe(60_000);
    clock = T("10:29:40");
    timer.fire();
    expect(timer.pending?.ms).toBe(20_000);
    clock = T("10:30:00");
    timer.fire();
    await s.stop(); // waits for the run
    expect(runs).toEqual([T("10:30:00")]);
    expect(timer.pending).toBeUndefined();
  });

  it("runs each slot once with two schedulers on one database (replicas)", async () => {
    await setup();
    let clock = T("10:00:00");
    const runs: { replica: string; slot: number }[] = [];
    const make = (replica: string): Scheduler => {
      const job: Job = {
        name: "reconcile",
        schedule: parseCron("* * * * *"),
        async run(ctx) {
          runs.push({ replica, slot: ctx.scheduledFor });
          // long enough that the other replica's attempt overlaps it
          await new Promise((r) => setTimeout(r, 30));
          return undefined;
        },
      };
      const s = new Scheduler({ store, jobs: [job], logger: logSink().logger, now: () => clock, timer: new FakeTimer(), runner: replica });
      schedulers.push(s);
      s.start();
      return s;
    };
    const a = make("a");
    const b = make("b");
    const outcomes: string[] = [];
    for (let minute = 1; minute <= 6; minute++) {
      clock = T(`10:0${minute}:00`);
      // Alternate who ticks first; the second ticks a little later, after the first run ended.
      const [first, second] = minute % 2 ? [a, b] : [b, a];
      const r = await Promise.all([first.tick(), second.tick()]);
      const late = await second.tick(); // nothing new is due for it
      expect(late).toEqual([]);
      outcomes.push(...r.flat().map((x) => x.outcome).sort());
    }
    expect(runs.map((r) => r.slot)).toEqual([1, 2, 3, 4, 5, 6].map((m) => T(`10:0${m}:00`)));
    expect(outcomes.filter((o) => o === "succeeded")).toHaveLength(6);
    expect(outcomes.filter((o) => o === "locked" || o === "claimed")).toHaveLength(6);
    // A replica that comes after the run ended finds the slot claimed.
    clock = T("10:07:00");
    expect((await a.tick()).map((r) => r.outcome)).toEqual(["succeeded"]);
    expect((await b.tick()).map((r) => r.outcome)).toEqual(["claimed"]);
  });
});
