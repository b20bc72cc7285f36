/**
 * `dm sync vault` end to end against the Vault fake: engines, auth methods,
 * userpass users and KV v2 secret metadata, never a value (no request to a
 * `/data/` path); token and AppRole; mounts and paths; the failures (a
 * refused token, 429, 500, a hang, one folder refused, bad settings).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { vaultIntegration } from "../src/integrations/vault/index.js";
import type { EntityRecord } from "../src/store/types.js";
import { dataModelProblemsOf } from "./data-model.js";
import { type FakeVault, startFakeVault } from "./fakes/vault.js";
import { answerOf } from "./helpers/graph.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const TOKEN = "hvs.vault-token-77310";
const SECRET_VALUE = "p4ssw0rd-never-read";

const query = (db: string, text: string) => answerOf(db, text, NOW);

describe("dm sync vault", () => {
  let vault: FakeVault;
  let host: string;
  let cwd: string;
  let db: string;

  const writeConfig = (settings = "    token: env:VAULT_TOKEN\n") =>
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: vault\n    url: ${vault.url}\n    timeout: 500ms\n${settings}`);
  const sync = (now = NOW, env: Record<string, string> = { VAULT_TOKEN: TOKEN }) =>
    dm(["sync", "vault", "--db", db, "--json"], { cwd, env, now });
  const engine = (mount: string) => `hashicorp_vault_engine:${host}:${mount}`;

  beforeAll(async () => {
    vault = await startFakeVault({ token: TOKEN });
    host = new URL(vault.url).host;
  });
  afterAll(() => vault.close());

  beforeEach(() => {
    vault.failNext();
    vault.failAlways(undefined);
    vault.requests.length = 0;
    vault.forbidden.clear();
    vault.approle = undefined;
    vault.secrets.clear();
    vault.metadata.clear();
    for (const p of ["kv/", "kv-empty/", "transit/", "old/", "userpass/", "approle/"]) {
      delete vault.mounts[p];
      delete vault.auths[p];
    }
    Object.assign(vault.mounts, {
      "kv/": { type: "kv", options: { version: "2" } },
      "kv-empty/": { type: "kv", options: { version: "2" } },
      "transit/": { type: "transit" },
      "old/": { type: "kv", options: { version: "1" } },
    });
    Object.assign(vault.auths, { "userpass/": { type: "userpass" }, "approle/": { type: "approle" } });
    vault.users.clear();
    vault.users.set("userpass/", new Map([["Alice@Example.org", ["default", "dev"]], ["ci-bot", ["ci"]]]));
    // values exist (the fake would serve them from /data/), dm must never ask
    vault.secrets.set("secret/app/db", { password: SECRET_VALUE });
    vault.metadata.set("secret/app/db", { versions: ["2025-01-10T08:00:00Z", "2026-11-01T10:00:00.123456Z"], custom: { owner: "payments" } });
    vault.metadata.set("secret/app/api-key", { versions: ["2024-05-01T00:00:00Z"] });
    vault.metadata.set("secret/infra/tls/cert", { versions: ["2026-10-01T00:00:00Z"] });
    vault.metadata.set("secret/team/x", { versions: ["2026-09-01T00:00:00Z"] });
    vault.metadata.set("kv/legacy", { versions: ["2023-01-01T00:00:00Z", "2023-02-01T00:00:00Z"], currentVersion: 1 });
    cwd = tempDir("dm-vault-");
    db = path.join(tempDir(), "dm.db");
    writeConfig();
  });

  it("syncs engines, auth methods, users and the metadata of KV v2 secrets, never a value", async () => {
    const r = await sync();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ integration: "vault", instance: `vault:${vault.url}`, status: "succeeded" });
    expect(await query(db, "Find hashicorp_vault_secret")).toEqual(
      ["kv/legacy", "secret/app/api-key", "secret/app/db", "secret/infra/tls/cert", "secret/team/x"].map((p) => `hashicorp_vault_secret:${host}:${p}`),
    );
    expect(
      await query(
        db,
        "Find hashicorp_vault_engine as e that HAS hashicorp_vault_secret with path='app/db' as s return e.name, e.displayName, s.name, s.createdOn, s.updatedOn, s.rotatedOn, s.versions, s.currentVersion, s.mount, s.webLink, s.tag.owner",
      ),
    ).toEqual([
      {
        "e.name": "kv2",
        "e.displayName": "secret/",
        "s.name": "secret/app/db",
        "s.createdOn": Date.UTC(2025, 0, 10, 8),
        "s.updatedOn": Date.UTC(2026, 10, 1, 10, 0, 0, 123),
        "s.rotatedOn": Date.UTC(2026, 10, 1, 10, 0, 0, 123),
        "s.versions": 2,
        "s.currentVersion": 2,
        "s.mount": "secret",
        "s.webLink": `${vault.url}/ui/vault/secrets/secret/kv/app%2Fdb`,
        "s.tag.owner": "payments",
      },
    ]);
    // kv/legacy's current version is its first: rotated then, updated later
    expect(await query(db, "Find hashicorp_vault_secret with name='kv/legacy' as s return s.rotatedOn, s.updatedOn, s.versions")).toEqual([
      { "s.rotatedOn": Date.UTC(2023, 0, 1), "s.updatedOn": Date.UTC(2023, 0, 1), "s.versions": 2 },
    ]);
    expect(await query(db, "Find hashicorp_vault_engine that HAS hashicorp_vault_account")).toEqual(
      ["cubbyhole", "identity", "kv", "kv-empty", "old", "secret", "sys", "transit"].map(engine),
    );
    expect(await query(db, "Find hashicorp_vault_user as u that HAS hashicorp_vault_auth_backend with name='userpass/' return u.name, u.email, u.policies")).toEqual([
      { "u.name": "Alice@Example.org", "u.email": ["alice@example.org"], "u.policies": ["default", "dev"] },
      { "u.name": "ci-bot", "u.email": null, "u.policies": ["ci"] },
    ]);
    // only LIST and metadata: no value was ever asked for
    expect(vault.requests.filter((q) => q.path.includes("/data/"))).toEqual([]);
    expect(vault.requests.filter((q) => q.path.includes("/metadata/") && q.query.get("list") === "true").map((q) => q.path)).toContain(
      "/v1/secret/metadata/infra/tls/",
    );
    expect(fs.readFileSync(db).includes(Buffer.from(SECRET_VALUE))).toBe(false);
    expect(fs.readFileSync(db).includes(Buffer.from(TOKEN))).toBe(false);
  });

  it("a second run changes nothing", async () => {
    expect((await sync()).code).toBe(0);
    expect(JSON.parse((await sync(NOW + 1000)).stdout)).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
  });

  it("JupiterOne's managed question: engines without secrets", async () => {
    await sync();
    // JupiterOne/graph-hashicorp-vault, jupiterone/questions/questions.yaml,
    // "integration-question-hashicorp-vault-engine-without-secrets":
    // "Which Hashicorp Vault engines do not have any secrets?"
    // The WITH filters the secrets: kv/ has only kv/legacy, whose name has "kv".
    expect(await query(db, 'FIND hashicorp_vault_engine THAT !HAS hashicorp_vault_secret WITH name !~="kv"')).toEqual(
      ["cubbyhole", "identity", "kv", "kv-empty", "old", "sys", "transit"].map(engine),
    );
    // and, in the same model, the secrets not rotated in 90 days
    expect(await query(db, "FIND hashicorp_vault_secret WITH rotatedOn < date.now - 90 days")).toEqual(
      ["kv/legacy", "secret/app/api-key"].map((p) => `hashicorp_vault_secret:${host}:${p}`),
    );
  });

  it("logs in with AppRole; the client token is used and never printed", async () => {
    vault.approle = { roleId: "role-1234", secretId: "sid-98765-secret", clientToken: "hvs.approle-client-55555" };
    writeConfig("    approle:\n      roleId: role-1234\n      secretId: env:VAULT_SECRET_ID\n");
    const r = await sync(NOW, { VAULT_SECRET_ID: "sid-98765-secret" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(vault.requests[0]).toMatchObject({ method: "POST", path: "/v1/auth/approle/login" });
    expect(JSON.parse(vault.requests[0]!.body)).toEqual({ role_id: "role-1234", secret_id: "sid-98765-secret" });
    expect(vault.requests[1]!.headers["x-vault-token"]).toBe("hvs.approle-client-55555");
    expect(await query(db, "Find hashicorp_vault_secret")).toHaveLength(5);
    const bad = await sync(NOW, { VAULT_SECRET_ID: "sid-wrong-0000" });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("Vault (POST /v1/auth/approle/login): HTTP 400");
    expect(`${r.stdout}${r.stderr}${bad.stdout}${bad.stderr}`).not.toMatch(/hvs\.approle-client-55555|sid-98765-secret|sid-wrong-0000/);
  });

  it("walks only the configured mounts and path prefixes; a mount that is not KV v2 is a warning", async () => {
    writeConfig("    token: env:VAULT_TOKEN\n    mounts: [secret, old]\n    paths: [app/, infra/tls/c]\n");
    const r = await sync();
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: "partial" });
    expect(summary.warnings).toEqual([{ file: "old/", message: "mounts: old/ is not a KV version 2 engine (kv version 1): not walked" }]);
    expect(await query(db, "Find hashicorp_vault_secret")).toEqual(
      ["secret/app/api-key", "secret/app/db", "secret/infra/tls/cert"].map((p) => `hashicorp_vault_secret:${host}:${p}`),
    );
    const listed = vault.requests.filter((q) => q.query.get("list") === "true").map((q) => q.path);
    expect(listed).not.toContain("/v1/secret/metadata/team/");
    expect(listed.some((p) => p.startsWith("/v1/kv/"))).toBe(false);
  });

  it("a namespace goes in X-Vault-Namespace and in the keys and the instance", async () => {
    writeConfig("    token: env:VAULT_TOKEN\n    namespace: team-a\n    mounts: [secret]\n    paths: [infra/]\n");
    const r = await sync();
    expect(JSON.parse(r.stdout)).toMatchObject({ instance: `vault:${vault.url}#team-a`, status: "succeeded" });
    expect(vault.requests.every((q) => q.headers["x-vault-namespace"] === "team-a")).toBe(true);
    expect(await query(db, "Find hashicorp_vault_secret as s return s._key, s.webLink")).toEqual([
      {
        "s._key": `hashicorp_vault_secret:${host}/team-a:secret/infra/tls/cert`,
        "s.webLink": `${vault.url}/ui/vault/secrets/secret/kv/infra%2Ftls%2Fcert?namespace=team-a`,
      },
    ]);
  });

  it("a refused token: exit 3 naming Vault, the endpoint and what to check; the graph stays", async () => {
    expect((await sync()).code).toBe(0);
    const r = await sync(NOW + 1000, { VAULT_TOKEN: "hvs.expired-0000" });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Vault (GET /v1/sys/mounts): the credentials were refused (HTTP 403)");
    expect(r.stderr).toContain("Check the Vault token");
    expect(`${r.stdout}${r.stderr}`).not.toContain("hvs.expired-0000");
    expect(await query(db, "Find hashicorp_vault_secret")).toHaveLength(5);
  });

  it("429 with Retry-After and a 500 are retried, and the run succeeds", async () => {
    vault.failNext({ status: 429, retryAfter: "1" }, { status: 500 });
    const r = await sync();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(vault.requests.filter((q) => q.path === "/v1/sys/mounts")).toHaveLength(3);
  });

  it("a Vault that does not answer times out with a clear error", async () => {
    vault.failAlways({ hang: true });
    const r = await sync();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Vault (GET /v1/sys/mounts): no answer within 0.5 s (tried 4 times)");
  });

  it("a folder the token may not list: a warning, the run is partial and deletes nothing", async () => {
    expect((await sync()).code).toBe(0);
    vault.forbidden.add("/v1/secret/metadata/team/");
    vault.metadata.delete("secret/app/api-key");
    const r = await sync(NOW + 1000);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: "partial", deleted: 0 });
    expect(summary.warnings).toEqual([
      {
        file: "secret/team/",
        message: "Vault (LIST /v1/secret/metadata/team/): permission denied, skipped. The token's policy needs list on secret/metadata/team/*.",
      },
    ]);
    expect(await query(db, "Find hashicorp_vault_secret with path='app/api-key'")).toHaveLength(1);
    vault.forbidden.clear();
    expect(JSON.parse((await sync(NOW + 2000)).stdout)).toMatchObject({ status: "succeeded", deleted: 2 });
    expect(await query(db, "Find hashicorp_vault_secret with path='app/api-key'")).toEqual([]);
  });

  it("refuses an unknown setting by name, and settings without credentials", async () => {
    writeConfig("    token: env:VAULT_TOKEN\n    mount: [secret]\n");
    const typo = await sync();
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("integrations[0].mount: not a setting of the vault integration");
    writeConfig("    namespace: team-a\n");
    const none = await sync();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("integrations[0].token: give token (e.g. env:VAULT_TOKEN) or approle");
  });

  it("writes only entities that satisfy JupiterOne's data model", async () => {
    const entities: EntityRecord[] = [];
    const config = vaultIntegration.configSchema.parse({ url: vault.url, token: "env:VAULT_TOKEN" });
    for await (const batch of vaultIntegration.sync({
      config,
      instance: "vault:test",
      now: NOW,
      cwd,
      warn: (w) => {
        throw new Error(w.message);
      },
      note: () => undefined,
      progress: () => undefined,
      secret: async () => TOKEN,
      env: () => undefined,
      cache: { get: () => undefined, set: () => undefined },
      seen: () => undefined,
    })) {
      entities.push(...batch.entities);
    }
    expect(new Set(entities.map((e) => e._type))).toEqual(
      new Set(["hashicorp_vault_account", "hashicorp_vault_engine", "hashicorp_vault_secret", "hashicorp_vault_auth_backend", "hashicorp_vault_user"]),
    );
    expect(dataModelProblemsOf(entities)).toEqual([]);
  });
});
