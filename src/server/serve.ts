/** Listen, and stop cleanly: no new connections, requests in flight finish, then the store closes. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Job, Scheduler, type Timer } from "../core/schedule/scheduler.js";
import { type App, type AppOptions, createApp } from "./app.js";

/** How long requests in flight and running jobs get to finish once the server stops. */
export const STOP_GRACE_MS = 8_000;
/** How long closing the store may take after that (PostgreSQL's pool waits for its clients; we do not). */
const STORE_CLOSE_MS = 1_000;

export interface RunningServer {
  app: App;
  server: http.Server;
  /** http://host:port */
  url: string;
  port: number;
  /** runs the configured jobs; undefined when none are configured */
  scheduler: Scheduler | undefined;
  /**
   * Stop taking requests, let those in flight and running jobs finish (at most `graceMs`, default 8 s), then
   * cut what is left and close the store (at most 1 s more): resolves within graceMs + 1 s whatever is running.
   */
  stop(graceMs?: number): Promise<void>;
}

export interface ServerOptions extends AppOptions {
  host: string;
  port: number;
  /** scheduled jobs (dm.config.yaml schedule:), started once listening */
  jobs?: readonly Job[];
  /** the scheduler's timer (tests step it by hand) */
  timer?: Timer;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let scheduler: Scheduler | undefined;
  const app = createApp({ ...options, scheduler: () => scheduler });
  if (options.jobs && options.jobs.length > 0) {
    scheduler = new Scheduler({
      store: options.store,
      jobs: options.jobs,
      logger: options.logger,
      now: options.now ?? (() => Date.now()),
      write: app.write,
      ...(options.timer ? { timer: options.timer } : {}),
    });
  }
  const server = http.createServer(app.handler);
  // A slow client cannot hold a connection open forever.
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  scheduler?.start();
  let stopping: Promise<void> | undefined;
  return {
    app,
    server,
    scheduler,
    url: `http://${host}:${address.port}`,
    port: address.port,
    stop(graceMs = STOP_GRACE_MS) {
      stopping ??= (async () => {
        const deadline = Date.now() + graceMs;
        const until = (work: Promise<unknown>, ms: number) => {
          let timer: NodeJS.Timeout | undefined;
          return Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]).finally(() =>
            clearTimeout(timer),
          );
        };
        app.beginStop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Requests in flight and jobs in progress share one grace; past it their connections are cut and the
        // store closes under them (a running SQLite query's process is killed, a job's run fails, its lock goes).
        const jobsDone = scheduler?.stop() ?? Promise.resolve();
        await until(Promise.all([closed, jobsDone]), deadline - Date.now());
        server.closeAllConnections();
        await until(
          options.store.close().catch((error: unknown) => options.logger.warn({ err: String(error) }, "closing the store failed")),
          STORE_CLOSE_MS,
        );
      })();
      return stopping;
    },
  };
}
