/**
 * Writers at once. A database held by another writer: the command gives up
 * after the wait with exit 3 and a message that says what happened and what
 * to do, writes nothing, and succeeds when run again once the other writer
 * is done (SQLITE_BUSY used to be exit 70). Identical `dm open`s at once:
 * only the process that created the findings reports and audits them.
 * On SQLite and on PostgreSQL.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";
import { UPSERT_LOCK_KEY } from "../src/store/postgres/driver.js";
import { createTestDatabase, dropTestDatabase } from "./helpers/pg.js";

const dir = tempDir("dm-busy-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const graph = JSON.stringify({
  entities: [{ _key: "repo:a", _type: "github_repo", _class: "CodeRepo", name: "a" }],
  relationships: [],
});
fs.writeFileSync(path.join(dir, "graph.json"), graph);

async function holdAndImport(db: string, hold: () => Promise<() => Promise<void>>) {
  // The database and its schema exist before the other writer takes it.
  expect((await dm(["import", "-", "--db", db], { stdin: '{"entities": []}' })).code).toBe(0);
  const release = await hold();
  let busy: Awaited<ReturnType<typeof dm>>;
  try {
    busy = await dm(["import", path.join(dir, "graph.json"), "--db", db]);
  } finally {
    await release();
  }
  expect(busy.code, busy.stderr).toBe(3);
  expect(busy.stderr).toMatch(/is busy: another dm process is writing to it \(waited 5 s\)/);
  expect(busy.stderr).toMatch(/Nothing was written\. Try again when the other command/);
  expect(busy.stderr).not.toMatch(/bug in dm|at .*\.js:\d+/);
  expect((await dm(["query", "Find CodeRepo", "--format", "json", "--db", db])).stdout).not.toContain("repo:a");

  const again = await dm(["import", path.join(dir, "graph.json"), "--db", db]);
  expect(again.code, again.stderr).toBe(0);
  expect((await dm(["query", "Find CodeRepo", "--format", "json", "--db", db])).stdout).toContain("repo:a");
}

describe("a database held by another writer", () => {
  it("SQLite: exit 3, nothing written, and the command works when retried", async () => {
    const db = path.join(dir, "dm.db");
    await holdAndImport(db, async () => {
      const other = new Database(db);
      other.exec("BEGIN IMMEDIATE");
      return async () => {
        other.exec("ROLLBACK");
        other.close();
      };
    });
  }, 30_000);

  it("PostgreSQL: exit 3, nothing written, and the command works when retried", async () => {
    const url = await createTestDatabase();
    try {
      await holdAndImport(url, async () => {
        const other = new pg.Client({ connectionString: url });
        await other.connect();
        await other.query("BEGIN");
        // the lock every graph writer takes
        await other.query("SELECT pg_advisory_xact_lock($1::bigint)", [UPSERT_LOCK_KEY]);
        return async () => {
          await other.query("ROLLBACK");
          await other.end();
        };
      });
    } finally {
      await dropTestDatabase(url);
    }
  }, 30_000);
});

const bin = path.resolve(import.meta.dirname, "..", "bin", "dm");

/** The real binary, as a separate process (in-process runs would share one connection). */
function spawnDm(args: string[], home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: home, DM_USER: "tester@example.com" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(["sqlite", "postgres"] as const)("four identical dm open at once (%s)", (backend) => {
  it("creates each finding once, and only the process that created them says so and audits it", async () => {
    const home = tempDir("dm-open-home-");
    const db = backend === "sqlite" ? path.join(home, "dm.db") : await createTestDatabase();
    try {
      const repos = Array.from({ length: 400 }, (_, i) => ({ _key: `repo:r${i}`, _type: "github_repo", _class: "CodeRepo", name: `r${i}` }));
      const file = path.join(home, "repos.json");
      fs.writeFileSync(file, JSON.stringify({ entities: repos, relationships: [] }));
      expect((await dm(["import", file, "--db", db], { env: { HOME: home } })).code).toBe(0);
      const open = ["open", "--query", "Find CodeRepo", "--short", "Upgrade Terraform", "--link", "https://wiki.example.com/tf", "--due", "30d", "--yes", "--json", "--db", db];
      const runs = await Promise.all([1, 2, 3, 4].map(() => spawnDm(open, home)));
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      const results = runs.map((run) => JSON.parse(run.stdout) as { opened: number; alreadyOpen: number });
      expect(results.reduce((sum, r) => sum + r.opened, 0)).toBe(400);
      for (const r of results) expect(r.opened + r.alreadyOpen).toBe(400);

      const findings = await dm(["query", "Find deferred_maintenance", "--all", "--format", "json", "--db", db], { env: { HOME: home } });
      const data = (JSON.parse(findings.stdout) as { data: { entity: { _version: number } }[] }).data;
      expect(data).toHaveLength(400);
      expect(data.every((d) => d.entity._version === 1)).toBe(true);

      const audit = backend === "sqlite" ? auditActions(db) : await auditActionsPg(db);
      expect(audit.filter((a) => a.action === "open").map((a) => JSON.parse(a.details ?? "{}").opened).reduce((x, y) => x + y, 0)).toBe(400);
      expect(audit.filter((a) => a.action === "open").length).toBe(results.filter((r) => r.opened > 0).length);
    } finally {
      if (backend === "postgres") await dropTestDatabase(db);
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});

function auditActions(file: string): { action: string; details: string | null }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT action, details FROM audit_log").all() as { action: string; details: string | null }[];
  } finally {
    db.close();
  }
}

async function auditActionsPg(url: string): Promise<{ action: string; details: string | null }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ action: string; details: string | null }>("SELECT action, details::text AS details FROM audit_log")).rows;
  } finally {
    await client.end();
  }
}
