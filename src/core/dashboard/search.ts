/**
 * The dashboard's search box: repos, hosts, teams, people and campaigns
 * whose name starts with what was typed (without case). Every value is bound;
 * each kind is one statement with its own limit.
 */
import type { GraphStore } from "../../store/types.js";
import { FINDING_TYPE } from "../maintenance/finding.js";

export const SEARCH_LIMIT = 10;
export const SEARCH_MAX_LIMIT = 50;

export type SearchKind = "repo" | "host" | "team" | "person" | "campaign";

/** The classes each kind of entity is found by. */
const ENTITY_KINDS: { kind: Exclude<SearchKind, "campaign">; classes: string[] }[] = [
  { kind: "team", classes: ["Team"] },
  { kind: "repo", classes: ["CodeRepo"] },
  { kind: "host", classes: ["Host"] },
  { kind: "person", classes: ["Person"] },
];

export interface SearchResult {
  kind: SearchKind;
  name: string;
  detail: string;
  path: string;
}

/** `abc%` for LIKE, with LIKE's own characters escaped (ESCAPE '\'). */
function prefixPattern(text: string): string {
  return `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function search(store: GraphStore, options: { q: string; limit?: number }): Promise<{ query: string; results: SearchResult[]; truncated: boolean }> {
  const query = options.q.trim();
  const limit = Math.max(1, Math.min(SEARCH_MAX_LIMIT, Math.floor(options.limit ?? SEARCH_LIMIT)));
  if (query === "") return { query, results: [], truncated: false };
  const d = store.dialect;
  const no = d.bool(false);
  const found: SearchResult[] = [];
  let truncated = false;

  for (const { kind, classes } of ENTITY_KINDS) {
    const p = d.newParams();
    const name = d.typed("e", d.keyRef(p, "name"), "string");
    const classList = d.listParam(p, "string", classes);
    const pattern = p.add(prefixPattern(query));
    const pattern2 = p.add(prefixPattern(query));
    const rows = await store.select(
      `SELECT ${d.idText("e.id")} AS id, e.key AS key, e.type AS type, e.display_name AS display, ${name} AS name ` +
        `FROM entity_classes c CROSS JOIN entities e ` +
        `WHERE ${d.inList("c.class", classList)} AND e.id = c.entity_id AND e.deleted = ${no} ` +
        `AND (lower(${name}) LIKE ${pattern} ESCAPE '\\' OR lower(e.display_name) LIKE ${pattern2} ESCAPE '\\') ` +
        `ORDER BY e.id${d.limitOffset(p.add(limit + 1), undefined)}`,
      p.values,
    );
    if (rows.length > limit) truncated = true;
    const seen = new Set<string>();
    for (const row of rows.slice(0, limit)) {
      const id = String(row.id);
      if (seen.has(id)) continue;
      seen.add(id);
      const label = (row.name as string | null) || (row.display as string | null) || String(row.key);
      found.push({
        kind,
        name: label,
        detail: String(row.type),
        // a team's page is its owner page (what it owes); other entities their asset page
        path: kind === "team" ? `/teams/${encodeURIComponent(label)}` : `/assets/${id}`,
      });
    }
  }

  {
    const p = d.newParams();
    const mid = d.typed("m", d.keyRef(p, "maintenanceId"), "string");
    const short = d.typed("m", d.keyRef(p, "shortDescription"), "string");
    const type = p.add(FINDING_TYPE);
    const pattern = p.add(prefixPattern(query));
    const idPattern = p.add(prefixPattern(query));
    const rows = await store.select(
      `SELECT x.mid AS mid, MIN(x.short) AS short FROM (SELECT ${mid} AS mid, ${short} AS short FROM entities m ` +
        `WHERE m.type = ${type} AND m.deleted = ${no}) x ` +
        `WHERE x.mid IS NOT NULL AND (lower(x.short) LIKE ${pattern} ESCAPE '\\' OR x.mid LIKE ${idPattern} ESCAPE '\\') ` +
        `GROUP BY x.mid ORDER BY x.mid${d.limitOffset(p.add(limit + 1), undefined)}`,
      p.values,
    );
    if (rows.length > limit) truncated = true;
    for (const row of rows.slice(0, limit)) {
      const id = String(row.mid);
      found.push({ kind: "campaign", name: (row.short as string | null) || id, detail: id, path: `/campaigns/${encodeURIComponent(id)}` });
    }
  }

  // exact names first, then shorter names (closer to what was typed), then by name
  const wanted = query.toLowerCase();
  found.sort(
    (a, b) =>
      Number(b.name.toLowerCase() === wanted) - Number(a.name.toLowerCase() === wanted) ||
      a.name.length - b.name.length ||
      a.name.localeCompare(b.name) ||
      a.kind.localeCompare(b.kind),
  );
  if (found.length > limit) truncated = true;
  return { query, results: found.slice(0, limit), truncated };
}
