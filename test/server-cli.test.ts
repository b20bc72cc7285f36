/**
 * `dm token` in-process, and `dm serve` as the real binary: start it, wait
 * for /readyz, call the API with a token made by `dm token create`, stop it
 * with SIGTERM and check it shut down cleanly. On SQLite and PostgreSQL.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";
import { BACKENDS, createTestDatabase, dropTestDatabase } from "./helpers/pg.js";
import { spawnServe } from "./helpers/spawn-serve.js";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "bin", "dm");
const NOW = Date.UTC(2026, 10, 23, 12);

describe("dm token", () => {
  it("creates a token shown once, lists without secrets, revokes, and audits each step", async () => {
    const db = path.join(tempDir(), "dm.db");
    const made = await dm(["token", "create", "--name", "ci-payments", "--role", "maintainer", "--expires", "90d", "--db", db]);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^dm_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toContain('Token "ci-payments" (maintainer, expires 2027-02-21)');
    expect(made.stderr).toContain("shown once");

    const json = await dm(["token", "create", "--name", "grafana", "--role", "reader", "--json", "--db", db]);
    const record = JSON.parse(json.stdout);
    expect(record).toMatchObject({ name: "grafana", role: "reader", expiresOn: null, revokedOn: null });
    expect(record.token).toMatch(/^dm_/);

    const lead = await dm(["token", "create", "--name", "payments-lead", "--role", "reader", "--owner", "payments", "--db", db]);
    expect(lead.stderr).toContain('Token "payments-lead" (reader, never expires, for payments)');

    const list = await dm(["token", "list", "--db", db]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/payments-lead\s+reader\s+payments\s+active/);
    expect(list.stdout).toMatch(/ci-payments\s+maintainer\s+active\s+2026-11-23\s+2027-02-21/);
    const listed = await dm(["token", "list", "--json", "--db", db]);
    for (const secret of [token, record.token, "hash"]) {
      expect(list.stdout).not.toContain(secret);
      expect(listed.stdout).not.toContain(secret);
    }
    expect(JSON.parse(listed.stdout).map((t: { name: string }) => t.name)).toEqual(["ci-payments", "grafana", "payments-lead"]);

    const revoked = await dm(["token", "revoke", "ci-payments", "--db", db]);
    expect(revoked.code).toBe(0);
    expect((await dm(["token", "list", "--json", "--db", db])).stdout).toContain('"status":"revoked"');

    const dup = await dm(["token", "create", "--name", "ci-payments", "--role", "admin", "--db", db]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('a token named "ci-payments" already exists');
    const unknown = await dm(["token", "revoke", "nobody", "--db", db]);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('no token named "nobody"')]);
    const badRole = await dm(["token", "create", "--name", "x", "--role", "root", "--db", db]);
    expect(badRole.code).toBe(2);
    const badName = await dm(["token", "create", "--name", "has space", "--role", "reader", "--db", db]);
    expect([badName.code, badName.stderr]).toEqual([2, expect.stringContaining("is not usable")]);
    const badExpiry = await dm(["token", "create", "--name", "y", "--role", "reader", "--expires", "soon", "--db", db]);
    expect(badExpiry.code).toBe(2);

    const { SqliteStore } = await import("../src/store/sqlite/sqlite-store.js");
    const store = SqliteStore.open(db);
    try {
      const log = await store.auditLog({ limit: 10 });
      expect(log.map((e) => [e.action, e.subject, e.actor])).toEqual([
        ["token.revoke", "ci-payments", "tester@example.com"],
        ["token.create", "payments-lead", "tester@example.com"],
        ["token.create", "grafana", "tester@example.com"],
        ["token.create", "ci-payments", "tester@example.com"],
      ]);
      expect(JSON.stringify(log)).not.toContain(token);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("refuses a lifetime under one day", async () => {
    const r = await dm(["token", "create", "--name", "z", "--role", "reader", "--expires", "0d", "--db", path.join(tempDir(), "dm.db")], { now: NOW });
    expect(r.code).toBe(2);
  });
});

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(BACKENDS)("dm serve, the real binary: %s", (backend) => {
  let child: ChildProcess | undefined;
  let cleanup: (() => Promise<void>) | undefined;

  beforeAll(() => {
    if (!fs.existsSync(path.join(root, "dist", "server", "app.js"))) {
      throw new Error("dist/ is missing the server: run `npm run build` first (npm test does it)");
    }
  });
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await cleanup?.();
  });

  it("starts, is ready, serves a token from dm token create, and stops cleanly on SIGTERM", async () => {
    const home = tempDir("dm-serve-home-");
    let db: string;
    if (backend === "sqlite") {
      db = path.join(tempDir(), "dm.db");
    } else {
      db = await createTestDatabase();
      cleanup = () => dropTestDatabase(db);
    }
    const env = { HOME: home, DM_DATABASE_URL: db, DM_USER: "ops@example.com" };
    const created = run(["token", "create", "--name", "e2e", "--role", "admin", "--json"], env);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout).token as string;

    const served = await spawnServe([], { env });
    child = served.child;
    const { url, exited } = served;
    expect(url, served.stderr()).toBeDefined();
    expect(served.stderr()).toContain(`dashboard at ${url}/`);
    const deadline = Date.now() + 20_000;
    let ready = 0;
    while (ready !== 200 && Date.now() < deadline) {
      ready = (await fetch(`${url}/readyz`)).status;
    }
    expect(ready).toBe(200);

    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const put = await fetch(`${url}/api/v1/graph`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ entities: [{ _key: "repo:a", _type: "github_repo", _class: "CodeRepo", name: "a" }] }),
    });
    expect(put.status).toBe(200);
    const q = await fetch(`${url}/api/v1/query`, { method: "POST", headers: auth, body: JSON.stringify({ query: "Find CodeRepo with name='a'" }) });
    expect(((await q.json()) as { data: { entity: { _key: string } }[] }).data[0]!.entity._key).toBe("repo:a");
    expect((await fetch(`${url}/api/v1/stats`)).status).toBe(401);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const stderr = served.stderr();
    expect(stderr).toContain("dm serve: SIGTERM");
    expect(stderr).toContain("dm serve: stopped");
    expect(stderr).not.toContain(token);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    // What the server wrote is in the database the CLI reads.
    const audit = run(["query", "Find CodeRepo", "--format", "json"], env);
    expect(JSON.parse(audit.stdout).data).toHaveLength(1);
  }, 60_000);
});
