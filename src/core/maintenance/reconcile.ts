/**
 * Keep findings in step with the graph (`dm reconcile`, also after a sync):
 *
 * 1. Expired risk acceptances reopen (`closeReason RISK_ACCEPTED` and
 *    `acceptedUntil <= now`); the SLA clock resumes: each due date moves
 *    later by the time the finding spent accepted (`reopenFinding`).
 * 2. Every tracked item (opened with `--track`) re-runs its query:
 *    - an open finding whose entity no longer matches is closed COMPLETE by
 *      `dm`, with the evidence (the date, and the sync run that showed it);
 *    - an entity that newly matches gets a finding with the item's due date
 *      and descriptions;
 *    - a CLOSED finding whose entity matches again is left closed: the work
 *      was done (or the finding was an error, or the risk is accepted) and
 *      the same key cannot hold a second finding. If the problem is back,
 *      open a new item.
 *
 * Nothing is closed while the latest run of some source did not succeed
 * (failed or partial): a missing entity may only mean that sync did not see
 * it. Opening and reopening still happen.
 *
 * Cost: per item one indexed load of its findings and one run of its query,
 * then set differences in memory; everything is written in one transaction.
 */
import { j1qlString } from "../../query/quote.js";
import { type ListItem, runQuery } from "../../query/run.js";
import { DmError } from "../../shared/errors.js";
import type { AuditEntry, EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";
import { DRILL_MAINTENANCE_ID, openCanaries, STALE_CANARY_MS, staleEvidence } from "./canary.js";
import { closeFinding, type FindingRow, loadFindingRows, recordOf, reopenFinding } from "./close.js";
import { isoDate } from "./due.js";
import { FINDING_TYPE, type FindingProps, findingEdge, findingKey, findingRecord, MAINTENANCE_ID } from "./finding.js";
import { entityNameOf, lookupOwners, newFindingProps, ownerOf, selectEntities, writeFindings } from "./open.js";

export interface ReconcileOptions {
  now: number;
  /** who closes and reopens: "dm" */
  actor?: string;
  /** the person or job that ran it, for the audit log */
  ranBy?: string;
  /** work everything out and report it; write nothing (no audit entry either) */
  dryRun?: boolean;
  /** list every finding reopened, closed and opened (`changes`) */
  listChanges?: boolean;
}

/** One finding a reconcile reopened, closed or opened (would have, on a dry run). */
export interface ReconcileChange {
  action: "reopened" | "closed" | "opened";
  maintenanceId: string;
  entityKey: string;
  entityName: string;
}

export interface ReconcileItem {
  maintenanceId: string;
  shortDescription: string;
  /** entities the query selects now */
  matched: number;
  opened: number;
  closed: number;
  /** open findings that would have been closed, had every source's latest sync succeeded */
  notClosed: number;
}

export interface ReconcileResult {
  /** expired risk acceptances reopened */
  reopened: number;
  /** findings closed because their entity no longer matches */
  closed: number;
  /** findings opened for entities that newly match */
  opened: number;
  /** tracked items reconciled */
  items: number;
  perItem: ReconcileItem[];
  /** set when closing was skipped: the sync run that did not succeed (see SyncState) */
  closingSkipped?: { syncRun: string; status: string };
  /** tracked items whose query could not run (left as they are) */
  errors: { maintenanceId: string; message: string }[];
  /** canaries of dm drill left open by an interrupted drill, closed ERROR (only when some were) */
  canariesClosed?: number;
  /** with listChanges: every finding reopened, closed or opened, in that order */
  changes?: ReconcileChange[];
  /** nothing was written */
  dryRun?: boolean;
}

export interface SyncState {
  /** the newest sync run of any source (the evidence names it) */
  latestId?: string;
  /**
   * The newest run, among each source's latest, that failed or was partial:
   * while one stands, that source's assets may be missing or stale, so
   * nothing is closed for their absence. A later successful run of another
   * source (an on-call sync every minute, a vulnerability scan) does not
   * clear it; only that source's next successful run does.
   */
  blocking?: { syncRun: string; status: string };
}

export async function syncState(store: GraphStore): Promise<SyncState> {
  const runs = await store.latestSyncRuns();
  const bad = runs.find((r) => r.status === "failed" || r.status === "partial");
  return {
    ...(runs[0] ? { latestId: String(runs[0].id) } : {}),
    ...(bad ? { blocking: { syncRun: String(bad.id), status: bad.status } } : {}),
  };
}

async function trackedItemIds(store: GraphStore, now: number): Promise<string[]> {
  const result = await runQuery(
    store,
    `Find UNIQUE ${FINDING_TYPE} with tracked = true as m return m.maintenanceId as id`,
    { now, all: true },
  );
  if (result.type !== "table") throw new Error("unreachable: a RETURN query is a table");
  const ids = result.data.map((row) => row.id).filter((id): id is string => typeof id === "string" && id !== "");
  return [...new Set(ids)].sort();
}

/** The finding the item's shared fields are taken from: the first tracked one opened. */
function templateOf(rows: readonly FindingRow[]): FindingRow | undefined {
  let best: FindingRow | undefined;
  for (const row of rows) {
    const f = row.finding;
    if (!f.tracked || f.query === "") continue;
    if (!best || f.createdOn < best.finding.createdOn || (f.createdOn === best.finding.createdOn && f.key < best.finding.key)) {
      best = row;
    }
  }
  return best;
}

export async function reconcile(store: GraphStore, options: ReconcileOptions): Promise<ReconcileResult> {
  const now = options.now;
  const actor = options.actor ?? "dm";
  const today = isoDate(now);
  /** updated findings by key (last write wins: a reopened finding may then be closed by its item) */
  const updates = new Map<string, FindingRow>();
  const reopenedByItem = new Map<string, number>();

  // 1. Expired risk acceptances.
  const expired = await loadFindingRows(
    store,
    `Find ${FINDING_TYPE} with closed = true and closeReason = 'RISK_ACCEPTED' and acceptedUntil <= date.now`,
    now,
  );
  // The SLA clock resumes (reopenFinding moves each due date by the time accepted).
  const dueMovedByItem = new Map<string, number>();
  const changes: ReconcileChange[] = [];
  const change = (action: ReconcileChange["action"], f: { maintenanceId: string; entityKey: string; entityName: string }) =>
    changes.push({ action, maintenanceId: f.maintenanceId, entityKey: f.entityKey, entityName: f.entityName || f.entityKey });
  for (const { finding, raw } of expired) {
    change("reopened", finding);
    const until = finding.acceptedUntil ?? now;
    const reopened = reopenFinding(finding, now, `risk acceptance expired on ${isoDate(until)}`);
    updates.set(finding.key, { finding: reopened, raw });
    reopenedByItem.set(finding.maintenanceId, (reopenedByItem.get(finding.maintenanceId) ?? 0) + 1);
    if (reopened.dueDate !== finding.dueDate) dueMovedByItem.set(finding.maintenanceId, (dueMovedByItem.get(finding.maintenanceId) ?? 0) + 1);
  }

  // 2. Tracked items.
  const sync = await syncState(store);
  const closingAllowed = sync.blocking === undefined;
  const evidenceGone = `no longer matched the query on ${today}${sync.latestId ? ` (sync run ${sync.latestId})` : ""}`;
  const perItem: ReconcileItem[] = [];
  const errors: ReconcileResult["errors"] = [];
  const fresh: { item: ListItem; base: Parameters<typeof newFindingProps>[2] }[] = [];
  let closed = 0;

  for (const mid of await trackedItemIds(store, now)) {
    if (!MAINTENANCE_ID.test(mid)) {
      errors.push({ maintenanceId: mid, message: "not a maintenance id (8 hex digits): left as it is" });
      continue;
    }
    const rows = (await loadFindingRows(store, `Find ${FINDING_TYPE} with maintenanceId = ${j1qlString(mid)}`, now)).map(
      (row) => updates.get(row.finding.key) ?? row,
    );
    const template = templateOf(rows);
    if (!template) continue;
    const t = template.finding;
    let selected: ListItem[];
    try {
      selected = await selectEntities(store, t.query, now);
    } catch (error) {
      if (!(error instanceof DmError)) throw error;
      errors.push({ maintenanceId: mid, message: error.message });
      continue;
    }
    const matched = new Map<string, ListItem>();
    for (const item of selected) if (item.entity._type !== FINDING_TYPE) matched.set(item.entity._key, item);

    const summary: ReconcileItem = {
      maintenanceId: mid,
      shortDescription: t.shortDescription,
      matched: matched.size,
      opened: 0,
      closed: 0,
      notClosed: 0,
    };
    const keys = new Set<string>();
    for (const row of rows) {
      keys.add(row.finding.key);
      const f = row.finding;
      if (f.closed || f.entityKey === "" || matched.has(f.entityKey)) continue;
      if (!closingAllowed) {
        summary.notClosed++;
        continue;
      }
      updates.set(f.key, {
        finding: closeFinding(f, { reason: "COMPLETE", actor, now, evidence: evidenceGone }),
        raw: row.raw,
      });
      change("closed", f);
      summary.closed++;
    }
    const base = {
      maintenanceId: mid,
      shortDescription: t.shortDescription,
      description: t.description,
      webLink: t.webLink,
      dueDate: t.dueDate,
      createdBy: t.createdBy,
      createdOn: now,
      query: t.query,
      tracked: true,
    };
    for (const [entityKey, item] of matched) {
      // An entity with a finding of this item, open or closed, gets no other.
      if (keys.has(findingKey(mid, entityKey))) continue;
      fresh.push({ item, base });
      change("opened", { maintenanceId: mid, entityKey, entityName: entityNameOf(item) });
      summary.opened++;
    }
    closed += summary.closed;
    perItem.push(summary);
  }

  // 3. Canaries an interrupted `dm drill` left open (older than STALE_CANARY_MS): closed ERROR.
  const canaries = await openCanaries(store, now, now - STALE_CANARY_MS);
  for (const row of canaries) {
    updates.set(row.finding.key, { finding: closeFinding(row.finding, { reason: "ERROR", actor, now, evidence: staleEvidence(row, now) }), raw: row.raw });
  }

  // Write everything in one transaction.
  const owners = await lookupOwners(
    store,
    fresh.map((f) => f.item.id),
  );
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  for (const { finding, raw } of updates.values()) entities.push(recordOf(finding, raw));
  for (const { item, base } of fresh) {
    const key = findingKey(base.maintenanceId, item.entity._key);
    const props: FindingProps = { ...newFindingProps(item, ownerOf(item, owners), base), evidence: `matched the query on ${today}` };
    entities.push(findingRecord(key, props));
    relationships.push(findingEdge(item.entity._key, item.entity._type, key));
  }

  const reopened = expired.length;
  const opened = fresh.length;
  const audit: AuditEntry[] = [];
  for (const [mid, count] of [...reopenedByItem].sort(([a], [b]) => a.localeCompare(b))) {
    const moved = dueMovedByItem.get(mid) ?? 0;
    audit.push({
      at: now,
      actor,
      action: "reopen",
      subject: mid,
      details: { count, why: "risk acceptance expired", ...(moved > 0 ? { dueMoved: moved, clock: "resumed: due dates moved later by the time accepted" } : {}) },
    });
  }
  for (const item of perItem) {
    if (item.opened === 0 && item.closed === 0 && item.notClosed === 0) continue;
    audit.push({
      at: now,
      actor,
      action: "reconcile",
      subject: item.maintenanceId,
      details: { matched: item.matched, opened: item.opened, closed: item.closed, notClosed: item.notClosed },
    });
  }
  const result: ReconcileResult = { reopened, closed, opened, items: perItem.length, perItem, errors };
  if (options.listChanges) result.changes = changes;
  if (options.dryRun) result.dryRun = true;
  if (sync.blocking) result.closingSkipped = sync.blocking;
  if (canaries.length > 0) {
    result.canariesClosed = canaries.length;
    audit.push({ at: now, actor, action: "close", subject: DRILL_MAINTENANCE_ID, details: { count: canaries.length, reason: "ERROR", why: "stale drill canaries" } });
  }
  audit.push({
    at: now,
    actor,
    action: "reconcile",
    subject: "tracked items",
    details: {
      items: perItem.length,
      reopened,
      closed,
      opened,
      ...(options.ranBy === undefined ? {} : { ranBy: options.ranBy }),
      ...(result.closingSkipped ? { closingSkipped: result.closingSkipped } : {}),
      ...(errors.length > 0 ? { errors: errors.length } : {}),
    },
  });
  // The findings and the audit entries that record them: one transaction.
  if (!options.dryRun) await writeFindings(store, entities, relationships, now, { audit: () => audit });
  return result;
}
