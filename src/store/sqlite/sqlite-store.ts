/** The graph store on SQLite: the one SQL store over the SQLite driver. */
import { SqlStore } from "../sql-store.js";
import { SqliteDriver, type SqliteOpenOptions } from "./driver.js";

export class SqliteStore extends SqlStore<SqliteDriver> {
  /** Open (creating the file and its directory if needed) and migrate. */
  static open(file: string, options?: SqliteOpenOptions): SqliteStore {
    return new SqliteStore(SqliteDriver.open(file, options));
  }

  /** The query plan, for benchmarks and debugging. */
  explain(sql: string, params: readonly unknown[]): string[] {
    return this.driver.explain(sql, params);
  }
}
