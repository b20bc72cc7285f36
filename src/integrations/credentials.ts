/**
 * Credentials in dm.config.yaml are references, never values:
 * `env:NAME`, `file:/path` (or `file:~/...`, relative to where dm runs) or
 * `vault:mount/path#key` (KV v2). A value written inline is refused without
 * being repeated. Resolved values are registered for redaction before they
 * are returned, so they cannot reach a log line, an error or `dm sources`.
 */
import { z } from "zod";
import { type SecretSources, SecretResolver } from "../core/oncall/secrets.js";
import type { SecretRef } from "../core/oncall/config.js";
import type { Config } from "../shared/config.js";
import { resolveFile } from "./file-source.js";

const REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|vault:[^#\s]+\/[^#\s]+#\S+)$/;

/** A credential setting: a reference (checked here), never the secret itself. */
export const CredentialRef = z
  .string()
  .regex(REF, "write a reference, not the secret: env:NAME, file:/path or vault:mount/path#key");

export function toSecretRef(ref: string, cwd: string): SecretRef {
  if (ref.startsWith("env:")) return { env: ref.slice(4) };
  if (ref.startsWith("file:")) return { file: resolveFile(cwd, ref.slice(5)) };
  return { vault: ref.slice(6) };
}

/** How a sync reads its credentials: one resolver per run, so Vault is read once per secret. */
export function credentialReader(sources: SecretSources, cwd: string): (ref: string, key: string) => Promise<string> {
  const resolver = new SecretResolver(sources);
  return (ref, key) => resolver.resolve(toSecretRef(ref, cwd), key);
}

/** Where references are read from: the environment (as shared/config reads it), and Vault from VAULT_ADDR/VAULT_TOKEN. */
export function secretSourcesOf(config: Config): SecretSources {
  return {
    env: config.envVar,
    vault: { address: config.oncall.vaultAddr, token: config.oncall.vaultToken },
  };
}
