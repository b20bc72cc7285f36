/**
 * A kubeconfig: the context (given, or current-context), its cluster's
 * server and CA, its user's token or client certificate. Paths in the file
 * are relative to the file, as kubectl reads them. Exec and auth-provider
 * plugins are not run: dm says so and names what works instead.
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError } from "../../shared/errors.js";
import type { TlsOptions } from "../../shared/fetch-json.js";
import { registerSecret } from "../../shared/logger.js";

export interface KubeAccess {
  context: string;
  server: string;
  tls?: TlsOptions;
  skipTlsVerify: boolean;
  /** authorization; never printed */
  headers: Record<string, string>;
}

type Named<T> = Array<{ name?: string } & T>;

interface Kubeconfig {
  "current-context"?: string;
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>;
  clusters?: Named<{
    cluster?: {
      server?: string;
      "certificate-authority"?: string;
      "certificate-authority-data"?: string;
      "insecure-skip-tls-verify"?: boolean;
    };
  }>;
  users?: Named<{
    user?: {
      token?: string;
      tokenFile?: string;
      "client-certificate"?: string;
      "client-certificate-data"?: string;
      "client-key"?: string;
      "client-key-data"?: string;
      exec?: unknown;
      "auth-provider"?: unknown;
      username?: string;
    };
  }>;
}

function readRelative(file: string, ref: string, what: string, label: string): string {
  const full = path.resolve(path.dirname(file), ref);
  try {
    return fs.readFileSync(full, "utf8");
  } catch (error) {
    throw new InputError(`${label}: ${what} ${full}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      cause: error,
    });
  }
}

const base64 = (data: string) => Buffer.from(data, "base64").toString("utf8");

/** Read `file` (already resolved) for `context` (default: its current-context). */
export function loadKubeconfig(file: string, context: string | undefined, label = file): KubeAccess {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`kubeconfig: cannot read ${label}: ${code === "ENOENT" ? "no such file" : (code ?? (error as Error).message)}`, {
      cause: error,
    });
  }
  let doc: Kubeconfig;
  try {
    doc = (parseYaml(text) ?? {}) as Kubeconfig;
  } catch (error) {
    throw new InputError(`kubeconfig ${label}: not YAML: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
  const contextName = context ?? doc["current-context"];
  if (!contextName) throw new InputError(`kubeconfig ${label}: no current-context; set context: in the kubernetes settings`);
  const ctx = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!ctx) {
    const known = (doc.contexts ?? []).map((c) => c.name).filter(Boolean);
    throw new InputError(`kubeconfig ${label}: no context "${contextName}"${known.length ? ` (it has ${known.join(", ")})` : ""}`);
  }
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new InputError(`kubeconfig ${label}: context "${contextName}" names cluster "${ctx.cluster}", which has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const where = `kubeconfig ${label}, user "${ctx.user ?? ""}"`;

  const headers: Record<string, string> = {};
  let token = user.token ?? (user.tokenFile ? readRelative(file, user.tokenFile, "tokenFile", where).trim() : undefined);
  if (token !== undefined) {
    token = token.trim();
    registerSecret(token);
    headers.authorization = `Bearer ${token}`;
  }
  const cert = user["client-certificate-data"]
    ? base64(user["client-certificate-data"])
    : user["client-certificate"]
      ? readRelative(file, user["client-certificate"], "client-certificate", where)
      : undefined;
  const key = user["client-key-data"]
    ? base64(user["client-key-data"])
    : user["client-key"]
      ? readRelative(file, user["client-key"], "client-key", where)
      : undefined;
  if (key) registerSecret(key);
  if (token === undefined && !(cert && key)) {
    const why = user.exec || user["auth-provider"] ? "uses an exec/auth-provider plugin, which dm does not run" : "has no token and no client certificate";
    throw new InputError(`${where} ${why}: give it a token (a service account's, e.g. kubectl create token) or tokenFile, or a client certificate and key`);
  }
  const ca = cluster["certificate-authority-data"]
    ? base64(cluster["certificate-authority-data"])
    : cluster["certificate-authority"]
      ? readRelative(file, cluster["certificate-authority"], "certificate-authority", `kubeconfig ${label}, cluster "${ctx.cluster}"`)
      : undefined;
  const skipTlsVerify = cluster["insecure-skip-tls-verify"] === true;
  const tls: TlsOptions | undefined =
    ca || cert || key || skipTlsVerify
      ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(skipTlsVerify ? { rejectUnauthorized: false } : {}) }
      : undefined;
  return { context: contextName, server: cluster.server, ...(tls ? { tls } : {}), skipTlsVerify, headers };
}
