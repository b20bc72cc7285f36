/** Listen, and stop cleanly: no new connections, requests in flight finish, then the store closes. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type App, type AppOptions, createApp } from "./app.js";

export interface RunningServer {
  app: App;
  server: http.Server;
  /** http://host:port */
  url: string;
  port: number;
  /** Stop taking requests, let those in flight finish (at most `graceMs`), close the store. */
  stop(graceMs?: number): Promise<void>;
}

export async function startServer(options: AppOptions & { host: string; port: number }): Promise<RunningServer> {
  const app = createApp(options);
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
  let stopping: Promise<void> | undefined;
  return {
    app,
    server,
    url: `http://${host}:${address.port}`,
    port: address.port,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        await options.store.close();
      })();
      return stopping;
    },
  };
}
