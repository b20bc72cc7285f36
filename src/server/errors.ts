/**
 * The one place where errors become HTTP statuses. Whatever a route throws
 * ends here: typed errors say what was wrong; anything else is a 500 that
 * shows neither the message nor a stack (the server log has them).
 */
import {
  AuthError,
  ConflictError,
  DmError,
  ExternalServiceError,
  InputError,
  NotFoundError,
  QueryError,
  QueryTimeoutError,
} from "../shared/errors.js";
import { redact } from "../shared/logger.js";

/** The token is good but its role may not do this: 403. */
export class ForbiddenError extends DmError {
  readonly code = "forbidden";
  readonly exitCode = 2;
}

/** The request body is larger than the server accepts: 413. */
export class PayloadTooLargeError extends DmError {
  readonly code = "payload_too_large";
  readonly exitCode = 2;
}

/** Too many requests for this token: 429 with Retry-After. */
export class RateLimitError extends DmError {
  readonly code = "rate_limited";
  readonly exitCode = 3;
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server has no room for this request now (the query queue is full, or the wait passed its limit): 503 with Retry-After. */
export class ServerBusyError extends DmError {
  readonly code = "busy";
  readonly exitCode = 3;
  readonly retryAfterSeconds = 1;
}

/** No such route (404) or no such method on it (405). */
export class RouteError extends DmError {
  readonly exitCode = 2;
  constructor(
    readonly code: "no_route" | "method_not_allowed",
    message: string,
    readonly allow: string[] = [],
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: string[];
    /** QueryError: where in the query */
    position?: { offset: number; line: number; column: number; length: number };
  };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** a bug or an outage: the caller logs it with its stack */
  unexpected: boolean;
}

function statusOf(error: DmError): number {
  if (error instanceof QueryError || error instanceof InputError) return 400;
  if (error instanceof AuthError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof RouteError) return error.code === "no_route" ? 404 : 405;
  if (error instanceof ConflictError) return 409;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof RateLimitError) return 429;
  if (error instanceof ServerBusyError) return 503;
  if (error instanceof QueryTimeoutError) return 504;
  // The database being down makes the server unavailable; another service failing is a bad gateway.
  if (error instanceof ExternalServiceError) return ["postgres", "sqlite", "database"].includes(error.service) ? 503 : 502;
  return 400;
}

export function toHttpError(error: unknown): HttpError {
  const typed = error instanceof DmError ? error : (error as { cause?: unknown })?.cause;
  if (!(typed instanceof DmError)) {
    return {
      status: 500,
      body: { error: { code: "internal", message: "internal error: the server log has the details" } },
      headers: {},
      unexpected: true,
    };
  }
  const status = statusOf(typed);
  const code = typed instanceof QueryTimeoutError ? "query_timeout" : typed.code;
  const body: ErrorBody = { error: { code, message: redact(typed.message) } };
  if (typed.details.length > 0) body.error.details = typed.details.map(redact);
  if (typed instanceof QueryError && typed.position) body.error.position = { ...typed.position };
  const headers: Record<string, string> = {};
  if (typed instanceof RateLimitError || typed instanceof ServerBusyError) headers["retry-after"] = String(typed.retryAfterSeconds);
  if (typed instanceof RouteError && typed.allow.length > 0) headers.allow = typed.allow.join(", ");
  if (typed instanceof AuthError) headers["www-authenticate"] = 'Bearer realm="dm"';
  // A time-out or a refusal under load is expected: the request line says it (at warn), with no stack.
  const expected = typed instanceof QueryTimeoutError || typed instanceof ServerBusyError;
  return { status, body, headers, unexpected: status >= 500 && !expected };
}
