import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeVault } from "../../test/fakes/vault.js";
import { redact } from "../shared/logger.js";
import { CredentialRef, credentialReader, toSecretRef } from "./credentials.js";

describe("credential references", () => {
  it("accept env:, file: and vault: references and refuse a value written inline without repeating it", () => {
    for (const ok of ["env:GITHUB_TOKEN", "file:/run/secrets/gh", "file:~/gh-token", "vault:secret/dm/github#token"]) {
      expect(CredentialRef.safeParse(ok).success).toBe(true);
    }
    for (const bad of ["ghp_abcdefghijklmnop1234", "env:", "env:1BAD", "vault:secret#token", "vault:secret/dm/github", ""]) {
      const r = CredentialRef.safeParse(bad);
      expect(r.success).toBe(false);
      if (!r.success && bad.length > 8) expect(JSON.stringify(r.error.issues.map((i) => i.message))).not.toContain(bad);
    }
  });

  it("map to where the secret is read, files relative to where dm runs", () => {
    expect(toSecretRef("env:X_TOKEN", "/work")).toEqual({ env: "X_TOKEN" });
    expect(toSecretRef("file:tokens/gh", "/work")).toEqual({ file: "/work/tokens/gh" });
    expect(toSecretRef("vault:secret/dm/github#token", "/work")).toEqual({ vault: "secret/dm/github#token" });
  });

  describe("reading", () => {
    let vault: Awaited<ReturnType<typeof startFakeVault>>;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-cred-"));
    beforeAll(async () => {
      vault = await startFakeVault({ token: "root-token-1" });
      vault.secrets.set("secret/dm/github", { token: "vault-token-value-9f1" });
      fs.writeFileSync(path.join(dir, "gh"), "file-token-value-7c2\n");
    });
    afterAll(() => vault.close());

    it("reads each kind, registers it for redaction, and names what is missing", async () => {
      const read = credentialReader(
        { env: (n) => (n === "GH_TOKEN" ? "env-token-value-3a8" : undefined), vault: { address: vault.url, token: "root-token-1" } },
        dir,
      );
      expect(await read("env:GH_TOKEN", "token")).toBe("env-token-value-3a8");
      expect(await read("file:gh", "token")).toBe("file-token-value-7c2");
      expect(await read("vault:secret/dm/github#token", "token")).toBe("vault-token-value-9f1");
      expect(redact("a env-token-value-3a8 b file-token-value-7c2 c vault-token-value-9f1")).toBe("a *** b *** c ***");
      await expect(read("env:NOT_SET", "token")).rejects.toThrow("token: the environment variable NOT_SET is not set");
      await expect(read("file:missing", "password")).rejects.toThrow(/password: cannot read the secret from file .*missing: no such file/);
      await expect(read("vault:secret/dm/github#nope", "token")).rejects.toThrow('token: Vault secret secret/dm/github has no key "nope"');
    });
  });
});
