/**
 * Vault, the parts dm uses, as documented. KV version 2: GET
 * /v1/<mount>/data/<path> answers `{ data: { data: {...}, metadata: {...} } }`
 * (the on-call feature reads its credentials so); LIST (GET with
 * `?list=true`, or the LIST method) /v1/<mount>/metadata/<folder> answers
 * `{ data: { keys: [...] } }` (folders end in "/", 404 when empty); GET
 * /v1/<mount>/metadata/<path> the versions and times. GET /v1/sys/mounts and
 * /v1/sys/auth list engines and auth methods (keyed by path, also under
 * `data`); LIST /v1/auth/<userpass>/users and GET .../users/<name>;
 * POST /v1/auth/approle/login. The token goes in X-Vault-Token (403
 * "permission denied" when wrong, as Vault answers); a missing path is 404.
 * A path in `forbidden` answers 403 (a policy without that path).
 */
import { type FakeServer, startFakeServer } from "./http.js";

export interface FakeMount {
  type: string;
  description?: string;
  options?: Record<string, string> | null;
}

export interface FakeSecretMeta {
  /** ISO creation time of each version, oldest first (version 1, 2, ...) */
  versions: string[];
  /** default: the last */
  currentVersion?: number;
  /** ISO; when set, updated_time (else the current version's time) */
  updatedTime?: string;
  custom?: Record<string, string>;
  /** the current version deleted */
  deletedTime?: string;
}

export interface FakeVault extends FakeServer {
  /** "secret/dm" (mount/path) → key/values */
  secrets: Map<string, Record<string, string>>;
  /** "secret/app/db" (mount/path) → KV v2 metadata; secrets without one get one version of 2026-01-01 */
  metadata: Map<string, FakeSecretMeta>;
  /** by path with its slash ("secret/") */
  mounts: Record<string, FakeMount>;
  auths: Record<string, FakeMount>;
  /** userpass users by auth path ("userpass/") → name → policies */
  users: Map<string, Map<string, string[]>>;
  /** AppRole: a login with these answers clientToken, which is then accepted like the token */
  approle?: { roleId: string; secretId: string; clientToken: string };
  /** paths answered 403 */
  forbidden: Set<string>;
}

const mountInfo = (path: string, m: FakeMount, i: number) => ({
  type: m.type,
  description: m.description ?? "",
  accessor: `${m.type}_${(0x1a2b3c4d + i).toString(16)}`,
  uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false },
  local: path === "cubbyhole/",
  seal_wrap: false,
  external_entropy_access: false,
  options: m.options ?? null,
});

const envelope = (data: unknown) => ({
  request_id: "00000000-0000-0000-0000-000000000000",
  lease_id: "",
  renewable: false,
  lease_duration: 0,
  data,
  wrap_info: null,
  warnings: null,
  auth: null,
});

export async function startFakeVault(options: { token: string }): Promise<FakeVault> {
  const secrets = new Map<string, Record<string, string>>();
  const state = {
    metadata: new Map<string, FakeSecretMeta>(),
    mounts: {
      "cubbyhole/": { type: "cubbyhole", description: "per-token private secret storage" },
      "identity/": { type: "identity", description: "identity store" },
      "secret/": { type: "kv", description: "key/value secret storage", options: { version: "2" } },
      "sys/": { type: "system", description: "system endpoints used for control, policy and debugging" },
    } as Record<string, FakeMount>,
    auths: { "token/": { type: "token", description: "token based credentials" } } as Record<string, FakeMount>,
    users: new Map<string, Map<string, string[]>>(),
    approle: undefined as FakeVault["approle"],
    forbidden: new Set<string>(),
  };
  const accepted = () => new Set([options.token, ...(fake.approle ? [fake.approle.clientToken] : [])]);
  /** every KV path of a mount (values and metadata alike) */
  const pathsOf = (mount: string) =>
    [...new Set([...secrets.keys(), ...fake.metadata.keys()])].filter((k) => k.startsWith(`${mount}/`)).map((k) => k.slice(mount.length + 1));
  const server = await startFakeServer((req) => {
    if (req.method === "POST" && req.path === "/v1/auth/approle/login") {
      const body = JSON.parse(req.body || "{}") as { role_id?: string; secret_id?: string };
      if (!fake.approle || body.role_id !== fake.approle.roleId || body.secret_id !== fake.approle.secretId) {
        return { status: 400, json: { errors: ["invalid role or secret ID"] } };
      }
      return {
        json: {
          ...envelope(null),
          auth: { client_token: fake.approle.clientToken, accessor: "approle-accessor", policies: ["default", "dm"], lease_duration: 1200, renewable: true },
        },
      };
    }
    if (!accepted().has(String(req.headers["x-vault-token"]))) return { status: 403, json: { errors: ["permission denied"] } };
    if (fake.forbidden.has(req.path)) return { status: 403, json: { errors: ["1 error occurred:\n\t* permission denied\n\n"] } };
    const list = req.method === "LIST" || req.query.get("list") === "true";
    if (req.path === "/v1/sys/mounts" || req.path === "/v1/sys/auth") {
      const source = req.path === "/v1/sys/mounts" ? fake.mounts : fake.auths;
      const all = Object.fromEntries(Object.entries(source).map(([p, m], i) => [p, mountInfo(p, m, i)]));
      return { json: { ...all, ...envelope(all) } };
    }
    const users = /^\/v1\/auth\/([^/]+)\/users\/?(.*)$/.exec(req.path);
    if (users) {
      const byName = fake.users.get(`${users[1]}/`);
      if (!byName) return { status: 404, json: { errors: [] } };
      const name = decodeURIComponent(users[2]!);
      if (list && name === "") return byName.size > 0 ? { json: envelope({ keys: [...byName.keys()] }) } : { status: 404, json: { errors: [] } };
      const policies = byName.get(name);
      if (!policies) return { status: 404, json: { errors: [] } };
      return { json: envelope({ token_policies: policies, token_ttl: 0, token_max_ttl: 0, token_type: "default" }) };
    }
    const meta = /^\/v1\/([^/]+)\/metadata\/?(.*)$/.exec(req.path);
    if (meta) {
      const mount = meta[1]!;
      const path = meta[2]!.split("/").map(decodeURIComponent).join("/");
      if (list) {
        const keys = new Set<string>();
        for (const p of pathsOf(mount)) {
          if (!p.startsWith(path)) continue;
          const rest = p.slice(path.length);
          const slash = rest.indexOf("/");
          keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
        }
        return keys.size > 0 ? { json: envelope({ keys: [...keys].sort() }) } : { status: 404, json: { errors: [] } };
      }
      if (!pathsOf(mount).includes(path)) return { status: 404, json: { errors: [] } };
      const m = fake.metadata.get(`${mount}/${path}`) ?? { versions: ["2026-01-01T00:00:00.000000000Z"] };
      const current = m.currentVersion ?? m.versions.length;
      return {
        json: envelope({
          cas_required: false,
          created_time: m.versions[0],
          current_version: current,
          custom_metadata: m.custom ?? null,
          delete_version_after: "0s",
          max_versions: 0,
          oldest_version: 1,
          updated_time: m.updatedTime ?? m.versions[current - 1],
          versions: Object.fromEntries(
            m.versions.map((t, i) => [
              String(i + 1),
              { created_time: t, deletion_time: i + 1 === current && m.deletedTime ? m.deletedTime : "", destroyed: false },
            ]),
          ),
        }),
      };
    }
    const m = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(req.path);
    const data = m ? secrets.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !data) return { status: 404, json: { errors: [] } };
    return {
      json: envelope({ data, metadata: { created_time: "2026-01-01T00:00:00Z", deletion_time: "", destroyed: false, version: 1 } }),
    };
  });
  const fake: FakeVault = Object.assign(server, { secrets }, state);
  return fake;
}
