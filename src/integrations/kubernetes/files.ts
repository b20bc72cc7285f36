/**
 * Offline mode: the output of `kubectl get deploy,sts,ds,cronjob,svc,ns,nodes,secrets -A -o json`
 * (a `List` with `items`), a typed list (`DeploymentList`, whose items may
 * omit their kind), or one object. A file that is not JSON fails the run,
 * naming the file, line and column; an item of a kind dm does not read is a
 * warning with its line.
 */
import { InputError } from "../../shared/errors.js";
import { jsonNodeAt, jsonSyntaxError, jsonTree, lineIndex } from "../json-position.js";
import type { SyncWarning } from "../types.js";
import type { KubeObject } from "./map.js";

export interface FileObjects {
  /** each object with the kind it is read as, and its index in `items` (undefined for a single object) */
  objects: Array<{ object: KubeObject; kind: string | undefined; index?: number }>;
}

/** Where in the text an offset is: 1-based line and column. */
function position(text: string, offset: number): { line: number; column: number } {
  const line = lineIndex(text)(offset);
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return { line, column: offset - lineStart + 1 };
}

export function parseKubectlJson(text: string, name: string): FileObjects {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const syntax = jsonSyntaxError(text);
    const where = syntax ? position(text, syntax.offset) : undefined;
    throw new InputError(
      `${name}${where ? `:${where.line}:${where.column}` : ""}: not JSON${syntax ? ` (${syntax.code})` : ""}: expected the output of kubectl get ... -o json`,
      { cause: error },
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InputError(`${name}: expected a Kubernetes object or List (kubectl get ... -o json), found ${Array.isArray(doc) ? "an array" : typeof doc}`);
  }
  const top = doc as { kind?: unknown; items?: unknown };
  if (Array.isArray(top.items)) {
    const listKind = typeof top.kind === "string" ? top.kind : "List";
    const itemKind = listKind !== "List" && listKind.endsWith("List") ? listKind.slice(0, -4) : undefined;
    return {
      objects: top.items.map((item, index) => {
        const object = (typeof item === "object" && item !== null ? item : {}) as KubeObject;
        return { object, kind: typeof object.kind === "string" ? object.kind : itemKind, index };
      }),
    };
  }
  const object = doc as KubeObject;
  return { objects: [{ object, kind: typeof object.kind === "string" ? object.kind : undefined }] };
}

/** A warning about item `index` of the file, with its line when the text can tell. */
export function itemWarning(text: string, name: string, index: number | undefined, message: string): SyncWarning {
  if (index === undefined) return { file: name, message };
  const root = jsonTree(text);
  const node = root && jsonNodeAt(root, ["items", index]);
  return node ? { file: name, line: lineIndex(text)(node.offset), message: `items[${index}]: ${message}` } : { file: name, message: `items[${index}]: ${message}` };
}
