/**
 * The SQL the compiler emits for each construct, on both dialects: what is a
 * bound parameter and what is inlined, the shape that keeps queries fast
 * (J1QL.md "Compiling to SQL"), and compile-time errors with their carets.
 * What the SQL returns is engine.test.ts's job.
 */
import { describe, expect, it } from "vitest";
import { QueryError } from "../shared/errors.js";
import { type CompiledQuery, DEFAULT_PAGE_SIZE, MAX_EITHER_WAY_STEPS, MAX_STEPS } from "./compiler.js";
import { type Dialect, postgresDialect, sqliteDialect } from "./dialect.js";
import { DOCUMENTED_QUERIES } from "./fixtures/documented-queries.js";
import { compile, type RunQueryOptions } from "./run.js";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const DAY = 86_400_000;

function sqlOf(text: string, dialect: Dialect, options: Partial<RunQueryOptions> = {}): CompiledQuery {
  return compile(text, dialect, { now: NOW, ...options });
}

/** One clause per line, for readable snapshots. */
function pretty(sql: string): string {
  return sql.replace(/ (FROM|WHERE|JOIN|UNION ALL|ORDER BY|LIMIT|OFFSET|GROUP BY) /g, "\n$1 ");
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Per-dialect spellings. */
const DIALECTS = [
  {
    name: "sqlite",
    dialect: sqliteDialect,
    p: (n: number) => `@p${n}`,
    placeholder: /@p(\d+)\b/g,
    no: "0",
    /** an indexed key inlined in SQL */
    inlineKey: (key: string) => `'$."${key}"'`,
    /** a non-indexed key as a bound value */
    keyParam: (key: string) => `$."${key}"`,
  },
  {
    name: "postgres",
    dialect: postgresDialect,
    p: (n: number) => `$${n}`,
    placeholder: /\$(\d+)\b/g,
    no: "FALSE",
    inlineKey: (key: string) => `'${key}'`,
    keyParam: (key: string) => key,
  },
] as const;

/** Queries that between them use every construct. */
const CONSTRUCTS = [
  ...DOCUMENTED_QUERIES,
  "Find CodeRepo with tags = ('pci' and 'prod')",
  "Find CodeRepo with name != ('foo' or 'bar') and tags !~= 'x' and tags !^= 'y' and tags !$= 'z'",
  "Find CodeRepo with public = undefined or public != null",
  "Find Finding with numericSeverity <= 3 or numericSeverity > 7.5 or dueDate >= date.now + 1 week",
  "Find CodeRepo with name='a' or (public=true and tags~='b')",
  "Find * with _class = 'Host' and _key ^= 'h' and _version > 1 and displayName = undefined",
  "Find (Host|aws_instance|Device)",
  "Find CodeRepo that RELATES TO Finding",
  "Find CodeRepo that (HAS|USES) << Finding",
  "Find CodeRepo that !HAS >> Finding with closed=false",
  "Find CodeRepo as r that HAS Finding as f where r.name = f.name and r._createdOn < f.dueDate return r, f.*, r.name as n",
  "Find CodeRepo as r that USES as u npm_package as p where u.devDependency != true return u, u.devDependency, p._id",
  "Find CodeRepo as r return count(r), count(r.tags), min(r._version), max(r.n), avg(r.n), sum(r.n)",
  "Find CodeRepo as r that HAS Finding as f return r.name, count(f) as n order by n desc, r.name skip 2 limit 3",
  "Find UNIQUE CodeRepo as r that HAS Finding return r.tags order by r.tags desc",
  "Find CodeRepo that HAS Finding that !HAS Person return tree",
  "Find CodeRepo order by tags desc, _class, _beginOn skip 5 limit 10",
  "Find CodeRepo with name = 'x' that HAS Finding with maintenanceId = 'm' that HAS Person with createdBy = ('a' or 'b')",
];

describe.each(DIALECTS)("compiling for $name", (D) => {
  const c = (text: string, options: Partial<RunQueryOptions> = {}) => sqlOf(text, D.dialect, options);

  describe("values and keys", () => {
    it("binds every value as a parameter; none appears in the SQL", () => {
      const { sql, params } = c(
        "Find CodeRepo with name='payments' and tags='pci-zone' and closed=false and dueDate < date.now - 1 day and numericSeverity >= 5.5 and owner ~= 'O\\'Brien'",
      );
      expect(params).toEqual(
        expect.arrayContaining(["CodeRepo", "payments", "pci-zone", false, NOW - DAY, 5.5, "O'Brien"]),
      );
      for (const value of ["CodeRepo", "payments", "pci-zone", String(NOW - DAY), "5.5", "Brien"]) {
        expect(sql).not.toContain(value);
      }
    });

    it("resolves dates against the injected clock", () => {
      expect(c("Find * with d < date.now").params).toContain(NOW);
      expect(c("Find * with d < date.now - 7 days").params).toContain(NOW - 7 * DAY);
      expect(c("Find * with d < date.now+24hr").params).toContain(NOW + DAY);
      expect(c("Find * with d > date(2019-10-30)").params).toContain(Date.UTC(2019, 9, 30));
      expect(c("Find * with d > date(2019-10-30T10:15:30Z)").params).toContain(Date.UTC(2019, 9, 30, 10, 15, 30));
      expect(c("Find * with d < date.now", { now: 5 }).params).toContain(5);
    });

    it("inlines the indexed keys as literals, binds the others", () => {
      for (const key of ["name", "maintenanceId", "createdBy"]) {
        const { sql, params } = c(`Find * with ${key} = 'v'`);
        expect(sql).toContain(D.inlineKey(key));
        expect(params).not.toContain(D.keyParam(key));
      }
      for (const key of ["tags", "tag.Production", "j1_severity", "it's"]) {
        const { sql, params } = c(`Find * with [${key}] = 'v'`);
        expect(params).toContain(D.keyParam(key));
        expect(sql).not.toContain(key);
      }
      // metadata are columns
      expect(c("Find * with _key = 'k'").sql).toContain("e0.key = ");
      expect(c("Find * with displayName = 'k'").sql).toContain("e0.display_name = ");
      expect(c("Find * with _class = 'K'").sql).toContain(
        `EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = e0.id AND c.class = ${D.p(1)})`,
      );
    });

    it("uses every parameter it binds, and binds every placeholder it uses", () => {
      for (const text of CONSTRUCTS) {
        for (const options of [{}, { all: true }, { includeDeleted: true, pageSize: 10, cursor: undefined }]) {
          const { sql, params } = c(text, options);
          const used = new Set([...sql.matchAll(D.placeholder)].map((m) => Number(m[1])));
          const bound = new Set(params.map((_, i) => i + 1));
          expect({ text, used: [...used].sort((a, b) => a - b) }).toEqual({
            text,
            used: [...bound].sort((a, b) => a - b),
          });
        }
      }
    });

    it("compares with type checks, so a string never meets a number", () => {
      const { sql } = c("Find * with dueDate < 5");
      if (D.name === "sqlite") expect(sql).toContain("json_type(e0.props, @p1) IN ('integer', 'real')");
      else expect(sql).toContain("jsonb_typeof((e0.props -> $1::text)) = 'number'");
    });
  });

  describe("start-set queries (no RETURN)", () => {
    it("a class is an index lookup in entity_classes; a type is a column", () => {
      expect(c("Find CodeRepo").sql).toContain(
        `e0.id IN (SELECT c.entity_id FROM entity_classes c WHERE c.class = ${D.p(1)})`,
      );
      expect(c("Find (Host|Device)").sql).toContain(`c.class IN (${D.p(1)}, ${D.p(2)})`);
      expect(c("Find github_repo").sql).toContain(`e0.type = ${D.p(1)}`);
      expect(c("Find (a_type|b_type)").sql).toContain(`e0.type IN (${D.p(1)}, ${D.p(2)})`);
      expect(c("Find *").sql).not.toContain("entity_classes");
    });

    it("an either-way step is one EXISTS over a UNION ALL of the two directed lookups", () => {
      const { sql } = c("Find CodeRepo that HAS Finding");
      expect(count(sql, "EXISTS (SELECT 1 FROM (SELECT r1.id")).toBe(1);
      expect(sql).toContain(`r1.to_id AS other_id FROM relationships r1 WHERE r1.from_id = e0.id AND (r1.class = ${D.p(2)}`);
      expect(sql).toContain(
        ` UNION ALL SELECT r1.id, r1.key, r1.type, r1.class, r1.from_id, r1.to_id, r1.source, r1.props, r1.created_on, r1.begin_on, r1.last_seen_on, r1.version, r1.deleted, r1.from_id AS other_id FROM relationships r1 WHERE r1.to_id = e0.id AND (r1.class = ${D.p(3)}`,
      );
      expect(sql).toContain(") r1 JOIN entities e1 ON e1.id = r1.other_id WHERE");
      expect(sql).not.toContain(" OR EXISTS");
    });

    it("keeps the SQL linear in the number of either-way steps", () => {
      const two = c("Find A that HAS B that HAS C").sql.length;
      const four = c("Find A that HAS B that HAS C that HAS D that HAS E").sql.length;
      expect(four).toBeLessThan(two * 2.5);
    });

    it(">> and << keep one arm", () => {
      const forward = c("Find CodeRepo that HAS >> Finding").sql;
      expect(count(forward, "EXISTS (SELECT 1 FROM relationships")).toBe(1);
      expect(forward).toContain("e1.id = r1.to_id WHERE r1.from_id = e0.id");
      const backward = c("Find CodeRepo that HAS << Finding").sql;
      expect(count(backward, "EXISTS (SELECT 1 FROM relationships")).toBe(1);
      expect(backward).toContain("e1.id = r1.from_id WHERE r1.to_id = e0.id");
    });

    it("RELATES TO has no class test; (A|B) is an IN list", () => {
      expect(c("Find CodeRepo that RELATES TO Finding").sql).not.toMatch(/r1\.class (=|IN)/);
      expect(c("Find CodeRepo that (HAS|USES) Finding").sql).toContain(`r1.class IN (${D.p(2)}, ${D.p(3)})`);
      expect(c("Find CodeRepo that (has|uses) Finding").params).toEqual(expect.arrayContaining(["HAS", "USES"]));
    });

    it("a negated step is NOT EXISTS", () => {
      const both = c("Find CodeRepo that !HAS Finding").sql;
      expect(both).toContain("AND NOT EXISTS (SELECT 1 FROM (SELECT r1.id");
      expect(count(both, "EXISTS (SELECT 1 FROM (SELECT r1.id")).toBe(1);
      expect(c("Find CodeRepo that !HAS >> Finding").sql).toContain("AND NOT EXISTS (SELECT 1 FROM relationships r1");
      // a pinned entity does not turn a negated step into IN
      const pinned = c("Find CodeRepo that !HAS Finding with name = 'x'").sql;
      expect(pinned).toContain("NOT EXISTS");
      expect(pinned).not.toContain("e0.id IN (SELECT r1.");
    });

    it("nests the steps", () => {
      const { sql } = c("Find User that HAS >> UserGroup that ASSIGNED >> AccessRole");
      expect(sql).toMatch(/EXISTS \(SELECT 1 FROM relationships r1 .* EXISTS \(SELECT 1 FROM relationships r2 .*r2\.from_id = e1\.id/);
    });

    it("a step pinned by = on an indexed property is an uncorrelated IN (... UNION ALL ...)", () => {
      const { sql, params } = c("Find deferred_maintenance that HAS CodeRepo with name='payments'");
      expect(sql).toContain(
        "e0.id IN (SELECT r1.from_id FROM relationships r1 JOIN entities e1 ON e1.id = r1.to_id WHERE",
      );
      expect(sql).toContain(" UNION ALL SELECT r1.to_id FROM relationships r1 JOIN entities e1 ON e1.id = r1.from_id WHERE");
      expect(sql).not.toContain("EXISTS (SELECT 1 FROM relationships");
      expect(params).toContain("payments");
      // the value itself: two index lookups, the string and the array elements
      expect(sql).toContain("e1.id IN (SELECT x.id FROM entities x WHERE ");
      expect(sql).toContain(" UNION ALL SELECT x.id FROM entities x WHERE ");
      // one direction: one arm
      const forward = c("Find deferred_maintenance that HAS >> CodeRepo with name='payments'").sql;
      expect(forward).toContain("e0.id IN (SELECT r1.from_id FROM relationships r1");
      expect(forward).not.toContain("SELECT r1.to_id FROM relationships");
      // pinned by an OR group of strings, or further down the chain
      expect(c("Find Finding that HAS CodeRepo with name = ('a' or 'b')").sql).toContain("e0.id IN (SELECT r1.");
      expect(c("Find Person that HAS Finding that HAS CodeRepo with name = 'a'").sql).toContain("e0.id IN (SELECT r1.");
      // not pinned: another operator, a non-indexed key, an OR with something else
      expect(c("Find Finding that HAS CodeRepo with name ~= 'a'").sql).not.toContain("e0.id IN (SELECT r1.");
      expect(c("Find Finding that HAS CodeRepo with tags = 'a'").sql).not.toContain("e0.id IN (SELECT r1.");
      expect(c("Find Finding that HAS CodeRepo with name = 'a' or public = true").sql).not.toContain(
        "e0.id IN (SELECT r1.",
      );
    });

    it("a WHERE on a later alias stays correlated", () => {
      const { sql } = c("Find CodeRepo as r that HAS Finding with name='x' as f where f.dueDate > r._createdOn");
      expect(sql).toContain("EXISTS (SELECT 1 FROM (SELECT r1.id");
      expect(sql).toContain("> e0.created_on");
    });

    it("snapshot: the overdue-findings question", () => {
      const text =
        "Find deferred_maintenance with closed=false and dueDate < date.now that HAS CodeRepo with name='my-project'";
      const { sql, params } = c(text);
      expect(params).toEqual([
        "deferred_maintenance",
        ...(D.name === "sqlite" ? ['$."closed"'] : ["closed"]),
        false,
        ...(D.name === "sqlite" ? ['$."dueDate"'] : ["dueDate"]),
        NOW,
        "HAS",
        "CodeRepo",
        "my-project",
        "HAS",
        "CodeRepo",
        "my-project",
        DEFAULT_PAGE_SIZE + 1,
      ]);
      if (D.name === "sqlite") {
        expect(pretty(sql)).toMatchInlineSnapshot(`
          "SELECT CAST(e0.id AS TEXT) AS id, e0.key AS key, e0.type AS type, e0.classes AS classes, e0.display_name AS display_name, e0.source AS source, e0.props AS props, e0.created_on AS created_on, e0.begin_on AS begin_on, e0.version AS version, e0.deleted AS deleted
          FROM entities e0
          WHERE ((e0.deleted = 0 AND e0.type = @p1 AND ((CASE json_type(e0.props, @p2) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END = @p3 OR (json_type(e0.props, @p2) = 'array' AND EXISTS (SELECT 1
          FROM json_each(e0.props, @p2) j
          WHERE CASE j.type WHEN 'true' THEN 1 WHEN 'false' THEN 0 END = @p3))) AND (CASE WHEN json_type(e0.props, @p4) IN ('integer', 'real') THEN json_extract(e0.props, @p4) END < @p5 OR (json_type(e0.props, @p4) = 'array' AND EXISTS (SELECT 1
          FROM json_each(e0.props, @p4) j
          WHERE CASE WHEN j.type IN ('integer', 'real') THEN j.value END < @p5))))) AND e0.id IN (SELECT r1.from_id
          FROM relationships r1
          JOIN entities e1 ON e1.id = r1.to_id
          WHERE (r1.class = @p6 AND r1.deleted = 0 AND (e1.deleted = 0 AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = @p7) AND e1.id IN (SELECT x.id
          FROM entities x
          WHERE CASE WHEN json_type(x.props, '$."name"') = 'text' THEN json_extract(x.props, '$."name"') END = @p8
          UNION ALL SELECT x.id
          FROM entities x
          WHERE (json_type(x.props, '$."name"') = 'array' AND EXISTS (SELECT 1
          FROM json_each(x.props, '$."name"') j
          WHERE CASE WHEN j.type = 'text' THEN j.value END = @p8)))))
          UNION ALL SELECT r1.to_id
          FROM relationships r1
          JOIN entities e1 ON e1.id = r1.from_id
          WHERE (r1.class = @p9 AND r1.deleted = 0 AND (e1.deleted = 0 AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = @p10) AND e1.id IN (SELECT x.id
          FROM entities x
          WHERE CASE WHEN json_type(x.props, '$."name"') = 'text' THEN json_extract(x.props, '$."name"') END = @p11
          UNION ALL SELECT x.id
          FROM entities x
          WHERE (json_type(x.props, '$."name"') = 'array' AND EXISTS (SELECT 1
          FROM json_each(x.props, '$."name"') j
          WHERE CASE WHEN j.type = 'text' THEN j.value END = @p11)))))))
          ORDER BY e0.id
          LIMIT @p12"
        `);
      } else {
        expect(pretty(sql)).toMatchInlineSnapshot(`
          "SELECT (e0.id)::text AS id, e0.key AS key, e0.type AS type, e0.classes AS classes, e0.display_name AS display_name, e0.source AS source, e0.props AS props, e0.created_on AS created_on, e0.begin_on AS begin_on, e0.version AS version, e0.deleted AS deleted
          FROM entities e0
          WHERE ((e0.deleted = FALSE AND e0.type = $1 AND (((CASE WHEN jsonb_typeof((e0.props -> $2::text)) = 'boolean' THEN ((e0.props -> $2::text))::boolean END) = $3 OR (jsonb_typeof(e0.props -> $2::text) = 'array' AND EXISTS (SELECT 1
          FROM jsonb_array_elements(e0.props -> $2::text) j
          WHERE (CASE WHEN jsonb_typeof(j.value) = 'boolean' THEN (j.value)::boolean END) = $3))) AND ((CASE WHEN jsonb_typeof((e0.props -> $4::text)) = 'number' THEN ((e0.props -> $4::text))::numeric END) < $5 OR (jsonb_typeof(e0.props -> $4::text) = 'array' AND EXISTS (SELECT 1
          FROM jsonb_array_elements(e0.props -> $4::text) j
          WHERE (CASE WHEN jsonb_typeof(j.value) = 'number' THEN (j.value)::numeric END) < $5))))) AND e0.id IN (SELECT r1.from_id
          FROM relationships r1
          JOIN entities e1 ON e1.id = r1.to_id
          WHERE (r1.class = $6 AND r1.deleted = FALSE AND (e1.deleted = FALSE AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = $7) AND e1.id IN (SELECT x.id
          FROM entities x
          WHERE (CASE WHEN jsonb_typeof((x.props -> 'name')) = 'string' THEN (x.props -> 'name') #>> '{}' END) = $8
          UNION ALL SELECT x.id
          FROM entities x
          WHERE (jsonb_typeof(x.props -> 'name') = 'array' AND EXISTS (SELECT 1
          FROM jsonb_array_elements(x.props -> 'name') j
          WHERE (CASE WHEN jsonb_typeof(j.value) = 'string' THEN j.value #>> '{}' END) = $8)))))
          UNION ALL SELECT r1.to_id
          FROM relationships r1
          JOIN entities e1 ON e1.id = r1.from_id
          WHERE (r1.class = $9 AND r1.deleted = FALSE AND (e1.deleted = FALSE AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = $10) AND e1.id IN (SELECT x.id
          FROM entities x
          WHERE (CASE WHEN jsonb_typeof((x.props -> 'name')) = 'string' THEN (x.props -> 'name') #>> '{}' END) = $11
          UNION ALL SELECT x.id
          FROM entities x
          WHERE (jsonb_typeof(x.props -> 'name') = 'array' AND EXISTS (SELECT 1
          FROM jsonb_array_elements(x.props -> 'name') j
          WHERE (CASE WHEN jsonb_typeof(j.value) = 'string' THEN j.value #>> '{}' END) = $11)))))))
          ORDER BY e0.id
          LIMIT $12"
        `);
      }
    });
  });

  describe("comparisons", () => {
    it("!= and the negated string operators are NOT COALESCE(positive, false)", () => {
      expect(c("Find * with a != 1").sql).toContain(`NOT COALESCE(`);
      for (const op of ["!~=", "!^=", "!$="]) {
        const { sql } = c(`Find * with a ${op} 's'`);
        expect(sql).toContain(`NOT COALESCE(`);
        expect(sql).toContain(`, ${D.no})`);
      }
      expect(c("Find * with a != ('p' or 'q')").sql).toMatch(/NOT COALESCE\(\(.* OR .*\), /);
    });

    it("string operators are literal (no LIKE wildcards)", () => {
      for (const op of ["~=", "^=", "$="]) expect(c(`Find * with a ${op} '%_'`).sql).not.toContain("LIKE");
      expect(c("Find * with a ~= 's'").sql).toContain(D.name === "sqlite" ? "instr(" : "strpos(");
    });

    it("undefined tests presence", () => {
      const missing = c("Find * with a = undefined");
      expect(missing.sql).toContain(
        D.name === "sqlite" ? "NOT COALESCE(json_type(e0.props, @p1) IS NOT NULL, 0)" : "NOT COALESCE(e0.props ? $1::text, FALSE)",
      );
      expect(missing.params).toEqual([D.keyParam("a"), DEFAULT_PAGE_SIZE + 1]);
      expect(c("Find * with displayName = null").sql).toContain("e0.display_name IS NULL");
    });

    it("a comparison that can never hold is FALSE, not an error", () => {
      expect(c("Find y_type with _version = 'one'").sql).toContain(`(e0.deleted = ${D.no} AND e0.type = ${D.p(1)} AND ${D.no})`);
      expect(c("Find y_type with _class = 5").sql).toContain(` AND ${D.no})`);
    });

    it("groups: OR for any, AND for all", () => {
      const any = c("Find * with a = ('p' or 'q')");
      // `=` with OR: one list parameter and one membership test
      expect(any.params).toEqual(D.name === "sqlite" ? ['$."a"', '["p","q"]', 251] : ["a", ["p", "q"], 251]);
      expect(any.sql).toContain(
        D.name === "sqlite"
          ? "json_extract(e0.props, @p1) END IN (SELECT value FROM json_each(@p2))"
          : "(e0.props -> $1::text) #>> '{}' END) = ANY($2::text[])",
      );
      const other = c("Find * with a ~= ('p' or 'q')").sql;
      expect(other).toMatch(/\(\((instr|strpos)\(.*\) OR \((instr|strpos)\(.*\)\)/);
      const all = c("Find * with a = ('p' and 'q')").sql;
      expect(all).toMatch(/\(\(CASE .* AND \(\(?CASE .*\)/);
    });

    it("long value lists nest instead of chaining (expression depth)", () => {
      const values = (n: number) => Array.from({ length: n }, (_, i) => `'v${i}'`).join(" or ");
      const { sql, params } = c(`Find * with a ~= (${values(100)})`);
      expect(params).toHaveLength(100 * 2 + 1);
      // four parenthesised groups of at most 32 comparisons, OR-ed
      const groupStart = D.name === "sqlite" ? " OR ((instr(" : " OR ((strpos(";
      expect(count(sql, groupStart)).toBe(3);
      expect(count(c(`Find * with a ~= (${values(32)})`).sql, groupStart)).toBe(0);
    });

    it("= with an OR list is the same SQL and two parameters for 2 values or 6,000", () => {
      const list = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(" or ");
      for (const [prop, value] of [
        ["a", (i: number) => `'v${i}'`],
        ["name", (i: number) => `'v${i}'`],
        ["a", (i: number) => String(i)],
        ["_key", (i: number) => `'v${i}'`],
        ["_version", (i: number) => String(i)],
        ["_class", (i: number) => `'V${i}'`],
      ] as const) {
        const small = c(`Find * with ${prop} = (${list(2, value)})`);
        const large = c(`Find * with ${prop} = (${list(6000, value)})`);
        expect(large.sql, prop).toBe(small.sql);
        expect(large.params.length, prop).toBe(small.params.length);
        expect(large.params.length, prop).toBeLessThanOrEqual(3);
      }
      // strings and numbers are separate lists; booleans and undefined keep their tests
      const mixed = c("Find * with a = ('1' or 1 or 'x' or 2.5 or true or undefined or 'x' or date(2020-01-01))");
      expect(mixed.params).toEqual(
        D.name === "sqlite"
          ? ['$."a"', '["1","x"]', '$."a"', "[1,2.5,1577836800000]", '$."a"', true, '$."a"', 251]
          : ["a", ["1", "x"], "a", [1, 2.5, 1577836800000], "a", true, "a", 251],
      );
    });
  });

  describe("RETURN queries", () => {
    it("join one table per node and edge; either-way steps become UNION ALL arms", () => {
      const one = c("Find CodeRepo as r that HAS Finding as f return r.name, f.dueDate").sql;
      expect(count(one, " UNION ALL SELECT ")).toBe(1);
      expect(one).toContain("FROM entities e0 JOIN relationships r1 ON r1.from_id = e0.id JOIN entities e1 ON e1.id = r1.to_id");
      expect(one).toContain("FROM entities e0 JOIN relationships r1 ON r1.to_id = e0.id JOIN entities e1 ON e1.id = r1.from_id");
      expect(one).not.toMatch(/ JOIN [^W]* ON [^W]* OR /);
      const two = c("Find CodeRepo as r that HAS Finding that HAS Person return r.name").sql;
      expect(count(two, " UNION ALL SELECT ")).toBe(3);
      const directed = c("Find CodeRepo as r that HAS >> Finding that HAS << Person return r.name").sql;
      expect(directed).not.toContain("UNION ALL");
      expect(directed).toContain("JOIN relationships r2 ON r2.to_id = e1.id JOIN entities e2 ON e2.id = r2.from_id");
    });

    it("a negated tail hangs off the joined nodes as NOT EXISTS", () => {
      const { sql } = c("Find CodeRepo as r that HAS >> Finding that !HAS Person return r.name");
      expect(sql).not.toContain("JOIN relationships r2");
      expect(sql).toContain("NOT EXISTS (SELECT 1 FROM (SELECT r2.id");
      expect(sql).toContain("FROM relationships r2 WHERE r2.from_id = e1.id");
    });

    it("column names are generated, never user text", () => {
      const compiled = c("Find CodeRepo as weird_alias return weird_alias.name as my_label, weird_alias.tags");
      if (compiled.shape !== "table") throw new Error("expected a table");
      expect(compiled.sql).not.toContain("weird_alias");
      expect(compiled.sql).not.toContain("my_label");
      expect(compiled.columns).toEqual([
        { sqlName: "c1", label: "my_label", decode: "json", property: "name" },
        { sqlName: "c2", label: "weird_alias.tags", decode: "json", property: "tags" },
      ]);
    });

    it("names the property each column comes from: renamed, aggregated, or none (whole entities, counts)", () => {
      const compiled = c("Find deferred_maintenance as m return m.dueDate as due, max(m.dueDate) as latest, count(m) as n, m");
      if (compiled.shape !== "table") throw new Error("expected a table");
      expect(compiled.columns.map((col) => [col.label, col.property])).toEqual([
        ["due", "dueDate"],
        ["latest", "dueDate"],
        ["n", undefined],
        ["m", undefined],
      ]);
    });

    it("decodes columns by kind", () => {
      const compiled = c(
        "Find CodeRepo as r that USES as u npm_package return r, r.*, u, u.*, r._id, r._key, r._createdOn, r._deleted, r._class, r.name, count(u)",
      );
      if (compiled.shape !== "table") throw new Error("expected a table");
      expect(compiled.columns.map((col) => col.decode)).toEqual([
        "entity",
        "entityAll",
        "edge",
        "edgeAll",
        "id",
        "raw",
        "number",
        "bool",
        "json",
        "json",
        "number",
      ]);
    });

    it("UNIQUE is DISTINCT; aggregates GROUP BY the plain items", () => {
      expect(c("Find UNIQUE CodeRepo as r return r.name").sql).toContain("SELECT DISTINCT q.c1 AS c1");
      expect(c("Find CodeRepo as r return r.name").sql).not.toContain("DISTINCT");
      const grouped = c("Find CodeRepo as r that HAS Finding as f return r.name, count(f), count(f.x), max(f.x)").sql;
      expect(grouped).toContain("GROUP BY q.c1");
      expect(grouped).toContain("COUNT(DISTINCT q.c2_id)");
      expect(grouped).toContain("COUNT(DISTINCT CASE WHEN q.c3_v IS NOT NULL THEN q.c3_id END)");
      expect(grouped).toContain("MAX(q.c4_v)");
      expect(c("Find CodeRepo as r return count(r)").sql).not.toContain("GROUP BY");
    });

    it("ORDER BY sorts missing values first ascending and last descending, on typed keys", () => {
      const { sql } = c("Find CodeRepo as r return r.name, r._createdOn as t order by r.name desc, t");
      expect(sql).toContain(" DESC NULLS LAST");
      expect(sql).toContain("q.c2 NULLS FIRST");
      expect(sql).toContain(D.name === "sqlite" ? "json_type(q.c1) IN ('integer', 'real')" : "jsonb_typeof(q.c1) = 'number'");
      const list = c("Find CodeRepo order by name desc").sql;
      expect(count(list, " DESC NULLS LAST")).toBe(4);
      expect(list).toMatch(/ORDER BY .* DESC NULLS LAST, e0\.id LIMIT/);
    });

    it("RETURN TREE selects the ids of every node and edge of the joined path", () => {
      const compiled = c("Find CodeRepo that HAS Finding that !HAS Person return tree");
      if (compiled.shape !== "tree") throw new Error("expected a tree");
      expect(compiled.vertexColumns).toEqual(["v0", "v1"]);
      expect(compiled.edgeColumns).toEqual(["w1"]);
      expect(compiled.sql).toMatch(/^SELECT DISTINCT \* FROM \(SELECT e0\.id AS v0, e1\.id AS v1, r1\.id AS w1 /);
    });

    it("snapshot: repos by number of findings", () => {
      const { sql, params } = c(
        "FIND CodeRepo as cr THAT HAS Finding as f RETURN cr.displayName as x, COUNT(f) as y ORDER BY y DESC LIMIT 10",
      );
      expect(params).toEqual(["CodeRepo", "HAS", "Finding", "CodeRepo", "HAS", "Finding", 10]);
      if (D.name === "sqlite") {
        expect(pretty(sql)).toMatchInlineSnapshot(`
          "SELECT *
          FROM (SELECT q.c1 AS c1, COUNT(DISTINCT q.c2_id) AS c2
          FROM (SELECT DISTINCT c1, c2_id
          FROM (SELECT e0.display_name AS c1, e1.id AS c2_id
          FROM entities e0
          JOIN relationships r1 ON r1.from_id = e0.id
          JOIN entities e1 ON e1.id = r1.to_id
          WHERE ((e0.deleted = 0 AND e0.id IN (SELECT c.entity_id
          FROM entity_classes c
          WHERE c.class = @p1)) AND r1.class = @p2 AND r1.deleted = 0 AND (e1.deleted = 0 AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = @p3)))
          UNION ALL SELECT e0.display_name AS c1, e1.id AS c2_id
          FROM entities e0
          JOIN relationships r1 ON r1.to_id = e0.id
          JOIN entities e1 ON e1.id = r1.from_id
          WHERE ((e0.deleted = 0 AND e0.id IN (SELECT c.entity_id
          FROM entity_classes c
          WHERE c.class = @p4)) AND r1.class = @p5 AND r1.deleted = 0 AND (e1.deleted = 0 AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = @p6)))) u) q
          GROUP BY q.c1) q
          ORDER BY q.c2 DESC NULLS LAST, q.c1 NULLS FIRST
          LIMIT @p7"
        `);
      } else {
        expect(pretty(sql)).toMatchInlineSnapshot(`
          "SELECT *
          FROM (SELECT q.c1 AS c1, COUNT(DISTINCT q.c2_id) AS c2
          FROM (SELECT DISTINCT c1, c2_id
          FROM (SELECT e0.display_name AS c1, e1.id AS c2_id
          FROM entities e0
          JOIN relationships r1 ON r1.from_id = e0.id
          JOIN entities e1 ON e1.id = r1.to_id
          WHERE ((e0.deleted = FALSE AND e0.id IN (SELECT c.entity_id
          FROM entity_classes c
          WHERE c.class = $1)) AND r1.class = $2 AND r1.deleted = FALSE AND (e1.deleted = FALSE AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = $3)))
          UNION ALL SELECT e0.display_name AS c1, e1.id AS c2_id
          FROM entities e0
          JOIN relationships r1 ON r1.to_id = e0.id
          JOIN entities e1 ON e1.id = r1.from_id
          WHERE ((e0.deleted = FALSE AND e0.id IN (SELECT c.entity_id
          FROM entity_classes c
          WHERE c.class = $4)) AND r1.class = $5 AND r1.deleted = FALSE AND (e1.deleted = FALSE AND EXISTS (SELECT 1
          FROM entity_classes c
          WHERE c.entity_id = e1.id AND c.class = $6)))) u) q
          GROUP BY q.c1) q
          ORDER BY q.c2 DESC NULLS LAST, q.c1 NULLS FIRST
          LIMIT $7"
        `);
      }
    });
  });

  describe("paging and deleted rows", () => {
    it("asks for one row more than a page, to know whether there is another", () => {
      const first = c("Find *");
      expect(first.sql).toMatch(new RegExp(`LIMIT \\${D.p(1)}$`));
      expect(first.params).toEqual([DEFAULT_PAGE_SIZE + 1]);
      expect(first.shape === "list" && first.pageSize).toBe(DEFAULT_PAGE_SIZE);
      expect(c("Find *", { pageSize: 10 }).params).toEqual([11]);
      expect(c("Find *", { all: true }).sql).not.toContain("LIMIT");
      expect(c("Find * limit 5").params).toEqual([5]);
      expect(c("Find * limit 5").sql).not.toContain("OFFSET");
      const skipped = c("Find * skip 7 limit 5");
      expect(skipped.sql).toMatch(/LIMIT \S+ OFFSET \S+$/);
      expect(skipped.params).toEqual([5, 7]);
      expect(c("Find * skip 7", { all: true }).sql).toMatch(
        D.name === "sqlite" ? /LIMIT -1 OFFSET @p1$/ : /\) OFFSET \$1$|e0\.id OFFSET \$1$/,
      );
    });

    it("leaves out deleted entities and edges unless includeDeleted", () => {
      const text = "Find CodeRepo that HAS Finding";
      // e0, the edge in each direction's arm, e1
      expect(count(c(text).sql, `.deleted = ${D.no}`)).toBe(4);
      expect(c(text, { includeDeleted: true }).sql).not.toContain("deleted =");
      expect(c(`${text} return tree`, { includeDeleted: true }).sql).not.toContain("deleted =");
    });
  });
});

describe("compile-time errors", () => {
  /** The QueryError for `text`, its caret column and the caret line. */
  function failure(text: string): { error: QueryError; line: number; column: number; caret: string } {
    try {
      compile(text, sqliteDialect, { now: NOW });
    } catch (error) {
      expect(error).toBeInstanceOf(QueryError);
      const e = error as QueryError;
      expect(e.position).toBeDefined();
      // the same error on the other dialect
      expect(() => compile(text, postgresDialect, { now: NOW })).toThrow(e.message);
      return { error: e, line: e.position!.line, column: e.position!.column, caret: e.details[1] ?? "" };
    }
    throw new Error(`expected a QueryError for: ${text}`);
  }

  /** 1-based column of the first occurrence of `needle` after `after`. */
  const col = (text: string, needle: string, after = 0) => text.indexOf(needle, after) + 1;

  it.each([
    ["Find CodeRepo as r return x.name", "x.name", /unknown alias "x"/],
    ["Find CodeRepo as r where x.name = 1", "x.name", /unknown alias "x"/],
    ["Find CodeRepo as r return r order by x.name", "x.name", /unknown alias "x"/],
    ["Find Finding with numericSeverity < 'high'", "'high'", /< compares numbers and dates/],
    ["Find Finding with numericSeverity >= true", "true", />= compares numbers/],
    ["Find CodeRepo with name ~= 5", "5", /~= compares strings/],
    ["Find CodeRepo with name !^= date.now", "date.now", /\^= compares strings/],
    ["Find CodeRepo with name < undefined", "undefined", /cannot compare with undefined/],
    ["Find CodeRepo as r that !HAS Finding as f where f.name = 'x'", "f.name", /inside a negated step/],
    ["Find CodeRepo as r that HAS Finding as f order by f.dueDate", "f.dueDate", /without RETURN, ORDER BY/],
    ["FIND CodeRepo as cr THAT HAS Finding as f RETURN COUNT(f) as y ORDER BY cr.name", "cr.name", /RETURN column/],
    ["Find CodeRepo as r return r order by nothing", "nothing", /neither a RETURN column/],
    ["Find CodeRepo as r return r.name, r.displayName as 'r.name'", "r.displayName", /two RETURN columns/],
    ["Find CodeRepo with [a\"b] = 1", '[a"b]', /not supported yet/],
    ["Find CodeRepo as r that HAS Finding as f where f._class = r._class", "f._class", /not supported yet/],
  ])("%s", (text, at, reason) => {
    const { error, line, column, caret } = failure(text);
    expect(error.reason).toMatch(reason);
    expect(line).toBe(1);
    expect(column).toBe(col(text, at));
    expect(caret.indexOf("^")).toBe(2 + column - 1);
  });

  it("an alias used twice points at the second use", () => {
    const text = "Find CodeRepo as a that HAS Finding as a";
    const { error, column } = failure(text);
    expect(error.reason).toBe('the alias "a" is used twice');
    expect(column).toBe(col(text, "Finding"));
  });

  it("lists the known aliases", () => {
    const { error } = failure("Find CodeRepo as r that HAS Finding return x");
    expect(error.expected).toEqual(expect.arrayContaining(['"r"', '"Finding"', '"HAS"', '"CodeRepo"']));
  });

  it("reports the line and column on multi-line queries", () => {
    const text = "Find CodeRepo as r\n  that HAS Finding\n  return r.name, x.name";
    const { line, column, error } = failure(text);
    expect([line, column]).toEqual([3, 18]);
    expect(error.details[0]).toBe("    return r.name, x.name");
  });

  it("refuses queries too large to run, at the step that overflows", () => {
    const steps = (n: number, verb: string) => Array.from({ length: n }, () => ` that ${verb} Finding`).join("");
    const long = `Find CodeRepo${steps(MAX_STEPS + 1, "HAS >>")}`;
    const tooLong = failure(long);
    expect(tooLong.error.reason).toMatch(/too many steps/);
    expect(tooLong.column).toBe(1 + "Find CodeRepo".length + MAX_STEPS * " that HAS >> Finding".length + 1);
    const wide = `Find CodeRepo${steps(MAX_EITHER_WAY_STEPS, "HAS")}${steps(3, "HAS >>")}${steps(1, "HAS")} return tree`;
    const tooWide = failure(wide);
    expect(tooWide.error.reason).toMatch(/either way/);
    expect(tooWide.column).toBe(wide.lastIndexOf(" that HAS Finding") + 2);
    expect(() => compile(`Find CodeRepo${steps(MAX_STEPS, "HAS <<")}`, sqliteDialect, { now: NOW })).not.toThrow();
    // Without RETURN the SQL stays linear: no limit on either-way steps.
    expect(() => compile(`Find CodeRepo${steps(MAX_STEPS, "HAS")}`, postgresDialect, { now: NOW })).not.toThrow();
    const values = Array.from({ length: 16_000 }, (_, i) => `'v${i}'`).join(" or ");
    // `=` with OR binds one list whatever its length; other operators bind each value
    expect(failure(`Find * with tags ~= (${values})`).error.reason).toMatch(/too large/);
    expect(compile(`Find * with tags = (${values})`, sqliteDialect, { now: NOW }).params).toHaveLength(3);
  });
});
