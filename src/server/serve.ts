/** Listen, and stop cleanly: no new connections, requests in flight finish, then the store closes. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Job, Scheduler, type Timer } from "../core/schedule/scheduler.js";
import { type App, type AppOptions, createApp } from "./app.js";

export interface RunningServer {
  app: App;
  server: http.Server;
  /** http://host:port */
  url: string;
  port: number;
  /** runs the configured jobs; undefined when none are configured */
  scheduler: Scheduler | undefined;
  /** Stop taking requests, let those in flight finish (at most `graceMs`), close the store. */
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
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        // Jobs in progress get the same grace; past it the store closes under them (the run fails, its lock goes with the connection).
        const jobsDone = scheduler?.stop();
        await closed;
        clearTimeout(timer);
        if (jobsDone) {
          let wait: NodeJS.Timeout | undefined;
          await Promise.race([jobsDone, new Promise<void>((resolve) => (wait = setTimeout(resolve, graceMs)))]);
          clearTimeout(wait);
        }
        await options.store.close();
      })();
      return stopping;
    },
  };
}
