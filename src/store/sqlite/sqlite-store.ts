/** The graph store on SQLite: the one SQL store over the SQLite driver. */
import { SqlStore } from "../sql-store.js";
import type { GraphBatch, UpsertOptions, UpsertResult } from "../types.js";
import { SqliteDriver, type SqliteOpenOptions } from "./driver.js";

export class SqliteStore extends SqlStore<SqliteDriver> {
  /** Open (creating the file and its directory if needed) and migrate. */
  static open(file: string, options?: SqliteOpenOptions): SqliteStore {
    return new SqliteStore(SqliteDriver.open(file, options));
  }

  /** Synchronous upsert of one batch in one IMMEDIATE transaction (scripts, generators). */
  upsertSync(batch: GraphBatch, options: UpsertOptions): UpsertResult {
    return this.driver.upsertSync(batch, options);
  }

  /** The query plan, for benchmarks and debugging. */
  explain(sql: string, params: readonly unknown[]): string[] {
    return this.driver.explain(sql, params);
  }
}
