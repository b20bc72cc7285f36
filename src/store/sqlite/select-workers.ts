/**
 * Time-limited selects for SQLite. better-sqlite3 is synchronous and does not
 * expose sqlite3_interrupt or a progress handler, so a statement on the main
 * thread cannot be stopped and would block every other request. Instead a
 * select with a time limit runs on a worker thread with its own read-only
 * connection (WAL lets it read while the main connection writes). When the
 * limit passes the caller gets a QueryTimeoutError at once and the worker is
 * terminated; the statement itself keeps its thread busy until SQLite
 * returns (termination takes effect then), so at most `max` such threads run
 * at once and further selects are refused until one ends.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { ExternalServiceError, QueryTimeoutError } from "../../shared/errors.js";
import type { Row } from "../types.js";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
const statements = new Map();
parentPort.on("message", ({ sql, params }) => {
  try {
    let stmt = statements.get(sql);
    if (!stmt) {
      if (statements.size >= 200) statements.clear();
      stmt = db.prepare(sql);
      statements.set(sql, stmt);
    }
    parentPort.postMessage({ rows: params === null ? stmt.all() : stmt.all(params) });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
`;

export class SelectWorkers {
  private readonly idle: Worker[] = [];
  /** workers with a statement in flight, including abandoned ones still finishing */
  private readonly running = new Set<Worker>();
  private readonly driver = createRequire(import.meta.url).resolve("better-sqlite3");
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly max = 4,
  ) {}

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: this.driver, file: this.file } });
    worker.unref();
    return worker;
  }

  run(sql: string, params: Record<string, unknown> | null, timeoutMs: number): Promise<Row[]> {
    if (this.running.size >= this.max) {
      return Promise.reject(
        new ExternalServiceError("sqlite", `${this.running.size} slow queries are still running; try again shortly`),
      );
    }
    const worker = this.idle.pop() ?? this.spawn();
    this.running.add(worker);
    return new Promise<Row[]>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      const onMessage = (m: { rows?: Row[]; error?: string }) => {
        settle();
        this.running.delete(worker);
        if (this.closed) void worker.terminate();
        else this.idle.push(worker);
        if (m.error !== undefined) reject(new Error(m.error));
        else resolve(m.rows ?? []);
      };
      const onError = (error: Error) => {
        settle();
        this.running.delete(worker);
        void worker.terminate();
        reject(new ExternalServiceError("sqlite", `the query worker failed: ${error.message}`, { cause: error }));
      };
      const timer = setTimeout(() => {
        settle();
        // Leaves `running` when the thread has really stopped.
        worker.once("exit", () => this.running.delete(worker));
        void worker.terminate();
        reject(new QueryTimeoutError(timeoutMs));
      }, timeoutMs);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage({ sql, params });
    });
  }

  /** Threads busy with a statement (abandoned ones included). */
  get busy(): number {
    return this.running.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
    // Not awaited: a thread inside a long statement stops only when SQLite returns.
    for (const w of this.running) void w.terminate();
  }
}
