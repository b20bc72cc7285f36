import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { sqliteDialect } from "../../query/dialect.js";
import { ConflictError, ExternalServiceError, InputError } from "../../shared/errors.js";
import { normaliseEntity, normaliseRelationship } from "../records.js";
import type {
  ApiToken,
  AuditEntry,
  ChangeCounts,
  GraphBatch,
  GraphStore,
  JobRun,
  JobRunStatus,
  ReleaseLock,
  NewApiToken,
  Row,
  SelectOptions,
  StoredAuditEntry,
  StoredEntity,
  StoredRelationship,
  SyncRun,
  SyncStatus,
  TokenRole,
  UpsertOptions,
  UpsertResult,
} from "../types.js";
import { SQLITE_MIGRATIONS } from "./schema.js";
import type { SelectWorkers } from "./select-workers.js";

type Db = Database.Database;
type Statement = Database.Statement;
/** Read statements kept prepared, at most. */
const MAX_CACHED_STATEMENTS = 200;

interface EntityRow {
  id: number;
  key: string;
  type: string;
  classes: string;
  display_name: string | null;
  source: string | null;
  props: string;
  created_on: number;
  begin_on: number;
  last_seen_on: number;
  sync_run: number | null;
  deleted: number;
  version: number;
}

interface RelationshipRow {
  id: number;
  key: string;
  type: string;
  class: string;
  from_id: number;
  to_id: number;
  from_key: string;
  to_key: string;
  source: string | null;
  props: string;
  created_on: number;
  begin_on: number;
  last_seen_on: number;
  sync_run: number | null;
  deleted: number;
  version: number;
}

interface TokenRow {
  id: number;
  name: string;
  role: TokenRole;
  hash: string;
  created_on: number;
  last_used_on: number | null;
  expires_on: number | null;
  revoked_on: number | null;
}

const TOKEN_COLUMNS = "id, name, role, hash, created_on, last_used_on, expires_on, revoked_on";

function tokenFromRow(row: TokenRow): ApiToken {
  return {
    id: String(row.id),
    name: row.name,
    role: row.role,
    createdOn: row.created_on,
    lastUsedOn: row.last_used_on,
    expiresOn: row.expires_on,
    revokedOn: row.revoked_on,
  };
}

const ENTITY_COLUMNS =
  "id, key, type, classes, display_name, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version";
const RELATIONSHIP_COLUMNS =
  "r.id, r.key, r.type, r.class, r.from_id, r.to_id, f.key AS from_key, t.key AS to_key, r.source, r.props, r.created_on, r.begin_on, r.last_seen_on, r.sync_run, r.deleted, r.version";

export function entityFromRow(row: EntityRow): StoredEntity {
  return {
    id: String(row.id),
    key: row.key,
    type: row.type,
    classes: JSON.parse(row.classes) as string[],
    displayName: row.display_name,
    source: row.source,
    props: JSON.parse(row.props) as Record<string, unknown>,
    createdOn: row.created_on,
    beginOn: row.begin_on,
    lastSeenOn: row.last_seen_on,
    version: row.version,
    deleted: row.deleted !== 0,
    syncRun: row.sync_run,
  };
}

function relationshipFromRow(row: RelationshipRow): StoredRelationship {
  return {
    id: String(row.id),
    key: row.key,
    type: row.type,
    class: row.class,
    fromId: String(row.from_id),
    toId: String(row.to_id),
    fromKey: row.from_key,
    toKey: row.to_key,
    source: row.source,
    props: JSON.parse(row.props) as Record<string, unknown>,
    createdOn: row.created_on,
    beginOn: row.begin_on,
    lastSeenOn: row.last_seen_on,
    version: row.version,
    deleted: row.deleted !== 0,
    syncRun: row.sync_run,
  };
}

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

/** Compiled queries name their parameters @p1, @p2...; SQLite has no boolean type. */
function bindNamed(params: readonly unknown[]): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  params.forEach((value, i) => {
    named[`p${i + 1}`] = typeof value === "boolean" ? (value ? 1 : 0) : value;
  });
  return named;
}

/** A first batch at least this big into an empty graph is loaded without secondary indexes. */
const INITIAL_LOAD_RECORDS = 5000;

const zero = (): ChangeCounts => ({ created: 0, updated: 0, unchanged: 0 });

/** What one upsert remembers across its batches. */
interface UpsertState {
  result: UpsertResult;
  /** every entity key written so far, to its id */
  idByKey: Map<string, number>;
  seenRelationships: Set<string>;
}

function newUpsertState(): UpsertState {
  return { result: { entities: zero(), relationships: zero() }, idByKey: new Map(), seenRelationships: new Set() };
}

export class SqliteStore implements GraphStore {
  readonly kind = "sqlite" as const;
  readonly dialect = sqliteDialect;
  private readonly statements;
  private workers: SelectWorkers | undefined;
  /** read statements by text (see cachedStatement) */
  private readonly statementCache = new Map<string, Statement>();
  /** tryLock's names held now (in this process: SQLite has no cross-process advisory lock) */
  private readonly locks = new Set<string>();

  private constructor(
    private readonly db: Db,
    readonly location: string,
  ) {
    this.statements = {
      entityByKey: db.prepare<[string], EntityRow>(`SELECT ${ENTITY_COLUMNS} FROM entities WHERE key = ?`),
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
      deleteClasses: db.prepare("DELETE FROM entity_classes WHERE entity_id = ?"),
      relationshipByKey: db.prepare<[string], Omit<RelationshipRow, "from_key" | "to_key">>(
        "SELECT id, key, type, class, from_id, to_id, source, props, deleted FROM relationships WHERE key = ?",
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
      insertAudit: db.prepare(
        "INSERT INTO audit_log (at, actor, action, subject, details) VALUES (@at, @actor, @action, @subject, @details)",
      ),
    };
  }

  /** Open (creating the file and its directory if needed) and migrate. */
  static open(file: string): SqliteStore {
    const location = file === ":memory:" ? file : path.resolve(file);
    let db: Db;
    try {
      if (location !== ":memory:") fs.mkdirSync(path.dirname(location), { recursive: true });
      db = new Database(location);
      db.pragma("journal_mode = WAL");
      db.pragma("busy_timeout = 5000");
      db.pragma("synchronous = NORMAL");
      db.pragma("cache_size = -262144");
      db.pragma("temp_store = MEMORY");
      migrate(db);
    } catch (error) {
      throw new ExternalServiceError("sqlite", `cannot open the database ${location}: ${(error as Error).message}`, {
        cause: error,
        details: ["Check the path (--db or DM_DATABASE_URL) and that the directory is writable."],
      });
    }
    return new SqliteStore(db, location);
  }

  async upsert(batch: GraphBatch, options: UpsertOptions): Promise<UpsertResult> {
    return this.upsertMany([batch], options);
  }

  async upsertMany(
    batches: Iterable<GraphBatch> | AsyncIterable<GraphBatch>,
    options: UpsertOptions,
  ): Promise<UpsertResult> {
    const state = newUpsertState();
    // A plain BEGIN/COMMIT rather than db.transaction(): the batches may
    // arrive asynchronously (a file being read), and the connection is ours.
    this.db.exec("BEGIN IMMEDIATE");
    try {
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
      this.db.exec("COMMIT");
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
    return state.result;
  }

  /**
   * A large first batch into an (almost) empty graph: the first import of an
   * organisation. Then the secondary indexes are dropped for the load and
   * rebuilt before COMMIT (measured: 28% less time at 300,000 entities).
   * Lookups during the load use only the unique key indexes, which stay. DDL
   * is transactional in SQLite: a failed load rolls the indexes back too, and
   * readers keep seeing the old graph with its indexes.
   */
  private isInitialLoad(batch: GraphBatch): boolean {
    if (batch.entities.length + batch.relationships.length < INITIAL_LOAD_RECORDS) return false;
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

  /** Synchronous upsert of one batch in one IMMEDIATE transaction (scripts, generators). */
  upsertSync(batch: GraphBatch, options: UpsertOptions): UpsertResult {
    const state = newUpsertState();
    this.db.transaction(() => this.applyBatch(state, batch, options)).immediate();
    return state.result;
  }

  /** Write one batch inside the caller's transaction. */
  private applyBatch(state: UpsertState, batch: GraphBatch, options: UpsertOptions): void {
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
    batch.entities.forEach((record, i) => {
      const index = entityBase + i;
      const e = normaliseEntity(record, defaultSource);
      if (idByKey.has(e.key)) {
        throw new InputError(`entities[${index}]._key: "${e.key}" appears twice in this batch`, {
          details: ["Each _key must be unique; merge the two records."],
        });
      }
      const values = {
        key: e.key,
        type: e.type,
        classes: e.classesJson,
        displayName: e.displayName,
        source: e.source,
        props: e.propsJson,
        now,
        syncRun,
      };
      // Insert first: in a fresh import almost every key is new, and the
      // unique index answers "does it exist" on the way in. (Positional
      // parameters: binding an object costs more than the insert itself.)
      const info = s.insertEntity.run(
        e.key, e.type, e.classesJson, e.displayName, e.source, e.propsJson, now, now, now, syncRun,
      );
      if (info.changes === 1) {
        const id = Number(info.lastInsertRowid);
        for (const c of e.classes) s.insertClass.run(c, id);
        idByKey.set(e.key, id);
        result.entities.created++;
        return;
      }
      const existing = s.entityByKey.get(e.key)!;
      idByKey.set(e.key, existing.id);
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
      s.updateEntity.run({ ...values, id: existing.id });
      if (existing.classes !== e.classesJson) {
        s.deleteClasses.run(existing.id);
        for (const c of e.classes) s.insertClass.run(c, existing.id);
      }
      result.entities.updated++;
    });

    batch.relationships.forEach((record, i) => {
      const index = relationshipBase + i;
      const r = normaliseRelationship(record, defaultSource);
      if (seenRelationships.has(r.key)) {
        throw new InputError(`relationships[${index}]._key: "${r.key}" appears twice in this batch`);
      }
      seenRelationships.add(r.key);
      const resolve = (key: string, field: string): number => {
        const known = idByKey.get(key) ?? s.entityIdByKey.get(key)?.id;
        if (known === undefined) {
          throw new InputError(`relationships[${index}].${field}: no entity has the key "${key}"`, {
            details: ["Add the entity to the file, or import it first."],
          });
        }
        return known;
      };
      const fromId = resolve(r.fromKey, "_fromEntityKey");
      const toId = resolve(r.toKey, "_toEntityKey");
      const values = {
        key: r.key,
        type: r.type,
        class: r.class,
        fromId,
        toId,
        source: r.source,
        props: r.propsJson,
        now,
        syncRun,
      };
      const inserted = s.insertRelationship.run(
        r.key, r.type, r.class, fromId, toId, r.source, r.propsJson, now, now, now, syncRun,
      );
      if (inserted.changes === 1) {
        result.relationships.created++;
        return;
      }
      const existing = s.relationshipByKey.get(r.key)!;
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
      s.updateRelationship.run({ ...values, id: existing.id });
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
      return this.workers.run(sql, params.length > 0 ? bindNamed(params) : null, options.timeoutMs);
    }
    const stmt = this.cachedStatement(sql);
    return (params.length > 0 ? stmt.all(bindNamed(params)) : stmt.all()) as Row[];
  }

  /**
   * A prepared statement for a read, kept for the next call with the same
   * text: preparing cost more than running the hot lookups (the server's
   * repo report spent a third of its time in prepare). Bounded: the oldest
   * goes when MAX_CACHED_STATEMENTS are kept.
   */
  private cachedStatement(sql: string): Statement {
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

  async getEntities(ids: readonly string[]): Promise<StoredEntity[]> {
    if (ids.length === 0) return [];
    const rows = this.cachedStatement(
      `SELECT ${ENTITY_COLUMNS} FROM entities WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    ).all(JSON.stringify(ids.map(Number))) as EntityRow[];
    return rows.map(entityFromRow);
  }

  async getRelationships(ids: readonly string[]): Promise<StoredRelationship[]> {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare<[string], RelationshipRow>(
        `SELECT ${RELATIONSHIP_COLUMNS} FROM relationships r JOIN entities f ON f.id = r.from_id JOIN entities t ON t.id = r.to_id
         WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id`,
      )
      .all(JSON.stringify(ids.map(Number)));
    return rows.map(relationshipFromRow);
  }

  async *exportGraph(options?: { includeDeleted?: boolean; pageSize?: number }) {
    const pageSize = options?.pageSize ?? 5000;
    const deleted = options?.includeDeleted ? "" : "AND deleted = 0";
    let after = 0;
    const entityPage = this.db.prepare<[number, number], EntityRow>(
      `SELECT ${ENTITY_COLUMNS} FROM entities WHERE id > ? ${deleted} ORDER BY id LIMIT ?`,
    );
    for (;;) {
      const rows = entityPage.all(after, pageSize);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      yield { entities: rows.map(entityFromRow) };
    }
    after = 0;
    const relDeleted = options?.includeDeleted ? "" : "AND r.deleted = 0";
    const relationshipPage = this.db.prepare<[number, number], RelationshipRow>(
      `SELECT ${RELATIONSHIP_COLUMNS} FROM relationships r JOIN entities f ON f.id = r.from_id JOIN entities t ON t.id = r.to_id
       WHERE r.id > ? ${relDeleted} ORDER BY r.id LIMIT ?`,
    );
    for (;;) {
      const rows = relationshipPage.all(after, pageSize);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      yield { relationships: rows.map(relationshipFromRow) };
    }
  }

  async counts() {
    const e = this.db.prepare("SELECT count(*) AS n FROM entities WHERE deleted = 0").get() as { n: number };
    const r = this.db.prepare("SELECT count(*) AS n FROM relationships WHERE deleted = 0").get() as { n: number };
    return { entities: e.n, relationships: r.n };
  }

  async startSyncRun(integration: string, instance: string, now: number): Promise<number> {
    const info = this.db
      .prepare("INSERT INTO sync_runs (integration, instance, started_on, status) VALUES (?, ?, ?, 'running')")
      .run(integration, instance, now);
    return Number(info.lastInsertRowid);
  }

  async finishSyncRun(
    id: number,
    result: { status: Exclude<SyncStatus, "running">; now: number; counts?: Record<string, number>; error?: string },
  ): Promise<void> {
    this.db
      .prepare("UPDATE sync_runs SET status = ?, finished_on = ?, counts = ?, error = ? WHERE id = ?")
      .run(result.status, result.now, result.counts ? JSON.stringify(result.counts) : null, result.error ?? null, id);
  }

  async markUnseenDeleted(source: string, syncRun: number, now: number) {
    const mark = (table: "entities" | "relationships") =>
      this.db
        .prepare(
          `UPDATE ${table} SET deleted = 1, begin_on = ?, version = version + 1
           WHERE source = ? AND deleted = 0 AND (sync_run IS NULL OR sync_run <> ?)`,
        )
        .run(now, source, syncRun).changes;
    return this.db.transaction(() => ({ relationships: mark("relationships"), entities: mark("entities") })).immediate();
  }

  async latestSyncRuns(): Promise<SyncRun[]> {
    const rows = this.db
      .prepare(
        `SELECT id, integration, instance, started_on, finished_on, status, counts, error FROM sync_runs s
         WHERE id = (SELECT max(id) FROM sync_runs t WHERE t.instance = s.instance AND t.integration = s.integration)
         ORDER BY id DESC`,
      )
      .all() as {
      id: number;
      integration: string;
      instance: string;
      started_on: number;
      finished_on: number | null;
      status: SyncStatus;
      counts: string | null;
      error: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      integration: r.integration,
      instance: r.instance,
      startedOn: r.started_on,
      finishedOn: r.finished_on,
      status: r.status,
      counts: r.counts === null ? null : (JSON.parse(r.counts) as Record<string, number>),
      error: r.error,
    }));
  }

  async audit(entry: AuditEntry): Promise<void> {
    this.statements.insertAudit.run({
      ...entry,
      details: entry.details === undefined ? null : JSON.stringify(entry.details),
    });
  }

  async auditLog(options?: { limit?: number }): Promise<StoredAuditEntry[]> {
    const rows = this.db
      .prepare<[number], { id: number; at: number; actor: string; action: string; subject: string; details: string | null }>(
        "SELECT id, at, actor, action, subject, details FROM audit_log ORDER BY id DESC LIMIT ?",
      )
      .all(options?.limit ?? 100);
    return rows.map((r) => ({
      id: String(r.id),
      at: r.at,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      ...(r.details === null ? {} : { details: JSON.parse(r.details) as Record<string, unknown> }),
    }));
  }

  async createApiToken(token: NewApiToken): Promise<ApiToken> {
    try {
      const info = this.db
        .prepare("INSERT INTO api_tokens (name, role, hash, created_on, expires_on) VALUES (?, ?, ?, ?, ?)")
        .run(token.name, token.role, token.hash, token.createdOn, token.expiresOn);
      return tokenFromRow({
        id: Number(info.lastInsertRowid),
        name: token.name,
        role: token.role,
        hash: token.hash,
        created_on: token.createdOn,
        last_used_on: null,
        expires_on: token.expiresOn,
        revoked_on: null,
      });
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new ConflictError(`a token named "${token.name}" already exists`, {
          cause: error,
          details: ["Names stay taken after revocation, so the audit log names one token; pick another."],
        });
      }
      throw error;
    }
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return (this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY name`).all() as TokenRow[]).map(tokenFromRow);
  }

  async findApiTokenByHash(hash: string): Promise<(ApiToken & { hash: string }) | undefined> {
    const row = this.cachedStatement(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?`).get(hash) as TokenRow | undefined;
    return row ? { ...tokenFromRow(row), hash: row.hash } : undefined;
  }

  async touchApiToken(id: string, now: number): Promise<void> {
    this.db.prepare("UPDATE api_tokens SET last_used_on = ? WHERE id = ?").run(now, Number(id));
  }

  async revokeApiToken(name: string, now: number): Promise<ApiToken | undefined> {
    this.db.prepare("UPDATE api_tokens SET revoked_on = ? WHERE name = ? AND revoked_on IS NULL").run(now, name);
    const row = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE name = ?`).get(name) as TokenRow | undefined;
    return row ? tokenFromRow(row) : undefined;
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

  async startJobRun(run: { job: string; scheduledFor: number; startedOn: number; runner: string }): Promise<number | undefined> {
    const info = this.db
      .prepare(
        `INSERT INTO job_runs (job, scheduled_for, started_on, status, runner) VALUES (?, ?, ?, 'running', ?)
         ON CONFLICT (job, scheduled_for) DO NOTHING`,
      )
      .run(run.job, run.scheduledFor, run.startedOn, run.runner);
    return info.changes === 0 ? undefined : Number(info.lastInsertRowid);
  }

  async finishJobRun(
    id: number,
    result: { status: Exclude<JobRunStatus, "running">; now: number; error?: string; details?: Record<string, unknown> },
  ): Promise<void> {
    this.db
      .prepare("UPDATE job_runs SET status = ?, finished_on = ?, error = ?, details = ? WHERE id = ?")
      .run(result.status, result.now, result.error ?? null, result.details === undefined ? null : JSON.stringify(result.details), id);
  }

  async latestJobRuns(): Promise<JobRun[]> {
    const rows = this.db
      .prepare(
        `SELECT id, job, scheduled_for, started_on, finished_on, status, runner, error, details FROM job_runs
         WHERE id IN (SELECT max(id) FROM job_runs GROUP BY job) ORDER BY job`,
      )
      .all() as {
      id: number;
      job: string;
      scheduled_for: number;
      started_on: number;
      finished_on: number | null;
      status: JobRunStatus;
      runner: string;
      error: string | null;
      details: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      job: r.job,
      scheduledFor: r.scheduled_for,
      startedOn: r.started_on,
      finishedOn: r.finished_on,
      status: r.status,
      runner: r.runner,
      error: r.error,
      details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
    }));
  }

  async pruneJobRuns(before: number): Promise<number> {
    return this.db.prepare("DELETE FROM job_runs WHERE started_on < ?").run(before).changes;
  }

  async analyze(): Promise<void> {
    // Sampled statistics (a few hundred rows per index) are enough for the
    // planner and take milliseconds instead of seconds on a large graph.
    this.db.pragma("analysis_limit = 400");
    this.db.exec("ANALYZE");
  }

  async close(): Promise<void> {
    await this.workers?.close();
    if (this.db.open) this.db.close();
  }
}
