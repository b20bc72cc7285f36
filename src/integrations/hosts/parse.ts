/**
 * Hosts: pure parsers (text in, records out; no store, no file system) for a
 * host inventory in CSV or JSON and for osquery results of one host.
 *
 * A row that cannot be read is skipped with a warning naming the file and
 * line; a file that cannot be read at all (not CSV/JSON, no hostname column,
 * osquery results without a host name) throws ParseError.
 *
 * The CSV reader, the JSON reader that keeps line numbers, and the timestamp
 * parser are exported for the other file-based integrations.
 */

import { CsvError, parse } from "csv-parse/sync";
import { InputError } from "../../shared/errors.js";
import { type JsonNode, jsonSyntaxError, jsonTree, lineIndex } from "../json-position.js";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";
import { DEPLOYMENT_MODELS, type DeploymentModel } from "../../core/rules/models.js";

// ---------------------------------------------------------------------------
// Shared by the file-based integrations

export interface ParseWarning {
  file: string;
  /** 1-based line, when known */
  line?: number;
  message: string;
}

export interface ParseResult {
  entities: EntityRecord[];
  relationships: RelationshipRecord[];
  /** rows that were skipped, and why */
  warnings: ParseWarning[];
}

/** A file that cannot be read at all. */
export class ParseError extends InputError {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(line === undefined ? `${file}: ${reason}` : `${file}, line ${line}: ${reason}`, options);
  }
}

export interface CsvRecord {
  /** 1-based line where the record starts */
  line: number;
  fields: string[];
  /** set when the record is malformed (text after a closing quote); its fields are then empty */
  error?: string;
}

/** Ends of lines and of records: CRLF, LF or CR, mixed in one file if need be. */
const LINE_END = /\r\n|\n|\r/g;

/** How many line ends the text holds. */
function lineEnds(text: string): number {
  return text.match(LINE_END)?.length ?? 0;
}

/**
 * A line csv-parse stopped at and cannot go on from: a quoted field followed
 * by other text (`"a"b`), or a quote inside an unquoted field (`5" screen`,
 * which RFC 4180 does not allow but is plain text to the people who write it).
 */
class StoppedAt {
  constructor(
    /** where the record starts */
    readonly start: number,
    /** where csv-parse found the quote */
    readonly line: number,
    readonly quote: "closing" | "inside",
  ) {}
}

/**
 * RFC 4180 CSV, read by csv-parse: comma-separated, fields optionally quoted
 * with `"` (`""` is a quote inside a quoted field, which may also hold commas
 * and line breaks), CRLF, LF or CR line ends, a byte order mark ignored.
 * Blank lines are skipped. An unterminated quote throws ParseError naming the
 * line where its record starts (it would swallow the rest of the file); text
 * after a closing quote marks that record malformed, and reading goes on at
 * the next line.
 */
export function readCsv(text: string, file: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let rows: string[][];
  try {
    rows = parse(src, { relax_column_count: true, record_delimiter: ["\r\n", "\n", "\r"] });
  } catch (error) {
    if (error instanceof CsvError) return readCsvCarefully(src, file);
    throw error;
  }
  // Without csv-parse's per-record info (it costs the parse four times over): a record takes one line and
  // one more for each line break in its quoted fields; a blank line is a record of one empty field.
  const records: CsvRecord[] = [];
  let line = 1;
  for (const fields of rows) {
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line, fields });
    line += 1 + fields.reduce((n, field) => n + lineEnds(field), 0);
  }
  return records;
}

/** readCsv for a text csv-parse has refused: record by record with their lines, going on past a bad record. */
function readCsvCarefully(src: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  /** the line the text being read starts on */
  let firstLine = 1;
  let rest = src;
  for (;;) {
    /** the line where the last record read ended (relative to `rest`) */
    let lastEnd = 0;
    try {
      parse(rest, {
        relax_column_count: true,
        skip_empty_lines: true,
        record_delimiter: ["\r\n", "\n", "\r"],
        skip_records_with_error: true,
        on_record: (record, info) => {
          // info.lines is where the record ends; a quoted field may span lines
          const start = info.lines - record.reduce((n, field) => n + lineEnds(field), 0);
          if (!(record.length === 1 && record[0] === "")) records.push({ line: firstLine - 1 + start, fields: record });
          lastEnd = info.lines;
          return null;
        },
        on_skip: (error: CsvError | undefined) => {
          /** csv-parse's errors carry the line they were found on */
          const at = typeof error?.lines === "number" ? error.lines : lastEnd + 1;
          // the record starts at the first line that is not blank after the last one read
          const lines = rest.split(LINE_END);
          let start = lastEnd + 1;
          while (start < at && lines[start - 1] === "") start++;
          if (error?.code === "CSV_INVALID_CLOSING_QUOTE") throw new StoppedAt(start, at, "closing");
          if (error?.code === "INVALID_OPENING_QUOTE") throw new StoppedAt(start, at, "inside");
          if (error?.code === "CSV_QUOTE_NOT_CLOSED") {
            throw new ParseError(file, "unterminated quoted field", firstLine - 1 + start, { cause: error });
          }
          throw new ParseError(file, `not valid CSV: ${error?.message ?? "unreadable record"}`, firstLine - 1 + at, { cause: error });
        },
      });
      return records;
    } catch (error) {
      if (!(error instanceof StoppedAt)) throw error;
      // where the record csv-parse stopped in starts, and where the line it stopped at ends
      LINE_END.lastIndex = 0;
      let from = 0;
      let next = rest.length;
      for (let n = 1; n <= error.line; n++) {
        const m = LINE_END.exec(rest);
        if (!m) {
          next = rest.length;
          break;
        }
        if (n < error.start) from = m.index + m[0].length;
        if (n === error.line) next = m.index + m[0].length;
      }
      const line = firstLine - 1 + error.start;
      if (error.quote === "closing") {
        records.push({ line, fields: [], error: "text after a closing quote" });
      } else {
        // the quotes in that record are text
        let relaxed: string[][];
        try {
          relaxed = parse(rest.slice(from, next), { relax_column_count: true, relax_quotes: true, record_delimiter: ["\r\n", "\n", "\r"] });
        } catch (cause) {
          throw new ParseError(file, "unterminated quoted field", line, { cause });
        }
        if (relaxed[0]) records.push({ line, fields: relaxed[0] });
      }
      // go on at the line after it
      if (next >= rest.length) return records;
      rest = rest.slice(next);
      firstLine += error.line;
    }
  }
}

/** `Last Patched`, `lastPatched`, `LAST-PATCHED` -> `last_patched`. */
export function normaliseColumn(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * An ISO 8601 date or date-time as epoch ms, or undefined when it is not one.
 * `YYYY-MM-DD` is midnight UTC; a time without an offset is taken as UTC.
 */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m.slice(1) as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, Number(frac.padEnd(3, "0").slice(0, 3)));
  if (new Date(local).getUTCDate() !== day) return undefined; // 2023-02-30
  let offset = 0;
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const zh = Number(zm[2]);
    const zmin = Number(zm[3] ?? "0");
    if (zh > 23 || zmin > 59) return undefined;
    offset = (zm[1] === "-" ? -1 : 1) * (zh * 60 + zmin) * 60_000;
  }
  return local - offset;
}

export interface JsonDocuments {
  /** the top-level values, in order (several for JSON lines / concatenated JSON) */
  values: unknown[];
  /** the 1-based line where an object or array of those values starts */
  lineOf(value: object): number | undefined;
  /** the 1-based line where each element of an array starts */
  elementLines(array: readonly unknown[]): readonly number[] | undefined;
}

/** What a jsonc-parser error code means, in words. */
const JSON_ERRORS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "bad number",
  UnexpectedEndOfNumber: "bad number",
  PropertyNameExpected: 'expected a property name in ""',
  ValueExpected: "expected a value",
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected ","',
  CloseBraceExpected: 'expected "," or "}"',
  CloseBracketExpected: 'expected "," or "]"',
  UnexpectedEndOfString: "unterminated string",
  InvalidUnicode: "bad string",
  InvalidEscapeCharacter: "bad string",
  InvalidCharacter: "bad string",
  InvalidCommentToken: "comments are not JSON",
  UnexpectedEndOfComment: "comments are not JSON",
};

/**
 * Read one or more JSON values (a document, JSON lines, or values one after
 * the other) with JSON.parse. A syntax error names its line (found by
 * jsonc-parser); the lines of objects and arrays, wanted for warnings, are
 * found by jsonc-parser too, on first use.
 */
export function parseJsonDocuments(text: string, file: string): JsonDocuments {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineAt = lineIndex(src);
  /** each value and where its text starts */
  const documents: Array<{ value: unknown; from: number; to: number }> = [];
  try {
    documents.push({ value: JSON.parse(src), from: 0, to: src.length });
  } catch {
    if (!readJsonLines(src, documents)) readConcatenated(src, file, lineAt, documents);
  }
  let lines: WeakMap<object, number> | undefined;
  let elements: WeakMap<readonly unknown[], number[]> | undefined;
  const index = () => {
    if (lines === undefined) {
      lines = new WeakMap();
      elements = new WeakMap();
      for (const { value, from, to } of documents) {
        const root = jsonTree(src.slice(from, to));
        if (root) indexValue(value, root, (offset) => lineAt(from + offset), lines, elements);
      }
    }
    return { lines, elements: elements! };
  };
  return {
    values: documents.map((d) => d.value),
    lineOf: (v) => index().lines.get(v),
    elementLines: (a) => index().elements.get(a),
  };
}

/** JSON lines: every line that is not blank is one value. False (nothing added) when one is not. */
function readJsonLines(src: string, documents: Array<{ value: unknown; from: number; to: number }>): boolean {
  const found: typeof documents = [];
  let from = 0;
  while (from < src.length) {
    const end = src.indexOf("\n", from);
    const to = end < 0 ? src.length : end;
    const line = src.slice(from, to);
    if (line.trim() !== "") {
      try {
        found.push({ value: JSON.parse(line), from, to });
      } catch {
        return false;
      }
    }
    from = to + 1;
  }
  documents.push(...found);
  return true;
}

/** Values one after the other, however laid out: jsonc-parser says where each ends, or where the text stops being JSON. */
function readConcatenated(
  src: string,
  file: string,
  lineAt: (offset: number) => number,
  documents: Array<{ value: unknown; from: number; to: number }>,
): void {
  let from = 0;
  for (;;) {
    while (/\s/.test(src[from] ?? "")) from++;
    if (from >= src.length) return;
    const rest = src.slice(from);
    const error = jsonSyntaxError(rest);
    const to = error === undefined ? src.length : from + error.offset;
    if (error !== undefined && error.code !== "EndOfFileExpected") {
      const reason = to >= src.length ? "unexpected end of file" : (JSON_ERRORS[error.code] ?? error.code);
      throw new ParseError(file, `not valid JSON: ${reason}`, lineAt(Math.min(to, src.length)));
    }
    try {
      documents.push({ value: JSON.parse(src.slice(from, to)), from, to });
    } catch (cause) {
      // what jsonc-parser lets through and JSON.parse does not (a lone surrogate escape...)
      throw new ParseError(file, `not valid JSON: ${(cause as Error).message.split("\n")[0]}`, lineAt(from), { cause });
    }
    from = to;
  }
}

/** Walks a parsed value and its jsonc-parser node together, keeping the line of every object and array and of each element. */
function indexValue(
  value: unknown,
  node: JsonNode,
  lineAt: (offset: number) => number,
  lines: WeakMap<object, number>,
  elements: WeakMap<readonly unknown[], number[]>,
): void {
  if (Array.isArray(value) && node.type === "array") {
    lines.set(value, lineAt(node.offset));
    const children = node.children ?? [];
    elements.set(
      value,
      children.map((child) => lineAt(child.offset)),
    );
    value.forEach((v, i) => {
      if (children[i]) indexValue(v, children[i], lineAt, lines, elements);
    });
  } else if (isObject(value) && node.type === "object") {
    lines.set(value, lineAt(node.offset));
    // a key given twice: JSON.parse kept the last
    const last = new Map<string, JsonNode>();
    for (const property of node.children ?? []) {
      const [key, child] = property.children ?? [];
      if (key && child && typeof key.value === "string") last.set(key.value, child);
    }
    for (const [key, child] of last) if (Object.hasOwn(value, key)) indexValue(value[key], child, lineAt, lines, elements);
  }
}

/** A JSON or CSV cell as trimmed text; undefined when empty or missing. */
function cellText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") {
    const t = value.trim();
    return t === "" ? undefined : t;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Warnings in file order (a stable sort: those without a line keep their place at the end). */
function byLine(warnings: ParseWarning[]): ParseWarning[] {
  return warnings.sort((a, b) => (a.line === undefined ? (b.line === undefined ? 0 : 1) : b.line === undefined ? -1 : a.line - b.line));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------
// Host inventory

/** Whether a host of each deployment model is changed in place (patched) rather than replaced. */
const MUTABLE: Record<DeploymentModel, boolean> = {
  "mutable-vm": true,
  "bare-metal": true,
  "immutable-vm": false,
  "immutable-container": false,
  serverless: false,
};

const INVENTORY_COLUMNS = ["hostname", "os", "kernel", "last_patched", "last_rebuilt", "environment", "deployment"] as const;
type InventoryColumn = (typeof INVENTORY_COLUMNS)[number];
const COLUMN_ALIASES: Record<string, InventoryColumn> = {
  host: "hostname",
  host_name: "hostname",
  deployment_model: "deployment",
  env: "environment",
  last_patched_on: "last_patched",
  last_rebuilt_on: "last_rebuilt",
};

function inventoryColumn(name: string): InventoryColumn | undefined {
  const n = normaliseColumn(name);
  return (INVENTORY_COLUMNS as readonly string[]).includes(n) ? (n as InventoryColumn) : COLUMN_ALIASES[n];
}

const HOSTNAME = /^[A-Za-z0-9_.:-]+$/;

/** The `_key` of the Host entity for a host name (host names are case-insensitive). */
export function hostKey(hostname: string): string {
  return `host:${hostname.toLowerCase()}`;
}

/**
 * A host inventory: CSV with a header row, or JSON (an array of objects, or
 * `{ "hosts": [...] }`), with the columns hostname, os, kernel, last_patched,
 * last_rebuilt, environment, deployment (headers and keys case-insensitive).
 * The format is chosen by the file extension, else by the first character.
 */
export function parseHostInventory(text: string, fileName: string): ParseResult {
  const warnings: ParseWarning[] = [];
  /** each row, with its line (found when a warning wants it) */
  const rows: Array<{ line: () => number | undefined; cells: Partial<Record<InventoryColumn, unknown>> }> = [];
  const lower = fileName.toLowerCase();
  const json = lower.endsWith(".json") || (!lower.endsWith(".csv") && /^\uFEFF?\s*[[{]/.test(text));
  if (json) {
    const doc = parseJsonDocuments(text, fileName);
    if (doc.values.length !== 1) throw new ParseError(fileName, "expected one JSON document", undefined);
    const top = doc.values[0];
    const list = Array.isArray(top) ? top : isObject(top) && Array.isArray(top.hosts) ? top.hosts : undefined;
    if (list === undefined) throw new ParseError(fileName, 'expected an array of hosts or { "hosts": [...] }', 1);
    const itemLine = (j: number) => doc.elementLines(list)?.[j];
    list.forEach((item: unknown, j: number) => {
      if (!isObject(item)) {
        warnings.push({ file: fileName, line: itemLine(j)!, message: "a host must be an object; skipped" });
        return;
      }
      const cells: Partial<Record<InventoryColumn, unknown>> = {};
      for (const [k, v] of Object.entries(item)) {
        const col = inventoryColumn(k);
        if (col !== undefined && cells[col] === undefined) cells[col] = v;
      }
      rows.push({ line: () => itemLine(j), cells });
    });
  } else {
    const records = readCsv(text, fileName);
    const header = records.shift();
    if (header === undefined) return { entities: [], relationships: [], warnings };
    const columns = header.fields.map(inventoryColumn);
    if (!columns.includes("hostname")) {
      throw new ParseError(fileName, `no "hostname" column in the header (${header.fields.join(", ")})`, header.line);
    }
    for (const record of records) {
      if (record.error !== undefined) {
        warnings.push({ file: fileName, line: record.line, message: `${record.error}; row skipped` });
        continue;
      }
      if (record.fields.length !== columns.length) {
        warnings.push({
          file: fileName,
          line: record.line,
          message: `expected ${columns.length} fields, found ${record.fields.length}; row skipped`,
        });
        continue;
      }
      const cells: Partial<Record<InventoryColumn, unknown>> = {};
      columns.forEach((col, j) => {
        if (col !== undefined && cells[col] === undefined) cells[col] = record.fields[j];
      });
      rows.push({ line: () => record.line, cells });
    }
  }

  const entities: EntityRecord[] = [];
  /** where each host was first seen */
  const seen = new Map<string, () => number | undefined>();
  for (const { line: lineOf, cells } of rows) {
    const skip = (message: string) => {
      const line = lineOf();
      warnings.push(line === undefined ? { file: fileName, message } : { file: fileName, line, message });
    };
    const text = (col: InventoryColumn): string | undefined => cellText(cells[col]);
    const hostname = text("hostname");
    if (hostname === undefined) {
      skip("missing hostname; row skipped");
      continue;
    }
    if (!HOSTNAME.test(hostname)) {
      skip(`bad hostname ${JSON.stringify(hostname)}; row skipped`);
      continue;
    }
    const key = hostKey(hostname);
    if (seen.has(key)) {
      const first = seen.get(key)?.();
      skip(`duplicate hostname ${hostname}${first === undefined ? "" : ` (first on line ${first})`}; row skipped`);
      continue;
    }
    const entity: EntityRecord = { _key: key, _type: "host", _class: "Host", displayName: hostname, hostname };
    const os = text("os");
    if (os !== undefined) entity.os = os;
    const kernel = text("kernel");
    if (kernel !== undefined) entity.kernel = kernel;
    let bad: string | undefined;
    for (const [col, prop] of [
      ["last_patched", "lastPatchedOn"],
      ["last_rebuilt", "lastRebuiltOn"],
    ] as const) {
      const value = text(col);
      if (value === undefined) continue;
      const at = parseTimestamp(value);
      if (at === undefined) {
        bad ??= `${col}: ${JSON.stringify(value)} is not a date (YYYY-MM-DD or ISO 8601)`;
        continue;
      }
      entity[prop] = at;
    }
    if (bad !== undefined) {
      skip(`${bad}; row skipped`);
      continue;
    }
    const environment = text("environment");
    if (environment !== undefined) entity.environment = environment;
    const deployment = text("deployment");
    if (deployment !== undefined) {
      const model = deployment.toLowerCase().replace(/[\s_]+/g, "-") as DeploymentModel;
      if (!DEPLOYMENT_MODELS.includes(model)) {
        skip(`deployment: ${JSON.stringify(deployment)} is not one of ${DEPLOYMENT_MODELS.join(", ")}; row skipped`);
        continue;
      }
      entity.deployment = model;
      entity.mutable = MUTABLE[model];
    }
    seen.set(key, lineOf);
    entities.push(entity);
  }
  return { entities, relationships: [], warnings: byLine(warnings) };
}

// ---------------------------------------------------------------------------
// osquery results

const OSQUERY_TABLES = ["system_info", "os_version", "kernel_info", "uptime", "deb_packages", "rpm_packages"] as const;
type OsqueryTable = (typeof OSQUERY_TABLES)[number];

interface ResultSet {
  /** the query name, when the results carry one */
  name?: string;
  rows: unknown[];
  /** line of the result set, for rows that are not objects (found when a warning wants it) */
  line: () => number | undefined;
}

/** The table a query read: from its name (`deb_packages`, `pack_inventory_deb_packages`), else from its columns. */
function tableOf(set: ResultSet): OsqueryTable | undefined {
  if (set.name !== undefined) {
    const n = set.name.toLowerCase();
    const byName = OSQUERY_TABLES.find((t) => n === t || n.endsWith(`_${t}`) || n.endsWith(`/${t}`) || n.endsWith(`:${t}`));
    if (byName !== undefined) return byName;
  }
  const row = set.rows.find(isObject);
  if (row === undefined) return undefined;
  const has = (...cols: string[]) => cols.every((c) => c in row);
  const any = (...cols: string[]) => cols.some((c) => c in row);
  if (has("total_seconds")) return "uptime";
  if (has("name", "version", "release") && any("sha1", "epoch", "vendor", "package_group", "install_time")) return "rpm_packages";
  if (has("name", "version") && any("maintainer", "section", "priority", "admindir", "revision")) return "deb_packages";
  if (has("version", "arguments") && any("path", "device")) return "kernel_info";
  if (has("name", "version", "platform") && any("major", "platform_like", "codename")) return "os_version";
  if (has("hostname") && (Object.keys(row).length === 1 || any("uuid", "cpu_brand", "computer_name", "local_hostname"))) {
    return "system_info";
  }
  return undefined;
}

const RESULT_ROWS = ["rows", "results", "snapshot"] as const;

/** `{ name, rows | results | snapshot | diffResults | columns }`: one query's results (osqueryd logs these). */
function namedResult(value: Record<string, unknown>, lineOf: JsonDocuments["lineOf"]): (ResultSet & { host?: string }) | undefined {
  if (typeof value.name !== "string") return undefined;
  let rows: unknown[] | undefined;
  for (const k of RESULT_ROWS) if (Array.isArray(value[k])) rows = value[k] as unknown[];
  if (rows === undefined && isObject(value.diffResults)) {
    rows = Array.isArray(value.diffResults.added) ? value.diffResults.added : [];
  }
  if (rows === undefined && isObject(value.columns)) {
    // event format: one row per line, `action` added/removed/snapshot
    rows = value.action === "removed" ? [] : [value.columns];
  }
  if (rows === undefined) return undefined;
  const set: ResultSet & { host?: string } = { name: value.name, rows, line: () => lineOf(value) };
  if (typeof value.hostIdentifier === "string" && value.hostIdentifier !== "") set.host = value.hostIdentifier;
  return set;
}

export interface OsqueryOptions {
  /** the host these results are from; wins over a `system_info` row */
  hostname?: string;
}

/**
 * osquery results for ONE host: the `--json` output of `osqueryi` (an array of
 * rows, or an object keyed by query name whose values are rows), or osqueryd
 * result logs (`{ name, hostIdentifier, snapshot | diffResults | columns }`,
 * one per line or in an array). Reads system_info (host name), os_version,
 * kernel_info, uptime, deb_packages and rpm_packages; other queries are
 * ignored. Packages become `deb_package` / `rpm_package` entities (CodeModule)
 * shared by every host that has them, each with a `host -HAS-> package` edge.
 */
export function parseOsquery(text: string, fileName: string, options: OsqueryOptions = {}): ParseResult {
  const doc = parseJsonDocuments(text, fileName);
  const warnings: ParseWarning[] = [];
  const warn = (where: number | undefined | (() => number | undefined), message: string) => {
    const line = typeof where === "function" ? where() : where;
    warnings.push(line === undefined ? { file: fileName, message } : { file: fileName, line, message });
  };
  const sets: Array<ResultSet & { host?: string }> = [];
  for (const value of doc.values) {
    if (Array.isArray(value)) {
      const named = value.map((v) => (isObject(v) ? namedResult(v, doc.lineOf) : undefined));
      if (value.length > 0 && named.every((n) => n !== undefined)) sets.push(...(named as ResultSet[]));
      else sets.push({ rows: value, line: () => doc.lineOf(value) ?? 1 });
      continue;
    }
    if (!isObject(value)) throw new ParseError(fileName, "expected osquery results (an array of rows or an object keyed by query name)", 1);
    const named = namedResult(value, doc.lineOf);
    if (named !== undefined) {
      sets.push(named);
      continue;
    }
    for (const [name, rows] of Object.entries(value)) {
      if (Array.isArray(rows)) sets.push({ name, rows, line: () => doc.lineOf(rows) ?? 1 });
    }
  }

  let osVersion: string | undefined;
  let kernel: string | undefined;
  let uptimeSeconds: number | undefined;
  const hostnames = new Set<string>();
  const hostIdentifiers = new Set<string>();
  const packages = new Map<string, { entity: EntityRecord; arch?: string; table: "deb" | "rpm" }>();

  for (const set of sets) {
    if (set.host !== undefined) hostIdentifiers.add(set.host);
    const table = tableOf(set);
    if (table === undefined) {
      if (set.name === undefined && set.rows.length > 0) warn(set.line, "results of an unknown query (no name, columns not recognised); skipped");
      continue;
    }
    for (const [j, row] of set.rows.entries()) {
      const line = () => doc.elementLines(set.rows)?.[j] ?? (isObject(row) ? doc.lineOf(row) : undefined) ?? set.line();
      if (!isObject(row)) {
        warn(line, `a ${table} row must be an object; skipped`);
        continue;
      }
      const col = (name: string) => cellText(row[name]);
      switch (table) {
        case "system_info": {
          const h = col("hostname");
          if (h === undefined || !HOSTNAME.test(h)) warn(line, `system_info: bad hostname ${JSON.stringify(row.hostname ?? null)}; skipped`);
          else hostnames.add(h);
          break;
        }
        case "os_version": {
          const name = col("name");
          const version = col("version");
          if (name === undefined && version === undefined) {
            warn(line, "os_version: no name or version; skipped");
            break;
          }
          // "Ubuntu" + "22.04.3 LTS (Jammy Jellyfish)"; some platforms repeat the name in the version
          const full = name === undefined ? version! : version === undefined ? name : version.startsWith(name) ? version : `${name} ${version}`;
          osVersion ??= full;
          break;
        }
        case "kernel_info": {
          const version = col("version");
          if (version === undefined) warn(line, "kernel_info: no version; skipped");
          else kernel ??= version;
          break;
        }
        case "uptime": {
          const total = col("total_seconds");
          if (total === undefined || !/^\d+$/.test(total)) warn(line, `uptime: total_seconds ${JSON.stringify(row.total_seconds ?? null)} is not a number; skipped`);
          else uptimeSeconds ??= Number(total);
          break;
        }
        case "deb_packages":
        case "rpm_packages": {
          const kind = table === "deb_packages" ? "deb" : "rpm";
          const name = col("name");
          let version = col("version");
          if (name === undefined || version === undefined) {
            warn(line, `${table}: ${name === undefined ? "no name" : `${name} has no version`}; skipped`);
            break;
          }
          // dpkg keeps removed packages' configuration ("deinstall ok config-files"): not installed.
          const status = col("status");
          if (kind === "deb" && status !== undefined && !status.endsWith(" installed")) break;
          if (kind === "rpm") {
            const release = col("release");
            const epoch = col("epoch");
            if (release !== undefined) version = `${version}-${release}`;
            if (epoch !== undefined && epoch !== "0") version = `${epoch}:${version}`;
          }
          const key = `${kind}:${name}@${version}`;
          if (packages.has(key)) break; // the same package for another architecture
          const entity: EntityRecord = {
            _key: key,
            _type: `${kind}_package`,
            _class: "CodeModule",
            displayName: `${name}@${version}`,
            name,
            version,
          };
          const arch = col("arch");
          packages.set(key, arch === undefined ? { entity, table: kind } : { entity, arch, table: kind });
          break;
        }
      }
    }
  }

  let hostname = options.hostname?.trim();
  if (hostname === undefined || hostname === "") {
    if (hostnames.size > 1) {
      throw new ParseError(fileName, `results from several hosts (${[...hostnames].sort().join(", ")}); give one host's results`);
    }
    hostname = hostnames.size === 1 ? [...hostnames][0] : hostIdentifiers.size === 1 ? [...hostIdentifiers][0] : undefined;
  }
  if (hostname === undefined || hostname === "") {
    throw new ParseError(fileName, "no host name: include a system_info (hostname) query or give the host name");
  }
  if (!HOSTNAME.test(hostname)) throw new ParseError(fileName, `bad host name ${JSON.stringify(hostname)}`);

  const host: EntityRecord = { _key: hostKey(hostname), _type: "host", _class: "Host", displayName: hostname, hostname };
  if (osVersion !== undefined) host.osVersion = osVersion;
  if (kernel !== undefined) host.kernel = kernel;
  if (uptimeSeconds !== undefined) host.uptimeSeconds = uptimeSeconds;
  const entities: EntityRecord[] = [host];
  const relationships: RelationshipRecord[] = [];
  for (const { entity, arch, table } of packages.values()) {
    entities.push(entity);
    const edge: RelationshipRecord = {
      _key: `${host._key}|has|${entity._key}`,
      _type: `host_has_${table}_package`,
      _class: "HAS",
      _fromEntityKey: host._key,
      _toEntityKey: entity._key,
    };
    if (arch !== undefined) edge.arch = arch;
    relationships.push(edge);
  }
  return { entities, relationships, warnings: byLine(warnings) };
}
