/**
 * The server's JSON API as the dashboard uses it. The token lives in
 * sessionStorage: it goes when the tab closes, and is sent only to this
 * origin, in the Authorization header.
 */
import { useCallback, useEffect, useState } from "react";

const TOKEN_KEY = "dm.token";

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}
export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export interface QueryPosition {
  offset: number;
  line: number;
  column: number;
  length: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string[] = [],
    readonly position?: QueryPosition,
  ) {
    super(message);
  }
}

let onUnauthorized: (error: ApiError) => void = () => undefined;
/** The app signs out when the server stops accepting the token (expired, revoked). */
export function setUnauthorizedHandler(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

export async function api<T>(path: string, options: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const token = options.token ?? storedToken();
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiError(0, "network", "The server does not answer. Is dm serve running?");
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: string[]; position?: QueryPosition } } | undefined)?.error;
    const error = new ApiError(res.status, e?.code ?? "http_error", e?.message ?? `the server answered ${res.status}`, e?.details ?? [], e?.position);
    if (res.status === 401 && options.token === undefined) onUnauthorized(error);
    throw error;
  }
  return body as T;
}

export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload(): void;
}

/** GET a path when it changes; the latest answer wins. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: path !== null });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the reload trigger
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) =>
        current && setState({ error: error instanceof ApiError ? error : new ApiError(0, "client", String(error)), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [path, generation]);
  return { ...state, reload };
}

// ------------------------------------------------------------------ shapes

// The response types come from the server's zod schemas (src/server/schemas.ts):
// one source for the handlers, /api/openapi.json and this client. Type-only:
// nothing of the server is bundled into the dashboard.
export type {
  AssetFinding,
  AssetFindings,
  AuditEntry,
  Campaign,
  CampaignFinding,
  CampaignSummary,
  CloseResult,
  EntityAnswer,
  EntityMetadata,
  EntityPage,
  Finding,
  Forecast,
  Oncall,
  Overview,
  QueryResult,
  QuestionList,
  RankedAsset,
  RankedOwner,
  ReopenResult,
  Relationship,
  Relationships,
  Report,
  SearchResults,
  Session,
  SyncRun,
  Team,
  TreeEdge,
  TreeVertex,
} from "../../src/server/schemas";
