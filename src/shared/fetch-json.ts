/**
 * JSON over HTTP for the clients of outside services (PagerDuty, Vault,
 * Slack, GitLab): a timeout on every attempt, 429 and 5xx retried with
 * exponential backoff that honours Retry-After, every body validated by a zod
 * schema, and every failure an ExternalServiceError naming the service.
 *
 * Messages name the service and a `label` (never the URL itself: a Slack
 * webhook URL is a secret) and never include request headers.
 */
import { Agent, fetch as undiciFetch } from "undici";
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

export interface JsonResponse<T> {
  status: number;
  data: T | undefined;
  headers: Headers;
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
export function rateLimitWaitMs(headers: Headers, now = Date.now()): number | undefined {
  const after = retryAfterMs(headers.get("retry-after"), now);
  if (after !== undefined) return after;
  const reset = headers.get("x-ratelimit-reset") ?? headers.get("ratelimit-reset");
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}

/** A 403 that is a rate limit, not a refusal: GitHub's secondary limit (Retry-After) or an exhausted quota. */
function isRateLimited(response: Response): boolean {
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
    let response: Response;
    try {
      const init = {
        method: req.method ?? "GET",
        headers: {
          accept: "application/json",
          ...(req.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(timeoutMs),
      };
      response = req.tls
        ? ((await undiciFetch(req.url, { ...init, dispatcher: agentFor(req.tls) })) as unknown as Response)
        : await fetch(req.url, init);
    } catch (error) {
      const name = (error as Error)?.name;
      lastProblem =
        name === "TimeoutError" || name === "AbortError"
          ? `no answer within ${timeoutMs / 1000} s`
          : `cannot connect: ${(error as { cause?: { code?: string; message?: string } }).cause?.code ?? (error as Error).message}`;
      if (attempt < attempts) {
        await sleep(backoffMs * 2 ** (attempt - 1));
        continue;
      }
      throw new ExternalServiceError(req.service, `${what}: ${lastProblem} (tried ${attempts} times)`, { cause: error });
    }
    const limited = isRateLimited(response);
    if (limited || response.status >= 500) {
      lastProblem = limited ? `rate limited (HTTP ${response.status})` : `HTTP ${response.status}`;
      await response.body?.cancel();
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
      await response.body?.cancel();
      return { status: response.status, data: undefined, headers: response.headers };
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new ExternalServiceError(req.service, `${what}: the credentials were refused (HTTP ${response.status})`, {
        details: req.authHint ? [req.authHint] : [],
      });
    }
    const text = await response.text();
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
