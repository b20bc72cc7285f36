/**
 * Time-limited selects for SQLite, in child processes. better-sqlite3 is
 * synchronous and exposes neither sqlite3_interrupt nor a progress handler,
 * and a worker thread cannot be stopped inside a native call: a statement
 * that runs too long could only be abandoned, keeping a CPU busy until it
 * ended. So a select with a time limit runs in one of a small pool of child
 * processes (`node -e`, each with its own read-only connection: WAL lets it
 * read while the server's connection writes). When the limit passes the
 * caller gets a QueryTimeoutError and the child is SIGKILLed: the kernel
 * frees its CPU at once. A new child takes its place.
 *
 * At most `size` selects run at once; further ones wait their turn here, in
 * order (the server bounds how many may wait: src/server/query-queue.ts).
 * A select's time limit starts when a child takes it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { ExternalServiceError, QueryTimeoutError } from "../../shared/errors.js";
import type { Row } from "../types.js";

/** The child: one read-only connection, one statement at a time, answers over IPC. */
const CHILD_SOURCE = `
const Database = require(process.env.DM_SELECT_DRIVER);
const db = new Database(process.env.DM_SELECT_DB, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
const statements = new Map();
process.on("disconnect", () => process.exit(0));
process.send({ ready: true });
process.on("message", ({ id, sql, params }) => {
  try {
    let stmt = statements.get(sql);
    if (!stmt) {
      if (statements.size >= 200) statements.clear();
      stmt = db.prepare(sql);
      statements.set(sql, stmt);
    }
    process.send({ id, rows: params === null ? stmt.all() : stmt.all(params) });
  } catch (error) {
    process.send({ id, error: String((error && error.message) || error), code: error && error.code });
  }
});
`;

interface Job {
  sql: string;
  params: Record<string, unknown> | null;
  timeoutMs: number;
  resolve(rows: Row[]): void;
  reject(error: unknown): void;
}

interface Child {
  process: ChildProcess;
  job: Job | undefined;
  /** started and its connection open: a select's time limit starts when it is sent to a ready child */
  ready: boolean;
  onReady: (() => void) | undefined;
}

interface Answer {
  id: number;
  rows?: Row[];
  error?: string;
  code?: string;
}

export const DEFAULT_SELECT_PROCESSES = 4;
/** A child not ready by then is killed (its select fails with 503). */
const START_LIMIT_MS = 15_000;

/** Keep the event loop alive while the child runs a select (else a caller awaiting it could see the process exit). */
function hold(child: Child, busy: boolean): void {
  const channel = child.process.channel as { ref?: () => void; unref?: () => void } | undefined | null;
  if (busy) {
    child.process.ref();
    channel?.ref?.();
  } else {
    child.process.unref();
    channel?.unref?.();
  }
}

export class SelectWorkers {
  private readonly idle: Child[] = [];
  private readonly busySet = new Set<Child>();
  private readonly waiting: Job[] = [];
  private readonly driver = createRequire(import.meta.url).resolve("better-sqlite3");
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly file: string,
    readonly size = DEFAULT_SELECT_PROCESSES,
  ) {}

  private spawn(): Child {
    const proc = spawn(process.execPath, ["-e", CHILD_SOURCE], {
      // Only what it needs: no secrets from the server's environment.
      env: { DM_SELECT_DRIVER: this.driver, DM_SELECT_DB: this.file },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "advanced",
    });
    const child: Child = { process: proc, job: undefined, ready: false, onReady: undefined };
    // An idle child does not keep the server's event loop alive (it exits itself when the IPC channel closes).
    hold(child, false);
    const startLimit = setTimeout(() => proc.kill("SIGKILL"), START_LIMIT_MS);
    startLimit.unref();
    proc.on("message", (m: { ready?: boolean }) => {
      if (m.ready !== true) return;
      clearTimeout(startLimit);
      child.ready = true;
      const go = child.onReady;
      child.onReady = undefined;
      go?.();
    });
    proc.on("error", () => this.lost(child, "could not be started"));
    proc.on("exit", (code, signal) => this.lost(child, `exited (${signal ?? code})`));
    return child;
  }

  /** A child that ended on its own (or failed to start): its select fails, it is not reused. */
  private lost(child: Child, how: string): void {
    const at = this.idle.indexOf(child);
    if (at >= 0) this.idle.splice(at, 1);
    if (!this.busySet.delete(child)) return;
    const job = child.job;
    child.job = undefined;
    child.process.removeAllListeners("message");
    job?.reject(new ExternalServiceError("sqlite", `the query process ${how}`));
    this.dispatch();
  }

  run(sql: string, params: Record<string, unknown> | null, timeoutMs: number): Promise<Row[]> {
    if (this.closed) return Promise.reject(new ExternalServiceError("sqlite", "the server is stopping"));
    return new Promise<Row[]>((resolve, reject) => {
      this.waiting.push({ sql, params, timeoutMs, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && this.busySet.size < this.size && !this.closed) {
      const job = this.waiting.shift()!;
      const child = this.idle.pop() ?? this.spawn();
      this.start(child, job);
    }
  }

  private start(child: Child, job: Job): void {
    const id = this.nextId++;
    child.job = job;
    this.busySet.add(child);
    hold(child, true);
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      hold(child, false);
      clearTimeout(timer);
      child.onReady = undefined;
      child.process.off("message", onMessage);
      child.job = undefined;
      this.busySet.delete(child);
    };
    const onMessage = (m: Answer) => {
      if (m.id !== id) return;
      done();
      if (this.closed) child.process.kill("SIGKILL");
      else this.idle.push(child);
      // The SQLite error code travels with the message: the driver maps it as it maps its own.
      if (m.error !== undefined) job.reject(Object.assign(new Error(m.error), m.code ? { code: m.code } : {}));
      else job.resolve(m.rows ?? []);
      this.dispatch();
    };
    const expire = () => {
      done();
      // SIGKILL: the statement stops now, whatever SQLite is doing; the kernel frees the CPU.
      child.process.kill("SIGKILL");
      job.reject(new QueryTimeoutError(job.timeoutMs));
      // Its replacement starts now (a node process takes a few hundred ms to start on a busy machine), not when the next select comes.
      if (!this.closed) this.idle.push(this.spawn());
      this.dispatch();
    };
    child.process.on("message", onMessage);
    // The time limit counts the statement, not the child's start.
    const send = () => {
      timer = setTimeout(expire, job.timeoutMs);
      try {
        child.process.send({ id, sql: job.sql, params: job.params });
      } catch (error) {
        done();
        child.process.kill("SIGKILL");
        job.reject(new ExternalServiceError("sqlite", `the query process failed: ${(error as Error).message}`, { cause: error }));
      }
    };
    if (child.ready) send();
    else child.onReady = send;
  }

  /** Selects running now. */
  get busy(): number {
    return this.busySet.size;
  }

  /** Selects waiting for a free process. */
  get queued(): number {
    return this.waiting.length;
  }

  /** The child processes' ids (idle and busy), for tests and benchmarks. */
  get pids(): number[] {
    return [...this.idle, ...this.busySet].map((c) => c.process.pid).filter((p): p is number => p !== undefined);
  }

  /** Kill every child at once (a running select fails) and refuse further selects. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping = new ExternalServiceError("sqlite", "the server is stopping");
    for (const job of this.waiting.splice(0)) job.reject(stopping);
    const children = [...this.idle.splice(0), ...this.busySet];
    this.busySet.clear();
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.job?.reject(stopping);
            c.job = undefined;
            c.process.removeAllListeners("message");
            if (c.process.exitCode !== null || c.process.signalCode !== null) return resolve();
            c.process.once("exit", () => resolve());
            // Held until it has exited (an idle child is unref'd: its exit would not keep the loop alive).
            c.process.ref();
            c.process.kill("SIGKILL");
          }),
      ),
    );
  }
}
