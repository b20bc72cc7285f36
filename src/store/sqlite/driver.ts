/**
 * The SQLite driver (better-sqlite3): one connection in WAL mode, statements
 * kept prepared, transactions serialised in this process, driver failures
 * mapped to typed errors, and the row-at-a-time upsert that SQLite is fast at.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { sqliteDialect } from "../../query/dialect.js";
import { ConflictError, DmError, ExternalServiceError } from "../../shared/errors.js";
import { DEFAULT_WRITE_WAIT_MS, type Driver, type Executor } from "../driver.js";
import { batchEntities, batchRecords, batchRelationships, findingItemOf, upsertRefusal } from "../records.js";
import type {
  ChangeCounts,
  GraphBatch,
  ReleaseLock,
  Row,
  NormalisedBatch,
  SelectOptions,
  UpsertBatches,
  UpsertOptions,
  UpsertResult,
} from "../types.js";
import { SQLITE_MIGRATIONS } from "./schema.js";
import type { SelectWorkers } from "./select-workers.js";

type Db = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/**
 * better-sqlite3 is CommonJS: required, not imported, so that Node does not
 * scan its sources for named exports on every start (about 5 ms of the
 * one-repo report's budget).
 */
const requireCjs = createRequire(import.meta.url);
const Database = requireCjs("better-sqlite3") as typeof BetterSqlite3;

/**
 * better-sqlite3's addon where its build puts it, handed to it directly
 * instead of being searched for by the `bindings` package (2 ms of every
 * start); anywhere else, the search. Looked for once per process.
 */
let addon: { nativeBinding?: string } | undefined;
function addonOptions(): { nativeBinding?: string } {
  if (addon) return addon;
  try {
    const file = path.join(path.dirname(requireCjs.resolve("better-sqlite3/package.json")), "build", "Release", "better_sqlite3.node");
    addon = fs.existsSync(file) ? { nativeBinding: file } : {};
  } catch {
    addon = {};
  }
  return addon;
}
/** Statements kept prepared, at most. */
const MAX_CACHED_STATEMENTS = 200;

/** What the upsert reads of a stored entity. */
interface EntityRow {
  id: number;
  type: string;
  classes: string;
  display_name: string | null;
  source: string | null;
  props: string;
  deleted: number;
}

interface RelationshipRow {
  id: number;
  type: string;
  class: string;
  from_id: number;
  to_id: number;
  source: string | null;
  props: string;
  deleted: number;
}

export interface SqliteOpenOptions {
  /** How long a write waits for another process's write to finish (busy_timeout; default 5 s). */
  writeWaitMs?: number;
  /** Open an existing file read only (`file:...?mode=ro`): any write is exit 3, "read-only". */
  readonly?: boolean;
  /** OpenStoreOptions.readOnce: the default page cache (16 MB) instead of 256 MB. */
  readOnce?: boolean;
}

/**
 * A better-sqlite3 failure as a typed error: another writer holding the
 * database, a read-only file, a full disk or an unreadable file is a failing
 * resource (exit 3) with what to do; a unique key taken is a ConflictError.
 * Anything else (a statement of ours SQLite refuses) stays a bug.
 */
export function sqliteFailure(error: unknown, location: string, writeWaitMs: number): unknown {
  if (error instanceof DmError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return error;
  const message = (error as Error).message;
  const fail = (what: string, hint: string) =>
    new ExternalServiceError("sqlite", what, { cause: error, details: [hint] });
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return fail(
      `the database ${location} is busy: another dm process is writing to it (waited ${writeWaitMs / 1000} s)`,
      "Nothing was written. Try again when the other command (an import, a sync, dm serve) has finished.",
    );
  }
  if (code.startsWith("SQLITE_READONLY")) {
    return fail(`the database ${location} is read-only: ${message}`, "Check the file's and its directory's permissions, or give another --db.");
  }
  if (code === "SQLITE_FULL") {
    return fail(`the disk holding ${location} is full`, "Nothing was written. Free some space and try again.");
  }
  if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN") || code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB") {
    return fail(`cannot read or write the database ${location}: ${message}`, "Check the path (--db or DM_DATABASE_URL), the disk, and that the file is a dm database.");
  }
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return new ConflictError(message, { cause: error });
  }
  return error;
}

/** SQLite has no boolean type. */
const bindable = (value: unknown): unknown => (typeof value === "boolean" ? (value ? 1 : 0) : value === undefined ? null : value);

function migrate(db: Db): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on INTEGER NOT NULL)",
  );
  const applied = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of SQLITE_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_on) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        Date.now(),
      );
    }).immediate();
  }
}

/** Compiled queries name their parameters @p1, @p2... */
function bindNamed(params: readonly unknown[]): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  params.forEach((value, i) => {
    named[`p${i + 1}`] = bindable(value);
  });
  return named;
}

/** A first batch at least this big into an empty graph is loaded without secondary indexes. */
const INITIAL_LOAD_RECORDS = 5000;

const zero = (): ChangeCounts => ({ created: 0, updated: 0, unchanged: 0 });

/** What one upsert remembers across its batches. */
interface UpsertState {
  result: UpsertResult;
  /** the maintenance items of the findings created or changed (before and after): findingItemOf */
  items: Set<string>;
  /** every entity key written so far, to its id */
  idByKey: Map<string, number>;
  /**
   * Relationships stored before this upsert and seen in it. Those it creates
   * are not kept here (a million keys is hundreds of MB): their ids are above
   * firstNewRelationship's, which tells a key given twice.
   */
  seenRelationships: Set<string>;
  /** relationship ids from here on were created by this upsert */
  newRelationshipsFrom: number;
}

/** The upsert's prepared statements (SqliteDriver.statements). */
function upsertStatements(db: Db) {
  return {
    entityByKey: db.prepare<[string], EntityRow>(
      "SELECT id, type, classes, display_name, source, props, deleted FROM entities WHERE key = ?",
    ),
    entityIdByKey: db.prepare<[string], { id: number }>("SELECT id FROM entities WHERE key = ?"),
    insertEntity: db.prepare(
      `INSERT INTO entities (key, type, classes, display_name, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)
       ON CONFLICT (key) DO NOTHING`,
    ),
    updateEntity: db.prepare(
      `UPDATE entities SET type = @type, classes = @classes, display_name = @displayName, source = @source, props = @props,
         begin_on = @now, last_seen_on = @now, sync_run = @syncRun, deleted = 0, version = version + 1 WHERE id = @id`,
    ),
    touchEntities: db.prepare(
      "UPDATE entities SET last_seen_on = ?, sync_run = ? WHERE id IN (SELECT value FROM json_each(?))",
    ),
    insertClass: db.prepare("INSERT OR IGNORE INTO entity_classes (class, entity_id) VALUES (?, ?)"),
    insertClassesOf: db.prepare(
      `INSERT OR IGNORE INTO entity_classes (class, entity_id)
       SELECT c.value, e.id FROM json_each(?) AS n JOIN entities e ON e.id = n.value, json_each(e.classes) AS c`,
    ),
    maxRelationshipId: db.prepare<[], { id: number | null }>("SELECT max(id) AS id FROM relationships"),
    relationshipIdByKey: db.prepare<[string], { id: number }>("SELECT id FROM relationships WHERE key = ?"),
    deleteClasses: db.prepare("DELETE FROM entity_classes WHERE entity_id = ?"),
    relationshipByKey: db.prepare<[string], RelationshipRow>(
      "SELECT id, type, class, from_id, to_id, source, props, deleted FROM relationships WHERE key = ?",
    ),
    insertRelationship: db.prepare(
      `INSERT INTO relationships (key, type, class, from_id, to_id, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)
       ON CONFLICT (key) DO NOTHING`,
    ),
    updateRelationship: db.prepare(
      `UPDATE relationships SET type = @type, class = @class, from_id = @fromId, to_id = @toId, source = @source, props = @props,
         begin_on = @now, last_seen_on = @now, sync_run = @syncRun, deleted = 0, version = version + 1 WHERE id = @id`,
    ),
    touchRelationships: db.prepare(
      "UPDATE relationships SET last_seen_on = ?, sync_run = ? WHERE id IN (SELECT value FROM json_each(?))",
    ),
  };
}

export class SqliteDriver implements Driver {
  readonly kind = "sqlite" as const;
  readonly dialect = sqliteDialect;
  private upsertStatements: ReturnType<typeof upsertStatements> | undefined;
  private workers: SelectWorkers | undefined;
  /** statements by text (see prepared) */
  private readonly statementCache = new Map<string, Statement>();
  /** tryLock's names held now (in this process: SQLite has no cross-process advisory lock) */
  private readonly locks = new Set<string>();
  /** the transaction running now; the next waits for it (one connection, one transaction) */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    readonly location: string,
    private readonly writeWaitMs: number,
  ) {
  }

  /** The upsert's statements, prepared on first use: a read-only command (the repo report) never writes. */
  private get statements() {
    this.upsertStatements ??= upsertStatements(this.db);
    return this.upsertStatements;
  }

  /** Open (creating the file and its directory if needed) and migrate. */
  static open(file: string, options: SqliteOpenOptions = {}): SqliteDriver {
    const location = file === ":memory:" ? file : path.resolve(file);
    const writeWaitMs = options.writeWaitMs ?? DEFAULT_WRITE_WAIT_MS;
    let db: Db | undefined;
    try {
      if (options.readonly) {
        db = new Database(location, { readonly: true, fileMustExist: true, ...addonOptions() });
      } else {
        if (location !== ":memory:") fs.mkdirSync(path.dirname(location), { recursive: true });
        db = new Database(location, addonOptions());
      }
      db.pragma("journal_mode = WAL");
      db.pragma(`busy_timeout = ${Math.max(0, Math.round(writeWaitMs))}`);
      db.pragma("synchronous = NORMAL");
      // A large cache serves imports and the server; a process that reads once and exits keeps the default (readOnce).
      if (!options.readOnce) db.pragma("cache_size = -262144");
      db.pragma("temp_store = MEMORY");
      migrate(db);
    } catch (error) {
      db?.close();
      const mapped = sqliteFailure(error, location, writeWaitMs);
      if (mapped instanceof DmError) throw mapped;
      throw new ExternalServiceError("sqlite", `cannot open the database ${location}: ${(error as Error).message}`, {
        cause: error,
        details: ["Check the path (--db or DM_DATABASE_URL) and that the directory is writable."],
      });
    }
    return new SqliteDriver(db, location, writeWaitMs);
  }

  private failure(error: unknown): unknown {
    return sqliteFailure(error, this.location, this.writeWaitMs);
  }

  async all<R extends object = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return this.prepared(sql).all(...params.map(bindable)) as R[];
    } catch (error) {
      throw this.failure(error);
    }
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    try {
      return this.prepared(sql).run(...params.map(bindable)).changes;
    } catch (error) {
      throw this.failure(error);
    }
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      try {
        this.db.exec("BEGIN IMMEDIATE");
        const result = await fn(this);
        this.db.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw this.failure(error);
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  idIn(column: string): string {
    return `${column} IN (SELECT value FROM json_each(?))`;
  }

  idList(ids: readonly string[]): unknown {
    return JSON.stringify(ids.map(Number));
  }

  textIn(column: string): string {
    return `${column} IN (SELECT value FROM json_each(?))`;
  }

  textList(values: readonly string[]): unknown {
    return JSON.stringify(values);
  }

  /** Inside the upsert's transaction: nothing else writes until it ends. */
  private newUpsertState(): UpsertState {
    return {
      result: { entities: zero(), relationships: zero() },
      idByKey: new Map(),
      seenRelationships: new Set(),
      items: new Set(),
      newRelationshipsFrom: (this.statements.maxRelationshipId.get()!.id ?? 0) + 1,
    };
  }

  async upsertMany(
    batches: UpsertBatches,
    options: UpsertOptions,
    finish?: (tx: Executor, result: UpsertResult, items: ReadonlySet<string>) => Promise<void>,
  ): Promise<UpsertResult> {
    let state: UpsertState | undefined;
    // The batches may arrive asynchronously (a file being read): one
    // transaction around all of them.
    await this.transaction(async () => {
      state = this.newUpsertState();
      let dropped: { name: string; sql: string }[] | undefined;
      let first = true;
      for await (const batch of batches) {
        if (first) {
          first = false;
          if (this.isInitialLoad(batch)) dropped = this.dropSecondaryIndexes();
        }
        this.applyBatch(state, batch, options);
      }
      // Sorted index builds are much cheaper than as many random inserts.
      for (const index of dropped ?? []) this.db.exec(index.sql);
      await finish?.(this, state.result, state.items);
    });
    return state!.result;
  }

  /**
   * A large first batch into an (almost) empty graph: the first import of an
   * organisation. Then the secondary indexes are dropped for the load and
   * rebuilt before COMMIT (measured: 28% less time at 300,000 entities).
   * Lookups during the load use only the unique key indexes, which stay. DDL
   * is transactional in SQLite: a failed load rolls the indexes back too, and
   * readers keep seeing the old graph with its indexes.
   */
  private isInitialLoad(batch: GraphBatch | NormalisedBatch): boolean {
    if (batchRecords(batch) < INITIAL_LOAD_RECORDS) return false;
    const row = this.db.prepare("SELECT count(*) AS n FROM (SELECT 1 FROM entities LIMIT 1000)").get() as { n: number };
    return row.n < 1000;
  }

  private dropSecondaryIndexes(): { name: string; sql: string }[] {
    const indexes = this.db
      .prepare(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('entities', 'entity_classes', 'relationships')",
      )
      .all() as { name: string; sql: string }[];
    for (const index of indexes) this.db.exec(`DROP INDEX "${index.name.replace(/"/g, '""')}"`);
    return indexes;
  }

  /** Write one batch inside the caller's transaction. */
  private applyBatch(state: UpsertState, batch: GraphBatch | NormalisedBatch, options: UpsertOptions): void {
    const s = this.statements;
    const now = options.now;
    const syncRun = options.syncRun ?? null;
    const defaultSource = options.source ?? null;
    const { result, idByKey, seenRelationships } = state;
    // Unchanged records are only stamped as seen: one statement per batch
    // instead of one per record (a re-sync is mostly unchanged records).
    const touchedEntities: number[] = [];
    const touchedRelationships: number[] = [];
    const entityBase = batch.offset?.entities ?? 0;
    const relationshipBase = batch.offset?.relationships ?? 0;
    /** entities created in this batch: their classes go in with one statement */
    const created: number[] = [];
    batchEntities(batch, defaultSource).forEach((e, i) => {
      const index = entityBase + i;
      if (idByKey.has(e.key)) {
        throw upsertRefusal.duplicate("entities", index, e.key);
      }
      // Insert first: in a fresh import almost every key is new, and the
      // unique index answers "does it exist" on the way in. (Positional
      // parameters: binding an object costs more than the insert itself.)
      const info = s.insertEntity.run(
        e.key, e.type, e.classesJson, e.displayName, e.source, e.propsJson, now, now, now, syncRun,
      );
      if (info.changes === 1) {
        const id = Number(info.lastInsertRowid);
        const item = findingItemOf(e.type, e.props ?? e.propsJson);
        if (item !== undefined) state.items.add(item);
        created.push(id);
        idByKey.set(e.key, id);
        result.entities.created++;
        return;
      }
      const existing = s.entityByKey.get(e.key)!;
      idByKey.set(e.key, existing.id);
      if (options.createOnly) {
        result.entities.unchanged++;
        return;
      }
      const changed =
        existing.deleted !== 0 ||
        existing.type !== e.type ||
        existing.classes !== e.classesJson ||
        existing.display_name !== e.displayName ||
        existing.source !== e.source ||
        existing.props !== e.propsJson;
      if (!changed) {
        touchedEntities.push(existing.id);
        result.entities.unchanged++;
        return;
      }
      s.updateEntity.run({
        key: e.key,
        type: e.type,
        classes: e.classesJson,
        displayName: e.displayName,
        source: e.source,
        props: e.propsJson,
        now,
        syncRun,
        id: existing.id,
      });
      for (const item of [findingItemOf(existing.type, existing.props), findingItemOf(e.type, e.props ?? e.propsJson)]) {
        if (item !== undefined) state.items.add(item);
      }
      if (existing.classes !== e.classesJson) {
        s.deleteClasses.run(existing.id);
        for (const c of e.classes) s.insertClass.run(c, existing.id);
      }
      result.entities.updated++;
    });
    // Classes of the new entities, from their classes column: one statement
    // instead of one per class (ids ascending: the index pages fill in order).
    if (created.length > 0) s.insertClassesOf.run(JSON.stringify(created));

    /** a relationship key already written by this upsert */
    const seenBefore = (key: string): boolean => {
      if (seenRelationships.has(key)) return true;
      const row = s.relationshipIdByKey.get(key);
      return row !== undefined && row.id >= state.newRelationshipsFrom;
    };
    batchRelationships(batch, defaultSource).forEach((r, i) => {
      const index = relationshipBase + i;
      const resolve = (key: string, field: "_fromEntityKey" | "_toEntityKey"): number => {
        const known = idByKey.get(key) ?? s.entityIdByKey.get(key)?.id;
        if (known === undefined) {
          // A key given twice is reported before its ends (as it always was).
          if (seenBefore(r.key)) throw upsertRefusal.duplicate("relationships", index, r.key);
          throw upsertRefusal.unknownEnd(index, field, key);
        }
        return known;
      };
      const fromId = resolve(r.fromKey, "_fromEntityKey");
      const toId = resolve(r.toKey, "_toEntityKey");
      const inserted = s.insertRelationship.run(
        r.key, r.type, r.class, fromId, toId, r.source, r.propsJson, now, now, now, syncRun,
      );
      if (inserted.changes === 1) {
        result.relationships.created++;
        return;
      }
      const existing = s.relationshipByKey.get(r.key)!;
      if (existing.id >= state.newRelationshipsFrom || seenRelationships.has(r.key)) {
        throw upsertRefusal.duplicate("relationships", index, r.key);
      }
      seenRelationships.add(r.key);
      if (options.createOnly) {
        result.relationships.unchanged++;
        return;
      }
      const changed =
        existing.deleted !== 0 ||
        existing.type !== r.type ||
        existing.class !== r.class ||
        existing.from_id !== fromId ||
        existing.to_id !== toId ||
        existing.source !== r.source ||
        existing.props !== r.propsJson;
      if (!changed) {
        touchedRelationships.push(existing.id);
        result.relationships.unchanged++;
        return;
      }
      s.updateRelationship.run({
        key: r.key,
        type: r.type,
        class: r.class,
        fromId,
        toId,
        source: r.source,
        props: r.propsJson,
        now,
        syncRun,
        id: existing.id,
      });
      result.relationships.updated++;
    });
    if (touchedEntities.length > 0) s.touchEntities.run(now, syncRun, JSON.stringify(touchedEntities));
    if (touchedRelationships.length > 0) s.touchRelationships.run(now, syncRun, JSON.stringify(touchedRelationships));
  }

  async select(sql: string, params: readonly unknown[], options?: SelectOptions): Promise<Row[]> {
    // An in-memory database has no file another connection could read: no time limit there.
    if (options?.timeoutMs !== undefined && this.location !== ":memory:") {
      if (!this.workers) {
        const { SelectWorkers } = await import("./select-workers.js");
        this.workers ??= new SelectWorkers(this.location);
      }
      return this.workers.run(sql, params.length > 0 ? bindNamed(params) : null, options.timeoutMs).catch((error: unknown) => {
        throw this.failure(error);
      });
    }
    try {
      const stmt = this.prepared(sql);
      return (params.length > 0 ? stmt.all(bindNamed(params)) : stmt.all()) as Row[];
    } catch (error) {
      throw this.failure(error);
    }
  }

  /**
   * The rows of a select, stepped from one statement `pageRows` at a time
   * (better-sqlite3's iterate): the caller shapes and writes a page before
   * the next is read. The statement holds the connection until the last page
   * or until the consumer stops (the iterator is closed either way).
   */
  async *selectPages(sql: string, params: readonly unknown[], pageRows: number): AsyncGenerator<Row[]> {
    let rows: IterableIterator<unknown>;
    try {
      const stmt = this.prepared(sql);
      rows = params.length > 0 ? stmt.iterate(bindNamed(params)) : stmt.iterate();
    } catch (error) {
      throw this.failure(error);
    }
    try {
      for (;;) {
        const page: Row[] = [];
        try {
          for (let next = rows.next(); ; next = rows.next()) {
            if (next.done) break;
            page.push(next.value as Row);
            if (page.length >= pageRows) break;
          }
        } catch (error) {
          throw this.failure(error);
        }
        if (page.length === 0) return;
        yield page;
        if (page.length < pageRows) return;
      }
    } finally {
      rows.return?.();
    }
  }

  /**
   * A prepared statement, kept for the next call with the same text:
   * preparing cost more than running the hot lookups (the server's repo
   * report spent a third of its time in prepare). Bounded: the oldest goes
   * when MAX_CACHED_STATEMENTS are kept.
   */
  private prepared(sql: string): Statement {
    let stmt = this.statementCache.get(sql);
    if (stmt) return stmt;
    stmt = this.db.prepare(sql);
    if (this.statementCache.size >= MAX_CACHED_STATEMENTS) {
      this.statementCache.delete(this.statementCache.keys().next().value!);
    }
    this.statementCache.set(sql, stmt);
    return stmt;
  }

  /** The query plan, for benchmarks and debugging. */
  explain(sql: string, params: readonly unknown[]): string[] {
    const stmt = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const rows = (params.length > 0 ? stmt.all(bindNamed(params)) : stmt.all()) as { detail: string }[];
    return rows.map((r) => r.detail);
  }

  async tryLock(name: string): Promise<ReleaseLock | undefined> {
    if (this.locks.has(name)) return undefined;
    this.locks.add(name);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      this.locks.delete(name);
    };
  }

  async analyze(): Promise<void> {
    // Sampled statistics (a few hundred rows per index) are enough for the
    // planner and take milliseconds instead of seconds on a large graph.
    try {
      this.db.pragma("analysis_limit = 400");
      this.db.exec("ANALYZE");
    } catch (error) {
      throw this.failure(error);
    }
  }

  async close(): Promise<void> {
    await this.workers?.close();
    if (this.db.open) this.db.close();
  }
}
