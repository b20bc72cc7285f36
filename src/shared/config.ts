/**
 * The one place that reads the process environment. Everything else gets a
 * Config (or parts of it) passed in, so tests can set any of it.
 */
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { InputError } from "./errors.js";

const EnvSchema = z.object({
  DM_DATABASE_URL: z.string().min(1).optional(),
  DM_USER: z.string().min(1).optional(),
  DM_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  DM_DEBUG: z.string().optional(),
  NO_COLOR: z.string().optional(),
  FORCE_COLOR: z.string().optional(),
  HOME: z.string().optional(),
});

export interface Config {
  /** --db, else DM_DATABASE_URL, else the default SQLite file */
  databaseUrl?: string;
  user?: string;
  logLevel: string;
  debug: boolean;
  noColor: boolean;
  homeDir: string;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([k, v]) => k in EnvSchema.shape && v !== "")),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DM_DATABASE_URL,
    user: e.DM_USER,
    logLevel: e.DM_LOG_LEVEL ?? "warn",
    debug: e.DM_DEBUG !== undefined && e.DM_DEBUG !== "0",
    noColor: e.NO_COLOR !== undefined,
    homeDir: e.HOME ?? os.homedir(),
  };
}

export function dataDir(config: Config): string {
  return path.join(config.homeDir, ".deferred-maintenance");
}
