/**
 * The J1QL parser: recursive descent over the lazy token stream of lexer.ts,
 * producing the frozen AST of ast.ts. It throws only QueryError.
 *
 * Decisions (see also lexer.ts):
 * - Keywords, verbs, function names, units and the literals true, false,
 *   undefined, null, date.now and date(...) are case-insensitive.
 * - Reserved words (FIND, UNIQUE, WITH, AS, THAT, WHERE, RETURN, ORDER, SKIP,
 *   LIMIT, AND, OR) cannot be class, type or verb names. After AS any
 *   identifier is an alias; in WHERE / RETURN / ORDER BY a reserved word is
 *   read as an alias only when a `.` follows it.
 * - `date.now` alone is `{ amount: 0, unit: "day" }`. The amount of
 *   `date.now - n unit` may be a decimal. `date(...)` takes
 *   `YYYY-MM-DD[THH:MM[:SS[.mmm]][Z]]`, always UTC (a quoted string is also
 *   accepted), and is resolved to epoch ms here.
 * - `('a')` is a value group of one (combinator "or"). Value groups are
 *   accepted after every operator; the compiler decides what they mean.
 * - Parenthesised filters are kept as written (no flattening of
 *   `(a and b) and c`); a single item is never wrapped in and/or.
 * - The parser checks syntax only: alias resolution, duplicate aliases and
 *   the like belong to the compiler.
 * - The "expected" list of an error names what may come next, in a fixed
 *   order. Before WHERE / RETURN it leaves out ORDER BY, SKIP and LIMIT (and
 *   WHERE until an alias exists) to keep the hint short.
 * - Filters may nest at most MAX_DEPTH parentheses deep.
 */
import { QueryError, positionAt } from "../shared/errors.js";
import type {
  CompareOp,
  DateUnit,
  Filter,
  NodeSpec,
  OptionalGroup,
  OrderKey,
  ParameterRef,
  PropRef,
  Query,
  ReturnClause,
  ReturnExpr,
  ReturnItem,
  Step,
  Target,
  Value,
  ValueGroup,
} from "./ast.js";
import { Lexer, PARAMETER_NAME, type Token } from "./lexer.js";

/** Parse a J1QL query. Throws QueryError (only) on any problem. */
export function parseQuery(text: string): Query {
  return deepFreeze(new Parser(text).parseQuery());
}

const RESERVED = new Set(["FIND", "UNIQUE", "WITH", "AS", "THAT", "WHERE", "RETURN", "ORDER", "SKIP", "LIMIT", "AND", "OR"]);

const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>([
  "=",
  "!=",
  "<",
  ">",
  "<=",
  ">=",
  "~=",
  "^=",
  "$=",
  "!~=",
  "!^=",
  "!$=",
]);

const AGGREGATES: Readonly<Record<string, "count" | "min" | "max" | "avg" | "sum">> = {
  COUNT: "count",
  MIN: "min",
  MAX: "max",
  AVG: "avg",
  SUM: "sum",
};

const UNITS: Readonly<Record<string, DateUnit>> = {
  HOUR: "hour",
  HOURS: "hour",
  HR: "hour",
  HRS: "hour",
  DAY: "day",
  DAYS: "day",
  WEEK: "week",
  WEEKS: "week",
  MONTH: "month",
  MONTHS: "month",
  MO: "month",
  MOS: "month",
  YEAR: "year",
  YEARS: "year",
  YR: "year",
  YRS: "year",
};

const ARITHMETIC = new Set(["+", "-", "*", "/"]);

/** Order in which expected alternatives are listed; others come first. */
const EXPECTED_ORDER = [
  "AND",
  "OR",
  "WITH",
  "THAT",
  "AS",
  "WHERE",
  "RETURN",
  '","',
  "ASC",
  "DESC",
  "ORDER BY",
  "SKIP",
  "LIMIT",
  "end of query",
];

const MAX_DEPTH = 64;

const OPS_LABEL = "a comparison operator (= != < > <= >= ~= ^= $= !~= !^= !$=)";
const UNIT_LABEL = "a time unit (hours, days, weeks, months, years)";
const DATE_FORMATS = ["YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]Z"];

type Mode = "with" | "where";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

class Parser {
  private readonly lexer: Lexer;
  private readonly tokens: Token[] = [];
  private index = 0;
  /** What was tried at the current token; reset when a token is consumed. */
  private expecting: string[] = [];
  private aliasDeclared = false;
  private depth = 0;

  constructor(private readonly text: string) {
    this.lexer = new Lexer(text);
  }

  // ---- token helpers -------------------------------------------------------

  private peek(ahead = 0): Token {
    while (this.tokens.length <= this.index + ahead) {
      const last = this.tokens[this.tokens.length - 1];
      if (last?.kind === "eof") return last;
      this.tokens.push(this.lexer.next());
    }
    return this.tokens[this.index + ahead]!;
  }

  private advance(): Token {
    const tok = this.peek();
    if (tok.kind !== "eof") this.index++;
    this.expecting = [];
    return tok;
  }

  /** The last consumed token. */
  private get previous(): Token {
    return this.tokens[this.index - 1]!;
  }

  private expect(...labels: (string | null)[]): void {
    for (const label of labels) if (label !== null && !this.expecting.includes(label)) this.expecting.push(label);
  }

  private isKw(tok: Token, word: string): boolean {
    return tok.kind === "ident" && tok.value.toUpperCase() === word;
  }

  private isSym(tok: Token, sym: string): boolean {
    return tok.kind === "symbol" && tok.value === sym;
  }

  private acceptKw(word: string, label: string | null = word): Token | undefined {
    if (this.isKw(this.peek(), word)) return this.advance();
    this.expect(label);
    return undefined;
  }

  private acceptSym(sym: string, label: string | null = `"${sym}"`): Token | undefined {
    if (this.isSym(this.peek(), sym)) return this.advance();
    this.expect(label);
    return undefined;
  }

  private expectKw(word: string, label: string = word): Token {
    return this.acceptKw(word, label) ?? this.fail();
  }

  private expectSym(sym: string, label = `"${sym}"`): Token {
    return this.acceptSym(sym, label) ?? this.fail();
  }

  /** Any identifier (alias positions after AS, property segments). */
  private expectIdent(label: string): Token {
    if (this.peek().kind === "ident") return this.advance();
    this.expect(label);
    return this.fail();
  }

  /** An identifier that is not a reserved word (class, type and verb names). */
  private expectName(label: string): Token {
    const tok = this.peek();
    if (tok.kind === "ident" && !RESERVED.has(tok.value.toUpperCase())) return this.advance();
    this.expect(label);
    return this.fail();
  }

  // ---- errors -------------------------------------------------------------

  private error(reason: string, from: number, to: number, expected: string[] = []): QueryError {
    return new QueryError(reason, this.text, positionAt(this.text, from, to - from), { expected });
  }

  /** `unexpected X; expected ...` at the current token. */
  private fail(reason?: string): never {
    const tok = this.peek();
    this.checkUnsupported(tok);
    const expected = [...this.expecting].sort((a, b) => EXPECTED_ORDER.indexOf(a) - EXPECTED_ORDER.indexOf(b));
    const what = tok.kind === "eof" ? "unexpected end of query" : `unexpected ${quote(this.text.slice(tok.pos, tok.end))}`;
    throw this.error(reason ? `${what} ${reason}` : what, tok.pos, Math.max(tok.end, tok.pos + 1), expected);
  }

  /** Constructs from the "left for later" list, wherever the parser trips over them. */
  private checkUnsupported(tok: Token): void {
    if (this.isSym(tok, "${")) {
      const close = this.text.indexOf("}", tok.end);
      const end = close >= 0 && close - tok.pos <= 80 ? close + 1 : tok.end;
      throw this.notSupported("query parameters", "are", tok.pos, end);
    }
    if (this.isSym(tok, "#")) {
      const next = this.peek(1);
      const end = next.kind === "ident" && next.pos === tok.end ? next.end : tok.end;
      throw this.notSupported("smart classes", "are", tok.pos, end);
    }
    if (this.isSym(tok, "?") && this.index > 0 && this.isSym(this.previous, ")")) {
      const err = this.notSupported("optional targets", "are", this.previous.pos, tok.end);
      throw this.error(`${err.reason}; an optional traversal is written (THAT ...)?`, this.previous.pos, tok.end);
    }
  }

  private notSupported(what: string, verb: "is" | "are", from: number, to: number, quoteFrom = from): QueryError {
    const snippet = this.text.slice(quoteFrom, to).replace(/\s+/g, " ");
    return this.error(`${what} (${quote(snippet, 60)}) ${verb} not supported yet`, from, to);
  }

  /**
   * Index (relative to the current token) of the `)` closing the `(` at
   * `ahead`, or undefined. Used only to size error spans, so lexing errors
   * further on are ignored.
   */
  private matchingParen(ahead: number): number | undefined {
    try {
      let depth = 0;
      for (let k = ahead; ; k++) {
        const tok = this.peek(k);
        if (tok.kind === "eof") return undefined;
        if (this.isSym(tok, "(")) depth++;
        else if (this.isSym(tok, ")") && --depth === 0) return k;
      }
    } catch (err) {
      if (err instanceof QueryError) return undefined;
      throw err;
    }
  }

  // ---- query --------------------------------------------------------------

  parseQuery(): Query {
    const first = this.peek();
    const find = this.acceptKw("FIND");
    const unique = this.acceptKw("UNIQUE") !== undefined;
    const start = this.parseNode(find);
    const steps: Step[] = [];
    const groups: OptionalGroup[] = [];
    for (;;) {
      if (this.isSym(this.peek(), "(") && this.isKw(this.peek(1), "THAT")) {
        groups.push(this.parseOptionalGroup(steps, groups.length));
        continue;
      }
      if (!this.isKw(this.peek(), "THAT")) {
        this.expect("THAT");
        break;
      }
      steps.push(this.parseStep());
    }

    const query: Mutable<Query> = { kind: "query", pos: first.pos, end: 0, unique, start, steps, orderBy: [] };
    if (groups.length > 0) query.optionalGroups = groups;
    let tail = false;
    if (this.acceptKw("WHERE", this.aliasDeclared ? "WHERE" : null)) {
      query.where = this.parseFilter("where");
      tail = true;
    }
    const ret = this.acceptKw("RETURN");
    if (ret) {
      query.returns = this.parseReturn(ret);
      tail = true;
    }
    if (this.acceptKw("ORDER", tail ? "ORDER BY" : null)) {
      this.expectKw("BY");
      query.orderBy = this.parseOrderBy();
      tail = true;
    }
    const skip = this.acceptKw("SKIP", tail ? "SKIP" : null);
    if (skip) {
      query.skip = this.parseCount(skip);
      tail = true;
    }
    const limit = this.acceptKw("LIMIT", tail ? "LIMIT" : null);
    if (limit) query.limit = this.parseCount(limit);
    if (this.peek().kind !== "eof") {
      this.expect("end of query");
      this.fail();
    }
    query.end = this.previous.end;
    return query;
  }

  private parseNode(find?: Token): NodeSpec {
    const tok = this.peek();
    const targets: Target[] = [];
    if (this.isSym(tok, "*")) {
      this.advance();
    } else if (this.isSym(tok, "(")) {
      this.advance();
      do {
        targets.push(this.target(this.expectName("a class or type name")));
      } while (this.acceptSym("|"));
      this.expectSym(")");
    } else if (tok.kind === "ident" && !RESERVED.has(tok.value.toUpperCase())) {
      targets.push(this.target(this.advance()));
    } else if (tok.kind === "string") {
      throw this.notSupported("full-text search", "is", tok.pos, tok.end, find?.pos ?? tok.pos);
    } else {
      this.expect("a class or type name", '"*"', '"("');
      this.fail();
    }
    const node: Mutable<NodeSpec> = { kind: "node", pos: tok.pos, end: 0, targets };
    if (this.acceptKw("WITH")) node.filter = this.parseFilter("with");
    if (this.acceptKw("AS")) node.alias = this.parseAlias();
    node.end = this.previous.end;
    return node;
  }

  private target(tok: Token): Target {
    return { kind: /^\p{Lu}/u.test(tok.value) ? "class" : "type", name: tok.value, pos: tok.pos, end: tok.end };
  }

  private parseAlias(): string {
    this.aliasDeclared = true;
    return this.expectIdent("an alias").value;
  }

  /**
   * `(THAT ... THAT ...)?`: one or more steps that a path may take or skip.
   * The steps are appended to `steps`, marked with the group's index.
   */
  private parseOptionalGroup(steps: Step[], index: number): OptionalGroup {
    const open = this.advance();
    const from = steps.length;
    do {
      steps.push({ ...this.parseStep(), optional: index });
      if (this.isSym(this.peek(), "(") && this.isKw(this.peek(1), "THAT")) {
        const inner = this.peek();
        const close = this.matchingParen(0);
        const end = close === undefined ? inner.end : this.peek(close + (this.isSym(this.peek(close + 1), "?") ? 1 : 0)).end;
        throw this.notSupported("nested optional traversals", "are", inner.pos, end);
      }
    } while (this.isKw(this.peek(), "THAT"));
    this.expect("THAT");
    this.expectSym(")");
    const question = this.expectSym("?", '"?" (an optional traversal is written (THAT ...)?)');
    if (this.isKw(this.peek(), "AS")) {
      const as = this.peek();
      const alias = this.peek(1);
      throw this.notSupported("an alias on an optional traversal", "is", open.pos, alias.kind === "ident" ? alias.end : as.end);
    }
    return { kind: "optionalGroup", pos: open.pos, end: question.end, from, to: steps.length };
  }

  private parseStep(): Step {
    const that = this.advance();
    const negated = this.acceptSym("!") !== undefined;
    const verbs: string[] = [];
    const tok = this.peek();
    if (this.isKw(tok, "RELATES")) {
      this.advance();
      this.expectKw("TO");
    } else if (this.isSym(tok, "(")) {
      this.advance();
      do verbs.push(this.expectName("a verb").value.toUpperCase());
      while (this.acceptSym("|"));
      this.expectSym(")");
    } else if (tok.kind === "ident" && !RESERVED.has(tok.value.toUpperCase())) {
      verbs.push(this.advance().value.toUpperCase());
    } else {
      this.expect("a verb", "RELATES TO", '"("');
      this.fail();
    }
    let direction: Step["direction"] = "both";
    if (this.acceptSym(">>")) direction = "forward";
    else if (this.acceptSym("<<")) direction = "backward";
    const edgeAlias = this.acceptKw("AS") ? this.parseAlias() : undefined;
    const node = this.parseNode();
    const step: Mutable<Step> = { kind: "step", pos: that.pos, end: node.end, negated, verbs, direction, node };
    if (edgeAlias !== undefined) step.edgeAlias = edgeAlias;
    return step;
  }

  // ---- filters ------------------------------------------------------------

  private parseFilter(mode: Mode): Filter {
    if (++this.depth > MAX_DEPTH) {
      const tok = this.peek();
      throw this.error(`filter nested too deeply (more than ${MAX_DEPTH} levels)`, tok.pos, tok.end);
    }
    const items = [this.parseConj(mode)];
    while (this.acceptKw("OR")) items.push(this.parseConj(mode));
    this.depth--;
    return combine("or", items);
  }

  private parseConj(mode: Mode): Filter {
    const items = [this.parseAtom(mode)];
    while (this.acceptKw("AND")) items.push(this.parseAtom(mode));
    return combine("and", items);
  }

  private parseAtom(mode: Mode): Filter {
    if (this.acceptSym("(", null)) {
      const inner = this.parseFilter(mode);
      this.expectSym(")");
      return inner;
    }
    const left = mode === "with" ? this.parseWithProp() : this.parseAliasedProp();
    const opTok = this.peek();
    if (opTok.kind !== "symbol" || !COMPARE_OPS.has(opTok.value)) {
      this.expect(OPS_LABEL);
      this.fail();
    }
    this.advance();
    const right = this.parseOperand(mode);
    return { kind: "compare", pos: left.pos, end: right.end, left, op: opTok.value as CompareOp, right };
  }

  /** WITH: `a.b.c` or `[any chars]`, no alias; the name is the whole flat key. */
  private parseWithProp(): PropRef {
    const tok = this.peek();
    if (tok.kind !== "ident" && tok.kind !== "bracket") {
      this.expect("a property name", '"("');
      this.fail();
    }
    this.advance();
    const segments = [this.segmentValue(tok)];
    while (this.acceptSym(".", null)) segments.push(this.parseSegment());
    return { kind: "prop", pos: tok.pos, end: this.previous.end, name: segments.join(".") };
  }

  /** WHERE: `alias.key` (the key may be dotted or `[any chars]`). */
  private parseAliasedProp(): PropRef {
    const tok = this.peek();
    if (tok.kind !== "ident") {
      this.expect("alias.property", '"("');
      this.fail();
    }
    this.advance();
    this.expectSym(".");
    const name = this.parsePropPath();
    return { kind: "prop", pos: tok.pos, end: this.previous.end, alias: tok.value, name };
  }

  /** After `alias.`: `key`, `a.b.c`, `[any chars]`. */
  private parsePropPath(): string {
    const segments = [this.parseSegment()];
    while (this.acceptSym(".", null)) segments.push(this.parseSegment());
    return segments.join(".");
  }

  private parseSegment(): string {
    const tok = this.peek();
    if (tok.kind === "ident" || tok.kind === "bracket") {
      this.advance();
      return this.segmentValue(tok);
    }
    this.expect("a property name");
    return this.fail();
  }

  private segmentValue(tok: Token): string {
    if (tok.kind === "bracket" && tok.value.length === 0) {
      throw this.error("empty property name", tok.pos, tok.end, ["[name]"]);
    }
    return tok.value;
  }

  private parseOperand(mode: Mode): Value | ValueGroup | PropRef {
    const open = this.acceptSym("(", null);
    if (!open) return mode === "where" ? this.parseValue(true) : this.parseValue(false);
    const values: Value[] = [];
    let combinator: "or" | "and" | undefined;
    for (;;) {
      values.push(this.parseValue(false));
      const tok = this.peek();
      const word = this.isKw(tok, "OR") ? "or" : this.isKw(tok, "AND") ? "and" : undefined;
      if (word === undefined) break;
      if (combinator !== undefined && word !== combinator) {
        throw this.error(
          `cannot mix OR and AND in one value group; use ${combinator.toUpperCase()} throughout`,
          tok.pos,
          tok.end,
          [combinator.toUpperCase(), '")"'],
        );
      }
      combinator = word;
      this.advance();
    }
    if (combinator === undefined) this.expect("OR", "AND");
    const close = this.expectSym(")");
    return { kind: "group", pos: open.pos, end: close.end, combinator: combinator ?? "or", values };
  }

  private parseValue(allowProp: true): Value | PropRef;
  private parseValue(allowProp: false): Value;
  private parseValue(allowProp: boolean): Value | PropRef {
    const literal = this.parseLiteral();
    if (literal) return literal;
    const tok = this.peek();
    if (allowProp && tok.kind === "ident" && this.isSym(this.peek(1), ".")) return this.parseAliasedProp();
    if (this.isKw(tok, "DATE") && this.isSym(this.peek(1), ".")) {
      this.advance();
      this.advance();
      this.expect("now");
      this.fail();
    }
    this.expect(allowProp ? "a value or alias.property" : "a value");
    if (tok.kind === "ident") this.fail(`(to compare with a string, quote it: '${tok.value}')`);
    return this.fail();
  }

  /** A literal value at the current token, or undefined (nothing consumed). */
  private parseLiteral(): Value | undefined {
    const tok = this.peek();
    if (tok.kind === "string") {
      this.advance();
      const template = this.stringTemplate(tok);
      return template
        ? { kind: "string", value: tok.value, template, pos: tok.pos, end: tok.end }
        : { kind: "string", value: tok.value, pos: tok.pos, end: tok.end };
    }
    if (tok.kind === "param") {
      this.advance();
      return { kind: "param", name: tok.value, pos: tok.pos, end: tok.end };
    }
    if (tok.kind === "number" || (this.isSym(tok, "-") && this.peek(1).kind === "number")) {
      const negative = tok.kind === "symbol";
      if (negative) this.advance();
      const num = this.advance();
      const value = this.toNumber(num, tok.pos);
      return { kind: "number", value: negative ? -value : value, pos: tok.pos, end: num.end };
    }
    if (tok.kind !== "ident") return undefined;
    const word = tok.value.toUpperCase();
    if (word === "TRUE" || word === "FALSE") {
      this.advance();
      return { kind: "boolean", value: word === "TRUE", pos: tok.pos, end: tok.end };
    }
    if (word === "UNDEFINED" || word === "NULL") {
      this.advance();
      return { kind: "undefined", pos: tok.pos, end: tok.end };
    }
    if (word === "DATE" && this.isSym(this.peek(1), ".") && this.isKw(this.peek(2), "NOW")) {
      return this.parseRelativeDate();
    }
    if (word === "DATE" && this.isSym(this.peek(1), "(")) return this.parseDate();
    return undefined;
  }

  /**
   * The pieces of a string holding `{{name}}` parameters, or undefined.
   * `\{{` is a literal `{{`. Each literal piece is decoded like the string.
   */
  private stringTemplate(tok: Token): (string | ParameterRef)[] | undefined {
    const quote = this.text[tok.pos]!;
    const raw = this.text.slice(tok.pos + 1, tok.end - 1);
    if (!raw.includes("{{")) return undefined;
    const parts: (string | ParameterRef)[] = [];
    const decode = (piece: string) => (piece === "" ? "" : new Lexer(`${quote}${piece}${quote}`).next().value);
    const pattern = /\{\{\s*([^{}]*?)\s*\}\}/g;
    let last = 0;
    for (let m = pattern.exec(raw); m !== null; m = pattern.exec(raw)) {
      const backslashes = /\\*$/.exec(raw.slice(0, m.index))![0].length;
      if (backslashes % 2 === 1) continue;
      const pos = tok.pos + 1 + m.index;
      const end = pos + m[0].length;
      if (!PARAMETER_NAME.test(m[1]!)) {
        throw this.error(`invalid parameter name ${JSON.stringify(m[1])}`, pos, end, ["{{name}} (letters, digits, _ . -)"]);
      }
      const piece = decode(raw.slice(last, m.index));
      if (piece !== "") parts.push(piece);
      parts.push({ kind: "param", name: m[1]!, pos, end });
      last = m.index + m[0].length;
    }
    if (parts.length === 0) return undefined;
    const rest = decode(raw.slice(last));
    if (rest !== "") parts.push(rest);
    return parts;
  }

  private toNumber(tok: Token, from: number): number {
    const value = Number(tok.value);
    if (!Number.isFinite(value)) throw this.error(`number out of range: ${tok.value}`, from, tok.end);
    return value;
  }

  /** `date.now`, `date.now - 7 days`, `date.now+24hr` */
  private parseRelativeDate(): Value {
    const start = this.advance();
    this.advance(); // .
    this.advance(); // now
    const sign = this.acceptSym("-", null) ? -1 : this.acceptSym("+", null) ? 1 : 0;
    if (sign === 0) return { kind: "relativeDate", amount: 0, unit: "day", pos: start.pos, end: this.previous.end };
    const num = this.peek();
    if (num.kind === "param") {
      // `date.now - {{maxDays}} days`: a question parameter, filled with a number when the query runs
      this.advance();
      const unit = this.peek().kind === "ident" ? UNITS[this.peek().value.toUpperCase()] : undefined;
      if (unit === undefined) {
        this.expect(UNIT_LABEL);
        this.fail();
      }
      const unitTok = this.advance();
      const amountParameter = { kind: "param" as const, name: num.value, pos: num.pos, end: num.end };
      return { kind: "relativeDate", amount: sign, unit, amountParameter, pos: start.pos, end: unitTok.end };
    }
    if (num.kind !== "number") {
      this.expect("a number");
      this.fail();
    }
    this.advance();
    const amount = this.toNumber(num, num.pos) * sign;
    const unitTok = this.peek();
    const unit = unitTok.kind === "ident" ? UNITS[unitTok.value.toUpperCase()] : undefined;
    if (unit === undefined) {
      this.expect(UNIT_LABEL);
      this.fail();
    }
    this.advance();
    return { kind: "relativeDate", amount: amount === 0 ? 0 : amount, unit, pos: start.pos, end: unitTok.end };
  }

  /** `date(2019-10-30)`, `date(2019-10-30T10:00Z)`, `date(2019-10-30T10:00:00Z)` */
  private parseDate(): Value {
    const start = this.advance();
    this.advance(); // (
    const inner: Token[] = [];
    for (;;) {
      const tok = this.peek();
      if (this.isSym(tok, ")")) break;
      if (tok.kind === "eof" || this.isSym(tok, "(") || this.isSym(tok, "${")) {
        this.expect(...DATE_FORMATS.map((f) => `a date ${f}`), '")"');
        this.fail();
      }
      inner.push(this.advance());
    }
    const close = this.advance();
    const first = inner[0];
    const last = inner[inner.length - 1];
    if (first === undefined || last === undefined) {
      throw this.error("missing date", close.pos, close.end, DATE_FORMATS);
    }
    const contiguous = inner.every((tok, k) => k === 0 || tok.pos === inner[k - 1]!.end);
    const raw =
      inner.length === 1 && first.kind === "string" ? first.value : contiguous ? this.text.slice(first.pos, last.end) : undefined;
    const value = raw === undefined ? undefined : parseIsoDate(raw);
    if (value === undefined) {
      const shown = this.text.slice(first.pos, last.end);
      throw this.error(`invalid date ${quote(shown)}`, first.pos, last.end, DATE_FORMATS);
    }
    return { kind: "date", value, pos: start.pos, end: close.end };
  }

  // ---- RETURN / ORDER BY / SKIP / LIMIT -----------------------------------

  private parseReturn(ret: Token): ReturnClause {
    const tok = this.peek();
    if (this.isKw(tok, "TREE") && !this.isSym(this.peek(1), ".") && !this.isSym(this.peek(1), "(")) {
      this.advance();
      if (this.isSym(this.peek(), ",")) {
        const comma = this.peek();
        throw this.error("RETURN TREE cannot be combined with other items", comma.pos, comma.end, [
          "ORDER BY",
          "SKIP",
          "LIMIT",
          "end of query",
        ]);
      }
      return { kind: "returnTree", pos: ret.pos, end: tok.end };
    }
    const items: ReturnItem[] = [];
    do items.push(this.parseReturnItem());
    while (this.acceptSym(",", '","'));
    return { kind: "returnItems", pos: ret.pos, end: this.previous.end, items };
  }

  private parseReturnItem(): ReturnItem {
    const tok = this.peek();
    let expr: ReturnExpr;
    if (tok.kind === "ident" && this.isSym(this.peek(1), "(")) {
      expr = this.parseCall(tok);
    } else if (tok.kind === "ident" && (!RESERVED.has(tok.value.toUpperCase()) || this.isSym(this.peek(1), "."))) {
      if (this.isKw(tok, "TREE") && !this.isSym(this.peek(1), ".")) {
        throw this.error("RETURN TREE cannot be combined with other items", tok.pos, tok.end);
      }
      this.advance();
      if (this.acceptSym(".", null)) {
        expr = this.acceptSym("*", null)
          ? { kind: "allProps", alias: tok.value, pos: tok.pos, end: this.previous.end }
          : { kind: "prop", alias: tok.value, name: this.parsePropPath(), pos: tok.pos, end: this.previous.end };
      } else {
        expr = { kind: "alias", alias: tok.value, pos: tok.pos, end: tok.end };
      }
    } else {
      this.expect("an alias", "alias.property", "COUNT(...)");
      this.fail();
    }
    this.checkArithmetic(tok.pos);
    const item: Mutable<ReturnItem> = { kind: "returnItem", expr, pos: tok.pos, end: expr.end };
    if (this.acceptKw("AS")) {
      // `AS name` or `AS 'Any Name'`: a column name is data (the label of the
      // result column), never SQL; the compiler names SQL columns itself.
      if (this.peek().kind === "string") item.as = this.advance().value;
      else item.as = this.expectIdent("a column name").value;
      if (item.as.length === 0) throw this.error("empty column name", this.previous.pos, this.previous.end, ["a column name"]);
      item.end = this.previous.end;
    }
    return item;
  }

  /** `COUNT(a)`, `COUNT(a.p)`, `MIN|MAX|AVG|SUM(a.p)`; any other call is a scalar function. */
  private parseCall(name: Token): ReturnExpr {
    const fn = AGGREGATES[name.value.toUpperCase()];
    if (fn === undefined) {
      const close = this.matchingParen(1);
      const end = close === undefined ? this.peek(1).end : this.peek(close).end;
      throw this.notSupported("scalar functions in RETURN", "are", name.pos, end);
    }
    this.advance();
    this.advance(); // (
    const alias = this.peek();
    if (alias.kind !== "ident") {
      this.expect("an alias");
      this.fail();
    }
    this.advance();
    let propName: string | undefined;
    if (this.acceptSym(".")) propName = this.parsePropPath();
    this.checkArithmetic(name.pos, 1);
    if (propName === undefined && fn !== "count" && this.isSym(this.peek(), ")")) {
      const close = this.peek();
      const upper = name.value.toUpperCase();
      throw this.error(`${upper} needs a property, as in ${upper}(${alias.value}.property)`, close.pos, close.end, ['"."']);
    }
    const close = this.expectSym(")");
    const expr: Mutable<ReturnExpr & { kind: "aggregate" }> = { kind: "aggregate", fn, alias: alias.value, pos: name.pos, end: close.end };
    if (propName !== undefined) expr.name = propName;
    return expr;
  }

  /**
   * `a.x + a.y`, `count(a) * 2`: arithmetic is left for later. `open` is the
   * number of parentheses opened since `from` (1 inside an aggregate).
   */
  private checkArithmetic(from: number, open = 0): void {
    const tok = this.peek();
    if (tok.kind !== "symbol" || !ARITHMETIC.has(tok.value)) return;
    // Extend the span to the end of the item (next `,` or clause keyword at depth 0).
    let end = tok.end;
    try {
      let depth = open;
      for (let k = 0; ; k++) {
        const t = this.peek(k);
        if (t.kind === "eof") break;
        if (this.isSym(t, "(")) depth++;
        if (this.isSym(t, ")") && --depth < 0) break;
        if (depth === 0 && (this.isSym(t, ",") || ["AS", "ORDER", "SKIP", "LIMIT"].some((w) => this.isKw(t, w)))) break;
        end = t.end;
      }
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
    }
    throw this.notSupported("arithmetic in RETURN", "is", from, end);
  }

  private parseOrderBy(): OrderKey[] {
    const keys: OrderKey[] = [];
    do {
      const tok = this.peek();
      const quoted = tok.kind === "string";
      if (!quoted && (tok.kind !== "ident" || (RESERVED.has(tok.value.toUpperCase()) && !this.isSym(this.peek(1), ".")))) {
        this.expect("a sort key");
        this.fail();
      }
      this.advance();
      const path = [tok.value];
      // A quoted key names a RETURN column as written (`ORDER BY 'Host Type'`).
      if (!quoted) while (this.acceptSym(".", null)) path.push(this.parseSegment());
      let descending = false;
      if (this.acceptKw("DESC")) descending = true;
      else this.acceptKw("ASC");
      const key: Mutable<OrderKey> = { kind: "orderKey", path, descending, pos: tok.pos, end: this.previous.end };
      if (quoted) key.quoted = true;
      keys.push(key);
    } while (this.acceptSym(",", '","'));
    return keys;
  }

  /** The non-negative integer after SKIP or LIMIT. */
  private parseCount(keyword: Token): number {
    const tok = this.peek();
    const negative = this.isSym(tok, "-") && this.peek(1).kind === "number";
    if (tok.kind !== "number" && !negative) {
      this.expect("a non-negative integer");
      this.fail();
    }
    if (negative) this.advance();
    const num = this.advance();
    const value = Number(num.value);
    if (negative || !/^[0-9]+$/.test(num.value) || !Number.isSafeInteger(value)) {
      const word = keyword.value.toUpperCase();
      throw this.error(
        `${word} must be a non-negative integer, not ${quote(this.text.slice(tok.pos, num.end))}`,
        tok.pos,
        num.end,
      );
    }
    return value;
  }
}

function combine(kind: "and" | "or", items: Filter[]): Filter {
  if (items.length === 1) return items[0]!;
  return { kind, items, pos: items[0]!.pos, end: items[items.length - 1]!.end };
}

function quote(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?)?$/i;

/** `YYYY-MM-DD[THH:MM[:SS[.mmm]][Z]]` as UTC epoch ms, or undefined if malformed or impossible. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((s) => Number(s ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0"));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (daysInMonth === undefined || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
