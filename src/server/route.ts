/** What a route is: a method and path, the role it needs, how its input is checked, and its handler. */
import type { z } from "zod";
import type { Logger } from "../shared/logger.js";
import type { ApiToken, GraphStore, TokenRole } from "../store/types.js";

export interface ServerLimits {
  /** a J1QL query is stopped after this long: 504 */
  queryTimeoutMs: number;
  /** larger bodies get 413 */
  maxBodyBytes: number;
  /** requests per minute per token: 429 beyond */
  rateLimitPerMinute: number;
}

export interface RouteContext<Body = unknown, Query = unknown> {
  store: GraphStore;
  /** the request's time (epoch ms), from the injected clock */
  now: number;
  /** the caller; undefined only on public routes */
  token: ApiToken | undefined;
  /** the acting name for the audit log: the token's name */
  actor: string;
  params: Record<string, string>;
  query: Query;
  body: Body;
  limits: ServerLimits;
  /** where the server runs (sync settings with relative paths) */
  cwd: string;
  logger: Logger;
}

export interface Reply {
  status: number;
  body: unknown;
  /** text bodies (metrics); JSON otherwise */
  contentType?: string;
}

export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** OpenAPI form: `/api/v1/maintenance/{id}/close` */
  path: string;
  /** `public`: no token needed */
  role: TokenRole | "public";
  summary: string;
  /** the request body, validated before the handler runs */
  body?: z.ZodType;
  /** the query string (each value a string), validated before the handler runs */
  query?: z.ZodObject;
  /** 200 unless said */
  status?: number;
  /** writes (audited, serialised on SQLite) */
  writes?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each route's handler types its own body and query
  handle(ctx: RouteContext<any, any>): Promise<unknown | Reply>;
}

/** A reply with a status or content type other than JSON 200. */
export function reply(status: number, body: unknown, contentType?: string): Reply {
  return { status, body, ...(contentType ? { contentType } : {}), [REPLY]: true } as Reply;
}

const REPLY = Symbol("reply");
export function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && REPLY in value;
}
