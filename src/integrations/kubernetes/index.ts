/**
 * `kubernetes`: one cluster's namespaces, workloads (deployments, stateful
 * sets, daemon sets, cron jobs) with their container images, services,
 * secrets (metadata only) and nodes, from the API server of a kubeconfig
 * context, or offline from `kubectl get ... -o json` files.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { Duration } from "../settings.js";
import { InputError } from "../../shared/errors.js";
import { resolveFile } from "../file-source.js";
import { ApiClient } from "../http.js";
import type { Integration, SyncContext } from "../types.js";
import { ENDPOINTS, getNamespace, listAll } from "./client.js";
import { itemWarning, parseKubectlJson } from "./files.js";
import { loadKubeconfig } from "./kubeconfig.js";
import { KubeGraph } from "./map.js";


export const KubernetesConfig = z
  .object({
    /** the cluster's name in the graph (kube_cluster) */
    cluster: z.string().min(1, "cluster must name the cluster (e.g. prod)").describe("the cluster's name, e.g. prod"),
    /** default: KUBECONFIG, else ~/.kube/config */
    kubeconfig: z.string().min(1).optional(),
    /** the kubeconfig context; default: its current-context */
    context: z.string().min(1).optional(),
    /** offline: `kubectl get deploy,sts,ds,cronjob,svc,ns,nodes,secrets -A -o json` output */
    files: z.array(z.string().min(1)).min(1, "files must list at least one file").optional(),
    /** only these namespaces */
    namespaces: z.array(z.string().min(1)).min(1).optional(),
    /** per API request (default 10s) */
    timeout: Duration("2s, 30s, 1m").optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.files && c.kubeconfig) {
      ctx.addIssue({ code: "custom", path: ["files"], message: "give kubeconfig or files, not both" });
    }
    if (c.files && c.context) {
      ctx.addIssue({ code: "custom", path: ["context"], message: "context is a kubeconfig setting; files are read as they are" });
    }
  });
export type KubernetesConfig = z.infer<typeof KubernetesConfig>;

const AUTH_HINT =
  "Check the kubeconfig user's credentials (a service account token expires: kubectl create token <sa>) and that its RBAC allows get/list on namespaces, nodes, deployments, statefulsets, daemonsets, cronjobs, services and secrets (e.g. a ClusterRoleBinding to the view ClusterRole plus list on secrets).";

function kubeconfigPath(ctx: SyncContext<KubernetesConfig>): { file: string; label: string } {
  if (ctx.config.kubeconfig) return { file: resolveFile(ctx.cwd, ctx.config.kubeconfig), label: ctx.config.kubeconfig };
  const env = ctx.env("KUBECONFIG");
  // KUBECONFIG may list several files; the first is where kubectl's contexts usually are
  const first = env?.split(path.delimiter).find((p) => p !== "");
  if (first) return { file: resolveFile(ctx.cwd, first), label: `${first} (KUBECONFIG)` };
  const home = ctx.env("HOME") ?? os.homedir();
  return { file: path.join(home, ".kube", "config"), label: "~/.kube/config" };
}

async function* fromFiles(ctx: SyncContext<KubernetesConfig>, files: string[]) {
  const graph = new KubeGraph({ cluster: ctx.config.cluster, ...(ctx.config.namespaces ? { namespaces: ctx.config.namespaces } : {}) });
  let done = 0;
  for (const name of files) {
    let text: string;
    try {
      text = await fs.readFile(resolveFile(ctx.cwd, name), "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(`kubernetes files: cannot read ${name}: ${code === "ENOENT" ? "no such file" : (code ?? (error as Error).message)}`, {
        cause: error,
      });
    }
    for (const { object, kind, index } of parseKubectlJson(text, name).objects) {
      const problem = graph.add(object, kind);
      if (problem) ctx.warn(itemWarning(text, name, index, problem));
    }
    ctx.progress(++done, files.length, "files");
  }
  yield graph.records();
}

async function* fromApi(ctx: SyncContext<KubernetesConfig>) {
  const { file, label } = kubeconfigPath(ctx);
  const access = loadKubeconfig(file, ctx.config.context, label);
  const api = new ApiClient({
    service: "Kubernetes",
    baseUrl: access.server,
    headers: access.headers,
    authHint: AUTH_HINT,
    ...(access.tls ? { tls: access.tls } : {}),
    ...(ctx.config.timeout ? { timeoutMs: ctx.config.timeout } : {}),
  });
  const graph = new KubeGraph({
    cluster: ctx.config.cluster,
    server: access.server,
    skipTlsVerify: access.skipTlsVerify,
    ...(ctx.config.namespaces ? { namespaces: ctx.config.namespaces } : {}),
  });
  const forbidden = (p: string, what: string) =>
    ctx.warn({ file: p, message: `HTTP 403: the account may not ${what}; they are left out (and nothing is deleted). ${AUTH_HINT.split(". ")[1]}` });
  const namespaces = ctx.config.namespaces;
  let done = 0;
  const total = ENDPOINTS.length;
  for (const endpoint of ENDPOINTS) {
    if (endpoint.kind === "Namespace" && namespaces) {
      for (const name of namespaces) {
        const ns = await getNamespace(api, name);
        if (ns === "forbidden") forbidden(`/api/v1/namespaces/${name}`, `read namespace ${name}`);
        else if (ns === undefined) ctx.warn({ file: `/api/v1/namespaces/${name}`, message: `namespace ${name} (from the namespaces setting) does not exist` });
        else graph.add(ns, "Namespace");
      }
    } else if (endpoint.namespaced && namespaces) {
      for (const namespace of namespaces) {
        const result = await listAll(api, endpoint, { namespace });
        if ("forbidden" in result) forbidden(result.path, `list ${endpoint.resource} in ${namespace}`);
        else for (const item of result.items) graph.add(item, endpoint.kind);
      }
    } else {
      // without a namespaces filter, the namespaces list must work: a refusal there is a failed run
      const result = await listAll(api, endpoint, { strict: endpoint.kind === "Namespace" });
      if ("forbidden" in result) forbidden(result.path, `list ${endpoint.resource}`);
      else for (const item of result.items) graph.add(item, endpoint.kind);
    }
    ctx.progress(++done, total, "kinds");
  }
  yield graph.records();
}

export const kubernetesIntegration: Integration<KubernetesConfig> = {
  id: "kubernetes",
  description: "a Kubernetes cluster's workloads, images, services, secrets (metadata) and nodes, from the API or kubectl JSON",
  configSchema: KubernetesConfig,
  instanceName: (config) => `kubernetes:${config.cluster}`,
  sync: (ctx) => (ctx.config.files ? fromFiles(ctx, ctx.config.files) : fromApi(ctx)),
};
