/**
 * The J1QL tokenizer. It is lazy: the parser pulls tokens one at a time, so
 * the first error in reading order is the one reported.
 *
 * Decisions:
 * - Identifiers are a letter or `_` followed by letters, digits, marks or
 *   `_` (Unicode letters included). `-`, `@` and `$` are not identifier
 *   characters (`$` would clash with `$=`); keys with such characters are
 *   written `[like-this]`. Dotted names (`tag.AccountName`, `date.now`) are
 *   identifier tokens separated by `.` tokens.
 * - Numbers are unsigned: digits with an optional `.digits` fraction. The
 *   parser joins a preceding `-` (`-5`, `date.now - 7 days`). A number glued
 *   to letters (`24hr`) is a number token followed by an identifier token.
 * - Strings are `'...'` or `"..."` and may span lines. The escapes are JSON's
 *   (`\n \r \t \b \f \/ \\ \" \uXXXX`) plus `\'`; any other, a `\u`
 *   without four hex digits, or half a surrogate pair is an error at its
 *   backslash.
 * - `/* ... *\/` comments are skipped anywhere; there are no line comments.
 * - Any other character becomes an `unknown` token so that the parser reports
 *   it as `unexpected "%"` together with what it expected there.
 */
import { QueryError, positionAt } from "../shared/errors.js";

export type TokenKind = "ident" | "string" | "number" | "bracket" | "param" | "symbol" | "unknown" | "eof";

export interface Token {
  readonly kind: TokenKind;
  /**
   * ident: the name as written; string: the decoded contents; number: the
   * digits as written; bracket: the text between `[` and `]`; param: the
   * name inside `{{ }}`; symbol and
   * unknown: the characters; eof: "".
   */
  readonly value: string;
  /** 0-based offset of the first character. */
  readonly pos: number;
  /** Offset just past the last character. */
  readonly end: number;
}

/** Longest first, so that `!~=` wins over `!` and `<=` over `<`. */
const SYMBOLS = [
  "!~=",
  "!^=",
  "!$=",
  "${",
  "!=",
  "<=",
  ">=",
  "~=",
  "^=",
  "$=",
  ">>",
  "<<",
  "=",
  "<",
  ">",
  "!",
  "(",
  ")",
  "|",
  ",",
  ".",
  "*",
  "+",
  "-",
  "/",
  "#",
  "?",
] as const;

/**
 * The escapes a string may use: JSON's, plus `\\'`. Any other character
 * after a backslash is an error at the backslash (a typo like `\\d` from a
 * regular expression must not silently become `d`).
 */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = Object.freeze({
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  "/": "/",
  "\\": "\\",
  "'": "'",
  '"': '"',
  // `\{{` writes a literal `{{` where a question parameter would start
  "{": "{",
});
const ESCAPES_LIST = String.raw`\n, \r, \t, \b, \f, \/, \\, \', \", \{ or \uXXXX`;

const IDENT = /[\p{L}_][\p{L}\p{M}\p{N}_]*/uy;
/** The name of a question parameter, `{{domain}}`, `{{ account.id }}`. */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NUMBER = /[0-9]+(?:\.[0-9]+)?/y;
const SPACE = /\s+/y;

export class Lexer {
  private offset = 0;

  constructor(readonly text: string) {}

  /** The next token; after the end, an `eof` token (again and again). */
  next(): Token {
    const text = this.text;
    this.skipTrivia();
    const start = this.offset;
    if (start >= text.length) {
      // Point just past the last meaningful character, not at trailing blank lines.
      const at = Math.min(start, text.trimEnd().length);
      return { kind: "eof", value: "", pos: at, end: at };
    }
    const ch = text[start]!;

    if (ch === "'" || ch === '"') return this.readString(ch);
    if (ch === "[") return this.readBracket();
    if (text.startsWith("{{", start)) return this.readParameter();

    IDENT.lastIndex = start;
    const ident = IDENT.exec(text);
    if (ident) return this.emit("ident", ident[0], ident[0].length);

    NUMBER.lastIndex = start;
    const num = NUMBER.exec(text);
    if (num) return this.emit("number", num[0], num[0].length);

    for (const sym of SYMBOLS) {
      if (text.startsWith(sym, start)) return this.emit("symbol", sym, sym.length);
    }

    const cp = String.fromCodePoint(text.codePointAt(start)!);
    return this.emit("unknown", cp, cp.length);
  }

  private emit(kind: TokenKind, value: string, length: number): Token {
    const pos = this.offset;
    this.offset += length;
    return { kind, value, pos, end: this.offset };
  }

  private skipTrivia(): void {
    const text = this.text;
    for (;;) {
      SPACE.lastIndex = this.offset;
      if (SPACE.exec(text)) this.offset = SPACE.lastIndex;
      if (text.startsWith("/*", this.offset)) {
        const close = text.indexOf("*/", this.offset + 2);
        if (close < 0) {
          throw new QueryError("unterminated comment", text, positionAt(text, this.offset, 2), {
            expected: ['"*/"'],
          });
        }
        this.offset = close + 2;
        continue;
      }
      return;
    }
  }

  private readString(quote: string): Token {
    const text = this.text;
    const start = this.offset;
    let value = "";
    let i = start + 1;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === quote) {
        this.offset = i + 1;
        return { kind: "string", value, pos: start, end: this.offset };
      }
      if (ch === "\\") {
        const next = text[i + 1];
        if (next === undefined) break;
        const simple = SIMPLE_ESCAPES[next];
        if (simple !== undefined) {
          value += simple;
          i += 2;
          continue;
        }
        if (next === "u") {
          const unit = this.unicodeEscape(i);
          const high = unit >= 0xd800 && unit <= 0xdbff;
          const low = unit >= 0xdc00 && unit <= 0xdfff;
          if (high && text.startsWith("\\u", i + 6) && /^[dD][c-fC-F]/.test(text.slice(i + 8, i + 10))) {
            value += String.fromCharCode(unit, this.unicodeEscape(i + 6));
            i += 12;
            continue;
          }
          if (high || low) {
            throw new QueryError(
              `"${text.slice(i, i + 6)}" is half of a UTF-16 surrogate pair; write the pair (\\uD83D\\uDE00) or the character itself`,
              text,
              positionAt(text, i, 6),
            );
          }
          value += String.fromCharCode(unit);
          i += 6;
          continue;
        }
        const after = String.fromCodePoint(text.codePointAt(i + 1)!);
        const what = /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(after)
          ? `"\\${after}"`
          : `(a backslash before U+${after.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`;
        throw new QueryError(`unknown escape ${what} in a string`, text, positionAt(text, i, 1 + after.length), {
          expected: [ESCAPES_LIST],
        });
      }
      value += ch;
      i++;
    }
    throw new QueryError("unterminated string", text, positionAt(text, start, text.length - start), {
      expected: [quote === "'" ? `"'"` : `'"'`],
    });
  }

  /** The code unit of the `\\uXXXX` escape whose backslash is at `at`; QueryError unless four hex digits follow. */
  private unicodeEscape(at: number): number {
    const text = this.text;
    const digits = /^[0-9a-fA-F]{0,4}/.exec(text.slice(at + 2, at + 6))![0];
    if (digits.length < 4) {
      const shown = `\\u${text.slice(at + 2, at + 6).split(/[\s'"\\]/)[0]}`;
      throw new QueryError(
        `malformed escape "${shown}" (\\u takes four hex digits, like \\u00e9)`,
        text,
        positionAt(text, at, shown.length),
      );
    }
    return Number.parseInt(digits, 16);
  }

  /** `{{name}}`: a question parameter standing for a whole value. */
  private readParameter(): Token {
    const text = this.text;
    const start = this.offset;
    const close = text.indexOf("}}", start + 2);
    if (close < 0) {
      throw new QueryError("unterminated parameter", text, positionAt(text, start, text.length - start), {
        expected: ['"}}"'],
      });
    }
    const name = text.slice(start + 2, close).trim();
    if (!PARAMETER_NAME.test(name)) {
      throw new QueryError(`invalid parameter name ${JSON.stringify(name)}`, text, positionAt(text, start, close + 2 - start), {
        expected: ["{{name}} (letters, digits, _ . -)"],
      });
    }
    this.offset = close + 2;
    return { kind: "param", value: name, pos: start, end: this.offset };
  }

  private readBracket(): Token {
    const text = this.text;
    const start = this.offset;
    const close = text.indexOf("]", start + 1);
    if (close < 0) {
      throw new QueryError("unterminated [property name]", text, positionAt(text, start, text.length - start), {
        expected: ['"]"'],
      });
    }
    this.offset = close + 1;
    return { kind: "bracket", value: text.slice(start + 1, close), pos: start, end: this.offset };
  }
}

/** All tokens of `text`, ending with the `eof` token. Throws QueryError. */
export function tokenize(text: string): Token[] {
  const lexer = new Lexer(text);
  const out: Token[] = [];
  for (;;) {
    const tok = lexer.next();
    out.push(tok);
    if (tok.kind === "eof") return out;
  }
}
