/**
 * The queries the server runs at once, and the queue in front of them. A
 * query takes one of `concurrency` slots (SQLite: its select processes;
 * PostgreSQL: fewer than the pool's connections, so other routes still get
 * one). When all are taken it waits, in order, at most `waitMs`; at most
 * `maxQueued` wait. Past either bound the request is refused with 503 and
 * Retry-After: a burst the machine can serve is served, an overload is shed.
 */
import { ServerBusyError } from "./errors.js";

interface Waiter {
  resolve(): void;
  timer: NodeJS.Timeout;
}

export class QueryQueue {
  private running = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
    readonly waitMs: number,
  ) {}

  /** Run `fn` in a slot, waiting for one if need be (or refused: ServerBusyError). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiters.length >= this.maxQueued) {
      return Promise.reject(
        new ServerBusyError(`the server is busy: ${this.running} queries are running and ${this.waiters.length} waiting; try again shortly`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(new ServerBusyError(`the server is busy: the query waited ${this.waitMs} ms for one of ${this.concurrency} query slots; try again shortly`));
        }, this.waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) {
      // The slot passes straight to the next in line.
      clearTimeout(next.timer);
      next.resolve();
    } else {
      this.running--;
    }
  }

  /** Queries running now. */
  get active(): number {
    return this.running;
  }

  /** Queries waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }
}
