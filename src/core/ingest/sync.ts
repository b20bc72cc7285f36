/**
 * A sync run: stamp it, write what the integration yields in one
 * transaction, and only when the run succeeded mark deleted what the
 * instance no longer has. A run with warnings is partial and a run that
 * throws is failed: neither deletes anything, and a throw rolls back every
 * write of the run, so the previous graph stays as it was.
 */
import { reconcile } from "../maintenance/reconcile.js";
import { linkPeople } from "./people.js";
import { DmError, ExternalServiceError } from "../../shared/errors.js";
import type { Integration, SyncWarning } from "../../integrations/types.js";
import { credentialReader } from "../../integrations/credentials.js";
import type { GraphStore, SyncCacheEntry, SyncStatus, UpsertResult } from "../../store/types.js";
import type { SecretSources } from "../oncall/secrets.js";

export interface SyncSummary {
  integration: string;
  instance: string;
  runId: number;
  status: Exclude<SyncStatus, "running">;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  warnings: SyncWarning[];
  /** reported, not problems: they do not make the run partial */
  notices: SyncWarning[];
  seconds: number;
  /** what reconcile did after the run (tracked maintenance), when it ran */
  reconciled?: { opened: number; closed: number; reopened: number };
  error?: string;
}

export interface RunSyncOptions {
  now: number;
  cwd: string;
  actor: string;
  progress?: (done: number, total?: number, unit?: string) => void;
  /** run dm reconcile after a run that wrote something (default true) */
  reconcile?: boolean;
  /** join accounts into people after the run (linkPeople; default true): several runs in a row need it once, after the last */
  people?: boolean;
  /** where credential references are read (the environment, Vault); default: none set */
  secrets?: SecretSources;
  /** ignore what the last run left in the cache: read everything again (`dm sync --full`) */
  full?: boolean;
}

export async function runSync<C>(
  store: GraphStore,
  integration: Integration<C>,
  config: C,
  options: RunSyncOptions,
): Promise<SyncSummary> {
  const started = performance.now();
  const instance = integration.instanceName(config, options.cwd);
  const runId = await store.startSyncRun(integration.id, instance, options.now);
  const warnings: SyncWarning[] = [];
  const notices: SyncWarning[] = [];
  let counts: UpsertResult;
  const sources: SecretSources = options.secrets ?? { env: () => undefined };
  const kept = await store.loadSyncCache(instance);
  const used = new Map<string, SyncCacheEntry>();
  let dropCache = false;
  // keys are distinct across the run (an integration vouches for each record once): arrays, not sets, at 280,000 keys
  const seen = { entities: [] as string[], relationships: [] as string[] };
  try {
    const batches = integration.sync({
      config,
      instance,
      now: options.now,
      cwd: options.cwd,
      warn: (w) => warnings.push(w),
      note: (n) => notices.push(n),
      progress: options.progress ?? (() => undefined),
      secret: credentialReader(sources, options.cwd),
      env: (name) => sources.env(name),
      cache: { get: (key) => (options.full ? undefined : kept.get(key)), set: (key, entry) => used.set(key, entry) },
      seen: (keys) => {
        for (const k of keys.entities ?? []) seen.entities.push(k);
        for (const k of keys.relationships ?? []) seen.relationships.push(k);
      },
    });
    counts = await store.upsertMany(batches, { now: options.now, source: instance, syncRun: runId });
    if (seen.entities.length + seen.relationships.length > 0) {
      const stamped = await store.markSeen(instance, runId, seen, options.now);
      counts.entities.unchanged += stamped.entities;
      counts.relationships.unchanged += stamped.relationships;
      const missing = seen.entities.length + seen.relationships.length - stamped.entities - stamped.relationships;
      if (missing > 0) {
        // the graph no longer holds what the cache vouched for (deleted, or rewritten by another source):
        // nothing is deleted after this run, and the next one reads everything again
        warnings.push({
          message: `${missing} record${missing === 1 ? "" : "s"} kept from the last run ${missing === 1 ? "is" : "are"} no longer stored as written: the cache is cleared, the next sync reads everything again`,
        });
        dropCache = true;
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await store.finishSyncRun(runId, { status: "failed", now: options.now, error: message });
    const unchanged = "Nothing was changed: the graph is as it was before this run.";
    if (error instanceof ExternalServiceError) {
      throw new ExternalServiceError(error.service, error.message, { cause: error.cause ?? error, details: [...error.details, unchanged] });
    }
    if (error instanceof DmError) throw error;
    throw new ExternalServiceError(integration.id, `the ${integration.id} sync failed: ${message}`, {
      cause: error,
      details: [unchanged],
    });
  }
  const status = warnings.length > 0 ? "partial" : "succeeded";
  // the cache: what changed (its etag or its body) is stored; what a succeeded run did not ask again is forgotten (a partial run keeps it)
  const put = dropCache ? new Map<string, SyncCacheEntry>() : new Map([...used].filter(([k, v]) => kept.get(k)?.etag !== v.etag || kept.get(k)?.body !== v.body));
  const remove = dropCache ? [...kept.keys()] : status === "succeeded" ? [...kept.keys()].filter((k) => !used.has(k)) : [];
  await store.updateSyncCache(instance, { put, remove }, options.now);
  let deleted = { entities: 0, relationships: 0 };
  if (status === "succeeded") {
    try {
      deleted = await store.markUnseenDeleted(instance, runId, options.now);
    } catch (error) {
      // what the run saw is written; only the clean-up failed: say so, never leave it "running"
      await store.finishSyncRun(runId, { status: "partial", now: options.now, error: `cleanup failed: ${(error as Error).message}` });
      throw error;
    }
  }
  const summary: SyncSummary = {
    integration: integration.id,
    instance,
    runId,
    status,
    created: counts.entities.created + counts.relationships.created,
    updated: counts.entities.updated + counts.relationships.updated,
    unchanged: counts.entities.unchanged + counts.relationships.unchanged,
    deleted: deleted.entities + deleted.relationships,
    warnings,
    notices,
    seconds: (performance.now() - started) / 1000,
  };
  await store.finishSyncRun(runId, {
    status,
    now: options.now,
    counts: {
      created: summary.created,
      updated: summary.updated,
      unchanged: summary.unchanged,
      deleted: summary.deleted,
      warnings: warnings.length,
    },
    ...(warnings.length > 0 ? { error: `${warnings.length} warning${warnings.length === 1 ? "" : "s"}` } : {}),
  });
  await store.audit({
    at: options.now,
    actor: options.actor,
    action: "sync",
    subject: instance,
    details: { runId, status, created: summary.created, updated: summary.updated, deleted: summary.deleted },
  });
  if (options.people !== false) await linkPeople(store, { now: options.now, syncRun: runId });
  if (options.reconcile !== false) {
    const r = await reconcile(store, { now: options.now, actor: "dm", ranBy: options.actor });
    summary.reconciled = { opened: r.opened, closed: r.closed, reopened: r.reopened };
  }
  return summary;
}
