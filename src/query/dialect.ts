/**
 * What differs between SQLite and PostgreSQL when compiling J1QL: how a
 * placeholder is written, how a JSON property is read, type-checked and
 * sorted, how strings are matched, where a value needs a cast, how LIMIT and
 * OFFSET are spelled. Everything else in the compiler is shared, and the
 * compiler never asks which database it is on.
 *
 * Property keys reach SQL in one of two ways only: as a bound parameter, or,
 * for a key on the INDEXED_PROPERTIES allow-list, inlined as a literal so
 * that the expression matches the expression index built on it.
 */

export type ScalarKind = "string" | "number" | "boolean";

/**
 * String properties that selections pin with `=` all the time. Both stores
 * build two partial expression indexes on each (the string value, and the
 * rows where it is an array), and the compiler inlines their names and emits
 * `id IN (value match UNION ALL array match)` so both indexes apply. An `OR`
 * of the two tests would defeat them (measured: 0.2 ms vs 45 ms at 200,000
 * entities). Booleans and dates select large shares of rows, so an index on
 * them would not be used by a good plan anyway.
 */
export const INDEXED_PROPERTIES: Readonly<Record<string, ScalarKind>> = Object.freeze({
  name: "string",
  maintenanceId: "string",
  createdBy: "string",
});

export class Params {
  readonly values: unknown[] = [];
  constructor(private readonly style: "named" | "numbered") {}
  add(value: unknown): string {
    this.values.push(value);
    return this.style === "named" ? `@p${this.values.length}` : `$${this.values.length}`;
  }
}

export interface Dialect {
  /** Which database (for stores and tests; the compiler does not look at it). */
  readonly name: "sqlite" | "postgres";
  newParams(): Params;
  /**
   * SQL for the key, ready to use in a JSON accessor: a literal for an
   * allow-listed key (so expression indexes match), a parameter otherwise.
   */
  keyRef(params: Params, key: string): string;
  /** The property as a scalar of this kind, NULL when missing or of another kind. */
  typed(table: string, keyRef: string, kind: ScalarKind): string;
  /** JSON type test: the property is an array. */
  isArray(table: string, keyRef: string): string;
  /** The property is present (not missing). */
  present(table: string, keyRef: string): string;
  /** EXISTS over array elements of the property; `elem(x)` gets the element typed SQL. */
  anyElement(table: string, keyRef: string, kind: ScalarKind, test: (elem: string) => string): string;
  /** The property's value as JSON (decoded by the runner with `decodeJson`). */
  jsonValue(table: string, keyRef: string): string;
  /** Scalar equality of two JSON values of the same JSON type (not arrays/objects). */
  jsonEqual(leftTable: string, leftKey: string, rightTable: string, rightKey: string): string;
  /**
   * One bound parameter holding a list of values of one kind (strings, or
   * numbers), for inList: a JSON array on SQLite, a typed array on
   * PostgreSQL. However long the list, the statement keeps one parameter and
   * one test, so `name = ('a' or 'b' or ...)` stays linear in the values
   * (6,000 ORed comparisons took 35 s inside SQLite).
   */
  listParam(params: Params, kind: "string" | "number", values: readonly (string | number)[]): string;
  /**
   * `expr` equals an element of a list bound by listParam (SQL equality of
   * that kind: text for strings, numeric for numbers). An expression index on
   * `expr` applies, as for `expr = ?`.
   */
  inList(expr: string, list: string): string;
  contains(expr: string, needle: string): string;
  startsWith(expr: string, needle: string): string;
  endsWith(expr: string, needle: string): string;
  /** A boolean literal. */
  bool(value: boolean): string;
  /**
   * `_integrationType`: the integration id at the front of a source (an
   * instance name `git:/srv/repo` gives `git`); a source without `:` is
   * its own type; NULL stays NULL.
   */
  integrationType(source: string): string;
  /** Cast an id column to the text the API exposes. */
  idText(expr: string): string;
  /**
   * A bound number (its placeholder) compared with a number column.
   * PostgreSQL would type the parameter after the column (INTEGER for
   * _version, BIGINT for _createdOn), and then reject `_version < 1.5` or
   * `_version < date.now`; it needs `::numeric`.
   */
  numberParam(placeholder: string): string;
  /**
   * A NULL that SUM / AVG accept: PostgreSQL types a bare NULL as text and
   * has no SUM(text).
   */
  readonly numberNull: string;
  /**
   * The sort key of an entity's `classes` column (`_class`): its JSON text
   * on both databases (jsonb would compare array lengths first).
   */
  classesSortKey(table: string): string;
  /**
   * Sort keys of a JSON value (`e0.props -> key`, or a selected column `q.c1`
   * holding one): its number form, its string form, its boolean form, then
   * the JSON text of an array or object. Each is NULL for a value of another
   * kind, so with NULLs smallest the ascending order is: missing,
   * arrays/objects, false, true, strings, numbers (each kind in its natural
   * order), the same on both databases. Sorting on the raw value would
   * compare JSON text on SQLite (10 before 9) but jsonb on PostgreSQL, and
   * the two would return different rows under LIMIT and paging.
   */
  jsonSortKeys(expr: string): string[];
  /**
   * The ` LIMIT ... OFFSET ...` tail for placeholders already bound, either
   * one absent (undefined); "" for neither. SQLite's grammar has no OFFSET
   * without a LIMIT, so it writes `LIMIT -1` (no limit) there.
   */
  limitOffset(limit: string | undefined, offset: string | undefined): string;
  /** Decode a JSON value: one produced by jsonValue(), or a JSON column (classes, props). */
  decodeJson(raw: unknown): unknown;
}

/** ` OFFSET o`, or "" without an offset. */
const offsetClause = (offset: string | undefined): string => (offset === undefined ? "" : ` OFFSET ${offset}`);

/** `t.props`, or bare `props` for index definitions (table ""). */
const propsOf = (table: string): string => (table ? `${table}.props` : "props");

function sqliteKeyRef(params: Params, key: string): string {
  const path = `$."${key}"`;
  if (Object.hasOwn(INDEXED_PROPERTIES, key)) return `'${path}'`;
  return params.add(path);
}

export const sqliteDialect: Dialect = Object.freeze<Dialect>({
  name: "sqlite" as const,
  newParams: () => new Params("named"),
  keyRef: sqliteKeyRef,
  typed(table: string, keyRef: string, kind: ScalarKind): string {
    const t = propsOf(table);
    switch (kind) {
      case "string":
        return `CASE WHEN json_type(${t}, ${keyRef}) = 'text' THEN json_extract(${t}, ${keyRef}) END`;
      case "number":
        return `CASE WHEN json_type(${t}, ${keyRef}) IN ('integer', 'real') THEN json_extract(${t}, ${keyRef}) END`;
      case "boolean":
        return `CASE json_type(${t}, ${keyRef}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END`;
    }
  },
  isArray: (table, keyRef) => `json_type(${propsOf(table)}, ${keyRef}) = 'array'`,
  present: (table, keyRef) => `json_type(${propsOf(table)}, ${keyRef}) IS NOT NULL`,
  anyElement(table, keyRef, kind, test) {
    const elem =
      kind === "string"
        ? "CASE WHEN j.type = 'text' THEN j.value END"
        : kind === "number"
          ? "CASE WHEN j.type IN ('integer', 'real') THEN j.value END"
          : "CASE j.type WHEN 'true' THEN 1 WHEN 'false' THEN 0 END";
    return `(json_type(${propsOf(table)}, ${keyRef}) = 'array' AND EXISTS (SELECT 1 FROM json_each(${propsOf(table)}, ${keyRef}) j WHERE ${test(elem)}))`;
  },
  jsonValue: (table, keyRef) => `${propsOf(table)} -> ${keyRef}`,
  jsonEqual: (lt, lk, rt, rk) =>
    `(json_type(${propsOf(lt)}, ${lk}) = json_type(${propsOf(rt)}, ${rk}) AND json_type(${propsOf(lt)}, ${lk}) NOT IN ('array', 'object') AND json_extract(${propsOf(lt)}, ${lk}) = json_extract(${propsOf(rt)}, ${rk}))`,
  listParam: (params, _kind, values) => params.add(JSON.stringify(values)),
  // json_each yields TEXT for JSON strings and INTEGER/REAL for numbers, the
  // types json_extract gives the property (and 1 = 1.0 holds).
  inList: (expr, list) => `${expr} IN (SELECT value FROM json_each(${list}))`,
  contains: (expr, needle) => `instr(${expr}, ${needle}) > 0`,
  startsWith: (expr, needle) => `substr(${expr}, 1, length(${needle})) = ${needle}`,
  endsWith: (expr, needle) =>
    `(length(${expr}) >= length(${needle}) AND substr(${expr}, length(${expr}) - length(${needle}) + 1) = ${needle})`,
  bool: (value) => (value ? "1" : "0"),
  integrationType: (s) => `(CASE WHEN instr(${s}, ':') > 0 THEN substr(${s}, 1, instr(${s}, ':') - 1) ELSE ${s} END)`,
  idText: (expr) => `CAST(${expr} AS TEXT)`,
  numberParam: (placeholder) => placeholder,
  numberNull: "NULL",
  classesSortKey: (table) => `${table}.classes`,
  jsonSortKeys: (expr) => [
    `CASE WHEN json_type(${expr}) IN ('integer', 'real') THEN json_extract(${expr}, '$') END`,
    `CASE WHEN json_type(${expr}) = 'text' THEN json_extract(${expr}, '$') END`,
    `CASE json_type(${expr}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END`,
    `CASE WHEN json_type(${expr}) IN ('array', 'object') THEN json(${expr}) END`,
  ],
  limitOffset: (limit, offset) =>
    `${limit !== undefined ? ` LIMIT ${limit}` : offset !== undefined ? " LIMIT -1" : ""}${offsetClause(offset)}`,
  decodeJson(raw) {
    if (raw === null || raw === undefined) return undefined;
    return typeof raw === "string" ? JSON.parse(raw) : raw;
  },
});

function pgKeyRef(params: Params, key: string): string {
  if (Object.hasOwn(INDEXED_PROPERTIES, key)) return `'${key}'`;
  return `${params.add(key)}::text`;
}

export const postgresDialect: Dialect = Object.freeze<Dialect>({
  name: "postgres" as const,
  newParams: () => new Params("numbered"),
  keyRef: pgKeyRef,
  typed(table: string, keyRef: string, kind: ScalarKind): string {
    const v = `(${propsOf(table)} -> ${keyRef})`;
    switch (kind) {
      case "string":
        return `(CASE WHEN jsonb_typeof(${v}) = 'string' THEN ${v} #>> '{}' END)`;
      case "number":
        return `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN (${v})::numeric END)`;
      case "boolean":
        return `(CASE WHEN jsonb_typeof(${v}) = 'boolean' THEN (${v})::boolean END)`;
    }
  },
  isArray: (table, keyRef) => `jsonb_typeof(${propsOf(table)} -> ${keyRef}) = 'array'`,
  present: (table, keyRef) => `${propsOf(table)} ? ${keyRef}`,
  anyElement(table, keyRef, kind, test) {
    const elem =
      kind === "string"
        ? "(CASE WHEN jsonb_typeof(j.value) = 'string' THEN j.value #>> '{}' END)"
        : kind === "number"
          ? "(CASE WHEN jsonb_typeof(j.value) = 'number' THEN (j.value)::numeric END)"
          : "(CASE WHEN jsonb_typeof(j.value) = 'boolean' THEN (j.value)::boolean END)";
    return `(jsonb_typeof(${propsOf(table)} -> ${keyRef}) = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements(${propsOf(table)} -> ${keyRef}) j WHERE ${test(elem)}))`;
  },
  jsonValue: (table, keyRef) => `${propsOf(table)} -> ${keyRef}`,
  jsonEqual: (lt, lk, rt, rk) =>
    `(jsonb_typeof(${propsOf(lt)} -> ${lk}) NOT IN ('array', 'object') AND ${propsOf(lt)} -> ${lk} = ${propsOf(rt)} -> ${rk})`,
  listParam: (params, kind, values) => `${params.add(values)}::${kind === "string" ? "text" : "numeric"}[]`,
  inList: (expr, list) => `${expr} = ANY(${list})`,
  contains: (expr, needle) => `strpos(${expr}, ${needle}) > 0`,
  startsWith: (expr, needle) => `starts_with(${expr}, ${needle})`,
  endsWith: (expr, needle) => `right(${expr}, length(${needle})) = ${needle}`,
  bool: (value) => (value ? "TRUE" : "FALSE"),
  integrationType: (s) => `split_part(${s}, ':', 1)`,
  idText: (expr) => `(${expr})::text`,
  numberParam: (placeholder) => `${placeholder}::numeric`,
  numberNull: "NULL::numeric",
  classesSortKey: (table) => `(${table}.classes)::text`,
  jsonSortKeys: (expr) => [
    `(CASE WHEN jsonb_typeof(${expr}) = 'number' THEN (${expr})::numeric END)`,
    `(CASE WHEN jsonb_typeof(${expr}) = 'string' THEN ${expr} #>> '{}' END)`,
    `(CASE WHEN jsonb_typeof(${expr}) = 'boolean' THEN (${expr})::boolean END)`,
    `(CASE WHEN jsonb_typeof(${expr}) IN ('array', 'object') THEN (${expr})::text END)`,
  ],
  limitOffset: (limit, offset) => `${limit !== undefined ? ` LIMIT ${limit}` : ""}${offsetClause(offset)}`,
  decodeJson(raw) {
    if (raw === null || raw === undefined) return undefined;
    return raw;
  },
});
