/**
 * Runs jobs on their cron schedules inside `dm serve`.
 *
 * - Time comes from the injected clock and timer, so tests step through
 *   days of ticks without waiting.
 * - A run is for one cron slot. When a tick comes late (the process was
 *   asleep), a job runs once, for the latest slot that passed, not once per
 *   missed slot.
 * - Before running, a job takes the store's lock for its name (PostgreSQL:
 *   an advisory lock, so replicas on one database exclude each other;
 *   SQLite: in-process) and then claims its slot in job_runs (unique per job
 *   and slot). A replica that finds the lock held skips; one that finds the
 *   slot claimed (another replica already ran it) skips too. So each slot
 *   runs at most once, and never two runs of a job at the same time.
 * - A job still running when its next slot comes is not started again.
 * - A failing job is logged and recorded as failed; its next slot tries
 *   again. Nothing a job throws reaches the server.
 */
import os from "node:os";
import type { Logger } from "../../shared/logger.js";
import type { GraphStore, JobRun } from "../../store/types.js";
import type { CronSchedule } from "./cron.js";

export interface JobContext {
  store: GraphStore;
  /** when the run started (injected clock) */
  now: number;
  /** the cron slot it runs for */
  scheduledFor: number;
  logger: Logger;
}

export interface Job {
  name: string;
  schedule: CronSchedule;
  /** Do the work; what it returns is kept with the run (job_runs.details). */
  run(ctx: JobContext): Promise<Record<string, unknown> | undefined>;
}

export interface Timer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimer: Timer = {
  set(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** What became of a due slot in this process. */
export type RunOutcome =
  | "succeeded"
  | "failed"
  /** another process holds the job's lock (it is running it) */
  | "locked"
  /** another process already ran this slot */
  | "claimed"
  /** this process is still running the previous slot */
  | "overlap";

export const RUN_OUTCOMES: readonly RunOutcome[] = ["succeeded", "failed", "locked", "claimed", "overlap"];

export interface SchedulerOptions {
  store: GraphStore;
  jobs: readonly Job[];
  logger: Logger;
  now: () => number;
  timer?: Timer;
  /** where a job's store writes run: the server's SQLite write lock (default: directly) */
  write?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** names this process in job_runs (default host:pid) */
  runner?: string;
  /** job_runs older than this are forgotten (default 30 days) */
  keepRunsMs?: number;
  /** the timer never sleeps longer than this, so a clock change is noticed (default 60 s) */
  maxSleepMs?: number;
}

export interface JobStatus {
  name: string;
  cron: string;
  /** the next slot this process will run (epoch ms) */
  nextRun: number | null;
  /** running in this process now */
  running: boolean;
  /** the latest recorded run, by any replica */
  lastRun: JobRun | null;
}

interface JobState {
  job: Job;
  next: number | null;
  running: Promise<RunOutcome> | undefined;
}

/** seconds */
export const JOB_DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

/** Counts and durations of the runs this process made, for /metrics. */
export class JobMetrics {
  readonly outcomes = new Map<string, Map<RunOutcome, number>>();
  /** by job and status */
  readonly durations = new Map<string, { job: string; status: "succeeded" | "failed"; buckets: number[]; sum: number; count: number }>();

  count(job: string, outcome: RunOutcome): void {
    const byOutcome = this.outcomes.get(job) ?? new Map<RunOutcome, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    this.outcomes.set(job, byOutcome);
  }

  observe(job: string, status: "succeeded" | "failed", seconds: number): void {
    const key = `${job}\u0000${status}`;
    const h = this.durations.get(key) ?? { job, status, buckets: JOB_DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
    JOB_DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
    this.durations.set(key, h);
  }
}

const DAY_MS = 86_400_000;

export class Scheduler {
  readonly metrics = new JobMetrics();
  private readonly states: JobState[];
  private readonly timer: Timer;
  private readonly write: <T>(fn: () => Promise<T>) => Promise<T>;
  private readonly runner: string;
  private handle: unknown;
  private started = false;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    const names = new Set<string>();
    for (const job of options.jobs) {
      if (names.has(job.name)) throw new Error(`two jobs are named ${job.name}`);
      names.add(job.name);
    }
    this.states = options.jobs.map((job) => ({ job, next: null, running: undefined }));
    this.timer = options.timer ?? realTimer;
    this.write = options.write ?? ((fn) => fn());
    this.runner = options.runner ?? `${os.hostname()}:${process.pid}`;
  }

  get jobs(): readonly Job[] {
    return this.options.jobs;
  }

  /** Plan every job's next slot from now and start the timer. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const at = this.options.now();
    for (const s of this.states) s.next = s.job.schedule.next(at);
    this.arm();
  }

  /** Stop the timer and wait for runs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handle !== undefined) this.timer.clear(this.handle);
    this.handle = undefined;
    await Promise.all(this.states.map((s) => s.running?.catch(() => undefined)));
  }

  /**
   * Start every job whose slot has come (by the injected clock) and re-arm
   * the timer. Resolves, when those runs end, with what became of each.
   */
  tick(): Promise<{ job: string; scheduledFor: number; outcome: RunOutcome }[]> {
    const at = this.options.now();
    const runs: Promise<{ job: string; scheduledFor: number; outcome: RunOutcome }>[] = [];
    for (const s of this.states) {
      s.next ??= s.job.schedule.next(at);
      if (at < s.next) continue;
      let slot = s.next;
      for (let n = s.job.schedule.next(slot); n <= at; n = s.job.schedule.next(slot)) slot = n;
      s.next = s.job.schedule.next(at);
      const name = s.job.name;
      if (s.running) {
        this.metrics.count(name, "overlap");
        this.options.logger.warn({ job: name, scheduledFor: slot }, "job still running from its previous slot: this slot is skipped");
        runs.push(Promise.resolve({ job: name, scheduledFor: slot, outcome: "overlap" as const }));
        continue;
      }
      const running = this.runJob(s.job, slot);
      s.running = running;
      running.finally(() => {
        if (s.running === running) s.running = undefined;
      });
      runs.push(running.then((outcome) => ({ job: name, scheduledFor: slot, outcome })));
    }
    if (this.started) this.arm();
    return Promise.all(runs);
  }

  /** Every job with its next slot and its latest recorded run. */
  async status(): Promise<JobStatus[]> {
    const latest = new Map((await this.options.store.latestJobRuns()).map((r) => [r.job, r]));
    return this.states.map((s) => ({
      name: s.job.name,
      cron: s.job.schedule.source,
      nextRun: s.next,
      running: s.running !== undefined,
      lastRun: latest.get(s.job.name) ?? null,
    }));
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.handle !== undefined) this.timer.clear(this.handle);
    const at = this.options.now();
    const soonest = Math.min(...this.states.map((s) => s.next ?? Number.POSITIVE_INFINITY));
    const max = this.options.maxSleepMs ?? 60_000;
    const delay = Math.max(0, Math.min(max, soonest - at));
    this.handle = this.timer.set(() => {
      this.handle = undefined;
      void this.tick();
    }, delay);
  }

  private async runJob(job: Job, slot: number): Promise<RunOutcome> {
    const { store, logger, now } = this.options;
    let release: (() => Promise<void>) | undefined;
    try {
      release = await store.tryLock(`job:${job.name}`);
    } catch (error) {
      logger.error({ job: job.name, err: error }, "job not run: its lock could not be taken");
      this.metrics.count(job.name, "failed");
      return "failed";
    }
    if (!release) {
      logger.info({ job: job.name, scheduledFor: slot }, "job running elsewhere (its lock is held): skipped here");
      this.metrics.count(job.name, "locked");
      return "locked";
    }
    try {
      const startedOn = now();
      const id = await this.write(() => store.startJobRun({ job: job.name, scheduledFor: slot, startedOn, runner: this.runner }));
      if (id === undefined) {
        this.metrics.count(job.name, "claimed");
        return "claimed";
      }
      logger.info({ job: job.name, scheduledFor: slot }, "job started");
      const t0 = performance.now();
      let outcome: "succeeded" | "failed" = "succeeded";
      let details: Record<string, unknown> | undefined;
      let message: string | undefined;
      try {
        details = (await this.write(() => job.run({ store, now: startedOn, scheduledFor: slot, logger }))) ?? undefined;
      } catch (error) {
        outcome = "failed";
        message = error instanceof Error ? error.message : String(error);
        logger.error({ job: job.name, scheduledFor: slot, err: error }, "job failed; its next slot tries again");
      }
      const seconds = (performance.now() - t0) / 1000;
      this.metrics.count(job.name, outcome);
      this.metrics.observe(job.name, outcome, seconds);
      const finished = now();
      await this.write(() =>
        store.finishJobRun(id, {
          status: outcome,
          now: finished,
          ...(message === undefined ? {} : { error: message }),
          ...(details === undefined ? {} : { details }),
        }),
      );
      if (outcome === "succeeded") logger.info({ job: job.name, ms: Math.round(seconds * 1000) }, "job succeeded");
      await this.write(() => store.pruneJobRuns(finished - (this.options.keepRunsMs ?? 30 * DAY_MS)));
      return outcome;
    } catch (error) {
      // The store failed around the run (claiming or recording it).
      logger.error({ job: job.name, err: error }, "job run could not be recorded");
      this.metrics.count(job.name, "failed");
      return "failed";
    } finally {
      await release().catch((error: unknown) => logger.warn({ job: job.name, err: error }, "could not release a job's lock"));
    }
  }
}
