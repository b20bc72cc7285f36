import { describe, expect, it } from "vitest";
import { QueryError } from "../shared/errors.js";
import type { Comparison, Filter, Query, ValueGroup } from "./ast.js";
import { DOCUMENTED_QUERIES } from "./fixtures/documented-queries.js";
import { tokenize } from "./lexer.js";
import { parseQuery } from "./parser.js";

/** The QueryError thrown by parsing `text` (fails the test if none or another kind). */
function parseError(text: string): QueryError {
  try {
    parseQuery(text);
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    return err as QueryError;
  }
  throw new Error(`expected a QueryError for: ${text}`);
}

/** The filter of the start node. */
function withFilter(text: string): Filter {
  const filter = parseQuery(text).start.filter;
  expect(filter).toBeDefined();
  return filter!;
}

/** The right-hand side of `Find x with p <op> <value>`. */
function rhs(valueText: string): Comparison["right"] {
  const f = withFilter(`Find x with p = ${valueText}`);
  expect(f.kind).toBe("compare");
  return (f as Comparison).right;
}

describe("lexer", () => {
  it("produces tokens with offsets, skipping comments", () => {
    const tokens = tokenize("Find /* c */ x.y!~='a\\'b' [k k]>=-5");
    expect(tokens.map((t) => [t.kind, t.value, t.pos, t.end])).toEqual([
      ["ident", "Find", 0, 4],
      ["ident", "x", 13, 14],
      ["symbol", ".", 14, 15],
      ["ident", "y", 15, 16],
      ["symbol", "!~=", 16, 19],
      ["string", "a'b", 19, 25],
      ["bracket", "k k", 26, 31],
      ["symbol", ">=", 31, 33],
      ["symbol", "-", 33, 34],
      ["number", "5", 34, 35],
      ["eof", "", 35, 35],
    ]);
  });

  it("splits a number glued to a unit and keeps decimals", () => {
    expect(tokenize("24hr 1.5").map((t) => [t.kind, t.value])).toEqual([
      ["number", "24"],
      ["ident", "hr"],
      ["number", "1.5"],
      ["eof", ""],
    ]);
  });

  it("decodes escapes in strings", () => {
    expect(tokenize(String.raw`"a\"b\n\t\u0041\\"`)[0]).toMatchObject({ kind: "string", value: 'a"b\n\tA\\' });
  });

  it("decodes every documented escape, and surrogate pairs", () => {
    expect(tokenize(String.raw`'\n\r\t\b\f\/\\\'\"\u00e9\u00E9\uD83D\uDE00'`)[0]).toMatchObject({
      kind: "string",
      value: "\n\r\t\b\f/\\'\"éé😀",
    });
  });

  it("refuses an unknown escape at its backslash", () => {
    for (const [text, column, shown] of [
      [String.raw`Find A with name = '\q'`, 21, String.raw`unknown escape "\q"`],
      [String.raw`Find A with name = "ab\d+"`, 23, String.raw`unknown escape "\d"`],
      [String.raw`Find A with name = 'é\😀'`, 22, String.raw`unknown escape "\😀"`],
      ["Find A with name = 'a\\\\\\ b'", 24, "unknown escape (a backslash before U+0020)"],
      ["Find A\n  with name = 'x\\\ny'", 17, "unknown escape (a backslash before U+000A)"],
    ] as const) {
      const err = parseError(text);
      expect(err.reason, text).toBe(`${shown} in a string`);
      expect(err.position?.column, text).toBe(column);
      expect(err.message, text).toContain(String.raw`expected \n, \r, \t, \b, \f, \/, \\, \', \", \{ or \uXXXX`);
    }
    expect(parseError("Find A\n  with name = 'x\\\ny'").position?.line).toBe(2);
  });

  it("refuses a malformed \\u escape and half a surrogate pair at the backslash", () => {
    const at = (text: string) => {
      const err = parseError(text);
      return [err.reason, err.position?.column, err.position?.length];
    };
    expect(at(String.raw`Find A with name = '\uZZZZ'`)).toEqual([
      String.raw`malformed escape "\uZZZZ" (\u takes four hex digits, like \u00e9)`,
      21,
      6,
    ]);
    expect(at(String.raw`Find A with name = 'x\u12'`)).toEqual([
      String.raw`malformed escape "\u12" (\u takes four hex digits, like \u00e9)`,
      22,
      4,
    ]);
    expect(at(String.raw`Find A with name = '\u{1F600}'`)[1]).toBe(21);
    expect(at(String.raw`Find A with name = '\u'`)[0]).toMatch(/^malformed escape "\\u"/);
    expect(at(String.raw`Find A with name = "\uD83Dx"`)[0]).toMatch(/^"\\uD83D" is half of a UTF-16 surrogate pair/);
    expect(at(String.raw`Find A with name = "\uD83D\u0041"`)[0]).toMatch(/half of a UTF-16 surrogate pair/);
    expect(at(String.raw`Find A with name = "ok" and b = "\uDE00\uD83D"`)).toEqual([
      String.raw`"\uDE00" is half of a UTF-16 surrogate pair; write the pair (\uD83D\uDE00) or the character itself`,
      34,
      6,
    ]);
  });

  it("reads every operator as one token", () => {
    const ops = ["=", "!=", "<", ">", "<=", ">=", "~=", "^=", "$=", "!~=", "!^=", "!$=", ">>", "<<", "${"];
    for (const op of ops) expect(tokenize(op)[0]).toMatchObject({ kind: "symbol", value: op });
  });

  it("turns stray characters into unknown tokens", () => {
    expect(tokenize("a % b")[1]).toMatchObject({ kind: "unknown", value: "%", pos: 2, end: 3 });
  });
});

describe("documented queries", () => {
  it("lists every query of J1QL.md", () => {
    expect(DOCUMENTED_QUERIES).toHaveLength(28);
    expect(new Set(DOCUMENTED_QUERIES).size).toBe(28);
  });

  it.each(DOCUMENTED_QUERIES.map((q) => [q]))("parses %s", (q) => {
    const query = parseQuery(q);
    expect(query.kind).toBe("query");
    expect(query.pos).toBe(0);
    expect(query.end).toBe(q.length);
  });
});

describe("targets and steps", () => {
  it("parses a plain FIND", () => {
    expect(parseQuery("Find CodeRepo")).toEqual({
      kind: "query",
      pos: 0,
      end: 13,
      unique: false,
      start: { kind: "node", pos: 5, end: 13, targets: [{ kind: "class", name: "CodeRepo", pos: 5, end: 13 }] },
      steps: [],
      orderBy: [],
    });
  });

  it("makes FIND optional and reads UNIQUE", () => {
    expect(parseQuery("deferred_maintenance")).toMatchObject({
      unique: false,
      start: { targets: [{ kind: "type", name: "deferred_maintenance" }] },
    });
    expect(parseQuery("find unique CodeRepo")).toMatchObject({ unique: true, start: { targets: [{ name: "CodeRepo" }] } });
  });

  it("reads *, classes, types and groups", () => {
    expect(parseQuery("Find * as e").start).toMatchObject({ targets: [], alias: "e" });
    expect(parseQuery("Find (Host|device|aws_s3_bucket)").start.targets).toMatchObject([
      { kind: "class", name: "Host" },
      { kind: "type", name: "device" },
      { kind: "type", name: "aws_s3_bucket" },
    ]);
    expect(parseQuery("Find _private").start.targets).toMatchObject([{ kind: "type", name: "_private" }]);
  });

  it("upper-cases verbs and reads direction, negation and RELATES TO", () => {
    const q = parseQuery("Find User that has >> Device THAT !IS << Person that !relates to Team that (uses|Owns) x");
    expect(q.steps).toMatchObject([
      { kind: "step", negated: false, verbs: ["HAS"], direction: "forward", node: { targets: [{ name: "Device" }] } },
      { negated: true, verbs: ["IS"], direction: "backward" },
      { negated: true, verbs: [], direction: "both", node: { targets: [{ name: "Team" }] } },
      { negated: false, verbs: ["USES", "OWNS"], direction: "both" },
    ]);
    expect(parseQuery("Find User with mfaEnabled != true that !(ASSIGNED|USES|HAS) mfa_device").steps[0]).toMatchObject({
      negated: true,
      verbs: ["ASSIGNED", "USES", "HAS"],
    });
  });

  it("tells the edge alias from the node alias", () => {
    const q = parseQuery("Find UNIQUE CodeRepo THAT USES as u npm_package AS p");
    expect(q.steps[0]).toMatchObject({ edgeAlias: "u", node: { alias: "p", targets: [{ name: "npm_package" }] } });
    expect(q.steps[0]!.node).not.toHaveProperty("edgeAlias");
    const plain = parseQuery("Find A that HAS B as b").steps[0]!;
    expect(plain).not.toHaveProperty("edgeAlias");
    expect(plain.node.alias).toBe("b");
  });

  it("lets a step node carry its own filter and alias", () => {
    const q = parseQuery("Find * as e that HAS deferred_maintenance with closed=false and dueDate < date.now as m");
    expect(q.steps[0]!.node).toMatchObject({
      alias: "m",
      filter: {
        kind: "and",
        items: [
          { kind: "compare", left: { name: "closed" }, op: "=", right: { kind: "boolean", value: false } },
          { kind: "compare", left: { name: "dueDate" }, op: "<", right: { kind: "relativeDate", amount: 0 } },
        ],
      },
    });
  });

  it("records spans", () => {
    const text = "Find A as a that HAS B with x=1";
    const q = parseQuery(text);
    expect(text.slice(q.start.pos, q.start.end)).toBe("A as a");
    const step = q.steps[0]!;
    expect(text.slice(step.pos, step.end)).toBe("that HAS B with x=1");
    const f = step.node.filter as Comparison;
    expect(text.slice(f.pos, f.end)).toBe("x=1");
    expect(text.slice(f.right.pos, f.right.end)).toBe("1");
  });

  it("keeps aliases case-sensitive", () => {
    const q = parseQuery("Find User as u that OPENED PR as PR return PR.name ORDER BY PR._createdOn");
    expect(q.steps[0]!.node.alias).toBe("PR");
    expect(q.returns).toMatchObject({ items: [{ expr: { kind: "prop", alias: "PR", name: "name" } }] });
    expect(q.orderBy).toMatchObject([{ path: ["PR", "_createdOn"] }]);
  });
});

describe("WITH filters", () => {
  it("does not wrap a single comparison", () => {
    expect(withFilter("Find x with a = 1")).toMatchObject({ kind: "compare", left: { kind: "prop", name: "a" } });
  });

  it("binds AND tighter than OR", () => {
    expect(withFilter("Find x with a=1 or b=2 and c=3 or d=4")).toMatchObject({
      kind: "or",
      items: [
        { kind: "compare", left: { name: "a" } },
        { kind: "and", items: [{ left: { name: "b" } }, { left: { name: "c" } }] },
        { kind: "compare", left: { name: "d" } },
      ],
    });
  });

  it("honours parentheses", () => {
    expect(withFilter("Find x with (a=1 or b=2) and c=3")).toMatchObject({
      kind: "and",
      items: [{ kind: "or", items: [{ left: { name: "a" } }, { left: { name: "b" } }] }, { left: { name: "c" } }],
    });
    expect(withFilter("Find x with ((a=1))")).toMatchObject({ kind: "compare", left: { name: "a" } });
  });

  it("ends the filter at AS, THAT, RETURN", () => {
    const q = parseQuery("Find x with a = 1 and b = 2 as m that HAS y with c = 3 return m");
    expect(q.start).toMatchObject({ alias: "m", filter: { kind: "and", items: [{}, {}] } });
    expect(q.steps[0]!.node.filter).toMatchObject({ kind: "compare", left: { name: "c" } });
    expect(q.returns).toMatchObject({ kind: "returnItems" });
  });

  it("reads every operator", () => {
    for (const op of ["=", "!=", "<", ">", "<=", ">=", "~=", "^=", "$=", "!~=", "!^=", "!$="]) {
      expect(withFilter(`Find x with a${op}'v'`)).toMatchObject({ op, right: { kind: "string", value: "v" } });
    }
  });

  it("keeps dotted and bracketed property names whole, without alias", () => {
    const f = withFilter("Find Host with tag.AccountName~='demo'");
    expect(f).toMatchObject({ left: { kind: "prop", name: "tag.AccountName" } });
    expect((f as Comparison).left).not.toHaveProperty("alias");
    expect(withFilter('find Finding with [j1_severity] = "high"')).toMatchObject({
      left: { name: "j1_severity" },
      right: { kind: "string", value: "high" },
    });
    expect(withFilter("Find x with [odd key.with-dash] = 1")).toMatchObject({ left: { name: "odd key.with-dash" } });
  });

  it("accepts reserved words as property names", () => {
    expect(withFilter("Find x with limit = 1 and order = 2")).toMatchObject({
      items: [{ left: { name: "limit" } }, { left: { name: "order" } }],
    });
  });

  it("rejects a bare identifier as value", () => {
    const err = parseError("Find x with name = foo");
    expect(err.reason).toBe(`unexpected "foo" (to compare with a string, quote it: 'foo')`);
    expect(err.expected).toEqual(["a value"]);
    expect(err.position).toMatchObject({ offset: 19, column: 20, length: 3 });
  });

  it("rejects an empty bracket name", () => {
    expect(parseError("Find x with [] = 1").reason).toBe("empty property name");
  });
});

describe("values", () => {
  it("reads strings, numbers and keywords", () => {
    expect(rhs("'a b'")).toMatchObject({ kind: "string", value: "a b" });
    expect(rhs('"x\\"y"')).toMatchObject({ kind: "string", value: 'x"y' });
    expect(rhs("42")).toMatchObject({ kind: "number", value: 42 });
    expect(rhs("3.25")).toMatchObject({ kind: "number", value: 3.25 });
    expect(rhs("-5")).toMatchObject({ kind: "number", value: -5, pos: 16, end: 18 });
    expect(rhs("-0.5")).toMatchObject({ kind: "number", value: -0.5 });
    expect(rhs("true")).toMatchObject({ kind: "boolean", value: true });
    expect(rhs("FALSE")).toMatchObject({ kind: "boolean", value: false });
    expect(rhs("undefined")).toEqual({ kind: "undefined", pos: 16, end: 25 });
    expect(rhs("NULL")).toMatchObject({ kind: "undefined" });
  });

  it("reads date.now with offsets", () => {
    expect(rhs("date.now")).toMatchObject({ kind: "relativeDate", amount: 0, unit: "day" });
    expect(rhs("date.Now")).toMatchObject({ kind: "relativeDate", amount: 0 });
    expect(rhs("DATE.NOW")).toMatchObject({ kind: "relativeDate", amount: 0 });
    expect(rhs("date.now-24hr")).toMatchObject({ kind: "relativeDate", amount: -24, unit: "hour" });
    expect(rhs("date.now - 72 hours")).toMatchObject({ amount: -72, unit: "hour" });
    expect(rhs("date.now + 7days")).toMatchObject({ amount: 7, unit: "day" });
    expect(rhs("date.now - 6 months")).toMatchObject({ amount: -6, unit: "month" });
    expect(Object.is((rhs("date.now - 0 days") as { amount: number }).amount, 0)).toBe(true);
    const units: Record<string, string> = {
      hour: "hour",
      hours: "hour",
      hr: "hour",
      HRS: "hour",
      day: "day",
      Days: "day",
      week: "week",
      weeks: "week",
      month: "month",
      months: "month",
      mo: "month",
      mos: "month",
      year: "year",
      years: "year",
      yr: "year",
      yrs: "year",
    };
    for (const [word, unit] of Object.entries(units)) {
      expect(rhs(`date.now-2${word}`)).toMatchObject({ amount: -2, unit });
    }
  });

  it("spans date.now expressions", () => {
    const text = "Find x with p > date.now - 7 days as m";
    const right = (parseQuery(text).start.filter as Comparison).right;
    expect(text.slice(right.pos, right.end)).toBe("date.now - 7 days");
  });

  it("rejects date.now offsets without a number or unit", () => {
    expect(parseError("Find x with p > date.now - 7").expected).toContain(
      "a time unit (hours, days, weeks, months, years)",
    );
    expect(parseError("Find x with p > date.now - 7 fortnights").reason).toBe('unexpected "fortnights"');
    expect(parseError("Find x with p > date.now - days").expected).toEqual(["a number"]);
    const today = parseError("Find x with p > date.today");
    expect(today.reason).toBe('unexpected "today"');
    expect(today.expected).toEqual(["now"]);
  });

  it("resolves absolute dates to UTC epoch ms", () => {
    expect(rhs("date(2019-10-30)")).toMatchObject({ kind: "date", value: Date.UTC(2019, 9, 30) });
    expect(rhs("DATE(2019-10-30T10:00Z)")).toMatchObject({ value: Date.UTC(2019, 9, 30, 10, 0) });
    expect(rhs("date(2019-10-30T10:00:59Z)")).toMatchObject({ value: Date.UTC(2019, 9, 30, 10, 0, 59) });
    expect(rhs("date( 2020-02-29 )")).toMatchObject({ value: Date.UTC(2020, 1, 29) });
    expect(rhs("date('2019-10-30')")).toMatchObject({ value: Date.UTC(2019, 9, 30) });
  });

  it("rejects impossible or malformed dates at the date", () => {
    const err = parseError("Find x with p > date(2019-13-45)");
    expect(err.reason).toBe('invalid date "2019-13-45"');
    expect(err.position).toMatchObject({ offset: 21, length: 10 });
    expect(err.message).toContain("expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z");
    expect(parseError("Find x with p > date(2019-02-29)").reason).toBe('invalid date "2019-02-29"');
    expect(parseError("Find x with p > date(2019-10-30T24:00Z)").reason).toContain("invalid date");
    expect(parseError("Find x with p > date(2019-10-30 10:00)").reason).toContain("invalid date");
    expect(parseError("Find x with p > date(yesterday)").reason).toContain("invalid date");
    expect(parseError("Find x with p > date()").reason).toBe("missing date");
    expect(parseError("Find x with p > date(2019-10-30").reason).toBe("unexpected end of query");
  });

  it("reads value groups", () => {
    expect(rhs("('foo' or 'bar')")).toMatchObject({
      kind: "group",
      combinator: "or",
      values: [
        { kind: "string", value: "foo" },
        { kind: "string", value: "bar" },
      ],
      pos: 16,
      end: 32,
    });
    expect(rhs("('a' AND 'b' and 'c')")).toMatchObject({ combinator: "and", values: [{}, {}, {}] });
    expect(rhs("(1)")).toMatchObject({ kind: "group", combinator: "or", values: [{ value: 1 }] });
    expect(rhs("(true or date.now - 1 day or -3)")).toMatchObject({
      values: [{ kind: "boolean" }, { kind: "relativeDate", amount: -1 }, { kind: "number", value: -3 }],
    });
  });

  it("refuses to mix OR and AND in a value group", () => {
    const err = parseError("Find x with p = ('a' or 'b' and 'c')");
    expect(err.reason).toContain("cannot mix OR and AND");
    expect(err.position).toMatchObject({ offset: 28, length: 3 });
  });

  it("rejects an empty group and out-of-range numbers", () => {
    expect(parseError("Find x with p = ()").expected).toEqual(["a value"]);
    expect(parseError(`Find x with p = ${"9".repeat(400)}`).reason).toContain("number out of range");
  });
});

describe("WHERE", () => {
  it("splits the alias off the first segment and allows props on the right", () => {
    const q = parseQuery("Find A as u1 that HAS B as u2 WHERE u1.name=u2.name and m.tag.Production = true");
    expect(q.where).toMatchObject({
      kind: "and",
      items: [
        {
          kind: "compare",
          left: { kind: "prop", alias: "u1", name: "name" },
          right: { kind: "prop", alias: "u2", name: "name" },
        },
        { left: { alias: "m", name: "tag.Production" }, right: { kind: "boolean", value: true } },
      ],
    });
  });

  it("reads values, groups and bracketed keys", () => {
    const q = parseQuery("Find A as a where a.[x y] = ('p' or 'q') or (a.n > date.now and a.m != undefined)");
    expect(q.where).toMatchObject({
      kind: "or",
      items: [
        { left: { alias: "a", name: "x y" }, right: { kind: "group" } },
        { kind: "and", items: [{ right: { kind: "relativeDate" } }, { right: { kind: "undefined" } }] },
      ],
    });
  });

  it("requires alias.property on the left and a value or property on the right", () => {
    expect(parseError("Find A as a where name = 1").expected).toEqual(['"."']);
    expect(parseError("Find A as a where a.x = y").expected).toEqual(["a value or alias.property"]);
  });
});

describe("RETURN", () => {
  it("reads every kind of item", () => {
    const q = parseQuery(
      "Find A as a return a, a.*, a.name, a.tag.Production as prod, a.[weird key], COUNT(a), count(a.x) AS n, min(a.x), MAX(a.x), avg(a.x), Sum(a.x)",
    );
    expect(q.returns).toMatchObject({
      kind: "returnItems",
      items: [
        { kind: "returnItem", expr: { kind: "alias", alias: "a" } },
        { expr: { kind: "allProps", alias: "a" } },
        { expr: { kind: "prop", alias: "a", name: "name" } },
        { expr: { kind: "prop", alias: "a", name: "tag.Production" }, as: "prod" },
        { expr: { kind: "prop", alias: "a", name: "weird key" } },
        { expr: { kind: "aggregate", fn: "count", alias: "a" } },
        { expr: { kind: "aggregate", fn: "count", alias: "a", name: "x" }, as: "n" },
        { expr: { fn: "min", name: "x" } },
        { expr: { fn: "max", name: "x" } },
        { expr: { fn: "avg", name: "x" } },
        { expr: { fn: "sum", name: "x" } },
      ],
    });
    const items = (q.returns as { items: readonly { expr: object; as?: string }[] }).items;
    expect(items[5]!.expr).not.toHaveProperty("name");
    expect(items[0]).not.toHaveProperty("as");
  });

  it("reads RETURN TREE", () => {
    expect(parseQuery("Find A that HAS B return tree").returns).toMatchObject({ kind: "returnTree" });
    expect(parseQuery("Find A as tree return tree.name").returns).toMatchObject({
      kind: "returnItems",
      items: [{ expr: { kind: "prop", alias: "tree", name: "name" } }],
    });
  });

  it("refuses to mix RETURN TREE with items", () => {
    expect(parseError("Find A as a return tree, a").reason).toBe("RETURN TREE cannot be combined with other items");
    expect(parseError("Find A as a return a, TREE").reason).toBe("RETURN TREE cannot be combined with other items");
  });

  it("requires a property for MIN, MAX, AVG and SUM", () => {
    for (const fn of ["MIN", "max", "Avg", "SUM"]) {
      const err = parseError(`Find A as a return ${fn}(a)`);
      expect(err.reason).toBe(`${fn.toUpperCase()} needs a property, as in ${fn.toUpperCase()}(a.property)`);
    }
  });

  it("rejects a missing item", () => {
    const err = parseError("Find A as a return");
    expect(err.reason).toBe("unexpected end of query");
    expect(err.expected).toEqual(["an alias", "alias.property", "COUNT(...)"]);
  });
});

describe("ORDER BY, SKIP, LIMIT", () => {
  it("reads keys, directions, skip and limit", () => {
    const q = parseQuery("Find A as a return a.x as y order by y desc, a.dueDate ASC, a.tag.x skip 10 limit 0");
    expect(q.orderBy).toMatchObject([
      { kind: "orderKey", path: ["y"], descending: true },
      { path: ["a", "dueDate"], descending: false },
      { path: ["a", "tag", "x"], descending: false },
    ]);
    expect(q).toMatchObject({ skip: 10, limit: 0 });
  });

  it("leaves skip and limit out when absent", () => {
    const q = parseQuery("Find A");
    expect(q).not.toHaveProperty("skip");
    expect(q).not.toHaveProperty("limit");
    expect(q).not.toHaveProperty("where");
    expect(q).not.toHaveProperty("returns");
  });

  it("rejects bad numbers", () => {
    const neg = parseError("Find A limit -1");
    expect(neg.reason).toBe('LIMIT must be a non-negative integer, not "-1"');
    expect(neg.position).toMatchObject({ offset: 13, length: 2 });
    expect(parseError("Find A limit 2.5").reason).toBe('LIMIT must be a non-negative integer, not "2.5"');
    expect(parseError("Find A skip 1.0").reason).toBe('SKIP must be a non-negative integer, not "1.0"');
    expect(parseError("Find A limit 99999999999999999999").reason).toContain("non-negative integer");
    const word = parseError("Find A limit ten");
    expect(word.reason).toBe('unexpected "ten"');
    expect(word.expected).toEqual(["a non-negative integer"]);
  });

  it("requires BY after ORDER and clauses in order", () => {
    expect(parseError("Find A order m.x").expected).toEqual(["BY"]);
    expect(parseError("Find A limit 5 skip 1").reason).toBe('unexpected "skip"');
  });
});

describe("case-insensitivity and comments", () => {
  it("treats keywords and functions in any case alike", () => {
    const lower = parseQuery(
      "find unique a with x = true and y = null as m that has >> b return count(m) as c order by c desc skip 1 limit 2",
    );
    const upper = parseQuery(
      "FIND UNIQUE a WITH x = TRUE AND y = NULL AS m THAT HAS >> b RETURN COUNT(m) AS c ORDER BY c DESC SKIP 1 LIMIT 2",
    );
    expect(upper).toEqual(lower);
  });

  it("keeps names and strings case-sensitive", () => {
    expect(parseQuery("Find Host with Name = 'ABC'").start).toMatchObject({
      targets: [{ kind: "class", name: "Host" }],
      filter: { left: { name: "Name" }, right: { value: "ABC" } },
    });
  });

  it("skips comments anywhere", () => {
    const q = parseQuery("/* lead */Find/**/CodeRepo /* a\nmulti-line */ with name /* x */ = 'a' /* tail */");
    expect(q.start).toMatchObject({ targets: [{ name: "CodeRepo" }], filter: { right: { value: "a" } } });
  });

  it("reports an unterminated comment at its start", () => {
    const err = parseError("Find A /* oops");
    expect(err.reason).toBe("unterminated comment");
    expect(err.position).toMatchObject({ offset: 7, column: 8 });
  });

  it("reports an unterminated string at its start", () => {
    const err = parseError("Find A with name = 'abc");
    expect(err.reason).toBe("unterminated string");
    expect(err.position).toMatchObject({ offset: 19, line: 1, column: 20 });
    expect(parseError('Find A with name = "a\\"').reason).toBe("unterminated string");
    expect(parseError("Find A with [abc = 1").reason).toBe("unterminated [property name]");
  });
});

describe("syntax errors", () => {
  it("gives the documented message for a typo", () => {
    const err = parseError("Find CodeRepo wiht name='x'");
    expect(err.message).toBe(
      'unexpected "wiht" at line 1, column 15; expected WITH, THAT, AS, RETURN or end of query',
    );
    expect(err.position).toEqual({ offset: 14, line: 1, column: 15, length: 4 });
    expect(err.details).toEqual(["  Find CodeRepo wiht name='x'", "                ^^^^"]);
  });

  it("points at the right line and column in multi-line queries", () => {
    const err = parseError("Find CodeRepo as c\n  that HAS Finding\n  with severity = high");
    expect(err.position).toMatchObject({ line: 3, column: 19, length: 4 });
    expect(err.message).toContain("at line 3, column 19");
    expect(err.details).toEqual(["    with severity = high", "                    ^^^^"]);
  });

  it("reports the end of the query", () => {
    const err = parseError("Find A that HAS");
    expect(err.message).toBe(
      'unexpected end of query at line 1, column 16; expected ">>", "<<", a class or type name, "*", "(" or AS',
    );
    expect(parseError("").reason).toBe("unexpected end of query");
    expect(parseError("   \n ").expected).toEqual(["FIND", "UNIQUE", "a class or type name", '"*"', '"("']);
  });

  it("reports trailing garbage with what could have come", () => {
    const err = parseError("Find A with x = 1 as a )");
    expect(err.reason).toBe('unexpected ")"');
    expect(err.expected).toEqual(["THAT", "WHERE", "RETURN", "end of query"]);
    const afterFilter = parseError("Find A with x = 1 foo");
    expect(afterFilter.expected).toEqual(["AND", "OR", "THAT", "AS", "RETURN", "end of query"]);
    const afterReturn = parseError("Find A as a return a.x ;");
    expect(afterReturn.reason).toBe('unexpected ";"');
    expect(afterReturn.expected).toEqual(["AS", '","', "ORDER BY", "SKIP", "LIMIT", "end of query"]);
  });

  it("rejects reserved words as names", () => {
    expect(parseError("Find with x = 1").reason).toBe('unexpected "with"');
    expect(parseError("Find A that AS B").expected).toEqual(['"!"', "a verb", "RELATES TO", '"("']);
    expect(parseError("Find A that relates B").expected).toEqual(["TO"]);
  });

  it("rejects stray characters and incomplete comparisons", () => {
    const err = parseError("Find A with x % 1");
    expect(err.reason).toBe('unexpected "%"');
    expect(err.expected).toEqual(["a comparison operator (= != < > <= >= ~= ^= $= !~= !^= !$=)"]);
    expect(parseError("Find A with x = 1 and").expected).toEqual(["a property name", '"("']);
    expect(parseError("Find A with (x = 1").expected).toContain('")"');
  });

  it("limits nesting depth", () => {
    const deep = `Find A with ${"(".repeat(5000)}x=1${")".repeat(5000)}`;
    expect(parseError(deep).reason).toContain("nested too deeply");
    expect(parseQuery(`Find A with ${"(".repeat(20)}x=1${")".repeat(20)}`).start.filter).toMatchObject({
      kind: "compare",
    });
  });
});

describe("issue 13 constructs", () => {
  it("reads optional traversals, chained and before required steps", () => {
    const q = parseQuery(
      "FIND A as s (THAT ASSIGNED << B)? (THAT USES C as c THAT HAS D)? THAT ASSIGNED << E AS p RETURN s.x, p.y",
    );
    expect(q.steps.map((s) => [s.verbs[0], s.direction, s.optional])).toEqual([
      ["ASSIGNED", "backward", 0],
      ["USES", "both", 1],
      ["HAS", "both", 1],
      ["ASSIGNED", "backward", undefined],
    ]);
    expect(q.optionalGroups).toEqual([
      { kind: "optionalGroup", pos: 12, end: 33, from: 0, to: 1 },
      { kind: "optionalGroup", pos: 34, end: 64, from: 1, to: 3 },
    ]);
    expect(q.steps[1]!.node.alias).toBe("c");
    expect(parseQuery("Find A that HAS B").optionalGroups).toBeUndefined();
  });

  it("wants the ? after an optional group", () => {
    const err = parseError("Find A (THAT HAS B) that HAS C");
    expect(err.reason).toBe('unexpected "that"');
    expect(err.expected).toEqual(['"?" (an optional traversal is written (THAT ...)?)']);
    expect(parseError("Find A (THAT HAS B").expected).toEqual(['")"', "WITH", "THAT", "AS"]);
  });

  it("reads question parameters as whole values and inside strings", () => {
    expect(rhs("{{ n }}")).toEqual({ kind: "param", name: "n", pos: 16, end: 23 });
    const inString = rhs(`"@{{domain}}.{{tld}}\\n"`);
    expect(inString).toMatchObject({
      kind: "string",
      value: "@{{domain}}.{{tld}}\n",
      template: ["@", { kind: "param", name: "domain", pos: 18, end: 28 }, ".", { kind: "param", name: "tld", pos: 29, end: 36 }, "\n"],
    });
    // escaped: a literal, no template
    expect(rhs(`'\\{{x}}'`)).toEqual({ kind: "string", value: "{{x}}", pos: 16, end: 24 });
    expect(parseError("Find A with x = {{a b}}").reason).toBe('invalid parameter name "a b"');
    expect(parseError("Find A with x = 'a{{}}'").reason).toBe('invalid parameter name ""');
    expect(parseError("Find A with x = {{a").reason).toBe("unterminated parameter");
    expect(parseError("Find {{type}}").reason).toBe('unexpected "{{type}}"');
  });

  it("reads quoted column names after AS and in ORDER BY", () => {
    const q = parseQuery(`Find A as h return h._type as 'Host Type', count(h) as "# of Hosts" order by '# of Hosts' desc, h.x`);
    const items = q.returns?.kind === "returnItems" ? q.returns.items : [];
    expect(items.map((i) => i.as)).toEqual(["Host Type", "# of Hosts"]);
    expect(q.orderBy.map((k) => [k.path, k.quoted, k.descending])).toEqual([
      [["# of Hosts"], true, true],
      [["h", "x"], undefined, false],
    ]);
    // a dot inside a quoted name does not split it
    expect(parseQuery("Find A as h return h.x as 'a.b' order by 'a.b'").orderBy[0]!.path).toEqual(["a.b"]);
    expect(parseError("Find A as h return h.x as ''").reason).toBe("empty column name");
  });
});

describe("not supported yet", () => {
  it.each([
    ['Find "10.0.0.1"', 'full-text search ("Find \\"10.0.0.1\\"") is not supported yet', 5, 10],
    ["Find 'abc' with x = 1", `full-text search ("Find 'abc'") is not supported yet`, 5, 5],
    ["Find #CriticalAsset", 'smart classes ("#CriticalAsset") are not supported yet', 5, 14],
    ["Find A that HAS #Smart", 'smart classes ("#Smart") are not supported yet', 16, 6],
    [`Find A with x = \${param.x}`, `query parameters ("\${param.x}") are not supported yet`, 16, 10],
    [`Find \${param.type}`, `query parameters ("\${param.type}") are not supported yet`, 5, 13],
    [`Find A as a where a.x = \${p}`, `query parameters ("\${p}") are not supported yet`, 24, 4],
    [`Find A with x = date(\${d})`, `query parameters ("\${d}") are not supported yet`, 21, 4],
    [
      "Find User (that HAS Device (that IS C)?)? return User",
      'nested optional traversals ("(that IS C)?") are not supported yet',
      27,
      12,
    ],
    [
      "Find A (THAT IS C)? as c that HAS D",
      'an alias on an optional traversal ("(THAT IS C)? as c") is not supported yet',
      7,
      17,
    ],
    ["Find (A|B)? that HAS C", 'optional targets (")?") are not supported yet; an optional traversal is written (THAT ...)?', 9, 2],
    ["Find A as a return a.x + a.y, a", 'arithmetic in RETURN ("a.x + a.y") is not supported yet', 19, 9],
    ["Find A as a return count(a) * 2 as n", 'arithmetic in RETURN ("count(a) * 2") is not supported yet', 19, 12],
    ["Find A as a return a.x / 2", 'arithmetic in RETURN ("a.x / 2") is not supported yet', 19, 7],
    ["Find A as a return sum(a.x - a.y) as n", 'arithmetic in RETURN ("sum(a.x - a.y)") is not supported yet', 19, 14],
    ["Find A as a return sum(a.x) + 1, a", 'arithmetic in RETURN ("sum(a.x) + 1") is not supported yet', 19, 12],
    [
      "Find A as a return upper(a.name) as n",
      'scalar functions in RETURN ("upper(a.name)") are not supported yet',
      19,
      13,
    ],
    ["Find A as a return a.x, concat(a.x, a.y)", 'scalar functions in RETURN ("concat(a.x, a.y)") are', 24, 16],
  ] as const)("%s", (text, reason, offset, length) => {
    const err = parseError(text);
    expect(err.reason).toContain(reason);
    expect(err.reason).toContain("not supported yet");
    expect(err.position).toMatchObject({ offset, length });
  });
});

describe("freezing", () => {
  it("freezes the whole tree", () => {
    const q: Query = parseQuery(
      "Find A with x = ('a' or 'b') as a that HAS B as b where a.x = b.y return a.x, count(b) order by a.x",
    );
    expect(Object.isFrozen(q)).toBe(true);
    expect(Object.isFrozen(q.start.targets)).toBe(true);
    expect(Object.isFrozen(q.start.targets[0])).toBe(true);
    expect(Object.isFrozen(q.steps)).toBe(true);
    expect(Object.isFrozen(q.steps[0]!.node)).toBe(true);
    const filter = q.start.filter as Comparison;
    expect(Object.isFrozen(filter.right)).toBe(true);
    expect(Object.isFrozen((filter.right as ValueGroup).values[0])).toBe(true);
    expect(Object.isFrozen(q.where)).toBe(true);
    expect(Object.isFrozen(q.orderBy[0]!.path)).toBe(true);
    expect(() => {
      (q as { unique: boolean }).unique = true;
    }).toThrow(TypeError);
  });
});
