/**
 * Vault KV version 2: GET /v1/<mount>/data/<path> answers
 * `{ data: { data: {...}, metadata: {...} } }`; the token goes in
 * X-Vault-Token (403 when wrong); a missing path is 404.
 */
import { type FakeServer, startFakeServer } from "./http.js";

export interface FakeVault extends FakeServer {
  /** "secret/dm" (mount/path) → key/values */
  secrets: Map<string, Record<string, string>>;
}

export async function startFakeVault(options: { token: string }): Promise<FakeVault> {
  const secrets = new Map<string, Record<string, string>>();
  const server = await startFakeServer((req) => {
    if (req.headers["x-vault-token"] !== options.token) return { status: 403, json: { errors: ["permission denied"] } };
    const m = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(req.path);
    const data = m ? secrets.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !data) return { status: 404, json: { errors: [] } };
    return {
      json: {
        request_id: "00000000-0000-0000-0000-000000000000",
        lease_id: "",
        renewable: false,
        lease_duration: 0,
        data: { data, metadata: { created_time: "2026-01-01T00:00:00Z", deletion_time: "", destroyed: false, version: 1 } },
        wrap_info: null,
        warnings: null,
        auth: null,
      },
    };
  });
  return Object.assign(server, { secrets });
}
