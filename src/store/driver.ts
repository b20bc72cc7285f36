/**
 * What a database backend gives the one SQL store (sql-store.ts): statements
 * on a connection, transactions, the named lock, its dialect, and the mapping
 * of its driver's failures to the typed errors of shared/errors.ts. Each
 * backend keeps only what truly differs: its upsert strategy, its
 * migrations, connection handling and statement caching.
 *
 * Statements given to `all` and `run` are written once for both backends:
 * `?` placeholders (the PostgreSQL driver numbers them), SQL both databases
 * accept (TRUE/FALSE, RETURNING, ON CONFLICT), and values the driver
 * converts (booleans become 0/1 on SQLite). Rows come back as the driver
 * reads them: integers may be numbers or strings (BIGINT), JSON columns text
 * or decoded, booleans 0/1 or true/false; sql-store.ts's row mappers accept
 * either.
 */
import type { Dialect } from "../query/dialect.js";
import type { ReleaseLock, Row, SelectOptions, UpsertBatches, UpsertOptions, UpsertResult } from "./types.js";

/** One connection's statements (the pool's, or a transaction's). */
export interface Executor {
  /** Every row of a statement (a read, or a write with RETURNING). */
  all<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A write; returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface Driver extends Executor {
  readonly kind: "sqlite" | "postgres";
  readonly dialect: Dialect;
  /** Where the data lives, without credentials. */
  readonly location: string;

  /**
   * Run `fn` in one transaction on one connection: committed when it
   * resolves, rolled back when it throws (the error is rethrown, mapped).
   * A writer holding the database longer than the driver waits is an
   * ExternalServiceError (exit 3) that says to try again.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;

  /**
   * `column` is one of a list of integer ids bound as ONE parameter (the
   * value `idList` makes), so one prepared statement serves any list length.
   */
  idIn(column: string): string;
  idList(ids: readonly string[]): unknown;
  /** `column` is one of a list of text values bound as ONE parameter (the value `textList` makes). */
  textIn(column: string): string;
  textList(values: readonly string[]): unknown;

  /** A compiled J1QL statement, in the dialect's own parameter style. */
  select(sql: string, params: readonly unknown[], options?: SelectOptions): Promise<Row[]>;
  /** GraphStore.selectPages, where the backend reads rows as they are consumed. */
  selectPages?(sql: string, params: readonly unknown[], pageRows: number): AsyncIterable<Row[]>;

  /**
   * The backend's upsert strategy (GraphStore.upsertMany). `finish` runs on
   * the upsert's own transaction after the last batch (the audit entry);
   * `items` are the maintenance items (findingItemOf) of the findings the
   * upsert created or changed, before and after the change.
   */
  upsertMany(
    batches: UpsertBatches,
    options: UpsertOptions,
    finish?: (tx: Executor, result: UpsertResult, items: ReadonlySet<string>) => Promise<void>,
  ): Promise<UpsertResult>;

  /** GraphStore.tryLock. */
  tryLock(name: string): Promise<ReleaseLock | undefined>;

  /** Refresh planner statistics. */
  analyze(): Promise<void>;

  close(): Promise<void>;
}

/** Ids are decimal strings of integer keys: anything else (`1e3`, ` 7`, `-1`) names no record, on both backends. */
const ID = /^\d{1,18}$/;

export function validIds(ids: readonly string[]): string[] {
  return ids.filter((id) => ID.test(id));
}

/** How long a writer waits for another writer to finish before giving up (exit 3, "try again"). */
export const DEFAULT_WRITE_WAIT_MS = 5000;
