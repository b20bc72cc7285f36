/**
 * The service client: conditional requests through the cache, paging
 * headers kept with cached pages, rate limits (429, GitHub's 403 forms)
 * waited out, refusals and bad answers named.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type FakeReply, type FakeServer, startFakeServer } from "../../test/fakes/http.js";
import { ExternalServiceError } from "../shared/errors.js";
import type { SyncCacheEntry } from "../store/types.js";
import { ApiClient, nextLink } from "./http.js";

const Items = z.array(z.object({ id: z.number() }));

describe("ApiClient", () => {
  let fake: FakeServer;
  let version = 1;
  let quotaCalls = 0;
  beforeEach(async () => {
    version = 1;
    quotaCalls = 0;
    fake = await startFakeServer((req): FakeReply => {
      if (req.path === "/items") {
        const etag = `"v${version}-${req.query.get("page") ?? "1"}"`;
        if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag } };
        const page = Number(req.query.get("page") ?? 1);
        return {
          json: [{ id: page * 10 + version }],
          headers: { etag, ...(page === 1 ? { link: `<${fake.url}/items?page=2>; rel="next", <${fake.url}/items?page=2>; rel="last"` } : {}) },
        };
      }
      if (req.path === "/limited") return { json: [{ id: 1 }] };
      if (req.path === "/quota") {
        // GitHub's primary limit: 403 with the quota spent and when it resets (epoch seconds)
        quotaCalls++;
        if (quotaCalls === 1) {
          return { status: 403, json: { message: "API rate limit exceeded" }, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000)) } };
        }
        return { json: [{ id: 2 }] };
      }
      if (req.path === "/forbidden") return { status: 403, json: { message: "Must have admin rights" } };
      if (req.path === "/odd") return { json: [{ id: "x" }] };
      return { status: 404, json: {} };
    });
  });
  afterEach(() => fake.close());

  function client(cache?: Map<string, SyncCacheEntry>) {
    const kept = cache ?? new Map<string, SyncCacheEntry>();
    return {
      kept,
      api: new ApiClient({
        service: "Example",
        baseUrl: `${fake.url}/`,
        headers: { authorization: "Bearer sekret-token-123" },
        authHint: "Check the token.",
        cache: { get: (k) => kept.get(k), set: (k, e) => kept.set(k, e) },
        backoffMs: 1,
      }),
    };
  }

  async function all(api: ApiClient): Promise<{ ids: number[]; cached: boolean[] }> {
    const ids: number[] = [];
    const cached: boolean[] = [];
    let next: string | undefined = "/items";
    while (next) {
      const page = await api.get(next, Items);
      ids.push(...(page.data ?? []).map((i) => i.id));
      cached.push(page.fromCache);
      next = nextLink(page.header("link"));
    }
    return { ids, cached };
  }

  it("asks again with If-None-Match and answers a 304 from the cache, paging included", async () => {
    const { api, kept } = client();
    expect(await all(api)).toEqual({ ids: [11, 21], cached: [false, false] });
    expect(kept.size).toBe(2);
    const again = client(kept);
    expect(await all(again.api)).toEqual({ ids: [11, 21], cached: [true, true] });
    expect(fake.requests.slice(-2).map((r) => r.headers["if-none-match"])).toEqual(['"v1-1"', '"v1-2"']);
    version = 2;
    expect(await all(client(kept).api)).toEqual({ ids: [12, 22], cached: [false, false] });
  });

  it("waits out a 429 and GitHub's 403 rate limits, then answers", async () => {
    const { api } = client();
    fake.failNext({ status: 429, retryAfter: "0" }, { status: 403, retryAfter: "0" });
    expect((await api.get("/limited", Items)).data).toEqual([{ id: 1 }]);
    expect(fake.requests.filter((r) => r.path === "/limited")).toHaveLength(3);
    expect((await api.get("/quota", Items)).data).toEqual([{ id: 2 }]);
    expect(quotaCalls).toBe(2);
  });

  it("names the service, the endpoint and the hint on a refusal, never the token", async () => {
    const { api } = client();
    const error = await api.get("/forbidden", Items).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as ExternalServiceError).message).toBe("Example (GET /forbidden): the credentials were refused (HTTP 403)");
    expect((error as ExternalServiceError).details).toEqual(["Check the token."]);
    expect(JSON.stringify(error)).not.toContain("sekret");
  });

  it("names the field of an answer of the wrong shape, and lets accepted statuses through", async () => {
    const { api } = client();
    await expect(api.get("/odd", Items)).rejects.toThrow("Example (GET /odd): unexpected answer, 0.id: Invalid input: expected number, received string");
    expect((await api.get("/missing", Items, { accept: [404] })).status).toBe(404);
  });
});

describe("nextLink", () => {
  it("finds rel=next among others, and nothing on the last page", () => {
    expect(nextLink('<https://api.github.com/orgs/acme/repos?page=3>; rel="next", <https://api.github.com/orgs/acme/repos?page=9>; rel="last"')).toBe(
      "https://api.github.com/orgs/acme/repos?page=3",
    );
    expect(nextLink('<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});
