/**
 * The offline advisory database: OSV advisories in a SQLite file of their
 * own (default `~/.deferred-maintenance/osv.db`), apart from the graph. It is
 * a cache of public data, one per machine like osv-scanner's offline
 * database: it can be copied, rebuilt from an export at any time, and serves
 * `dm vulns scan <path>` with no graph at all.
 *
 * Each advisory is stored once (its validated OSV document) with one row per
 * package it is about, keyed by (ecosystem, name) for the lookups a scan
 * makes. Withdrawn advisories are kept (status counts them) but have no
 * package rows, so they match nothing.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { ExternalServiceError, InputError } from "../../shared/errors.js";
import { type AdvisorySeverity, type Severity, severityFrom } from "./cvss.js";
import { type Advisory, AdvisoryError, normalizePackageName, parseAdvisory } from "./osv.js";

export const OSV_DB_FILE = "osv.db";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisories (
  id TEXT PRIMARY KEY,
  modified INTEGER NOT NULL,
  published INTEGER,
  withdrawn INTEGER,
  aliases TEXT NOT NULL,
  severity TEXT,
  score REAL,
  summary TEXT,
  -- what matching reads: the affected[] entries
  affected TEXT NOT NULL
);
-- the long texts, apart, so that advisories rows stay small for scans:
-- details, and the rest of the OSV document (references, credits...)
CREATE TABLE IF NOT EXISTS advisory_docs (
  id TEXT PRIMARY KEY,
  details TEXT,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, advisory_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (advisory_id);
CREATE TABLE IF NOT EXISTS imports (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  source TEXT NOT NULL,
  added INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  skipped INTEGER NOT NULL
);
`;

/** One advisory file (or one element of a file holding many) to import. */
export interface AdvisoryText {
  /** where it came from, for messages: a path, `archive.zip!/path`, `file.json[3]` */
  file: string;
  text: string;
}

export interface SkippedAdvisory {
  file: string;
  reason: string;
}

export interface ImportResult {
  /** advisories read (valid ones) */
  read: number;
  added: number;
  updated: number;
  unchanged: number;
  /** of those added or updated, how many are withdrawn */
  withdrawn: number;
  skipped: SkippedAdvisory[];
}

export interface EcosystemStatus {
  ecosystem: string;
  advisories: number;
  /** newest `modified` among them, epoch ms */
  newest: number;
}

export interface DbStatus {
  file: string;
  advisories: number;
  withdrawn: number;
  ecosystems: EcosystemStatus[];
  /** newest `modified` of all, epoch ms; undefined when empty */
  newest?: number;
  lastImport?: { at: number; source: string; added: number; updated: number; unchanged: number; skipped: number };
}

/**
 * A stored advisory as matching needs it: everything but `details` (read
 * with `details(id)` for the few that match), and the severity derived at
 * import.
 */
export interface StoredAdvisory {
  advisory: Pick<Advisory, "id" | "aliases" | "summary" | "affected">;
  severity?: Pick<AdvisorySeverity, "severity" | "score">;
  /** `modified` and `published` as epoch ms */
  modifiedOn: number;
  publishedOn?: number;
}

type AdvisoryRow = [
  id: string,
  modified: number,
  published: number | null,
  aliases: string,
  severity: string | null,
  score: number | null,
  summary: string | null,
  affected: string,
];

const ADVISORY_COLUMNS = "id, modified, published, aliases, severity, score, summary, affected";

/** Past this many distinct package names looked up, the whole package index is loaded at once. */
const INDEX_PRELOAD_AFTER = 2_000;
/** Past this many advisories read one by one, the rest are read in one pass. */
const ROWS_PRELOAD_AFTER = 20_000;
const NO_IDS: string[] = [];

/** The ecosystem a package row is filed under: the base name ("Debian" for "Debian:12"). */
export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(":");
  return colon >= 0 ? ecosystem.slice(0, colon) : ecosystem;
}

export class AdvisoryDb {
  private readonly byPackage: Database.Statement<[string, string], { advisory_id: string }>;
  private readonly byId: Database.Statement<[string], AdvisoryRow>;
  private readonly detailsById: Database.Statement<[string], { details: string | null }>;
  private readonly cache = new Map<string, StoredAdvisory>();
  private index: Map<string, Map<string, string[]>> | undefined;
  /** advisory rows read in one pass once a scan has needed many (deleted as they are parsed) */
  private rows: Map<string, AdvisoryRow> | undefined;
  private lookups = 0;

  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    /** when to switch from reading row by row to reading everything in one pass */
    private readonly preloadAfter: { names: number; advisories: number },
  ) {
    this.byPackage = db.prepare("SELECT advisory_id FROM affected WHERE ecosystem = ? AND name = ? ORDER BY advisory_id");
    this.byId = db.prepare<[string], AdvisoryRow>(`SELECT ${ADVISORY_COLUMNS} FROM advisories WHERE id = ?`).raw();
    this.detailsById = db.prepare("SELECT details FROM advisory_docs WHERE id = ?");
  }

  /**
   * Open the database file. With `create`, the file and its folder are made
   * when missing; without it a missing file is an InputError that says how
   * to fill one.
   */
  static open(file: string, options: { create?: boolean; preloadAfter?: { names: number; advisories: number } } = {}): AdvisoryDb {
    if (!options.create && !fs.existsSync(file)) {
      throw new InputError(`no advisory database at ${file}`, {
        details: [
          "Import OSV advisories first, e.g. an osv.dev export or a clone of the GitHub Advisory Database:",
          "  dm vulns db import ~/Downloads/npm-all.zip",
          "  dm vulns db import ~/src/advisory-database/advisories",
        ],
      });
    }
    if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
      throw new InputError(`${file} is a folder, not an advisory database file`, {
        details: [`Name a file, e.g. --osv-db ${path.join(file, OSV_DB_FILE)}`],
      });
    }
    if (options.create) fs.mkdirSync(path.dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, { fileMustExist: !options.create });
      db.pragma("journal_mode = WAL");
      db.pragma("busy_timeout = 5000");
      db.pragma("synchronous = NORMAL");
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_NOTADB") {
        throw new InputError(`${file} is not an advisory database (not an SQLite file)`, {
          cause: error,
          details: ["Name the file dm vulns db import wrote, or a new path to import into."],
        });
      }
      throw new ExternalServiceError("advisory database", `cannot open ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const version = (db.pragma("user_version", { simple: true }) as number) ?? 0;
      if (version > SCHEMA_VERSION) {
        throw new InputError(`${file} was written by a newer dm (advisory schema ${version}; this dm reads ${SCHEMA_VERSION})`, {
          details: ["Upgrade dm, or import the advisories again into a new file with --osv-db."],
        });
      }
      if (version < SCHEMA_VERSION) {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
    } catch (error) {
      db.close();
      if (error instanceof InputError) throw error;
      throw new InputError(`${file} is not an advisory database: ${(error as Error).message}`, { cause: error });
    }
    return new AdvisoryDb(db, file, options.preloadAfter ?? { names: INDEX_PRELOAD_AFTER, advisories: ROWS_PRELOAD_AFTER });
  }

  close(): void {
    this.db.close();
  }

  /**
   * Import advisories. Valid ones are written in batches (one transaction
   * each); an invalid one is skipped with its file and reason and the rest
   * load. An advisory already stored with the same `modified` is unchanged;
   * an older copy than the stored one is kept out.
   */
  async import(
    input: AsyncIterable<AdvisoryText> | Iterable<AdvisoryText>,
    options: { now: number; source: string; onProgress?: (read: number) => void },
  ): Promise<ImportResult> {
    const result: ImportResult = { read: 0, added: 0, updated: 0, unchanged: 0, withdrawn: 0, skipped: [] };
    const stored = this.db.prepare<[string], { modified: number; withdrawn: number | null }>(
      "SELECT modified, withdrawn FROM advisories WHERE id = ?",
    );
    const upsert = this.db.prepare(
      `INSERT INTO advisories (id, modified, published, withdrawn, aliases, severity, score, summary, affected)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, published = excluded.published,
         withdrawn = excluded.withdrawn, aliases = excluded.aliases, severity = excluded.severity,
         score = excluded.score, summary = excluded.summary, affected = excluded.affected`,
    );
    const upsertDoc = this.db.prepare(
      `INSERT INTO advisory_docs (id, details, doc) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET details = excluded.details, doc = excluded.doc`,
    );
    const dropPackages = this.db.prepare("DELETE FROM affected WHERE advisory_id = ?");
    const addPackage = this.db.prepare("INSERT OR IGNORE INTO affected (ecosystem, name, advisory_id) VALUES (?, ?, ?)");

    let batch: { advisory: Advisory; isNew: boolean }[] = [];
    /** ids written in this import, with the `modified` written: a second copy in one import is compared to it */
    const seen = new Map<string, number>();
    const write = this.db.transaction((items: { advisory: Advisory; isNew: boolean }[]) => {
      for (const { advisory: a, isNew } of items) {
        const severity = severityFrom(a.severity, a.database_specific?.severity);
        upsert.run(
          a.id,
          Date.parse(a.modified),
          a.published ? Date.parse(a.published) : null,
          a.withdrawn ? Date.parse(a.withdrawn) : null,
          JSON.stringify(a.aliases ?? []),
          severity?.severity ?? null,
          severity?.score ?? null,
          a.summary ?? null,
          JSON.stringify(a.affected),
        );
        // the document without its details (they have their own column)
        upsertDoc.run(a.id, a.details ?? null, JSON.stringify({ ...a, details: undefined }));
        if (!isNew) dropPackages.run(a.id);
        if (a.withdrawn) continue;
        for (const affected of a.affected) {
          const eco = baseEcosystem(affected.package.ecosystem);
          addPackage.run(eco, normalizePackageName(eco, affected.package.name), a.id);
        }
      }
    });
    const flush = () => {
      if (batch.length === 0) return;
      write(batch);
      batch = [];
    };

    const consider = (value: unknown, file: string) => {
      let advisory: Advisory;
      try {
        advisory = parseAdvisory(value, file);
      } catch (error) {
        if (!(error instanceof AdvisoryError)) throw error;
        result.skipped.push({ file, reason: `${error.path}: ${error.reason}` });
        return;
      }
      result.read++;
      const modified = Date.parse(advisory.modified);
      const earlier = seen.get(advisory.id);
      const before = earlier !== undefined ? { modified: earlier, withdrawn: null } : stored.get(advisory.id);
      if (before && before.modified >= modified) {
        result.unchanged++;
        return;
      }
      if (before) result.updated++;
      else result.added++;
      if (advisory.withdrawn) result.withdrawn++;
      seen.set(advisory.id, modified);
      // a second copy in the same batch must replace the first one's package rows
      batch.push({ advisory, isNew: !before && earlier === undefined });
      if (batch.length >= 2000) flush();
    };

    for await (const { file, text } of input) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        result.skipped.push({ file, reason: `not JSON: ${(error as Error).message}` });
        continue;
      }
      if (Array.isArray(json)) {
        for (const [i, value] of json.entries()) consider(value, `${file}[${i}]`);
      } else consider(json, file);
      options.onProgress?.(result.read + result.skipped.length);
    }
    flush();
    this.db
      .prepare("INSERT INTO imports (at, source, added, updated, unchanged, skipped) VALUES (?, ?, ?, ?, ?, ?)")
      .run(options.now, options.source, result.added, result.updated, result.unchanged, result.skipped.length);
    this.cache.clear();
    this.index = undefined;
    this.rows = undefined;
    return result;
  }

  status(): DbStatus {
    const totals = this.db
      .prepare<[], { n: number; withdrawn: number; newest: number | null }>(
        "SELECT count(*) AS n, count(withdrawn) AS withdrawn, max(modified) AS newest FROM advisories",
      )
      .get()!;
    const ecosystems = this.db
      .prepare<[], EcosystemStatus>(
        `SELECT f.ecosystem AS ecosystem, count(DISTINCT f.advisory_id) AS advisories, max(a.modified) AS newest
         FROM affected f JOIN advisories a ON a.id = f.advisory_id
         GROUP BY f.ecosystem ORDER BY advisories DESC, ecosystem`,
      )
      .all();
    const last = this.db
      .prepare<[], NonNullable<DbStatus["lastImport"]>>(
        "SELECT at, source, added, updated, unchanged, skipped FROM imports ORDER BY id DESC LIMIT 1",
      )
      .get();
    return {
      file: this.file,
      advisories: totals.n,
      withdrawn: totals.withdrawn,
      ecosystems,
      ...(totals.newest !== null ? { newest: totals.newest } : {}),
      ...(last ? { lastImport: last } : {}),
    };
  }

  /**
   * Ids of the advisories (not withdrawn) about a package; `ecosystem` is the
   * base name. A big scan loads the whole index once instead of asking row
   * by row.
   */
  advisoryIdsFor(ecosystem: string, name: string): string[] {
    const normalized = normalizePackageName(ecosystem, name);
    if (!this.index && ++this.lookups > this.preloadAfter.names) this.preloadIndex();
    if (this.index) return this.index.get(ecosystem)?.get(normalized) ?? NO_IDS;
    return this.byPackage.all(ecosystem, normalized).map((r) => r.advisory_id);
  }

  /** Read the whole package index in one sequential pass (nested maps: no joined keys to hash). */
  private preloadIndex(): void {
    const index = new Map<string, Map<string, string[]>>();
    const rows = this.db.prepare("SELECT ecosystem, name, advisory_id FROM affected ORDER BY ecosystem, name, advisory_id").raw();
    for (const [ecosystem, name, id] of rows.iterate() as Iterable<[string, string, string]>) {
      let byName = index.get(ecosystem);
      if (!byName) {
        byName = new Map();
        index.set(ecosystem, byName);
      }
      const list = byName.get(name);
      if (list) list.push(id);
      else byName.set(name, [id]);
    }
    this.index = index;
  }

  /** Read every advisory row in one sequential pass: cheaper than one by one once a scan needs many. */
  private preloadRows(): void {
    const rows = new Map<string, AdvisoryRow>();
    const statement = this.db.prepare<[], AdvisoryRow>(`SELECT ${ADVISORY_COLUMNS} FROM advisories WHERE withdrawn IS NULL`).raw();
    for (const row of statement.iterate()) if (!this.cache.has(row[0])) rows.set(row[0], row);
    this.rows = rows;
  }

  /** A stored advisory by id (read once, then cached). */
  get(id: string): StoredAdvisory | undefined {
    const cached = this.cache.get(id);
    if (cached) return cached;
    if (!this.rows && this.cache.size >= this.preloadAfter.advisories) this.preloadRows();
    const row = this.rows ? this.rows.get(id) : this.byId.get(id);
    if (!row) return undefined;
    this.rows?.delete(id);
    const [, modified, published, aliases, severity, score, summary, affected] = row;
    // our own columns, validated when the advisory was imported
    const entry: StoredAdvisory = {
      advisory: {
        id,
        aliases: JSON.parse(aliases) as string[],
        ...(summary !== null ? { summary } : {}),
        affected: JSON.parse(affected) as Advisory["affected"],
      },
      modifiedOn: modified,
      ...(published !== null ? { publishedOn: published } : {}),
      ...(severity !== null ? { severity: { severity: severity as Severity, ...(score !== null ? { score } : {}) } } : {}),
    };
    this.cache.set(id, entry);
    return entry;
  }

  /** The `details` text of an advisory ("" when it has none). */
  details(id: string): string {
    return this.detailsById.get(id)?.details ?? "";
  }
}
