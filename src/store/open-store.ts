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
  const { SqliteStore } = await import("./sqlite/sqlite-store.js");
  return SqliteStore.open(sqlitePath(target), options);
}

function sqlitePath(target: string): string {
  if (!/^file:/i.test(target)) return target;
  if (/^file:\/\//i.test(target)) {
    try {
      return fileURLToPath(target);
    } catch (error) {
      throw new InputError(`"${target}" is not a usable file: URL: ${(error as Error).message}`, {
        cause: error,
        details: ["Use file:///absolute/path/dm.db, or give the path itself."],
      });
    }
  }
  // `file:dm.db` (SQLite's URI form without an authority): a relative path.
  return decodeURIComponent(target.slice("file:".length));
}
