/**
 * An integration fills the graph from one kind of source. Each lives in its
 * own folder (`src/integrations/<id>/index.ts`, and its parsers beside it)
 * and is listed in `registry.ts`. `sync` yields batches of records; the sync
 * core writes them, stamps the run and cleans up after success.
 */
import type { z } from "zod";
import type { GraphBatch } from "../store/types.js";
import type { HttpCache } from "./http.js";

export interface SyncWarning {
  /** the file (or item) the problem is in */
  file?: string;
  line?: number;
  message: string;
}

export interface SyncContext<C> {
  /** the validated configuration of this instance */
  config: C;
  /** the instance name: also the `_source` of everything it writes */
  instance: string;
  now: number;
  cwd: string;
  /** A problem that skips one item; the run becomes partial (nothing is deleted after it). */
  warn(warning: SyncWarning): void;
  /** Worth reporting, not a problem (an unpinned requirement): the run stays succeeded. */
  note(notice: SyncWarning): void;
  /** Progress of long work: `done` of `total` items (total when known). */
  progress(done: number, total?: number, unit?: string): void;
  /**
   * A credential from its reference in the config (`env:NAME`, `file:/path`,
   * `vault:mount/path#key`), registered for redaction. `key` names the
   * setting in messages (e.g. "token"). A missing one is an InputError.
   */
  secret(ref: string, key: string): Promise<string>;
  /** An environment variable (KUBECONFIG, ...): undefined when unset or empty. */
  env(name: string): string | undefined;
  /**
   * Answers kept from this instance's last run (HTTP bodies with ETags, for
   * conditional requests). What this run sets is kept after it succeeds;
   * entries it does not touch are forgotten then.
   */
  cache: HttpCache;
  /**
   * Records this instance wrote in an earlier run that it knows are unchanged
   * without reading them again (a repository whose files did not change):
   * after the run's writes they are stamped seen by this run (counted as
   * unchanged), so the clean-up after success keeps them. Given together with
   * the cache entry that vouches for them; an integration that never uses
   * the cache never calls it. Each key once per run (a key given twice counts
   * as one no longer stored: the run is partial and the cache cleared).
   */
  seen(keys: { entities?: readonly string[]; relationships?: readonly string[] }): void;
}

export interface Integration<C = unknown> {
  /** the folder name, e.g. `git`, `hosts`, `aws-credential-report` */
  id: string;
  description: string;
  /** validates the instance's settings (from dm.config.yaml or the command line) */
  configSchema: z.ZodType<C>;
  /** a stable instance name for a configuration, e.g. `git:/home/me/src` (paths resolved from `cwd`) */
  instanceName(config: C, cwd: string): string;
  sync(ctx: SyncContext<C>): AsyncIterable<GraphBatch>;
}
