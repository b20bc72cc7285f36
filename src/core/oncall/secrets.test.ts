import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/cli.js";
import { type FakeVault, startFakeVault } from "../../../test/fakes/vault.js";
import { ExternalServiceError } from "../../shared/errors.js";
import { redact } from "../../shared/logger.js";
import { parseVaultRef, SecretResolver } from "./secrets.js";

describe("secrets", () => {
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await startFakeVault({ token: "s.vault-token-5551" });
    vault.secrets.set("secret/deputize", { pdAuthToken: "pd-token-0a1b2c", modUserPW: "ldap-pw-9z8y" });
  });
  afterAll(() => vault.close());

  const resolver = (token = "s.vault-token-5551", extra: Record<string, string> = {}) =>
    new SecretResolver({ vault: { address: vault.url, token }, env: (n) => extra[n] });

  it("parses KV v2 references with or without data/", () => {
    expect(parseVaultRef("secret/data/deputize#pdAuthToken")).toEqual({ mount: "secret", path: "deputize", key: "pdAuthToken" });
    expect(parseVaultRef("kv/team/dm#x")).toEqual({ mount: "kv", path: "team/dm", key: "x" });
  });

  it("reads Vault KV v2 with X-Vault-Token, once per path, and registers values for redaction", async () => {
    const r = resolver();
    const before = vault.requests.length;
    expect(await r.resolve({ vault: "secret/data/deputize#pdAuthToken" }, "pdAuthToken")).toBe("pd-token-0a1b2c");
    expect(await r.resolve({ vault: "secret/deputize#modUserPW" }, "modUserPW")).toBe("ldap-pw-9z8y");
    expect(vault.requests.length - before).toBe(1);
    expect(vault.requests.at(-1)!.path).toBe("/v1/secret/data/deputize");
    expect(redact("x pd-token-0a1b2c y")).toBe("x *** y");
  });

  it("a refused token is exit 3 naming the secret, never showing the token", async () => {
    const error = await resolver("s.wrong-token-77").resolve({ vault: "secret/deputize#pdAuthToken" }, "pdAuthToken").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as ExternalServiceError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/Vault \(pdAuthToken: read secret\/deputize\): the credentials were refused \(HTTP 403\)/);
    expect((error as Error).message).not.toContain("s.wrong-token-77");
  });

  it("a missing path or key is an InputError naming the key and the source", async () => {
    await expect(resolver().resolve({ vault: "secret/nope#k" }, "ldap.bindPassword")).rejects.toThrow(
      /ldap.bindPassword: Vault has no secret at secret\/nope/,
    );
    await expect(resolver().resolve({ vault: "secret/deputize#slackAuthToken" }, "slackAuthToken")).rejects.toThrow(
      /slackAuthToken: Vault secret secret\/deputize has no key "slackAuthToken"/,
    );
    await expect(new SecretResolver({ env: () => undefined }).resolve({ vault: "secret/x#k" }, "pagerduty.token")).rejects.toThrow(
      /pagerduty.token: reading it from Vault needs the server: set VAULT_ADDR/,
    );
    await expect(new SecretResolver({ vault: { address: vault.url }, env: () => undefined }).resolve({ vault: "secret/x#k" }, "pagerduty.token")).rejects.toThrow(
      /needs a token: set VAULT_TOKEN/,
    );
  });

  it("reads the Vault token from a file (Deputize TokenPath) before VAULT_TOKEN", async () => {
    const file = path.join(tempDir(), "token");
    fs.writeFileSync(file, "s.vault-token-5551\n");
    const r = new SecretResolver({ vault: { address: vault.url, tokenFile: file, token: "s.other" }, env: () => undefined });
    expect(await r.resolve({ vault: "secret/deputize#pdAuthToken" }, "pd")).toBe("pd-token-0a1b2c");
  });

  it("reads the environment and files; missing ones are named", async () => {
    expect(await resolver(undefined, { PD_TOKEN: "env-token-4242" }).resolve({ env: "PD_TOKEN" }, "pagerduty.token")).toBe("env-token-4242");
    await expect(resolver().resolve({ env: "PD_TOKEN" }, "pagerduty.token")).rejects.toThrow(/^pagerduty.token: the environment variable PD_TOKEN is not set$/);
    const file = path.join(tempDir(), "pw");
    fs.writeFileSync(file, "file-secret-31\n");
    expect(await resolver().resolve({ file }, "ldap.bindPassword")).toBe("file-secret-31");
    await expect(resolver().resolve({ file: `${file}.missing` }, "ldap.bindPassword")).rejects.toThrow(
      /ldap.bindPassword: cannot read the secret from file .*pw.missing: no such file/,
    );
  });
});
