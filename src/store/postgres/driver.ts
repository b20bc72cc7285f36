/**
 * The PostgreSQL driver (pg): a pool, statements prepared per connection,
 * driver failures mapped to typed errors (the password never shown), session
 * advisory locks, and the set-based upsert (a handful of statements per
 * chunk of 5,000 records).
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { postgresDialect } from "../../query/dialect.js";
import { FINDING_FACTS_TYPE, findingItemSql } from "../../query/finding-facts.js";
import { ConflictError, DmError, ExternalServiceError, InputError, QueryTimeoutError } from "../../shared/errors.js";
import { DEFAULT_WRITE_WAIT_MS, type Driver, type Executor } from "../driver.js";
import { maskUrlPassword } from "../open-store.js";
import {
  batchEntities,
  batchRecords,
  batchRelationships,
  findingItemOf,
  type NormalisedEntity,
  type NormalisedRelationship,
  propsOf,
  upsertRefusal,
} from "../records.js";
import type {
  ChangeCounts,
  GraphBatch,
  NormalisedBatch,
  ReleaseLock,
  Row,
  SelectOptions,
  UpsertBatches,
  UpsertOptions,
  UpsertResult,
} from "../types.js";
import { migrate } from "./schema.js";

/**
 * A batch with at least this many records (entities plus relationships) is
 * written through COPY into staging tables and a few set-based statements;
 * smaller ones (syncs, the tests' batches) through the jsonb statements, where
 * creating and filling the staging tables would cost more than it saves.
 */
const COPY_MIN_RECORDS = 1000;

/** A first batch at least this big into an empty graph is loaded without secondary indexes. */
const INITIAL_LOAD_RECORDS = 5000;

/** An identifier in double quotes. */
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Rows per round trip in upsert; big enough to amortise latency, small enough to keep payloads a few MB. */
const CHUNK = 5000;

/**
 * Serialises writers like SQLite's single writer does: without it two
 * concurrent batches that both create the same key would fail on the unique
 * index instead of one seeing the other's row. ASCII "dm-upsrt".
 */
export const UPSERT_LOCK_KEY = BigInt("0x646d2d7570737274").toString();

const OID_INT8 = 20;
const OID_NUMERIC = 1700;
const OID_JSON = 114;
const OID_JSONB = 3802;

/** Object keys in sorted order, at every depth; arrays keep their order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/**
 * Type parsers for this store's pool only (pg's global registry is shared by
 * every pg user in the process): BIGINT stays a string so ids never lose
 * precision, NUMERIC (what the property expression indexes compare) becomes a
 * JS number like SQLite's REAL, and JSON objects get their keys sorted: jsonb
 * stores keys shortest-first, while SQLite keeps the sorted order
 * normaliseEntity wrote, and properties should print in the same order on both.
 */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === OID_INT8) return (value: string) => value;
    if (oid === OID_NUMERIC) return (value: string) => Number(value);
    if (oid === OID_JSON || oid === OID_JSONB) return (value: string) => sortKeys(JSON.parse(value));
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** What the upsert reads of a stored entity. */
interface EntityRow {
  id: string;
  key: string;
  type: string;
  classes: string[];
  display_name: string | null;
  source: string | null;
  props: Record<string, unknown>;
  deleted: boolean;
}

interface RelationshipRow {
  id: string;
  key: string;
  type: string;
  class: string;
  from_id: string;
  to_id: string;
  source: string | null;
  props: Record<string, unknown>;
  deleted: boolean;
}

/** The COPY path's staging tables in one upsert: created yet, and the records they hold. */
interface Staged {
  tables: boolean;
  entities: number;
  relationships: number;
}

const zero = (): ChangeCounts => ({ created: 0, updated: 0, unchanged: 0 });

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Structural equality of decoded JSON, ignoring object key order. jsonb does
 * not keep key order, so the stored props cannot be compared as text the way
 * SQLite compares its canonical JSON; equal here means equal as jsonb.
 */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  const bo = b as Record<string, unknown>;
  const ao = a as Record<string, unknown>;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** A finding's maintenance item (findingItemOf) in SQL, on a row of `alias` with a props column. */
const itemOf = (alias: string) => findingItemSql(postgresDialect, alias);
const STAGED_ITEM = findingItemSql(postgresDialect);

/** A COPY batch's entities into an empty graph: all new, with their classes. $1 now, $2 sync run. */
const COPY_INSERT_ENTITIES = `
WITH ins AS (
  INSERT INTO entities (key, type, classes, display_name, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
  SELECT s.key, s.type, s.classes, s.display_name, s.source, s.props, $1, $1, $1, $2, FALSE, 1
  FROM dm_stage_entities s ORDER BY s.ord
  RETURNING id, classes
), cls AS (
  INSERT INTO entity_classes (class, entity_id)
  SELECT c.class, ins.id FROM ins CROSS JOIN LATERAL jsonb_array_elements_text(ins.classes) AS c(class)
)
SELECT count(*)::integer AS created, 0 AS updated, 0 AS existing,
  (SELECT array_agg(DISTINCT ${STAGED_ITEM}) FROM dm_stage_entities WHERE type = '${FINDING_FACTS_TYPE}') AS items FROM ins`;

/**
 * A COPY batch's entities, as upsertEntities: new ones inserted with their
 * classes; stored ones changed (or deleted) updated, version bumped, classes
 * no longer listed dropped and new ones added; unchanged ones stamped. With
 * $3 (create only) stored ones are left alone. $1 now, $2 sync run.
 */
const COPY_UPSERT_ENTITIES = `
WITH src AS MATERIALIZED (
  SELECT s.ord, s.key, s.type, s.classes, s.display_name, s.source, s.props, e.id AS old_id,
    e.classes IS DISTINCT FROM s.classes AS classes_changed,
    e.id IS NOT NULL AND (e.deleted OR e.type <> s.type OR e.classes <> s.classes OR e.display_name IS DISTINCT FROM s.display_name
      OR e.source IS DISTINCT FROM s.source OR e.props <> s.props) AS changed
  , CASE WHEN e.type = '${FINDING_FACTS_TYPE}' THEN ${itemOf("e")} END AS old_item
  FROM dm_stage_entities s LEFT JOIN entities e ON e.key = s.key
), ins AS (
  INSERT INTO entities (key, type, classes, display_name, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
  SELECT n.key, n.type, n.classes, n.display_name, n.source, n.props, $1, $1, $1, $2, FALSE, 1
  FROM src n WHERE n.old_id IS NULL ORDER BY n.ord
  RETURNING id, classes
), cls AS (
  INSERT INTO entity_classes (class, entity_id)
  SELECT c.class, ins.id FROM ins CROSS JOIN LATERAL jsonb_array_elements_text(ins.classes) AS c(class)
), upd AS (
  UPDATE entities e SET type = n.type, classes = n.classes, display_name = n.display_name, source = n.source, props = n.props,
    begin_on = $1, last_seen_on = $1, sync_run = $2, deleted = FALSE, version = e.version + 1
  FROM src n WHERE NOT $3::boolean AND n.changed AND e.id = n.old_id
  RETURNING e.id, n.classes, n.classes_changed
), del AS (
  DELETE FROM entity_classes c USING upd
  WHERE upd.classes_changed AND c.entity_id = upd.id AND NOT (upd.classes ? c.class)
), add AS (
  INSERT INTO entity_classes (class, entity_id)
  SELECT c.class, upd.id FROM upd CROSS JOIN LATERAL jsonb_array_elements_text(upd.classes) AS c(class)
  WHERE upd.classes_changed
  ON CONFLICT DO NOTHING
), tch AS (
  UPDATE entities e SET last_seen_on = $1, sync_run = $2
  FROM src n WHERE NOT $3::boolean AND n.old_id IS NOT NULL AND NOT n.changed AND e.id = n.old_id
)
SELECT (SELECT count(*) FROM ins)::integer AS created, (SELECT count(*) FROM upd)::integer AS updated,
  (SELECT count(*) FROM src WHERE old_id IS NOT NULL)::integer AS existing,
  (SELECT array_agg(DISTINCT i.item) FROM src n CROSS JOIN LATERAL (VALUES (n.old_item), (CASE WHEN n.type = '${FINDING_FACTS_TYPE}' THEN ${itemOf("n")} END)) AS i(item)
    WHERE i.item IS NOT NULL AND (n.old_id IS NULL OR (NOT $3::boolean AND n.changed))) AS items`;

/** A COPY batch's relationships into an empty graph, ends resolved by key. $1 now, $2 sync run. */
const COPY_INSERT_RELATIONSHIPS = `
WITH ins AS (
  INSERT INTO relationships (key, type, class, from_id, to_id, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
  SELECT s.key, s.type, s.class, f.id, t.id, s.source, s.props, $1, $1, $1, $2, FALSE, 1
  FROM dm_stage_relationships s JOIN entities f ON f.key = s.from_key JOIN entities t ON t.key = s.to_key
  ORDER BY s.ord
  RETURNING 1
)
SELECT count(*)::integer AS created, 0 AS updated, 0 AS existing FROM ins`;

/** A COPY batch's relationships, as upsertRelationships; ends resolved by key. Parameters as COPY_UPSERT_ENTITIES. */
const COPY_UPSERT_RELATIONSHIPS = `
WITH src AS MATERIALIZED (
  SELECT s.ord, s.key, s.type, s.class, f.id AS from_id, t.id AS to_id, s.source, s.props, r.id AS old_id,
    r.id IS NOT NULL AND (r.deleted OR r.type <> s.type OR r.class <> s.class OR r.from_id <> f.id OR r.to_id <> t.id
      OR r.source IS DISTINCT FROM s.source OR r.props <> s.props) AS changed
  FROM dm_stage_relationships s JOIN entities f ON f.key = s.from_key JOIN entities t ON t.key = s.to_key
    LEFT JOIN relationships r ON r.key = s.key
), ins AS (
  INSERT INTO relationships (key, type, class, from_id, to_id, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
  SELECT n.key, n.type, n.class, n.from_id, n.to_id, n.source, n.props, $1, $1, $1, $2, FALSE, 1
  FROM src n WHERE n.old_id IS NULL ORDER BY n.ord
  RETURNING 1
), upd AS (
  UPDATE relationships r SET type = n.type, class = n.class, from_id = n.from_id, to_id = n.to_id, source = n.source, props = n.props,
    begin_on = $1, last_seen_on = $1, sync_run = $2, deleted = FALSE, version = r.version + 1
  FROM src n WHERE NOT $3::boolean AND n.changed AND r.id = n.old_id
  RETURNING 1
), tch AS (
  UPDATE relationships r SET last_seen_on = $1, sync_run = $2
  FROM src n WHERE NOT $3::boolean AND n.old_id IS NOT NULL AND NOT n.changed AND r.id = n.old_id
)
SELECT (SELECT count(*) FROM ins)::integer AS created, (SELECT count(*) FROM upd)::integer AS updated,
  (SELECT count(*) FROM src WHERE old_id IS NOT NULL)::integer AS existing`;

/** A `\u0000` escape in JSON text (not an escaped backslash followed by "u0000"). */
const JSON_NUL = /(^|[^\\])(\\\\)*\\u0000/;

/**
 * PostgreSQL cannot store NUL in text or jsonb; say which record has one
 * instead of failing the batch with an error that names none.
 */
function assertNoNul(where: string, texts: readonly (string | null)[], json: string): void {
  if (texts.some((t) => t?.includes("\u0000")) || JSON_NUL.test(json)) {
    throw new InputError(`${where}: contains a NUL character (\\u0000), which PostgreSQL cannot store`, {
      details: ["Remove the NUL characters from the record's values."],
    });
  }
  // An unpaired UTF-16 surrogate in a text column: the jsonb statements'
  // server refused it (as invalid JSON, naming no record) while COPY would
  // store U+FFFD instead; both paths refuse it here, naming the record.
  // (In properties the server's jsonb refuses it on both paths.)
  if (texts.some((t) => t !== null && LONE_SURROGATE.test(t))) {
    throw new InputError(`${where}: contains an unpaired UTF-16 surrogate (\\ud800-\\udfff), which PostgreSQL cannot store`, {
      details: ["Fix the record's text: a surrogate must be half of a pair."],
    });
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** JSON string literal; `null` for null/undefined so a missing required field hits the NOT NULL constraint. */
const js = (value: unknown): string => JSON.stringify(value) ?? "null";

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * A value as a field of COPY's text format: backslash, tab, newline and
 * carriage return escaped, `\N` for NULL (NUL characters were refused
 * before, by assertNoNul). JSON goes in as its text, which jsonb parses.
 */
function copyField(value: string | null | undefined): string {
  if (value === null || value === undefined) return "\\N";
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}

/** Rows of COPY text, a few hundred per chunk so the stream is written in pieces of tens of kB. */
function* copyRows<T>(items: readonly T[], row: (item: T, index: number) => string): Generator<string> {
  const ROWS = 256;
  for (let i = 0; i < items.length; i += ROWS) {
    let text = "";
    const end = Math.min(items.length, i + ROWS);
    for (let j = i; j < end; j++) text += `${row(items[j]!, j)}\n`;
    yield text;
  }
}

/** The parts of a connection URL safe to show: host, port and database, never credentials. */
function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get("host") || "localhost";
    const db = decodeURIComponent(u.pathname.replace(/^\//, "")) || u.username || "(default database)";
    return `${host}:${u.port || "5432"}/${db}`;
  } catch {
    return maskUrlPassword(url);
  }
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}

/** Distinct read statements prepared per connection, at most. */
const MAX_PREPARED = 200;

/** A named lock as a 64-bit advisory-lock key: the first 8 bytes of its SHA-256, signed. */
export function advisoryKey(name: string): string {
  const digest = createHash("sha256").update(`dm-lock:${name}`).digest();
  return digest.readBigInt64BE(0).toString();
}


export interface PostgresOpenOptions {
  /** Give up connecting after this long (default 10 s). */
  connectionTimeoutMillis?: number;
  /** Pool size (default 10). */
  max?: number;
  /** How long a write waits for another process's write to finish (lock_timeout; default 5 s). */
  writeWaitMs?: number;
}

/** `?` placeholders numbered `$1, $2...` (the shared statements have no `?` in literals or operators). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Connection-level failures: the server went away or refused us. */
const CONNECTION_LOST = new Set(["57P01", "57P02", "57P03", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);

export class PostgresDriver implements Driver {
  /** Batches of at least this many records go through COPY (COPY_MIN_RECORDS; tests set it to run both paths). */
  static copyMinRecords = COPY_MIN_RECORDS;
  readonly kind = "postgres" as const;
  readonly dialect = postgresDialect;
  private closed = false;
  /** statement text to its prepared name (see preparedName) */
  private readonly prepared = new Map<string, string>();
  /** shared statement text (`?`) to PostgreSQL's (`$n`) */
  private readonly numberedSql = new Map<string, string>();

  /** connections for genericPlan statements (opened on first use; see select) */
  private genericPool: pg.Pool | undefined;
  /** false once the server refused plan_cache_mode (before PostgreSQL 12): genericPlan statements use the pool */
  private genericPlans = true;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly poolConfig: pg.PoolConfig,
    readonly location: string,
    private readonly target: string,
    private readonly password: string,
    private readonly writeWaitMs: number,
  ) {}

  /** Connect, check the server answers, and migrate. */
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresDriver> {
    const target = describeTarget(url);
    const password = passwordOf(url);
    const poolConfig: pg.PoolConfig = {
      connectionString: url,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
      max: options.max ?? 10,
      types: typeParsers,
    };
    const pool = new pg.Pool(poolConfig);
    // An idle client losing its connection (server restart) emits on the
    // pool; without a listener that would crash the process. The next query
    // gets a fresh connection or reports the outage itself.
    pool.on("error", () => undefined);
    const driver = new PostgresDriver(pool, poolConfig, maskUrlPassword(url), target, password, options.writeWaitMs ?? DEFAULT_WRITE_WAIT_MS);
    try {
      const client = await pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw driver.failure(`cannot open the PostgreSQL database ${target}`, error, [
        "Check DM_DATABASE_URL (host, port, database, user, password) and that the server is running.",
      ]);
    }
    return driver;
  }

  /**
   * A driver error as a typed error (our own typed errors pass through): a
   * writer holding the database past the wait, a full disk, a read-only
   * server or a lost connection say what to do; a unique key taken is a
   * ConflictError; anything else is the server failing the statement.
   */
  private failure(what: string, error: unknown, details?: string[]): Error {
    if (error instanceof DmError) return error;
    const code = (error as { code?: unknown }).code;
    let message = error instanceof Error ? error.message : String(error);
    // AggregateError (every address refused) has an empty message.
    if (!message && error instanceof AggregateError) {
      message = error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join("; ");
    }
    if (this.password) message = message.replaceAll(this.password, "***");
    const fail = (text: string, hint: string) => new ExternalServiceError("postgres", text, { cause: error, details: [hint] });
    if (code === "55P03") {
      return fail(
        `the database ${this.target} is busy: another dm process is writing to it (waited ${this.writeWaitMs / 1000} s)`,
        "Nothing was written. Try again when the other command (an import, a sync, dm serve) has finished.",
      );
    }
    if (code === "53100") return fail(`the disk of the PostgreSQL server ${this.target} is full`, "Nothing was written. Free space on the server and try again.");
    if (code === "25006") {
      return fail(`the PostgreSQL database ${this.target} is read-only: ${message}`, "Point DM_DATABASE_URL at the primary server, not a standby.");
    }
    if (code === "23505") return new ConflictError(message, { cause: error });
    if ((typeof code === "string" && (CONNECTION_LOST.has(code) || code.startsWith("08"))) || /Connection terminated/i.test(message)) {
      return fail(`${what}: lost the connection to ${this.target}: ${message}`, details?.[0] ?? "Check that the server is running, then try again.");
    }
    return new ExternalServiceError("postgres", `${what}: ${message || "unknown error"}`, {
      cause: error,
      ...(details ? { details } : {}),
    });
  }

  /**
   * The name a statement is prepared under on each connection, so
   * PostgreSQL parses and plans it once per connection instead of on every
   * call (planning cost about as much as running the hot lookups). Bounded: past
   * MAX_PREPARED distinct texts, further ones run unnamed.
   */
  private preparedName(sql: string): string | undefined {
    let name = this.prepared.get(sql);
    if (name === undefined && this.prepared.size < MAX_PREPARED) {
      name = `dm_${createHash("sha256").update(sql).digest("hex").slice(0, 24)}`;
      this.prepared.set(sql, name);
    }
    return name;
  }

  private async query<R extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[] = [],
    client?: pg.PoolClient,
    prepare = false,
  ): Promise<R[]> {
    return (await this.exec<R>(sql, params, client, prepare)).rows;
  }

  private async exec<R extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[] = [],
    client?: pg.PoolClient,
    prepare = false,
  ): Promise<pg.QueryResult<R>> {
    try {
      const name = prepare ? this.preparedName(sql) : undefined;
      return name === undefined
        ? await (client ?? this.pool).query<R>(sql, params as unknown[])
        : await (client ?? this.pool).query<R>({ name, text: sql, values: params as unknown[] });
    } catch (error) {
      throw this.failure(`query on ${this.target} failed`, error);
    }
  }

  private shared(sql: string): string {
    let text = this.numberedSql.get(sql);
    if (text === undefined) {
      text = numbered(sql);
      if (this.numberedSql.size < MAX_PREPARED) this.numberedSql.set(sql, text);
    }
    return text;
  }

  /** Shared statements on the pool or on one client, prepared. */
  private executor(client?: pg.PoolClient): Executor {
    return {
      all: async <R extends object = Row>(sql: string, params: readonly unknown[] = []) =>
        (await this.query<R & pg.QueryResultRow>(this.shared(sql), params, client, true)) as R[],
      run: async (sql: string, params: readonly unknown[] = []) =>
        (await this.exec(this.shared(sql), params, client, true)).rowCount ?? 0,
    };
  }

  private readonly pooled = this.executor();

  all<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.pooled.all<R>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.pooled.run(sql, params);
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.inTransaction((client) => fn(this.executor(client)));
  }

  /** BEGIN, `fn`, COMMIT on one pooled connection; ROLLBACK (or a discarded connection) when it throws. */
  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>, begin = "BEGIN"): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await this.query(begin, [], client);
      // A writer waits this long for another's row or advisory lock, then gives up (55P03).
      await this.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.writeWaitMs))}`, [], client);
      const result = await fn(client);
      await this.query("COMMIT", [], client);
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        // The connection is unusable: make the pool discard it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw this.failure(`a transaction on ${this.target} failed`, error);
    } finally {
      client.release(broken);
    }
  }

  idIn(column: string): string {
    return `${column} = ANY(?::bigint[])`;
  }

  idList(ids: readonly string[]): unknown {
    return ids;
  }

  textIn(column: string): string {
    return `${column} = ANY(?::text[])`;
  }

  textList(values: readonly string[]): unknown {
    return values;
  }

  async upsertMany(
    batches: UpsertBatches,
    options: UpsertOptions,
    finish?: (tx: Executor, result: UpsertResult, items: ReadonlySet<string>) => Promise<void>,
  ): Promise<UpsertResult> {
    const createOnly = options.createOnly === true;
    const defaultSource = options.source ?? null;
    const now = options.now;
    const syncRun = options.syncRun ?? null;
    const result: UpsertResult = { entities: zero(), relationships: zero() };
    /** the maintenance items of the findings created or changed, before and after (findingItemOf) */
    const items = new Set<string>();
    /** entity keys to ids: those written so far in this upsert, and stored ones named as relationship ends */
    const idByKey = new Map<string, string>();
    /** entity keys written so far in this upsert (a key given twice is refused) */
    const written = new Set<string>();
    const seenRelationships = new Set<string>();
    /** keys a relationship may name: stored ones looked up, and those written so far */
    const knownKeys = { has: (key: string) => idByKey.has(key) || written.has(key) };
    /** a batch went through COPY: its entities' ids are not in idByKey */
    let copied = false;
    /** records copied into the staging tables and not yet written */
    const staged: Staged = { tables: false, entities: 0, relationships: 0 };
    const flush = async (client: pg.PoolClient, fresh: boolean) => {
      if (staged.entities + staged.relationships === 0) return;
      await this.writeStaged(client, staged, now, syncRun, result, items, createOnly, fresh);
      staged.entities = 0;
      staged.relationships = 0;
    };

    return this.inTransaction(async (client) => {
      await this.query("SELECT pg_advisory_xact_lock($1::bigint)", [UPSERT_LOCK_KEY], client);
      let dropped: { name: string; sql: string }[] | undefined;
      let first = true;
      // An empty graph (every writer takes the lock above): every key is new
      // or written earlier in this upsert (refused as given twice), so the
      // look-ups of stored records can be skipped.
      const [empty] = await this.query<{ empty: boolean }>(
        "SELECT NOT EXISTS (SELECT 1 FROM entities) AND NOT EXISTS (SELECT 1 FROM relationships) AS empty",
        [],
        client,
      );
      const fresh = empty!.empty;
      for await (const batch of batches) {
        if (first) {
          first = false;
          if (await this.isInitialLoad(client, batch)) dropped = await this.dropSecondaryIndexes(client);
        }
        const entityBase = batch.offset?.entities ?? 0;
        const relationshipBase = batch.offset?.relationships ?? 0;
        const entities: NormalisedEntity[] = [];
        const batchKeys = new Set<string>();
        batchEntities(batch, defaultSource).forEach((e, i) => {
          const index = entityBase + i;
          if (batchKeys.has(e.key) || written.has(e.key)) {
            throw upsertRefusal.duplicate("entities", index, e.key);
          }
          batchKeys.add(e.key);
          assertNoNul(`entities[${index}]`, [e.key, e.type, e.displayName, e.source], `${e.classesJson}${e.propsJson}`);
          entities.push(e);
        });
        const relationships = batchRelationships(batch, defaultSource);
        const copy = entities.length + relationships.length >= PostgresDriver.copyMinRecords;
        // Relationships are validated before this batch's entities are
        // written, so a bad batch costs one lookup rather than its writes.
        // The COPY path resolves ends in SQL and needs no ids here, only
        // which keys exist; the jsonb path needs the id of every end,
        // including those of entities an earlier batch staged for COPY
        // (written first) or wrote through it (looked up).
        if (!copy) await flush(client, fresh);
        if (!fresh || (copied && !copy)) {
          const storedIds = await this.resolveStoredKeys(client, relationships, batchKeys, copy ? knownKeys : idByKey);
          for (const [key, id] of storedIds) idByKey.set(key, id);
        }
        this.validateRelationships(relationships, relationshipBase, seenRelationships, batchKeys, knownKeys);
        for (const key of batchKeys) written.add(key);
        if (copy) {
          copied = true;
          await this.stageBatch(client, entities, relationships, staged, now, syncRun, result, items, createOnly, fresh);
          continue;
        }
        for (const chunk of chunks(entities, CHUNK)) {
          await this.upsertEntities(client, chunk, now, syncRun, result.entities, idByKey, items, createOnly, fresh);
        }
        for (const chunk of chunks(relationships, CHUNK)) {
          await this.upsertRelationships(client, chunk, now, syncRun, result.relationships, idByKey, createOnly, fresh);
        }
      }
      await flush(client, fresh);
      if (dropped && dropped.length > 0) {
        // Sorted builds of the whole table beat as many single inserts (the GIN index on props most of all).
        await this.query("SET LOCAL maintenance_work_mem = '256MB'", [], client);
        for (const index of dropped) await this.query(index.sql, [], client);
      }
      await finish?.(this.executor(client), result, items);
      return result;
    });
  }

  /**
   * As on SQLite: a large first batch into an (almost) empty graph loads
   * without the secondary indexes, rebuilt before COMMIT. DDL is
   * transactional here too: a failed load rolls the indexes back. Dropping
   * an index locks its table until COMMIT, so readers of the graph wait for
   * the first import to finish (they would have found it empty).
   */
  private async isInitialLoad(client: pg.PoolClient, batch: GraphBatch | NormalisedBatch): Promise<boolean> {
    if (batchRecords(batch) < INITIAL_LOAD_RECORDS) return false;
    const [row] = await this.query<{ n: string }>("SELECT count(*) AS n FROM (SELECT 1 FROM entities LIMIT 1000) AS e", [], client);
    return Number(row!.n) < 1000;
  }

  /** The graph tables' indexes that no constraint owns, dropped; their definitions returned. */
  private async dropSecondaryIndexes(client: pg.PoolClient): Promise<{ name: string; sql: string }[]> {
    const indexes = await this.query<{ name: string; sql: string }>(
      `SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i
       WHERE i.schemaname = current_schema() AND i.tablename IN ('entities', 'entity_classes', 'relationships')
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = to_regnamespace(i.schemaname))
       ORDER BY i.indexname`,
      [],
      client,
    );
    for (const index of indexes) await this.query(`DROP INDEX ${quoteIdent(index.name)}`, [], client);
    return indexes;
  }

  /** Ids of stored entities named as relationship ends but not in this batch. */
  private async resolveStoredKeys(
    client: pg.PoolClient,
    relationships: readonly NormalisedRelationship[],
    batchKeys: ReadonlySet<string>,
    known: { has(key: string): boolean },
  ): Promise<Map<string, string>> {
    const wanted = new Set<string>();
    for (const r of relationships) {
      for (const key of [r.fromKey, r.toKey]) {
        if (batchKeys.has(key)) continue;
        if (known.has(key)) continue;
        wanted.add(key);
      }
    }
    const ids = new Map<string, string>();
    for (const keys of chunks([...wanted], CHUNK * 2)) {
      const rows = await this.query<{ id: string; key: string }>(
        "SELECT id, key FROM entities WHERE key = ANY($1::text[])",
        [keys],
        client,
      );
      for (const row of rows) ids.set(row.key, row.id);
    }
    return ids;
  }

  /** Same checks, in the same order, with the same messages as SqliteStore. */
  private validateRelationships(
    relationships: readonly NormalisedRelationship[],
    indexBase: number,
    seen: Set<string>,
    batchKeys: ReadonlySet<string>,
    known: { has(key: string): boolean },
  ): void {
    relationships.forEach((r, i) => {
      const index = indexBase + i;
      if (seen.has(r.key)) {
        throw upsertRefusal.duplicate("relationships", index, r.key);
      }
      seen.add(r.key);
      for (const [key, field] of [
        [r.fromKey, "_fromEntityKey"],
        [r.toKey, "_toEntityKey"],
      ] as const) {
        if (!batchKeys.has(key) && !known.has(key)) throw upsertRefusal.unknownEnd(index, field, key);
      }
      assertNoNul(`relationships[${index}]`, [r.key, r.type, r.class, r.source], r.propsJson);
    });
  }

  /**
   * One chunk of entities in at most five statements: look up, insert new
   * (with their classes), update changed (and their classes), touch unchanged.
   */
  private async upsertEntities(
    client: pg.PoolClient,
    chunk: readonly NormalisedEntity[],
    now: number,
    syncRun: number | null,
    counts: ChangeCounts,
    idByKey: Map<string, string>,
    items: Set<string>,
    createOnly: boolean,
    /** the graph was empty when the upsert began: nothing to look up */
    fresh = false,
  ): Promise<void> {
    const touched = (item: string | undefined) => {
      if (item !== undefined) items.add(item);
    };
    const existing = new Map<string, Omit<EntityRow, "created_on" | "begin_on" | "last_seen_on" | "sync_run" | "version">>();
    const rows = fresh
      ? []
      : await this.query<EntityRow>(
          "SELECT id, key, type, classes, display_name, source, props, deleted FROM entities WHERE key = ANY($1::text[])",
          [chunk.map((e) => e.key)],
          client,
        );
    for (const row of rows) existing.set(row.key, row);

    const inserts: string[] = [];
    const updates: string[] = [];
    const touches: string[] = [];
    for (const e of chunk) {
      const old = existing.get(e.key);
      if (!old) {
        touched(findingItemOf(e.type, propsOf(e)));
        inserts.push(
          `{"key":${js(e.key)},"type":${js(e.type)},"classes":${e.classesJson},"display_name":${js(e.displayName)},"source":${js(e.source)},"props":${e.propsJson}}`,
        );
        continue;
      }
      idByKey.set(e.key, old.id);
      if (createOnly) {
        counts.unchanged++;
        continue;
      }
      const classesChanged = JSON.stringify(old.classes) !== e.classesJson;
      const changed =
        old.deleted ||
        old.type !== e.type ||
        classesChanged ||
        old.display_name !== e.displayName ||
        old.source !== e.source ||
        !jsonEqual(old.props, propsOf(e));
      if (!changed) {
        touches.push(old.id);
        continue;
      }
      touched(findingItemOf(old.type, old.props as Record<string, unknown>));
      touched(findingItemOf(e.type, propsOf(e)));
      updates.push(
        `{"id":${old.id},"type":${js(e.type)},"classes":${e.classesJson},"display_name":${js(e.displayName)},"source":${js(e.source)},"props":${e.propsJson},"classes_changed":${classesChanged}}`,
      );
    }

    if (inserts.length > 0) {
      // ORDER BY ord so ids follow batch order, as they do on SQLite.
      const inserted = await this.query<{ id: string; key: string }>(
        `WITH ins AS (
           INSERT INTO entities (key, type, classes, display_name, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
           SELECT n.key, n.type, n.classes, n.display_name, n.source, n.props, $2, $2, $2, $3, FALSE, 1
           FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (key text, type text, classes jsonb, display_name text, source text, props jsonb))
             WITH ORDINALITY AS n(key, type, classes, display_name, source, props, ord)
           ORDER BY n.ord
           RETURNING id, key, classes
         ), cls AS (
           INSERT INTO entity_classes (class, entity_id)
           SELECT c.class, ins.id FROM ins CROSS JOIN LATERAL jsonb_array_elements_text(ins.classes) AS c(class)
         )
         SELECT id, key FROM ins`,
        [`[${inserts.join(",")}]`, now, syncRun],
        client,
      );
      for (const row of inserted) idByKey.set(row.key, row.id);
      counts.created += inserted.length;
    }

    if (updates.length > 0) {
      // Classes: drop the ones no longer listed, add the new ones; the two sets
      // are disjoint, so the DELETE and INSERT of one statement never collide.
      await this.query(
        `WITH n AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS n(id bigint, type text, classes jsonb, display_name text, source text, props jsonb, classes_changed boolean)
         ), upd AS (
           UPDATE entities e SET type = n.type, classes = n.classes, display_name = n.display_name, source = n.source, props = n.props,
             begin_on = $2, last_seen_on = $2, sync_run = $3, deleted = FALSE, version = e.version + 1
           FROM n WHERE e.id = n.id
           RETURNING e.id, n.classes, n.classes_changed
         ), del AS (
           DELETE FROM entity_classes c USING upd
           WHERE upd.classes_changed AND c.entity_id = upd.id AND NOT (upd.classes ? c.class)
         )
         INSERT INTO entity_classes (class, entity_id)
         SELECT c.class, upd.id FROM upd CROSS JOIN LATERAL jsonb_array_elements_text(upd.classes) AS c(class)
         WHERE upd.classes_changed
         ON CONFLICT DO NOTHING`,
        [`[${updates.join(",")}]`, now, syncRun],
        client,
      );
      counts.updated += updates.length;
    }

    await this.touch(client, "entities", touches, now, syncRun);
    counts.unchanged += touches.length;
  }

  /**
   * A large batch through COPY into temporary staging tables (created once
   * per transaction, dropped at COMMIT): its entities are then written at
   * once; its relationships are appended, numbered in order across batches,
   * for writeStaged.
   */
  private async stageBatch(
    client: pg.PoolClient,
    entities: readonly NormalisedEntity[],
    relationships: readonly NormalisedRelationship[],
    staged: Staged,
    now: number,
    syncRun: number | null,
    result: UpsertResult,
    items: Set<string>,
    createOnly: boolean,
    fresh: boolean,
  ): Promise<void> {
    if (!staged.tables) {
      staged.tables = true;
      await this.query(
        `CREATE TEMP TABLE IF NOT EXISTS dm_stage_entities (ord integer, key text, type text, classes jsonb, display_name text, source text, props jsonb) ON COMMIT DROP;
         CREATE TEMP TABLE IF NOT EXISTS dm_stage_relationships (ord integer, key text, type text, class text, from_key text, to_key text, source text, props jsonb) ON COMMIT DROP;
         TRUNCATE dm_stage_entities, dm_stage_relationships`,
        [],
        client,
      );
    }
    if (entities.length > 0) {
      const base = staged.entities;
      await this.copyIn(
        client,
        "COPY dm_stage_entities (ord, key, type, classes, display_name, source, props) FROM STDIN",
        copyRows(
          entities,
          (e, i) =>
            `${base + i}\t${copyField(e.key)}\t${copyField(e.type)}\t${copyField(e.classesJson)}\t${copyField(e.displayName)}\t${copyField(e.source)}\t${copyField(e.propsJson)}`,
        ),
      );
      staged.entities += entities.length;
      // Entities are written batch by batch (while the worker parses the next
      // ones): measured 7% faster than once at the end (8.3 s against 8.9 s at 100k).
      await this.writeStagedEntities(client, staged, now, syncRun, result, items, createOnly, fresh);
    }
    if (relationships.length > 0) {
      const base = staged.relationships;
      await this.copyIn(
        client,
        "COPY dm_stage_relationships (ord, key, type, class, from_key, to_key, source, props) FROM STDIN",
        copyRows(
          relationships,
          (r, i) =>
            `${base + i}\t${copyField(r.key)}\t${copyField(r.type)}\t${copyField(r.class)}\t${copyField(r.fromKey)}\t${copyField(r.toKey)}\t${copyField(r.source)}\t${copyField(r.propsJson)}`,
        ),
      );
      staged.relationships += relationships.length;
    }
  }

  /**
   * The staged records written: one statement per table that inserts the
   * new records, updates the changed ones (classes maintained), stamps the
   * unchanged ones and counts each, with the same rules as upsertEntities and
   * upsertRelationships. Relationship ends are resolved by a join on the
   * entity keys. Ids follow batch order, as on the other path. Staging
   * several batches' relationships and writing them in one go (rather than
   * batch by batch) lets their join hash the entities once (measured: 2.0 s
   * against 3.7 s for 200,000 relationships).
   */
  private async writeStaged(
    client: pg.PoolClient,
    staged: Staged,
    now: number,
    syncRun: number | null,
    result: UpsertResult,
    items: Set<string>,
    createOnly: boolean,
    fresh: boolean,
  ): Promise<void> {
    await this.writeStagedEntities(client, staged, now, syncRun, result, items, createOnly, fresh);
    if (staged.relationships > 0) {
      const [counts] = await this.query<{ created: number; updated: number; existing: number }>(
        fresh ? COPY_INSERT_RELATIONSHIPS : COPY_UPSERT_RELATIONSHIPS,
        fresh ? [now, syncRun] : [now, syncRun, createOnly],
        client,
      );
      // validateRelationships found every end; a row lost in the join would be a bug.
      if (counts!.created + counts!.existing !== staged.relationships) {
        throw new Error(`COPY upsert: ${staged.relationships - counts!.created - counts!.existing} relationships lost an end`);
      }
      result.relationships.created += counts!.created;
      result.relationships.updated += counts!.updated;
      result.relationships.unchanged += counts!.existing - counts!.updated;
      await this.query("TRUNCATE dm_stage_relationships", [], client);
    }
  }

  private async writeStagedEntities(
    client: pg.PoolClient,
    staged: Staged,
    now: number,
    syncRun: number | null,
    result: UpsertResult,
    items: Set<string>,
    createOnly: boolean,
    fresh: boolean,
  ): Promise<void> {
    if (staged.entities === 0) return;
    const [counts] = await this.query<{ created: number; updated: number; existing: number; items: string[] | null }>(
      fresh ? COPY_INSERT_ENTITIES : COPY_UPSERT_ENTITIES,
      fresh ? [now, syncRun] : [now, syncRun, createOnly],
      client,
    );
    result.entities.created += counts!.created;
    result.entities.updated += counts!.updated;
    result.entities.unchanged += counts!.existing - counts!.updated;
    for (const item of counts!.items ?? []) items.add(item);
    await this.query("TRUNCATE dm_stage_entities", [], client);
    staged.entities = 0;
  }

  /** COPY ... FROM STDIN of the given text rows on this client. */
  private async copyIn(client: pg.PoolClient, sql: string, rows: Iterable<string>): Promise<void> {
    try {
      await pipeline(Readable.from(rows), client.query(copyFrom(sql)));
    } catch (error) {
      throw this.failure(`query on ${this.target} failed`, error);
    }
  }

  /** Stamp unchanged records as seen by this run: one statement for the chunk. */
  private async touch(
    client: pg.PoolClient,
    table: "entities" | "relationships",
    ids: readonly string[],
    now: number,
    syncRun: number | null,
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.query(`UPDATE ${table} SET last_seen_on = $1, sync_run = $2 WHERE id = ANY($3::bigint[])`, [now, syncRun, ids], client);
  }

  /** One chunk of relationships: look up, insert new, update changed, touch unchanged. */
  private async upsertRelationships(
    client: pg.PoolClient,
    chunk: readonly NormalisedRelationship[],
    now: number,
    syncRun: number | null,
    counts: ChangeCounts,
    idByKey: ReadonlyMap<string, string>,
    createOnly: boolean,
    fresh = false,
  ): Promise<void> {
    const rows = fresh
      ? []
      : await this.query<RelationshipRow>(
          "SELECT id, key, type, class, from_id, to_id, source, props, deleted FROM relationships WHERE key = ANY($1::text[])",
          [chunk.map((r) => r.key)],
          client,
        );
    const existing = new Map(rows.map((row) => [row.key, row]));

    const inserts: string[] = [];
    const updates: string[] = [];
    const touches: string[] = [];
    for (const r of chunk) {
      // validateRelationships has guaranteed both ends resolve.
      const fromId = idByKey.get(r.fromKey)!;
      const toId = idByKey.get(r.toKey)!;
      const fields = `"type":${js(r.type)},"class":${js(r.class)},"from_id":${fromId},"to_id":${toId},"source":${js(r.source)},"props":${r.propsJson}`;
      const old = existing.get(r.key);
      if (!old) {
        inserts.push(`{"key":${js(r.key)},${fields}}`);
        continue;
      }
      if (createOnly) {
        counts.unchanged++;
        continue;
      }
      const changed =
        old.deleted ||
        old.type !== r.type ||
        old.class !== r.class ||
        old.from_id !== fromId ||
        old.to_id !== toId ||
        old.source !== r.source ||
        !jsonEqual(old.props, propsOf(r));
      if (changed) updates.push(`{"id":${old.id},${fields}}`);
      else touches.push(old.id);
    }

    if (inserts.length > 0) {
      await this.query(
        `INSERT INTO relationships (key, type, class, from_id, to_id, source, props, created_on, begin_on, last_seen_on, sync_run, deleted, version)
         SELECT n.key, n.type, n.class, n.from_id, n.to_id, n.source, n.props, $2, $2, $2, $3, FALSE, 1
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (key text, type text, class text, from_id bigint, to_id bigint, source text, props jsonb))
           WITH ORDINALITY AS n(key, type, class, from_id, to_id, source, props, ord)
         ORDER BY n.ord`,
        [`[${inserts.join(",")}]`, now, syncRun],
        client,
      );
      counts.created += inserts.length;
    }
    if (updates.length > 0) {
      await this.query(
        `UPDATE relationships r SET type = n.type, class = n.class, from_id = n.from_id, to_id = n.to_id, source = n.source, props = n.props,
           begin_on = $2, last_seen_on = $2, sync_run = $3, deleted = FALSE, version = r.version + 1
         FROM jsonb_to_recordset($1::jsonb) AS n(id bigint, type text, class text, from_id bigint, to_id bigint, source text, props jsonb)
         WHERE r.id = n.id`,
        [`[${updates.join(",")}]`, now, syncRun],
        client,
      );
      counts.updated += updates.length;
    }
    await this.touch(client, "relationships", touches, now, syncRun);
    counts.unchanged += touches.length;
  }

  /** A pooled connection of our own (a transaction, a lock); a refusal is an ExternalServiceError. */
  private async connect(failure = `cannot connect to ${this.target}`): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.failure(failure, error);
    }
  }

  async select(sql: string, params: readonly unknown[], options?: SelectOptions): Promise<Row[]> {
    if (options?.genericPlan && options.timeoutMs === undefined && this.genericPlans) return this.selectGeneric(sql, params);
    if (options?.timeoutMs === undefined) return this.query<Row>(sql, params, undefined, true);
    // SET LOCAL: the limit ends with the transaction, so the pooled connection goes back clean.
    const ms = Math.max(1, Math.ceil(options.timeoutMs));
    return this.inTransaction(async (client) => {
      await client.query(`SET LOCAL statement_timeout = ${ms}`);
      try {
        return (await client.query<Row>(sql, params as unknown[])).rows;
      } catch (error) {
        // 57014 query_canceled: the statement_timeout fired and the server stopped the statement.
        if ((error as { code?: string }).code === "57014") throw new QueryTimeoutError(ms, { cause: error });
        throw this.failure(`query on ${this.target} failed`, error);
      }
    }, "BEGIN READ ONLY");
  }

  /**
   * A prepared statement on connections whose plan_cache_mode is
   * force_generic_plan: planned once per connection. PostgreSQL's own
   * choice keeps planning a statement of many joins on every call when its
   * generic plan's estimate looks dearer (the repo report: about 3 ms of
   * planning for 1 ms of execution). A second pool, so that J1QL statements,
   * whose best plan can depend on the values, keep the default.
   */
  private async selectGeneric(sql: string, params: readonly unknown[]): Promise<Row[]> {
    if (this.genericPool === undefined) {
      this.genericPool = new pg.Pool({ ...this.poolConfig, options: "-c plan_cache_mode=force_generic_plan" });
      this.genericPool.on("error", () => undefined);
    }
    const name = this.preparedName(sql);
    try {
      const pool = this.genericPool;
      const result =
        name === undefined ? await pool.query<Row>(sql, params as unknown[]) : await pool.query<Row>({ name, text: sql, values: params as unknown[] });
      return result.rows;
    } catch (error) {
      // 42704 / 22023: a server without plan_cache_mode (before 12) refuses the connection option
      const code = (error as { code?: unknown }).code;
      if (code === "42704" || code === "22023") {
        this.genericPlans = false;
        return this.query<Row>(sql, params, undefined, true);
      }
      throw this.failure(`query on ${this.target} failed`, error);
    }
  }

  async tryLock(name: string): Promise<ReleaseLock | undefined> {
    const key = advisoryKey(name);
    const client = await this.connect(`taking the lock "${name}" on ${this.target} failed`);
    try {
      const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key]);
      if (!rows[0]?.ok) {
        client.release();
        return undefined;
      }
    } catch (error) {
      client.release(true);
      throw this.failure(`taking the lock "${name}" on ${this.target} failed`, error);
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        await client.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
        client.release();
      } catch {
        // Dropping the connection drops its session locks.
        client.release(true);
      }
    };
  }

  async analyze(): Promise<void> {
    await this.query("ANALYZE");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.genericPool?.end()]);
  }
}
