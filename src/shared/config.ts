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
  /** dm oncall: VAULT_ADDR, VAULT_TOKEN, and the API base URLs that override the public endpoints */
  oncall: {
    vaultAddr?: string;
    vaultToken?: string;
    pagerdutyApiUrl?: string;
    slackApiUrl?: string;
    /** DM_LDAP_INSECURE=1: plain LDAP (no TLS) is allowed, for a local test directory */
    ldapInsecure: boolean;
  };
  /** A variable named in a config file (`{ env: NAME }` secrets); undefined when unset or empty. */
  envVar(name: string): string | undefined;
  /** DM_SERVER and DM_TOKEN: commands run against this team server instead of a local database */
  server?: { url: string; token?: string };
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
  const insecure = get("DM_LDAP_INSECURE");
  const serverUrl = get("DM_SERVER");
  if (serverUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(serverUrl)) {
    throw new InputError(`environment variable DM_SERVER: "${serverUrl}" is not an http(s) URL, e.g. https://dm.example.com`);
  }
  const token = get("DM_TOKEN");
  return {
    databaseUrl: get("DM_DATABASE_URL"),
    user: get("DM_USER"),
    logLevel,
    debug: debug !== undefined && debug !== "0",
    noColor: env.NO_COLOR !== undefined,
    homeDir: get("HOME") ?? os.homedir(),
    osvDb: get("DM_OSV_DB"),
    oncall: {
      vaultAddr: get("VAULT_ADDR"),
      vaultToken: get("VAULT_TOKEN"),
      pagerdutyApiUrl: get("PAGERDUTY_API_URL"),
      slackApiUrl: get("SLACK_API_URL"),
      ldapInsecure: insecure !== undefined && insecure !== "0" && insecure !== "false",
    },
    envVar: get,
    ...(serverUrl !== undefined ? { server: { url: serverUrl.replace(/\/+$/, ""), ...(token !== undefined ? { token } : {}) } } : {}),
  };
}

export function dataDir(config: Config): string {
  return path.join(config.homeDir, ".deferred-maintenance");
}
