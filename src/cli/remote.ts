/**
 * Remote mode: with DM_SERVER (and DM_TOKEN) set, commands ask the team
 * server instead of opening a database. The server runs the same core code
 * and answers with the same results as JSON, so a command prints the same
 * thing either way; its errors come back as the same typed errors, so the
 * exit codes are the same too.
 */
import { AuthError, ConflictError, DmError, ExternalServiceError, InputError, NotFoundError, QueryError } from "../shared/errors.js";
import { registerSecret } from "../shared/logger.js";

interface ErrorBody {
  error?: {
    code?: string;
    message?: string;
    details?: string[];
    position?: { offset: number; line: number; column: number; length: number };
  };
}

/** The server refused the token's role: the same exit code as a bad token (2). */
class ForbiddenByServer extends DmError {
  readonly code = "forbidden";
  readonly exitCode = 2;
}

export interface RemoteRequest {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** J1QL sent with the request: a 400 query error is shown with a caret under it */
  j1ql?: string;
}

export class RemoteClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    registerSecret(token);
  }

  get<T>(path: string, request: RemoteRequest = {}): Promise<T> {
    return this.request<T>("GET", path, request);
  }

  post<T>(path: string, request: RemoteRequest = {}): Promise<T> {
    return this.request<T>("POST", path, request);
  }

  async request<T>(method: "GET" | "POST" | "DELETE", path: string, request: RemoteRequest = {}): Promise<T> {
    if (!this.token) {
      throw new InputError("DM_SERVER is set but DM_TOKEN is not: remote commands need a token", {
        details: ["An admin makes one on the server: dm token create --name you@example.com --role maintainer", "Or unset DM_SERVER to use a local database."],
      });
    }
    const url = new URL(`${this.url}${path}`);
    for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: "application/json",
          ...(request.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      const why = cause?.code ?? (error as Error).name ?? "failed";
      throw new ExternalServiceError("dm server", `cannot reach the dm server at ${this.url}: ${why}`, {
        cause: error,
        details: ["Check DM_SERVER, or unset it to use a local database."],
      });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch (error) {
      throw new ExternalServiceError("dm server", `the dm server at ${this.url} answered ${response.status} with something that is not JSON`, {
        cause: error,
      });
    }
    if (response.ok) return json as T;
    throw this.errorOf(response.status, (json ?? {}) as ErrorBody, request.j1ql, response.headers.get("retry-after"));
  }

  private errorOf(status: number, body: ErrorBody, j1ql: string | undefined, retryAfter: string | null): DmError {
    const message = body.error?.message ?? `the dm server answered ${status}`;
    const details = body.error?.details ?? [];
    const options = { details };
    if (status === 400 && body.error?.code === "query_error" && j1ql !== undefined) {
      const error = new QueryError(message, j1ql, body.error.position);
      // the server's message already says where (and what was expected): keep it as it is
      error.message = message;
      return error;
    }
    if (status === 400 || status === 413) return new InputError(message, options);
    if (status === 401) {
      return new AuthError(`the dm server refused the token: ${message}`, {
        details: ["Check DM_TOKEN (dm token list on the server shows whether it expired or was revoked)."],
      });
    }
    if (status === 403) return new ForbiddenByServer(`the dm server says the token may not do this: ${message}`, options);
    if (status === 404) return new NotFoundError(message, options);
    if (status === 409) return new ConflictError(message, options);
    if (status === 429) {
      return new ExternalServiceError("dm server", `${message}${retryAfter ? ` (retry after ${retryAfter} s)` : ""}`, options);
    }
    return new ExternalServiceError("dm server", `the dm server failed (${status}): ${message}`, options);
  }
}
