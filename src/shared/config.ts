/**
 * The one place that reads the process environment. Everything else gets a
 * Config (or parts of it) passed in, so tests can set any of it.
 */
import os from "node:os";
import path from "node:path";
import { InputError } from "./errors.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface Config {
  /** --db, else DM_DATABASE_URL, else the default SQLite file */
  databaseUrl?: string;
  user?: string;
  logLevel: string;
  debug: boolean;
  noColor: boolean;
  homeDir: string;
  /** DM_OSV_DB: the advisory database file (default ~/.deferred-maintenance/osv.db) */
  osvDb?: string;
}

/**
 * Read the environment. Checked by hand rather than with a zod schema: these
 * few variables are read on every start, and loading zod costs 40 ms of the
 * 150 ms a `dm query` may take.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const logLevel = get("DM_LOG_LEVEL") ?? "warn";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new InputError(`environment variable DM_LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  const debug = get("DM_DEBUG");
  return {
    databaseUrl: get("DM_DATABASE_URL"),
    user: get("DM_USER"),
    logLevel,
    debug: debug !== undefined && debug !== "0",
    noColor: env.NO_COLOR !== undefined,
    homeDir: get("HOME") ?? os.homedir(),
    osvDb: get("DM_OSV_DB"),
  };
}

export function dataDir(config: Config): string {
  return path.join(config.homeDir, ".deferred-maintenance");
}
