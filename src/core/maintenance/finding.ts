/**
 * The deferred-maintenance finding: one entity per (maintenance item, asset),
 * `_type deferred_maintenance`, `_class Finding`, linked `<asset> -HAS->
 * finding`. Property names are those of the original tool (J1QL.md) so that
 * its queries keep working; ours adds the rest.
 */
import { createRequire } from "node:module";
import { j1qlString } from "../../query/quote.js";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";

// crypto is required when a key is made (opening findings), not by every report that loads this module.
const require = createRequire(import.meta.url);

export const FINDING_TYPE = "deferred_maintenance";
export const FINDING_CLASS = "Finding";
export const FINDING_EDGE_TYPE_SUFFIX = "_has_deferred_maintenance";
export const SHORT_DESCRIPTION_MAX = 50;

export const CLOSE_REASONS = ["COMPLETE", "ERROR", "RISK_ACCEPTED"] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** A finding's properties, as stored (flat, epoch ms dates). */
export interface FindingProps {
  maintenanceId: string;
  shortDescription: string;
  description: string;
  webLink: string;
  dueDate: number;
  status: "open" | "closed";
  closed: boolean;
  createdBy: string;
  createdOn: number;
  /** the J1QL selection the item was opened with */
  query: string;
  /** re-run the query on reconcile */
  tracked: boolean;
  /** the asset this finding is about */
  entityKey: string;
  entityType: string;
  entityName: string;
  /** team or person owning the asset, when known */
  owner?: string;
  closedOn?: number;
  closedBy?: string;
  closeReason?: CloseReason;
  maintenanceLink?: string;
  acceptedUntil?: number;
  acceptedBy?: string;
  /** why dm closed or reopened it by itself (reconcile) */
  evidence?: string;
  reopenedOn?: number;
  /** how long the SLA clock has stood still while risk was accepted, in total (ms): the due date already includes it */
  pausedMs?: number;
}

/** The asset a repo report reached a finding through (the repo deploys or builds it). */
export interface ViaAsset {
  key: string;
  type: string;
  /** its displayName, else name, else key */
  name: string;
}

export interface Finding extends FindingProps {
  /** the finding entity's `_key` */
  key: string;
  /** its `_id` */
  id: string;
  /** in a repo report: not the repo's own finding but one of an asset it deploys (not stored) */
  via?: ViaAsset;
}

/** Maintenance ids are 8 lower-case hex digits: safe to write into J1QL text. */
/**
 * How owner names compare, everywhere (reports, the dashboard, metrics):
 * without case or surrounding space, so `Identity` (a team's display name)
 * and `identity` (a CODEOWNERS slug) are one owner.
 */
export function ownerKey(name: string): string {
  return name.trim().toLowerCase();
}

export const MAINTENANCE_ID = /^[0-9a-f]{8}$/;

export function assertMaintenanceId(id: string): string {
  if (!MAINTENANCE_ID.test(id)) {
    throw new InputError(`"${id}" is not a maintenance id: ids are 8 hex digits, like 9c3e21a0`, {
      details: ["`dm list` shows the ids of open items."],
    });
  }
  return id;
}

/**
 * The id of an item: derived from what identifies it to a person (its short
 * description and its selection), so opening the same item twice gives the
 * same id and the same finding keys, and changes nothing.
 */
export function maintenanceIdFor(shortDescription: string, query: string): string {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  return createHash("sha256").update(`${shortDescription}\n${query.trim()}`).digest("hex").slice(0, 8);
}

export function findingKey(maintenanceId: string, entityKey: string): string {
  return `deferred_maintenance:${maintenanceId}:${entityKey}`;
}

/** The finding as a bulk record, ready for upsert. */
export function findingRecord(key: string, props: FindingProps): EntityRecord {
  return {
    _key: key,
    _type: FINDING_TYPE,
    _class: FINDING_CLASS,
    displayName: props.shortDescription,
    ...props,
  };
}

/** The `<asset> -HAS-> finding` edge. */
export function findingEdge(entityKey: string, entityType: string, key: string): RelationshipRecord {
  return {
    _key: `${entityKey}|has|${key}`,
    _type: `${entityType}${FINDING_EDGE_TYPE_SUFFIX}`,
    _class: "HAS",
    _fromEntityKey: entityKey,
    _toEntityKey: key,
  };
}

/** A stored finding entity as a Finding (properties read defensively: imports may be odd). */
export function findingFrom(id: string, key: string, props: Record<string, unknown>): Finding {
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  const closed = props.closed === true;
  const reason = CLOSE_REASONS.find((r) => r === props.closeReason);
  const finding: Finding = {
    id,
    key,
    maintenanceId: str(props.maintenanceId),
    shortDescription: str(props.shortDescription),
    description: str(props.description),
    webLink: str(props.webLink),
    dueDate: num(props.dueDate) ?? 0,
    status: closed ? "closed" : "open",
    closed,
    createdBy: str(props.createdBy),
    createdOn: num(props.createdOn) ?? 0,
    query: str(props.query),
    tracked: props.tracked === true,
    entityKey: str(props.entityKey),
    entityType: str(props.entityType),
    entityName: str(props.entityName),
  };
  const optional: (keyof FindingProps)[] = [
    "owner",
    "closedOn",
    "closedBy",
    "maintenanceLink",
    "acceptedUntil",
    "acceptedBy",
    "evidence",
    "reopenedOn",
    "pausedMs",
  ];
  for (const name of optional) {
    const v = props[name];
    if (v !== undefined && v !== null) (finding as unknown as Record<string, unknown>)[name] = v;
  }
  if (reason) finding.closeReason = reason;
  return finding;
}

/** The stored properties of a Finding (without its key and id). */
export function propsOf(finding: Finding): FindingProps {
  const { id: _id, key: _key, via: _via, ...props } = finding;
  return props;
}

/**
 * Findings selected by J1QL filters on deferred_maintenance (each already
 * valid J1QL, values quoted with j1qlString), every page.
 */
export async function loadFindings(
  store: GraphStore,
  now: number,
  filter: { maintenanceId?: string; entityKey?: string; open?: boolean; closed?: boolean } = {},
): Promise<Finding[]> {
  const conditions: string[] = [];
  if (filter.maintenanceId !== undefined) conditions.push(`maintenanceId = ${j1qlString(filter.maintenanceId)}`);
  if (filter.entityKey !== undefined) conditions.push(`entityKey = ${j1qlString(filter.entityKey)}`);
  if (filter.open) conditions.push("closed = false");
  if (filter.closed) conditions.push("closed = true");
  const query = `Find ${FINDING_TYPE}${conditions.length > 0 ? ` with ${conditions.join(" and ")}` : ""}`;
  // the J1QL engine on first use: the repo report loads this module without needing it
  const { runQuery } = await import("../../query/run.js");
  const result = await runQuery(store, query, { now, all: true });
  if (result.type !== "list") throw new Error("unreachable: a query without RETURN is a list");
  return result.data.map((item) => findingFrom(item.id, item.entity._key, item.properties));
}
