/**
 * Vault's HTTP API through the shared ApiClient (`X-Vault-Token`, optional
 * `X-Vault-Namespace`). Only what describes secrets is ever asked: the
 * mounts, the auth methods, LIST and metadata of KV version 2
 * (`/v1/<mount>/metadata/<path>`), userpass users. Never `/data/`: no value
 * is read.
 */
import { z } from "zod";
import { requestJson } from "../../shared/fetch-json.js";
import { registerSecret } from "../../shared/logger.js";
import { ApiClient, type HttpCache } from "../http.js";
import { Mount, SecretMetadata, type VaultUser } from "./map.js";

const AUTH_HINT =
  "Check the Vault token (or AppRole) in the settings: not expired or revoked, with a policy that allows read on sys/mounts and sys/auth and list/read on <mount>/metadata/*.";

const Mounts = z.object({ data: z.record(z.string(), Mount) });
const Keys = z.object({ data: z.object({ keys: z.array(z.string()) }) });
const Metadata = z.object({ data: SecretMetadata });
const UserpassUser = z.object({ data: z.object({ token_policies: z.array(z.string()).nullish(), policies: z.array(z.string()).nullish() }) });

/** A path of segments, each URL-encoded ("app/db creds" → "app/db%20creds"). */
export const encodePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");

export type Listed = { keys: string[] } | { denied: true } | { missing: true };

export interface VaultClientOptions {
  url: string;
  token: string;
  namespace?: string;
  cache?: HttpCache;
  timeoutMs?: number;
}

/** AppRole: POST /v1/auth/approle/login; the client token is registered for redaction at once. */
export async function appRoleLogin(opts: { url: string; namespace?: string; roleId: string; secretId: string; timeoutMs?: number }): Promise<string> {
  const r = await requestJson({
    service: "Vault",
    label: "POST /v1/auth/approle/login",
    url: `${opts.url}/v1/auth/approle/login`,
    method: "POST",
    headers: opts.namespace ? { "x-vault-namespace": opts.namespace } : {},
    body: { role_id: opts.roleId, secret_id: opts.secretId },
    schema: z.object({ auth: z.object({ client_token: z.string().min(1) }) }),
    authHint: "Check approle.roleId and approle.secretId: the secret ID may have expired or been used up (secret_id_num_uses).",
    timeoutMs: opts.timeoutMs,
  });
  const token = r.data!.auth.client_token;
  registerSecret(token);
  return token;
}

export class VaultClient {
  private readonly api: ApiClient;

  constructor(options: VaultClientOptions) {
    this.api = new ApiClient({
      service: "Vault",
      baseUrl: options.url,
      headers: { "x-vault-token": options.token, ...(options.namespace ? { "x-vault-namespace": options.namespace } : {}) },
      authHint: AUTH_HINT,
      cache: options.cache,
      timeoutMs: options.timeoutMs,
    });
  }

  async mounts(): Promise<Record<string, Mount>> {
    return (await this.api.get("/v1/sys/mounts", Mounts)).data!.data;
  }

  async auths(): Promise<Record<string, Mount>> {
    return (await this.api.get("/v1/sys/auth", Mounts)).data!.data;
  }

  /** LIST as Vault accepts it over GET (`?list=true`); 404 is an empty folder, 403 a folder the token may not list. */
  async list(path: string): Promise<Listed> {
    const r = await this.api.get(`/v1/${path}`, Keys, { query: { list: "true" }, accept: [403, 404] });
    if (r.status === 403) return { denied: true };
    if (r.status === 404 || r.data === undefined) return { missing: true };
    return { keys: r.data.data.keys };
  }

  /** The metadata of one KV v2 secret (no value); undefined when refused (403) or gone (404). */
  async metadata(mount: string, path: string): Promise<SecretMetadata | undefined | "denied"> {
    const r = await this.api.get(`/v1/${encodePath(mount.replace(/\/+$/, ""))}/metadata/${encodePath(path)}`, Metadata, { accept: [403, 404] });
    if (r.status === 403) return "denied";
    return r.data?.data;
  }

  /** A userpass user's policies; undefined when refused or gone. */
  async userpassUser(mount: string, name: string): Promise<VaultUser | undefined> {
    const r = await this.api.get(`/v1/auth/${encodePath(mount.replace(/\/+$/, ""))}/users/${encodeURIComponent(name)}`, UserpassUser, {
      accept: [403, 404],
    });
    if (!r.data) return undefined;
    return { name, policies: r.data.data.token_policies ?? r.data.data.policies ?? undefined };
  }
}
