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

export interface Session {
  name: string;
  role: "reader" | "maintainer" | "admin";
  expiresOn: number | null;
  /** dm oncall sync has run: the On-call page has something to show */
  oncall: boolean;
}

export interface Forecast {
  status: "done" | "on-time" | "late" | "not-converging";
  pace: number;
  paceWindowDays: number;
  closedInWindow: number;
  daysToFinish?: number;
  finishDate?: number;
  daysLate?: number;
  beforeDue?: boolean;
}

export interface CampaignSummary {
  maintenanceId: string;
  shortDescription: string;
  webLink: string;
  dueDate: number;
  createdOn: number;
  total: number;
  open: number;
  overdue: number;
  closed: { total: number; COMPLETE: number; ERROR: number; RISK_ACCEPTED: number; unknown: number };
  completion: number;
  medianDaysToClose: number | null;
  forecast: Forecast;
  /** share that should be done by now at an even pace */
  expected: number;
  /** expected - completion */
  behind: number;
}

export interface RankedAsset {
  id: string | null;
  key: string;
  name: string;
  type: string;
  owner: string;
  open: number;
  overdue: number;
  maxDaysOverdue: number;
  totalDaysOverdue: number;
}

export interface RankedOwner {
  owner: string;
  assets: number;
  open: number;
  overdue: number;
  maxDaysOverdue: number;
  totalDaysOverdue: number;
}

export interface Overview {
  now: number;
  counts: { total: number; open: number; overdue: number; accepted: number; closed: number; campaigns: number };
  riskiestAssets: RankedAsset[];
  riskiestOwners: RankedOwner[];
  campaigns: CampaignSummary[];
}

export interface CampaignFinding {
  findingId: string;
  assetId: string | null;
  entityKey: string;
  entityName: string;
  entityType: string;
  owner: string;
  status: string;
  dueDate: number;
  daysOverdue: number | null;
  closedOn: number | null;
  closedBy: string | null;
  link: string | null;
  acceptedUntil: number | null;
}

export interface Campaign {
  now: number;
  stats: CampaignSummary & { burndown: { date: string; open: number }[] };
  findings: CampaignFinding[];
}

export interface EntityMetadata {
  _id: string;
  _key: string;
  _type: string;
  _class: string[];
  displayName?: string;
  _source?: string;
  _createdOn: number;
  _beginOn: number;
  _version: number;
  _deleted: boolean;
}

export interface EntityAnswer {
  id: string;
  entity: EntityMetadata;
  properties: Record<string, unknown>;
}

export interface Relationship {
  id: string;
  class: string;
  type: string;
  direction: "out" | "in";
  properties: Record<string, unknown>;
  other: { id: string; key: string; type: string; classes: string[]; displayName: string };
}

export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown> | null;
}

export interface AssetFinding {
  id: string;
  key: string;
  maintenanceId: string;
  shortDescription: string;
  description: string;
  webLink: string;
  dueDate: number;
  closed: boolean;
  closeReason?: string;
  owner?: string;
  maintenanceLink?: string;
  status: string;
  daysOverdue: number | null;
  history: { at: number; what: string; by: string; details?: string }[];
  audit: AuditEntry[];
}

export interface SyncRun {
  id: number;
  integration: string;
  instance: string;
  startedOn: number;
  finishedOn: number | null;
  status: string;
  counts: Record<string, number> | null;
  error: string | null;
}

export interface Oncall {
  configured: boolean;
  groups: { id: string; key: string; name: string; dn: string; members: { id: string; name: string; email: string; since: number | null }[] }[];
  syncs: SyncRun[];
  audit: AuditEntry[];
}

export interface TreeVertex {
  id: string;
  entity: EntityMetadata;
  properties: Record<string, unknown>;
}

export interface TreeEdge {
  id: string;
  fromVertexId: string;
  toVertexId: string;
  relationship: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export type QueryResult =
  | { type: "list"; data: EntityAnswer[]; cursor?: string }
  | { type: "table"; data: Record<string, unknown>[]; cursor?: string }
  | { type: "tree"; data: { vertices: TreeVertex[]; edges: TreeEdge[] } };
