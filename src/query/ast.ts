/**
 * The J1QL abstract syntax tree. Nodes are plain frozen objects tagged by
 * `kind`. The parser produces them; the compiler walks them. `pos` is the
 * 0-based offset of the construct in the query text and `end` its end offset
 * (exclusive), used for error carets.
 */

export interface Span {
  readonly pos: number;
  readonly end: number;
}

/** A literal value in a comparison. */
export type Value =
  | (Span & {
      readonly kind: "string";
      /** the string as written (escapes decoded) */
      readonly value: string;
      /**
       * Set when the string holds question parameters (`"@{{domain}}"`): its
       * literal pieces and parameters in order, filled in by the compiler.
       */
      readonly template?: readonly (string | ParameterRef)[];
    })
  /** `{{name}}` standing for a whole value (its type is the parameter's). */
  | (Span & { readonly kind: "param"; readonly name: string })
  | (Span & { readonly kind: "number"; readonly value: number })
  | (Span & { readonly kind: "boolean"; readonly value: boolean })
  /** `undefined` or `null`: the property is missing. */
  | (Span & { readonly kind: "undefined" })
  /** `date(2019-10-30)` / `date(2019-10-30T10:00Z)`: epoch ms, resolved by the parser (UTC). */
  | (Span & { readonly kind: "date"; readonly value: number })
  /** `date.now`, `date.now - 7 days`, `date.now+24hr`; evaluated against the injected clock. */
  | (Span & {
      readonly kind: "relativeDate";
      /** signed amount, e.g. -7 for `- 7 days`, 0 for plain `date.now` */
      readonly amount: number;
      readonly unit: DateUnit;
      /** `date.now - {{maxDays}} days`: the amount is this parameter's number, times `amount` (the sign, ±1) */
      readonly amountParameter?: ParameterRef;
    });

/** `{{name}}` inside a string; pos/end locate it in the query text. */
export interface ParameterRef extends Span {
  readonly kind: "param";
  readonly name: string;
}

export type DateUnit = "hour" | "day" | "week" | "month" | "year";

/** `('a' or 'b')` / `('a' and 'b')` */
export interface ValueGroup extends Span {
  readonly kind: "group";
  readonly combinator: "or" | "and";
  readonly values: readonly Value[];
}

/**
 * A property reference. In a WITH filter there is no alias and `name` is the
 * whole flat key (`tag.AccountName`). In WHERE / RETURN / ORDER BY the first
 * dotted segment is the alias and the rest is the key (`m.tag.Production` ->
 * alias `m`, name `tag.Production`). `[any chars]` gives the key verbatim.
 */
export interface PropRef extends Span {
  readonly kind: "prop";
  readonly alias?: string;
  readonly name: string;
}

export type CompareOp = "=" | "!=" | "<" | ">" | "<=" | ">=" | "~=" | "^=" | "$=" | "!~=" | "!^=" | "!$=";

export interface Comparison extends Span {
  readonly kind: "compare";
  readonly left: PropRef;
  readonly op: CompareOp;
  /** A PropRef on the right is only allowed in WHERE (`a.x = b.y`). */
  readonly right: Value | ValueGroup | PropRef;
}

export interface AndFilter extends Span {
  readonly kind: "and";
  readonly items: readonly Filter[];
}

export interface OrFilter extends Span {
  readonly kind: "or";
  readonly items: readonly Filter[];
}

export type Filter = Comparison | AndFilter | OrFilter;

/** A class (first character upper-case) or a type (otherwise). */
export interface Target extends Span {
  readonly kind: "class" | "type";
  readonly name: string;
}

export interface NodeSpec extends Span {
  readonly kind: "node";
  /** Empty means `*` (any entity). Several means `(A|B)`: any of them. */
  readonly targets: readonly Target[];
  readonly filter?: Filter;
  readonly alias?: string;
}

export interface Step extends Span {
  readonly kind: "step";
  /** `THAT !HAS X` */
  readonly negated: boolean;
  /** Upper-cased verb classes; empty means `RELATES TO` (any class). */
  readonly verbs: readonly string[];
  /** `both` (default), `forward` (`>>`, left to right), `backward` (`<<`). */
  readonly direction: "both" | "forward" | "backward";
  /** `THAT USES AS u npm_package`: names the edge. */
  readonly edgeAlias?: string;
  readonly node: NodeSpec;
  /** Inside an optional traversal `( ... )?`: the index of its group in Query.optionalGroups. */
  readonly optional?: number;
}

/**
 * `(THAT ... )?`: steps `from` (inclusive) to `to` (exclusive) of
 * Query.steps, which a path may take in full or skip.
 */
export interface OptionalGroup extends Span {
  readonly kind: "optionalGroup";
  readonly from: number;
  readonly to: number;
}

export type ReturnExpr =
  /** `a`: the whole entity (or edge) */
  | (Span & { readonly kind: "alias"; readonly alias: string })
  /** `a.*` */
  | (Span & { readonly kind: "allProps"; readonly alias: string })
  /** `a.prop` */
  | (Span & { readonly kind: "prop"; readonly alias: string; readonly name: string })
  /** `COUNT(a)`, `COUNT(a.prop)`, `MIN|MAX|AVG|SUM(a.prop)` */
  | (Span & {
      readonly kind: "aggregate";
      readonly fn: "count" | "min" | "max" | "avg" | "sum";
      readonly alias: string;
      readonly name?: string;
    });

export interface ReturnItem extends Span {
  readonly kind: "returnItem";
  readonly expr: ReturnExpr;
  /** `AS name`, `AS 'Any Name'`, `AS "# of Assets"`: the column's label (data, never SQL) */
  readonly as?: string;
}

export type ReturnClause =
  | (Span & { readonly kind: "returnTree" })
  | (Span & { readonly kind: "returnItems"; readonly items: readonly ReturnItem[] });

export interface OrderKey extends Span {
  readonly kind: "orderKey";
  /**
   * The key as written, split on dots: `["m","dueDate"]`, `["y"]` (a RETURN
   * name), `["PR","_createdOn"]`. The compiler resolves it.
   */
  readonly path: readonly string[];
  /** written as a string (`ORDER BY 'Host Type'`): a RETURN column name, never alias.property */
  readonly quoted?: boolean;
  readonly descending: boolean;
}

export interface Query extends Span {
  readonly kind: "query";
  readonly unique: boolean;
  readonly start: NodeSpec;
  readonly steps: readonly Step[];
  /** Optional traversals, in order; absent when there are none. */
  readonly optionalGroups?: readonly OptionalGroup[];
  readonly where?: Filter;
  readonly returns?: ReturnClause;
  readonly orderBy: readonly OrderKey[];
  readonly skip?: number;
  readonly limit?: number;
}
