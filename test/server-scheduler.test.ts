/**
 * The scheduler inside `dm serve`: jobs listed on GET /api/v1/jobs (admin),
 * their durations and statuses in /metrics, a failing job that never stops
 * the server, and two servers (replicas) on ONE PostgreSQL database running
 * each slot of a job once between them (advisory lock + claimed slot).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseCron } from "../src/core/schedule/cron.js";
import type { Job, Timer } from "../src/core/schedule/scheduler.js";
import { createToken } from "../src/core/tokens/tokens.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { createLogger } from "../src/shared/logger.js";
import { openStore } from "../src/store/open-store.js";
import type { GraphStore } from "../src/store/types.js";
import { BACKENDS, createTestDatabase, dropTestDatabase } from "./helpers/pg.js";

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
const MINUTE = 60_000;

/** Never fires by itself: the tests call tick() with the clock where they want it. */
const idleTimer: Timer = { set: () => 0, clear: () => undefined };

interface Replica {
  server: RunningServer;
  store: GraphStore;
  log: string[];
  tokens: { reader: string; maintainer: string; admin: string };
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the route returns
  get(route: string, token?: string | null): Promise<{ status: number; text: string; json: any }>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function target(backend: "sqlite" | "postgres"): Promise<string> {
  if (backend === "postgres") {
    const url = await createTestDatabase();
    cleanups.push(() => dropTestDatabase(url));
    return url;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-sched-"));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, "dm.db");
}

async function replica(where: string, jobs: Job[], now: () => number, name: string): Promise<Replica> {
  const store = await openStore(where);
  const tokens = {} as Replica["tokens"];
  for (const role of ["reader", "maintainer", "admin"] as const) {
    const tokenName = `${role}-${name}`;
    tokens[role] = (await createToken(store, { name: tokenName, role }, { now: now(), actor: "setup" })).token;
  }
  const log: string[] = [];
  const server = await startServer({
    store,
    logger: createLogger("info", { write: (line: string) => log.push(line) }),
    now,
    cwd: process.cwd(),
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "dm-sched-home-")),
    version: "test",
    host: "127.0.0.1",
    port: 0,
    jobs,
    timer: idleTimer,
  });
  cleanups.push(() => server.stop(1000));
  return {
    server,
    store,
    log,
    tokens,
    async get(route, token = tokens.admin) {
      const res = await fetch(server.url + route, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json };
    },
  };
}

/** A job that writes an audit entry for each run, so the database holds what ran where. */
function auditingJob(name: string, cron: string, runner: string, hold = 0): Job {
  return {
    name,
    schedule: parseCron(cron),
    async run({ store, now, scheduledFor }) {
      await store.audit({ at: now, actor: runner, action: "test.job", subject: name, details: { scheduledFor } });
      if (hold) await new Promise((r) => setTimeout(r, hold));
      return { ranOn: runner };
    },
  };
}

function metric(text: string, sample: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe.each(BACKENDS)("dm serve scheduler: %s", (backend) => {
  it("lists jobs on /api/v1/jobs (admin only), keeps serving when a job fails, and reports jobs in /metrics", async () => {
    let clock = T0 + 30_000;
    let failNext = true;
    const flaky: Job = {
      name: "sync:flaky",
      schedule: parseCron("*/5 * * * *"),
      async run() {
        if (failNext) throw new Error("the inventory file is unreadable");
        return { created: 2 };
      },
    };
    const r = await replica(await target(backend), [auditingJob("reconcile", "* * * * *", "one"), flaky], () => clock, "one");

    const before = await r.get("/api/v1/jobs");
    expect(before.status).toBe(200);
    expect(before.json).toEqual({
      scheduler: "running",
      lock: backend === "postgres" ? "postgres-advisory" : "in-process",
      timezone: "UTC",
      jobs: [
        { name: "reconcile", cron: "* * * * *", nextRun: T0 + MINUTE, running: false, lastRun: null },
        { name: "sync:flaky", cron: "*/5 * * * *", nextRun: T0 + 5 * MINUTE, running: false, lastRun: null },
      ],
    });
    expect((await r.get("/api/v1/jobs", null)).status).toBe(401);
    expect((await r.get("/api/v1/jobs", "dm_not-a-real-token")).status).toBe(401);
    expect((await r.get("/api/v1/jobs", r.tokens.reader)).status).toBe(403);
    expect((await r.get("/api/v1/jobs", r.tokens.maintainer)).json.error.code).toBe("forbidden");

    clock = T0 + 5 * MINUTE;
    expect((await r.server.scheduler!.tick()).map((x) => [x.job, x.outcome])).toEqual([
      ["reconcile", "succeeded"],
      ["sync:flaky", "failed"],
    ]);
    expect((await r.get("/healthz", null)).status).toBe(200);
    expect(r.log.join("\n")).toContain("the inventory file is unreadable");
    const after = (await r.get("/api/v1/jobs")).json.jobs as { name: string; nextRun: number; lastRun: Record<string, unknown> }[];
    expect(after.map((j) => [j.name, j.nextRun, j.lastRun.status, j.lastRun.error, j.lastRun.scheduledFor])).toEqual([
      ["reconcile", T0 + 6 * MINUTE, "succeeded", null, T0 + 5 * MINUTE],
      ["sync:flaky", T0 + 10 * MINUTE, "failed", "the inventory file is unreadable", T0 + 5 * MINUTE],
    ]);

    // retried at the next slot
    failNext = false;
    clock = T0 + 10 * MINUTE;
    await r.server.scheduler!.tick();
    const metrics = await r.get("/metrics", r.tokens.reader);
    expect(metrics.status).toBe(200);
    expect(metric(metrics.text, 'dm_job_last_status{job="sync:flaky",status="succeeded"}')).toBe(1);
    expect(metric(metrics.text, 'dm_job_last_status{job="sync:flaky",status="failed"}')).toBe(0);
    expect(metric(metrics.text, 'dm_job_runs_total{job="sync:flaky",outcome="failed"}')).toBe(1);
    expect(metric(metrics.text, 'dm_job_runs_total{job="sync:flaky",outcome="succeeded"}')).toBe(1);
    expect(metric(metrics.text, 'dm_job_runs_total{job="reconcile",outcome="succeeded"}')).toBe(2);
    expect(metric(metrics.text, 'dm_job_duration_seconds_count{job="reconcile",status="succeeded"}')).toBe(2);
    expect(metric(metrics.text, 'dm_job_duration_seconds_bucket{job="sync:flaky",status="failed",le="+Inf"}')).toBe(1);
    expect(metric(metrics.text, 'dm_job_next_run_timestamp_seconds{job="reconcile"}')).toBe((T0 + 11 * MINUTE) / 1000);
    expect(metric(metrics.text, 'dm_job_last_run_timestamp_seconds{job="reconcile"}')).toBe((T0 + 10 * MINUTE) / 1000);
    expect(metric(metrics.text, 'dm_job_last_duration_seconds{job="reconcile"}')).toBe(0);
    expect(metrics.text).toContain("# TYPE dm_job_duration_seconds histogram");
  });

  it("answers /api/v1/jobs with the scheduler off when no jobs are configured", async () => {
    const r = await replica(await target(backend), [], () => T0, "none");
    expect(r.server.scheduler).toBeUndefined();
    expect((await r.get("/api/v1/jobs")).json).toMatchObject({ scheduler: "off", jobs: [] });
    expect((await r.get("/metrics", r.tokens.reader)).text).not.toContain("dm_job_");
  });
});

describe("dm serve scheduler: two servers on one PostgreSQL database", () => {
  it("runs each slot of a job once between them, and both list the same latest run", async () => {
    const url = await target("postgres");
    let clock = T0;
    const now = () => clock;
    // The job holds its lock a little while, so a replica's attempt often meets a running job.
    const a = await replica(url, [auditingJob("record", "* * * * *", "a", 40)], now, "a");
    const b = await replica(url, [auditingJob("record", "* * * * *", "b", 40)], now, "b");
    const outcomes: string[] = [];
    const TICKS = 10;
    for (let i = 1; i <= TICKS; i++) {
      clock = T0 + i * MINUTE + (i % 3) * 1000;
      const [x, y] = await Promise.all([a.server.scheduler!.tick(), b.server.scheduler!.tick()]);
      outcomes.push(...[...x, ...y].map((r) => r.outcome));
      // a late replica (its clock a few seconds behind, its tick after the run) does not run the slot again
      const late = await b.server.scheduler!.tick();
      expect(late).toEqual([]);
    }
    const audit = (await a.store.auditLog({ limit: 1000 })).filter((e) => e.action === "test.job");
    const slots = audit.map((e) => (e.details as { scheduledFor: number }).scheduledFor).sort((p, q) => p - q);
    expect(slots).toEqual(Array.from({ length: TICKS }, (_, i) => T0 + (i + 1) * MINUTE));
    expect(outcomes.filter((o) => o === "succeeded")).toHaveLength(TICKS);
    expect(outcomes.filter((o) => o === "locked" || o === "claimed")).toHaveLength(TICKS);
    // Both did some of the work (they race for the lock), and the record says who.
    const runners = new Set(audit.map((e) => e.actor));
    expect([...runners].every((r) => r === "a" || r === "b")).toBe(true);

    const [fromA, fromB] = await Promise.all([a.get("/api/v1/jobs"), b.get("/api/v1/jobs")]);
    expect(fromA.json.jobs[0].lastRun).toEqual(fromB.json.jobs[0].lastRun);
    expect(fromA.json.jobs[0].lastRun).toMatchObject({ job: "record", scheduledFor: T0 + TICKS * MINUTE, status: "succeeded" });

    // Each server counts what it did; together: one success per slot.
    const runs = async (r: Replica, outcome: string) =>
      metric((await r.get("/metrics", r.tokens.reader)).text, `dm_job_runs_total{job="record",outcome="${outcome}"}`) ?? 0;
    expect((await runs(a, "succeeded")) + (await runs(b, "succeeded"))).toBe(TICKS);
  });

  it("skips a slot while another server still runs the job (advisory lock held)", async () => {
    const url = await target("postgres");
    let clock = T0;
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const slow: Job = {
      name: "vulns-scan",
      schedule: parseCron("* * * * *"),
      async run() {
        await gate;
        return { done: true };
      },
    };
    const quick = auditingJob("vulns-scan", "* * * * *", "b");
    const a = await replica(url, [slow], () => clock, "a");
    const b = await replica(url, [quick], () => clock, "b");
    clock = T0 + MINUTE;
    const first = a.server.scheduler!.tick();
    // wait until a's run holds the lock
    for (let i = 0; i < 100 && !(await a.get("/api/v1/jobs")).json.jobs[0].running; i++) await new Promise((r) => setTimeout(r, 10));
    clock = T0 + 2 * MINUTE; // b's next slot comes while a still runs the previous one
    expect((await b.server.scheduler!.tick()).map((r) => r.outcome)).toEqual(["locked"]);
    finish();
    expect((await first).map((r) => r.outcome)).toEqual(["succeeded"]);
    expect((await a.store.auditLog()).filter((e) => e.action === "test.job")).toEqual([]);
  });
});
