import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QueryError } from "../shared/errors.js";
import { DOCUMENTED_QUERIES } from "./fixtures/documented-queries.js";
import { parseQuery } from "./parser.js";

/** A single parse must never take longer than this (it is a linear parser). */
const MAX_MS = 1000;

/**
 * The fuzz contract: parseQuery returns a frozen Query or throws a QueryError
 * whose position lies inside the text; nothing else, and never slowly.
 */
function checkContract(text: string): void {
  const started = performance.now();
  try {
    const query = parseQuery(text);
    expect(query.kind).toBe("query");
    expect(Object.isFrozen(query)).toBe(true);
    expect(query.end).toBeLessThanOrEqual(text.length);
  } catch (err) {
    if (!(err instanceof QueryError)) {
      const shown = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
      throw new Error(`parseQuery(${shown}) threw a non-QueryError: ${String(err)}`, { cause: err });
    }
    expect(err.reason).not.toBe("");
    if (err.position) {
      expect(err.position.offset).toBeGreaterThanOrEqual(0);
      expect(err.position.offset).toBeLessThanOrEqual(text.length);
      expect(err.position.line).toBeGreaterThanOrEqual(1);
      expect(err.position.column).toBeGreaterThanOrEqual(1);
    }
  }
  expect(performance.now() - started).toBeLessThan(MAX_MS);
}

const PIECES = [
  "find",
  "FIND",
  "unique",
  "with",
  "as",
  "that",
  "!",
  "relates",
  "to",
  "and",
  "or",
  "where",
  "return",
  "tree",
  "order",
  "by",
  "asc",
  "desc",
  "skip",
  "limit",
  "count",
  "min",
  "sum",
  "date",
  "now",
  "true",
  "null",
  "undefined",
  "hours",
  "7days",
  "CodeRepo",
  "npm_package",
  "HAS",
  "x",
  "m",
  "tag",
  "*",
  "(",
  ")",
  "|",
  ",",
  ".",
  "+",
  "-",
  "/",
  "#",
  "?",
  "${",
  "}",
  "[a b]",
  "[",
  "]",
  "'s'",
  '"s"',
  "'",
  '"',
  "\\",
  "/*",
  "*/",
  "/* c */",
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
  ">>",
  "<<",
  "0",
  "-5",
  "1.5",
  "2019-10-30",
  "T10:00Z",
  ":",
  "\n",
  " ",
  "%",
  "é",
  "😀",
];

const CHARS = [..."abcxyzABCXYZ_0123456789 \t\n.,()[]{}|*+-/#?$!~^=<>'\"\\:;@%é😀"];

/** Random characters drawn mostly from the language's own alphabet. */
const languageChars = fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 80 });

/** Random sequences of tokens and token fragments. */
const tokenSoup = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).chain((pieces) =>
  fc.constantFrom(pieces.join(" "), pieces.join("")),
);

type Mutation =
  | { op: "deleteChar"; at: number }
  | { op: "insertChar"; at: number; ch: string }
  | { op: "deleteToken"; at: number }
  | { op: "insertToken"; at: number; piece: string }
  | { op: "swapTokens"; a: number; b: number }
  | { op: "duplicateToken"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("deleteChar" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("insertChar" as const), at: fc.nat(), ch: fc.constantFrom(...CHARS) }),
  fc.record({ op: fc.constant("deleteToken" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("insertToken" as const), at: fc.nat(), piece: fc.constantFrom(...PIECES) }),
  fc.record({ op: fc.constant("swapTokens" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant("duplicateToken" as const), at: fc.nat() }),
);

/** Split into words, punctuation runs and spaces so that tokens can be moved around. */
function pieces(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}_]+|'[^']*'|"[^"]*"|[^\s\p{L}\p{N}_]/gu) ?? [];
}

function mutate(text: string, m: Mutation): string {
  if (m.op === "deleteChar") {
    const at = m.at % Math.max(1, text.length);
    return text.slice(0, at) + text.slice(at + 1);
  }
  if (m.op === "insertChar") {
    const at = m.at % (text.length + 1);
    return text.slice(0, at) + m.ch + text.slice(at);
  }
  const parts = pieces(text);
  if (parts.length === 0) return text;
  if (m.op === "deleteToken") parts.splice(m.at % parts.length, 1);
  else if (m.op === "insertToken") parts.splice(m.at % (parts.length + 1), 0, ` ${m.piece} `);
  else if (m.op === "duplicateToken") {
    const at = m.at % parts.length;
    parts.splice(at, 0, parts[at]!);
  } else {
    const a = m.a % parts.length;
    const b = m.b % parts.length;
    [parts[a], parts[b]] = [parts[b]!, parts[a]!];
  }
  return parts.join("");
}

const mutatedQuery = fc
  .tuple(fc.constantFrom(...DOCUMENTED_QUERIES), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([query, mutations]) => mutations.reduce(mutate, query));

/** The AST without positions, to compare queries that differ only in layout. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "pos" && key !== "end")
        .map(([key, v]) => [key, shape(v)]),
    );
  }
  return value;
}

/**
 * A piece of a string literal's body, with what it must decode to (`value`)
 * or, for an invalid escape, `undefined`: the lexer must then fail at its
 * backslash. Plain pieces never hold the quote or a backslash.
 */
interface StringPiece {
  text: string;
  value: string | undefined;
}

const hex4 = (n: number) => n.toString(16).padStart(4, "0");
const VALID_ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", "/": "/", "\\": "\\", "'": "'", '"': '"', "{": "{" };
const stringPiece: fc.Arbitrary<StringPiece> = fc.oneof(
  fc
    // no "{": two of them start a question parameter ({{name}}), which another property covers
    .string({ unit: fc.constantFrom(..."ab 7é😀\n\t%_u}".split(/(?:)/u)), minLength: 1, maxLength: 4 })
    .map((text) => ({ text, value: text })),
  fc.constantFrom(...Object.keys(VALID_ESCAPES)).map((c) => ({ text: `\\${c}`, value: VALID_ESCAPES[c] })),
  // \uXXXX outside the surrogate range, in either case
  fc
    .tuple(fc.integer({ min: 0, max: 0xffff }).filter((n) => n < 0xd800 || n > 0xdfff), fc.boolean())
    .map(([n, upper]) => ({ text: `\\u${upper ? hex4(n).toUpperCase() : hex4(n)}`, value: String.fromCharCode(n) })),
  // a surrogate pair
  fc
    .tuple(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff }))
    .map(([hi, lo]) => ({ text: `\\u${hex4(hi)}\\u${hex4(lo)}`, value: String.fromCharCode(hi, lo) })),
  // invalid: any other character after the backslash
  fc
    .constantFrom(..."aqxdsDSwW0189.*?()[]}$^|+-_ é😀\tU".split(/(?:)/u), "\n")
    .map((c) => ({ text: `\\${c}`, value: undefined })),
  // invalid: \u with fewer than four hex digits before something else
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom("g", "Z", " ", "}", "-", "{", "x"))
    .map(([n, after]) => ({ text: `\\u${"0fA9".slice(0, n)}${after}`, value: undefined })),
  // invalid: a low surrogate alone, or a high one not followed by a low one
  fc.integer({ min: 0xdc00, max: 0xdfff }).map((n) => ({ text: `\\u${hex4(n)}`, value: undefined })),
  fc
    .tuple(fc.integer({ min: 0xd800, max: 0xdbff }), fc.constantFrom("x", "\\u0041", "\\n", " "))
    .map(([n, after]) => ({ text: `\\u${hex4(n)}${after}`, value: undefined })),
);

describe("parseQuery fuzzing", () => {
  it("survives arbitrary unicode strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 120 }), checkContract), { numRuns: 2000 });
  });

  it("survives strings over the language's alphabet", () => {
    fc.assert(fc.property(languageChars, checkContract), { numRuns: 3000 });
  });

  it("survives token soup", () => {
    fc.assert(fc.property(tokenSoup, checkContract), { numRuns: 3000 });
  });

  it("survives mutated documented queries", () => {
    fc.assert(fc.property(mutatedQuery, checkContract), { numRuns: 5000 });
  });

  it("survives long and deeply nested input", () => {
    checkContract(`Find A with ${"(".repeat(100_000)}`);
    checkContract(`Find A with ${"(x=1 and ".repeat(10_000)}`);
    checkContract(`Find A ${"that HAS B ".repeat(20_000)}`);
    checkContract(`Find A with x = (${"'a' or ".repeat(20_000)}'b')`);
    checkContract("/*".repeat(50_000));
    checkContract("'".repeat(50_000));
  });

  it("decodes valid string escapes and refuses the first invalid one at its backslash", () => {
    fc.assert(
      fc.property(fc.array(stringPiece, { maxLength: 8 }), fc.constantFrom("'", '"'), (parts, quote) => {
        const prefix = `Find A with\n  name = ${quote}`;
        // Only escapes hold a quote (\\' and \\" are valid in either kind of string).
        const body = parts.map((p) => p.text).join("");
        const text = `${prefix}${body}${quote} and x = 1`;
        let offset = prefix.length;
        let expected = "";
        for (const part of parts) {
          if (part.value === undefined) {
            const err = (() => {
              try {
                parseQuery(text);
              } catch (e) {
                return e;
              }
              throw new Error(`accepted ${JSON.stringify(text)}`);
            })();
            expect(err).toBeInstanceOf(QueryError);
            const error = err as QueryError;
            expect(error.reason, text).toMatch(/escape|surrogate/);
            const before = text.slice(0, offset);
            expect(error.position, text).toMatchObject({
              offset,
              line: before.split("\n").length,
              column: offset - before.lastIndexOf("\n"),
            });
            return;
          }
          expected += part.value;
          offset += part.text.length;
        }
        const query = parseQuery(text);
        const filter = query.start.filter;
        expect(filter?.kind).toBe("and");
        const first = filter?.kind === "and" ? filter.items[0] : undefined;
        expect(first).toMatchObject({ kind: "compare", right: { kind: "string", value: expected } });
      }),
      { numRuns: 3000 },
    );
  });

  it("ignores extra whitespace and comments between tokens", () => {
    const layout = fc.constantFrom(" ", "  ", "\n", "\t", " /* note */ ", "/**/", "\r\n  ");
    fc.assert(
      fc.property(fc.constantFrom(...DOCUMENTED_QUERIES), layout, (query, gap) => {
        // Replace every single space between tokens (not inside strings or brackets).
        const spaced = pieces(query)
          .map((p) => (p === " " ? gap : p))
          .join("");
        expect(shape(parseQuery(spaced))).toEqual(shape(parseQuery(query)));
      }),
      { numRuns: 300 },
    );
  });
});
