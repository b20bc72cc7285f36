/**
 * The HTTP client the service integrations share (GitHub, GitLab, Bitbucket,
 * PagerDuty, Vault, Kubernetes): requestJson's timeouts, retries and rate
 * limits, plus conditional requests. With a cache, a GET sends the ETag of
 * the answer kept from the last run (`If-None-Match`); a 304 answers from
 * the cache, so a re-sync with nothing changed costs the service (and its
 * rate limit) almost nothing. Paging headers are kept with the body, so a
 * cached page still leads to the next one.
 */
import { z } from "zod";
import { ExternalServiceError } from "../shared/errors.js";
import { requestJson, type TlsOptions } from "../shared/fetch-json.js";
import type { SyncCacheEntry } from "../store/types.js";

/** The answers kept between runs (SyncContext.cache). */
export interface HttpCache {
  get(key: string): SyncCacheEntry | undefined;
  set(key: string, entry: SyncCacheEntry): void;
}

export interface ApiClientOptions {
  /** for messages: "GitHub", "GitLab", ... */
  service: string;
  /** e.g. https://api.github.com (no trailing slash needed) */
  baseUrl: string;
  /** authorization and the service's accept/version headers; never printed */
  headers: Record<string, string>;
  /** what to check when the service refuses the credentials (401/403) */
  authHint: string;
  cache?: HttpCache;
  timeoutMs?: number;
  attempts?: number;
  backoffMs?: number;
  maxWaitMs?: number;
  /** the service's own CA / client certificate (a Kubernetes API server) */
  tls?: TlsOptions;
}

export interface ApiAnswer<T> {
  status: number;
  data: T;
  /** the answer's headers; from the cache when it was not modified (paging headers only) */
  header(name: string): string | null;
  /** true when the service said 304 and the data is the kept copy */
  fromCache: boolean;
}

/** Headers kept with a cached body: what paging needs. */
const KEPT_HEADERS = ["link", "x-next-page", "x-total-pages", "x-total", "x-page"];

export type Query = Record<string, string | number | boolean | undefined>;

export class ApiClient {
  readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  /** A path (`/orgs/acme/repos`) or a full URL the service gave (a `next` link). */
  url(pathOrUrl: string, query?: Query): URL {
    const url = /^https?:\/\//.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(`${this.baseUrl}${pathOrUrl}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * GET and validate. `accept` statuses come back with `data` undefined
   * (404: no such thing); everything else that is not 2xx throws an
   * ExternalServiceError naming the service and the endpoint.
   */
  async get<S extends z.ZodType>(
    pathOrUrl: string,
    schema: S,
    opts: { query?: Query; accept?: number[]; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer<z.infer<S> | undefined>> {
    const url = this.url(pathOrUrl, opts.query);
    const label = `GET ${url.pathname}`;
    const cacheKey = `GET ${url.pathname}${url.search}`;
    const cached = this.options.cache?.get(cacheKey);
    const response = await requestJson({
      service: this.options.service,
      label,
      url: url.toString(),
      headers: { ...this.options.headers, ...opts.headers, ...(cached ? { "if-none-match": cached.etag } : {}) },
      schema: z.string(),
      text: true,
      accept: [...(opts.accept ?? []), ...(cached ? [304] : [])],
      authHint: this.options.authHint,
      timeoutMs: this.options.timeoutMs,
      attempts: this.options.attempts,
      backoffMs: this.options.backoffMs,
      maxWaitMs: this.options.maxWaitMs,
      ...(this.options.tls ? { tls: this.options.tls } : {}),
    });
    if (response.status === 304 && cached) {
      const kept = JSON.parse(cached.body) as { headers: Record<string, string>; body: unknown };
      this.options.cache?.set(cacheKey, cached);
      return {
        status: 200,
        data: this.parse(schema, kept.body, label),
        header: (name) => kept.headers[name.toLowerCase()] ?? null,
        fromCache: true,
      };
    }
    if (response.data === undefined) {
      return { status: response.status, data: undefined, header: (name) => response.headers.get(name), fromCache: false };
    }
    const text = response.data;
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch (error) {
      throw new ExternalServiceError(this.options.service, `${this.options.service} (${label}): the answer is not JSON`, { cause: error });
    }
    const data = this.parse(schema, body, label);
    const etag = response.headers.get("etag");
    if (etag && this.options.cache) {
      const headers: Record<string, string> = {};
      for (const h of KEPT_HEADERS) {
        const v = response.headers.get(h);
        if (v !== null) headers[h] = v;
      }
      this.options.cache.set(cacheKey, { etag, body: JSON.stringify({ headers, body }) });
    }
    return { status: response.status, data, header: (name) => response.headers.get(name), fromCache: false };
  }

  private parse<S extends z.ZodType>(schema: S, body: unknown, label: string): z.infer<S> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.length > 0 ? issue.path.join(".") : "(body)"}: ${issue.message}` : "unexpected shape";
    throw new ExternalServiceError(this.options.service, `${this.options.service} (${label}): unexpected answer, ${where}`);
  }
}

/** The `rel="next"` URL of an RFC 8288 Link header (GitHub, GitLab), or undefined on the last page. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;(.*)$/.exec(part.trim());
    if (m && /\brel="?([^"]*\s)?next(\s[^"]*)?"?/.test(m[2]!)) return m[1];
  }
  return undefined;
}
