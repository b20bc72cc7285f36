/**
 * The scalar properties of deferred-maintenance findings that the campaign
 * statistics and the dashboard overview aggregate in SQL
 * (src/core/maintenance/stats-sql.ts), as SQL expressions on the `props`
 * column of `entities`. On SQLite the same expressions make up the covering
 * partial index `entities_finding_facts` (migration 9), so an aggregate reads
 * that index and never parses a finding's JSON: the expressions here and in
 * the index must be the same text, which is why keys and the type are
 * inlined as literals (constants of this file, never a user's value).
 */
import type { Dialect } from "./dialect.js";

export const FINDING_FACTS_TYPE = "deferred_maintenance";

/** The JSON path or key of a property, as a literal. */
function keyLiteral(d: Dialect, key: string): string {
  return d.name === "sqlite" ? `'$."${key}"'` : `'${key}'`;
}

/** The JSON type of a property (NULL when missing; 'null' for JSON null). */
function jsonTypeOf(d: Dialect, key: string): string {
  return d.name === "sqlite" ? `json_type(props, ${keyLiteral(d, key)})` : `jsonb_typeof(props -> ${keyLiteral(d, key)})`;
}

/** Each fact as [alias, expression], in the index's column order. */
export function findingFactColumns(d: Dialect): [string, string][] {
  const typed = (key: string, kind: "string" | "number" | "boolean") => d.typed("", keyLiteral(d, key), kind);
  return [
    ["m", typed("maintenanceId", "string")],
    ["c", typed("closed", "boolean")],
    ["cr", typed("createdOn", "number")],
    ["du", typed("dueDate", "number")],
    ["co", typed("closedOn", "number")],
    ["cot", jsonTypeOf(d, "closedOn")],
    ["r", typed("closeReason", "string")],
    ["sd", typed("shortDescription", "string")],
    ["wl", typed("webLink", "string")],
    ["ow", typed("owner", "string")],
    ["ek", typed("entityKey", "string")],
  ];
}

/** A finding's maintenance item as findingItemOf (src/store/records.ts) reads it: "" when maintenanceId is not a string. */
export function findingItemSql(d: Dialect, table = ""): string {
  return `COALESCE(${d.typed(table, keyLiteral(d, "maintenanceId"), "string")}, '')`;
}

/** `closed` is true (the `c` column of findingFactsSql). */
export function closedTest(d: Dialect, alias = "c"): string {
  return d.name === "sqlite" ? `${alias} = 1` : `${alias} IS TRUE`;
}

/** `closed` is not true: the finding is open (the JS code reads `closed === true`). */
export function openTest(d: Dialect, alias = "c"): string {
  return d.name === "sqlite" ? `${alias} IS NOT 1` : `${alias} IS NOT TRUE`;
}

/** The JSON types of a number (a closedOn of another type is read differently by the JS code). */
export function numberTypes(d: Dialect): string {
  return d.name === "sqlite" ? "'integer', 'real', 'null'" : "'number', 'null'";
}

/**
 * One row per live finding with the facts named (aliases of
 * findingFactColumns; "id" for the entity's id). `where` is an extra
 * condition on the facts' expressions (already bound).
 *
 * On SQLite the `LIMIT -1` keeps the subquery from being flattened into a
 * GROUP BY, and the statement around it must use every column it selects:
 * either one would make SQLite read the table row beside the index (measured
 * on SQLite 3.53: 5 s instead of 0.5 s at 1,000,000 findings). The tests
 * check each statement's plan says COVERING INDEX. `byItem` (SQLite) reads
 * the rows in the index's order, by maintenanceId: a GROUP BY m around it
 * then needs no sort (0.5 s instead of 1.0-1.4 s at 1,000,000 findings).
 * On PostgreSQL `OFFSET 0` keeps the subquery apart, so each fact is read
 * from the jsonb once per row, not once per use in the statement around it
 * (measured at 20,000 findings: the per-item aggregate 0.9-1.3 s before).
 */
export function findingFactsSql(
  d: Dialect,
  names: readonly string[],
  where?: (fact: (alias: string) => string) => string,
  options: { byItem?: boolean } = {},
): string {
  const columns = findingFactColumns(d);
  const fact = (alias: string) => {
    const found = columns.find(([a]) => a === alias);
    if (!found) throw new Error(`unknown finding fact ${alias}`);
    return found[1];
  };
  const select = names.map((alias) => (alias === "id" ? "id" : `${fact(alias)} AS ${alias}`)).join(", ");
  const extra = where ? ` AND ${where(fact)}` : "";
  return (
    `SELECT ${select} FROM entities WHERE type = '${FINDING_FACTS_TYPE}' AND deleted = ${d.bool(false)}${extra}` +
    (d.name === "sqlite" ? `${options.byItem ? " ORDER BY m" : ""} LIMIT -1` : " OFFSET 0")
  );
}

/** The SQLite covering index over the facts (migration 9). */
export function sqliteFindingFactsIndex(d: Dialect): string {
  const exprs = findingFactColumns(d).map(([, expr]) => expr);
  return `CREATE INDEX IF NOT EXISTS entities_finding_facts ON entities(type, deleted, ${exprs.join(", ")}) WHERE type = '${FINDING_FACTS_TYPE}'`;
}
