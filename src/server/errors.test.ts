import { describe, expect, it } from "vitest";
import {
  AuthError,
  CheckFailedError,
  ConflictError,
  ExternalServiceError,
  InputError,
  NotFoundError,
  QueryError,
  QueryTimeoutError,
} from "../shared/errors.js";
import { registerSecret } from "../shared/logger.js";
import { ForbiddenError, PayloadTooLargeError, RateLimitError, RouteError, toHttpError } from "./errors.js";

describe("toHttpError", () => {
  it("maps each typed error to its status and code", () => {
    const cases: [unknown, number, string][] = [
      [new InputError("x"), 400, "bad_input"],
      [new QueryError("unexpected", "Find x y", { offset: 7, line: 1, column: 8, length: 1 }), 400, "query_error"],
      [new AuthError("x"), 401, "unauthorized"],
      [new ForbiddenError("x"), 403, "forbidden"],
      [new NotFoundError("x"), 404, "not_found"],
      [new RouteError("no_route", "x"), 404, "no_route"],
      [new RouteError("method_not_allowed", "x", ["GET"]), 405, "method_not_allowed"],
      [new ConflictError("x"), 409, "conflict"],
      [new PayloadTooLargeError("x"), 413, "payload_too_large"],
      [new RateLimitError(3, "x"), 429, "rate_limited"],
      [new ExternalServiceError("postgres", "down"), 503, "external_service"],
      [new ExternalServiceError("slack", "down"), 502, "external_service"],
      [new QueryTimeoutError(100), 504, "query_timeout"],
      [new CheckFailedError("x"), 400, "check_failed"],
      [new Error("boom"), 500, "internal"],
      ["a string", 500, "internal"],
    ];
    for (const [error, status, code] of cases) {
      const r = toHttpError(error);
      expect([r.status, r.body.error.code]).toEqual([status, code]);
    }
  });

  it("puts a query mistake's position in the body, and Retry-After on 429", () => {
    const q = toHttpError(new QueryError("unexpected \"y\"", "Find x y", { offset: 7, line: 1, column: 8, length: 1 }));
    expect(q.body.error.position).toEqual({ offset: 7, line: 1, column: 8, length: 1 });
    expect(q.body.error.details?.[1]).toBe("         ^");
    expect(toHttpError(new RateLimitError(7, "slow down")).headers["retry-after"]).toBe("7");
  });

  it("hides an unexpected error's message, unwraps a typed cause, and masks secrets", () => {
    const hidden = toHttpError(new TypeError("cannot read x of undefined at /srv/app.js:1"));
    expect(hidden.body.error.message).not.toContain("undefined");
    expect(hidden.unexpected).toBe(true);
    const wrapped = toHttpError(new Error("outer", { cause: new NotFoundError("no such thing") }));
    expect([wrapped.status, wrapped.body.error.message]).toEqual([404, "no such thing"]);
    registerSecret("s3cr3t-value");
    expect(toHttpError(new InputError("bad s3cr3t-value")).body.error.message).toBe("bad ***");
  });
});
