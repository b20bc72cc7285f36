/**
 * The HTTP application: a request handler over a GraphStore, without a
 * listening socket (serve.ts listens; tests listen on port 0). Every request
 * goes through the same steps: route, token and role, rate limit, body size
 * and shape, the handler (the same core functions the CLI calls), and errors
 * turned into statuses in one place (errors.ts).
 */
import type { SecretSources } from "../core/oncall/secrets.js";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { z } from "zod";
import { InputError } from "../shared/errors.js";
import { DEFAULT_SELECT_PROCESSES } from "../store/sqlite/select-workers.js";
import type { Logger } from "../shared/logger.js";
// ---- scheduler ----
import type { Scheduler } from "../core/schedule/scheduler.js";
import { jobsRoutes } from "./routes/jobs.js";
// ---- end scheduler ----
import type { GraphStore } from "../store/types.js";
import { Authenticator } from "./auth.js";
import { PayloadTooLargeError, RouteError, ServerBusyError, toHttpError } from "./errors.js";
import { HttpMetrics } from "./metrics.js";
import { openApiDocument } from "./openapi.js";
import { QueryQueue } from "./query-queue.js";
import { defineRoute, isReply, type Route, type RouteContext, type ServerLimits } from "./route.js";
import { adminRoutes } from "./routes/admin.js";
import type { VulnsConfig } from "../core/vulns/config.js";
import { cliRoutes } from "./routes/cli.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { graphRoutes } from "./routes/graph.js";
import { maintenanceRoutes } from "./routes/maintenance.js";
import { opsRoutes } from "./routes/ops.js";
import { queryRoutes } from "./routes/query.js";
import { rulesRoutes } from "./routes/rules.js";
import { alertsRoutes } from "./routes/alerts.js";
import { questionsRoutes } from "./routes/questions.js";
import { openApi } from "./schemas.js";
import { defaultWebDir, isApiPath, StaticFiles } from "./static.js";

export const DEFAULT_LIMITS: ServerLimits = {
  queryTimeoutMs: 30_000,
  maxBodyBytes: 10 * 1024 * 1024,
  rateLimitPerMinute: 600,
  queryQueue: 256,
  queryQueueWaitMs: 10_000,
};

/** Queries at once: SQLite's select processes; on PostgreSQL, 8 of the pool's 10 connections (other routes keep 2). */
export function queryConcurrency(kind: GraphStore["kind"]): number {
  return kind === "sqlite" ? DEFAULT_SELECT_PROCESSES : 8;
}

export interface AppOptions {
  store: GraphStore;
  logger: Logger;
  now?: () => number;
  /** the scheduler running the configured jobs, if any (serve.ts makes it after the app) */
  scheduler?: () => Scheduler | undefined;
  limits?: Partial<ServerLimits>;
  /** the server's working directory (sync settings, dm.config.yaml) */
  cwd: string;
  /** ~/.deferred-maintenance: where dm.config.yaml is looked for after cwd */
  dataDir: string;
  /** where integrations read credential references (env:, vault:); default: nothing set */
  secrets?: SecretSources;
  version: string;
  /** the advisory database and the vulns settings (SLA, ignore list) for POST /api/v1/vulns/scan; default: dataDir's */
  vulns?: { osvDb: string; config: VulnsConfig };
  /** the dashboard's built files (dist/web); default: found next to the server; null: no dashboard */
  webDir?: string | null;
}

export interface App {
  handler: RequestListener;
  routes: readonly Route[];
  limits: ServerLimits;
  /** requests being handled now */
  inFlight(): number;
  /** run a write: one at a time on SQLite (the scheduler's jobs go through it too) */
  write<T>(fn: () => Promise<T>): Promise<T>;
  /** the J1QL queries running and waiting */
  queries: QueryQueue;
  /** the server is stopping: every answer from now on closes its connection */
  beginStop(): void;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** One writer at a time on SQLite: its single connection must not interleave two transactions. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  const tooLarge = () =>
    new PayloadTooLargeError(`the request body is larger than ${limit} bytes`, {
      details: ["Send fewer records per request (the bulk upsert is all or nothing per request)."],
    });
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const at = issue.path.length > 0 ? `${where}.${issue.path.join(".")}` : where;
  throw new InputError(`${at}: ${issue.message}`);
}

export function createApp(options: AppOptions): App {
  const { store, logger } = options;
  const now = options.now ?? (() => Date.now());
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const http = new HttpMetrics();
  const writeLock = store.kind === "sqlite" ? new Mutex() : undefined;
  const write = <T>(fn: () => Promise<T>): Promise<T> => (writeLock ? writeLock.run(fn) : fn());
  const auth = new Authenticator(store, limits.rateLimitPerMinute, write, (error) =>
    logger.warn({ err: String(error) }, "could not record a token's last use"),
  );
  let inFlight = 0;
  let stopping = false;
  const queries = new QueryQueue(queryConcurrency(store.kind), limits.queryQueue, limits.queryQueueWaitMs);
  const scheduler = options.scheduler ?? (() => undefined);

  const routes: Route[] = [
    ...opsRoutes(http, scheduler),
    ...jobsRoutes(scheduler),
    ...queryRoutes({ dataDir: options.dataDir }),
    ...questionsRoutes,
    ...graphRoutes({ dataDir: options.dataDir }),
    ...maintenanceRoutes,
    ...adminRoutes,
    ...cliRoutes({ dataDir: options.dataDir, ...(options.vulns ? { vulns: options.vulns } : {}) }),
    ...dashboardRoutes,
    ...rulesRoutes({ dataDir: options.dataDir }),
    ...alertsRoutes({ dataDir: options.dataDir }),
  ];
  routes.push(
    defineRoute({
      method: "GET",
      path: "/api/openapi.json",
      role: "public",
      summary: "This document: every route, its role, parameters, request body and response",
      response: openApi,
      async handle() {
        // built on first request: the schemas cost ~15 ms, not worth paying at every start
        document ??= openApiDocument(routes, options.version);
        return document;
      },
    }),
  );
  let document: Record<string, unknown> | undefined;
  const compiled = routes.map(compile);
  const webDir = options.webDir === undefined ? defaultWebDir() : options.webDir;
  const web = webDir ? new StaticFiles(webDir) : undefined;

  function match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    const allow: string[] = [];
    for (const c of compiled) {
      const m = c.pattern.exec(pathname);
      if (!m) continue;
      if (c.route.method !== method) {
        allow.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          throw new InputError(`the path segment for ${name} is not valid percent-encoding`);
        }
      });
      return { route: c.route, params };
    }
    if (allow.length > 0) throw new RouteError("method_not_allowed", `${method} is not served on ${pathname}`, allow);
    throw new RouteError("no_route", `no route ${method} ${pathname}`, []);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, state: { route: string }): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    if ((method === "GET" || method === "HEAD") && !isApiPath(url.pathname)) {
      state.route = "dashboard";
      if (web?.serve(req, res, url.pathname) === "served") return;
      if (!web && url.pathname === "/") {
        throw new RouteError("no_route", "the dashboard is not built into this installation: run `npm run build` (it writes dist/web)", []);
      }
      throw new RouteError("no_route", `no file ${url.pathname}`, []);
    }
    const { route, params: rawParams } = match(method, url.pathname);
    state.route = route.path;
    const at = now();
    const token = route.role === "public" ? undefined : await auth.check(req, route.role, at);
    const params = route.params ? parseWith(route.params, rawParams, "path") : rawParams;
    const query = route.query ? parseWith(route.query, Object.fromEntries(url.searchParams), "query") : {};
    let body: unknown;
    if (route.body) {
      const text = await readBody(req, limits.maxBodyBytes);
      if (text.trim() === "") {
        // a route whose body is optional (POST /api/v1/reconcile) takes none
        if (!route.body.safeParse(undefined).success) throw new InputError("the request needs a JSON body");
      } else {
        try {
          body = JSON.parse(text);
        } catch (error) {
          throw new InputError(`the body is not valid JSON: ${(error as Error).message}`, { cause: error });
        }
        body = parseWith(route.body, body, "body");
      }
    }
    const ctx: RouteContext = {
      store,
      now: at,
      token,
      actor: token?.name ?? "anonymous",
      params,
      query,
      body,
      limits,
      cwd: options.cwd,
      secrets: options.secrets ?? { env: () => undefined },
      logger,
    };
    const result = route.writes
      ? await write(() => route.handle(ctx))
      : route.queued
        ? await queries.run(() => route.handle(ctx))
        : await route.handle(ctx);
    if (isReply(result)) send(res, result.status, result.body, route.contentType);
    else send(res, route.status ?? 200, result, route.contentType);
  }

  function send(res: ServerResponse, status: number, body: unknown, contentType?: string, headers: Record<string, string> = {}) {
    const text = contentType && typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": contentType ?? "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(text),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    });
    res.end(text);
  }

  const handler: RequestListener = (req, res) => {
    const started = performance.now();
    const state: { route: string; refused?: string } = { route: "unmatched" };
    inFlight++;
    // A keep-alive client is told to go once the server stops: its connection closes after this answer.
    if (stopping) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight--;
      const seconds = (performance.now() - started) / 1000;
      http.observe(req.method ?? "GET", state.route, res.statusCode, seconds);
      // The route pattern, never the URL or headers: nothing a caller sent ends up in the log.
      const line = { method: req.method, route: state.route, status: res.statusCode, ms: Math.round(seconds * 1000) };
      // A refusal under load (503) or a query stopped at its time limit (504): one line at warn, no stack.
      if (state.refused !== undefined) logger.warn({ ...line, reason: state.refused }, "request refused");
      else logger.info(line, "request");
    });
    handle(req, res, state).catch((error: unknown) => {
      const failure = toHttpError(error);
      if (failure.unexpected) {
        logger.error({ err: error, route: state.route, method: req.method }, "request failed");
      } else if (failure.status === 503 || failure.status === 504) {
        state.refused = error instanceof ServerBusyError ? "busy" : "query_timeout";
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (failure.status === 413) {
        // The rest of the body is not read: close the connection rather than drain it.
        failure.headers.connection = "close";
        res.once("finish", () => req.destroy());
      }
      send(res, failure.status, failure.body, undefined, failure.headers);
    });
  };

  return {
    handler,
    routes,
    limits,
    inFlight: () => inFlight,
    write,
    queries,
    beginStop: () => {
      stopping = true;
    },
  };
}
