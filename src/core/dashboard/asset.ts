/**
 * One asset seen from the dashboard: its relationships (both directions) and
 * its findings with their history and their items' audit entries.
 */
import { j1qlString } from "../../query/quote.js";
import { type EntityMetadata, runQuery } from "../../query/run.js";
import { NotFoundError } from "../../shared/errors.js";
import type { GraphStore, Row } from "../../store/types.js";
import { FINDING_TYPE, type Finding, findingFrom } from "../maintenance/finding.js";
import { daysOverdue, findingStatus } from "./overview.js";

/** Audit entries shown with a finding or the on-call group. */
export const HISTORY_LIMIT = 50;

interface Neighbour {
  id: string;
  entity: EntityMetadata;
  properties: Record<string, unknown>;
}

/**
 * The entity an address names: its `_id`, else its `_key` (`repo:checkout-proxy`);
 * NotFoundError when neither names a live entity (`includeDeleted`: a deleted one
 * named by its `_id` too, as GET /entities/{id} always answered).
 */
export async function resolveEntity(store: GraphStore, idOrKey: string, now: number, options: { includeDeleted?: boolean } = {}) {
  if (/^\d{1,18}$/.test(idOrKey)) {
    const [stored] = await store.getEntities([idOrKey]);
    if (stored && (!stored.deleted || options.includeDeleted)) return stored;
  }
  const byKey = await runQuery(store, `Find * with _key = ${j1qlString(idOrKey)}`, { now, pageSize: 1 });
  const id = byKey.type === "list" ? byKey.data[0]?.id : undefined;
  if (id !== undefined) {
    const [stored] = await store.getEntities([id]);
    if (stored && !stored.deleted) return stored;
  }
  throw new NotFoundError(`no entity with _id or _key ${JSON.stringify(idOrKey)}`);
}

/** An entity's relationships, both directions, each with the entity at the other end; NotFoundError when there is no such entity. */
export async function neighbourhood(store: GraphStore, options: { id: string; now: number }) {
  const { now } = options;
  const id = (await resolveEntity(store, options.id, now)).id;
  const result = await runQuery(store, `Find * with _id = ${j1qlString(id)} that RELATES TO * return tree`, { now });
  const vertices = new Map<string, Neighbour>();
  const relationships: {
    id: string;
    class: string;
    type: string;
    direction: "out" | "in";
    properties: Record<string, unknown>;
    other: { id: string; key: string; type: string; classes: string[]; displayName: string };
  }[] = [];
  if (result.type === "tree") {
    for (const v of result.data.vertices) vertices.set(v.id, v);
    for (const e of result.data.edges) {
      const out = e.fromVertexId === id;
      if (!out && e.toVertexId !== id) continue;
      const other = vertices.get(out ? e.toVertexId : e.fromVertexId);
      if (!other) continue;
      relationships.push({
        id: e.id,
        class: String(e.relationship._class ?? ""),
        type: String(e.relationship._type ?? ""),
        direction: out ? "out" : "in",
        properties: e.properties,
        other: {
          id: other.id,
          key: other.entity._key,
          type: other.entity._type,
          classes: other.entity._class,
          displayName: other.entity.displayName ?? other.entity._key,
        },
      });
    }
  }
  relationships.sort((a, b) => a.class.localeCompare(b.class) || a.other.displayName.localeCompare(b.other.displayName));
  return { id, relationships, vertices };
}

/** Audit entries whose subject names this item (a close by query across items names several). */
export async function auditAbout(store: GraphStore, where: { subject?: string; action?: string }, limit = HISTORY_LIMIT) {
  const d = store.dialect;
  const params = d.newParams();
  const conditions: string[] = [];
  if (where.subject !== undefined) {
    conditions.push(`(subject = ${params.add(where.subject)} OR subject LIKE ${params.add(`%${where.subject.replace(/[%_\\]/g, "")}%`)})`);
  }
  if (where.action !== undefined) conditions.push(`action = ${params.add(where.action)}`);
  const rows: Row[] = await store.select(
    `SELECT id, at, actor, action, subject, details FROM audit_log${conditions.length ? ` WHERE ${conditions.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map((r) => ({
    id: String(r.id),
    at: Number(r.at),
    actor: String(r.actor),
    action: String(r.action),
    subject: String(r.subject),
    details: (d.decodeJson(r.details) as Record<string, unknown> | undefined) ?? null,
  }));
}

interface HistoryEvent {
  at: number;
  what: string;
  by: string;
  details?: string;
}

/** Who reopened a finding: a person's hand reopen says so in the evidence ("reopened by alice ..."); else dm (reconcile, scans, rules). */
function reopenedBy(evidence: string | undefined): string {
  return /^reopened by (\S+)/.exec(evidence ?? "")?.[1] ?? "dm";
}

/** What the finding itself records: opened, reopened, closed or accepted. */
function findingEvents(f: Finding): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  if (f.createdOn > 0) events.push({ at: f.createdOn, what: "opened", by: f.createdBy, details: `due ${new Date(f.dueDate).toISOString().slice(0, 10)}` });
  if (f.reopenedOn) events.push({ at: f.reopenedOn, what: "reopened", by: reopenedBy(f.evidence), ...(f.evidence ? { details: f.evidence } : {}) });
  if (f.closed && f.closedOn) {
    const parts = [f.maintenanceLink, f.acceptedUntil ? `accepted until ${new Date(f.acceptedUntil).toISOString().slice(0, 10)}` : undefined, f.evidence];
    const details = parts.filter(Boolean).join("; ");
    events.push({ at: f.closedOn, what: `closed ${f.closeReason ?? ""}`.trim(), by: f.closedBy ?? "", ...(details ? { details } : {}) });
  }
  return events.sort((a, b) => b.at - a.at);
}

/** An asset's findings (open and closed), each with its history and its item's audit entries. */
export async function assetFindings(store: GraphStore, options: { id: string; now: number }) {
  const { id, now } = options;
  const { relationships } = await neighbourhood(store, { id, now });
  const findingIds = relationships.filter((r) => r.direction === "out" && r.class === "HAS" && r.other.type === FINDING_TYPE).map((r) => r.other.id);
  const stored = await store.getEntities(findingIds);
  const findings = stored.filter((e) => !e.deleted).map((e) => findingFrom(e.id, e.key, e.props));
  const audits = new Map<string, Awaited<ReturnType<typeof auditAbout>>>();
  for (const mid of new Set(findings.map((f) => f.maintenanceId))) {
    if (mid) audits.set(mid, await auditAbout(store, { subject: mid }));
  }
  return {
    now,
    findings: findings
      .map((f) => ({
        ...f,
        status: findingStatus(f, now),
        daysOverdue: daysOverdue(f, now),
        history: findingEvents(f),
        audit: audits.get(f.maintenanceId) ?? [],
      }))
      .sort((a, b) => Number(a.closed) - Number(b.closed) || a.dueDate - b.dueDate),
  };
}
