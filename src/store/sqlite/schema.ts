import { INDEXED_PROPERTIES, sqliteDialect } from "../../query/dialect.js";
import { sqliteFindingFactsIndex } from "../../query/finding-facts.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

function propertyIndexes(): string {
  return Object.entries(INDEXED_PROPERTIES)
    .map(([key, kind]) => {
      const expr = sqliteDialect.typed("", `'$."${key}"'`, kind);
      const isArray = sqliteDialect.isArray("", `'$."${key}"'`);
      return [
        `CREATE INDEX IF NOT EXISTS entities_prop_${key} ON entities(${expr}) WHERE ${expr} IS NOT NULL;`,
        `CREATE INDEX IF NOT EXISTS entities_prop_${key}_array ON entities(id) WHERE ${isArray};`,
      ].join("\n");
    })
    .join("\n");
}

/** Versioned migrations; each runs once, in a transaction, recorded in schema_migrations. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "graph",
    sql: `
CREATE TABLE entities (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  classes TEXT NOT NULL,
  display_name TEXT,
  source TEXT,
  props TEXT NOT NULL,
  created_on INTEGER NOT NULL,
  begin_on INTEGER NOT NULL,
  last_seen_on INTEGER NOT NULL,
  sync_run INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX entities_type ON entities(type);
CREATE TABLE entity_classes (
  class TEXT NOT NULL,
  entity_id INTEGER NOT NULL,
  PRIMARY KEY (class, entity_id)
) WITHOUT ROWID;
CREATE INDEX entity_classes_entity ON entity_classes(entity_id);
CREATE TABLE relationships (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  class TEXT NOT NULL,
  from_id INTEGER NOT NULL,
  to_id INTEGER NOT NULL,
  source TEXT,
  props TEXT NOT NULL,
  created_on INTEGER NOT NULL,
  begin_on INTEGER NOT NULL,
  last_seen_on INTEGER NOT NULL,
  sync_run INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX relationships_from ON relationships(from_id, class);
CREATE INDEX relationships_to ON relationships(to_id, class);
CREATE TABLE sync_runs (
  id INTEGER PRIMARY KEY,
  integration TEXT NOT NULL,
  instance TEXT NOT NULL,
  started_on INTEGER NOT NULL,
  finished_on INTEGER,
  status TEXT NOT NULL,
  counts TEXT,
  error TEXT
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
${propertyIndexes()}
`,
  },
  {
    version: 2,
    name: "api tokens",
    // The hash, never the token. A name stays taken after revocation, so
    // the audit log's actor names one token only.
    sql: `
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('reader', 'maintainer', 'admin')),
  hash TEXT NOT NULL UNIQUE,
  created_on INTEGER NOT NULL,
  last_used_on INTEGER,
  expires_on INTEGER,
  revoked_on INTEGER
);
`,
  },
  {
    version: 3,
    name: "job runs",
    // One row per scheduled run of a server job. (job, scheduled_for) is
    // unique: a run claims its cron slot, so a slot runs at most once.
    sql: `
CREATE TABLE job_runs (
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL,
  scheduled_for INTEGER NOT NULL,
  started_on INTEGER NOT NULL,
  finished_on INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  runner TEXT NOT NULL,
  error TEXT,
  details TEXT,
  UNIQUE (job, scheduled_for)
);
CREATE INDEX job_runs_started ON job_runs(started_on);
`,
  },
  {
    version: 4,
    name: "questions",
    // Stored J1QL questions (JupiterOne's managed-question format): the
    // named queries and tags as JSON. Keyed by the question's id.
    sql: `
CREATE TABLE questions (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  tags TEXT NOT NULL,
  queries TEXT NOT NULL,
  source TEXT NOT NULL,
  updated_on INTEGER NOT NULL
);
`,
  },
  {
    version: 5,
    name: "sync_cache",
    // What an integration keeps between runs to skip unchanged work: an HTTP
    // answer with its ETag (conditional requests), keyed by the instance and
    // the request. Never secrets: only what the service answered.
    sql: `
CREATE TABLE sync_cache (
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  etag TEXT NOT NULL,
  body TEXT NOT NULL,
  updated_on INTEGER NOT NULL,
  PRIMARY KEY (source, key)
);
`,
  },
  {
    version: 6,
    name: "alerts",
    // Alerting (docs/alerts.md): imported alert rules (JupiterOne's alert
    // packs), what each rule last announced per entity (alert_state), the
    // notifications to deliver per destination (alert_deliveries: pending
    // until sent, retried with backoff), silences, and when each rule was
    // last evaluated.
    sql: `
CREATE TABLE alert_rules (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  queries TEXT NOT NULL,
  condition TEXT NOT NULL,
  level TEXT,
  source TEXT NOT NULL,
  imported_on INTEGER NOT NULL
);
CREATE TABLE alert_state (
  rule TEXT NOT NULL,
  entity_key TEXT NOT NULL,
  group_value TEXT,
  entity TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_announced INTEGER,
  fingerprint TEXT,
  PRIMARY KEY (rule, entity_key)
);
CREATE TABLE alert_deliveries (
  id INTEGER PRIMARY KEY,
  notification_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  destination TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'abandoned')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  payload TEXT NOT NULL,
  created_on INTEGER NOT NULL,
  updated_on INTEGER NOT NULL,
  UNIQUE (notification_id, destination)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (rule, status, next_attempt_at);
CREATE TABLE alert_silences (
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  entity_key TEXT,
  until_on INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_on INTEGER NOT NULL
);
CREATE INDEX alert_silences_rule ON alert_silences (rule, until_on);
CREATE TABLE alert_evaluations (
  rule TEXT PRIMARY KEY,
  evaluated_on INTEGER NOT NULL,
  total INTEGER NOT NULL
);
`,
  },
  {
    version: 7,
    name: "drills",
    // dm drill (docs/alerts.md#drills): each drill of the alerting path, its
    // steps (open, evaluate, deliver per destination, close) with timings,
    // and the step that failed. /metrics reads its dm_drill_* from here.
    sql: `
CREATE TABLE drill_runs (
  id INTEGER PRIMARY KEY,
  drill_id TEXT NOT NULL UNIQUE,
  started_on INTEGER NOT NULL,
  ms INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  failed_step TEXT,
  rules TEXT NOT NULL,
  steps TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX drill_runs_started ON drill_runs (started_on);
`,
  },
  {
    version: 8,
    name: "token owners",
    // a token may stand for a person or a team (dm token create --owner): the
    // dashboard's "My items" is that owner's page
    sql: `
ALTER TABLE api_tokens ADD COLUMN owner TEXT;
`,
  },
  {
    version: 9,
    name: "finding facts",
    // dm stats, GET /api/v1/stats and the dashboard overview aggregate the
    // findings in SQL (src/core/maintenance/stats-sql.ts): this covering
    // partial index holds the properties they read, so the aggregate scans
    // it without parsing each finding's JSON (src/query/finding-facts.ts).
    sql: `
${sqliteFindingFactsIndex(sqliteDialect)};
`,
  },
  {
    version: 10,
    name: "result cache",
    // dm stats, GET /api/v1/stats and the dashboard overview keep their
    // counts here while the graph has not changed and the clock has not
    // passed a boundary (src/core/maintenance/result-cache.ts); graph_version
    // was what "has not changed" read (until migrations 11 and 12).
    sql: `
CREATE TABLE result_cache (
  name TEXT PRIMARY KEY,
  version_key TEXT NOT NULL,
  valid_until INTEGER NOT NULL,
  computed_on INTEGER NOT NULL,
  body TEXT NOT NULL
);
-- one row: bumped by every write that changes the graph, in the write's transaction
CREATE TABLE graph_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO graph_version (id, version) VALUES (1, 0);
`,
  },
  {
    version: 11,
    name: "finding item versions",
    // one row per maintenance item whose findings a write created, changed
    // or deleted (old and new values), its version bumped in the write's
    // transaction (SqlStore): the statistics' kept counts
    // (src/core/maintenance/result-cache.ts) are exact while these rows are
    // unchanged, and a change recounts only the items it names. "" stands
    // for findings without a string maintenanceId.
    sql: `
CREATE TABLE item_versions (
  item TEXT PRIMARY KEY,
  version INTEGER NOT NULL
);
`,
  },
  {
    version: 12,
    name: "no graph version",
    // graph_version (migration 10) keyed the kept counts until migration 11
    // keyed them by item; nothing reads it since
    sql: `
DROP TABLE graph_version;
`,
  },
];
