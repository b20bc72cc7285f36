/**
 * A database held by another writer: the command gives up after the wait
 * with exit 3 and a message that says what happened and what to do, writes
 * nothing, and succeeds when run again once the other writer is done. On
 * SQLite and on PostgreSQL (issue 11: SQLITE_BUSY used to be exit 70).
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";
import { createTestDatabase, dropTestDatabase } from "./helpers/pg.js";

const dir = tempDir("dm-busy-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const graph = JSON.stringify({
  entities: [{ _key: "repo:a", _type: "github_repo", _class: "CodeRepo", name: "a" }],
  relationships: [],
});
fs.writeFileSync(path.join(dir, "graph.json"), graph);

async function holdAndImport(db: string, hold: () => Promise<() => Promise<void>>) {
  // The schema exists before the other writer takes the database.
  expect((await dm(["query", "Find CodeRepo", "--db", db])).code).toBe(0);
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
        // the lock every graph writer takes (postgres/driver.ts UPSERT_LOCK_KEY)
        await other.query("SELECT pg_advisory_xact_lock($1::bigint)", [BigInt("0x646d2d7570737274").toString()]);
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
