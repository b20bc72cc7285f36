import { describe, expect, it } from "vitest";
import { AuthError, InputError } from "../../shared/errors.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import { DAY_MS } from "../maintenance/due.js";
import { authenticate, createToken, generateToken, hashToken, parseExpiry, roleAllows } from "./tokens.js";

const NOW = Date.UTC(2026, 0, 1);

describe("tokens", () => {
  it("are dm_ and 32 random bytes in base64url, stored as SHA-256", async () => {
    const a = generateToken();
    expect(a).toMatch(/^dm_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(3), "base64url")).toHaveLength(32);
    expect(generateToken()).not.toBe(a);
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
    const store = SqliteStore.open(":memory:");
    const { token, info } = await createToken(store, { name: "ci", role: "reader" }, { now: NOW, actor: "alice" });
    expect(await store.findApiTokenByHash(hashToken(token))).toMatchObject({ id: info.id, hash: hashToken(token) });
    const rows = await store.select("SELECT * FROM api_tokens", []);
    expect(JSON.stringify(rows)).not.toContain(token);
    await store.close();
  });

  it("authenticate accepts a good token and refuses unknown, malformed, expired and revoked ones", async () => {
    const store = SqliteStore.open(":memory:");
    const good = await createToken(store, { name: "good", role: "maintainer", expiresOn: NOW + DAY_MS }, { now: NOW, actor: "a" });
    expect((await authenticate(store, good.token, NOW)).name).toBe("good");
    const refused = async (token: string, now = NOW) => {
      try {
        await authenticate(store, token, now);
        return "accepted";
      } catch (error) {
        expect(error).toBeInstanceOf(AuthError);
        return (error as Error).message;
      }
    };
    expect(await refused(good.token, NOW + DAY_MS)).toBe("the token is expired");
    expect(await refused("dm_short")).toBe("the token is missing or malformed");
    expect(await refused(generateToken())).toBe("the token is not valid");
    await store.revokeApiToken("good", NOW + 1);
    expect(await refused(good.token, NOW + 2)).toBe("the token is revoked");
    await store.close();
  });

  it("orders roles reader < maintainer < admin and parses lifetimes", () => {
    expect(roleAllows("admin", "maintainer")).toBe(true);
    expect(roleAllows("maintainer", "maintainer")).toBe(true);
    expect(roleAllows("reader", "maintainer")).toBe(false);
    expect(parseExpiry("90d", NOW)).toBe(NOW + 90 * DAY_MS);
    expect(parseExpiry("2w", NOW)).toBe(NOW + 14 * DAY_MS);
    expect(() => parseExpiry("0d", NOW)).toThrow(InputError);
    expect(() => parseExpiry("tomorrow", NOW)).toThrow(InputError);
  });
});
