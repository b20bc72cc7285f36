/**
 * Read-only views the web dashboard needs and the rest of the API lacks: the
 * caller's own token, an overview of the whole debt, one campaign with every
 * finding (open and closed) and its asset, an entity's relationships, an
 * asset's findings with their history, and the on-call group. Each is one
 * request per page, computed from the same core functions as the CLI.
 */
import { DAY_MS } from "../../core/maintenance/due.js";
import { assertMaintenanceId, FINDING_TYPE, type Finding, findingFrom, loadFindings } from "../../core/maintenance/finding.js";
import { isOverdue } from "../../core/maintenance/report.js";
import { type ItemStats, itemStats, statsOf } from "../../core/maintenance/stats.js";
import { j1qlString } from "../../query/quote.js";
import { type EntityMetadata, runQuery } from "../../query/run.js";
import { NotFoundError } from "../../shared/errors.js";
import type { GraphStore, Row } from "../../store/types.js";
import type { Route, RouteContext } from "../route.js";

/** How many assets and owners the overview ranks. */
export const OVERVIEW_TOP = 10;
/** Audit entries shown with a finding or the on-call group. */
const HISTORY_LIMIT = 50;

/** Whole days past due (0 on the due day), for an open finding; null otherwise. */
export function daysOverdue(f: Finding, now: number): number | null {
  return isOverdue(f, now) ? Math.floor((now - f.dueDate) / DAY_MS) : null;
}

/** open, overdue, or the close reason ("closed" when none was recorded). */
export function findingStatus(f: Finding, now: number): string {
  if (!f.closed) return isOverdue(f, now) ? "overdue" : "open";
  return f.closeReason ?? "closed";
}

/**
 * How far behind schedule a campaign is: the share it should have done by
 * now if work went at an even pace from its creation to its due date, minus
 * the share done. Positive is behind, negative ahead.
 */
export function behindSchedule(item: Pick<ItemStats, "createdOn" | "dueDate" | "completion">, now: number): { expected: number; behind: number } {
  const span = item.dueDate - item.createdOn;
  const expected = span <= 0 ? 1 : Math.min(1, Math.max(0, (now - item.createdOn) / span));
  return { expected, behind: expected - item.completion };
}

interface Ranked {
  open: number;
  overdue: number;
  /** the largest days overdue among its findings */
  maxDaysOverdue: number;
  /** the sum of days overdue: weighs how late as well as how many */
  totalDaysOverdue: number;
}

function addTo(r: Ranked, f: Finding, now: number): void {
  r.open++;
  const late = daysOverdue(f, now);
  if (late !== null) {
    r.overdue++;
    r.totalDaysOverdue += late;
    r.maxDaysOverdue = Math.max(r.maxDaysOverdue, late);
  }
}

/** Riskiest first: most overdue, then most days overdue, then most open. */
function riskiest(a: Ranked, b: Ranked): number {
  return b.overdue - a.overdue || b.totalDaysOverdue - a.totalDaysOverdue || b.open - a.open;
}

async function entityIdByKey(store: GraphStore, key: string, now: number): Promise<string | undefined> {
  const result = await runQuery(store, `Find * with _key = ${j1qlString(key)}`, { now, pageSize: 1 });
  return result.type === "list" ? result.data[0]?.id : undefined;
}

export async function overview(store: GraphStore, now: number) {
  const findings = await loadFindings(store, now);
  const counts = { total: findings.length, open: 0, overdue: 0, accepted: 0, closed: 0, campaigns: 0 };
  const assets = new Map<string, Ranked & { key: string; name: string; type: string; owner: string }>();
  const owners = new Map<string, Ranked & { owner: string; assets: Set<string> }>();
  for (const f of findings) {
    if (f.closed) {
      counts.closed++;
      if (f.closeReason === "RISK_ACCEPTED") counts.accepted++;
      continue;
    }
    counts.open++;
    if (isOverdue(f, now)) counts.overdue++;
    const zero = { open: 0, overdue: 0, maxDaysOverdue: 0, totalDaysOverdue: 0 };
    let asset = assets.get(f.entityKey);
    if (!asset) {
      asset = { ...zero, key: f.entityKey, name: f.entityName || f.entityKey, type: f.entityType, owner: f.owner ?? "" };
      assets.set(f.entityKey, asset);
    }
    addTo(asset, f, now);
    const ownerName = f.owner ?? "";
    let owner = owners.get(ownerName);
    if (!owner) {
      owner = { ...zero, owner: ownerName, assets: new Set() };
      owners.set(ownerName, owner);
    }
    addTo(owner, f, now);
    owner.assets.add(f.entityKey);
  }
  const topAssets = [...assets.values()].sort(riskiest).slice(0, OVERVIEW_TOP);
  const ids = await Promise.all(topAssets.map((a) => entityIdByKey(store, a.key, now)));
  const items = itemStats(findings, now);
  counts.campaigns = items.length;
  const campaigns = items
    .map(({ burndown: _burndown, ...item }) => ({ ...item, ...behindSchedule(item, now) }))
    .sort((a, b) => b.behind - a.behind || b.overdue - a.overdue || a.dueDate - b.dueDate);
  return {
    now,
    counts,
    riskiestAssets: topAssets.map((a, i) => ({ ...a, id: ids[i] ?? null })),
    riskiestOwners: [...owners.values()]
      .sort(riskiest)
      .slice(0, OVERVIEW_TOP)
      .map(({ assets: owned, ...o }) => ({ ...o, assets: owned.size })),
    campaigns,
  };
}

async function campaign(store: GraphStore, id: string, now: number) {
  const findings = await loadFindings(store, now, { maintenanceId: id });
  if (findings.length === 0) throw new NotFoundError(`no maintenance item ${id}`);
  const links = await runQuery(
    store,
    `Find * as a that HAS ${FINDING_TYPE} with maintenanceId = ${j1qlString(id)} as f return a._id as assetId, f._id as findingId`,
    { now, all: true },
  );
  const assetOf = new Map<string, string>();
  if (links.type === "table") for (const row of links.data) assetOf.set(String(row.findingId), String(row.assetId));
  const stats = statsOf(findings, now);
  return {
    now,
    stats: { ...stats, ...behindSchedule(stats, now) },
    findings: findings
      .map((f) => ({
        findingId: f.id,
        assetId: assetOf.get(f.id) ?? null,
        entityKey: f.entityKey,
        entityName: f.entityName || f.entityKey,
        entityType: f.entityType,
        owner: f.owner ?? "",
        status: findingStatus(f, now),
        dueDate: f.dueDate,
        daysOverdue: daysOverdue(f, now),
        closedOn: f.closedOn ?? null,
        closedBy: f.closedBy ?? null,
        link: f.maintenanceLink ?? null,
        acceptedUntil: f.acceptedUntil ?? null,
      }))
      .sort((a, b) => (b.daysOverdue ?? -1) - (a.daysOverdue ?? -1) || a.entityName.localeCompare(b.entityName)),
  };
}

interface Neighbour {
  id: string;
  entity: EntityMetadata;
  properties: Record<string, unknown>;
}

async function neighbourhood(store: GraphStore, id: string, now: number) {
  const [stored] = /^\d+$/.test(id) ? await store.getEntities([id]) : [];
  if (!stored || stored.deleted) throw new NotFoundError(`no entity with _id ${JSON.stringify(id)}`);
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
async function auditAbout(store: GraphStore, where: { subject?: string; action?: string }, limit = HISTORY_LIMIT) {
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

/** What the finding itself records: opened, reopened, closed or accepted. */
function findingEvents(f: Finding): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  if (f.createdOn > 0) events.push({ at: f.createdOn, what: "opened", by: f.createdBy, details: `due ${new Date(f.dueDate).toISOString().slice(0, 10)}` });
  if (f.reopenedOn) events.push({ at: f.reopenedOn, what: "reopened", by: "dm", ...(f.evidence ? { details: f.evidence } : {}) });
  if (f.closed && f.closedOn) {
    const parts = [f.maintenanceLink, f.acceptedUntil ? `accepted until ${new Date(f.acceptedUntil).toISOString().slice(0, 10)}` : undefined, f.evidence];
    const details = parts.filter(Boolean).join("; ");
    events.push({ at: f.closedOn, what: `closed ${f.closeReason ?? ""}`.trim(), by: f.closedBy ?? "", ...(details ? { details } : {}) });
  }
  return events.sort((a, b) => b.at - a.at);
}

async function assetFindings(store: GraphStore, id: string, now: number) {
  const { relationships } = await neighbourhood(store, id, now);
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

async function oncall(store: GraphStore, now: number) {
  const result = await runQuery(store, "Find Person that ASSIGNED Group return tree", { now });
  const groups = new Map<string, { id: string; key: string; name: string; dn: string; members: { id: string; name: string; email: string; since: number | null }[] }>();
  if (result.type === "tree") {
    const byId = new Map(result.data.vertices.map((v) => [v.id, v]));
    for (const e of result.data.edges) {
      const person = byId.get(e.fromVertexId);
      const group = byId.get(e.toVertexId);
      if (!person || !group?.entity._class.includes("Group")) continue;
      let g = groups.get(group.id);
      if (!g) {
        const name = group.entity.displayName ?? String(group.properties.name ?? group.entity._key);
        g = { id: group.id, key: group.entity._key, name, dn: String(group.properties.dn ?? ""), members: [] };
        groups.set(group.id, g);
      }
      const p = person.properties;
      g.members.push({
        id: person.id,
        name: person.entity.displayName ?? String(p.username ?? p.name ?? person.entity._key),
        email: typeof p.email === "string" ? p.email : "",
        since: typeof e.properties.since === "number" ? e.properties.since : null,
      });
    }
  }
  for (const g of groups.values()) g.members.sort((a, b) => a.name.localeCompare(b.name));
  const syncs = (await store.latestSyncRuns()).filter((r) => r.integration === "oncall");
  const audit = await auditAbout(store, { action: "oncall.sync" }, 20);
  return {
    configured: groups.size > 0 || syncs.length > 0 || audit.length > 0,
    groups: [...groups.values()].sort((a, b) => a.name.localeCompare(b.name)),
    syncs,
    audit,
  };
}

export const dashboardRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/session",
    role: "reader",
    summary: "The calling token's name and role, and whether on-call is set up (the dashboard's sign-in check)",
    async handle(ctx) {
      // the sync runs table is small: on-call is "set up" once dm oncall sync has run
      const oncall = (await ctx.store.latestSyncRuns()).some((r) => r.integration === "oncall");
      return { name: ctx.token!.name, role: ctx.token!.role, expiresOn: ctx.token!.expiresOn, oncall };
    },
  },
  {
    method: "GET",
    path: "/api/v1/overview",
    role: "reader",
    summary: "Open, overdue and accepted counts, the riskiest assets and owners, campaigns most behind schedule first",
    async handle(ctx) {
      return overview(ctx.store, ctx.now);
    },
  },
  {
    method: "GET",
    path: "/api/v1/campaigns/{id}",
    role: "reader",
    summary: "One maintenance item: progress, burndown, forecast and every finding (open and closed) with its asset",
    async handle(ctx) {
      return campaign(ctx.store, assertMaintenanceId(ctx.params.id!), ctx.now);
    },
  },
  {
    method: "GET",
    path: "/api/v1/entities/{id}/relationships",
    role: "reader",
    summary: "An entity's relationships, both directions, with the entity at the other end",
    async handle(ctx: RouteContext) {
      const { id, relationships } = await neighbourhood(ctx.store, ctx.params.id!, ctx.now);
      return { id, relationships };
    },
  },
  {
    method: "GET",
    path: "/api/v1/entities/{id}/findings",
    role: "reader",
    summary: "An asset's findings (open and closed), each with its history and its item's audit entries",
    async handle(ctx: RouteContext) {
      return assetFindings(ctx.store, ctx.params.id!, ctx.now);
    },
  },
  {
    method: "GET",
    path: "/api/v1/oncall",
    role: "reader",
    summary: "The on-call groups in the graph (Person -ASSIGNED-> Group), their members, the latest on-call syncs",
    async handle(ctx) {
      return oncall(ctx.store, ctx.now);
    },
  },
];
