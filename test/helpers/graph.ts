/**
 * What a database file answers, for the end-to-end tests: a list query as
 * its entities' keys (sorted), a RETURN query as its rows.
 */
import { runQuery } from "../../src/query/run.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

export async function answerOf(db: string, query: string, now: number): Promise<unknown[]> {
  const store = SqliteStore.open(db);
  try {
    const r = await runQuery(store, query, { now, all: true });
    if (r.type === "list") return r.data.map((d) => d.entity._key).sort();
    if (r.type === "table") return r.data;
    throw new Error(`expected a list or a table, got a ${r.type}`);
  } finally {
    await store.close();
  }
}
