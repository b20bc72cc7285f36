import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { createToken, revokeToken, TOKEN_CACHE_MS, TokenCache } from "../core/tokens/tokens.js";
import { openStore } from "../store/open-store.js";
import { Authenticator, RateLimiter } from "./auth.js";
import { RateLimitError } from "./errors.js";

describe("RateLimiter", () => {
  it("allows a burst of the per-minute rate, then refuses with the wait, and refills over time", () => {
    const limiter = new RateLimiter(60);
    for (let i = 0; i < 60; i++) limiter.take("a", 0);
    let error: unknown;
    try {
      limiter.take("a", 0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterSeconds).toBe(1);
    // Another token has its own bucket.
    expect(() => limiter.take("b", 0)).not.toThrow();
    // One request a second comes back.
    expect(() => limiter.take("a", 1000)).not.toThrow();
    expect(() => limiter.take("a", 1000)).toThrow(RateLimitError);
  });
});

describe("Authenticator's token cache", () => {
  const NOW = Date.UTC(2026, 0, 1);

  async function setup() {
    const store = await openStore(":memory:");
    const { token } = await createToken(store, { name: "ci", role: "reader" }, { now: NOW, actor: "test" });
    let lookups = 0;
    const find = store.findApiTokenByHash.bind(store);
    store.findApiTokenByHash = (hash: string) => {
      lookups++;
      return find(hash);
    };
    let wall = 0;
    const auth = new Authenticator(store, 1_000_000, (fn) => fn(), () => {}, new TokenCache(TOKEN_CACHE_MS, () => wall));
    const check = async (bearer = token) => {
      try {
        await auth.check({ headers: { authorization: `Bearer ${bearer}` } } as IncomingMessage, "reader", NOW);
        return "ok";
      } catch (error) {
        return (error as Error).message;
      }
    };
    return { store, check, lookups: () => lookups, tick: (ms: number) => (wall += ms) };
  }

  it("looks a token up once a second at most, and keeps refusing unknown tokens", async () => {
    const t = await setup();
    expect(await t.check()).toBe("ok");
    expect(await t.check()).toBe("ok");
    t.tick(TOKEN_CACHE_MS - 1);
    expect(await t.check()).toBe("ok");
    expect(t.lookups()).toBe(1);
    t.tick(1);
    expect(await t.check()).toBe("ok");
    expect(t.lookups()).toBe(2);
    // not cached: a token created a moment later must work at once
    const unknown = `dm_${"A".repeat(43)}`;
    expect(await t.check(unknown)).toBe("the token is not valid");
    expect(await t.check(unknown)).toBe("the token is not valid");
    expect(t.lookups()).toBe(4);
    await t.store.close();
  });

  it("refuses a token revoked in this process at once, one revoked elsewhere within the second", async () => {
    const t = await setup();
    expect(await t.check()).toBe("ok");
    // another process (a replica, `dm token revoke`) writes the revocation
    await t.store.revokeApiToken("ci", NOW - 1);
    expect(await t.check()).toBe("ok");
    t.tick(TOKEN_CACHE_MS);
    expect(await t.check()).toBe("the token is revoked");

    const u = await setup();
    await createToken(u.store, { name: "other", role: "reader" }, { now: NOW, actor: "test" });
    expect(await u.check()).toBe("ok");
    await revokeToken(u.store, "ci", { now: NOW - 1, actor: "test" });
    expect(await u.check()).toBe("the token is revoked");
    await t.store.close();
    await u.store.close();
  });
});
