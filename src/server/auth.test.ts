import { describe, expect, it } from "vitest";
import { RateLimiter } from "./auth.js";
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
