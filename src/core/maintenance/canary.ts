/**
 * The canary finding of `dm drill` (docs/alerts.md#drills): a clearly marked
 * finding (`drill: true`, "DRILL — ignore", already overdue) on its own
 * `dm_drill` entity (`drill:<id>`), opened so that the alert rules select it
 * and closed ERROR with the drill's result as evidence.
 *
 * A drill closes its canary in a `finally`; a canary a drill could not close
 * (the process was killed) is "stale" once it is older than
 * STALE_CANARY_MS, and the next drill and `dm reconcile` close it.
 */
import { randomBytes } from "node:crypto";
import type { EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";
import { closeFinding, type FindingRow, loadFindingRows, recordOf } from "./close.js";
import { FINDING_TYPE, type FindingProps, findingEdge, findingKey, findingRecord, maintenanceIdFor } from "./finding.js";
import { writeFindings } from "./open.js";

export const DRILL_ENTITY_TYPE = "dm_drill";
export const DRILL_SHORT_DESCRIPTION = "DRILL — ignore";
/** Every canary belongs to this one item, so reports show drills as one line. */
export const DRILL_MAINTENANCE_ID = maintenanceIdFor(DRILL_SHORT_DESCRIPTION, "dm drill");
/** An open canary older than this was left by an interrupted drill. */
export const STALE_CANARY_MS = 10 * 60_000;
/** How overdue a canary is when opened: rules on overdue work select it. */
export const CANARY_OVERDUE_MS = 86_400_000;
/** The owner of a canary (rules that group by owner announce it under this group). */
export const DRILL_OWNER = "dm-drill";

export interface Canary {
  id: string;
  /** the finding's _key */
  key: string;
  /** the dm_drill entity's _key (drill:<id>) */
  entityKey: string;
}

/** A new drill id: 8 hex digits. */
export function newDrillId(): string {
  return randomBytes(4).toString("hex");
}

/** Open the canary: its dm_drill entity, the finding and the edge, in one transaction. */
export async function openCanary(store: GraphStore, options: { id: string; now: number; actor: string }): Promise<Canary> {
  const { id, now, actor } = options;
  const entityKey = `drill:${id}`;
  const key = findingKey(DRILL_MAINTENANCE_ID, entityKey);
  const entity: EntityRecord = {
    _key: entityKey,
    _type: DRILL_ENTITY_TYPE,
    _class: "Resource",
    displayName: `${DRILL_SHORT_DESCRIPTION} (${id})`,
    drill: true,
    owner: DRILL_OWNER,
    createdOn: now,
  };
  const props: FindingProps = {
    maintenanceId: DRILL_MAINTENANCE_ID,
    shortDescription: DRILL_SHORT_DESCRIPTION,
    description: `A canary of dm drill ${id}: it proves that alerts reach their destinations. dm closes it by itself; ignore it.`,
    webLink: "https://github.com/deferred-maintenance/dm/blob/main/docs/alerts.md#drills",
    dueDate: now - CANARY_OVERDUE_MS,
    status: "open",
    closed: false,
    createdBy: actor,
    createdOn: now,
    query: "dm drill",
    tracked: false,
    entityKey,
    entityType: DRILL_ENTITY_TYPE,
    entityName: entity.displayName as string,
    owner: DRILL_OWNER,
  };
  const relationships: RelationshipRecord[] = [findingEdge(entityKey, DRILL_ENTITY_TYPE, key)];
  await writeFindings(store, [entity, { ...findingRecord(key, props), drill: true }], relationships, now);
  return { id, key, entityKey };
}

/** Open canaries, oldest first (with `olderThan`, only those opened before it). */
export async function openCanaries(store: GraphStore, now: number, olderThan?: number): Promise<FindingRow[]> {
  const rows = await loadFindingRows(store, `Find ${FINDING_TYPE} with drill = true and closed = false`, now);
  return rows.filter((r) => olderThan === undefined || r.finding.createdOn < olderThan).sort((a, b) => a.finding.createdOn - b.finding.createdOn);
}

/** The canary, closed ERROR with the evidence (the record to write). */
export function closedCanary(row: FindingRow, close: { now: number; actor: string; evidence: string }): EntityRecord {
  return recordOf(closeFinding(row.finding, { reason: "ERROR", ...close }), row.raw);
}

/** Close canaries ERROR with the evidence, in one transaction; how many. */
export async function closeCanaries(store: GraphStore, rows: readonly FindingRow[], close: { now: number; actor: string; evidence: string }): Promise<number> {
  if (rows.length === 0) return 0;
  await writeFindings(
    store,
    rows.map((r) => closedCanary(r, close)),
    [],
    close.now,
  );
  return rows.length;
}

/** The evidence of a canary closed because its drill was interrupted. */
export function staleEvidence(row: FindingRow, now: number): string {
  return `stale drill canary: opened ${Math.round((now - row.finding.createdOn) / 60_000)} min ago by a drill that did not close it (interrupted)`;
}

/** Close the open canaries older than STALE_CANARY_MS; how many. */
export async function closeStaleCanaries(store: GraphStore, options: { now: number; actor: string; staleMs?: number }): Promise<number> {
  const { now, actor } = options;
  const stale = await openCanaries(store, now, now - (options.staleMs ?? STALE_CANARY_MS));
  if (stale.length === 0) return 0;
  await writeFindings(
    store,
    stale.map((r) => closedCanary(r, { now, actor, evidence: staleEvidence(r, now) })),
    [],
    now,
  );
  return stale.length;
}
