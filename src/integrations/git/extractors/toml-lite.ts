/**
 * A small TOML reader, enough for lockfiles and manifests (poetry.lock,
 * pyproject.toml, Pipfile, Cargo.lock, Cargo.toml). It reads TOML 1.0
 * documents: tables, arrays of tables, dotted and quoted keys, basic and
 * literal strings (single- and multi-line), integers, floats, booleans,
 * arrays and inline tables. Dates and times are kept as their text. It does
 * not check every rule of the specification, but it rejects what would make
 * the result ambiguous (a key or a table defined twice) and anything it cannot
 * read, with the 1-based line.
 */

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {
  constructor(
    message: string,
    /** 1-based line */
    readonly line: number,
  ) {
    super(message);
    this.name = "TomlError";
  }
}

/** Narrowing helpers for reading parsed documents. */
export function isTable(value: TomlValue | undefined): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value when it is a table, else undefined. */
export function asTable(value: TomlValue | undefined): TomlTable | undefined {
  return isTable(value) ? value : undefined;
}

export interface TomlOptions {
  /**
   * Keys whose values are read over (their syntax checked loosely) but not
   * kept, at any depth: poetry.lock's `files` lists are most of the file.
   */
  skip?: ReadonlySet<string>;
}

export interface TomlDocument {
  root: TomlTable;
  /** The 1-based line of a table's `[header]` (or of the dotted key that made it); undefined for inline tables. */
  line(table: TomlTable): number | undefined;
}

/** The document and where its tables start (for warnings). Throws TomlError. */
export function readToml(text: string, options: TomlOptions = {}): TomlDocument {
  const parser = new Parser(text, options.skip);
  const root = parser.document();
  const lines = parser.lines;
  return { root, line: (table) => lines.get(table) };
}

/** The document alone. Throws TomlError. */
export function parseToml(text: string, options: TomlOptions = {}): TomlTable {
  return new Parser(text, options.skip).document();
}

/** Character codes. */
const C = {
  Tab: 9,
  LF: 10,
  CR: 13,
  Space: 32,
  Quote: 34,
  Hash: 35,
  Apostrophe: 39,
  Comma: 44,
  Dot: 46,
  Equals: 61,
  LBracket: 91,
  Backslash: 92,
  RBracket: 93,
  LBrace: 123,
  RBrace: 125,
} as const;

/** Sets a key, `__proto__` included, as an own property. */
function setKey(table: TomlTable, key: string, value: TomlValue): void {
  if (key === "__proto__") Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
  else table[key] = value;
}

/** An own property (never one of Object.prototype). */
function getKey(table: TomlTable, key: string): TomlValue | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function isBareKeyChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 95 || // _
    c === 45 // -
  );
}

const INTEGER = /^[+-]?(?:0|[1-9](?:_?\d)*)$/;
const PREFIXED = /^0(?:x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|o[0-7](?:_?[0-7])*|b[01](?:_?[01])*)$/;
const FLOAT = /^[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?$/;
const SPECIAL_FLOAT = /^[+-]?(?:inf|nan)$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?$|^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

class Parser {
  private pos = 0;
  private line = 1;
  private readonly root: TomlTable;
  /** tables given by a `[header]` or by a key/value (closed to further headers) */
  private readonly defined = new Set<TomlTable>();
  /** arrays created by `[[header]]` (the only ones a header may extend) */
  private readonly tableArrays = new Set<TomlValue[]>();
  /** inline tables given as values: closed to any extension */
  private readonly frozen = new Set<TomlTable>();
  /** the line of each table made by a header or a dotted key (a per-parse Map: a WeakMap shared by every parse costs more) */
  readonly lines = new Map<TomlTable, number>();

  constructor(
    private readonly src: string,
    private readonly skip: ReadonlySet<string> | undefined,
  ) {
    this.root = this.newTable(1);
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  /** A table made by a header or a dotted key; its line is kept. */
  private newTable(line: number): TomlTable {
    const t: TomlTable = {};
    this.lines.set(t, line);
    return t;
  }

  document(): TomlTable {
    const src = this.src;
    let current = this.root;
    for (;;) {
      this.skipBlank();
      if (this.pos >= src.length) return this.root;
      const c = src.charCodeAt(this.pos);
      if (c === C.LBracket) {
        current = this.header();
      } else {
        this.keyValue(current);
      }
      this.endOfLine();
    }
  }

  private fail(message: string, line = this.line): never {
    throw new TomlError(message, line);
  }

  /** Whitespace, comments and newlines. */
  private skipBlank(): void {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (c === C.Space || c === C.Tab || c === C.CR) this.pos++;
      else if (c === C.LF) {
        this.pos++;
        this.line++;
      } else if (c === C.Hash) this.skipComment();
      else return;
    }
  }

  private skipSpaces(): void {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (c === C.Space || c === C.Tab) this.pos++;
      else return;
    }
  }

  private skipComment(): void {
    const end = this.src.indexOf("\n", this.pos);
    this.pos = end < 0 ? this.src.length : end;
  }

  /** After a header or a key/value: only spaces and a comment before the newline. */
  private endOfLine(): void {
    this.skipSpaces();
    const c = this.src.charCodeAt(this.pos);
    if (c === C.Hash) this.skipComment();
    else if (c === C.CR && this.src.charCodeAt(this.pos + 1) === C.LF) this.pos++;
    if (this.pos >= this.src.length) return;
    if (this.src.charCodeAt(this.pos) !== C.LF) this.fail(`expected the end of the line, found ${this.describe()}`);
  }

  private describe(): string {
    if (this.pos >= this.src.length) return "the end of the file";
    const c = this.src[this.pos];
    return c === "\n" ? "the end of the line" : JSON.stringify(c);
  }

  private header(): TomlTable {
    const line = this.line;
    const src = this.src;
    this.pos++;
    const isArray = src.charCodeAt(this.pos) === C.LBracket;
    if (isArray) this.pos++;
    this.skipSpaces();
    const keys = this.key();
    this.skipSpaces();
    if (src.charCodeAt(this.pos) !== C.RBracket) this.fail(`expected "]" after the table name, found ${this.describe()}`);
    this.pos++;
    if (isArray) {
      if (src.charCodeAt(this.pos) !== C.RBracket) this.fail(`expected "]]" after the table name, found ${this.describe()}`);
      this.pos++;
    }
    let table = this.root;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i]!;
      const v = getKey(table, k);
      if (v === undefined) {
        const t = this.newTable(line);
        setKey(table, k, t);
        table = t;
      } else if (Array.isArray(v)) {
        if (!this.tableArrays.has(v)) this.fail(`"${keys.slice(0, i + 1).join(".")}" is an array, not a table`, line);
        table = v[v.length - 1] as TomlTable;
      } else if (isTable(v)) {
        if (this.frozen.has(v)) this.fail(`"${keys.slice(0, i + 1).join(".")}" is an inline table and cannot be extended`, line);
        table = v;
      } else {
        this.fail(`"${keys.slice(0, i + 1).join(".")}" is a value, not a table`, line);
      }
    }
    const last = keys[keys.length - 1]!;
    const existing = getKey(table, last);
    const name = keys.join(".");
    if (isArray) {
      let arr: TomlValue[];
      if (existing === undefined) {
        arr = [];
        this.tableArrays.add(arr);
        setKey(table, last, arr);
      } else if (Array.isArray(existing) && this.tableArrays.has(existing)) {
        arr = existing;
      } else {
        this.fail(`"${name}" is already defined and is not an array of tables`, line);
      }
      const t = this.newTable(line);
      this.defined.add(t);
      arr.push(t);
      return t;
    }
    if (existing === undefined) {
      const t = this.newTable(line);
      this.defined.add(t);
      setKey(table, last, t);
      return t;
    }
    if (isTable(existing) && !this.defined.has(existing) && !this.frozen.has(existing)) {
      this.defined.add(existing);
      this.lines.set(existing, line);
      return existing;
    }
    this.fail(`table "${name}" is defined twice`, line);
  }

  /** A dotted key: `a`, `a.b`, `"a b".'c'`. */
  private key(): string[] {
    const keys: string[] = [];
    for (;;) {
      keys.push(this.simpleKey());
      this.skipSpaces();
      if (this.src.charCodeAt(this.pos) !== C.Dot) return keys;
      this.pos++;
      this.skipSpaces();
    }
  }

  private simpleKey(): string {
    const src = this.src;
    const c = src.charCodeAt(this.pos);
    if (c === C.Quote) {
      if (src.startsWith('"""', this.pos)) this.fail("a key cannot be a multi-line string");
      return this.basicString();
    }
    if (c === C.Apostrophe) {
      if (src.startsWith("'''", this.pos)) this.fail("a key cannot be a multi-line string");
      return this.literalString();
    }
    const start = this.pos;
    while (isBareKeyChar(src.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) this.fail(`expected a key, found ${this.describe()}`);
    return src.slice(start, this.pos);
  }

  private keyValue(table: TomlTable): void {
    const src = this.src;
    const line = this.line;
    // Most keys are not dotted: no array for them.
    const first = this.simpleKey();
    this.skipSpaces();
    let keys: string[] | undefined;
    if (src.charCodeAt(this.pos) === C.Dot) {
      keys = [first];
      do {
        this.pos++;
        this.skipSpaces();
        keys.push(this.simpleKey());
        this.skipSpaces();
      } while (src.charCodeAt(this.pos) === C.Dot);
    }
    const last = keys ? keys[keys.length - 1]! : first;
    if (src.charCodeAt(this.pos) !== C.Equals) this.fail(`expected "=" after the key "${keys ? keys.join(".") : first}", found ${this.describe()}`);
    this.pos++;
    this.skipSpaces();
    if (this.skip?.has(last)) {
      this.skipValue();
      return;
    }
    const value = this.value();
    let t = table;
    for (let i = 0; keys && i < keys.length - 1; i++) {
      const k = keys[i]!;
      const v = getKey(t, k);
      if (v === undefined) {
        const nt = this.newTable(line);
        setKey(t, k, nt);
        t = nt;
      } else if (isTable(v) && !this.frozen.has(v) && !this.defined.has(v)) {
        t = v;
      } else {
        this.fail(`"${keys.slice(0, i + 1).join(".")}" is already defined`, line);
      }
    }
    if (Object.hasOwn(t, last)) this.fail(`the key "${keys ? keys.join(".") : first}" is defined twice`, line);
    setKey(t, last, value);
    // An inline table given to a key is closed to headers and dotted keys.
    if (isTable(value)) this.freezeDeep(value);
  }

  /** Reads over a value without building it (strings are still read, so brackets in them do not count). */
  private skipValue(): void {
    const src = this.src;
    const open = src.charCodeAt(this.pos);
    if (open !== C.LBracket && open !== C.LBrace) {
      this.value();
      return;
    }
    const startLine = this.line;
    let depth = 0;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail(open === C.LBracket ? "unterminated array" : "unterminated inline table", startLine);
      if (c === C.Quote || c === C.Apostrophe) {
        this.value();
        continue;
      }
      if (c === C.Hash) {
        this.skipComment();
        continue;
      }
      if (c === C.LF) this.line++;
      else if (c === C.LBracket || c === C.LBrace) depth++;
      else if (c === C.RBracket || c === C.RBrace) {
        depth--;
        if (depth === 0) {
          this.pos++;
          return;
        }
      }
      this.pos++;
    }
  }

  private value(): TomlValue {
    const src = this.src;
    const c = src.charCodeAt(this.pos);
    switch (c) {
      case C.Quote:
        return src.startsWith('"""', this.pos) ? this.multiLineBasicString() : this.basicString();
      case C.Apostrophe:
        return src.startsWith("'''", this.pos) ? this.multiLineLiteralString() : this.literalString();
      case C.LBracket:
        return this.array();
      case C.LBrace:
        return this.inlineTable();
      default:
        return this.scalar();
    }
  }

  private basicString(): string {
    const src = this.src;
    const start = this.pos + 1;
    const end = src.indexOf('"', start);
    const nl = src.indexOf("\n", start);
    if (end < 0 || (nl >= 0 && nl < end)) this.fail("unterminated string");
    const plain = src.slice(start, end);
    if (!plain.includes("\\")) {
      this.pos = end + 1;
      return plain;
    }
    // Slow path: escapes.
    let out = "";
    let i = start;
    for (;;) {
      const ch = src.charCodeAt(i);
      if (Number.isNaN(ch) || ch === C.LF) this.fail("unterminated string");
      if (ch === C.Quote) break;
      if (ch === C.Backslash) {
        const r = this.escape(i);
        out += r.text;
        i = r.next;
      } else {
        out += src[i];
        i++;
      }
    }
    this.pos = i + 1;
    return out;
  }

  private escape(at: number): { text: string; next: number } {
    const e = this.src[at + 1];
    switch (e) {
      case "b":
        return { text: "\b", next: at + 2 };
      case "t":
        return { text: "\t", next: at + 2 };
      case "n":
        return { text: "\n", next: at + 2 };
      case "f":
        return { text: "\f", next: at + 2 };
      case "r":
        return { text: "\r", next: at + 2 };
      case "e":
        return { text: "\x1b", next: at + 2 };
      case '"':
        return { text: '"', next: at + 2 };
      case "\\":
        return { text: "\\", next: at + 2 };
      case "u":
      case "U": {
        const len = e === "u" ? 4 : 8;
        const hex = this.src.slice(at + 2, at + 2 + len);
        if (hex.length !== len || !/^[0-9A-Fa-f]+$/.test(hex)) this.fail(`bad unicode escape "\\${e}${hex}"`);
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) this.fail(`bad unicode escape "\\${e}${hex}"`);
        return { text: String.fromCodePoint(code), next: at + 2 + len };
      }
      default:
        this.fail(`bad escape "\\${e ?? ""}"`);
    }
  }

  private literalString(): string {
    const src = this.src;
    const start = this.pos + 1;
    const end = src.indexOf("'", start);
    const nl = src.indexOf("\n", start);
    if (end < 0 || (nl >= 0 && nl < end)) this.fail("unterminated string");
    this.pos = end + 1;
    return src.slice(start, end);
  }

  /** Moves to `to`, counting the newlines passed. */
  private advanceTo(to: number): void {
    const src = this.src;
    for (let i = src.indexOf("\n", this.pos); i >= 0 && i < to; i = src.indexOf("\n", i + 1)) this.line++;
    this.pos = to;
  }

  /** The index of the closing `"""` or `'''` (up to two more quotes belong to the content). */
  private closingTriple(quote: string, from: number): number {
    const triple = quote + quote + quote;
    const end = this.src.indexOf(triple, from);
    if (end < 0) this.fail("unterminated multi-line string");
    let close = end;
    while (close < end + 2 && this.src[close + 3] === quote) close++;
    return close;
  }

  private skipFirstNewline(start: number): number {
    const src = this.src;
    if (src.charCodeAt(start) === C.LF) return start + 1;
    if (src.charCodeAt(start) === C.CR && src.charCodeAt(start + 1) === C.LF) return start + 2;
    return start;
  }

  private multiLineLiteralString(): string {
    const start = this.skipFirstNewline(this.pos + 3);
    const close = this.closingTriple("'", start);
    const text = this.src.slice(start, close);
    this.advanceTo(close + 3);
    return text;
  }

  private multiLineBasicString(): string {
    const src = this.src;
    const start = this.skipFirstNewline(this.pos + 3);
    // Find the closing quotes, stepping over escapes.
    let out = "";
    let i = start;
    let close = -1;
    while (close < 0) {
      const ch = src.charCodeAt(i);
      if (Number.isNaN(ch)) this.fail("unterminated multi-line string");
      if (ch === C.Quote && src.startsWith('"""', i)) {
        close = i;
        while (close < i + 2 && src[close + 3] === '"') close++;
        out += src.slice(i, close);
        break;
      }
      if (ch === C.Backslash) {
        // A line-ending backslash trims the newline and the whitespace after it.
        let j = i + 1;
        while (src.charCodeAt(j) === C.Space || src.charCodeAt(j) === C.Tab) j++;
        if (src.charCodeAt(j) === C.CR) j++;
        if (src.charCodeAt(j) === C.LF) {
          while (
            src.charCodeAt(j) === C.LF ||
            src.charCodeAt(j) === C.CR ||
            src.charCodeAt(j) === C.Space ||
            src.charCodeAt(j) === C.Tab
          )
            j++;
          i = j;
          continue;
        }
        const r = this.escape(i);
        out += r.text;
        i = r.next;
        continue;
      }
      out += src[i];
      i++;
    }
    this.advanceTo(close + 3);
    return out;
  }

  private array(): TomlValue[] {
    const src = this.src;
    const startLine = this.line;
    this.pos++;
    const arr: TomlValue[] = [];
    for (;;) {
      this.skipBlank();
      if (this.pos >= src.length) this.fail("unterminated array", startLine);
      if (src.charCodeAt(this.pos) === C.RBracket) {
        this.pos++;
        return arr;
      }
      arr.push(this.value());
      this.skipBlank();
      const c = src.charCodeAt(this.pos);
      if (c === C.Comma) {
        this.pos++;
      } else if (c === C.RBracket) {
        this.pos++;
        return arr;
      } else if (this.pos >= src.length) {
        this.fail("unterminated array", startLine);
      } else {
        this.fail(`expected "," or "]" in the array, found ${this.describe()}`);
      }
    }
  }

  private inlineTable(): TomlTable {
    const src = this.src;
    const startLine = this.line;
    this.pos++;
    const table: TomlTable = {};
    this.skipBlank();
    if (src.charCodeAt(this.pos) === C.RBrace) {
      this.pos++;
      return table;
    }
    for (;;) {
      this.skipBlank();
      this.keyValue(table);
      this.skipBlank();
      const c = src.charCodeAt(this.pos);
      if (c === C.Comma) {
        this.pos++;
        this.skipBlank();
        // Tolerate a trailing comma (TOML 1.1).
        if (src.charCodeAt(this.pos) === C.RBrace) {
          this.pos++;
          break;
        }
      } else if (c === C.RBrace) {
        this.pos++;
        break;
      } else if (this.pos >= src.length) {
        this.fail("unterminated inline table", startLine);
      } else {
        this.fail(`expected "," or "}" in the inline table, found ${this.describe()}`);
      }
    }
    return table;
  }

  private freezeDeep(table: TomlTable): void {
    this.frozen.add(table);
    for (const k of Object.keys(table)) {
      const v = table[k];
      if (isTable(v)) this.freezeDeep(v);
    }
  }

  /** Booleans, numbers, dates and times. */
  private scalar(): TomlValue {
    const src = this.src;
    const start = this.pos;
    let i = start;
    for (;;) {
      const c = src.charCodeAt(i);
      if (
        Number.isNaN(c) ||
        c === C.Space ||
        c === C.Tab ||
        c === C.LF ||
        c === C.CR ||
        c === C.Comma ||
        c === C.RBracket ||
        c === C.RBrace ||
        c === C.Hash
      )
        break;
      i++;
    }
    let token = src.slice(start, i);
    // A date and a time may be separated by one space.
    if (/^\d{4}-\d{2}-\d{2}$/.test(token) && src.charCodeAt(i) === C.Space && /^\d{2}:/.test(src.slice(i + 1, i + 4))) {
      let j = i + 1;
      while (j < src.length && /[0-9:.+\-Zz]/.test(src[j]!)) j++;
      token = src.slice(start, j);
      i = j;
    }
    if (token === "") this.fail(`expected a value, found ${this.describe()}`);
    this.pos = i;
    if (token === "true") return true;
    if (token === "false") return false;
    if (INTEGER.test(token) || FLOAT.test(token)) return Number(token.replaceAll("_", ""));
    if (PREFIXED.test(token)) {
      const digits = token.slice(2).replaceAll("_", "");
      const radix = token[1] === "x" ? 16 : token[1] === "o" ? 8 : 2;
      return Number.parseInt(digits, radix);
    }
    if (SPECIAL_FLOAT.test(token)) return token.endsWith("nan") ? Number.NaN : token.startsWith("-") ? -Infinity : Infinity;
    if (DATE_TIME.test(token)) return token;
    this.fail(`unexpected value ${JSON.stringify(token)}`);
  }
}
