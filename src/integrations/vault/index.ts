/**
 * `vault`: HashiCorp Vault's engines, auth methods, userpass users and the
 * metadata of KV version 2 secrets (created, updated, versions, rotated) under
 * the configured mounts and paths. Values are never read: only LIST and
 * `/metadata/` endpoints.
 *
 *   - id: vault
 *     url: https://vault.example.com
 *     token: env:VAULT_TOKEN               # or approle: {roleId: ..., secretId: env:...}
 *     mounts: [secret]
 */
import { z } from "zod";
import { CredentialRef } from "../credentials.js";
import { Duration } from "../settings.js";
import type { Integration, SyncContext } from "../types.js";
import { appRoleLogin, encodePath, VaultClient } from "./client.js";
import { isKv2, type Mount, type SecretMetadata, type VaultUser, vaultGraph } from "./map.js";

const REF = /^(env:|file:|vault:)/;

export const VaultConfig = z
  .object({
    url: z.string().regex(/^https?:\/\/[^/\s]+/, "an http(s) URL, e.g. https://vault.example.com"),
    token: CredentialRef.optional(),
    approle: z
      .object({
        /** not a secret (HashiCorp compares it to a username): written inline, or a reference */
        roleId: z.string().min(1),
        secretId: CredentialRef,
      })
      .strict()
      .optional(),
    /** KV version 2 mounts to walk; default every KV v2 mount sys/mounts lists */
    mounts: z.array(z.string().min(1)).min(1).optional(),
    /** path prefixes within each mount (e.g. app/, infra/db); default everything */
    paths: z.array(z.string().min(1)).min(1).optional(),
    /** Vault Enterprise namespace (X-Vault-Namespace) */
    namespace: z.string().min(1).optional(),
    /** per request; default 10s */
    timeout: Duration().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.token === undefined) === (c.approle === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["token"],
        message: "give token (e.g. env:VAULT_TOKEN) or approle ({roleId: ..., secretId: env:...}), one of them",
      });
    }
  });
export type VaultConfig = z.infer<typeof VaultConfig>;

const baseUrl = (c: VaultConfig) => c.url.replace(/\/+$/, "");
const asMount = (m: string) => `${m.replace(/^\/+|\/+$/g, "")}/`;

async function tokenOf(ctx: SyncContext<VaultConfig>, timeoutMs: number | undefined): Promise<string> {
  const c = ctx.config;
  if (c.token) return ctx.secret(c.token, "token");
  const roleId = REF.test(c.approle!.roleId) ? await ctx.secret(c.approle!.roleId, "approle.roleId") : c.approle!.roleId;
  const secretId = await ctx.secret(c.approle!.secretId, "approle.secretId");
  return appRoleLogin({ url: baseUrl(c), namespace: c.namespace, roleId, secretId, timeoutMs });
}

/** Does a path (folder "a/b/" or secret "a/b/c") lie under, or lead to, one of the prefixes? */
function wanted(path: string, prefixes: string[] | undefined, folder: boolean): boolean {
  if (!prefixes) return true;
  return prefixes.some((p) => path.startsWith(p) || (folder && p.startsWith(path)));
}

/** Every KV v2 secret of a mount under the prefixes, with its metadata; problems are warnings. */
async function walk(
  ctx: SyncContext<VaultConfig>,
  client: VaultClient,
  mount: string,
  found: { path: string; metadata: SecretMetadata }[],
): Promise<void> {
  const prefixes = ctx.config.paths?.map((p) => p.replace(/^\/+/, ""));
  const folders = [""];
  while (folders.length > 0) {
    const folder = folders.shift()!;
    const listed = await client.list(`${encodePath(mount.replace(/\/+$/, ""))}/metadata/${encodePath(folder)}`);
    if ("denied" in listed) {
      ctx.warn({
        file: `${mount}${folder}`,
        message: `Vault (LIST /v1/${mount}metadata/${folder}): permission denied, skipped. The token's policy needs list on ${mount}metadata/${folder}*.`,
      });
      continue;
    }
    if ("missing" in listed) continue; // an empty mount or folder
    const secrets: string[] = [];
    for (const key of listed.keys.sort()) {
      const path = `${folder}${key}`;
      if (key.endsWith("/")) {
        if (wanted(path, prefixes, true)) folders.push(path);
      } else if (wanted(path, prefixes, false)) secrets.push(path);
    }
    // a few metadata reads at once
    for (let i = 0; i < secrets.length; i += 8) {
      const chunk = secrets.slice(i, i + 8);
      const answers = await Promise.all(chunk.map((p) => client.metadata(mount, p)));
      answers.forEach((metadata, j) => {
        if (metadata === "denied") {
          ctx.warn({
            file: `${mount}${chunk[j]}`,
            message: `Vault (GET /v1/${mount}metadata/${chunk[j]}): permission denied, skipped. The token's policy needs read on ${mount}metadata/${chunk[j]}.`,
          });
        } else if (metadata) found.push({ path: chunk[j]!, metadata });
      });
      ctx.progress(found.length, undefined, "secrets");
    }
  }
}

export const vaultIntegration: Integration<VaultConfig> = {
  id: "vault",
  description: "HashiCorp Vault engines, auth methods, userpass users and KV v2 secret metadata (never values)",
  configSchema: VaultConfig,
  instanceName: (c) => `vault:${baseUrl(c)}${c.namespace ? `#${c.namespace}` : ""}`,
  async *sync(ctx) {
    const c = ctx.config;
    const timeoutMs = c.timeout;
    const token = await tokenOf(ctx, timeoutMs);
    const client = new VaultClient({ url: baseUrl(c), token, namespace: c.namespace, cache: ctx.cache, timeoutMs });
    const mounts = await client.mounts();
    const auths = await client.auths();
    let selected: string[];
    if (c.mounts) {
      selected = [];
      for (const m of c.mounts.map(asMount)) {
        const mount: Mount | undefined = mounts[m];
        if (!mount) ctx.warn({ file: m, message: `mounts: Vault has no mount ${m} (or the token may not see it)` });
        else if (!isKv2(mount)) ctx.warn({ file: m, message: `mounts: ${m} is not a KV version 2 engine (${mount.type}${mount.options?.version ? ` version ${mount.options.version}` : ""}): not walked` });
        else selected.push(m);
      }
    } else {
      selected = Object.keys(mounts).filter((m) => isKv2(mounts[m]!)).sort();
    }
    const secrets: Record<string, { path: string; metadata: SecretMetadata }[]> = {};
    for (const mount of selected) {
      const found: { path: string; metadata: SecretMetadata }[] = [];
      await walk(ctx, client, mount, found);
      secrets[mount] = found.sort((a, b) => a.path.localeCompare(b.path));
    }
    const users: Record<string, VaultUser[]> = {};
    for (const [mount, auth] of Object.entries(auths)) {
      if (auth.type !== "userpass") continue;
      const listed = await client.list(`auth/${encodePath(mount.replace(/\/+$/, ""))}/users`);
      if ("denied" in listed) {
        ctx.warn({
          file: `auth/${mount}`,
          message: `Vault (LIST /v1/auth/${mount}users): permission denied, its users skipped. The token's policy needs list and read on auth/${mount}users/*.`,
        });
        continue;
      }
      const names = "keys" in listed ? listed.keys.sort() : [];
      const list: VaultUser[] = [];
      for (const name of names) list.push((await client.userpassUser(mount, name)) ?? { name });
      users[mount] = list;
    }
    yield vaultGraph({ url: baseUrl(c), namespace: c.namespace, mounts, auths, users, secrets });
  },
};
