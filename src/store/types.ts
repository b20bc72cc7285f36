/**
 * The graph store: one interface, two implementations (SQLite, PostgreSQL)
 * that behave the same and share one contract test suite.
 */

/** An entity as it appears in the bulk file format (J1QL.md). */
export interface EntityRecord {
  _key: string;
  _type: string;
  _class: string | string[];
  displayName?: string;
  [property: string]: unknown;
}

/** A relationship as it appears in the bulk file format. */
export interface RelationshipRecord {
  _key: string;
  _type: string;
  _class: string;
  _fromEntityKey: string;
  _toEntityKey: string;
  [property: string]: unknown;
}

export interface GraphBatch {
  entities: readonly EntityRecord[];
  relationships: readonly RelationshipRecord[];
  /**
   * Where this batch starts in a larger stream of records (a file read in
   * pieces), so that an error names the record's index in the whole file.
   */
  offset?: { entities: number; relationships: number };
}

/**
 * A batch already validated and normalised (src/store/records.ts), e.g. on a
 * worker thread while the store writes the previous one: one list per
 * column (lists of strings are cheap to copy between threads; objects are
 * not). A null source is the upsert's default.
 */
export interface NormalisedBatch {
  normalised: true;
  entities: {
    key: string[];
    type: string[];
    classesJson: string[];
    displayName: (string | null)[];
    source: (string | null)[];
    propsJson: string[];
  };
  relationships: {
    key: string[];
    type: string[];
    class: string[];
    fromKey: string[];
    toKey: string[];
    source: (string | null)[];
    propsJson: string[];
  };
  offset?: { entities: number; relationships: number };
}

/** What upsertMany reads: batches of records, as given or already normalised. */
export type UpsertBatches =
  | Iterable<GraphBatch | NormalisedBatch>
  | AsyncIterable<GraphBatch | NormalisedBatch>;

/** An entity as stored. `props` never contains metadata (`_`-keys) or displayName. */
export interface StoredEntity {
  id: string;
  key: string;
  type: string;
  classes: string[];
  displayName: string | null;
  source: string | null;
  props: Record<string, unknown>;
  createdOn: number;
  /** start of the current version (`_beginOn`) */
  beginOn: number;
  lastSeenOn: number;
  version: number;
  deleted: boolean;
  syncRun: number | null;
}

export interface StoredRelationship {
  id: string;
  key: string;
  type: string;
  class: string;
  fromId: string;
  toId: string;
  fromKey: string;
  toKey: string;
  source: string | null;
  props: Record<string, unknown>;
  createdOn: number;
  beginOn: number;
  lastSeenOn: number;
  version: number;
  deleted: boolean;
  syncRun: number | null;
}

/** One remembered answer of a service: its ETag and body, to send If-None-Match next time. */
export interface SyncCacheEntry {
  etag: string;
  body: string;
}

export interface UpsertOptions {
  /** epoch ms, from the injected clock */
  now: number;
  /** `_source` stamped on what this batch writes (an integration instance, or "import") */
  source?: string;
  /** the sync run that saw these records */
  syncRun?: number;
  /**
   * Only create: a record whose key is already stored is left exactly as it
   * is (not updated, not stamped as seen) and counted as unchanged. Two
   * processes creating the same records at once: the one that created them
   * is the one whose result says so.
   */
  createOnly?: boolean;
  /**
   * The audit entries that record this change, from its result: written in
   * the same transaction, so the change and its record are committed, or
   * neither is.
   */
  audit?: (result: UpsertResult) => AuditEntry | readonly AuditEntry[] | undefined;
}

export interface ChangeCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface UpsertResult {
  entities: ChangeCounts;
  relationships: ChangeCounts;
}

export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  subject: string;
  details?: Record<string, unknown>;
}

export interface StoredAuditEntry extends AuditEntry {
  id: string;
}

export type Row = Record<string, unknown>;

/** What an API token may do: readers read, maintainers also open and close, admins also administer. */
export const TOKEN_ROLES = ["reader", "maintainer", "admin"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** An API token as listed: never the token, never its hash. */
export interface ApiToken {
  id: string;
  name: string;
  role: TokenRole;
  createdOn: number;
  lastUsedOn: number | null;
  expiresOn: number | null;
  revokedOn: number | null;
  /** the person or team the token stands for (the dashboard's "My items"), if any */
  owner: string | null;
}

export interface NewApiToken {
  name: string;
  role: TokenRole;
  owner?: string | null;
  /** SHA-256 of the token, hex */
  hash: string;
  createdOn: number;
  expiresOn: number | null;
}

export interface SelectOptions {
  /**
   * Give up on the statement after this long with a QueryTimeoutError.
   * PostgreSQL cancels it (statement_timeout); SQLite runs it on a worker
   * thread that is abandoned (see docs/server.md).
   */
  timeoutMs?: number;
  /**
   * The statement's plan does not depend on its values (a fixed shape of
   * index lookups, like the repo report): PostgreSQL plans it once per
   * connection (a generic plan) instead of on every call. Ignored by SQLite.
   */
  genericPlan?: boolean;
}

export type SyncStatus = "running" | "succeeded" | "partial" | "failed";

export interface SyncRun {
  id: number;
  integration: string;
  /** the integration instance: what `_source` its records carry */
  instance: string;
  startedOn: number;
  finishedOn: number | null;
  status: SyncStatus;
  counts: Record<string, number> | null;
  error: string | null;
}

export type JobRunStatus = "running" | "succeeded" | "failed";

/** One run of a scheduled server job (dm serve). */
export interface JobRun {
  id: number;
  job: string;
  /** the cron slot it ran for (epoch ms) */
  scheduledFor: number;
  startedOn: number;
  finishedOn: number | null;
  status: JobRunStatus;
  /** which process ran it: host:pid */
  runner: string;
  error: string | null;
  details: Record<string, unknown> | null;
}

/** A stored J1QL question: named queries with a title, tags and where it came from. */
export interface StoredQuestion {
  /** stable id: the file's `id`, else derived from the title */
  id: string;
  title: string;
  description: string;
  tags: string[];
  queries: { name: string; query: string }[];
  /** the file it was imported from, or "built-in" */
  source: string;
}

/** An alert rule imported from a JupiterOne alert pack (`dm alerts import`); actions come from `alertDefaults:`. */
export interface StoredAlertRule {
  name: string;
  description: string;
  queries: { name: string; query: string }[];
  /** the condition as written: `total > 0` */
  condition: string;
  /** JupiterOne's alertLevel (INFO, LOW, MEDIUM, HIGH, CRITICAL), when given */
  level: string | null;
  /** the pack file it came from */
  source: string;
  importedOn: number;
}

/** What a rule last saw and announced of one entity (alert_state). */
export interface AlertStateRow {
  entityKey: string;
  group: string | null;
  /** what a notification shows of it (kept for the resolved announcement) */
  entity: Record<string, unknown>;
  /** when it started matching (this episode) */
  firstSeen: number;
  /** when it was last announced; null: never (below the threshold, silenced) */
  lastAnnounced: number | null;
  /** the fingerprint of what was announced */
  fingerprint: string | null;
}

export type AlertDeliveryStatus = "pending" | "sent" | "failed" | "abandoned";

export interface NewAlertDelivery {
  notificationId: string;
  destination: string;
  kind: string;
  payload: unknown;
}

export interface AlertDelivery extends NewAlertDelivery {
  id: string;
  rule: string;
  status: AlertDeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdOn: number;
  updatedOn: number;
}

export interface AlertSilence {
  id: string;
  rule: string;
  /** one entity; null: the whole rule */
  entityKey: string | null;
  until: number;
  reason: string;
  createdBy: string;
  createdOn: number;
}

/** One step of a drill (`dm drill`): open, evaluate, deliver (one per rule and destination), close, record. */
export interface DrillStep {
  step: string;
  ok: boolean;
  /** how long it took */
  ms: number;
  /** what happened, for a person (never a secret) */
  detail: string;
  rule?: string;
  destination?: string;
}

/** A recorded drill (drill_runs). */
export interface DrillRun {
  /** the drill's id (8 hex digits; the canary's key is drill:<id>) */
  id: string;
  startedOn: number;
  /** end to end: from opening the canary to closing it */
  ms: number;
  ok: boolean;
  /** the first step that failed */
  failedStep: string | null;
  /** the alert rules that caught the canary */
  rules: string[];
  steps: DrillStep[];
  actor: string;
}

/** What /metrics says about drills: from drill_runs, so every replica agrees. */
export interface DrillSummary {
  runs: number;
  failures: number;
  /** startedOn of the latest successful drill */
  lastSuccess: number | null;
  /** the latest drill */
  latest: { startedOn: number; ms: number; ok: boolean } | null;
}

/** What an evaluation writes, in one transaction: the rule's new state and the notifications to deliver. */
export interface AlertStateChange {
  upsert: AlertStateRow[];
  /** entity keys no longer matched */
  remove: string[];
  deliveries: NewAlertDelivery[];
  evaluatedOn: number;
  total: number;
}

/** Gives a lock back. */
export type ReleaseLock = () => Promise<void>;

/** A row of `result_cache`: a computed result, the data version and the time range it is exact for. */
export interface CachedResult {
  name: string;
  /** the maintenance items' versions (result-cache.ts itemVersions) when it was computed */
  versionKey: string;
  /** exact for a clock in [computedOn, validUntil) */
  validUntil: number;
  computedOn: number;
  body: string;
}

export interface GraphStore {
  readonly kind: "sqlite" | "postgres";
  readonly dialect: import("../query/dialect.js").Dialect;
  /** Human description of where the data lives (path or URL without password). */
  readonly location: string;

  /**
   * Upsert entities and relationships by `_key` in one transaction. Relationships
   * name their ends by key; an end may be in this batch or already stored. On
   * any invalid record (unknown end key, key used with another type...) the
   * whole batch is rolled back and an InputError names the record.
   */
  upsert(batch: GraphBatch, options: UpsertOptions): Promise<UpsertResult>;

  /**
   * Upsert a stream of batches in ONE transaction: all of it or, on the first
   * bad record, none of it. A key is checked for duplicates across the whole
   * stream, and a relationship may name entities from any earlier batch.
   */
  upsertMany(batches: UpsertBatches, options: UpsertOptions): Promise<UpsertResult>;

  /** Run one compiled, parameterised statement and return its rows. */
  select(sql: string, params: readonly unknown[], options?: SelectOptions): Promise<Row[]>;

  /**
   * The same rows as select, `pageRows` at a time, read from the database as
   * they are consumed (SQLite: one statement stepped page by page). Until the
   * iteration ends the connection is busy: use the store for nothing else
   * meanwhile. A backend without it is read with select (runQuery falls back).
   */
  selectPages?(sql: string, params: readonly unknown[], pageRows: number): AsyncIterable<Row[]>;

  getEntities(ids: readonly string[]): Promise<StoredEntity[]>;
  getRelationships(ids: readonly string[]): Promise<StoredRelationship[]>;

  /** Every entity and relationship, in id order, a page at a time. */
  exportGraph(options?: { includeDeleted?: boolean; pageSize?: number }): AsyncIterable<
    { entities: StoredEntity[] } | { relationships: StoredRelationship[] }
  >;

  counts(): Promise<{ entities: number; relationships: number }>;

  /** Record the start of a sync run (status running); its id stamps what it sees. */
  startSyncRun(integration: string, instance: string, now: number): Promise<number>;
  finishSyncRun(
    id: number,
    result: { status: Exclude<SyncStatus, "running">; now: number; counts?: Record<string, number>; error?: string },
  ): Promise<void>;
  /**
   * After a run SUCCEEDED: mark deleted the entities and relationships of its
   * instance (`source`) that the run did not see. Returns how many.
   */
  markUnseenDeleted(source: string, syncRun: number, now: number): Promise<{ entities: number; relationships: number }>;
  /**
   * A result kept in `result_cache` (migration 10) by `name`, or undefined
   * (none, or the table cannot be read): see src/core/maintenance/result-cache.ts.
   */
  getCachedResult(name: string): Promise<CachedResult | undefined>;
  /** Keep a result in `result_cache`, replacing the one of that name. Throws when the database cannot be written. */
  putCachedResult(result: CachedResult): Promise<void>;
  /**
   * Stamp stored records of `source` as seen by this run (last seen `now`,
   * sync run `syncRun`), by key, without writing them: what an integration
   * knows to be unchanged since its last run (a repository whose files did
   * not change). Deleted records and records of another source are left
   * alone. The keys are distinct. Returns how many of them name a live
   * record of `source` (stamped now or earlier in this run): fewer than the
   * keys given means some are no longer stored as they were.
   */
  markSeen(
    source: string,
    syncRun: number,
    keys: { entities?: readonly string[]; relationships?: readonly string[] },
    now: number,
  ): Promise<{ entities: number; relationships: number }>;
  /** The latest run of each integration instance, newest first. */
  latestSyncRuns(): Promise<SyncRun[]>;

  audit(entry: AuditEntry): Promise<void>;
  auditLog(options?: { limit?: number }): Promise<StoredAuditEntry[]>;

  /** Store a new API token (its hash only). A name already used, even by a revoked token: ConflictError. */
  createApiToken(token: NewApiToken): Promise<ApiToken>;
  /** Every token, revoked and expired ones too, by name. */
  listApiTokens(): Promise<ApiToken[]>;
  /** The token whose SHA-256 is `hash` (hex), with its stored hash; undefined when none. */
  findApiTokenByHash(hash: string): Promise<(ApiToken & { hash: string }) | undefined>;
  /** Set last_used_on. */
  touchApiToken(id: string, now: number): Promise<void>;
  /** Mark the named token revoked (once: a second revoke keeps the first date); undefined when no such name. */
  revokeApiToken(name: string, now: number): Promise<ApiToken | undefined>;

  /**
   * Take the named lock without waiting, or get undefined when it is held.
   * PostgreSQL: a session advisory lock (pg_try_advisory_lock) on a
   * connection kept for it, so it excludes every process on the database and
   * is dropped if this process dies. SQLite: held in this process only (one
   * server process per database file is assumed).
   */
  tryLock(name: string): Promise<ReleaseLock | undefined>;
  /** Claim a job's cron slot and record the run as running; undefined when the slot was already claimed. */
  startJobRun(run: { job: string; scheduledFor: number; startedOn: number; runner: string }): Promise<number | undefined>;
  finishJobRun(
    id: number,
    result: { status: Exclude<JobRunStatus, "running">; now: number; error?: string; details?: Record<string, unknown> },
  ): Promise<void>;
  /** The latest run of each job, by job name. */
  latestJobRuns(): Promise<JobRun[]>;
  /** Forget runs started before `before`; returns how many. */
  pruneJobRuns(before: number): Promise<number>;

  /** Store questions by id (a question already stored under the id is replaced), with one audit entry, in one transaction. */
  saveQuestions(questions: readonly StoredQuestion[], options: { now: number; audit: AuditEntry }): Promise<void>;
  /** Every stored question, by title. */
  listQuestions(): Promise<StoredQuestion[]>;

  /** Store imported alert rules by name (replacing one of the same name), with one audit entry, in one transaction. */
  saveAlertRules(rules: readonly StoredAlertRule[], options: { audit: AuditEntry }): Promise<void>;
  /** Every imported alert rule, by name. */
  listAlertRules(): Promise<StoredAlertRule[]>;
  /**
   * Read the rule's state, let `decide` compute the change, and write it
   * (state, pending deliveries, the evaluation time) in ONE transaction.
   * Deliveries already recorded (same notification and destination) are
   * not recorded twice. Returns what `decide` returned.
   */
  updateAlertState<T>(rule: string, decide: (state: AlertStateRow[]) => { change: AlertStateChange; value: T }): Promise<T>;
  /** The rule's state, read only (a dry run). */
  alertState(rule: string): Promise<AlertStateRow[]>;
  /** Pending deliveries of the rule due at `now`, oldest first. */
  dueAlertDeliveries(rule: string, now: number): Promise<AlertDelivery[]>;
  /**
   * Claim a due pending delivery for one attempt: only one caller wins
   * (attempts is compared and raised, next_attempt_at moved to `leaseUntil`
   * so a crashed sender's claim expires). False when another took it.
   */
  claimAlertDelivery(delivery: Pick<AlertDelivery, "id" | "attempts">, leaseUntil: number, now: number): Promise<boolean>;
  /** Record an attempt's outcome: sent, failed, abandoned, or pending again at `nextAttemptAt`. */
  finishAlertDelivery(id: string, outcome: { status: AlertDeliveryStatus; now: number; nextAttemptAt?: number; error?: string }): Promise<void>;
  /** Deliveries, newest first (all rules, or one). */
  alertDeliveries(options: { rule?: string; limit?: number }): Promise<AlertDelivery[]>;
  /** Pending deliveries per rule. */
  pendingAlertDeliveries(): Promise<Map<string, number>>;
  addAlertSilence(silence: Omit<AlertSilence, "id">): Promise<AlertSilence>;
  /** Silences in force at `now` (every silence when `now` is undefined), soonest end first. */
  alertSilences(now?: number): Promise<AlertSilence[]>;
  /** When each rule was last evaluated and how many entities it matched. */
  alertEvaluations(): Promise<Map<string, { evaluatedOn: number; total: number }>>;

  /** Record a drill (drill_runs) with its audit entry, in one transaction. */
  recordDrill(run: DrillRun, options: { audit: AuditEntry }): Promise<void>;
  /** Recorded drills, newest first. */
  drillRuns(options?: { limit?: number }): Promise<DrillRun[]>;
  /** Counts, the latest drill and the latest success. */
  drillSummary(): Promise<DrillSummary>;

  /** What an integration instance kept from its last successful run (HTTP answers by request, with their ETags). */
  loadSyncCache(source: string): Promise<Map<string, SyncCacheEntry>>;
  /** Change the instance's cache: store `put` (new or changed answers), forget `remove`, in one transaction. */
  updateSyncCache(source: string, change: { put: ReadonlyMap<string, SyncCacheEntry>; remove: readonly string[] }, now: number): Promise<void>;

  /** Refresh planner statistics (after a large import). */
  analyze(): Promise<void>;

  close(): Promise<void>;
}
