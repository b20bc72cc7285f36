/**
 * JSON over HTTP for the clients of outside services (PagerDuty, Vault,
 * Slack, GitLab): a timeout on every attempt, 429 and 5xx retried with
 * exponential backoff that honours Retry-After, every body validated by a zod
 * schema, and every failure an ExternalServiceError naming the service.
 *
 * Messages name the service and a `label` (never the URL itself: a Slack
 * webhook URL is a secret) and never include request headers.
 */
import { Agent, type Dispatcher, getGlobalDispatcher, request } from "undici";
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

/** One connection pool per TLS settings object, so a client's requests reuse connections. */
const agents = new WeakMap<TlsOptions, Agent>();

function agentFor(tls: TlsOptions): Agent {
  let agent = agents.get(tls);
  if (!agent) {
    agent = new Agent({ connect: { ...tls } });
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
  const dispatcher: Dispatcher = req.tls ? agentFor(req.tls) : getGlobalDispatcher();
  // undici's own timeouts (no AbortSignal and timer per request): no headers, or a body that stalls, within timeoutMs
  const res = await request(req.url, {
    method: (req.method ?? "GET") as Dispatcher.HttpMethod,
    headers: {
      accept: "application/json",
      ...(req.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
      ...req.headers,
    },
    body: req.body === undefined ? undefined : JSON.stringify(req.body),
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
  let lastProblem = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let response: Answer;
    try {
      response = await send(req, timeoutMs);
    } catch (error) {
      const name = (error as Error)?.name;
      const code = (error as { code?: string }).code;
      lastProblem =
        name === "TimeoutError" || name === "AbortError" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT"
          ? `no answer within ${timeoutMs / 1000} s`
          : `cannot connect: ${(error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
      if (attempt < attempts) {
        await sleep(backoffMs * 2 ** (attempt - 1));
        continue;
      }
      throw new ExternalServiceError(req.service, `${what}: ${lastProblem} (tried ${attempts} times)`, { cause: error });
    }
    const limited = isRateLimited(response);
    if (limited || response.status >= 500) {
      lastProblem = limited ? `rate limited (HTTP ${response.status})` : `HTTP ${response.status}`;
      await response.drop();
      if (attempt < attempts) {
        const wait = rateLimitWaitMs(response.headers) ?? backoffMs * 2 ** (attempt - 1);
        if (wait > maxWaitMs) {
          throw new ExternalServiceError(
            req.service,
            `${what}: ${lastProblem}, asked to retry after ${Math.round(wait / 1000)} s, longer than the ${maxWaitMs / 1000} s dm waits`,
          );
        }
        await sleep(wait);
        continue;
      }
      throw new ExternalServiceError(req.service, `${what}: ${lastProblem} (tried ${attempts} times)`);
    }
    if (req.accept?.includes(response.status)) {
      await response.drop();
      return { status: response.status, data: undefined, headers: response.headers };
    }
    if (response.status === 401 || response.status === 403) {
      await response.drop();
      throw new ExternalServiceError(req.service, `${what}: the credentials were refused (HTTP ${response.status})`, {
        details: req.authHint ? [req.authHint] : [],
      });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ExternalServiceError(req.service, `${what}: the answer stopped before its end (${(error as { code?: string }).code ?? (error as Error).message})`, { cause: error });
    }
    if (!response.ok) {
      throw new ExternalServiceError(req.service, `${what}: HTTP ${response.status} ${text.slice(0, 200).replace(/\s+/g, " ")}`);
    }
    let json: unknown = text;
    try {
      if (!req.text) json = text === "" ? undefined : JSON.parse(text);
    } catch (error) {
      throw new ExternalServiceError(req.service, `${what}: the answer is not JSON`, { cause: error });
    }
    const parsed = req.schema.safeParse(json);
    if (!parsed.success) {
      throw new ExternalServiceError(req.service, `${what}: unexpected answer, ${firstIssue(parsed.error)}`, {
        cause: parsed.error,
      });
    }
    return { status: response.status, data: parsed.data, headers: response.headers };
  }
  throw new ExternalServiceError(req.service, `${what}: ${lastProblem}`);
}
