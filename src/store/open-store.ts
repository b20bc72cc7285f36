import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../shared/errors.js";
import type { GraphStore } from "./types.js";

const ACCEPTED = "a file path, a file: URL, :memory:, or a postgres:// (postgresql://) URL";

/** `scheme://` at the start: a URL rather than a path (a Windows `C:\` path has no `//`). */
const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * The URL with any password replaced by `***`, for messages and `location`.
 * Done on the text rather than through `URL` so that an unparseable value is
 * masked too and a parseable one is shown as written.
 */
export function maskUrlPassword(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#]*@/i, "$1:***@")
    .replace(/([?&]password=)[^&#]*/gi, "$1***");
}

export interface OpenStoreOptions {
  /** How long a write waits for another process's write before giving up with exit 3 (default 5 s). */
  writeWaitMs?: number;
  /**
   * A command that only reads: an SQLite file that does not exist is bad
   * input (a mistyped --db), not a new empty database. Writers create it.
   */
  mustExist?: boolean;
  /** Told when a new SQLite database file was created (writers say so once). */
  onCreate?: (location: string) => void;
  /**
   * One short read pass, then the process exits (`dm query`): SQLite keeps
   * its default page cache (16 MB as better-sqlite3 builds it) instead of
   * 256 MB. Such a pass reads each
   * page about once, so a big cache saves nothing, and every page it holds
   * is fresh memory the kernel must map: the overdue question at 200,000
   * entities cost 810 ms of CPU with the big cache, 345 ms without.
   * Ignored by PostgreSQL.
   */
  readOnce?: boolean;
}

/** Where the embedded database lives when nothing is configured. */
export function defaultDatabasePath(homeDir: string): string {
  return path.join(homeDir, ".deferred-maintenance", "dm.db");
}

/**
 * Open the store a target names: a PostgreSQL URL, or an SQLite file (path,
 * `file:` URL, or `:memory:`). Each backend's module is imported only when
 * chosen, so SQLite users never load `pg` and vice versa.
 */
export async function openStore(target: string, options: OpenStoreOptions = {}): Promise<GraphStore> {
  if (target.trim() === "") {
    throw new InputError(`no database given; expected ${ACCEPTED}`);
  }
  const scheme = URL_SCHEME.exec(target)?.[1]?.toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") {
    const { PostgresStore } = await import("./postgres/postgres-store.js");
    return PostgresStore.open(target, options);
  }
  if (scheme !== undefined && scheme !== "file") {
    throw new InputError(`unsupported database "${maskUrlPassword(target)}"; expected ${ACCEPTED}`, {
      details: ["Examples: ~/dm.db, file:///var/lib/dm/dm.db, postgres://user:password@host:5432/dm"],
    });
  }
  const { file, mode } = sqliteTarget(target);
  const readonly = mode === "ro";
  const mustExist = options.mustExist === true || mode === "ro" || mode === "rw";
  const isNew = file !== ":memory:" && !fs.existsSync(file);
  if (isNew && mustExist) {
    throw new InputError(`there is no database at ${path.resolve(file)}`, {
      details: [
        "Check --db (or DM_DATABASE_URL) for a typing mistake.",
        "To start one: dm import <file>, dm sync git --path <folder>, or dm demo for a sample organisation.",
      ],
    });
  }
  const { SqliteStore } = await import("./sqlite/sqlite-store.js");
  const store = SqliteStore.open(file, { ...options, readonly });
  if (isNew) options.onCreate?.(store.location);
  return store;
}

const FILE_URL_MODES = new Set(["ro", "rw", "rwc"]);

/**
 * A path, `:memory:`, or a `file:` URL: `file:///abs/dm.db`, `file:rel.db`
 * (SQLite's form without an authority), each with an optional `?mode=ro`
 * (read only), `rw` (must exist) or `rwc` (the default). Any other query
 * parameter is refused rather than becoming part of the file name.
 */
function sqliteTarget(target: string): { file: string; mode: string } {
  if (!/^file:/i.test(target)) return { file: target, mode: "rwc" };
  const hint = "Use file:///absolute/path/dm.db or file:relative.db, optionally with ?mode=ro, or give the path itself.";
  const [location, query = ""] = target.split(/\?(.*)/s, 2) as [string, string?];
  let mode = "rwc";
  for (const [key, value] of new URLSearchParams(query)) {
    if (key !== "mode" || !FILE_URL_MODES.has(value)) {
      throw new InputError(`"${target}": unsupported ${key === "mode" ? `mode "${value}"` : `parameter "${key}"`} in the file: URL`, {
        details: ["Supported: mode=ro (read only), mode=rw (must exist), mode=rwc (create if missing).", hint],
      });
    }
    mode = value;
  }
  if (/^file:\/\//i.test(location)) {
    try {
      return { file: fileURLToPath(location), mode };
    } catch (error) {
      throw new InputError(`"${target}" is not a usable file: URL: ${(error as Error).message}`, { cause: error, details: [hint] });
    }
  }
  // `file:dm.db` (SQLite's URI form without an authority): a relative path.
  return { file: decodeURIComponent(location.slice("file:".length)), mode };
}
