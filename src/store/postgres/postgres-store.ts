/** The graph store on PostgreSQL: the one SQL store over the PostgreSQL driver. */
import { SqlStore } from "../sql-store.js";
import { PostgresDriver, type PostgresOpenOptions } from "./driver.js";

export { advisoryKey } from "./driver.js";

export class PostgresStore extends SqlStore<PostgresDriver> {
  /** Connect, check the server answers, and migrate. */
  static async open(url: string, options?: PostgresOpenOptions): Promise<PostgresStore> {
    return new PostgresStore(await PostgresDriver.open(url, options));
  }
}
