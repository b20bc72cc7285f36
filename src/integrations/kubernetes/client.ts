/**
 * The Kubernetes API's list endpoints, `limit`/`continue` paging. Items of a
 * list carry no `kind`: the endpoint says what they are. Only the fields the
 * map reads survive the schema (a Secret's `data` is dropped as it is
 * parsed), and nothing is cached between runs: a list answer may hold
 * secrets.
 */
import { z } from "zod";
import type { ApiClient } from "../http.js";
import type { KubeKind, KubeObject } from "./map.js";

export interface Endpoint {
  kind: KubeKind;
  /** the API group prefix: `/api/v1`, `/apis/apps/v1`, `/apis/batch/v1` */
  group: string;
  resource: string;
  namespaced: boolean;
}

export const ENDPOINTS: readonly Endpoint[] = [
  { kind: "Namespace", group: "/api/v1", resource: "namespaces", namespaced: false },
  { kind: "Node", group: "/api/v1", resource: "nodes", namespaced: false },
  { kind: "Deployment", group: "/apis/apps/v1", resource: "deployments", namespaced: true },
  { kind: "StatefulSet", group: "/apis/apps/v1", resource: "statefulsets", namespaced: true },
  { kind: "DaemonSet", group: "/apis/apps/v1", resource: "daemonsets", namespaced: true },
  { kind: "CronJob", group: "/apis/batch/v1", resource: "cronjobs", namespaced: true },
  { kind: "Service", group: "/api/v1", resource: "services", namespaced: true },
  { kind: "Secret", group: "/api/v1", resource: "secrets", namespaced: true },
];

const Metadata = z.object({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  creationTimestamp: z.string().optional(),
});

/** What is kept of an item: metadata, spec, status and a Secret's type; `data` and `stringData` are stripped. */
const Item = z.object({
  kind: z.string().optional(),
  metadata: Metadata.optional(),
  spec: z.unknown().optional(),
  status: z.unknown().optional(),
  type: z.string().optional(),
});

const List = z.object({
  items: z.array(Item).nullable(),
  metadata: z.object({ continue: z.string().optional() }).optional(),
});

export const PAGE_SIZE = 500;

export type ListResult = { items: KubeObject[] } | { forbidden: true; path: string };

/**
 * Every item of one endpoint (cluster-wide, or in one namespace), page by
 * page. A 403 comes back as `forbidden` (the account may not list this
 * kind): the caller warns and goes on; 401 and the rest throw.
 */
export async function listAll(
  api: ApiClient,
  endpoint: Endpoint,
  opts: { namespace?: string; strict?: boolean } = {},
): Promise<ListResult> {
  const namespace = opts.namespace;
  const path = namespace && endpoint.namespaced
    ? `${endpoint.group}/namespaces/${encodeURIComponent(namespace)}/${endpoint.resource}`
    : `${endpoint.group}/${endpoint.resource}`;
  const items: KubeObject[] = [];
  let cont: string | undefined;
  do {
    const answer = await api.get(path, List, { query: { limit: PAGE_SIZE, continue: cont }, accept: opts.strict ? [] : [403] });
    if (answer.data === undefined) return { forbidden: true, path };
    for (const item of answer.data.items ?? []) items.push(item as KubeObject);
    cont = answer.data.metadata?.continue || undefined;
  } while (cont);
  return { items };
}

/** One namespace by name (the `namespaces` setting); undefined when it does not exist. */
export async function getNamespace(api: ApiClient, name: string): Promise<KubeObject | undefined | "forbidden"> {
  const answer = await api.get(`/api/v1/namespaces/${encodeURIComponent(name)}`, Item, { accept: [404, 403] });
  if (answer.status === 403) return "forbidden";
  return answer.data as KubeObject | undefined;
}
