/**
 * TOML for the extractors (poetry.lock, pyproject.toml, Pipfile, Cargo.lock,
 * Cargo.toml): smol-toml reads the document (TOML 1.1, every rule of the
 * specification checked); this module adds what it does not give, the line
 * of each table's `[header]`, and turns its errors into a TomlError with the
 * 1-based line.
 *
 * Values are smol-toml's: dates and times are its TomlDate, an integer too
 * large for a double is a bigint (never a lossy number), keys such as
 * `__proto__` are plain own properties.
 */
import { parse, TomlError as SmolTomlError, type TomlTable, type TomlValue } from "smol-toml";

export type { TomlTable, TomlValue };

export class TomlError extends Error {
  constructor(
    message: string,
    /** 1-based line */
    readonly line: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TomlError";
  }
}

/** Narrowing helpers for reading parsed documents. */
export function isTable(value: TomlValue | undefined): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The value when it is a table, else undefined. */
export function asTable(value: TomlValue | undefined): TomlTable | undefined {
  return isTable(value) ? value : undefined;
}

/** A TOML value as text for a message: JSON, with a bigint as its digits (JSON.stringify would throw). */
export function tomlText(value: TomlValue | undefined): string {
  if (typeof value === "bigint") return value.toString();
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "undefined";
}

export interface TomlDocument {
  root: TomlTable;
  /**
   * The 1-based line of a table's `[header]` or `[[header]]` (a table a header
   * creates on the way, like `tool` for `[tool.poetry]`, has that header's
   * line unless its own header comes later); undefined for inline tables and
   * tables made by dotted keys.
   */
  line(table: TomlTable): number | undefined;
}

/** The document and where its tables start (for warnings). Throws TomlError. */
export function readToml(text: string): TomlDocument {
  const root = parseToml(text);
  let lines: Map<object, number> | undefined;
  // Built on first use: a file without warnings never pays for it.
  return {
    root,
    line: (table) => {
      lines ??= tableLines(text, root);
      return lines.get(table);
    },
  };
}

/** The document alone. Throws TomlError. */
export function parseToml(text: string): TomlTable {
  try {
    return parse(text, { integersAsBigInt: "asNeeded" });
  } catch (error) {
    if (!(error instanceof SmolTomlError)) throw error;
    // smol-toml's message is "Invalid TOML document: <reason>" and a code block; the reason and the column are enough here.
    const reason = error.message.split("\n", 1)[0]!.replace(/^Invalid TOML document: /, "");
    const source = (text.split(/\r?\n/)[error.line - 1] ?? "").trim();
    const shown = source.length > 60 ? `${source.slice(0, 57)}...` : source;
    throw new TomlError(`${reason} (column ${error.column}${shown === "" ? "" : `: ${shown}`})`, error.line, { cause: error });
  }
}

interface Header {
  line: number;
  keys: string[];
  array: boolean;
}

/** A header whose keys are all bare (the common case): `[a.b]`, `[[package]]`. */
const BARE_HEADER = /\[(\[?)[ \t]*([A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*)[ \t]*\]/y;
/** The characters that matter to the scan. */
const INTERESTING = /["'#[\]{}\n]/g;
/** A one-line basic string. */
const BASIC_STRING = /"(?:[^"\\\n]|\\.)*"/y;

/**
 * The headers of a document smol-toml has accepted, in order: a `[` that
 * opens a line outside any value. The scan knows strings, comments and
 * brackets, nothing more: the document is already known to be valid.
 */
function headers(text: string): Header[] {
  const found: Header[] = [];
  const n = text.length;
  let line = 1;
  let depth = 0;
  /** where the current line starts */
  let lineFrom = 0;
  const newlinesBetween = (from: number, to: number): void => {
    for (let j = text.indexOf("\n", from); j >= 0 && j < to; j = text.indexOf("\n", j + 1)) {
      line++;
      lineFrom = j + 1;
    }
  };
  /** The index after the string that starts at i. */
  const stringEnd = (i: number): number => {
    const q = text[i]!;
    if (text.startsWith(q + q + q, i)) {
      let close = text.indexOf(q + q + q, i + 3);
      // a basic string's `\"` is not a closing quote
      while (q === '"' && close > 0 && isEscaped(text, close)) close = text.indexOf(q + q + q, close + 1);
      if (close < 0) return n;
      let end = close + 3;
      // up to two more quotes belong to the content
      for (let extra = 0; extra < 2 && text[end] === q; extra++) end++;
      newlinesBetween(i, end);
      return end;
    }
    if (q === "'") {
      const close = text.indexOf("'", i + 1);
      return close < 0 ? n : close + 1;
    }
    BASIC_STRING.lastIndex = i;
    return BASIC_STRING.test(text) ? BASIC_STRING.lastIndex : n;
  };
  INTERESTING.lastIndex = 0;
  for (let m = INTERESTING.exec(text); m; m = INTERESTING.exec(text)) {
    const i = m.index;
    const c = m[0];
    let next = i + 1;
    if (c === "\n") {
      line++;
      lineFrom = i + 1;
    } else if (c === "#") {
      const end = text.indexOf("\n", i);
      next = end < 0 ? n : end;
    } else if (c === '"' || c === "'") {
      next = stringEnd(i);
    } else if (c === "[" && depth === 0 && /^[ \t\uFEFF]*$/.test(text.slice(lineFrom, i))) {
      BARE_HEADER.lastIndex = i;
      const bare = BARE_HEADER.exec(text);
      const array = text[i + 1] === "[";
      if (bare) {
        found.push({ line, keys: bare[2]!.split(".").map((k) => k.trim()), array });
        next = BARE_HEADER.lastIndex + (array ? 1 : 0);
      } else {
        // Quoted keys: smol-toml reads the header alone, and the one path it makes gives the keys.
        const end = text.indexOf("\n", i);
        next = end < 0 ? n : end;
        found.push({ line, keys: headerKeys(parse(text.slice(i, next))), array });
      }
    } else if (c === "[" || c === "{") {
      depth++;
    } else if (c === "]" || c === "}") {
      depth--;
    }
    INTERESTING.lastIndex = next;
  }
  return found;
}

/** Whether the character at i follows an odd number of backslashes. */
function isEscaped(text: string, i: number): boolean {
  let k = i - 1;
  while (text[k] === "\\") k--;
  return (i - 1 - k) % 2 === 1;
}

/** The keys of the one path in a document made of a single header. */
function headerKeys(doc: TomlValue): string[] {
  const keys: string[] = [];
  let v = doc;
  for (;;) {
    if (Array.isArray(v)) v = v[0]!;
    if (!isTable(v)) return keys;
    const [key] = Object.keys(v);
    if (key === undefined) return keys;
    keys.push(key);
    v = v[key]!;
  }
}

/** The line of every table a header made, found by replaying the headers over the parsed document. */
function tableLines(text: string, root: TomlTable): Map<object, number> {
  const lines = new Map<object, number>([[root, 1]]);
  /** how many `[[header]]` tables of each array have been passed */
  const passed = new Map<TomlValue[], number>();
  const own = (t: TomlTable, k: string): TomlValue | undefined => (Object.hasOwn(t, k) ? t[k] : undefined);
  for (const { line, keys, array } of headers(text)) {
    let table: TomlTable | undefined = root;
    for (let i = 0; table && i < keys.length - 1; i++) {
      const v = own(table, keys[i]!);
      const next = Array.isArray(v) ? v[(passed.get(v) ?? 1) - 1] : v;
      table = asTable(next);
      if (table && !lines.has(table)) lines.set(table, line);
    }
    if (!table) continue;
    const v = own(table, keys[keys.length - 1]!);
    if (array && Array.isArray(v)) {
      const index = passed.get(v) ?? 0;
      passed.set(v, index + 1);
      const element = asTable(v[index]);
      if (element) lines.set(element, line);
    } else if (isTable(v)) {
      lines.set(v, line);
    }
  }
  return lines;
}
