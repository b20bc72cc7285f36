import { describe, expect, it } from "vitest";
import { dataModelProblemsOf } from "../../../test/data-model.js";
import { VaultConfig } from "./index.js";
import { accountId, engineKind, secretEntity, type VaultSnapshot, vaultGraph } from "./map.js";

function snapshot(): VaultSnapshot {
  return {
    url: "https://vault.example.com",
    mounts: {
      "secret/": { type: "kv", options: { version: "2" }, uuid: "u-secret", description: "kv" },
      "legacy/": { type: "kv", options: { version: "1" } },
      "transit/": { type: "transit", options: null },
    },
    auths: { "userpass/": { type: "userpass", uuid: "u-up" }, "token/": { type: "token" } },
    users: { "userpass/": [{ name: "Alice@Example.org", policies: ["default", "dev"] }, { name: "ci-bot" }] },
    secrets: {
      "secret/": [
        {
          path: "app/db",
          metadata: {
            created_time: "2025-01-10T08:00:00.123456789Z",
            updated_time: "2026-02-01T09:30:00.5Z",
            current_version: 3,
            custom_metadata: { owner: "payments", "bad/key": "x" },
            versions: {
              "1": { created_time: "2025-01-10T08:00:00.123456789Z", deletion_time: "", destroyed: false },
              "2": { created_time: "2025-06-01T00:00:00Z", deletion_time: "", destroyed: true },
              "3": { created_time: "2026-01-15T12:00:00Z", deletion_time: "", destroyed: false },
            },
          },
        },
      ],
    },
  };
}

describe("Vault map", () => {
  it("a KV v2 secret from its metadata: created, updated, rotated, versions; custom metadata as tags; no value", () => {
    const s = snapshot();
    expect(secretEntity(s, "secret/", "app/db", s.secrets["secret/"]![0]!.metadata)).toEqual({
      _key: "hashicorp_vault_secret:vault.example.com:secret/app/db",
      _type: "hashicorp_vault_secret",
      _class: "Secret",
      name: "secret/app/db",
      displayName: "secret/app/db",
      mount: "secret",
      path: "app/db",
      engineType: "kv2",
      createdOn: Date.UTC(2025, 0, 10, 8, 0, 0, 123),
      updatedOn: Date.UTC(2026, 1, 1, 9, 30, 0, 500),
      rotatedOn: Date.UTC(2026, 0, 15, 12),
      currentVersion: 3,
      versions: 3,
      currentVersionDeleted: false,
      currentVersionDestroyed: false,
      webLink: "https://vault.example.com/ui/vault/secrets/secret/kv/app%2Fdb",
      "tag.owner": "payments",
    });
  });

  it("names engines as JupiterOne does and keys everything by the Vault's host (and namespace)", () => {
    expect(engineKind({ type: "kv", options: { version: "2" } })).toBe("kv2");
    expect(engineKind({ type: "kv" })).toBe("kv1");
    expect(engineKind({ type: "ns_cubbyhole" })).toBe("cubbyhole");
    expect(engineKind({ type: "pki" })).toBe("pki");
    expect(accountId("https://vault.example.com:8200", "/team-a/")).toBe("vault.example.com:8200/team-a");
    const g = vaultGraph({ ...snapshot(), namespace: "team-a" });
    expect(g.entities.find((e) => e._type === "hashicorp_vault_account")).toMatchObject({
      _key: "hashicorp_vault_account:vault.example.com/team-a",
      vendor: "HashiCorp",
      accessURL: "https://vault.example.com/ui/vault/?namespace=team-a",
    });
  });

  it("builds JupiterOne's relationships and valid entities; a userpass user named by email carries it", () => {
    const g = vaultGraph(snapshot());
    expect(g.relationships.map((r) => `${r._type} ${r._toEntityKey}`).sort()).toEqual(
      [
        "hashicorp_vault_account_has_auth_backend hashicorp_vault_auth_backend:vault.example.com:token",
        "hashicorp_vault_account_has_auth_backend hashicorp_vault_auth_backend:vault.example.com:userpass",
        "hashicorp_vault_account_has_engine hashicorp_vault_engine:vault.example.com:legacy",
        "hashicorp_vault_account_has_engine hashicorp_vault_engine:vault.example.com:secret",
        "hashicorp_vault_account_has_engine hashicorp_vault_engine:vault.example.com:transit",
        "hashicorp_vault_account_has_user hashicorp_vault_user:vault.example.com:userpass:Alice@Example.org",
        "hashicorp_vault_account_has_user hashicorp_vault_user:vault.example.com:userpass:ci-bot",
        "hashicorp_vault_auth_backend_has_user hashicorp_vault_user:vault.example.com:userpass:Alice@Example.org",
        "hashicorp_vault_auth_backend_has_user hashicorp_vault_user:vault.example.com:userpass:ci-bot",
        "hashicorp_vault_engine_has_secret hashicorp_vault_secret:vault.example.com:secret/app/db",
      ].sort(),
    );
    const alice = g.entities.find((e) => e.name === "Alice@Example.org");
    expect(alice).toMatchObject({ email: ["alice@example.org"], policies: ["default", "dev"], authBackend: "userpass" });
    expect(g.entities.find((e) => e.name === "ci-bot")).toMatchObject({ email: null });
    expect(dataModelProblemsOf(g.entities)).toEqual([]);
  });

  it("settings: token or approle, exactly one", () => {
    expect(VaultConfig.safeParse({ url: "https://v", token: "env:VAULT_TOKEN" }).success).toBe(true);
    expect(VaultConfig.safeParse({ url: "https://v", approle: { roleId: "r-1", secretId: "file:/run/sid" } }).success).toBe(true);
    const neither = VaultConfig.safeParse({ url: "https://v" });
    expect(neither.success).toBe(false);
    expect(neither.error?.issues[0]).toMatchObject({ path: ["token"] });
    expect(VaultConfig.safeParse({ url: "https://v", token: "env:A", approle: { roleId: "r", secretId: "env:B" } }).success).toBe(false);
    expect(VaultConfig.safeParse({ url: "https://v", approle: { roleId: "r", secretId: "s.inline-secret" } }).success).toBe(false);
  });
});
