/**
 * Who is calling and what they may do: the bearer token (its row reused for
 * at most a second, see TokenCache), its role, a per-token rate limit, and
 * `last_used_on` kept at most a minute stale.
 */
import type { IncomingMessage } from "node:http";
import { authenticate, roleAllows, TokenCache } from "../core/tokens/tokens.js";
import { AuthError } from "../shared/errors.js";
import type { ApiToken, GraphStore, TokenRole } from "../store/types.js";
import { ForbiddenError, RateLimitError } from "./errors.js";

/** last_used_on is written at most this often per token. */
export const TOUCH_INTERVAL_MS = 60_000;

export function bearerOf(req: IncomingMessage): string {
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) {
    throw new AuthError("missing Authorization: Bearer <token>", {
      details: ["dm token create --name NAME --role reader makes a token."],
    });
  }
  return m[1]!;
}

export function requireRole(token: ApiToken, needed: TokenRole): void {
  if (!roleAllows(token.role, needed)) {
    throw new ForbiddenError(`token "${token.name}" is a ${token.role}; this needs ${needed}`, {
      details: ["Ask an admin for a token with that role (dm token create --role ...)."],
    });
  }
}

/**
 * A token bucket per token: `perMinute` requests, refilled continuously, so
 * a burst of up to `perMinute` is allowed after a quiet minute.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perMinute: number) {}

  take(key: string, now: number): void {
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
      throw new RateLimitError(retryAfter, `too many requests: this token may make ${this.perMinute} a minute`);
    }
    b.tokens -= 1;
  }
}

export class Authenticator {
  private readonly touched = new Map<string, number>();
  private readonly limiter: RateLimiter;
  /** token rows for at most TOKEN_CACHE_MS (a revocation elsewhere takes that long to reach this process) */
  private readonly tokens: TokenCache;

  constructor(
    private readonly store: GraphStore,
    rateLimitPerMinute: number,
    /** where the last_used_on write runs (the app serialises SQLite writes) */
    private readonly write: (fn: () => Promise<void>) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    tokenCache: TokenCache = new TokenCache(),
  ) {
    this.limiter = new RateLimiter(rateLimitPerMinute);
    this.tokens = tokenCache;
  }

  /** The caller's token, rate-limited and allowed `needed`; throws 401, 429 or 403 errors. */
  async check(req: IncomingMessage, needed: TokenRole, now: number): Promise<ApiToken> {
    const token = await authenticate(this.store, bearerOf(req), now, this.tokens);
    // Wall-clock time, not the injected clock: a rate is about real seconds.
    this.limiter.take(token.id, performance.now());
    this.touch(token, now);
    requireRole(token, needed);
    return token;
  }

  private touch(token: ApiToken, now: number): void {
    const last = Math.max(this.touched.get(token.id) ?? 0, token.lastUsedOn ?? 0);
    if (now - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(token.id, now);
    // Not awaited: a request does not wait for bookkeeping, and its failure is only logged.
    this.write(() => this.store.touchApiToken(token.id, now)).catch(this.onError);
  }
}
