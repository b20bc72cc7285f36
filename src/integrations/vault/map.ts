/**
 * HashiCorp Vault answers → JupiterOne's graph-hashicorp-vault model (pure:
 * no I/O, so `dm demo` can feed canned answers through it).
 *
 * JupiterOne writes `hashicorp_vault_account` (Account) -HAS->
 * `hashicorp_vault_engine` (Service) -HAS-> `hashicorp_vault_secret`
 * (Secret), the account -HAS-> `hashicorp_vault_auth_backend` (Service)
 * -HAS-> `hashicorp_vault_user` (User, from userpass), and account -HAS->
 * user. Its engine `name` is the engine's kind (`kv2`, `kv1`, `cubbyhole`),
 * the mount path is the `displayName`; a secret's `name` is its path with
 * the mount. dm adds the metadata of KV version 2 secrets (never a value):
 * `createdOn`, `updatedOn`, `versions`, `currentVersion`, `rotatedOn`.
 */
import { z } from "zod";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";

export const Mount = z.object({
  type: z.string(),
  description: z.string().nullish(),
  accessor: z.string().nullish(),
  uuid: z.string().nullish(),
  local: z.boolean().nullish(),
  seal_wrap: z.boolean().nullish(),
  options: z.record(z.string(), z.string().nullish()).nullish(),
});
export type Mount = z.infer<typeof Mount>;

/** GET /v1/<mount>/metadata/<path>: versions and times, no values */
export const SecretMetadata = z.object({
  created_time: z.string().nullish(),
  updated_time: z.string().nullish(),
  current_version: z.number().nullish(),
  oldest_version: z.number().nullish(),
  max_versions: z.number().nullish(),
  cas_required: z.boolean().nullish(),
  delete_version_after: z.string().nullish(),
  custom_metadata: z.record(z.string(), z.string()).nullish(),
  versions: z
    .record(z.string(), z.object({ created_time: z.string().nullish(), deletion_time: z.string().nullish(), destroyed: z.boolean().nullish() }))
    .nullish(),
});
export type SecretMetadata = z.infer<typeof SecretMetadata>;

export interface VaultUser {
  name: string;
  policies?: string[];
}

/** What one sync read. Mount paths end in "/" as Vault lists them. */
export interface VaultSnapshot {
  /** https://vault.example.com (no trailing slash) */
  url: string;
  namespace?: string;
  mounts: Record<string, Mount>;
  auths: Record<string, Mount>;
  /** by auth mount path (userpass ones) */
  users: Record<string, VaultUser[]>;
  /** by engine mount path: secret path (within the mount) → metadata */
  secrets: Record<string, { path: string; metadata: SecretMetadata }[]>;
}

/** The account's id in keys: host (and namespace), so two Vaults never share a key. */
export function accountId(url: string, namespace?: string): string {
  const host = new URL(url).host;
  return namespace ? `${host}/${namespace.replace(/^\/+|\/+$/g, "")}` : host;
}

const trim = (mount: string) => mount.replace(/\/+$/, "");

/** The engine's kind as JupiterOne names it: kv1, kv2, cubbyhole, else Vault's type. */
export function engineKind(m: Mount): string {
  if (m.type === "kv") return m.options?.version === "2" ? "kv2" : "kv1";
  if (m.type === "cubbyhole" || m.type === "ns_cubbyhole") return "cubbyhole";
  return m.type;
}

export const isKv2 = (m: Mount) => m.type === "kv" && m.options?.version === "2";

function epoch(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) || t <= 0 ? undefined : t;
}

function defined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

function uiLink(s: VaultSnapshot, route: string): string {
  return `${s.url}/ui/vault/${route}${s.namespace ? `?namespace=${encodeURIComponent(s.namespace)}` : ""}`;
}

export const accountKey = (acct: string) => `hashicorp_vault_account:${acct}`;
export const engineKey = (acct: string, mount: string) => `hashicorp_vault_engine:${acct}:${trim(mount)}`;
export const secretKey = (acct: string, mount: string, path: string) => `hashicorp_vault_secret:${acct}:${trim(mount)}/${path}`;
export const authBackendKey = (acct: string, mount: string) => `hashicorp_vault_auth_backend:${acct}:${trim(mount)}`;
export const userKey = (acct: string, mount: string, name: string) => `hashicorp_vault_user:${acct}:${trim(mount)}:${name}`;

export function accountEntity(s: VaultSnapshot): EntityRecord {
  const acct = accountId(s.url, s.namespace);
  return defined({
    _key: accountKey(acct),
    _type: "hashicorp_vault_account",
    _class: "Account",
    name: acct,
    displayName: acct,
    vendor: "HashiCorp",
    namespace: s.namespace,
    accessURL: uiLink(s, ""),
    webLink: uiLink(s, ""),
  });
}

export function engineEntity(s: VaultSnapshot, mount: string, m: Mount): EntityRecord {
  return defined({
    _key: engineKey(accountId(s.url, s.namespace), mount),
    _type: "hashicorp_vault_engine",
    _class: "Service",
    name: engineKind(m),
    displayName: mount,
    mount: trim(mount),
    type: m.type,
    version: m.options?.version ?? undefined,
    description: m.description || undefined,
    id: m.uuid ?? undefined,
    accessor: m.accessor ?? undefined,
    local: m.local ?? undefined,
    sealWrap: m.seal_wrap ?? undefined,
    category: ["software"],
    function: ["encryption", "key-management", "password-management"],
    webLink: uiLink(s, `secrets/${encodeURIComponent(trim(mount))}`),
  });
}

/**
 * A KV v2 secret from its metadata: `createdOn` when the secret was first
 * written, `updatedOn` its metadata's last update, `rotatedOn` when the
 * current version was written, `versions` how many versions Vault keeps.
 * Custom metadata (never secret values) become `tag.<key>` properties.
 */
export function secretEntity(s: VaultSnapshot, mount: string, path: string, md: SecretMetadata): EntityRecord {
  const versions = md.versions ?? {};
  const current = md.current_version != null ? versions[String(md.current_version)] : undefined;
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.custom_metadata ?? {})) if (/^[A-Za-z0-9. -]+$/.test(k)) tags[`tag.${k}`] = v;
  const name = `${trim(mount)}/${path}`;
  return defined({
    _key: secretKey(accountId(s.url, s.namespace), mount, path),
    _type: "hashicorp_vault_secret",
    _class: "Secret",
    name,
    displayName: name,
    mount: trim(mount),
    path,
    engineType: "kv2",
    createdOn: epoch(md.created_time),
    updatedOn: epoch(md.updated_time),
    rotatedOn: epoch(current?.created_time),
    currentVersion: md.current_version ?? undefined,
    versions: Object.keys(versions).length,
    oldestVersion: md.oldest_version ?? undefined,
    maxVersions: md.max_versions ?? undefined,
    // the current version deleted (recoverable) or destroyed: no value to read now
    currentVersionDeleted: current ? Boolean(epoch(current.deletion_time)) || current.destroyed === true : undefined,
    currentVersionDestroyed: current?.destroyed ?? undefined,
    webLink: uiLink(s, `secrets/${encodeURIComponent(trim(mount))}/kv/${encodeURIComponent(path)}`),
    ...tags,
  });
}

export function authBackendEntity(s: VaultSnapshot, mount: string, m: Mount): EntityRecord {
  return defined({
    _key: authBackendKey(accountId(s.url, s.namespace), mount),
    _type: "hashicorp_vault_auth_backend",
    _class: "Service",
    name: mount,
    displayName: mount,
    mount: trim(mount),
    type: m.type,
    description: m.description || undefined,
    id: m.uuid ?? undefined,
    accessor: m.accessor ?? undefined,
    local: m.local ?? undefined,
    category: ["software"],
    function: ["authentication"],
    webLink: uiLink(s, `access/${encodeURIComponent(trim(mount))}`),
  });
}

/** A userpass user; a username that is an email is also its `email` (lowercased). */
export function userEntity(s: VaultSnapshot, mount: string, u: VaultUser): EntityRecord {
  const email = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(u.name) ? u.name.toLowerCase() : undefined;
  return defined({
    _key: userKey(accountId(s.url, s.namespace), mount, u.name),
    _type: "hashicorp_vault_user",
    _class: "User",
    name: u.name,
    displayName: u.name,
    username: [u.name],
    shortLoginId: [u.name.split("@")[0]!],
    email: email ? [email] : null,
    firstName: null,
    lastName: null,
    active: true,
    authBackend: trim(mount),
    policies: u.policies,
  });
}

function has(type: string, from: string, to: string): RelationshipRecord {
  return { _key: `${from}|has|${to}`, _type: type, _class: "HAS", _fromEntityKey: from, _toEntityKey: to };
}

export function vaultGraph(s: VaultSnapshot): { entities: EntityRecord[]; relationships: RelationshipRecord[] } {
  const account = accountEntity(s);
  const entities: EntityRecord[] = [account];
  const relationships: RelationshipRecord[] = [];
  for (const [mount, m] of Object.entries(s.mounts).sort(([a], [b]) => a.localeCompare(b))) {
    const engine = engineEntity(s, mount, m);
    entities.push(engine);
    relationships.push(has("hashicorp_vault_account_has_engine", account._key, engine._key));
    for (const { path, metadata } of s.secrets[mount] ?? []) {
      const secret = secretEntity(s, mount, path, metadata);
      entities.push(secret);
      relationships.push(has("hashicorp_vault_engine_has_secret", engine._key, secret._key));
    }
  }
  for (const [mount, m] of Object.entries(s.auths).sort(([a], [b]) => a.localeCompare(b))) {
    const backend = authBackendEntity(s, mount, m);
    entities.push(backend);
    relationships.push(has("hashicorp_vault_account_has_auth_backend", account._key, backend._key));
    for (const u of s.users[mount] ?? []) {
      const user = userEntity(s, mount, u);
      entities.push(user);
      relationships.push(has("hashicorp_vault_auth_backend_has_user", backend._key, user._key));
      relationships.push(has("hashicorp_vault_account_has_user", account._key, user._key));
    }
  }
  return { entities, relationships };
}
