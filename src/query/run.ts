/**
 * Run a J1QL query against a GraphStore and shape the rows as JupiterOne
 * does: `list`, `table` or `tree`.
 */
import { createRequire } from "node:module";
import { InputError, QueryError, positionAt } from "../shared/errors.js";
import type { GraphStore, Row, StoredEntity, StoredRelationship } from "../store/types.js";
import {
  type CompiledQuery,
  compileQuery,
  DEFAULT_PAGE_SIZE,
  MAX_OPEN_STEPS,
  OPEN_STEPS_GRAPH,
  type OutputColumn,
} from "./compiler.js";
import type { Comparison, Filter, Query } from "./ast.js";
import type { Dialect } from "./dialect.js";
import { parseQuery } from "./parser.js";

// crypto only for cursors (paged results): `dm` loads this module on most runs.
const require = createRequire(import.meta.url);

export interface EntityMetadata {
  _id: string;
  _key: string;
  _type: string;
  _class: string[];
  displayName?: string;
  _source?: string;
  _createdOn: number;
  _beginOn: number;
  _version: number;
  _deleted: boolean;
}

export interface ListItem {
  id: string;
  entity: EntityMetadata;
  properties: Record<string, unknown>;
}

export interface TreeVertex {
  id: string;
  entity: EntityMetadata;
  properties: Record<string, unknown>;
}

export interface TreeEdge {
  id: string;
  fromVertexId: string;
  toVertexId: string;
  relationship: Record<string, unknown>;
  properties: Record<string, unknown>;
}

/** A table result's column: its label, and the property its values come from (`m.dueDate as due`: dueDate). */
export interface ResultColumn {
  name: string;
  property?: string;
}

export type QueryResult =
  /** filteredOn: the properties the query compared on the listed entities (their `with`, and WHERE on their alias) */
  | { type: "list"; data: ListItem[]; cursor?: string; filteredOn: string[] }
  | { type: "table"; data: Record<string, unknown>[]; cursor?: string; columns: ResultColumn[] }
  | { type: "tree"; data: { vertices: TreeVertex[]; edges: TreeEdge[] } };

export interface RunQueryOptions {
  now: number;
  includeDeleted?: boolean;
  /** a cursor from a previous page of the same query */
  cursor?: string;
  /** every row, no paging */
  all?: boolean;
  /** rows per page (default 250) */
  pageSize?: number;
  /** stop the statement after this long (QueryTimeoutError); the server sets it */
  timeoutMs?: number;
  /** values of the question parameters `{{name}}` (bound, never written into SQL) */
  parameters?: Readonly<Record<string, string | number | boolean>>;
}

export function compile(text: string, dialect: Dialect, options: RunQueryOptions): CompiledQuery {
  const ast = parseQuery(text);
  return compileQuery(text, ast, dialect, {
    now: options.now,
    includeDeleted: options.includeDeleted,
    pageSize: options.all ? undefined : (options.pageSize ?? DEFAULT_PAGE_SIZE),
    offset: decodeCursor(cursorKey(text, options), options.cursor),
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
  });
}

export async function runQuery(store: GraphStore, text: string, options: RunQueryOptions): Promise<QueryResult> {
  const compiled = compile(text, store.dialect, options);
  await checkFanOut(store, text, compiled);
  const rows = await store.select(
    compiled.sql,
    compiled.params,
    options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs },
  );
  const key = cursorKey(text, options);
  const offset = decodeCursor(key, options.cursor);
  switch (compiled.shape) {
    case "list": {
      const more = compiled.pageSize !== undefined && rows.length > compiled.pageSize;
      const page = more ? rows.slice(0, compiled.pageSize) : rows;
      const data = page.map((row) => listItem(store.dialect, row));
      const filteredOn = filteredProperties(parseQuery(text));
      return more ? { type: "list", data, cursor: encodeCursor(key, offset + page.length), filteredOn } : { type: "list", data, filteredOn };
    }
    case "table": {
      const more = compiled.pageSize !== undefined && rows.length > compiled.pageSize;
      const page = more ? rows.slice(0, compiled.pageSize) : rows;
      const data = await tableRows(store, compiled.columns, page);
      const columns = compiled.columns.map((c) => (c.property === undefined ? { name: c.label } : { name: c.label, property: c.property }));
      return more ? { type: "table", data, cursor: encodeCursor(key, offset + page.length), columns } : { type: "table", data, columns };
    }
    case "tree":
      return { type: "tree", data: await treeOf(store, compiled.vertexColumns, compiled.edgeColumns, rows) };
  }
}

/** Rows per page when a list result is streamed (queryJson). */
export const STREAM_PAGE_ROWS = 1000;

/**
 * A query's result as JSON text, in pieces: concatenated, exactly
 * `JSON.stringify(await runQuery(store, text, options))`, byte for byte. A
 * list result is read from the database and shaped page by page
 * (STREAM_PAGE_ROWS rows), each page's text yielded before the next is
 * read, so no whole-result string or object graph is built; on SQLite each
 * entity's stored JSON text (classes, properties) is copied into the output
 * as it is, not parsed and serialised again (listItemJson). Table and tree
 * results are one piece.
 *
 * Errors in the query (syntax, compile, the first page's SQL) throw before
 * the first piece. A failure while a later page is read throws after the
 * pieces already yielded: the consumer's text is then an unfinished JSON
 * document (the `data` array is not closed), never a valid shorter one.
 */
export async function* queryJson(store: GraphStore, text: string, options: RunQueryOptions): AsyncGenerator<string> {
  const compiled = compile(text, store.dialect, options);
  if (compiled.shape !== "list") {
    yield JSON.stringify(await runQuery(store, text, options));
    return;
  }
  const key = cursorKey(text, options);
  const offset = decodeCursor(key, options.cursor);
  const filteredOn = filteredProperties(parseQuery(text));
  const limit = compiled.pageSize;
  const pages: AsyncIterable<Row[]> =
    store.selectPages && options.timeoutMs === undefined
      ? store.selectPages(compiled.sql, compiled.params, STREAM_PAGE_ROWS)
      : (async function* () {
          yield await store.select(compiled.sql, compiled.params, options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs });
        })();
  const dialect = store.dialect;
  let written = 0;
  let more = false;
  let opened = false;
  for await (const rows of pages) {
    let page = rows;
    if (limit !== undefined && written + page.length > limit) {
      more = true;
      page = page.slice(0, limit - written);
    }
    let chunk = opened ? "" : '{"type":"list","data":[';
    for (const row of page) {
      chunk += written++ === 0 ? listItemJson(dialect, row) : `,${listItemJson(dialect, row)}`;
    }
    opened = true;
    yield chunk;
    if (more) break;
  }
  const cursor = more ? `,"cursor":${JSON.stringify(encodeCursor(key, offset + written))}` : "";
  yield `${opened ? "" : '{"type":"list","data":['}]${cursor},"filteredOn":${JSON.stringify(filteredOn)}}`;
}

/** The properties a list query compares on the entities it lists (the first step's): its `with`, and WHERE terms on its alias. */
export function filteredProperties(query: Query): string[] {
  const names: string[] = [];
  const walk = (f: Filter | undefined, alias: string | undefined, inWhere: boolean) => {
    if (!f) return;
    if (f.kind === "compare") {
      const mine = inWhere ? alias !== undefined && f.left.alias === alias : true;
      if (mine && !names.includes(f.left.name)) names.push(f.left.name);
      return;
    }
    for (const item of f.items) walk(item, alias, inWhere);
  };
  walk(query.start.filter, query.start.alias, false);
  walk(query.where, query.start.alias, true);
  return names;
}

/** An entity a query selected, decoded only as far as it is used: its id, key and type at once; its properties and the whole item on demand. */
export interface SelectedEntity {
  id: string;
  key: string;
  type: string;
  /** its properties (decoded once, on first use) */
  props(): Record<string, unknown>;
  /** the list item, as runQuery returns it */
  item(): ListItem;
}

/**
 * Every entity a query without RETURN selects, without shaping each one:
 * for callers that read the keys of many and the whole of few (a rules run
 * over a million entities decodes only what it opens or closes).
 */
export async function selectEntities(
  store: GraphStore,
  text: string,
  options: Omit<RunQueryOptions, "cursor" | "all" | "pageSize"> & {
    /** only this entity, if the query selects it (the query's first step gains `_key = key`: one index lookup, not a scan) */
    onlyKey?: string;
  },
): Promise<SelectedEntity[]> {
  let ast = parseQuery(text);
  if (options.onlyKey !== undefined) {
    const at = { pos: ast.start.pos, end: ast.start.end };
    const byKey: Comparison = { kind: "compare", ...at, left: { kind: "prop", name: "_key", ...at }, op: "=", right: { kind: "string", value: options.onlyKey, ...at } };
    const filter: Filter = ast.start.filter ? { kind: "and", items: [ast.start.filter, byKey], ...at } : byKey;
    ast = { ...ast, start: { ...ast.start, filter } };
  }
  const compiled = compileQuery(text, ast, store.dialect, {
    now: options.now,
    includeDeleted: options.includeDeleted,
    pageSize: undefined,
    offset: 0,
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
  });
  if (compiled.shape !== "list") throw new InputError("the query must select entities: drop the RETURN");
  const rows = await store.select(compiled.sql, compiled.params, options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs });
  const dialect = store.dialect;
  return rows.map((row) => {
    let props: Record<string, unknown> | undefined;
    let item: ListItem | undefined;
    return {
      id: String(row.id),
      key: String(row.key),
      type: String(row.type),
      props: () => {
        props ??= item?.properties ?? parseJsonColumn<Record<string, unknown>>(dialect, row.props);
        return props;
      },
      item: () => {
        item ??= listItem(dialect, row);
        return item;
      },
    };
  });
}

/**
 * Refuse a RETURN query with more than MAX_OPEN_STEPS steps to an open `*`
 * on a graph of more than OPEN_STEPS_GRAPH relationships (see
 * MAX_OPEN_STEPS). The size check reads at most OPEN_STEPS_GRAPH + 1 rows.
 */
async function checkFanOut(store: GraphStore, text: string, compiled: CompiledQuery): Promise<void> {
  if (compiled.shape === "list" || compiled.openSteps.length <= MAX_OPEN_STEPS) return;
  const params = store.dialect.newParams();
  const [row] = await store.select(
    `SELECT count(*) AS n FROM (SELECT 1 FROM relationships LIMIT ${params.add(OPEN_STEPS_GRAPH + 1)}) x`,
    params.values,
  );
  if (num(row?.n) <= OPEN_STEPS_GRAPH) return;
  const step = compiled.openSteps[MAX_OPEN_STEPS]!;
  throw new QueryError(
    `too many steps to * (${compiled.openSteps.length}; with RETURN, at most ${MAX_OPEN_STEPS} steps to an entity of any class on a graph of more than ${OPEN_STEPS_GRAPH.toLocaleString("en-US")} relationships): each multiplies the paths; give the step a class or type (THAT RELATES TO CodeRepo), a WITH filter, or drop the RETURN`,
    text,
    positionAt(text, step.pos, step.end - step.pos),
  );
}

// ------------------------------------------------------------------ cursors

/** What a cursor is bound to: the query text, and the parameter values when there are any. */
function cursorKey(text: string, options: RunQueryOptions): string {
  const parameters = options.parameters;
  if (parameters === undefined || Object.keys(parameters).length === 0) return text;
  const sorted = Object.keys(parameters)
    .sort()
    .map((k) => [k, parameters[k]]);
  return JSON.stringify([text, sorted]);
}

function queryHash(text: string): string {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  return createHash("sha256").update(text).digest("base64url").slice(0, 10);
}

function encodeCursor(text: string, offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset, q: queryHash(text) })).toString("base64url");
}

function decodeCursor(text: string, cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw new InputError("the cursor is not valid: pass the cursor exactly as a previous page returned it", {
      cause: error,
    });
  }
  const value = parsed as { o?: unknown; q?: unknown };
  if (typeof value?.o !== "number" || !Number.isInteger(value.o) || value.o < 0) {
    throw new InputError("the cursor is not valid: pass the cursor exactly as a previous page returned it");
  }
  if (value.q !== queryHash(text)) {
    throw new InputError("the cursor belongs to another query: use it with the query that returned it");
  }
  return value.o;
}

// ------------------------------------------------------------------ shaping

function bool(raw: unknown): boolean {
  return raw === true || raw === 1 || raw === "1" || raw === "t";
}

function num(raw: unknown): number {
  return typeof raw === "number" ? raw : Number(raw);
}

/** A JSON column of the list shape (classes, props; never NULL). */
function parseJsonColumn<T>(dialect: Dialect, raw: unknown): T {
  return dialect.decodeJson(raw) as T;
}

export function metadataOf(e: StoredEntity): EntityMetadata {
  return {
    _id: e.id,
    _key: e.key,
    _type: e.type,
    _class: e.classes,
    ...(e.displayName === null ? {} : { displayName: e.displayName }),
    ...(e.source === null ? {} : { _source: e.source }),
    _createdOn: e.createdOn,
    _beginOn: e.beginOn,
    _version: e.version,
    _deleted: e.deleted,
  };
}

function listItem(dialect: Dialect, row: Row): ListItem {
  const entity: StoredEntity = {
    id: String(row.id),
    key: String(row.key),
    type: String(row.type),
    classes: parseJsonColumn<string[]>(dialect, row.classes),
    displayName: (row.display_name as string | null) ?? null,
    source: (row.source as string | null) ?? null,
    props: parseJsonColumn<Record<string, unknown>>(dialect, row.props),
    createdOn: num(row.created_on),
    beginOn: num(row.begin_on),
    lastSeenOn: 0,
    version: num(row.version),
    deleted: bool(row.deleted),
    syncRun: null,
  };
  return { id: entity.id, entity: metadataOf(entity), properties: entity.props };
}

/**
 * `JSON.stringify(listItem(dialect, row))`, without parsing the row's JSON
 * on SQLite: the stored classes and properties are JSON text that the store
 * wrote with JSON.stringify (records.ts: normaliseEntity; nothing else writes
 * those columns), and JSON.stringify(JSON.parse(t)) === t for such text, so
 * the text is copied as it is. Other rows (PostgreSQL, where the driver has
 * already parsed the jsonb) are shaped and serialised as listItem does.
 */
function listItemJson(dialect: Dialect, row: Row): string {
  const classes = row.classes;
  const props = row.props;
  if (dialect.name !== "sqlite" || typeof classes !== "string" || typeof props !== "string") {
    return JSON.stringify(listItem(dialect, row));
  }
  const id = JSON.stringify(String(row.id));
  const displayName = row.display_name as string | null | undefined;
  const source = row.source as string | null | undefined;
  return (
    `{"id":${id},"entity":{"_id":${id},"_key":${JSON.stringify(String(row.key))},"_type":${JSON.stringify(String(row.type))},"_class":${classes}` +
    (displayName === null || displayName === undefined ? "" : `,"displayName":${JSON.stringify(displayName)}`) +
    (source === null || source === undefined ? "" : `,"_source":${JSON.stringify(source)}`) +
    `,"_createdOn":${numJson(row.created_on)},"_beginOn":${numJson(row.begin_on)},"_version":${numJson(row.version)},"_deleted":${bool(row.deleted)}},"properties":${props}}`
  );
}

/** A number as JSON.stringify writes it (null when not finite). */
function numJson(raw: unknown): string {
  const n = num(raw);
  return Number.isFinite(n) ? String(n) : "null";
}

/** An entity as one flat object: metadata and properties together. */
export function flatEntity(e: StoredEntity): Record<string, unknown> {
  return { ...metadataOf(e), ...e.props };
}

export function flatRelationship(r: StoredRelationship): Record<string, unknown> {
  return {
    _id: r.id,
    _key: r.key,
    _type: r.type,
    _class: r.class,
    _fromEntityId: r.fromId,
    _toEntityId: r.toId,
    _fromEntityKey: r.fromKey,
    _toEntityKey: r.toKey,
    ...(r.source === null ? {} : { _source: r.source }),
    _createdOn: r.createdOn,
    _beginOn: r.beginOn,
    _version: r.version,
    _deleted: r.deleted,
    ...r.props,
  };
}

async function tableRows(store: GraphStore, columns: OutputColumn[], rows: Row[]): Promise<Record<string, unknown>[]> {
  const entityIds = new Set<string>();
  const edgeIds = new Set<string>();
  for (const c of columns) {
    for (const row of rows) {
      const raw = row[c.sqlName];
      if (raw === null || raw === undefined) continue;
      if (c.decode === "entity" || c.decode === "entityAll") entityIds.add(String(raw));
      if (c.decode === "edge" || c.decode === "edgeAll") edgeIds.add(String(raw));
    }
  }
  const entities = new Map((await store.getEntities([...entityIds])).map((e) => [e.id, flatEntity(e)]));
  const edges = new Map((await store.getRelationships([...edgeIds])).map((r) => [r.id, flatRelationship(r)]));
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const raw = row[c.sqlName];
      switch (c.decode) {
        case "json": {
          const value = store.dialect.decodeJson(raw);
          out[c.label] = value === undefined ? null : value;
          break;
        }
        case "raw":
          out[c.label] = raw ?? null;
          break;
        case "bool":
          out[c.label] = raw === null || raw === undefined ? null : bool(raw);
          break;
        case "id":
          out[c.label] = raw === null || raw === undefined ? null : String(raw);
          break;
        case "number":
          out[c.label] = raw === null || raw === undefined ? null : num(raw);
          break;
        case "entity":
          out[c.label] = entities.get(String(raw)) ?? null;
          break;
        case "edge":
          out[c.label] = edges.get(String(raw)) ?? null;
          break;
        case "entityAll":
        case "edgeAll": {
          const whole = (c.decode === "entityAll" ? entities : edges).get(String(raw)) ?? {};
          const prefix = c.label.endsWith(".*") ? c.label.slice(0, -1) : `${c.label}.`;
          for (const [k, v] of Object.entries(whole)) out[`${prefix}${k}`] = v;
          break;
        }
      }
    }
    return out;
  });
}

async function treeOf(
  store: GraphStore,
  vertexColumns: string[],
  edgeColumns: string[],
  rows: Row[],
): Promise<{ vertices: TreeVertex[]; edges: TreeEdge[] }> {
  const vertexIds = new Set<string>();
  const edgeIds = new Set<string>();
  // NULL: a node or edge of an optional traversal that the path skipped.
  const add = (ids: Set<string>, raw: unknown) => {
    if (raw !== null && raw !== undefined) ids.add(String(raw));
  };
  for (const row of rows) {
    for (const c of vertexColumns) add(vertexIds, row[c]);
    for (const c of edgeColumns) add(edgeIds, row[c]);
  }
  const entities = await store.getEntities([...vertexIds]);
  const relationships = await store.getRelationships([...edgeIds]);
  return {
    vertices: entities.map((e) => ({ id: e.id, entity: metadataOf(e), properties: e.props })),
    edges: relationships.map((r) => {
      const { _fromEntityId, _toEntityId, ...rest } = flatRelationship(r);
      const relationship: Record<string, unknown> = { _fromEntityId, _toEntityId };
      for (const [k, v] of Object.entries(rest)) if (k.startsWith("_")) relationship[k] = v;
      return { id: r.id, fromVertexId: r.fromId, toVertexId: r.toId, relationship, properties: r.props };
    }),
  };
}
