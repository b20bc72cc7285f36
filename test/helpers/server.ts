/**
 * A real `dm serve` application on 127.0.0.1 and a free port, over a fresh
 * store of either backend. SQLite uses a file (not :memory:) so that query
 * time limits run as in production, on the worker thread.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createToken } from "../../src/core/tokens/tokens.js";
import type { ServerLimits } from "../../src/server/route.js";
import { type RunningServer, startServer } from "../../src/server/serve.js";
import { createLogger } from "../../src/shared/logger.js";
import type { GraphBatch, GraphStore, TokenRole } from "../../src/store/types.js";
import { type Backend, createTestDatabase, dropTestDatabase } from "./pg.js";

export interface TestServer {
  server: RunningServer;
  store: GraphStore;
  url: string;
  /** one token per role, named after it */
  tokens: Record<TokenRole, string>;
  /** the server's log lines */
  log: string[];
  call(method: string, route: string, options?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{
    status: number;
    headers: Headers;
    text: string;
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the route returns
    json: any;
  }>;
  close(): Promise<void>;
}

export async function startTestServer(
  backend: Backend,
  options: { limits?: Partial<ServerLimits>; now?: () => number; wrap?: (store: GraphStore) => GraphStore; cwd?: string } = {},
): Promise<TestServer> {
  let store: GraphStore;
  let cleanup: () => Promise<void>;
  if (backend === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-server-"));
    const { SqliteStore } = await import("../../src/store/sqlite/sqlite-store.js");
    store = SqliteStore.open(path.join(dir, "dm.db"));
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    const { PostgresStore } = await import("../../src/store/postgres/postgres-store.js");
    const url = await createTestDatabase();
    store = await PostgresStore.open(url);
    cleanup = () => dropTestDatabase(url);
  }
  const now = options.now ?? (() => Date.now());
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ["reader", "maintainer", "admin"] as const) {
    tokens[role] = (await createToken(store, { name: role, role }, { now: now(), actor: "setup" })).token;
  }
  const log: string[] = [];
  const served = options.wrap ? options.wrap(store) : store;
  const server = await startServer({
    store: served,
    logger: createLogger("info", { write: (line: string) => log.push(line) }),
    now,
    cwd: options.cwd ?? process.cwd(),
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "dm-server-home-")),
    version: "test",
    host: "127.0.0.1",
    port: 0,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    server,
    store,
    url: server.url,
    tokens,
    log,
    async call(method, route, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const token = o.token === undefined ? tokens.admin : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (o.raw !== undefined) body = o.raw;
      else if (o.body !== undefined && method !== "GET" && method !== "DELETE") body = JSON.stringify(o.body);
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(server.url + route, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async close() {
      await server.stop(1000);
      await cleanup();
    },
  };
}

/**
 * `n` hosts, each USES `k` others (h_i -> h_(i + 7j) mod n): a graph where a
 * chain of USES steps fans out fast, so a query over it is slow enough to
 * time out or to keep a query slot busy.
 */
export function hostMesh(n: number, k: number): GraphBatch {
  const entities = Array.from({ length: n }, (_, i) => ({ _key: `h${i}`, _type: "host", _class: "Host", name: `h${i}` }));
  const relationships = [];
  for (let i = 0; i < n; i++) {
    for (let j = 1; j <= k; j++) {
      relationships.push({ _key: `e${i}-${j}`, _type: "host_uses_host", _class: "USES", _fromEntityKey: `h${i}`, _toEntityKey: `h${(i + j * 7) % n}` });
    }
  }
  return { entities, relationships };
}
