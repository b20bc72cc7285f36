/**
 * J1QL AST -> one parameterised SQL statement, through a Dialect.
 *
 * Two shapes of SQL:
 * - a query without RETURN selects the starting entities and tests each
 *   following step with EXISTS nested step by step (or, when a step's entity
 *   is pinned by `=` on an indexed property, with an uncorrelated `IN` so the
 *   database can start from that index). An either-direction step is one
 *   EXISTS over a UNION ALL of the two directed edge lookups: each arm uses
 *   its own edge index, and the SQL stays linear in the number of steps.
 * - a query with RETURN joins one table per node and per edge. Each step that
 *   may go either way doubles the number of arms: the query is a UNION ALL of
 *   one plain join per combination of directions, so no join condition holds
 *   an OR and the planner may start from whichever node is most selective.
 *
 * Every value is a bound parameter; property keys are parameters too, except
 * the allow-listed indexed ones, which are inlined as literals.
 */
import { QueryError, positionAt } from "../shared/errors.js";
import type {
  Comparison,
  CompareOp,
  Filter,
  NodeSpec,
  OrderKey,
  PropRef,
  Query,
  ReturnExpr,
  ReturnItem,
  Span,
  Step,
  Value,
  ValueGroup,
} from "./ast.js";
import { type Dialect, INDEXED_PROPERTIES, type Params, type ScalarKind } from "./dialect.js";
import { resolveDate } from "./values.js";

export const DEFAULT_PAGE_SIZE = 250;

export interface CompileOptions {
  /** epoch ms: the value of `date.now` */
  now: number;
  includeDeleted?: boolean;
  /** rows per page; undefined = no page limit (all rows up to the query's LIMIT) */
  pageSize?: number;
  /** rows of the result already returned (from a cursor) */
  offset?: number;
  /** values of the question parameters `{{name}}`; always bound, never written into SQL */
  parameters?: Readonly<Record<string, string | number | boolean>>;
}

/** What the runner does with one selected column. */
export type ColumnDecode =
  /** a property value as JSON (dialect.decodeJson) */
  | "json"
  /** a plain scalar */
  | "raw"
  /** a 0/1 or boolean column */
  | "bool"
  /** an id as text */
  | "id"
  /** a number from an aggregate */
  | "number"
  /** the id of an entity to fetch and show whole (`RETURN a`) */
  | "entity"
  /** the id of an entity to expand into one column per property (`RETURN a.*`) */
  | "entityAll"
  | "edge"
  | "edgeAll";

export interface OutputColumn {
  /** SQL column name, generated (c1, c2, ...), never user text */
  sqlName: string;
  /** the result's column label (`m.dueDate`, or the AS name) */
  label: string;
  decode: ColumnDecode;
  /** the property the column's values come from (`m.dueDate as due`: dueDate; `max(m.dueDate)`: dueDate); none for whole entities and counts */
  property?: string;
}

export interface CompiledList {
  shape: "list";
  sql: string;
  params: unknown[];
  /** rows requested beyond the page (to know whether a next page exists) */
  pageSize?: number;
}

export interface CompiledTable {
  shape: "table";
  sql: string;
  params: unknown[];
  columns: OutputColumn[];
  pageSize?: number;
  /** the joined steps to an open `*` node (see MAX_OPEN_STEPS) */
  openSteps: Span[];
}

export interface CompiledTree {
  shape: "tree";
  sql: string;
  params: unknown[];
  /** sql column names holding entity ids / relationship ids */
  vertexColumns: string[];
  edgeColumns: string[];
  /** the joined steps to an open `*` node (see MAX_OPEN_STEPS) */
  openSteps: Span[];
}

export type CompiledQuery = CompiledList | CompiledTable | CompiledTree;

/** Columns of `entities` the list shape selects (decoded by the runner). */
export const ENTITY_SELECT = (t: string, d: Dialect) =>
  `${d.idText(`${t}.id`)} AS id, ${t}.key AS key, ${t}.type AS type, ${t}.classes AS classes, ${t}.display_name AS display_name, ` +
  `${t}.source AS source, ${t}.props AS props, ${t}.created_on AS created_on, ${t}.begin_on AS begin_on, ` +
  `${t}.version AS version, ${t}.deleted AS deleted`;

/** The columns of a relationship that WHERE may name through an edge alias. */
const EDGE_SELECT = (r: string) =>
  `${r}.id, ${r}.key, ${r}.type, ${r}.class, ${r}.from_id, ${r}.to_id, ${r}.source, ${r}.props, ${r}.created_on, ${r}.begin_on, ${r}.last_seen_on, ${r}.version, ${r}.deleted`;

interface NodeCtx {
  spec: NodeSpec;
  table: string;
  /** index of the step that reaches it (0 for the start node) */
  index: number;
  /** inside a negated step: cannot be named in WHERE; null in RETURN / ORDER BY */
  negated: boolean;
}

interface EdgeCtx {
  step: Step;
  table: string;
  index: number;
  negated: boolean;
}

/**
 * One arm of a join (RETURN, TREE, or a list with optional traversals): for
 * each step before the first negated one, the direction it is joined in, or
 * undefined when the arm skips the step's optional group.
 */
type ArmPlan = (Direction | undefined)[];

type AliasTarget = { kind: "node"; node: NodeCtx } | { kind: "edge"; edge: EdgeCtx };

type ColumnType = "string" | "number" | "boolean" | "id";

/** Where a property reference reads from. */
type PropTarget =
  | { kind: "json"; table: string; key: string; entities: boolean }
  | { kind: "column"; sql: string; type: ColumnType; nullable: boolean }
  | { kind: "classes"; table: string };

/**
 * Metadata read from the record's columns, not its properties. JupiterOne's
 * integration metadata comes from `source` (the integration instance that
 * wrote the record, e.g. `git:/srv/repo`; `import`, `api` otherwise):
 * `_integrationInstanceId` and `_integrationName` are the instance itself,
 * `_integrationType` the integration id before its first `:`.
 */
const INTEGRATION_COLUMNS: Record<string, { column: string; type: ColumnType; nullable?: boolean; integrationType?: true }> = {
  _integrationInstanceId: { column: "source", type: "string", nullable: true },
  _integrationName: { column: "source", type: "string", nullable: true },
  _integrationType: { column: "source", type: "string", nullable: true, integrationType: true },
};

const ENTITY_COLUMNS: Record<string, { column: string; type: ColumnType; nullable?: boolean; integrationType?: true }> = {
  ...INTEGRATION_COLUMNS,
  _id: { column: "id", type: "id" },
  _key: { column: "key", type: "string" },
  _type: { column: "type", type: "string" },
  displayName: { column: "display_name", type: "string", nullable: true },
  _source: { column: "source", type: "string", nullable: true },
  _createdOn: { column: "created_on", type: "number" },
  _beginOn: { column: "begin_on", type: "number" },
  _lastSeenOn: { column: "last_seen_on", type: "number" },
  _version: { column: "version", type: "number" },
  _deleted: { column: "deleted", type: "boolean" },
};

const EDGE_COLUMNS: Record<string, { column: string; type: ColumnType; nullable?: boolean; integrationType?: true }> = {
  ...INTEGRATION_COLUMNS,
  _id: { column: "id", type: "id" },
  _key: { column: "key", type: "string" },
  _type: { column: "type", type: "string" },
  _class: { column: "class", type: "string" },
  _fromEntityId: { column: "from_id", type: "id" },
  _toEntityId: { column: "to_id", type: "id" },
  _source: { column: "source", type: "string", nullable: true },
  _createdOn: { column: "created_on", type: "number" },
  _beginOn: { column: "begin_on", type: "number" },
  _lastSeenOn: { column: "last_seen_on", type: "number" },
  _version: { column: "version", type: "number" },
  _deleted: { column: "deleted", type: "boolean" },
};

type Direction = "forward" | "backward";

/**
 * Size limits (see Compiler.checkSize). SQLite accepts at most 32766 bound
 * values. Measured on the engine test graph (80 entities), PostgreSQL takes
 * 0.7 s to plan a RETURN over 12 steps and 0.3 s for 5 steps that may go
 * either way (1.2 s for 6): the planner, not the data, sets these.
 */
export const MAX_STEPS = 12;
export const MAX_EITHER_WAY_STEPS = 5;
/**
 * UNION ALL arms of a join: each step that may go either way doubles them,
 * and so does each optional traversal (taken or skipped).
 */
export const MAX_ARMS = 2 ** MAX_EITHER_WAY_STEPS;
export const MAX_PARAMETERS = 30_000;
/**
 * RETURN items and ORDER BY keys. A property column is sorted on four typed
 * keys (Dialect.jsonSortKeys) and every RETURN column is a tie-breaker, so a
 * table query's outer SELECT holds up to 5 x (items + keys) expressions:
 * 1,500 here, under PostgreSQL's 1,664 target-list entries and SQLite's
 * 2,000 result columns and ORDER BY terms (3,000 items failed there with an
 * internal error). The same limits on both databases.
 */
export const MAX_RETURN_ITEMS = 250;
/**
 * A query with RETURN joins every path, and each step to `*` with no class,
 * type or WITH filter multiplies the paths by the average degree. Measured
 * on 4,647 entities / 10,349 relationships (SQLite): `Find * that RELATES TO
 * *` ... `return count(...)` takes 0.3 s with one such step, 1.1 s with
 * two, more than 20 s with three (RETURN TREE: 0.7 s, 9.7 s, > 20 s); the
 * same queries without RETURN stop at the first path (under 0.5 s). So once
 * the graph holds more than OPEN_STEPS_GRAPH relationships, the runner
 * refuses a RETURN query with more than MAX_OPEN_STEPS open steps, asking for
 * a class or type (on a small graph they cost nothing and still run).
 */
export const MAX_OPEN_STEPS = 2;
export const OPEN_STEPS_GRAPH = 1_000;
export const MAX_ORDER_KEYS = 50;

const NEGATED: Partial<Record<CompareOp, CompareOp>> = { "!=": "=", "!~=": "~=", "!^=": "^=", "!$=": "$=" };

export function compileQuery(text: string, query: Query, dialect: Dialect, options: CompileOptions): CompiledQuery {
  return new Compiler(text, query, dialect, options).compile();
}

class Compiler {
  private readonly params: Params;
  private readonly nodes: NodeCtx[] = [];
  private readonly edges: EdgeCtx[] = [];
  private readonly aliases = new Map<string, AliasTarget>();
  /** first negated step index, or steps.length */
  private readonly firstNegated: number;
  /** Aliases of negated steps may be named (RETURN, ORDER BY of a table): they read as null. */
  private negatedReadsNull = false;

  constructor(
    private readonly text: string,
    private readonly q: Query,
    private readonly d: Dialect,
    private readonly options: CompileOptions,
  ) {
    this.params = d.newParams();
    const firstNegated = q.steps.findIndex((s) => s.negated);
    this.firstNegated = firstNegated === -1 ? q.steps.length : firstNegated;
    this.nodes.push({ spec: q.start, table: "e0", index: 0, negated: false });
    q.steps.forEach((step, i) => {
      const negated = i >= this.firstNegated;
      this.edges.push({ step, table: `r${i + 1}`, index: i + 1, negated });
      this.nodes.push({ spec: step.node, table: `e${i + 1}`, index: i + 1, negated });
    });
    this.collectAliases();
    this.checkOptionalGroups();
  }

  /** Optional traversals and negated steps do not mix yet. */
  private checkOptionalGroups(): void {
    for (const group of this.q.optionalGroups ?? []) {
      for (let i = group.from; i < group.to; i++) {
        const step = this.q.steps[i]!;
        if (step.negated) this.fail("a negated step (THAT !...) inside an optional traversal is not supported yet", step);
      }
      if (group.from > this.firstNegated) {
        this.fail("an optional traversal after a negated step (THAT !...) is not supported yet", group);
      }
    }
  }

  private fail(message: string, at: Span | undefined, expected?: string[]): never {
    throw new QueryError(
      message,
      this.text,
      at ? positionAt(this.text, at.pos, Math.max(1, at.end - at.pos)) : undefined,
      { expected },
    );
  }

  private collectAliases(): void {
    const explicit = new Map<string, Span>();
    const claim = (name: string, span: Span, target: AliasTarget) => {
      if (explicit.has(name)) this.fail(`the alias "${name}" is used twice`, span);
      explicit.set(name, span);
      this.aliases.set(name, target);
    };
    for (const node of this.nodes) if (node.spec.alias) claim(node.spec.alias, node.spec, { kind: "node", node });
    for (const edge of this.edges) if (edge.step.edgeAlias) claim(edge.step.edgeAlias, edge.step, { kind: "edge", edge });
    // A class, type or verb used only once can serve as its own alias.
    const uses = new Map<string, AliasTarget[]>();
    const note = (name: string, target: AliasTarget) => uses.set(name, [...(uses.get(name) ?? []), target]);
    for (const node of this.nodes) for (const t of node.spec.targets) note(t.name, { kind: "node", node });
    for (const edge of this.edges) for (const v of edge.step.verbs) note(v, { kind: "edge", edge });
    for (const [name, targets] of uses) {
      if (targets.length === 1 && !this.aliases.has(name)) this.aliases.set(name, targets[0]!);
    }
  }

  compile(): CompiledQuery {
    const q = this.q;
    this.checkSize();
    const compiled =
      q.returns === undefined
        ? this.compileList()
        : q.returns.kind === "returnTree"
          ? this.compileTree()
          : this.compileTable();
    if (compiled.params.length > MAX_PARAMETERS) {
      this.fail(
        `the query is too large (${compiled.params.length} bound values, at most ${MAX_PARAMETERS}); use fewer values or steps`,
        q,
      );
    }
    return compiled;
  }

  /**
   * Refuse queries whose SQL the databases would reject (SQLite: "at most 64
   * tables in a join", "too many terms in compound SELECT", "too many columns
   * in result set", "too many terms in ORDER BY clause"; PostgreSQL: "target
   * lists can have at most 1664 entries") with a message
   * that says what to change. A RETURN query has one UNION ALL arm per
   * combination of directions, so each step that may go either way doubles
   * it; a query without RETURN stays linear and has no such limit.
   */
  private checkSize(): void {
    const { returns, orderBy } = this.q;
    if (returns?.kind === "returnItems" && returns.items.length > MAX_RETURN_ITEMS) {
      this.fail(
        `too many RETURN items (${returns.items.length}, at most ${MAX_RETURN_ITEMS}); return fewer, or a whole entity with alias or alias.*`,
        returns.items[MAX_RETURN_ITEMS],
      );
    }
    if (orderBy.length > MAX_ORDER_KEYS) {
      this.fail(`too many ORDER BY keys (${orderBy.length}, at most ${MAX_ORDER_KEYS})`, orderBy[MAX_ORDER_KEYS]);
    }
    const steps = this.q.steps;
    if (steps.length > MAX_STEPS) {
      this.fail(`too many steps (${steps.length}, at most ${MAX_STEPS})`, steps[MAX_STEPS]);
    }
    const eitherWay = steps.filter((s, i) => s.direction === "both" && i < this.firstNegated);
    if (!this.joins()) return;
    if (eitherWay.length > MAX_EITHER_WAY_STEPS && !this.q.optionalGroups) {
      this.fail(
        `too many steps that may go either way (at most ${MAX_EITHER_WAY_STEPS}); give the others a direction with >> or <<`,
        eitherWay[MAX_EITHER_WAY_STEPS],
      );
    }
    const arms = this.armPlans().length;
    if (arms > MAX_ARMS) {
      this.fail(
        `too many combinations of optional traversals and steps that may go either way (${arms}, at most ${MAX_ARMS}); ` +
          "give steps a direction with >> or <<, or use fewer optional traversals",
        this.q.optionalGroups?.[0] ?? this.q,
      );
    }
  }

  /** Whether the query is compiled as joins (RETURN, TREE, or optional traversals). */
  private joins(): boolean {
    return this.q.returns !== undefined || this.q.optionalGroups !== undefined;
  }

  /** Joined (non-negated) steps whose node is `*` without a WITH filter. */
  private openSteps(): Span[] {
    return this.q.steps
      .slice(0, this.firstNegated)
      .filter((step) => step.node.targets.length === 0 && step.node.filter === undefined);
  }

  // ---------------------------------------------------------------- values

  private param(value: unknown): string {
    return this.params.add(value);
  }

  /** The value of the question parameter `{{name}}`, or a QueryError naming it. */
  private parameter(ref: Span & { name: string }): string | number | boolean {
    const parameters = this.options.parameters ?? {};
    const value = Object.hasOwn(parameters, ref.name) ? parameters[ref.name] : undefined;
    if (value === undefined) {
      this.fail(
        `the parameter "${ref.name}" has no value; give it with --param ${ref.name}=... (API: "parameters")`,
        ref,
      );
    }
    if (typeof value === "number" && !Number.isFinite(value)) this.fail(`the parameter "${ref.name}" is not a finite number`, ref);
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      this.fail(`the parameter "${ref.name}" must be a string, a number or a boolean`, ref);
    }
    return value;
  }

  private scalarOf(value: Value): { kind: ScalarKind; value: string | number | boolean } | undefined {
    switch (value.kind) {
      case "param": {
        const filled = this.parameter(value);
        if (typeof filled === "string") return this.scalarOf({ kind: "string", value: filled, pos: value.pos, end: value.end });
        return { kind: typeof filled === "number" ? "number" : "boolean", value: filled };
      }
      case "string": {
        // A parameter inside a string is replaced by its text ("@{{domain}}" -> "@example.com").
        const text = value.template
          ? value.template.map((part) => (typeof part === "string" ? part : String(this.parameter(part)))).join("")
          : value.value;
        // PostgreSQL rejects NUL in a text parameter and cannot store one;
        // refuse it on both databases so they answer alike.
        if (text.includes("\u0000")) {
          this.fail("string values cannot contain the NUL character (\\u0000)", value);
        }
        return { kind: "string", value: text };
      }
      case "number":
        return { kind: "number", value: value.value };
      case "boolean":
        return { kind: "boolean", value: value.value };
      case "date":
        return { kind: "number", value: value.value };
      case "relativeDate": {
        // A calendar step past JavaScript's date range gives NaN, which SQLite
        // binds as NULL (matches nothing) and PostgreSQL as numeric NaN (above
        // every number): refuse it on both.
        let amount = value.amount;
        if (value.amountParameter) {
          const filled = this.parameter(value.amountParameter);
          if (typeof filled !== "number" || !Number.isFinite(filled)) {
            this.fail(`{{${value.amountParameter.name}}} is used as a number of ${value.unit}s: give it a number, not ${JSON.stringify(filled)}`, value.amountParameter);
          }
          amount = value.amount * filled;
        }
        const ms = resolveDate(this.options.now, amount, value.unit);
        if (!Number.isFinite(ms)) this.fail("date out of range (more than 270,000 years from now)", value);
        return { kind: "number", value: ms };
      }
      case "undefined":
        return undefined;
    }
  }

  // ------------------------------------------------------------ properties

  private resolveAlias(name: string, at: Span): AliasTarget {
    const target = this.aliases.get(name);
    if (!target) {
      const known = [...this.aliases.keys()];
      this.fail(`unknown alias "${name}"`, at, known.length > 0 ? known.map((k) => `"${k}"`) : undefined);
    }
    const negated = target.kind === "node" ? target.node.negated : target.edge.negated;
    if (negated && !this.negatedReadsNull) {
      this.fail(`"${name}" is inside a negated step (THAT !...) and cannot be used here`, at);
    }
    return target;
  }

  private keyIsValid(key: string, at: Span): void {
    if (key.includes('"') || key.includes("\\")) {
      this.fail(`property names with quotes or backslashes are not supported yet ("${key}")`, at);
    }
    // A NUL ends SQLite's JSON path and PostgreSQL rejects it in any text
    // parameter; no stored key can hold one.
    if (key.includes("\u0000")) this.fail("property names cannot contain the NUL character (\\u0000)", at);
  }

  private entityProp(table: string, key: string, at: Span): PropTarget {
    if (key === "_class") return { kind: "classes", table };
    const column = Object.hasOwn(ENTITY_COLUMNS, key) ? ENTITY_COLUMNS[key] : undefined;
    if (column) return this.metadataColumn(table, column);
    this.keyIsValid(key, at);
    return { kind: "json", table, key, entities: true };
  }

  private edgeProp(table: string, key: string, at: Span): PropTarget {
    const column = Object.hasOwn(EDGE_COLUMNS, key) ? EDGE_COLUMNS[key] : undefined;
    if (column) return this.metadataColumn(table, column);
    this.keyIsValid(key, at);
    return { kind: "json", table, key, entities: false };
  }

  private metadataColumn(
    table: string,
    column: { column: string; type: ColumnType; nullable?: boolean; integrationType?: true },
  ): PropTarget {
    const sql = `${table}.${column.column}`;
    return {
      kind: "column",
      sql: column.integrationType ? this.d.integrationType(sql) : sql,
      type: column.type,
      nullable: !!column.nullable,
    };
  }

  /** A property in WHERE / RETURN / ORDER BY: `alias.name`. */
  private aliasedProp(ref: PropRef): PropTarget {
    if (ref.alias === undefined) {
      this.fail(`"${ref.name}" needs an alias here (write alias.${ref.name})`, ref);
    }
    const target = this.resolveAlias(ref.alias, ref);
    return target.kind === "node"
      ? this.entityProp(target.node.table, ref.name, ref)
      : this.edgeProp(target.edge.table, ref.name, ref);
  }

  // ------------------------------------------------------------ conditions

  private and(parts: string[]): string {
    const kept = parts.filter((p) => p !== "");
    if (kept.length === 0) return this.d.bool(true);
    return joinBalanced(kept, "AND");
  }

  private or(parts: string[]): string {
    return joinBalanced(parts, "OR");
  }

  private not(condition: string): string {
    return `NOT COALESCE(${condition}, ${this.d.bool(false)})`;
  }

  private compileFilter(filter: Filter, resolve: (ref: PropRef) => PropTarget): string {
    switch (filter.kind) {
      case "and":
        return this.and(filter.items.map((f) => this.compileFilter(f, resolve)));
      case "or":
        return this.or(filter.items.map((f) => this.compileFilter(f, resolve)));
      case "compare":
        return this.compileComparison(filter, resolve);
    }
  }

  private compileComparison(c: Comparison, resolve: (ref: PropRef) => PropTarget): string {
    const left = resolve(c.left);
    const negatedOf = NEGATED[c.op];
    const base = negatedOf ?? c.op;
    let positive: string;
    if (c.right.kind === "prop") {
      positive = this.compareProps(left, base, resolve(c.right), c);
    } else if (c.right.kind === "group") {
      positive = this.compareGroup(left, base, c.right);
    } else {
      positive = this.compareValue(left, base, c.right);
    }
    return negatedOf ? this.not(positive) : positive;
  }

  private compareGroup(target: PropTarget, op: CompareOp, group: ValueGroup): string {
    if (op === "=" && group.combinator === "or") return this.equalsAny(target, group);
    const parts = group.values.map((v) => this.compareValue(target, op, v));
    return group.combinator === "or" ? this.or(parts) : this.and(parts);
  }

  /**
   * `p = (v1 or v2 or ...)`: the strings, and the numbers (dates included),
   * each become ONE list parameter and one membership test
   * (Dialect.listParam / inList) with the same typed semantics as `p = v`;
   * `true`, `false` and `undefined` keep their own tests. ORing one
   * comparison per value grew faster than the list (6,000 values: 35 s in
   * SQLite, 500: 0.5 s).
   */
  private equalsAny(target: PropTarget, group: ValueGroup): string {
    const lists: Record<"string" | "number", (string | number)[]> = { string: [], number: [] };
    const others: Value[] = [];
    for (const value of group.values) {
      const scalar = this.scalarOf(value);
      if (scalar && scalar.kind !== "boolean") lists[scalar.kind].push(scalar.value as string | number);
      else others.push(value);
    }
    const parts: string[] = [];
    for (const kind of ["string", "number"] as const) {
      const values = [...new Set(lists[kind])];
      if (values.length > 0) parts.push(this.inAnyOf(target, kind, values));
    }
    for (const value of others) parts.push(this.compareValue(target, "=", value));
    return this.or(parts);
  }

  /** The property equals one of `values` (all of `kind`), through one list parameter. */
  private inAnyOf(target: PropTarget, kind: "string" | "number", values: (string | number)[]): string {
    const d = this.d;
    switch (target.kind) {
      case "column": {
        const type = target.type === "id" ? "string" : target.type;
        if (type !== kind) return d.bool(false);
        return d.inList(target.type === "id" ? d.idText(target.sql) : target.sql, d.listParam(this.params, kind, values));
      }
      case "classes": {
        if (kind !== "string") return d.bool(false);
        const list = d.listParam(this.params, kind, values);
        return `EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = ${target.table}.id AND ${d.inList("c.class", list)})`;
      }
      case "json": {
        const keyRef = d.keyRef(this.params, target.key);
        const list = d.listParam(this.params, kind, values);
        if (target.entities && kind === "string" && INDEXED_PROPERTIES[target.key] === "string") {
          // Two index lookups instead of a scan (see INDEXED_PROPERTIES).
          return (
            `${target.table}.id IN (SELECT x.id FROM entities x WHERE ${d.inList(d.typed("x", keyRef, "string"), list)} ` +
            `UNION ALL SELECT x.id FROM entities x WHERE ${d.anyElement("x", keyRef, "string", (elem) => d.inList(elem, list))})`
          );
        }
        const direct = d.inList(d.typed(target.table, keyRef, kind), list);
        return `(${direct} OR ${d.anyElement(target.table, keyRef, kind, (elem) => d.inList(elem, list))})`;
      }
    }
  }

  /** `left OP right` for a positive operator; the string operators through the dialect. */
  private applyOp(op: CompareOp, left: string, right: string): string {
    switch (op) {
      case "~=":
        return this.d.contains(left, right);
      case "^=":
        return this.d.startsWith(left, right);
      case "$=":
        return this.d.endsWith(left, right);
      default:
        return `${left} ${op} ${right}`;
    }
  }

  /** The positive comparison (`=`, `<`..., `~=`, `^=`, `$=`) of a property with one value. */
  private compareValue(target: PropTarget, op: CompareOp, value: Value): string {
    const d = this.d;
    const scalar = this.scalarOf(value);
    if (!scalar) {
      if (op !== "=") this.fail(`${op} cannot compare with undefined; use = or !=`, value);
      switch (target.kind) {
        case "json": {
          const keyRef = d.keyRef(this.params, target.key);
          // COALESCE: on a null row (a skipped optional traversal) PostgreSQL's `?` is NULL.
          return this.not(d.present(target.table, keyRef));
        }
        case "column":
          return target.nullable ? `${target.sql} IS NULL` : d.bool(false);
        case "classes":
          return d.bool(false);
      }
    }
    const isRange = op === "<" || op === ">" || op === "<=" || op === ">=";
    const isString = op === "~=" || op === "^=" || op === "$=";
    if (isRange && scalar.kind !== "number") {
      this.fail(`${op} compares numbers and dates; ${JSON.stringify(scalar.value)} is not one`, value);
    }
    if (isString && scalar.kind !== "string") {
      this.fail(`${op} compares strings; ${JSON.stringify(scalar.value)} is not a string`, value);
    }
    const test = (expr: string, p: string): string => this.applyOp(op, expr, p);
    switch (target.kind) {
      case "column": {
        const type = target.type === "id" ? "string" : target.type;
        if (type !== scalar.kind) return d.bool(false);
        const expr = target.type === "id" ? d.idText(target.sql) : target.sql;
        return test(expr, type === "number" ? d.numberParam(this.param(scalar.value)) : this.param(scalar.value));
      }
      case "classes": {
        if (scalar.kind !== "string") return d.bool(false);
        const p = this.param(scalar.value);
        return `EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = ${target.table}.id AND ${test("c.class", p)})`;
      }
      case "json": {
        const keyRef = d.keyRef(this.params, target.key);
        const p = this.param(scalar.value);
        const direct = test(d.typed(target.table, keyRef, scalar.kind), p);
        const inArray = d.anyElement(target.table, keyRef, scalar.kind, (elem) => test(elem, p));
        if (
          op === "=" &&
          target.entities &&
          scalar.kind === "string" &&
          INDEXED_PROPERTIES[target.key] === "string"
        ) {
          // Two index lookups instead of a scan (see INDEXED_PROPERTIES).
          return (
            `${target.table}.id IN (SELECT x.id FROM entities x WHERE ${d.typed("x", keyRef, "string")} = ${p} ` +
            `UNION ALL SELECT x.id FROM entities x WHERE ${d.anyElement("x", keyRef, "string", (elem) => `${elem} = ${p}`)})`
          );
        }
        return `(${direct} OR ${inArray})`;
      }
    }
  }

  /** `a.x = b.y` in WHERE. */
  private compareProps(left: PropTarget, op: CompareOp, right: PropTarget, at: Span): string {
    const d = this.d;
    if (left.kind === "classes" || right.kind === "classes") {
      this.fail("comparing _class between two aliases is not supported yet", at);
    }
    // Check that both sides can be of a kind before emitting either: typing a
    // JSON side binds its key, and PostgreSQL refuses a statement with a
    // bound parameter that no SQL uses ("could not determine data type").
    const canBe = (t: PropTarget, kind: ScalarKind): boolean =>
      t.kind === "json" || (t.kind === "column" && (t.type === "id" ? "string" : t.type) === kind);
    const typedAs = (t: PropTarget, kind: ScalarKind): string => {
      if (t.kind === "json") return d.typed(t.table, d.keyRef(this.params, t.key), kind);
      if (t.kind === "column") return t.type === "id" ? d.idText(t.sql) : t.sql;
      throw new Error("unreachable");
    };
    if (op === "=") {
      if (left.kind === "json" && right.kind === "json") {
        return d.jsonEqual(left.table, d.keyRef(this.params, left.key), right.table, d.keyRef(this.params, right.key));
      }
      const kinds: ScalarKind[] = ["string", "number", "boolean"];
      const parts = kinds.flatMap((k) =>
        canBe(left, k) && canBe(right, k) ? [`${typedAs(left, k)} = ${typedAs(right, k)}`] : [],
      );
      return parts.length === 0 ? d.bool(false) : this.or(parts);
    }
    const kind: ScalarKind = op === "~=" || op === "^=" || op === "$=" ? "string" : "number";
    if (!canBe(left, kind) || !canBe(right, kind)) return d.bool(false);
    return this.applyOp(op, typedAs(left, kind), typedAs(right, kind));
  }

  // ----------------------------------------------------------------- nodes

  private notDeleted(table: string): string {
    return this.options.includeDeleted ? "" : `${table}.deleted = ${this.d.bool(false)}`;
  }

  /** Whether a node is pinned by `=` on an indexed string property (selective). */
  private isPinned(spec: NodeSpec): boolean {
    const walk = (f: Filter | undefined): boolean => {
      if (!f) return false;
      if (f.kind === "and") return f.items.some(walk);
      if (f.kind === "or") return f.items.every(walk);
      return (
        f.op === "=" &&
        INDEXED_PROPERTIES[f.left.name] === "string" &&
        (f.right.kind === "string" ||
          (f.right.kind === "group" && f.right.combinator === "or" && f.right.values.every((v) => v.kind === "string")))
      );
    };
    return walk(spec.filter);
  }

  /**
   * Conditions on one node's own table: not deleted, its targets, its WITH
   * filter. `drive` asks for the class lookup in a form the planner can start
   * from (the first node of a query).
   */
  private nodeConditions(node: NodeCtx, drive: boolean): string {
    const t = node.table;
    const spec = node.spec;
    const parts = [this.notDeleted(t)];
    const types = spec.targets.filter((x) => x.kind === "type").map((x) => x.name);
    const classes = spec.targets.filter((x) => x.kind === "class").map((x) => x.name);
    const targetTests: string[] = [];
    if (types.length > 0) {
      targetTests.push(
        types.length === 1
          ? `${t}.type = ${this.param(types[0])}`
          : `${t}.type IN (${types.map((x) => this.param(x)).join(", ")})`,
      );
    }
    if (classes.length > 0) {
      const list = classes.map((x) => this.param(x));
      const match = list.length === 1 ? `c.class = ${list[0]}` : `c.class IN (${list.join(", ")})`;
      targetTests.push(
        drive && !this.isPinned(spec)
          ? `${t}.id IN (SELECT c.entity_id FROM entity_classes c WHERE ${match})`
          : `EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = ${t}.id AND ${match})`,
      );
    }
    if (targetTests.length > 0) parts.push(this.or(targetTests));
    if (spec.filter) {
      parts.push(this.compileFilter(spec.filter, (ref) => this.entityProp(t, ref.name, ref)));
    }
    return this.and(parts);
  }

  private verbTest(edge: EdgeCtx): string {
    const verbs = edge.step.verbs;
    if (verbs.length === 0) return "";
    const list = verbs.map((v) => this.param(v));
    return list.length === 1 ? `${edge.table}.class = ${list[0]}` : `${edge.table}.class IN (${list.join(", ")})`;
  }

  private directions(step: Step): Direction[] {
    return step.direction === "both" ? ["forward", "backward"] : [step.direction];
  }

  // --------------------------------------------------- start-set (no RETURN)

  /** Aliases named by the WHERE clause, as node/edge indexes. */
  private whereDepth(): number {
    let depth = 0;
    const walk = (f: Filter) => {
      if (f.kind !== "compare") return f.items.forEach(walk);
      for (const ref of [f.left, f.right]) {
        if (ref.kind !== "prop" || ref.alias === undefined) continue;
        const target = this.resolveAlias(ref.alias, ref);
        depth = Math.max(depth, target.kind === "node" ? target.node.index : target.edge.index);
      }
    };
    if (this.q.where) walk(this.q.where);
    return depth;
  }

  private whereCondition(): string {
    return this.q.where ? this.compileFilter(this.q.where, (ref) => this.aliasedProp(ref)) : "";
  }

  /**
   * The test that node `from` (already in scope) has a path through steps
   * `i..` : EXISTS chains, or an uncorrelated IN for a pinned step.
   */
  private stepChain(i: number, whereAt: number, from = this.nodes[i]!.table): string {
    if (i >= this.q.steps.length) return "";
    const edge = this.edges[i]!;
    const node = this.nodes[i + 1]!;
    const r = edge.table;
    const e = node.table;
    const inner = (): string =>
      this.and([
        this.verbTest(edge),
        this.notDeleted(r),
        this.nodeConditions(node, false),
        i + 1 === whereAt ? this.whereCondition() : "",
        this.stepChain(i + 1, whereAt),
      ]);
    // An uncorrelated IN needs nothing from outer scopes below this step.
    const uncorrelated = whereAt <= i;
    if (!edge.step.negated && uncorrelated && this.subtreePinned(i)) {
      const arms = this.directions(edge.step).map((dir) => {
        const [near, far] = dir === "forward" ? ["from_id", "to_id"] : ["to_id", "from_id"];
        return `SELECT ${r}.${near} FROM relationships ${r} JOIN entities ${e} ON ${e}.id = ${r}.${far} WHERE ${inner()}`;
      });
      return `${from}.id IN (${arms.join(" UNION ALL ")})`;
    }
    const dirs = this.directions(edge.step);
    let any: string;
    if (dirs.length === 1) {
      const arms = dirs.map((dir) => {
        const [near, far] = dir === "forward" ? ["from_id", "to_id"] : ["to_id", "from_id"];
        return `EXISTS (SELECT 1 FROM relationships ${r} JOIN entities ${e} ON ${e}.id = ${r}.${far} WHERE ${r}.${near} = ${from}.id AND ${inner()})`;
      });
      any = this.or(arms);
    } else {
      // Either direction: one EXISTS over a UNION ALL of the two directed
      // edge lookups. Each arm is correlated on its own index, and the SQL
      // stays linear in the number of steps (an OR of two EXISTS would copy
      // the rest of the path into both).
      const arms = dirs.map((dir) => {
        const [near, far] = dir === "forward" ? ["from_id", "to_id"] : ["to_id", "from_id"];
        return `SELECT ${EDGE_SELECT(r)}, ${r}.${far} AS other_id FROM relationships ${r} WHERE ${r}.${near} = ${from}.id AND ${this.and([this.verbTest(edge), this.notDeleted(r)])}`;
      });
      const rest = this.and([
        this.nodeConditions(node, false),
        i + 1 === whereAt ? this.whereCondition() : "",
        this.stepChain(i + 1, whereAt),
      ]);
      any = `EXISTS (SELECT 1 FROM (${arms.join(" UNION ALL ")}) ${r} JOIN entities ${e} ON ${e}.id = ${r}.other_id WHERE ${rest})`;
    }
    return edge.step.negated ? `NOT ${any}` : any;
  }

  /** A step (or one after it, with no negation between) is pinned by an indexed equality. */
  private subtreePinned(i: number): boolean {
    for (let j = i; j < this.q.steps.length; j++) {
      if (this.q.steps[j]!.negated) return false;
      if (this.isPinned(this.q.steps[j]!.node)) return true;
    }
    return false;
  }

  private compileList(): CompiledList {
    const q = this.q;
    const start = this.nodes[0]!;
    let where: string;
    if (q.optionalGroups) {
      // The starting entities of every arm (each optional traversal taken or skipped).
      const arms = this.armPlans().map((plan) => `SELECT ${start.table}.id ${this.joinArm(plan)}`);
      where = `${start.table}.id IN (${arms.join(" UNION ALL ")})`;
    } else {
      const whereAt = this.whereDepth();
      where = this.and([
        this.nodeConditions(start, true),
        whereAt === 0 ? this.whereCondition() : "",
        this.stepChain(0, whereAt),
      ]);
    }
    const order = q.orderBy.flatMap((key) => this.listOrderKey(key));
    order.push(`${start.table}.id`);
    let sql = `SELECT ${ENTITY_SELECT(start.table, this.d)} FROM entities ${start.table} WHERE ${where} ORDER BY ${order.join(", ")}`;
    const { sql: paged, pageSize } = this.page(sql);
    sql = paged;
    return { shape: "list", sql, params: this.params.values, pageSize };
  }

  private listOrderKey(key: OrderKey): string[] {
    if (key.quoted) this.fail(`ORDER BY ${JSON.stringify(key.path[0])} names a RETURN column, and this query has no RETURN`, key);
    const [first, ...rest] = key.path;
    const start = this.nodes[0]!;
    let target: PropTarget;
    if (rest.length === 0) {
      target = this.entityProp(start.table, first!, key);
    } else {
      const alias = this.resolveAlias(first!, key);
      if (alias.kind !== "node" || alias.node !== start) {
        this.fail(
          "without RETURN, ORDER BY can only use properties of the entities found (add a RETURN to sort by others)",
          key,
        );
      }
      target = this.entityProp(start.table, rest.join("."), key);
    }
    // DESC applies to every sort expression of a JSON property, not only the last.
    return this.sortExprs(target).map((expr) => this.orderTerm(expr, key.descending));
  }

  /**
   * Sort keys of a property read from its table: a column as is, `_class` and
   * a JSON property through the dialect (Dialect.classesSortKey,
   * Dialect.jsonSortKeys: the same order on both databases with the NULL
   * rule of orderTerm).
   */
  private sortExprs(target: PropTarget): string[] {
    switch (target.kind) {
      case "column":
        return [target.sql];
      case "classes":
        return [this.d.classesSortKey(target.table)];
      case "json":
        return this.d.jsonSortKeys(this.d.jsonValue(target.table, this.d.keyRef(this.params, target.key)));
    }
  }

  /**
   * One ORDER BY term. NULL (a missing value, or a value of another kind in a
   * typed sort key) is the smallest value on both databases: first ascending,
   * last descending. That is SQLite's rule; PostgreSQL's default is the
   * opposite, so without the explicit NULLS the two returned different rows.
   */
  private orderTerm(expr: string, descending: boolean): string {
    return descending ? `${expr} DESC NULLS LAST` : `${expr} NULLS FIRST`;
  }

  /** SKIP / LIMIT / page size -> LIMIT ... OFFSET ... (one extra row to detect more). */
  private page(sql: string): { sql: string; pageSize?: number } {
    const q = this.q;
    const offset = (q.skip ?? 0) + (this.options.offset ?? 0);
    let limit: number | undefined;
    let pageSize: number | undefined;
    const remaining = q.limit === undefined ? undefined : Math.max(0, q.limit - (this.options.offset ?? 0));
    if (this.options.pageSize !== undefined && (remaining === undefined || remaining > this.options.pageSize)) {
      pageSize = this.options.pageSize;
      limit = pageSize + 1;
    } else {
      limit = remaining;
    }
    return { sql: sql + this.limitOffset(limit, offset), pageSize };
  }

  /** ` LIMIT ... OFFSET ...` (each bound, the limit first), without an offset of 0. */
  private limitOffset(limit: number | undefined, offset: number): string {
    const limitParam = limit === undefined ? undefined : this.param(limit);
    return this.d.limitOffset(limitParam, offset > 0 ? this.param(offset) : undefined);
  }

  // ------------------------------------------------------- joins (RETURN)

  /**
   * One arm per way through the joined (non-negated) steps: each optional
   * traversal taken or skipped, each taken step in each of its directions.
   */
  private armPlans(): ArmPlan[] {
    const groups = this.q.optionalGroups ?? [];
    const plans: ArmPlan[] = [];
    for (let mask = 0; mask < 2 ** groups.length; mask++) {
      let combos: ArmPlan[] = [[]];
      for (let i = 0; i < this.firstNegated; i++) {
        const step = this.q.steps[i]!;
        const skipped = step.optional !== undefined && (mask & (1 << step.optional)) !== 0;
        const dirs: (Direction | undefined)[] = skipped ? [undefined] : this.directions(step);
        combos = combos.flatMap((c) => dirs.map((d) => [...c, d]));
      }
      plans.push(...combos);
    }
    return plans;
  }

  /**
   * FROM ... WHERE ... of one arm. A step of a skipped optional traversal
   * continues from the last node the arm did join; the nodes and edges the
   * arm does not join (skipped, or, when `nulls` names them, inside a
   * negated step) are joined as a row of NULLs, so every reference to them
   * reads as missing.
   */
  private joinArm(plan: ArmPlan, nulls: ReadonlySet<string> = new Set()): string {
    const start = this.nodes[0]!;
    const joins = [`FROM entities ${start.table}`];
    const absent: string[] = [];
    const conditions = [this.nodeConditions(start, true)];
    let from = start.table;
    plan.forEach((dir, i) => {
      const edge = this.edges[i]!;
      const node = this.nodes[i + 1]!;
      if (dir === undefined) {
        absent.push(this.nullRow("relationships", edge.table), this.nullRow("entities", node.table));
        return;
      }
      const [near, far] = dir === "forward" ? ["from_id", "to_id"] : ["to_id", "from_id"];
      joins.push(`JOIN relationships ${edge.table} ON ${edge.table}.${near} = ${from}.id`);
      joins.push(`JOIN entities ${node.table} ON ${node.table}.id = ${edge.table}.${far}`);
      conditions.push(this.verbTest(edge), this.notDeleted(edge.table), this.nodeConditions(node, false));
      from = node.table;
    });
    for (let i = this.firstNegated; i < this.q.steps.length; i++) {
      const edge = this.edges[i]!;
      const node = this.nodes[i + 1]!;
      if (nulls.has(edge.table)) absent.push(this.nullRow("relationships", edge.table));
      if (nulls.has(node.table)) absent.push(this.nullRow("entities", node.table));
    }
    // The negated tail hangs off the last joined node.
    if (this.firstNegated < this.q.steps.length) conditions.push(this.stepChain(this.firstNegated, 0, from));
    conditions.push(this.whereCondition());
    return `${[...joins, ...absent].join(" ")} WHERE ${this.and(conditions)}`;
  }

  /** A row of NULLs named `table` (a primary-key lookup of NULL: no row, no scan). */
  private nullRow(from: "entities" | "relationships", table: string): string {
    return `LEFT JOIN ${from} ${table} ON ${table}.id = NULL`;
  }

  /** Tables of negated steps that RETURN or ORDER BY name (read as null). */
  private negatedTablesNamed(): Set<string> {
    const names: string[] = [];
    if (this.q.returns?.kind === "returnItems") for (const item of this.q.returns.items) names.push(item.expr.alias);
    for (const key of this.q.orderBy) if (!key.quoted && key.path.length > 1) names.push(key.path[0]!);
    const tables = new Set<string>();
    for (const name of names) {
      const target = this.aliases.get(name);
      if (target?.kind === "node" && target.node.negated) tables.add(target.node.table);
      if (target?.kind === "edge" && target.edge.negated) tables.add(target.edge.table);
    }
    return tables;
  }

  private valueColumn(target: PropTarget): { sql: string; decode: ColumnDecode } {
    switch (target.kind) {
      case "column":
        return { sql: target.type === "id" ? this.d.idText(target.sql) : target.sql, decode: decodeOf(target) };
      case "classes":
        return { sql: `${target.table}.classes`, decode: "json" };
      case "json":
        return { sql: this.d.jsonValue(target.table, this.d.keyRef(this.params, target.key)), decode: "json" };
    }
  }

  private compileTable(): CompiledTable {
    const q = this.q;
    if (q.returns?.kind !== "returnItems") throw new Error("unreachable");
    const columns: OutputColumn[] = [];
    let n = 0;
    const next = () => `c${++n}`;

    // The same item twice under the same name (`RETURN v.score, v.score`) is
    // one column: a row holds one value per name, as in JupiterOne. Two
    // different items under one name stay an error.
    const kept: ReturnItem[] = [];
    const byLabel = new Map<string, string>();
    for (const item of q.returns.items) {
      const label = item.as ?? labelOf(item.expr);
      const same = byLabel.get(label);
      if (same === undefined) {
        byLabel.set(label, exprKey(item.expr));
        kept.push(item);
      } else if (same !== exprKey(item.expr)) {
        this.fail(`two RETURN columns are named ${JSON.stringify(label)}; rename one with AS`, item);
      }
    }
    const items = kept;

    const aggregate = items.some((i) => i.expr.kind === "aggregate");
    // An alias inside a negated step reads as null here (there is no such entity).
    this.negatedReadsNull = true;

    // Group keys (plain items) and aggregates.
    const plain: { sqlName: string; select: () => string }[] = [];
    const aggregates: { sqlName: string; outer: (inner: (name: string) => string) => string; inner: { name: string; select: () => string }[] }[] = [];

    for (const item of items) {
      const label = item.as ?? labelOf(item.expr);
      const expr = item.expr;
      const sqlName = next();
      if (expr.kind === "aggregate") {
        const target = this.resolveAlias(expr.alias, expr);
        const table = target.kind === "node" ? target.node.table : target.edge.table;
        const idName = `${sqlName}_id`;
        const valueName = `${sqlName}_v`;
        const prop =
          expr.name === undefined
            ? undefined
            : target.kind === "node"
              ? this.entityProp(table, expr.name, expr)
              : this.edgeProp(table, expr.name, expr);
        const inner = [{ name: idName, select: () => `${table}.id` }];
        if (prop) {
          inner.push({
            name: valueName,
            select: () =>
              expr.fn === "count"
                ? this.valueColumn(prop).sql
                : prop.kind === "json"
                  ? this.d.typed(prop.table, this.d.keyRef(this.params, prop.key), "number")
                  : prop.kind === "column" && prop.type === "number"
                    ? prop.sql
                    : this.d.numberNull,
          });
        }
        const outer = (col: (name: string) => string) => {
          switch (expr.fn) {
            case "count":
              return prop
                ? `COUNT(DISTINCT CASE WHEN ${col(valueName)} IS NOT NULL THEN ${col(idName)} END)`
                : `COUNT(DISTINCT ${col(idName)})`;
            default:
              return `${expr.fn.toUpperCase()}(${col(valueName)})`;
          }
        };
        aggregates.push({ sqlName, outer, inner });
        columns.push({ sqlName, label, decode: "number", ...(expr.fn !== "count" && expr.name !== undefined ? { property: expr.name } : {}) });
        continue;
      }
      const { select, decode } = this.returnColumn(expr);
      plain.push({ sqlName, select });
      columns.push({ sqlName, label, decode, ...(expr.kind === "prop" ? { property: expr.name } : {}) });
    }

    // ORDER BY keys become hidden columns (or refer to a RETURN column).
    const orderBy: string[] = [];
    /** RETURN columns already sorted on; the others follow as tie-breakers */
    const ordered = new Set<string>();
    const hidden: { sqlName: string; select: () => string }[] = [];
    // A JSON value column sorts on typed keys (Dialect.jsonSortKeys), never on its raw value.
    const columnTerms = (c: OutputColumn, descending: boolean): string[] =>
      (c.decode === "json" ? this.d.jsonSortKeys(`q.${c.sqlName}`) : [`q.${c.sqlName}`]).map((e) =>
        this.orderTerm(e, descending),
      );
    for (const key of q.orderBy) {
      const joined = key.path.join(".");
      const named = columns.find((c) => c.label === joined);
      if (named) {
        orderBy.push(...columnTerms(named, key.descending));
        ordered.add(named.sqlName);
        continue;
      }
      if (key.quoted) this.fail(`ORDER BY ${JSON.stringify(joined)} is not a RETURN column`, key);
      if (aggregate) this.fail(`ORDER BY "${joined}" must name a RETURN column in a query with aggregates`, key);
      const [alias, ...rest] = key.path;
      if (rest.length === 0) this.fail(`ORDER BY "${joined}" is neither a RETURN column nor alias.property`, key);
      const ref: PropRef = { kind: "prop", alias, name: rest.join("."), pos: key.pos, end: key.end };
      const sqlName = next();
      const target = this.aliasedProp(ref);
      // A JSON property is selected as JSON and sorted like a RETURN column.
      const json = target.kind === "json";
      hidden.push({ sqlName, select: () => (json ? this.valueColumn(target).sql : this.sortExprs(target)[0]!) });
      orderBy.push(...columnTerms({ sqlName, label: joined, decode: json ? "json" : "raw" }, key.descending));
    }

    this.negatedReadsNull = false;
    const nulls = this.negatedTablesNamed();
    const arms = this.armPlans().map((plan) => {
      const selects = [
        ...plain.map((p) => `${p.select()} AS ${p.sqlName}`),
        ...aggregates.flatMap((a) => a.inner.map((i) => `${i.select()} AS ${i.name}`)),
        ...hidden.map((h) => `${h.select()} AS ${h.sqlName}`),
      ];
      return `SELECT ${selects.join(", ")} ${this.joinArm(plan, nulls)}`;
    });
    const union = arms.join(" UNION ALL ");
    let sql: string;
    if (aggregate) {
      const groupCols = plain.map((p) => p.sqlName);
      const innerCols = [...groupCols, ...aggregates.flatMap((a) => a.inner.map((i) => i.name))];
      const outerSelect = [
        ...plain.map((p) => `q.${p.sqlName} AS ${p.sqlName}`),
        ...aggregates.map((a) => `${a.outer((name) => `q.${name}`)} AS ${a.sqlName}`),
      ];
      sql = `SELECT ${outerSelect.join(", ")} FROM (SELECT DISTINCT ${innerCols.join(", ")} FROM (${union}) u) q`;
      if (groupCols.length > 0) sql += ` GROUP BY ${groupCols.map((c) => `q.${c}`).join(", ")}`;
      sql = `SELECT * FROM (${sql}) q`;
    } else {
      const cols = [...plain.map((p) => p.sqlName), ...hidden.map((h) => h.sqlName)];
      sql = `SELECT ${q.unique ? "DISTINCT " : ""}${cols.map((c) => `q.${c} AS ${c}`).join(", ")} FROM (${union}) q`;
      // PostgreSQL sorts a SELECT DISTINCT only on selected expressions, and the
      // sort keys are expressions of the columns (Dialect.jsonSortKeys): sort outside.
      if (q.unique) sql = `SELECT * FROM (${sql}) q`;
    }
    const stable = columns.filter((c) => !ordered.has(c.sqlName)).flatMap((c) => columnTerms(c, false));
    const order = [...orderBy, ...stable];
    if (order.length > 0) sql += ` ORDER BY ${order.join(", ")}`;
    const { sql: paged, pageSize } = this.page(sql);
    return { shape: "table", sql: paged, params: this.params.values, columns, pageSize, openSteps: this.openSteps() };
  }

  private returnColumn(expr: ReturnExpr): { select: () => string; decode: ColumnDecode } {
    if (expr.kind === "aggregate") throw new Error("unreachable");
    const target = this.resolveAlias(expr.alias, expr);
    const table = target.kind === "node" ? target.node.table : target.edge.table;
    switch (expr.kind) {
      case "alias":
        return { select: () => `${table}.id`, decode: target.kind === "node" ? "entity" : "edge" };
      case "allProps":
        return { select: () => `${table}.id`, decode: target.kind === "node" ? "entityAll" : "edgeAll" };
      case "prop": {
        const prop =
          target.kind === "node" ? this.entityProp(table, expr.name, expr) : this.edgeProp(table, expr.name, expr);
        // The decode comes from decodeOf(), not valueColumn(), which would bind
        // the key as a parameter that no arm uses; PostgreSQL rejects that.
        return { select: () => this.valueColumn(prop).sql, decode: decodeOf(prop) };
      }
    }
  }

  private compileTree(): CompiledTree {
    const vertexColumns = this.nodes.slice(0, this.firstNegated + 1).map((n) => `v${n.index}`);
    const edgeColumns = this.edges.slice(0, this.firstNegated).map((e) => `w${e.index}`);
    // A skipped optional traversal's columns are NULL (its null row).
    const arms = this.armPlans().map((plan) => {
      const selects = [
        ...this.nodes.slice(0, this.firstNegated + 1).map((n) => `${n.table}.id AS v${n.index}`),
        ...this.edges.slice(0, this.firstNegated).map((e) => `${e.table}.id AS w${e.index}`),
      ];
      return `SELECT ${selects.join(", ")} ${this.joinArm(plan)}`;
    });
    const sql =
      `SELECT DISTINCT * FROM (${arms.join(" UNION ALL ")}) q ORDER BY ${[...vertexColumns, ...edgeColumns].map((c) => this.orderTerm(c, false)).join(", ")}` +
      this.limitOffset(this.q.limit, this.q.skip ?? 0);
    return { shape: "tree", sql, params: this.params.values, vertexColumns, edgeColumns, openSteps: this.openSteps() };
  }
}

/**
 * `(a OP b OP ...)`. A long list (`x = ('a' or 'b' or ...)` with hundreds of
 * values) is parenthesised in groups of at most 32, nested, so the
 * expression stays log-deep: SQLite parses `a OR b OR c` as a chain and
 * rejects more than about 1000 terms ("Expression tree is too large").
 */
function joinBalanced(parts: readonly string[], op: "AND" | "OR"): string {
  const GROUP = 32;
  if (parts.length === 1) return parts[0]!;
  if (parts.length <= GROUP) return `(${parts.join(` ${op} `)})`;
  const groups: string[] = [];
  for (let i = 0; i < parts.length; i += GROUP) groups.push(joinBalanced(parts.slice(i, i + GROUP), op));
  return joinBalanced(groups, op);
}

/** How the runner decodes a property's column (without emitting any SQL or parameter). */
function decodeOf(target: PropTarget): ColumnDecode {
  if (target.kind !== "column") return "json";
  switch (target.type) {
    case "boolean":
      return "bool";
    case "id":
      return "id";
    // PostgreSQL returns BIGINT columns (_createdOn, _beginOn...) as strings.
    case "number":
      return "number";
    case "string":
      return "raw";
  }
}

/** Identity of a RETURN expression, ignoring where it was written. */
function exprKey(expr: ReturnExpr): string {
  return JSON.stringify([expr.kind, expr.alias, "name" in expr ? expr.name : null, "fn" in expr ? expr.fn : null]);
}

function labelOf(expr: ReturnExpr): string {
  switch (expr.kind) {
    case "alias":
      return expr.alias;
    case "allProps":
      return `${expr.alias}.*`;
    case "prop":
      return `${expr.alias}.${expr.name}`;
    case "aggregate":
      return `${expr.fn}(${expr.alias}${expr.name === undefined ? "" : `.${expr.name}`})`;
  }
}
