/**
 * API tokens for `dm serve`: `dm_` + 32 random bytes (base64url). Only the
 * SHA-256 of a token is stored; the token is shown once, when created.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { AuthError, InputError, NotFoundError } from "../../shared/errors.js";
import { registerSecret } from "../../shared/logger.js";
import { type ApiToken, type GraphStore, TOKEN_ROLES, type TokenRole } from "../../store/types.js";
import { DAY_MS } from "../maintenance/due.js";

export const TOKEN_PREFIX = "dm_";
/** `dm_` and 43 base64url characters (32 bytes). */
const TOKEN_SHAPE = /^dm_[A-Za-z0-9_-]{43}$/;
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** What each role may do includes everything the roles before it may do. */
export function roleAllows(role: TokenRole, needed: TokenRole): boolean {
  return TOKEN_ROLES.indexOf(role) >= TOKEN_ROLES.indexOf(needed);
}

export function parseRole(text: string): TokenRole {
  const role = TOKEN_ROLES.find((r) => r === text.trim().toLowerCase());
  if (!role) throw new InputError(`role "${text}" is not one of ${TOKEN_ROLES.join(", ")}`);
  return role;
}

export function assertTokenName(name: string): string {
  if (!NAME_SHAPE.test(name)) {
    throw new InputError(`token name "${name}" is not usable: 1-64 letters, digits, and . _ @ - (not first)`, {
      details: ["Name it after who or what uses it: ci-payments, alice@example.com, grafana."],
    });
  }
  return name;
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** `90d`, `12w`: a lifetime in whole days or weeks. */
export function parseExpiry(text: string, now: number): number {
  const m = /^(\d+)\s*(d|days?|w|weeks?)$/i.exec(text.trim());
  const days = m ? Number(m[1]) * (m[2]!.toLowerCase().startsWith("w") ? 7 : 1) : Number.NaN;
  if (!m || days < 1 || days > 3650) {
    throw new InputError(`--expires "${text}" is not a lifetime; use days like 90d or weeks like 12w (at most 3650 days)`);
  }
  return now + days * DAY_MS;
}

export interface CreatedToken {
  /** shown once; never stored */
  token: string;
  info: ApiToken;
}

/** `--owner`: a person's or team's name as findings carry it (trimmed; empty is none). */
function ownerOfToken(owner: string | null | undefined): string | null {
  const value = owner?.trim() ?? "";
  if (value.length > 200) throw new InputError("--owner: at most 200 characters (a person's or team's name as findings carry it)");
  return value === "" ? null : value;
}

export async function createToken(
  store: GraphStore,
  input: { name: string; role: TokenRole; expiresOn?: number | null; owner?: string | null },
  options: { now: number; actor: string },
): Promise<CreatedToken> {
  const name = assertTokenName(input.name);
  const role = parseRole(input.role);
  const token = generateToken();
  registerSecret(token);
  const info = await store.createApiToken({
    name,
    role,
    hash: hashToken(token),
    createdOn: options.now,
    expiresOn: input.expiresOn ?? null,
    owner: ownerOfToken(input.owner),
  });
  await store.audit({
    at: options.now,
    actor: options.actor,
    action: "token.create",
    subject: name,
    details: { role, expiresOn: info.expiresOn, ...(info.owner === null ? {} : { owner: info.owner }) },
  });
  return { token, info };
}

export async function listTokens(store: GraphStore): Promise<ApiToken[]> {
  return store.listApiTokens();
}

/** Bumped by every revokeToken in this process: cache entries looked up before it are void. */
let revocations = 0;

export async function revokeToken(store: GraphStore, name: string, options: { now: number; actor: string }): Promise<ApiToken> {
  const token = await store.revokeApiToken(name, options.now);
  // This process's token caches forget every token at once (a revocation is rare; other processes wait out TOKEN_CACHE_MS).
  revocations++;
  if (!token) {
    throw new NotFoundError(`no token named "${name}"`, { details: ["dm token list shows the names."] });
  }
  await store.audit({ at: options.now, actor: options.actor, action: "token.revoke", subject: name });
  return token;
}

/** Why a presented token is refused, or undefined when it is good. The reason is for logs; callers say only 401. */
export function tokenProblem(token: ApiToken, now: number): string | undefined {
  if (token.revokedOn !== null && token.revokedOn <= now) return "revoked";
  if (token.expiresOn !== null && token.expiresOn <= now) return "expired";
  return undefined;
}

/**
 * The token a bearer string names, checked: well formed, known (by its hash,
 * confirmed in constant time), not revoked, not expired. Anything else is an
 * AuthError that says what to do, never which part failed for whom.
 */
export async function authenticate(store: GraphStore, presented: string, now: number, cache?: TokenCache): Promise<ApiToken> {
  const refuse = (why: string) =>
    new AuthError(`the token is ${why}`, { details: ["Send Authorization: Bearer <token>; dm token create makes one."] });
  if (!TOKEN_SHAPE.test(presented)) throw refuse("missing or malformed");
  const hash = hashToken(presented);
  const found = cache ? await cache.lookup(hash, () => store.findApiTokenByHash(hash)) : await store.findApiTokenByHash(hash);
  if (!found || !timingSafeEqual(Buffer.from(found.hash, "hex"), Buffer.from(hash, "hex"))) throw refuse("not valid");
  const { hash: _hash, ...token } = found;
  const problem = tokenProblem(token, now);
  if (problem) throw refuse(problem);
  return token;
}

/** How long `dm serve` reuses a token it looked up: a token revoked by another process (a replica, `dm token revoke`) works at most this long. */
export const TOKEN_CACHE_MS = 1_000;

/**
 * Token rows by token hash (the secret itself is never a key), each reused
 * for at most `ttlMs` of wall-clock time, and none across a revocation made
 * in this process. Only tokens that exist are kept (an unknown one is looked
 * up every time, so a new token works at once); revocation and expiry are
 * still checked on every request, against the row.
 */
export class TokenCache {
  private readonly entries = new Map<string, { row: ApiToken & { hash: string }; at: number; epoch: number }>();

  constructor(
    private readonly ttlMs = TOKEN_CACHE_MS,
    /** wall-clock milliseconds (tests pass their own) */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async lookup(
    hash: string,
    load: () => Promise<(ApiToken & { hash: string }) | undefined>,
  ): Promise<(ApiToken & { hash: string }) | undefined> {
    const at = this.clock();
    const hit = this.entries.get(hash);
    if (hit && hit.epoch === revocations && at - hit.at < this.ttlMs) return hit.row;
    // The epoch before the lookup: a revocation while it runs voids what it returns.
    const epoch = revocations;
    const row = await load();
    if (row === undefined) {
      this.entries.delete(hash);
      return undefined;
    }
    if (this.entries.size >= 1000) this.prune(at);
    this.entries.set(hash, { row, at, epoch });
    return row;
  }

  private prune(at: number): void {
    for (const [hash, entry] of this.entries) if (entry.epoch !== revocations || at - entry.at >= this.ttlMs) this.entries.delete(hash);
  }
}
