/**
 * The bulk file format (J1QL.md): `{ entities: [...], relationships: [...] }`
 * in JSON or YAML. Parsing and validation are all-or-nothing: the first bad
 * record stops the import with its index and field, before anything is
 * written.
 *
 * Validation is hand-written rather than a zod schema: a bulk file can hold a
 * million records, and a per-record schema walk was the slowest step of the
 * import path. The rules are small and listed here.
 */
import { parse as parseYaml, YAMLParseError } from "yaml";
import { InputError } from "../../shared/errors.js";
import { classProblem } from "./classes.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";

const TYPE_PATTERN = /^[A-Za-z0-9_:.-]+$/;
/** Classes are TitleCase (JupiterOne's data model): `Find CodeRepo` looks a class up; `Find codeRepo` is a type. */
const CLASS_PATTERN = /^[A-Z][A-Za-z0-9_]*$/;

/** A UTF-16 surrogate not part of a pair (with the u flag a pair is one code point and does not match). */
const LONE_SURROGATE = /\p{Cs}/u;

/** The longest string property, in characters (documented in docs/getting-started.md). */
export const MAX_PROPERTY_CHARS = 1_048_576;
/** The most string data one record may carry, in characters, all properties together. */
export const MAX_RECORD_CHARS = 4 * 1_048_576;

function fail(where: string, message: string, hint?: string): never {
  throw new InputError(`${where}: ${message}`, { details: hint ? [hint] : [] });
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

function checkProperties(record: Record<string, unknown>, where: string, skip: Set<string>): void {
  let chars = 0;
  const size = (key: string, value: unknown): void => {
    if (typeof value !== "string") return;
    if (value.length > MAX_PROPERTY_CHARS) {
      fail(`${where}.${key}`, `is ${value.length.toLocaleString("en-US")} characters long; a property may be at most 1 MiB (${MAX_PROPERTY_CHARS.toLocaleString("en-US")} characters)`, "Store large documents elsewhere and keep a link to them.");
    }
    chars += value.length + key.length;
    if (chars > MAX_RECORD_CHARS) {
      fail(where, `carries more than 4 MiB of text (${MAX_RECORD_CHARS.toLocaleString("en-US")} characters) in its properties`, "Store large documents elsewhere and keep a link to them.");
    }
  };
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === "string") size(key, value);
    else if (Array.isArray(value)) for (const item of value) size(key, item);
    if (skip.has(key) || value === null || isScalar(value)) continue;
    if (Array.isArray(value) && value.every((v) => v === null || isScalar(v))) continue;
    fail(
      `${where}.${key}`,
      `a property must be a string, number, boolean, null or a list of those; got ${describe(value)}`,
      "Flatten nested objects into dotted keys, e.g. tag.Owner instead of tag: { Owner: ... }.",
    );
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list containing an object or list";
  if (value === null) return "null";
  if (typeof value === "number") return String(value);
  return typeof value === "object" ? "an object" : typeof value;
}

function requireString(record: Record<string, unknown>, field: string, where: string, pattern?: RegExp): string {
  const value = record[field];
  if (value === undefined) fail(`${where}.${field}`, "is missing", `Every record needs ${field}.`);
  if (typeof value !== "string" || value.length === 0) {
    fail(`${where}.${field}`, `must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  // A key that cannot be stored or matched as written: NUL (PostgreSQL cannot
  // store it) and lone UTF-16 surrogates (not text; they become U+FFFD).
  if (value.includes("\u0000")) fail(`${where}.${field}`, `${JSON.stringify(value)} contains a NUL character (\\u0000)`, "Remove it: keys and types are plain text.");
  if (LONE_SURROGATE.test(value)) fail(`${where}.${field}`, `${JSON.stringify(value)} contains a lone surrogate (half of a UTF-16 pair), which is not text`, "Fix the encoding of the value where it was produced.");
  if (pattern && !pattern.test(value)) fail(`${where}.${field}`, `"${value}" is not a valid ${field}`);
  return value;
}

const ENTITY_FIELDS = new Set(["_key", "_type", "_class", "displayName"]);
const RELATIONSHIP_FIELDS = new Set(["_key", "_type", "_class", "_fromEntityKey", "_toEntityKey"]);

export function validateEntity(value: unknown, index: number): EntityRecord {
  const where = `entities[${index}]`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(where, "must be an object");
  const record = value as Record<string, unknown>;
  requireString(record, "_key", where);
  requireString(record, "_type", where, TYPE_PATTERN);
  const cls = record._class;
  if (cls === undefined) fail(`${where}._class`, "is missing", "Every entity needs _class, e.g. CodeRepo.");
  const classes = Array.isArray(cls) ? cls : [cls];
  if (classes.length === 0) fail(`${where}._class`, "must name at least one class");
  classes.forEach((c, i) => {
    if (typeof c !== "string" || !CLASS_PATTERN.test(c)) {
      const titled = typeof c === "string" && /^[a-z][A-Za-z0-9_]*$/.test(c) ? `${c[0]!.toUpperCase()}${c.slice(1)}` : undefined;
      fail(
        `${where}._class${Array.isArray(cls) ? `[${i}]` : ""}`,
        titled ? `${JSON.stringify(c)} is not a class name: classes are TitleCase; did you mean "${titled}"?` : `${JSON.stringify(c)} is not a class name`,
        "A class is a TitleCase word such as CodeRepo, Host or Finding (a lower-case name is a _type).",
      );
    }
    const closest = classProblem(c);
    if (closest !== undefined) {
      fail(
        `${where}._class${Array.isArray(cls) ? `[${i}]` : ""}`,
        `"${c}" is not a class of JupiterOne's data model${closest ? `; did you mean "${closest}"?` : ""}`,
        "Classes are those of JupiterOne's data model (@jupiterone/data-model; docs/getting-started.md), so queries written for JupiterOne find the entity.",
      );
    }
  });
  if (record.displayName !== undefined && record.displayName !== null && typeof record.displayName !== "string") {
    fail(`${where}.displayName`, `must be a string, got ${JSON.stringify(record.displayName)}`);
  }
  checkProperties(record, where, ENTITY_FIELDS);
  return record as EntityRecord;
}

export function validateRelationship(value: unknown, index: number): RelationshipRecord {
  const where = `relationships[${index}]`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(where, "must be an object");
  const record = value as Record<string, unknown>;
  requireString(record, "_key", where);
  requireString(record, "_type", where, TYPE_PATTERN);
  const verb = requireString(record, "_class", where);
  if (!/^[A-Za-z_]+$/.test(verb)) fail(`${where}._class`, `"${verb}" is not a verb such as HAS, USES or OWNS`);
  requireString(record, "_fromEntityKey", where);
  requireString(record, "_toEntityKey", where);
  checkProperties(record, where, RELATIONSHIP_FIELDS);
  return record as RelationshipRecord;
}

/** Validate a parsed document in the bulk format. */
export function validateBulk(doc: unknown): GraphBatch {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    fail("the file", "must be an object with \"entities\" and/or \"relationships\" lists");
  }
  const d = doc as Record<string, unknown>;
  for (const key of Object.keys(d)) {
    if (key !== "entities" && key !== "relationships") {
      fail(`the file`, `has an unknown top-level key "${key}"`, 'Only "entities" and "relationships" are read.');
    }
  }
  const entities = d.entities ?? [];
  const relationships = d.relationships ?? [];
  if (!Array.isArray(entities)) fail("entities", "must be a list");
  if (!Array.isArray(relationships)) fail("relationships", "must be a list");
  return {
    entities: entities.map(validateEntity),
    relationships: relationships.map(validateRelationship),
  };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * Parse bulk-file text. `name` is used in messages (a path, or "stdin").
 * JSON is tried when the text starts with `{`; YAML otherwise.
 */
export function parseBulkText(text: string, name: string): GraphBatch {
  const trimmed = text.trimStart();
  if (trimmed.length === 0) fail(name, "is empty", "A bulk file is { \"entities\": [...], \"relationships\": [...] }.");
  let doc: unknown;
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      doc = JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const at = /position (\d+)/.exec(message);
      const where = at ? lineColumn(text, Number(at[1])) : undefined;
      fail(
        where ? `${name}:${where.line}:${where.column}` : name,
        `not valid JSON (${message.replace(/ in JSON at position \d+.*$/, "")})`,
      );
    }
  } else {
    try {
      doc = parseYaml(text, { maxAliasCount: 1000 });
    } catch (error) {
      if (error instanceof YAMLParseError) {
        const pos = error.linePos?.[0];
        fail(pos ? `${name}:${pos.line}:${pos.col}` : name, `not valid YAML (${error.message.split("\n")[0]})`);
      }
      // The yaml library stops alias expansion past maxAliasCount (a "billion
      // laughs" document) with a plain ReferenceError.
      if (error instanceof ReferenceError && /alias/i.test(error.message)) {
        fail(name, "uses YAML aliases (*name) too many times: it would expand into far more data than it holds", "Write each record out in full (or as JSON); at most 1,000 alias uses are read.");
      }
      throw error;
    }
  }
  try {
    return validateBulk(doc);
  } catch (error) {
    if (error instanceof InputError) {
      throw new InputError(`${name}: ${error.message}`, { cause: error, details: error.details });
    }
    throw error;
  }
}
