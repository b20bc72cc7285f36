/**
 * Where a JSON text goes wrong, and where its values are, for the file-based
 * integrations: jsonc-parser (strict: no comments, no trailing commas) on the
 * error and warning paths only. JSON.parse stays the way good files are read.
 */
import jsonc, { type ParseError as JsoncError, type Node as JsonNode } from "jsonc-parser";

export type { JsonNode };

const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

export interface JsonSyntaxError {
  /** character offset where the text stops being JSON */
  offset: number;
  /** jsonc-parser's name for it: `PropertyNameExpected`, `CommaExpected`, `EndOfFileExpected`... */
  code: string;
}

/** The first syntax error in `text`, or undefined when jsonc-parser finds none. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const errors: JsoncError[] = [];
  jsonc.parse(text, errors, STRICT);
  const first = errors[0];
  return first && { offset: first.offset, code: jsonc.printParseErrorCode(first.error) };
}

/** The tree of a JSON text with the offset of every value and key (jsonc-parser's parseTree). */
export function jsonTree(text: string): JsonNode | undefined {
  return jsonc.parseTree(text, [], STRICT);
}

/** The node at `path` (keys and array indexes from the root), if any. */
export function jsonNodeAt(root: JsonNode, path: ReadonlyArray<string | number>): JsonNode | undefined {
  return jsonc.findNodeAtLocation(root, [...path]);
}

/** A 1-based line for each character offset of `text` (binary search over its line breaks). */
export function lineIndex(text: string): (offset: number) => number {
  const newlines: number[] = [];
  for (let j = text.indexOf("\n"); j >= 0; j = text.indexOf("\n", j + 1)) newlines.push(j);
  return (offset) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}
