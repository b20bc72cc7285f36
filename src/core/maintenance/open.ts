/**
 * Opening a maintenance item: select assets with a J1QL query and give each
 * one a finding (`<asset> -HAS-> deferred_maintenance`).
 *
 * Cost per entity: nothing but its share of three statements (the selection,
 * the owner look-up in chunks, the existing findings of the item) and of one
 * upsert transaction. The original tool made two HTTP calls per entity.
 */
import { parseQuery } from "../../query/parser.js";
import { j1qlString } from "../../query/quote.js";
import { type ListItem, runQuery } from "../../query/run.js";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, GraphStore, RelationshipRecord, UpsertOptions, UpsertResult } from "../../store/types.js";
import type { SlaPolicy, SlaSeverity } from "../sla/policy.js";
import { assertFutureDate, isoDate } from "./due.js";
import {
  FINDING_TYPE,
  type Finding,
  type FindingProps,
  findingEdge,
  findingKey,
  findingRecord,
  loadFindings,
  maintenanceIdFor,
  SHORT_DESCRIPTION_MAX,
} from "./finding.js";

export interface OpenInput {
  /** J1QL selecting the assets (no RETURN) */
  query: string;
  shortDescription: string;
  description: string;
  webLink: string;
  /** epoch ms, in the future */
  dueDate: number;
  /** keep the query: `dm reconcile` re-runs it */
  track: boolean;
  /** validate and report, write nothing */
  dryRun: boolean;
  /**
   * Due by the SLA policy (`--due sla:high`): each finding is due by the
   * severity's period, shortened on exposed assets; `dueDate` is the
   * unshortened date. The findings carry `severity` (and `exposure`).
   */
  sla?: { policy: SlaPolicy; severity: SlaSeverity };
  /**
   * The due date was given as a period (`--due 30d`), this many ms: when the
   * item already exists, it counts from when the item was opened, so the same
   * `dm open` run again tomorrow asks for the same due date.
   */
  dueIn?: number;
  /**
   * The item exists and its open findings have another description, link,
   * due date or tracking: update them (audited). Without it such a re-run is
   * refused (ItemChangedError) rather than leaving the old values silently.
   */
  update?: boolean;
}

/** One property of an item that a re-run changes (old -> new). */
export interface ItemChange {
  field: "description" | "webLink" | "dueDate" | "tracked";
  from: string | number | boolean;
  to: string | number | boolean;
}

export interface OpenedFinding {
  key: string;
  entityKey: string;
  entityName: string;
  dueDate: number;
}

export interface OpenResult {
  maintenanceId: string;
  /** the due date of the findings opened (epoch ms) */
  dueDate: number;
  /** findings written by this call (or that would be, on a dry run) */
  opened: number;
  /** selected entities that already have a finding of this item (open or closed): left as they are */
  alreadyOpen: number;
  /** selected entities that are deferred_maintenance findings themselves: never given a finding */
  skipped: number;
  /** the findings this call opened (would open, on a dry run) */
  findings: OpenedFinding[];
  dryRun: boolean;
  /** due by the SLA policy: the severity, and how many of the findings opened are on exposed assets (due sooner) */
  sla?: { severity: SlaSeverity; exposed: number };
  /** with `update`: what changed on the item's open findings, and how many were updated (would be, on a dry run) */
  updated?: { findings: number; changes: ItemChange[] };
}

/** The flag that sets each field, to name it in messages. */
export const CHANGE_FLAGS: Record<ItemChange["field"], string> = {
  description: "--description",
  webLink: "--link",
  dueDate: "--due",
  tracked: "--track",
};

/** `--due 2026-12-23 → 2027-01-22` */
export function changeText(c: ItemChange): string {
  const value = (v: string | number | boolean) => (c.field === "dueDate" && typeof v === "number" ? isoDate(v) : typeof v === "string" ? JSON.stringify(v) : String(v));
  return `${CHANGE_FLAGS[c.field]}: ${value(c.from)} → ${value(c.to)}`;
}

/** A re-run of `dm open` that would change an existing item, without `update`. */
export class ItemChangedError extends InputError {
  constructor(
    readonly maintenanceId: string,
    readonly changes: ItemChange[],
    openFindings: number,
  ) {
    super(
      `item ${maintenanceId} is already open (${openFindings} open ${openFindings === 1 ? "finding" : "findings"}) with other values: nothing written`,
      {
        details: [
          ...changes.map((c) => `  ${changeText(c)}`),
          "Add --update to change its open findings (audited), or keep the item's values.",
        ],
      },
    );
  }
}

/** Findings per upsert batch (each batch also carries as many edges). */
const WRITE_CHUNK = 5000;
/** Entity ids per owner look-up statement. */
const OWNER_CHUNK = 1000;

// ------------------------------------------------------------------ validation

/** A problem with the short description, or undefined. */
export function shortDescriptionProblem(text: string): string | undefined {
  const value = text.trim();
  if (value === "") return "the short description is empty: say in a few words what must be done";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    return "the short description is one line: it has a line break or another control character; put the rest in the description";
  }
  if (value.length > SHORT_DESCRIPTION_MAX) {
    return `the short description has ${value.length} characters; at most ${SHORT_DESCRIPTION_MAX} (it is the finding's displayName): put the rest in the description`;
  }
  return undefined;
}

/** A problem with a link (it must be an http or https URL), or undefined. */
export function linkProblem(text: string, what = "the link"): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return `${what} "${text}" is not a URL; give an http(s) address, like https://wiki.example.com/upgrade`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `${what} "${text}" is not an http(s) URL; give an http(s) address, like https://wiki.example.com/upgrade`;
  }
  return undefined;
}

/**
 * The query parses and is a list query (it selects entities). Throws the
 * QueryError of the parser (with its caret) or an InputError.
 */
export function assertSelectionQuery(query: string): void {
  if (query.trim() === "") throw new InputError("the query is empty: give a J1QL selection, like \"Find CodeRepo with name='payments'\"");
  const ast = parseQuery(query);
  if (ast.returns !== undefined) {
    throw new InputError("the query must select entities: drop the RETURN", {
      details: [`  e.g. ${query.slice(0, ast.returns.pos).trim()}`],
    });
  }
}

/** Every entity the query selects (every page). The query must be a list query. */
export async function selectEntities(store: GraphStore, query: string, now: number): Promise<ListItem[]> {
  assertSelectionQuery(query);
  const result = await runQuery(store, query, { now, all: true });
  if (result.type !== "list") throw new InputError("the query must select entities: drop the RETURN");
  return result.data;
}

/** How a selected entity is named to a person: displayName, else name, else its key. */
export function entityNameOf(item: ListItem): string {
  const name = item.properties.name;
  return item.entity.displayName ?? (typeof name === "string" && name !== "" ? name : item.entity._key);
}

/** `billing, payments, website, … (211 more)` */
export function previewNames(names: readonly string[], shown = 3): string {
  const head = names.slice(0, shown).join(", ");
  return names.length > shown ? `${head}, … (${names.length - shown} more)` : head;
}

// ------------------------------------------------------------------ owners

/**
 * The owner of each entity (by `_id`): the displayName (else name) of a Team
 * or Person that OWNS it; a Team wins over a Person, then the lowest id.
 * One statement per chunk of ids, whatever the selection size.
 */
export async function lookupOwners(store: GraphStore, ids: readonly string[]): Promise<Map<string, string>> {
  const owners = new Map<string, { name: string; rank: number }>();
  const d = store.dialect;
  for (let i = 0; i < ids.length; i += OWNER_CHUNK) {
    const chunk = ids.slice(i, i + OWNER_CHUNK);
    const params = d.newParams();
    const list = chunk.map((id) => params.add(Number(id))).join(", ");
    const team = params.add("Team");
    const person = params.add("Person");
    const owns = params.add("OWNS");
    const name = d.typed("o", d.keyRef(params, "name"), "string");
    const sql =
      `SELECT ${d.idText("r.to_id")} AS entity_id, o.id AS owner_id, o.display_name AS display_name, ${name} AS name, ` +
      `CASE WHEN EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = o.id AND c.class = ${team}) THEN 0 ELSE 1 END AS owner_rank ` +
      `FROM relationships r JOIN entities o ON o.id = r.from_id ` +
      `WHERE r.to_id IN (${list}) AND r.class = ${owns} ` +
      `AND r.deleted = ${d.bool(false)} AND o.deleted = ${d.bool(false)} ` +
      `AND EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = o.id AND c.class IN (${team}, ${person})) ` +
      `ORDER BY r.to_id, owner_rank, o.id`;
    for (const row of await store.select(sql, params.values)) {
      const label = (row.display_name as string | null) || (row.name as string | null);
      if (!label) continue;
      const id = String(row.entity_id);
      const rank = Number(row.owner_rank);
      const known = owners.get(id);
      if (!known || rank < known.rank) owners.set(id, { name: label, rank });
    }
  }
  return new Map([...owners].map(([id, o]) => [id, o.name]));
}

/** The owner of a selected entity: an OWNS edge from a Team/Person, else its own string `owner` property. */
export function ownerOf(item: ListItem, owners: Map<string, string>): string | undefined {
  const byEdge = owners.get(item.id);
  if (byEdge) return byEdge;
  const own = item.properties.owner;
  return typeof own === "string" && own !== "" ? own : undefined;
}

// ------------------------------------------------------------------ writing

/** Upsert findings and their edges in ONE transaction (chunked batches of one upsertMany). */
export async function writeFindings(
  store: GraphStore,
  entities: readonly EntityRecord[],
  relationships: readonly RelationshipRecord[],
  now: number,
  options: Pick<UpsertOptions, "createOnly" | "audit"> = {},
): Promise<UpsertResult> {
  if (entities.length === 0 && relationships.length === 0 && !options.audit) {
    return { entities: { created: 0, updated: 0, unchanged: 0 }, relationships: { created: 0, updated: 0, unchanged: 0 } };
  }
  // With nothing to write but an audit entry, the upsert is just its transaction.
  function* batches(): Generator<GraphBatch> {
    // Every entity first, then the edges: an edge may name any finding of the call.
    for (let i = 0; i < entities.length; i += WRITE_CHUNK) {
      yield { entities: entities.slice(i, i + WRITE_CHUNK), relationships: [] };
    }
    for (let i = 0; i < relationships.length; i += WRITE_CHUNK) {
      yield { entities: [], relationships: relationships.slice(i, i + WRITE_CHUNK) };
    }
  }
  return store.upsertMany(batches(), { now, source: "dm", ...options });
}

/**
 * The props of a new finding for a selected entity. Shared by `open` and by
 * reconcile (an entity that newly matches a tracked item).
 */
export function newFindingProps(
  item: ListItem,
  owner: string | undefined,
  base: Pick<FindingProps, "maintenanceId" | "shortDescription" | "description" | "webLink" | "dueDate" | "createdBy" | "createdOn" | "query" | "tracked">,
): FindingProps {
  const props: FindingProps = {
    ...base,
    status: "open",
    closed: false,
    entityKey: item.entity._key,
    entityType: item.entity._type,
    entityName: entityNameOf(item),
  };
  if (owner !== undefined) props.owner = owner;
  return props;
}

// ------------------------------------------------------------------ open

/**
 * Which of `findings` this call created, when another process created some
 * of them meanwhile: those stamped with this call's time and actor (none
 * when it created none).
 */
async function createdHere(
  store: GraphStore,
  findings: readonly OpenedFinding[],
  created: number,
  at: { maintenanceId: string; now: number; actor: string },
): Promise<OpenedFinding[]> {
  if (created === 0) return [];
  const ours = new Set(
    (await loadFindings(store, at.now, { maintenanceId: at.maintenanceId }))
      .filter((f) => f.createdOn === at.now && f.createdBy === at.actor)
      .map((f) => f.key),
  );
  return findings.filter((f) => ours.has(f.key)).slice(0, created);
}

export async function openMaintenance(
  store: GraphStore,
  input: OpenInput,
  options: { now: number; actor: string },
): Promise<OpenResult> {
  const { now, actor } = options;
  const query = input.query.trim();
  const shortDescription = input.shortDescription.trim();
  const webLink = input.webLink.trim();

  const shortProblem = shortDescriptionProblem(shortDescription);
  if (shortProblem) throw new InputError(shortProblem);
  const badLink = linkProblem(webLink);
  if (badLink) throw new InputError(badLink);
  assertFutureDate(input.dueDate, now, "the due date");

  const selected = await selectEntities(store, query, now);
  if (selected.length === 0) {
    throw new InputError("the query selects no entities: nothing to open", {
      details: [`Check it with: dm query "${query.replace(/"/g, '\\"')}"`],
    });
  }
  const assets = selected.filter((item) => item.entity._type !== FINDING_TYPE);
  const skipped = selected.length - assets.length;
  if (assets.length === 0) {
    throw new InputError("the query selects only deferred_maintenance findings: a finding is not given a finding", {
      details: ["Select the assets themselves, e.g. Find CodeRepo that HAS deferred_maintenance with maintenanceId='…'"],
    });
  }

  const maintenanceId = maintenanceIdFor(shortDescription, query);
  const known = await loadFindings(store, now, { maintenanceId });
  const existing = new Set(known.map((f) => f.key));
  // An item opened before: a period counts from its opening; compare what this call asks with what it has.
  let dueDate = input.dueDate;
  if (known.length > 0 && input.dueIn !== undefined && !input.sla) {
    dueDate = Math.min(...known.map((f) => f.createdOn || now)) + input.dueIn;
  }
  const stillOpen = known.filter((f) => !f.closed);
  const changes = itemChanges(stillOpen, { description: input.description.trim(), webLink, dueDate, track: input.track, sla: !!input.sla });
  if (changes.length > 0 && !input.update) throw new ItemChangedError(maintenanceId, changes, stillOpen.length);
  if (changes.some((c) => c.field === "dueDate")) assertFutureDate(dueDate, now, input.dueIn === undefined ? "the due date" : "the due date (counted from when the item was opened)");
  const fresh = assets.filter((item) => !existing.has(findingKey(maintenanceId, item.entity._key)));
  const alreadyOpen = assets.length - fresh.length;

  const owners = await lookupOwners(
    store,
    fresh.map((item) => item.id),
  );
  const base = {
    maintenanceId,
    shortDescription,
    description: input.description.trim(),
    webLink,
    dueDate,
    createdBy: actor,
    createdOn: now,
    query,
    tracked: input.track,
  };
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  const findings: OpenedFinding[] = [];
  const sla = input.sla;
  let slaDueOf: ((item: ListItem) => { dueDate: number; exposure?: string }) | undefined;
  if (sla) {
    const policy = await import("../sla/policy.js");
    const exposures = await policy.exposureOf(store, sla.policy, fresh, now);
    slaDueOf = (item) => {
      const exposure = exposures.get(item.id);
      const dueDate = policy.slaDue(sla.policy, { severity: sla.severity, openedOn: now, exposure });
      return exposure === undefined ? { dueDate } : { dueDate, exposure };
    };
  }
  for (const item of fresh) {
    const key = findingKey(maintenanceId, item.entity._key);
    const due = slaDueOf?.(item);
    const props = newFindingProps(item, ownerOf(item, owners), due ? { ...base, dueDate: due.dueDate } : base);
    const extras = sla ? { severity: sla.severity, ...(due?.exposure === undefined ? {} : { exposure: due.exposure }) } : {};
    entities.push({ ...findingRecord(key, props), ...extras });
    relationships.push(findingEdge(item.entity._key, item.entity._type, key));
    findings.push({ key, entityKey: props.entityKey, entityName: props.entityName, dueDate: props.dueDate });
  }

  let updated: OpenResult["updated"];
  if (changes.length > 0) {
    updated = { findings: stillOpen.length, changes };
    if (!input.dryRun) await updateFindings(store, maintenanceId, changes, { now, actor, query });
  }

  let opened = findings;
  if (!input.dryRun && findings.length > 0) {
    // createOnly: another `dm open` of the same item may have created some of
    // these findings since we looked; they stay as that process wrote them,
    // and only what this call created is reported and audited.
    const result = await writeFindings(store, entities, relationships, now, {
      createOnly: true,
      audit: (r) =>
        r.entities.created === 0
          ? undefined
          : {
              at: now,
              actor,
              action: "open",
              subject: maintenanceId,
              details: {
                opened: r.entities.created,
                alreadyOpen: assets.length - r.entities.created,
                query,
                dueDate,
                tracked: input.track,
                ...(sla ? { due: `sla:${sla.severity}` } : {}),
              },
            },
    });
    if (result.entities.created < findings.length) opened = await createdHere(store, findings, result.entities.created, { maintenanceId, now, actor });
  }
  return {
    maintenanceId,
    dueDate,
    opened: opened.length,
    alreadyOpen: alreadyOpen + findings.length - opened.length,
    skipped,
    findings: opened,
    dryRun: input.dryRun,
    ...(sla ? { sla: { severity: sla.severity, exposed: opened.filter((f) => f.dueDate < dueDate).length } } : {}),
    ...(updated ? { updated } : {}),
  };
}

/**
 * What a re-run would change on an item's open findings (compared with the
 * first one opened). A missing `--track` is no change (there is no way to
 * ask for untracking); under an SLA policy every finding has its own due
 * date, so the due date is not compared.
 */
export function itemChanges(
  open: readonly Finding[],
  asked: { description: string; webLink: string; dueDate: number; track: boolean; sla: boolean },
): ItemChange[] {
  if (open.length === 0) return [];
  const first = open.reduce((a, b) => (b.createdOn < a.createdOn ? b : a));
  const changes: ItemChange[] = [];
  if (first.description !== asked.description) changes.push({ field: "description", from: first.description, to: asked.description });
  if (first.webLink !== asked.webLink) changes.push({ field: "webLink", from: first.webLink, to: asked.webLink });
  if (!asked.sla && first.dueDate !== asked.dueDate) changes.push({ field: "dueDate", from: first.dueDate, to: asked.dueDate });
  if (asked.track && !first.tracked) changes.push({ field: "tracked", from: false, to: true });
  return changes;
}

/** Apply `changes` to every open finding of the item, audited ("update") in the same transaction. */
async function updateFindings(
  store: GraphStore,
  maintenanceId: string,
  changes: readonly ItemChange[],
  at: { now: number; actor: string; query: string },
): Promise<void> {
  const { loadFindingRows, recordOf } = await import("./close.js");
  const rows = await loadFindingRows(store, `Find ${FINDING_TYPE} with maintenanceId = ${j1qlString(maintenanceId)} and closed = false`, at.now);
  const records = rows.map(({ finding, raw }) => {
    const next: Finding = { ...finding };
    for (const c of changes) {
      if (c.field === "description") next.description = c.to as string;
      else if (c.field === "webLink") next.webLink = c.to as string;
      else if (c.field === "dueDate") next.dueDate = c.to as number;
      else next.tracked = c.to as boolean;
    }
    return recordOf(next, raw);
  });
  await writeFindings(store, records, [], at.now, {
    audit: () => ({
      at: at.now,
      actor: at.actor,
      action: "update",
      subject: maintenanceId,
      details: {
        count: records.length,
        changes: Object.fromEntries(changes.map((c) => [c.field, { from: c.from, to: c.to }])),
      },
    }),
  });
}
