/**
 * Secrets for the on-call sync, from Vault KV v2, the environment or a file.
 * Every value read is registered for redaction before it is returned, so it
 * cannot reach a log line, an error or a notice. A missing secret is an
 * InputError that names the config key and the source; Vault refusing the
 * token or failing is an ExternalServiceError (exit 3).
 */
import fs from "node:fs";
import { z } from "zod";
import { InputError } from "../../shared/errors.js";
import { requestJson } from "../../shared/fetch-json.js";
import { registerSecret } from "../../shared/logger.js";
import type { SecretRef } from "./config.js";

const KvV2Response = z.object({
  data: z.object({
    data: z.record(z.string(), z.unknown()).nullable(),
    metadata: z.object({ version: z.number().optional(), deleted_time: z.string().optional() }).passthrough().nullable().optional(),
  }),
});

export interface VaultSettings {
  /** VaultServer / vault.address / VAULT_ADDR */
  address?: string;
  /** a file holding the token (Deputize TokenPath); read before VAULT_TOKEN */
  tokenFile?: string;
  /** VAULT_TOKEN */
  token?: string;
  timeoutMs?: number;
}

export interface SecretSources {
  vault?: VaultSettings;
  /** an environment variable, as shared/config reads it */
  env(name: string): string | undefined;
}

/** "secret/data/dm#key" and "secret/dm#key" both mean mount "secret", path "dm", key "key" (KV v2). */
export function parseVaultRef(ref: string): { mount: string; path: string; key: string } {
  const hash = ref.lastIndexOf("#");
  const key = ref.slice(hash + 1);
  const parts = ref.slice(0, hash).replace(/^\/+|\/+$/g, "").split("/");
  const mount = parts.shift() ?? "";
  if (parts[0] === "data" && parts.length > 1) parts.shift();
  return { mount, path: parts.join("/"), key };
}

function readFileSecret(file: string, name: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`${name}: cannot read ${what} from file ${file}: ${code === "ENOENT" ? "no such file" : code}`, { cause: error });
  }
  const value = text.trim();
  if (value === "") throw new InputError(`${name}: the file ${file} is empty`);
  return value;
}

export class SecretResolver {
  private readonly cache = new Map<string, Promise<Record<string, unknown>>>();
  private vaultToken: string | undefined;

  constructor(private readonly sources: SecretSources) {}

  /** @param name how the secret is named in messages (the config key) */
  async resolve(ref: SecretRef, name: string): Promise<string> {
    let value: string;
    if ("env" in ref) {
      const v = this.sources.env(ref.env);
      if (v === undefined) {
        throw new InputError(`${name}: the environment variable ${ref.env} is not set`, {
          details: [`Set ${ref.env}, or point ${name} at Vault or a file.`],
        });
      }
      value = v;
    } else if ("file" in ref) {
      value = readFileSecret(ref.file, name, "the secret");
    } else {
      const { mount, path, key } = parseVaultRef(ref.vault);
      const data = await this.readVault(mount, path, name);
      const v = data[key];
      if (typeof v !== "string" || v === "") {
        throw new InputError(`${name}: Vault secret ${mount}/${path} has no key "${key}"${v === undefined ? "" : " with a text value"}`, {
          details: [`Add it: vault kv patch -mount=${mount} ${path} ${key}=...`],
        });
      }
      value = v;
    }
    registerSecret(value);
    return value;
  }

  private token(name: string): string {
    if (this.vaultToken) return this.vaultToken;
    const v = this.sources.vault;
    const token = v?.tokenFile ? readFileSecret(v.tokenFile, name, "the Vault token") : v?.token;
    if (!token) {
      throw new InputError(`${name}: reading it from Vault needs a token: set VAULT_TOKEN or name a token file (vault.tokenFile, Deputize TokenPath)`);
    }
    registerSecret(token);
    this.vaultToken = token;
    return token;
  }

  private readVault(mount: string, path: string, name: string): Promise<Record<string, unknown>> {
    const cacheKey = `${mount}/${path}`;
    let pending = this.cache.get(cacheKey);
    if (!pending) {
      pending = this.fetchVault(mount, path, name);
      this.cache.set(cacheKey, pending);
    }
    return pending;
  }

  private async fetchVault(mount: string, path: string, name: string): Promise<Record<string, unknown>> {
    const address = this.sources.vault?.address;
    if (!address) throw new InputError(`${name}: reading it from Vault needs the server: set VAULT_ADDR or vault.address (Deputize VaultServer)`);
    const token = this.token(name);
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    const response = await requestJson({
      service: "Vault",
      label: `${name}: read ${mount}/${path}`,
      url: `${address.replace(/\/+$/, "")}/v1/${encodeURIComponent(mount)}/data/${encoded}`,
      headers: { "X-Vault-Token": token },
      schema: KvV2Response,
      accept: [404],
      timeoutMs: this.sources.vault?.timeoutMs,
      authHint: "Check that the token (VAULT_TOKEN or the token file) is valid and that its policy allows read on this path.",
    });
    if (response.status === 404 || !response.data?.data.data) {
      throw new InputError(`${name}: Vault has no secret at ${mount}/${path} (KV v2 mount "${mount}")`, {
        details: ["Check the path in the config; with KV v2 the API path is <mount>/data/<path>."],
      });
    }
    return response.data.data.data;
  }
}
