/**
 * What a route is: a method and path, the role it needs, zod schemas for its
 * path parameters, query string, body and response, and its handler.
 * `defineRoute` infers the handler's context and return types from those
 * schemas; the app validates the input with them and openapi.ts describes
 * both sides from them.
 */
import type { SecretSources } from "../core/oncall/secrets.js";
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
  /** J1QL queries waiting for a slot at most (beyond: 503) */
  queryQueue: number;
  /** how long a J1QL query waits for a slot at most (beyond: 503) */
  queryQueueWaitMs: number;
}

export interface RouteContext<Params = Record<string, string>, Query = unknown, Body = unknown> {
  store: GraphStore;
  /** the request's time (epoch ms), from the injected clock */
  now: number;
  /** the caller; undefined only on public routes */
  token: ApiToken | undefined;
  /** the acting name for the audit log: the token's name */
  actor: string;
  params: Params;
  query: Query;
  body: Body;
  limits: ServerLimits;
  /** where the server runs (sync settings with relative paths) */
  cwd: string;
  /** where integrations read credential references (the server's environment, Vault) */
  secrets: SecretSources;
  logger: Logger;
}

const REPLY = Symbol("reply");

/** A reply with a status other than the route's own (the body still follows the response schema). */
export interface Reply<T = unknown> {
  status: number;
  body: T;
  readonly [REPLY]: true;
}

/** The names in a path pattern, each a string: `/a/{id}/b/{name}` -> { id: string; name: string }. */
export type PathParams<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name | keyof PathParams<Rest>]: string }
  : Record<never, string>;

type EmptyQuery = z.ZodObject<Record<never, never>>;

/** A route as written: the handler's types follow from the schemas. */
export interface RouteSpec<
  Path extends string,
  Params extends z.ZodType<Record<string, string>>,
  Query extends z.ZodObject,
  Body extends z.ZodType,
  Response extends z.ZodType,
> {
  method: "GET" | "POST" | "DELETE";
  /** OpenAPI form: `/api/v1/maintenance/{id}/close` */
  path: Path;
  /** `public`: no token needed */
  role: TokenRole | "public";
  summary: string;
  /** the path parameters, validated before the handler runs (default: each a string) */
  params?: Params;
  /** the query string (each value a string), validated before the handler runs */
  query?: Query;
  /** the request body, validated before the handler runs */
  body?: Body;
  /** what a 2xx answer carries: the handler's return type and the OpenAPI response schema */
  response: Response;
  /** 200 unless said */
  status?: number;
  /** other 2xx statuses the handler answers with through reply() (same response schema) */
  otherStatuses?: readonly number[];
  /** the response's content type when it is not JSON (metrics: text) */
  contentType?: string;
  /** writes (audited, serialised on SQLite) */
  writes?: boolean;
  /** runs a J1QL query: takes a slot of the query queue (query-queue.ts) */
  queued?: boolean;
  handle(ctx: RouteContext<z.output<Params>, z.output<Query>, z.output<Body>>): Promise<z.input<Response> | Reply<z.input<Response>>>;
}

/** A route in the server's table, its types erased. */
export interface Route {
  method: "GET" | "POST" | "DELETE";
  path: string;
  role: TokenRole | "public";
  summary: string;
  params?: z.ZodType<Record<string, string>>;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  status?: number;
  otherStatuses?: readonly number[];
  contentType?: string;
  writes?: boolean;
  queued?: boolean;
  handle(ctx: RouteContext): Promise<unknown>;
}

/** A route whose handler is typed from its schemas (see RouteSpec). */
export function defineRoute<
  Path extends string,
  Response extends z.ZodType,
  Params extends z.ZodType<Record<string, string>> = z.ZodType<PathParams<Path>>,
  Query extends z.ZodObject = EmptyQuery,
  Body extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<Path, Params, Query, Body, Response>): Route {
  return spec;
}

/** A reply with a status other than the route's own. */
export function reply<T>(status: number, body: T): Reply<T> {
  return { status, body, [REPLY]: true };
}

export function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && REPLY in value;
}
