/**
 * JSON for the extractors: JSON.parse, with the line of a syntax error and
 * the line of a key found by jsonc-parser when they are wanted (errors and
 * warnings only, so good files pay nothing for them).
 */
import { type JsonNode, jsonNodeAt, jsonSyntaxError, jsonTree } from "../../json-position.js";
import { lineAt } from "./common.js";
import { ExtractError } from "./types.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isJsonObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The 1-based line where `text` stops being JSON (jsonc-parser says where; the end when it finds nothing wrong). */
function errorLine(text: string): number {
  const at = jsonSyntaxError(text)?.offset ?? text.length;
  return lineAt(text, Math.min(at, text.length));
}

/** JSON.parse, turning a syntax error into an ExtractError with V8's message and the line where the text goes wrong. */
export function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ExtractError(file, `not valid JSON: ${message}`, errorLine(text), { cause: error });
  }
}

/** JSON.parse; on a syntax error the line where the text goes wrong, and the first line of V8's message, at most 120 characters. */
export function parseJsonLocated(file: string, text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    const { line, message } = describeJsonError(text, error);
    throw new ExtractError(file, `not valid JSON: ${message}`, line, { cause: error });
  }
}

/** For a JSON.parse error on `text`: the line where the text goes wrong and the first line of the message (at most 120 characters). */
export function describeJsonError(text: string, error: unknown): { line: number; message: string } {
  return { line: errorLine(text), message: (error as Error).message.split("\n")[0]!.slice(0, 120) };
}

/** The last text whose tree was built: warnings ask for many keys of the same file. */
let lastTree: { text: string; root: JsonNode | undefined } | undefined;

/**
 * 1-based line where the object key at `path` (keys from the top-level
 * object down) is written. Only called for warnings: good files never pay
 * for the tree it builds.
 */
export function jsonKeyLine(text: string, path: readonly string[]): number | undefined {
  if (path.length === 0) return undefined;
  if (lastTree?.text !== text) lastTree = { text, root: jsonTree(text) };
  const root = lastTree.root;
  const node = root && jsonNodeAt(root, path);
  // the value's parent is the property; its first child is the key
  const key = node?.parent?.type === "property" ? node.parent.children?.[0] : undefined;
  return key ? lineAt(text, key.offset) : undefined;
}
