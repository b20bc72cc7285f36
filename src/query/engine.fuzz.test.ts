/**
 * Property tests over the whole engine (parse -> compile -> SQL -> shape) on
 * the fixture graph: thousands of random, mostly well-formed queries from a
 * grammar, plus mutated documented queries.
 *
 * The contract: runQuery resolves with a well-formed list / table / tree, or
 * rejects with a QueryError; never anything else (an error from the database
 * is an engine bug). No string value of the query ever appears inside the
 * SQL (values are bound parameters), every placeholder is bound, and the
 * graph is intact afterwards. On PostgreSQL the result must also equal
 * SQLite's.
 *
 * FUZZ_SEED=<n> replays a run; FUZZ_RUNS=<n> scales the number of runs.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../test/helpers/pg.js";
import { QueryError } from "../shared/errors.js";
import { PostgresStore } from "../store/postgres/postgres-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import type { GraphStore } from "../store/types.js";
import type { Filter, Query, Value } from "./ast.js";
import { INDEXED_PROPERTIES } from "./dialect.js";
import { DOCUMENTED_QUERIES } from "./fixtures/documented-queries.js";
import { loadFixture, NOW, withoutIds } from "./fixtures/graph.js";
import { parseQuery } from "./parser.js";
import { compile, type QueryResult, runQuery } from "./run.js";

const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const SCALE = process.env.FUZZ_RUNS === undefined ? 1 : Number(process.env.FUZZ_RUNS) / 3000;
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const TIMEOUT = 300_000;

// ------------------------------------------------------------------ grammar

const CLASSES = [
  "CodeRepo",
  "Finding",
  "Host",
  "Device",
  "Person",
  "User",
  "Team",
  "Root",
  "UserGroup",
  "AccessRole",
  "PR",
  "HostAgent",
  "CodeModule",
  "DataStore",
  "Image",
  "Vulnerability",
];
const TYPES = [
  "deferred_maintenance",
  "github_repo",
  "bitbucket_repo",
  "aws_instance",
  "employee",
  "contractor",
  "npm_package",
  "mfa_device",
  "vuln_finding",
  "team",
];
/** Names nothing has, some of them SQL-ish or non-ASCII (all valid identifiers). */
const GARBAGE = ["Nope", "nothing_here", "Ünïcödé_Ω", "entities", "DROP", "select", "_x", "Q", "😀"];
const VERBS = ["HAS", "USES", "IS", "EMPLOYS", "OPENED", "ASSIGNED", "PROTECTS", "CONTAINS", "OWNS", "NOPE"];
const PROPS = [
  "name",
  "tags",
  "closed",
  "dueDate",
  "numericSeverity",
  "public",
  "createdBy",
  "maintenanceId",
  "firstName",
  "manager",
  "lastSeenOn",
  "devDependency",
  "status",
  "tag.Production",
  "tag.AccountName",
  "[j1_severity]",
  "[tag.Production]",
  "[weird key; DROP TABLE entities; --]",
  "[it's]",
  "[ünï cödé]",
  "_class",
  "_type",
  "_key",
  "_id",
  "displayName",
  "_createdOn",
  "_beginOn",
  "_version",
  "_deleted",
  "_source",
  "_lastSeenOn",
  "_integrationType",
  "_integrationName",
  "_integrationInstanceId",
  "_fromEntityId",
  "missing",
];
/** Keys the compiler refuses ("not supported yet"): rare, so most queries get further. */
const RARE_PROPS = ['[a"b]', "[back\\slash]", "[nul\u0000]"];
const OPS = ["=", "!=", "<", ">", "<=", ">=", "~=", "^=", "$=", "!~=", "!^=", "!$="];
const ALIASES = ["a", "b", "c", "m", "u", "p", "x"];
const UNITS = ["hour", "hours", "hr", "hrs", "day", "days", "week", "weeks", "month", "months", "mo", "year", "yrs"];

/** Strings meant to break quoting. */
const NASTY = [
  "'; DROP TABLE entities; --",
  "x' OR '1'='1",
  '"; DELETE FROM relationships; --',
  "Robert'); DROP TABLE entity_classes;--",
  "\\",
  "\\'",
  "%",
  "_",
  "%_%",
  "$1",
  "@p1",
  "?",
  ":name",
  "/* comment */",
  "-- comment",
  "\n;\n",
  "ünïcödé Ωμέγα 漢字",
  "😀👍🏽",
  "\u0000",
  "a\u0000b",
  "\u202e",
  "",
  " ",
  "payments",
  "pci",
  "prod",
  "M-100",
  "dev@example.com",
  "false",
  "true",
  "8",
];

/** A J1QL string literal for `value`, with either quote. */
function quote(value: string, q: "'" | '"'): string {
  let out = "";
  for (const ch of value) {
    if (ch === "\\" || ch === q) out += `\\${ch}`;
    else if (ch === "\u0000") out += "\\u0000";
    else out += ch;
  }
  return `${q}${out}${q}`;
}

const stringValue = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
      { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
    ),
    fc.constantFrom<"'" | '"'>("'", '"'),
  )
  .map(([v, q]) => quote(v, q));

const numberValue = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom("0", "3", "5", "7", "8", "10", "1.5", "-2.25", "1795262400000", "99999999999999999999999"),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => d.toFixed(3)),
);

const dateValue = fc.oneof(
  fc.constantFrom("date.now", "date.Now", "DATE.NOW"),
  fc
    .tuple(fc.constantFrom("-", "+"), fc.integer({ min: 0, max: 400 }), fc.constantFrom(...UNITS), fc.boolean())
    .map(([sign, n, unit, glued]) => `date.now ${sign} ${n}${glued ? "" : " "}${unit}`),
  fc
    .tuple(fc.integer({ min: 1990, max: 2040 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 32 }))
    .map(([y, m, d]) => `date(${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")})`),
  fc.constantFrom("date(2026-11-13T12:00Z)", "date(2019-10-30T10:15:30Z)"),
);

/**
 * Values of the question parameters every fuzzed query runs with: hostile
 * strings that must stay bound, a number and a boolean. `{{none}}` is never
 * filled (a QueryError naming it).
 */
const PARAMETERS: Record<string, string | number | boolean> = {
  p: "'; DROP TABLE entities; -- {{q}}",
  q: "x' OR '1'='1\\",
  s: "Robert'); DROP TABLE entity_classes;--",
  n: 5,
  b: false,
};
const PARAMETER_NAMES = [...Object.keys(PARAMETERS), ...Object.keys(PARAMETERS), "none"];
/** `{{n}}` as a whole value, or inside a string (`'@{{p}}'`). */
const parameterValue = fc.oneof(
  fc.constantFrom(...PARAMETER_NAMES).map((n) => `{{${n}}}`),
  fc
    .tuple(fc.constantFrom("", "@", "x "), fc.constantFrom(...PARAMETER_NAMES), fc.constantFrom("", ".com", "'"), fc.constantFrom<"'" | '"'>("'", '"'))
    .map(([before, n, after, q]) => {
      const text = quote(`${before}\u0001${after}`, q);
      return text.replace("\u0001", `{{${n}}}`);
    }),
);

const scalar = fc.oneof(
  { weight: 4, arbitrary: stringValue },
  { weight: 1, arbitrary: parameterValue },
  { weight: 2, arbitrary: numberValue },
  { weight: 1, arbitrary: fc.constantFrom("true", "false", "TRUE", "undefined", "null") },
  { weight: 2, arbitrary: dateValue },
);

const operand = fc.oneof(
  { weight: 5, arbitrary: scalar },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(scalar, { minLength: 1, maxLength: 4 }), fc.constantFrom("or", "and", "OR"))
      .map(([values, word]) => `(${values.join(` ${word} `)})`),
  },
);

const prop = fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...PROPS) }, { weight: 1, arbitrary: fc.constantFrom(...RARE_PROPS) });

const numericOperand = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(numberValue, dateValue) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(fc.oneof(numberValue, dateValue), { minLength: 1, maxLength: 3 }), fc.constantFrom("or", "and"))
      .map(([values, word]) => `(${values.join(` ${word} `)})`),
  },
);
const stringOperand = fc.oneof(
  { weight: 3, arbitrary: stringValue },
  { weight: 1, arbitrary: parameterValue },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(stringValue, { minLength: 1, maxLength: 3 }), fc.constantFrom("or", "and"))
      .map(([values, word]) => `(${values.join(` ${word} `)})`),
  },
);

/** `op operand`, mostly of matching types, sometimes not (a compile-time QueryError). */
const opAndOperand = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom("=", "!="), operand) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("<", ">", "<=", ">="), numericOperand) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("~=", "^=", "$=", "!~=", "!^=", "!$="), stringOperand) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...OPS), operand) },
);

const comparison = fc.tuple(prop, opAndOperand).map(([p, [op, v]]) => `${p} ${op} ${v}`);

const { filter } = fc.letrec<{ filter: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 5, arbitrary: comparison },
    { weight: 1, arbitrary: tie("filter").map((f) => `(${f})`) },
  ),
  filter: fc
    .tuple(fc.array(tie("atom"), { minLength: 1, maxLength: 3 }), fc.constantFrom("and", "or", "AND"))
    .map(([atoms, word]) => atoms.join(` ${word} `)),
}));

const targetNames = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...CLASSES, ...TYPES).map((t) => [t]) },
  { weight: 1, arbitrary: fc.constantFrom(...GARBAGE).map((t) => [t]) },
  { weight: 1, arbitrary: fc.constant([] as string[]) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...CLASSES, ...TYPES, ...GARBAGE), { minLength: 2, maxLength: 3 }) },
);
const targetText = (names: string[]) =>
  names.length === 0 ? "*" : names.length === 1 ? names[0]! : `(${names.join("|")})`;

const verbNames = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VERBS, "has", "Uses").map((v) => [v]) },
  { weight: 1, arbitrary: fc.constant([] as string[]) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...VERBS), { minLength: 2, maxLength: 3 }) },
);
const verbText = (names: string[]) =>
  names.length === 0 ? "RELATES TO" : names.length === 1 ? names[0]! : `(${names.join("|")})`;

interface NodeGen {
  targets: string[];
  filter: string | null;
  named: boolean;
}
interface StepGen {
  negated: boolean;
  /** wrapped in an optional traversal `( ... )?` */
  optional: boolean;
  verbs: string[];
  direction: string;
  named: boolean;
  node: NodeGen;
}

const nodeGen: fc.Arbitrary<NodeGen> = fc.record({
  targets: targetNames,
  filter: fc.option(filter, { freq: 2 }),
  named: fc.boolean(),
});
const stepGen: fc.Arbitrary<StepGen> = fc.record({
  negated: fc.nat(5).map((n) => n === 0),
  optional: fc.nat(3).map((n) => n === 0),
  verbs: verbNames,
  direction: fc.constantFrom("", "", " >>", " <<"),
  named: fc.nat(3).map((n) => n === 0),
  node: nodeGen,
});

/**
 * A query whose WHERE / RETURN / ORDER BY mostly name aliases that exist:
 * the structure is drawn first, the references from what it declares.
 */
const generatedQuery = fc
  .tuple(nodeGen, fc.array(stepGen, { maxLength: 3 }), fc.shuffledSubarray(ALIASES, { minLength: ALIASES.length }))
  .chain(([start, steps, pool]) => {
    // Unique explicit aliases, and the names that may be referenced: those
    // before the first negated step, plus implicit ones (a name used once).
    let next = 0;
    const aliasOf = (named: boolean) => (named && next < pool.length ? pool[next++]! : null);
    const startAlias = aliasOf(start.named);
    const stepAliases = steps.map((st) => ({ edge: aliasOf(st.named), node: aliasOf(st.node.named) }));
    const firstNegated = steps.findIndex((st) => st.negated);
    const joined = firstNegated === -1 ? steps.length : firstNegated;
    const refs = [
      ...(startAlias ? [startAlias] : []),
      ...stepAliases.slice(0, joined).flatMap((a) => [a.edge, a.node].filter((x): x is string => x !== null)),
    ];
    const uses = new Map<string, number>();
    for (const n of [start, ...steps.map((st) => st.node)]) for (const t of n.targets) uses.set(t, (uses.get(t) ?? 0) + 1);
    // verbs are upper-cased by the parser: `has` and `HAS` are the same name, spelled `HAS` as an alias
    const verbsOf = (st: StepGen) => st.verbs.map((v) => v.toUpperCase());
    for (const st of steps) for (const v of verbsOf(st)) uses.set(v, (uses.get(v) ?? 0) + 1);
    const implicit = [...start.targets, ...steps.slice(0, joined).flatMap((st) => [...verbsOf(st), ...st.node.targets])].filter(
      (n) => uses.get(n) === 1 && /^[\p{L}_][\p{L}\p{N}_]*$/u.test(n),
    );
    const known = [...refs, ...implicit];
    const ref = known.length === 0 ? fc.constantFrom(...ALIASES) : fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.constantFrom(...ALIASES) });
    const refProp = fc.tuple(ref, prop).map(([a, p]) => (p.startsWith("[") ? `${a}.${p.slice(1, -1).replace(/\W/g, "") || "x"}` : `${a}.${p}`));
    const whereAtom = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(refProp, opAndOperand).map(([l, [op, r]]) => `${l} ${op} ${r}`) },
      { weight: 1, arbitrary: fc.tuple(refProp, fc.constantFrom("=", "!=", "<", ">=", "~=", "^="), refProp).map(([l, op, r]) => `${l} ${op} ${r}`) },
    );
    const where = fc
      .tuple(fc.array(whereAtom, { minLength: 1, maxLength: 3 }), fc.constantFrom("and", "or"))
      .map(([atoms, word]) => `where ${atoms.join(` ${word} `)}`);
    const returnExpr = fc.oneof(
      { weight: 2, arbitrary: ref },
      { weight: 1, arbitrary: ref.map((a) => `${a}.*`) },
      { weight: 4, arbitrary: refProp },
      { weight: 2, arbitrary: ref.map((a) => `count(${a})`) },
      { weight: 1, arbitrary: refProp.map((p) => `COUNT(${p})`) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom("min", "max", "avg", "sum", "MIN"), refProp).map(([f, p]) => `${f}(${p})`) },
    );
    // column names: plain, or quoted with spaces and symbols (`as 'Host Type'`, `as "# of x"`)
    const columnName = (i: number) =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constant(`r${i}`) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom(...NASTY.filter((v) => v !== ""), "Host Type", "# of Assets", "a.b"), fc.constantFrom<"'" | '"'>("'", '"'))
            .map(([v, q]) => quote(v, q)),
        },
      );
    const items = fc
      .uniqueArray(returnExpr, { minLength: 1, maxLength: 3 })
      .chain((exprs) =>
        fc.tuple(...exprs.map((e, i) => fc.option(columnName(i), { freq: 2 }).map((name) => (name === null ? e : `${e} as ${name}`)))),
      );
    const returns = fc.oneof(
      { weight: 2, arbitrary: fc.constant<string[] | "tree" | null>(null) },
      { weight: 1, arbitrary: fc.constant<string[] | "tree" | null>("tree") },
      { weight: 4, arbitrary: items.map((x): string[] | "tree" | null => x) },
    );
    return fc.tuple(returns, fc.option(where, { freq: 3 })).chain(([ret, w]) => {
      // ORDER BY: RETURN names (the only choice with aggregates), alias.prop,
      // or (without RETURN) the start's properties; now and then anything.
      const labels = Array.isArray(ret) ? ret.map((i) => (i.includes(" as ") ? i.slice(i.indexOf(" as ") + 4) : i)) : [];
      const aggregated = Array.isArray(ret) && ret.some((i) => /^(count|min|max|avg|sum)\(/i.test(i));
      const startProp = fc
        .tuple(fc.constantFrom(...(startAlias ? [`${startAlias}.`, ""] : [""])), prop)
        .map(([a, p]) => `${a}${p.startsWith("[") ? "name" : p}`);
      const keyArb = fc.oneof(
        { weight: labels.length > 0 ? 6 : 0, arbitrary: labels.length > 0 ? fc.constantFrom(...labels) : fc.constant("x") },
        { weight: aggregated ? 0 : ret === null ? 6 : 3, arbitrary: ret === null ? startProp : refProp },
        { weight: 1, arbitrary: fc.oneof(refProp, startProp) },
      );
      const order = fc
        .array(fc.tuple(keyArb, fc.constantFrom("", " asc", " DESC")), { minLength: 1, maxLength: 2 })
        .map((keys) => `order by ${keys.map(([k, d]) => `${k}${d}`).join(", ")}`);
      const count = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(250, 251, 9_007_199_254_740_991));
      return fc
        .tuple(
          fc.constantFrom("Find", "FIND", "find"),
          fc.constantFrom("", "", "", " UNIQUE"),
          fc.option(order, { freq: 3 }),
          fc.option(count, { freq: 4 }),
          fc.option(count, { freq: 3 }),
        )
        .map(([find, unique, o, skip, limit]) => {
          const node = (n: NodeGen, a: string | null) =>
            `${targetText(n.targets)}${n.filter === null ? "" : ` with ${n.filter}`}${a === null ? "" : ` as ${a}`}`;
          return [
            `${find}${unique} ${node(start, startAlias)}`,
            ...steps.map((st, i) => {
              const step = `that ${st.negated ? "!" : ""}${verbText(st.verbs)}${st.direction}${stepAliases[i]!.edge === null ? "" : ` as ${stepAliases[i]!.edge}`} ${node(st.node, stepAliases[i]!.node)}`;
              // optional traversals do not mix with negation yet (refused: unit-tested)
              return st.optional && i < joined ? `(${step})?` : step;
            }),
            w ?? "",
            ret === null ? "" : ret === "tree" ? "return tree" : `return ${ret.join(", ")}`,
            o ?? "",
            skip === null ? "" : `skip ${skip}`,
            limit === null ? "" : `limit ${limit}`,
          ]
            .filter((part) => part !== "")
            .join(" ");
        });
    });
  });

/** Documented queries with pieces swapped for others from the grammar. */
const mutatedQuery = fc
  .tuple(
    fc.constantFrom(...DOCUMENTED_QUERIES),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.oneof(
          fc.constantFrom(...CLASSES, ...TYPES, ...GARBAGE, ...VERBS, ...OPS, ...ALIASES),
          fc.constantFrom("!", ">>", "<<", "that", "as", "and", "or", "return", "tree", "unique", ",", "(", ")", "*"),
          stringValue,
          numberValue,
          dateValue,
        ),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([text, edits]) => {
    const parts = text.match(/\s+|'[^']*'|"[^"]*"|[\p{L}\p{N}_.]+|[^\s\p{L}\p{N}_]+/gu) ?? [text];
    for (const [at, replacement] of edits) {
      const i = at % parts.length;
      if (/^\s+$/.test(parts[i]!)) parts.splice(i, 0, ` ${replacement} `);
      else parts[i] = replacement;
    }
    return parts.join("");
  });

const anyQuery = fc.oneof({ weight: 3, arbitrary: generatedQuery }, { weight: 1, arbitrary: mutatedQuery });

// --------------------------------------------------------------- contract

/** String values, property keys and names of the query that must never reach the SQL text. */
function userStrings(query: Query): string[] {
  const out: string[] = [];
  const value = (v: Value) => {
    if (v.kind === "string") out.push(v.value);
  };
  // parameter values, as themselves and as filled into strings
  for (const v of Object.values(PARAMETERS)) if (typeof v === "string") out.push(v);
  const walk = (f: Filter | undefined) => {
    if (!f) return;
    if (f.kind !== "compare") return f.items.forEach(walk);
    // indexed keys are inlined on purpose (they match the expression indexes)
    const key = (name: string) => out.push(name);
    key(f.left.name);
    if (f.right.kind === "group") f.right.values.forEach(value);
    else if (f.right.kind === "prop") key(f.right.name);
    else value(f.right);
  };
  for (const n of [query.start, ...query.steps.map((s) => s.node)]) {
    walk(n.filter);
    for (const t of n.targets) out.push(t.name);
    if (n.alias) out.push(n.alias);
  }
  for (const s of query.steps) out.push(...s.verbs, ...(s.edgeAlias ? [s.edgeAlias] : []));
  walk(query.where);
  if (query.returns?.kind === "returnItems") {
    for (const item of query.returns.items) if (item.as) out.push(item.as);
  }
  // indexed keys are inlined on purpose (they match the expression indexes)
  return out.filter((s) => !Object.hasOwn(INDEXED_PROPERTIES, s));
}

/** Strings that cannot occur in generated SQL by chance: they carry quoting or comment characters, or non-ASCII. */
function mustNotAppear(s: string): boolean {
  return (s.length >= 4 && /['"\\;]|--|\/\*|[^\x20-\x7e]/.test(s)) || s.length >= 12;
}

function checkCompiled(text: string, dialect: GraphStore["dialect"]): void {
  let compiled: ReturnType<typeof compile>;
  try {
    compiled = compile(text, dialect, { now: NOW, parameters: PARAMETERS });
  } catch (error) {
    if (error instanceof QueryError) return;
    throw new Error(`compile(${JSON.stringify(text)}) threw ${String(error)}`, { cause: error });
  }
  const { sql, params } = compiled;
  for (const s of userStrings(parseQuery(text))) {
    if (mustNotAppear(s) && sql.includes(s)) {
      throw new Error(`${JSON.stringify(s)} from the query appears in the SQL of ${JSON.stringify(text)}`);
    }
  }
  const placeholder = dialect.name === "sqlite" ? /@p(\d+)\b/g : /\$(\d+)\b/g;
  const used = new Set([...sql.matchAll(placeholder)].map((m) => Number(m[1])));
  for (let i = 1; i <= params.length; i++) {
    if (!used.has(i)) throw new Error(`parameter ${i} of ${JSON.stringify(text)} is bound but unused`);
  }
  for (const n of used) {
    if (n < 1 || n > params.length) throw new Error(`placeholder ${n} of ${JSON.stringify(text)} is not bound`);
  }
}

function checkShape(result: QueryResult): void {
  expect(["list", "table", "tree"]).toContain(result.type);
  if (result.type === "tree") {
    expect(Array.isArray(result.data.vertices)).toBe(true);
    expect(Array.isArray(result.data.edges)).toBe(true);
    const ids = new Set(result.data.vertices.map((v) => v.id));
    for (const v of result.data.vertices) expect(typeof v.entity._key).toBe("string");
    for (const e of result.data.edges) {
      expect(ids.has(e.fromVertexId) && ids.has(e.toVertexId)).toBe(true);
    }
    return;
  }
  expect(Array.isArray(result.data)).toBe(true);
  expect(result.data.length).toBeLessThanOrEqual(250);
  if (result.cursor !== undefined) expect(typeof result.cursor).toBe("string");
  if (result.type === "list") {
    for (const item of result.data) {
      expect(typeof item.id).toBe("string");
      expect(item.entity._id).toBe(item.id);
      expect(typeof item.entity._key).toBe("string");
      expect(Array.isArray(item.entity._class)).toBe(true);
      expect(item.entity._deleted).toBe(false);
      expect(typeof item.properties).toBe("object");
    }
  } else {
    for (const row of result.data) expect(typeof row).toBe("object");
  }
}

type Outcome = { ok: QueryResult } | { queryError: string };

/** Run once; a QueryError is an outcome, any other error fails the property with the query. */
async function outcome(store: GraphStore, text: string): Promise<Outcome> {
  try {
    const ok = await runQuery(store, text, { now: NOW, parameters: PARAMETERS });
    checkShape(ok);
    return { ok };
  } catch (error) {
    if (error instanceof QueryError) return { queryError: error.message };
    throw new Error(
      `BUG on ${store.kind}: ${JSON.stringify(text)} failed with ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      { cause: error },
    );
  }
}


// ------------------------------------------------------------------- tests

describe("engine fuzzing", () => {
  let sqlite: SqliteStore;
  let postgres: PostgresStore | undefined;
  let pgUrl: string | undefined;
  let baseline: { entities: number; relationships: number };
  const tally = { ran: 0, queryErrors: 0 };
  const reasons: string[] = [];

  beforeAll(async () => {
    sqlite = SqliteStore.open(":memory:");
    await loadFixture(sqlite);
    baseline = await sqlite.counts();
  });

  afterAll(async () => {
    await sqlite.close();
    await postgres?.close();
    if (pgUrl) await dropTestDatabase(pgUrl);
  });

  it(
    "SQLite: every generated query runs or is a QueryError; values never reach the SQL",
    async () => {
      await fc.assert(
        fc.asyncProperty(anyQuery, async (text) => {
          checkCompiled(text, sqlite.dialect);
          const result = await outcome(sqlite, text);
          if ("ok" in result) tally.ran++;
          else {
            tally.queryErrors++;
            if (process.env.FUZZ_DEBUG) reasons.push(`${result.queryError.replace(/ at line.*/, "")}  <<  ${text}`);
          }
        }),
        { numRuns: runs(3000), seed: SEED },
      );
      if (process.env.FUZZ_DEBUG) console.log(reasons.sort().join("\n"), tally);
      // the grammar must mostly produce queries that reach the database
      expect(tally.ran).toBeGreaterThan(tally.queryErrors / 2);
      expect(await sqlite.counts()).toEqual(baseline);
    },
    TIMEOUT,
  );

  it(
    "SQLite: mutated documented queries",
    async () => {
      await fc.assert(
        fc.asyncProperty(mutatedQuery, async (text) => {
          checkCompiled(text, sqlite.dialect);
          await outcome(sqlite, text);
        }),
        { numRuns: runs(1500), seed: SEED },
      );
      expect(await sqlite.counts()).toEqual(baseline);
    },
    TIMEOUT,
  );

  it(
    "PostgreSQL: the same contract, and the same result as SQLite",
    async () => {
      pgUrl = await createTestDatabase();
      postgres = await PostgresStore.open(pgUrl);
      await loadFixture(postgres);
      const pg = postgres;
      expect(await pg.counts()).toEqual(baseline);
      await fc.assert(
        fc.asyncProperty(anyQuery, async (text) => {
          checkCompiled(text, pg.dialect);
          const [a, b] = [await outcome(sqlite, text), await outcome(pg, text)];
          expect({ text, result: withoutIds(b) }).toEqual({ text, result: withoutIds(a) });
        }),
        { numRuns: runs(300), seed: SEED },
      );
      expect(await pg.counts()).toEqual(baseline);
      expect(await sqlite.counts()).toEqual(baseline);
    },
    TIMEOUT,
  );

  it("the injection strings themselves leave the graph alone", async () => {
    for (const value of NASTY) {
      for (const text of [
        `Find CodeRepo with name = ${quote(value, "'")}`,
        `Find * with tags ~= ${quote(value, '"')} or [${value.replace(/[\]"\\]/g, "")}] = 1`,
        `Find CodeRepo as r where r.name != ${quote(value, "'")} return r.name as ${"n"} order by n`,
      ]) {
        checkCompiled(text, sqlite.dialect);
        await outcome(sqlite, text);
      }
    }
    expect(await sqlite.counts()).toEqual(baseline);
    const rows = await sqlite.select("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", []);
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["entities", "entity_classes", "relationships"]));
  });
});
