/**
 * JSON over HTTP for the clients of outside services (PagerDuty, Vault,
 * Slack, GitLab): a timeout on every attempt, 429 and 5xx retried with
 * exponential backoff that honours Retry-After, every body validated by a zod
 * schema, and every failure an ExternalServiceError (an HttpRequestError,
 * which says whether the server may have received the request) naming the
 * service.
 *
 * Retries and idempotency. A request is sent again after a failure only
 * when sending it twice cannot do a thing twice:
 * - GET, HEAD, OPTIONS, PUT and DELETE (idempotent in RFC 9110 §9.2.2) are
 *   retried after a lost connection, a timeout, a 5xx and a rate limit.
 * - POST and PATCH (and any other method) are retried only when the server
 *   surely did not act on the request:
 *   - the request was never sent: connection refused, DNS failure, no route,
 *     connect timeout, a failed TLS handshake (see NOT_SENT_CODES). undici
 *     writes the request only once the connection (and TLS) is up.
 *   - HTTP 429, or a 403 that is a rate limit: the server refused it without
 *     acting on it (RFC 6585), with or without Retry-After.
 *   Not retried: a timeout or a reset after the request was written, and
 *   every 5xx, 503 with Retry-After included: a proxy answers 502/503/504
 *   when its upstream dropped or did not answer a request it may already
 *   have acted on (Envoy's 503 "upstream reset before headers", nginx's
 *   502), so a 503 does not prove the request was not processed.
 * - The caller may set `idempotent: true` when the destination de-duplicates
 *   the request (Slack chat.postMessage with client_msg_id, a webhook with an
 *   Idempotency-Key header): the request is then retried like a GET.
 *
 * Messages name the service and a `label` (never the URL itself: a Slack
 * webhook URL is a secret) and never include request headers.
 */
import type { Agent, Dispatcher } from "undici";
import type { z } from "zod";
import { ExternalServiceError } from "./errors.js";

/** TLS settings for a service with its own CA or client certificate (a Kubernetes API server). */
export interface TlsOptions {
  /** PEM: the CA(s) the server's certificate must chain to */
  ca?: string | Buffer;
  /** PEM: a client certificate and its key */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** false only when the configuration says so (kubeconfig insecure-skip-tls-verify) */
  rejectUnauthorized?: boolean;
}

/**
 * undici, loaded on the first request: most commands send none, and loading
 * it costs a quarter of a second of a command's start.
 */
type Undici = typeof import("undici");
let undici: Promise<Undici> | undefined;
const loadUndici = (): Promise<Undici> => (undici ??= import("undici"));

/** One connection pool per TLS settings object, so a client's requests reuse connections. */
const agents = new WeakMap<TlsOptions, Agent>();

function agentFor(u: Undici, tls: TlsOptions): Agent {
  let agent = agents.get(tls);
  if (!agent) {
    agent = new u.Agent({ connect: { ...tls } });
    agents.set(tls, agent);
  }
  return agent;
}

export interface HttpOptions {
  /** per attempt, milliseconds (default 10 s) */
  timeoutMs?: number;
  /** attempts in all, including the first (default 4) */
  attempts?: number;
  /** first backoff delay, doubled each retry (default 250 ms) */
  backoffMs?: number;
  /** a Retry-After longer than this fails at once instead of waiting (default 30 s) */
  maxWaitMs?: number;
}

export interface JsonRequest<S extends z.ZodType> extends HttpOptions {
  /** the service, for messages: "PagerDuty", "Vault", "Slack", "GitLab" */
  service: string;
  /** what was asked, for messages: "GET /oncalls" */
  label: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  schema: S;
  /** statuses returned to the caller instead of thrown (404 for "no such secret") */
  accept?: number[];
  /** a hint for 401/403 */
  authHint?: string;
  /** the body is text, not JSON (Slack incoming webhooks answer "ok"); the schema gets the string */
  text?: boolean;
  /** a CA, client certificate or key of the service's own (undici's fetch with an Agent); default: Node's fetch */
  tls?: TlsOptions;
  /**
   * Sending this request twice does no harm because the server
   * de-duplicates it (client_msg_id, Idempotency-Key): retried after a 5xx
   * or a timeout even when the method is POST. Idempotent methods (GET,
   * HEAD, OPTIONS, PUT, DELETE) need not say so.
   */
  idempotent?: boolean;
  /** the exact body bytes to send instead of JSON.stringify(body) (a signed webhook body); content-type is the caller's */
  rawBody?: string;
}

/** Methods that may be sent twice (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * Error codes that mean the request never left this process: the
 * connection (and its TLS handshake) failed before undici wrote a byte of
 * it. A reset (ECONNRESET, UND_ERR_SOCKET), a timeout waiting for headers
 * (UND_ERR_HEADERS_TIMEOUT) or ETIMEDOUT on an open connection are not here:
 * the server may have the request.
 */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EAI_FAIL",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "DM_CONNECT_TIMEOUT",
  // TLS: certificate checks and handshake failures (before the request is written)
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_TLS_HANDSHAKE_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
]);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

/** The request surely did not reach the server (see NOT_SENT_CODES); `ERR_SSL_…` handshake alerts count too. */
export function neverSent(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && (NOT_SENT_CODES.has(code) || code.startsWith("ERR_SSL_"));
}

/**
 * What a failed request means for sending it again:
 * - `received`: "no" when the server surely did not act on it (never sent,
 *   or refused with 429), "maybe" (a timeout, a reset, a 5xx), "yes" (it
 *   answered: 4xx, an unexpected body).
 * - `transient`: worth trying again later (lost connections, timeouts, 5xx,
 *   rate limits), not a refusal for good (401/403/4xx, a bad answer).
 */
export interface RequestFailure {
  status?: number;
  received: "no" | "maybe" | "yes";
  transient: boolean;
}

/** An ExternalServiceError from requestJson, with what the failure means for a retry. */
export class HttpRequestError extends ExternalServiceError {
  constructor(
    service: string,
    message: string,
    readonly failure: RequestFailure,
    options?: { cause?: unknown; details?: string[] },
  ) {
    super(service, message, options);
  }
}

/** An answer's headers, by lower- or mixed-case name; null when absent (repeated headers joined with ", "). */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface JsonResponse<T> {
  status: number;
  data: T | undefined;
  headers: HeaderReader;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * How long a rate-limited answer asks us to wait: Retry-After, else the
 * reset time GitHub (`x-ratelimit-reset`) and GitLab (`ratelimit-reset`)
 * send, in epoch seconds. Undefined when the answer says nothing.
 */
export function rateLimitWaitMs(headers: HeaderReader, now = Date.now()): number | undefined {
  const after = retryAfterMs(headers.get("retry-after"), now);
  if (after !== undefined) return after;
  const reset = headers.get("x-ratelimit-reset") ?? headers.get("ratelimit-reset");
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}

/** What `send` gives back: the status, the headers, and the body to read or drop. */
interface Answer {
  status: number;
  ok: boolean;
  headers: HeaderReader;
  text(): Promise<string>;
  /** the body is not wanted: drop it so the connection is reused */
  drop(): Promise<void>;
}

function headersOf(raw: Record<string, string | string[] | undefined>): HeaderReader {
  // undici gives lower-case names; a small reader instead of a Headers object (built for every answer)
  return {
    get(name) {
      const v = raw[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    },
  };
}

/**
 * One attempt, through undici's `request` (half the CPU per request of
 * `fetch`, which matters for a re-sync of thousands of 304s), on the
 * service's own TLS pool when it has one.
 */
async function send(req: JsonRequest<z.ZodType>, timeoutMs: number): Promise<Answer> {
  const u = await loadUndici();
  const dispatcher: Dispatcher = req.tls ? agentFor(u, req.tls) : u.getGlobalDispatcher();
  // undici's own timeouts (no AbortSignal and timer per request): no headers, or a body that stalls, within timeoutMs
  const res = await u.request(req.url, {
    method: (req.method ?? "GET") as Dispatcher.HttpMethod,
    headers: {
      accept: "application/json",
      ...(req.body === undefined && req.rawBody === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
      ...req.headers,
    },
    body: req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body)),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    dispatcher,
  });
  return {
    status: res.statusCode,
    ok: res.statusCode >= 200 && res.statusCode < 300,
    headers: headersOf(res.headers),
    text: () => res.body.text(),
    drop: async () => {
      await res.body.dump().catch(() => undefined);
    },
  };
}

/** A 403 that is a rate limit, not a refusal: GitHub's secondary limit (Retry-After) or an exhausted quota. */
function isRateLimited(response: Answer): boolean {
  if (response.status === 429) return true;
  if (response.status !== 403) return false;
  const h = response.headers;
  return h.get("retry-after") !== null || h.get("x-ratelimit-remaining") === "0" || h.get("ratelimit-remaining") === "0";
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "unexpected shape";
  return `${issue.path.length > 0 ? issue.path.join(".") : "(body)"}: ${issue.message}`;
}

export async function requestJson<S extends z.ZodType>(req: JsonRequest<S>): Promise<JsonResponse<z.infer<S>>> {
  const attempts = req.attempts ?? 4;
  const timeoutMs = req.timeoutMs ?? 10_000;
  const backoffMs = req.backoffMs ?? 250;
  const maxWaitMs = req.maxWaitMs ?? 30_000;
  const what = `${req.service} (${req.label})`;
  // see the comment at the top: what may be sent again after a failure
  const method = (req.method ?? "GET").toUpperCase();
  const repeatable = req.idempotent === true || IDEMPOTENT_METHODS.has(method);
  const fail = (message: string, failure: RequestFailure, options?: { cause?: unknown; details?: string[] }) =>
    new HttpRequestError(req.service, message, failure, options);
  const tried = (attempt: number) =>
    attempt < attempts ? ` (not retried: the server may have acted on the ${method})` : ` (tried ${attempt} times)`;
  let lastProblem = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let response: Answer;
    try {
      response = await send(req, timeoutMs);
    } catch (error) {
      const name = (error as Error)?.name;
      const code = errorCode(error);
      const timedOut = name === "TimeoutError" || name === "AbortError" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
      const unsent = neverSent(error);
      lastProblem = timedOut ? `no answer within ${timeoutMs / 1000} s` : `cannot connect: ${code ?? (error as Error).message}`;
      if (!unsent && !timedOut) lastProblem = `the connection was lost: ${code ?? (error as Error).message}`;
      if (attempt < attempts && (repeatable || unsent)) {
        await sleep(backoffMs * 2 ** (attempt - 1));
        continue;
      }
      throw fail(`${what}: ${lastProblem}${tried(attempt)}`, { received: unsent ? "no" : "maybe", transient: true }, { cause: error });
    }
    const limited = isRateLimited(response);
    if (limited || response.status >= 500) {
      lastProblem = limited ? `rate limited (HTTP ${response.status})` : `HTTP ${response.status}`;
      await response.drop();
      // a rate limit is a refusal the server did not act on; a 5xx may come after it did
      const failure: RequestFailure = { status: response.status, received: limited ? "no" : "maybe", transient: true };
      if (attempt < attempts && (repeatable || limited)) {
        const wait = rateLimitWaitMs(response.headers) ?? backoffMs * 2 ** (attempt - 1);
        if (wait > maxWaitMs) {
          throw fail(`${what}: ${lastProblem}, asked to retry after ${Math.round(wait / 1000)} s, longer than the ${maxWaitMs / 1000} s dm waits`, failure);
        }
        await sleep(wait);
        continue;
      }
      throw fail(`${what}: ${lastProblem}${tried(attempt)}`, failure);
    }
    const answered: RequestFailure = { status: response.status, received: "yes", transient: false };
    if (req.accept?.includes(response.status)) {
      await response.drop();
      return { status: response.status, data: undefined, headers: response.headers };
    }
    if (response.status === 401 || response.status === 403) {
      await response.drop();
      throw fail(`${what}: the credentials were refused (HTTP ${response.status})`, answered, {
        details: req.authHint ? [req.authHint] : [],
      });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw fail(`${what}: the answer stopped before its end (${errorCode(error) ?? (error as Error).message})`, { ...answered, transient: true }, { cause: error });
    }
    if (!response.ok) {
      throw fail(`${what}: HTTP ${response.status} ${text.slice(0, 200).replace(/\s+/g, " ")}`, answered);
    }
    let json: unknown = text;
    try {
      if (!req.text) json = text === "" ? undefined : JSON.parse(text);
    } catch (error) {
      throw fail(`${what}: the answer is not JSON`, answered, { cause: error });
    }
    const parsed = req.schema.safeParse(json);
    if (!parsed.success) {
      throw fail(`${what}: unexpected answer, ${firstIssue(parsed.error)}`, answered, {
        cause: parsed.error,
      });
    }
    return { status: response.status, data: parsed.data, headers: response.headers };
  }
  throw fail(`${what}: ${lastProblem}`, { received: "maybe", transient: true });
}
