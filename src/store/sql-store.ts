/**
 * The graph store, written once over a backend's Driver (driver.ts). The
 * contract suite (store.contract.test.ts) runs this one implementation on
 * the SQLite and the PostgreSQL driver.
 */
import { FINDING_FACTS_TYPE, findingItemSql } from "../query/finding-facts.js";
import { ConflictError } from "../shared/errors.js";
import { type Driver, type Executor, validIds } from "./driver.js";
import type {
  CachedResult,
  AlertDelivery,
  AlertDeliveryStatus,
  AlertSilence,
  AlertStateChange,
  AlertStateRow,
  ApiToken,
  AuditEntry,
  GraphBatch,
  GraphStore,
  JobRun,
  JobRunStatus,
  NewApiToken,
  ReleaseLock,
  Row,
  SelectOptions,
  DrillRun,
  DrillStep,
  DrillSummary,
  StoredAlertRule,
  StoredAuditEntry,
  StoredEntity,
  StoredQuestion,
  SyncCacheEntry,
  StoredRelationship,
  SyncRun,
  SyncStatus,
  TokenRole,
  UpsertBatches,
  UpsertOptions,
  UpsertResult,
} from "./types.js";

/** An integer column: a number (SQLite), or a string (PostgreSQL BIGINT, kept exact). */
type Int = number | string;
/** A JSON column: text (SQLite) or decoded (PostgreSQL jsonb). */
type Json = string | object;

const num = (v: Int): number => (typeof v === "number" ? v : Number(v));
const numOrNull = (v: Int | null): number | null => (v === null ? null : num(v));
const json = <T>(v: Json): T => (typeof v === "string" ? JSON.parse(v) : v) as T;
const jsonOrNull = <T>(v: Json | null): T | null => (v === null ? null : json<T>(v));
/** A JSON column's value as text (PostgreSQL infers jsonb from the column). */
const toJson = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

interface EntityRow {
  id: Int;
  key: string;
  type: string;
  classes: Json;
  display_name: string | null;
  source: string | null;
  props: Json;
  created_on: Int;
  begin_on: Int;
  last_seen_on: Int;
  sync_run: Int | null;
  deleted: number | boolean;
  version: number;
}

interface RelationshipRow extends Omit<EntityRow, "classes" | "display_name"> {
  class: string;
  from_id: Int;
  to_id: Int;
  from_key: string;
  to_key: string;
}

interface TokenRow {
  id: Int;
  name: string;
  role: TokenRole;
  hash: string;
  created_on: Int;
  last_used_on: Int | null;
  expires_on: Int | null;
  revoked_on: Int | null;
  owner: string | null;
}

interface SyncRunRow {
  id: Int;
  integration: string;
  instance: string;
  started_on: Int;
  finished_on: Int | null;
  status: SyncStatus;
  counts: Json | null;
  error: string | null;
}

interface JobRunRow {
  id: Int;
  job: string;
  scheduled_for: Int;
  started_on: Int;
  finished_on: Int | null;
  status: JobRunStatus;
  runner: string;
  error: string | null;
  details: Json | null;
}

interface AuditRow {
  id: Int;
  at: Int;
  actor: string;
  action: string;
  subject: string;
  details: Json | null;
}

interface AlertStateDbRow {
  entity_key: string;
  group_value: string | null;
  entity: Json;
  first_seen: Int;
  last_announced: Int | null;
  fingerprint: string | null;
}

interface AlertDeliveryDbRow {
  id: Int;
  notification_id: string;
  rule: string;
  destination: string;
  kind: string;
  status: AlertDeliveryStatus;
  attempts: Int;
  next_attempt_at: Int;
  last_error: string | null;
  payload: Json;
  created_on: Int;
  updated_on: Int;
}

interface AlertSilenceDbRow {
  id: Int;
  rule: string;
  entity_key: string | null;
  until_on: Int;
  reason: string;
  created_by: string;
  created_on: Int;
}

const ALERT_STATE_COLUMNS = "entity_key, group_value, entity, first_seen, last_announced, fingerprint";
const ALERT_DELIVERY_COLUMNS =
  "id, notification_id, rule, destination, kind, status, attempts, next_attempt_at, last_error, payload, created_on, updated_on";
const ALERT_SILENCE_COLUMNS = "id, rule, entity_key, until_on, reason, created_by, created_on";

function alertStateFromRow(r: AlertStateDbRow): AlertStateRow {
  return {
    entityKey: r.entity_key,
    group: r.group_value,
    entity: json<Record<string, unknown>>(r.entity),
    firstSeen: num(r.first_seen),
    lastAnnounced: numOrNull(r.last_announced),
    fingerprint: r.fingerprint,
  };
}

function alertDeliveryFromRow(r: AlertDeliveryDbRow): AlertDelivery {
  return {
    id: String(r.id),
    notificationId: r.notification_id,
    rule: r.rule,
    destination: r.destination,
    kind: r.kind,
    status: r.status,
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    lastError: r.last_error,
    payload: json<unknown>(r.payload),
    createdOn: num(r.created_on),
    updatedOn: num(r.updated_on),
  };
}

function alertSilenceFromRow(r: AlertSilenceDbRow): AlertSilence {
  return {
    id: String(r.id),
    rule: r.rule,
    entityKey: r.entity_key,
    until: num(r.until_on),
    reason: r.reason,
    createdBy: r.created_by,
    createdOn: num(r.created_on),
  };
}

const ENTITY_COLUMNS =
  "id, key, type, classes, display_name, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version";
const RELATIONSHIP_COLUMNS =
  "r.id, r.key, r.type, r.class, r.from_id, r.to_id, f.key AS from_key, t.key AS to_key, r.source, r.props, r.created_on, r.begin_on, r.last_seen_on, r.sync_run, r.deleted, r.version";
const RELATIONSHIP_FROM = "relationships r JOIN entities f ON f.id = r.from_id JOIN entities t ON t.id = r.to_id";
const TOKEN_COLUMNS = "id, name, role, hash, created_on, last_used_on, expires_on, revoked_on, owner";
const SYNC_RUN_COLUMNS = "id, integration, instance, started_on, finished_on, status, counts, error";
const JOB_RUN_COLUMNS = "id, job, scheduled_for, started_on, finished_on, status, runner, error, details";

/** What entities and relationships both carry: source, properties and versioning. */
function versioned(row: Omit<RelationshipRow, "class" | "from_id" | "to_id" | "from_key" | "to_key">) {
  return {
    source: row.source,
    props: json<Record<string, unknown>>(row.props),
    createdOn: num(row.created_on),
    beginOn: num(row.begin_on),
    lastSeenOn: num(row.last_seen_on),
    version: row.version,
    deleted: Boolean(row.deleted),
    syncRun: numOrNull(row.sync_run),
  };
}

export function entityFromRow(row: EntityRow): StoredEntity {
  return {
    id: String(row.id),
    key: row.key,
    type: row.type,
    classes: json<string[]>(row.classes),
    displayName: row.display_name,
    ...versioned(row),
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
    ...versioned(row),
  };
}

function tokenFromRow(row: TokenRow): ApiToken {
  return {
    id: String(row.id),
    name: row.name,
    role: row.role,
    createdOn: num(row.created_on),
    lastUsedOn: numOrNull(row.last_used_on),
    expiresOn: numOrNull(row.expires_on),
    revokedOn: numOrNull(row.revoked_on),
    owner: row.owner ?? null,
  };
}

function insertAudit(tx: Executor, entry: AuditEntry): Promise<number> {
  return tx.run("INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)", [
    entry.at,
    entry.actor,
    entry.action,
    entry.subject,
    toJson(entry.details),
  ]);
}

/**
 * Findings of these maintenance items were created, changed or deleted: their
 * rows in item_versions bumped, in the write's transaction (sorted, so that
 * two writers take the rows in the same order). The statistics recount only
 * these items (src/core/maintenance/result-cache.ts).
 */
async function bumpItemVersions(tx: Executor, items: Iterable<string>): Promise<void> {
  for (const item of [...items].sort()) {
    await tx.run(
      "INSERT INTO item_versions (item, version) VALUES (?, 1) ON CONFLICT (item) DO UPDATE SET version = item_versions.version + 1",
      [item],
    );
  }
}

export class SqlStore<D extends Driver = Driver> implements GraphStore {
  readonly kind: D["kind"];
  readonly dialect: D["dialect"];
  readonly location: string;

  constructor(protected readonly driver: D) {
    this.kind = driver.kind;
    this.dialect = driver.dialect;
    this.location = driver.location;
  }

  upsert(batch: GraphBatch, options: UpsertOptions): Promise<UpsertResult> {
    return this.upsertMany([batch], options);
  }

  upsertMany(batches: UpsertBatches, options: UpsertOptions): Promise<UpsertResult> {
    const { audit } = options;
    return this.driver.upsertMany(batches, options, async (tx, result, items) => {
      await bumpItemVersions(tx, items);
      if (!audit) return;
      const entries = audit(result);
      for (const entry of entries === undefined ? [] : Array.isArray(entries) ? entries : [entries]) {
        await insertAudit(tx, entry);
      }
    });
  }

  select(sql: string, params: readonly unknown[], options?: SelectOptions): Promise<Row[]> {
    return this.driver.select(sql, params, options);
  }

  selectPages(sql: string, params: readonly unknown[], pageRows: number): AsyncIterable<Row[]> {
    if (this.driver.selectPages) return this.driver.selectPages(sql, params, pageRows);
    const driver = this.driver;
    return (async function* () {
      yield await driver.select(sql, params);
    })();
  }

  async getEntities(ids: readonly string[]): Promise<StoredEntity[]> {
    const valid = validIds(ids);
    if (valid.length === 0) return [];
    const rows = await this.driver.all<EntityRow>(
      `SELECT ${ENTITY_COLUMNS} FROM entities WHERE ${this.driver.idIn("id")} ORDER BY id`,
      [this.driver.idList(valid)],
    );
    return rows.map(entityFromRow);
  }

  async getRelationships(ids: readonly string[]): Promise<StoredRelationship[]> {
    const valid = validIds(ids);
    if (valid.length === 0) return [];
    const rows = await this.driver.all<RelationshipRow>(
      `SELECT ${RELATIONSHIP_COLUMNS} FROM ${RELATIONSHIP_FROM} WHERE ${this.driver.idIn("r.id")} ORDER BY r.id`,
      [this.driver.idList(valid)],
    );
    return rows.map(relationshipFromRow);
  }

  async *exportGraph(options?: { includeDeleted?: boolean; pageSize?: number }) {
    const pageSize = options?.pageSize ?? 5000;
    const pages = async function* <R extends { id: Int }>(driver: Driver, sql: string) {
      let after: Int = 0;
      for (;;) {
        const rows: R[] = await driver.all<R>(sql, [after, pageSize]);
        if (rows.length === 0) return;
        after = rows[rows.length - 1]!.id;
        yield rows;
      }
    };
    const live = options?.includeDeleted ? "" : "AND NOT deleted";
    for await (const rows of pages<EntityRow>(
      this.driver,
      `SELECT ${ENTITY_COLUMNS} FROM entities WHERE id > ? ${live} ORDER BY id LIMIT ?`,
    )) {
      yield { entities: rows.map(entityFromRow) };
    }
    const liveEdge = options?.includeDeleted ? "" : "AND NOT r.deleted";
    for await (const rows of pages<RelationshipRow>(
      this.driver,
      `SELECT ${RELATIONSHIP_COLUMNS} FROM ${RELATIONSHIP_FROM} WHERE r.id > ? ${liveEdge} ORDER BY r.id LIMIT ?`,
    )) {
      yield { relationships: rows.map(relationshipFromRow) };
    }
  }

  async counts() {
    const [row] = await this.driver.all<{ entities: Int; relationships: Int }>(
      `SELECT (SELECT count(*) FROM entities WHERE NOT deleted) AS entities,
              (SELECT count(*) FROM relationships WHERE NOT deleted) AS relationships`,
    );
    return { entities: num(row!.entities), relationships: num(row!.relationships) };
  }

  async startSyncRun(integration: string, instance: string, now: number): Promise<number> {
    const [row] = await this.driver.all<{ id: Int }>(
      "INSERT INTO sync_runs (integration, instance, started_on, status) VALUES (?, ?, ?, 'running') RETURNING id",
      [integration, instance, now],
    );
    return num(row!.id);
  }

  async finishSyncRun(
    id: number,
    result: { status: Exclude<SyncStatus, "running">; now: number; counts?: Record<string, number>; error?: string },
  ): Promise<void> {
    await this.driver.run(`UPDATE sync_runs SET status = ?, finished_on = ?, counts = ?, error = ? WHERE id = ?`, [
      result.status,
      result.now,
      toJson(result.counts),
      result.error ?? null,
      id,
    ]);
  }

  async getCachedResult(name: string): Promise<CachedResult | undefined> {
    try {
      const [row] = await this.driver.all<{ version_key: string; valid_until: Int; computed_on: Int; body: string }>(
        "SELECT version_key, valid_until, computed_on, body FROM result_cache WHERE name = ?",
        [name],
      );
      if (!row) return undefined;
      return { name, versionKey: String(row.version_key), validUntil: num(row.valid_until), computedOn: num(row.computed_on), body: String(row.body) };
    } catch {
      // a database without the table (not migrated, read-only): no cache
      return undefined;
    }
  }

  async putCachedResult(result: CachedResult): Promise<void> {
    await this.driver.run(
      `INSERT INTO result_cache (name, version_key, valid_until, computed_on, body) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version_key = excluded.version_key, valid_until = excluded.valid_until,
         computed_on = excluded.computed_on, body = excluded.body`,
      [result.name, result.versionKey, result.validUntil, result.computedOn, result.body],
    );
  }

  async markUnseenDeleted(source: string, syncRun: number, now: number) {
    return this.driver.transaction(async (tx) => {
      const unseen = "WHERE source = ? AND NOT deleted AND (sync_run IS NULL OR sync_run <> ?)";
      const relationships = await tx.run(`UPDATE relationships SET deleted = TRUE, begin_on = ?, version = version + 1 ${unseen}`, [
        now,
        source,
        syncRun,
      ]);
      // the deleted findings' items: their counts change
      const deleted = await tx.all<{ item: string | null }>(
        `UPDATE entities SET deleted = TRUE, begin_on = ?, version = version + 1 ${unseen}
         RETURNING CASE WHEN type = '${FINDING_FACTS_TYPE}' THEN ${findingItemSql(this.dialect)} END AS item`,
        [now, source, syncRun],
      );
      await bumpItemVersions(tx, new Set(deleted.flatMap((row) => (row.item === null ? [] : [row.item]))));
      return { entities: deleted.length, relationships };
    });
  }

  async markSeen(
    source: string,
    syncRun: number,
    keys: { entities?: readonly string[]; relationships?: readonly string[] },
    now: number,
  ): Promise<{ entities: number; relationships: number }> {
    const chunk = 10_000;
    const vouchedIn = this.kind === "sqlite" ? "json_each(?) AS j" : "unnest(?::text[]) AS j(value)";
    // First count what the keys name (sorted: the key index is read in
    // order), without writing; then, when every record of the source this run
    // has not seen yet is among them (a sync where nothing changed), stamp
    // them all in one pass over the table: at 280,000 keys, looking each up
    // again to write it cost more than the writing. Else stamp by key.
    const mark = async (tx: Executor, table: "entities" | "relationships", list: readonly string[] = []) => {
      if (list.length === 0) return 0;
      const sorted = [...list].sort();
      let matched = 0;
      let unseen = 0;
      for (let i = 0; i < sorted.length; i += chunk) {
        const [row] = await tx.all<{ matched: Int; unseen: Int | null }>(
          `SELECT count(*) AS matched, sum(CASE WHEN r.sync_run IS NULL OR r.sync_run <> ? THEN 1 ELSE 0 END) AS unseen
           FROM ${vouchedIn} JOIN ${table} r ON r.key = j.value
           WHERE r.source = ? AND NOT r.deleted`,
          [syncRun, this.driver.textList(sorted.slice(i, i + chunk)), source],
        );
        matched += num(row?.matched ?? 0);
        unseen += num(row?.unseen ?? 0);
      }
      if (unseen === 0) return matched;
      const [all] = await tx.all<{ n: Int }>(
        `SELECT count(*) AS n FROM ${table} WHERE source = ? AND NOT deleted AND (sync_run IS NULL OR sync_run <> ?)`,
        [source, syncRun],
      );
      if (num(all?.n ?? 0) === unseen) {
        await tx.run(
          `UPDATE ${table} SET last_seen_on = ?, sync_run = ?
           WHERE source = ? AND NOT deleted AND (sync_run IS NULL OR sync_run <> ?)`,
          [now, syncRun, source, syncRun],
        );
        return matched;
      }
      for (let i = 0; i < sorted.length; i += chunk) {
        await tx.run(
          `UPDATE ${table} SET last_seen_on = ?, sync_run = ?
           WHERE ${this.driver.textIn("key")} AND source = ? AND NOT deleted AND (sync_run IS NULL OR sync_run <> ?)`,
          [now, syncRun, this.driver.textList(sorted.slice(i, i + chunk)), source, syncRun],
        );
      }
      return matched;
    };
    if (!keys.entities?.length && !keys.relationships?.length) return { entities: 0, relationships: 0 };
    return this.driver.transaction(async (tx) => ({
      entities: await mark(tx, "entities", keys.entities),
      relationships: await mark(tx, "relationships", keys.relationships),
    }));
  }

  async latestSyncRuns(): Promise<SyncRun[]> {
    const rows = await this.driver.all<SyncRunRow>(
      `SELECT ${SYNC_RUN_COLUMNS} FROM sync_runs s
       WHERE id = (SELECT max(id) FROM sync_runs t WHERE t.instance = s.instance AND t.integration = s.integration)
       ORDER BY id DESC`,
    );
    return rows.map((r) => ({
      id: num(r.id),
      integration: r.integration,
      instance: r.instance,
      startedOn: num(r.started_on),
      finishedOn: numOrNull(r.finished_on),
      status: r.status,
      counts: jsonOrNull<Record<string, number>>(r.counts),
      error: r.error,
    }));
  }

  async audit(entry: AuditEntry): Promise<void> {
    await insertAudit(this.driver, entry);
  }

  async auditLog(options?: { limit?: number }): Promise<StoredAuditEntry[]> {
    const rows = await this.driver.all<AuditRow>(
      "SELECT id, at, actor, action, subject, details FROM audit_log ORDER BY id DESC LIMIT ?",
      [options?.limit ?? 100],
    );
    return rows.map((r) => ({
      id: String(r.id),
      at: num(r.at),
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      ...(r.details === null ? {} : { details: json<Record<string, unknown>>(r.details) }),
    }));
  }

  async createApiToken(token: NewApiToken): Promise<ApiToken> {
    try {
      const [row] = await this.driver.all<TokenRow>(
        `INSERT INTO api_tokens (name, role, hash, created_on, expires_on, owner) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${TOKEN_COLUMNS}`,
        [token.name, token.role, token.hash, token.createdOn, token.expiresOn, token.owner ?? null],
      );
      return tokenFromRow(row!);
    } catch (error) {
      if (error instanceof ConflictError) {
        throw new ConflictError(`a token named "${token.name}" already exists`, {
          cause: error,
          details: ["Names stay taken after revocation, so the audit log names one token; pick another."],
        });
      }
      throw error;
    }
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return (await this.driver.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY name`)).map(tokenFromRow);
  }

  async findApiTokenByHash(hash: string): Promise<(ApiToken & { hash: string }) | undefined> {
    const [row] = await this.driver.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?`, [hash]);
    return row ? { ...tokenFromRow(row), hash: row.hash } : undefined;
  }

  async touchApiToken(id: string, now: number): Promise<void> {
    const [valid] = validIds([id]);
    if (valid !== undefined) await this.driver.run("UPDATE api_tokens SET last_used_on = ? WHERE id = ?", [now, valid]);
  }

  async revokeApiToken(name: string, now: number): Promise<ApiToken | undefined> {
    await this.driver.run("UPDATE api_tokens SET revoked_on = ? WHERE name = ? AND revoked_on IS NULL", [now, name]);
    const [row] = await this.driver.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE name = ?`, [name]);
    return row ? tokenFromRow(row) : undefined;
  }

  tryLock(name: string): Promise<ReleaseLock | undefined> {
    return this.driver.tryLock(name);
  }

  async startJobRun(run: { job: string; scheduledFor: number; startedOn: number; runner: string }): Promise<number | undefined> {
    const [row] = await this.driver.all<{ id: Int }>(
      `INSERT INTO job_runs (job, scheduled_for, started_on, status, runner) VALUES (?, ?, ?, 'running', ?)
       ON CONFLICT (job, scheduled_for) DO NOTHING RETURNING id`,
      [run.job, run.scheduledFor, run.startedOn, run.runner],
    );
    return row ? num(row.id) : undefined;
  }

  async finishJobRun(
    id: number,
    result: { status: Exclude<JobRunStatus, "running">; now: number; error?: string; details?: Record<string, unknown> },
  ): Promise<void> {
    await this.driver.run(`UPDATE job_runs SET status = ?, finished_on = ?, error = ?, details = ? WHERE id = ?`, [
      result.status,
      result.now,
      result.error ?? null,
      toJson(result.details),
      id,
    ]);
  }

  async latestJobRuns(): Promise<JobRun[]> {
    const rows = await this.driver.all<JobRunRow>(
      `SELECT ${JOB_RUN_COLUMNS} FROM job_runs WHERE id IN (SELECT max(id) FROM job_runs GROUP BY job) ORDER BY job`,
    );
    return rows.map((r) => ({
      id: num(r.id),
      job: r.job,
      scheduledFor: num(r.scheduled_for),
      startedOn: num(r.started_on),
      finishedOn: numOrNull(r.finished_on),
      status: r.status,
      runner: r.runner,
      error: r.error,
      details: jsonOrNull<Record<string, unknown>>(r.details),
    }));
  }

  pruneJobRuns(before: number): Promise<number> {
    return this.driver.run("DELETE FROM job_runs WHERE started_on < ?", [before]);
  }

  saveQuestions(questions: readonly StoredQuestion[], options: { now: number; audit: AuditEntry }): Promise<void> {
    return this.driver.transaction(async (tx) => {
      for (const q of questions) {
        await tx.run(
          `INSERT INTO questions (id, title, description, tags, queries, source, updated_on) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, tags = excluded.tags,
             queries = excluded.queries, source = excluded.source, updated_on = excluded.updated_on`,
          [q.id, q.title, q.description, JSON.stringify(q.tags), JSON.stringify(q.queries), q.source, options.now],
        );
      }
      await insertAudit(tx, options.audit);
    });
  }

  saveAlertRules(rules: readonly StoredAlertRule[], options: { audit: AuditEntry }): Promise<void> {
    return this.driver.transaction(async (tx) => {
      for (const r of rules) {
        await tx.run(
          `INSERT INTO alert_rules (name, description, queries, condition, level, source, imported_on) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET description = excluded.description, queries = excluded.queries, condition = excluded.condition,
             level = excluded.level, source = excluded.source, imported_on = excluded.imported_on`,
          [r.name, r.description, JSON.stringify(r.queries), r.condition, r.level, r.source, r.importedOn],
        );
      }
      await insertAudit(tx, options.audit);
    });
  }

  async listAlertRules(): Promise<StoredAlertRule[]> {
    const rows = await this.driver.all<{
      name: string;
      description: string;
      queries: Json;
      condition: string;
      level: string | null;
      source: string;
      imported_on: Int;
    }>("SELECT name, description, queries, condition, level, source, imported_on FROM alert_rules");
    // by code point: the two databases collate text differently
    rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return rows.map((r) => ({
      name: r.name,
      description: r.description,
      queries: json<{ name: string; query: string }[]>(r.queries),
      condition: r.condition,
      level: r.level,
      source: r.source,
      importedOn: num(r.imported_on),
    }));
  }

  updateAlertState<T>(rule: string, decide: (state: AlertStateRow[]) => { change: AlertStateChange; value: T }): Promise<T> {
    return this.driver.transaction(async (tx) => {
      const rows = await tx.all<AlertStateDbRow>(`SELECT ${ALERT_STATE_COLUMNS} FROM alert_state WHERE rule = ?`, [rule]);
      const { change, value } = decide(rows.map(alertStateFromRow));
      for (const key of change.remove) await tx.run("DELETE FROM alert_state WHERE rule = ? AND entity_key = ?", [rule, key]);
      for (const r of change.upsert) {
        await tx.run(
          `INSERT INTO alert_state (rule, entity_key, group_value, entity, first_seen, last_announced, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (rule, entity_key) DO UPDATE SET group_value = excluded.group_value, entity = excluded.entity,
             first_seen = excluded.first_seen, last_announced = excluded.last_announced, fingerprint = excluded.fingerprint`,
          [rule, r.entityKey, r.group, JSON.stringify(r.entity), r.firstSeen, r.lastAnnounced, r.fingerprint],
        );
      }
      for (const d of change.deliveries) {
        await tx.run(
          `INSERT INTO alert_deliveries (notification_id, rule, destination, kind, status, attempts, next_attempt_at, payload, created_on, updated_on)
           VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT (notification_id, destination) DO NOTHING`,
          [d.notificationId, rule, d.destination, d.kind, change.evaluatedOn, JSON.stringify(d.payload), change.evaluatedOn, change.evaluatedOn],
        );
      }
      await tx.run(
        `INSERT INTO alert_evaluations (rule, evaluated_on, total) VALUES (?, ?, ?)
         ON CONFLICT (rule) DO UPDATE SET evaluated_on = excluded.evaluated_on, total = excluded.total`,
        [rule, change.evaluatedOn, change.total],
      );
      return value;
    });
  }

  async alertState(rule: string): Promise<AlertStateRow[]> {
    return (await this.driver.all<AlertStateDbRow>(`SELECT ${ALERT_STATE_COLUMNS} FROM alert_state WHERE rule = ?`, [rule])).map(alertStateFromRow);
  }

  async dueAlertDeliveries(rule: string, now: number): Promise<AlertDelivery[]> {
    const rows = await this.driver.all<AlertDeliveryDbRow>(
      `SELECT ${ALERT_DELIVERY_COLUMNS} FROM alert_deliveries WHERE rule = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY id`,
      [rule, now],
    );
    return rows.map(alertDeliveryFromRow);
  }

  async claimAlertDelivery(delivery: Pick<AlertDelivery, "id" | "attempts">, leaseUntil: number, now: number): Promise<boolean> {
    const [id] = validIds([delivery.id]);
    if (id === undefined) return false;
    const changed = await this.driver.run(
      `UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = ?, updated_on = ?
       WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at <= ?`,
      [leaseUntil, now, id, delivery.attempts, now],
    );
    return changed === 1;
  }

  async finishAlertDelivery(id: string, outcome: { status: AlertDeliveryStatus; now: number; nextAttemptAt?: number; error?: string }): Promise<void> {
    const [valid] = validIds([id]);
    if (valid === undefined) return;
    await this.driver.run(
      `UPDATE alert_deliveries SET status = ?, updated_on = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = ? WHERE id = ?`,
      [outcome.status, outcome.now, outcome.nextAttemptAt ?? null, outcome.error ?? null, valid],
    );
  }

  async alertDeliveries(options: { rule?: string; limit?: number }): Promise<AlertDelivery[]> {
    const limit = options.limit ?? 100;
    const rows =
      options.rule === undefined
        ? await this.driver.all<AlertDeliveryDbRow>(`SELECT ${ALERT_DELIVERY_COLUMNS} FROM alert_deliveries ORDER BY id DESC LIMIT ?`, [limit])
        : await this.driver.all<AlertDeliveryDbRow>(
            `SELECT ${ALERT_DELIVERY_COLUMNS} FROM alert_deliveries WHERE rule = ? ORDER BY id DESC LIMIT ?`,
            [options.rule, limit],
          );
    return rows.map(alertDeliveryFromRow);
  }

  async pendingAlertDeliveries(): Promise<Map<string, number>> {
    const rows = await this.driver.all<{ rule: string; n: Int }>(
      "SELECT rule, count(*) AS n FROM alert_deliveries WHERE status = 'pending' GROUP BY rule",
    );
    return new Map(rows.map((r) => [r.rule, num(r.n)]));
  }

  async addAlertSilence(silence: Omit<AlertSilence, "id">): Promise<AlertSilence> {
    const [row] = await this.driver.all<AlertSilenceDbRow>(
      `INSERT INTO alert_silences (rule, entity_key, until_on, reason, created_by, created_on) VALUES (?, ?, ?, ?, ?, ?)
       RETURNING ${ALERT_SILENCE_COLUMNS}`,
      [silence.rule, silence.entityKey, silence.until, silence.reason, silence.createdBy, silence.createdOn],
    );
    return alertSilenceFromRow(row!);
  }

  async alertSilences(now?: number): Promise<AlertSilence[]> {
    const rows =
      now === undefined
        ? await this.driver.all<AlertSilenceDbRow>(`SELECT ${ALERT_SILENCE_COLUMNS} FROM alert_silences ORDER BY until_on, id`)
        : await this.driver.all<AlertSilenceDbRow>(`SELECT ${ALERT_SILENCE_COLUMNS} FROM alert_silences WHERE until_on > ? ORDER BY until_on, id`, [
            now,
          ]);
    return rows.map(alertSilenceFromRow);
  }

  async alertEvaluations(): Promise<Map<string, { evaluatedOn: number; total: number }>> {
    const rows = await this.driver.all<{ rule: string; evaluated_on: Int; total: Int }>("SELECT rule, evaluated_on, total FROM alert_evaluations");
    return new Map(rows.map((r) => [r.rule, { evaluatedOn: num(r.evaluated_on), total: num(r.total) }]));
  }

  recordDrill(run: DrillRun, options: { audit: AuditEntry }): Promise<void> {
    return this.driver.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO drill_runs (drill_id, started_on, ms, status, failed_step, rules, steps, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (drill_id) DO NOTHING`,
        [run.id, run.startedOn, Math.round(run.ms), run.ok ? "ok" : "failed", run.failedStep, JSON.stringify(run.rules), JSON.stringify(run.steps), run.actor],
      );
      await insertAudit(tx, options.audit);
    });
  }

  async drillRuns(options: { limit?: number } = {}): Promise<DrillRun[]> {
    const rows = await this.driver.all<{
      drill_id: string;
      started_on: Int;
      ms: Int;
      status: string;
      failed_step: string | null;
      rules: Json;
      steps: Json;
      actor: string;
    }>("SELECT drill_id, started_on, ms, status, failed_step, rules, steps, actor FROM drill_runs ORDER BY started_on DESC, id DESC LIMIT ?", [
      options.limit ?? 50,
    ]);
    return rows.map((r) => ({
      id: r.drill_id,
      startedOn: num(r.started_on),
      ms: num(r.ms),
      ok: r.status === "ok",
      failedStep: r.failed_step,
      rules: json<string[]>(r.rules),
      steps: json<DrillStep[]>(r.steps),
      actor: r.actor,
    }));
  }

  async drillSummary(): Promise<DrillSummary> {
    const [counts] = await this.driver.all<{ runs: Int; failures: Int | null; last_success: Int | null }>(
      "SELECT count(*) AS runs, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failures, max(CASE WHEN status = 'ok' THEN started_on END) AS last_success FROM drill_runs",
    );
    const [latest] = await this.driver.all<{ started_on: Int; ms: Int; status: string }>(
      "SELECT started_on, ms, status FROM drill_runs ORDER BY started_on DESC, id DESC LIMIT 1",
    );
    return {
      runs: num(counts?.runs ?? 0),
      failures: num(counts?.failures ?? 0),
      lastSuccess: numOrNull(counts?.last_success ?? null),
      latest: latest ? { startedOn: num(latest.started_on), ms: num(latest.ms), ok: latest.status === "ok" } : null,
    };
  }

  async loadSyncCache(source: string): Promise<Map<string, SyncCacheEntry>> {
    const rows = await this.driver.all<{ key: string; etag: string; body: string }>(
      "SELECT key, etag, body FROM sync_cache WHERE source = ?",
      [source],
    );
    return new Map(rows.map((r) => [r.key, { etag: r.etag, body: r.body }]));
  }

  updateSyncCache(source: string, change: { put: ReadonlyMap<string, SyncCacheEntry>; remove: readonly string[] }, now: number): Promise<void> {
    if (change.put.size === 0 && change.remove.length === 0) return Promise.resolve();
    return this.driver.transaction(async (tx) => {
      for (const key of change.remove) await tx.run("DELETE FROM sync_cache WHERE source = ? AND key = ?", [source, key]);
      for (const [key, e] of change.put) {
        await tx.run(
          `INSERT INTO sync_cache (source, key, etag, body, updated_on) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (source, key) DO UPDATE SET etag = excluded.etag, body = excluded.body, updated_on = excluded.updated_on`,
          [source, key, e.etag, e.body, now],
        );
      }
    });
  }

  async listQuestions(): Promise<StoredQuestion[]> {
    const rows = await this.driver.all<{ id: string; title: string; description: string; tags: Json; queries: Json; source: string }>(
      "SELECT id, title, description, tags, queries, source FROM questions",
    );
    // Sorted here, by code point: the two databases collate text differently.
    rows.sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : a.id < b.id ? -1 : 1));
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      description: r.description,
      tags: json<string[]>(r.tags),
      queries: json<{ name: string; query: string }[]>(r.queries),
      source: r.source,
    }));
  }

  analyze(): Promise<void> {
    return this.driver.analyze();
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
