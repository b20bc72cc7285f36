/**
 * A fake Kubernetes API server: the list endpoints of the kinds dm reads,
 * cluster-wide and per namespace, with `limit`/`continue` paging, list items
 * without `kind` (as the API sends them), Bearer-token authentication (401
 * with a Status object), RBAC refusals (403 Status) per resource, and the
 * faults of startFakeServer. `handler` is exported so that a TLS test can
 * serve the same answers over https.
 */
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type FakeReply, type FakeServer, type RecordedRequest, startFakeServer } from "./http.js";

const FIXTURE = path.resolve(import.meta.dirname, "../../src/integrations/kubernetes/fixtures/prod.json");

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects as JSON
type Obj = any;

const RESOURCES: Record<string, { kind: string; group: string }> = {
  namespaces: { kind: "Namespace", group: "/api/v1" },
  nodes: { kind: "Node", group: "/api/v1" },
  services: { kind: "Service", group: "/api/v1" },
  secrets: { kind: "Secret", group: "/api/v1" },
  deployments: { kind: "Deployment", group: "/apis/apps/v1" },
  statefulsets: { kind: "StatefulSet", group: "/apis/apps/v1" },
  daemonsets: { kind: "DaemonSet", group: "/apis/apps/v1" },
  cronjobs: { kind: "CronJob", group: "/apis/batch/v1" },
};

export interface KubeState {
  token: string;
  /** objects as kubectl prints them (with kind) */
  objects: Obj[];
  /** resources (`secrets`) the token may not list: 403 */
  forbidden: Set<string>;
  /** the page size cap the server applies */
  maxPage: number;
}

export function fixtureObjects(): Obj[] {
  return JSON.parse(fs.readFileSync(FIXTURE, "utf8")).items;
}

/** `count` more deployments in namespace `payments`, for paging. */
export function manyDeployments(count: number): Obj[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `worker-${i}`, namespace: "payments", uid: `9a9a9a9a-0000-4000-8000-${String(i).padStart(12, "0")}`, creationTimestamp: "2026-05-01T00:00:00Z" },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "worker", image: `ghcr.io/acme/worker:${i % 3}` }] } } },
  }));
}

const status = (code: number, reason: string, message: string): FakeReply => ({
  status: code,
  json: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code },
});

export function handler(state: KubeState): (req: RecordedRequest) => FakeReply {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${state.token}`) return status(401, "Unauthorized", "Unauthorized");
    // /api/v1/namespaces/{ns}: one namespace
    const one = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(req.path);
    if (one) {
      const ns = state.objects.find((o) => o.kind === "Namespace" && o.metadata.name === decodeURIComponent(one[1]!));
      return ns ? { json: ns } : status(404, "NotFound", `namespaces "${one[1]}" not found`);
    }
    const m = /^(\/api\/v1|\/apis\/apps\/v1|\/apis\/batch\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(req.path);
    const resource = m && RESOURCES[m[3]!];
    if (!m || !resource || resource.group !== m[1]) return status(404, "NotFound", "the server could not find the requested resource");
    const namespace = m[2] && decodeURIComponent(m[2]);
    if (state.forbidden.has(m[3]!)) {
      return status(
        403,
        "Forbidden",
        `${m[3]} is forbidden: User "system:serviceaccount:dm:reader" cannot list resource "${m[3]}" in API group "${m[1] === "/api/v1" ? "" : m[1]!.split("/")[2]}" ${namespace ? `in the namespace "${namespace}"` : "at the cluster scope"}`,
      );
    }
    const all = state.objects.filter((o) => o.kind === resource.kind && (!namespace || o.metadata.namespace === namespace));
    const limit = Math.min(Number(req.query.get("limit") ?? all.length) || all.length, state.maxPage);
    const start = req.query.get("continue") ? Number(Buffer.from(req.query.get("continue")!, "base64url").toString()) : 0;
    const page = all.slice(start, start + limit).map(({ kind: _kind, apiVersion: _v, ...rest }) => rest);
    const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString("base64url") : undefined;
    return {
      json: {
        kind: `${resource.kind}List`,
        apiVersion: m[1] === "/api/v1" ? "v1" : m[1]!.slice(6),
        metadata: { resourceVersion: "48213", ...(next ? { continue: next, remainingItemCount: all.length - start - limit } : {}) },
        items: page,
      },
    };
  };
}

export interface FakeKube extends FakeServer {
  state: KubeState;
}

export async function startFakeKube(options: Partial<KubeState> = {}): Promise<FakeKube> {
  const state: KubeState = {
    token: options.token ?? "kube-token-5f1e2d3c4b5a",
    objects: options.objects ?? fixtureObjects(),
    forbidden: options.forbidden ?? new Set(),
    maxPage: options.maxPage ?? 500,
  };
  const server = await startFakeServer(handler(state));
  return Object.assign(server, { state });
}

/** The same API over https with the given key and certificate (PEM). */
export async function startTlsKube(state: KubeState, tls: { key: string; cert: string }): Promise<{ url: string; close(): Promise<void> }> {
  const serve = handler(state);
  const server = https.createServer(tls, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const reply = serve({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, body: "" });
    res.writeHead(reply.status ?? 200, { "content-type": "application/json" });
    res.end(JSON.stringify(reply.json));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
