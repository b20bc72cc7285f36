/**
 * The YAML of lockfiles (pnpm-lock.yaml, yarn berry's yarn.lock). The `yaml`
 * package takes about 25 ms on a 300-package lockfile, so `parseLockYaml`
 * reads the block-style subset that pnpm and yarn write (about 1 ms) and
 * hands anything else (anchors, block scalars, multi-line flow, odd
 * indentation, duplicate keys) to `yaml`, which also words the errors. Both
 * give strings for every scalar (YAML's failsafe schema).
 */
import { isAlias, isMap as isYamlMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import { ExtractError } from "./types.js";


/** A mapping with no prototype (keys like `__proto__` are plain keys). */
export interface YamlMap {
  [key: string]: YamlValue | undefined;
}
/** Scalars are strings (the failsafe schema: `5.4`, `true` and an empty value are all text). */
export type YamlValue = string | YamlMap | YamlValue[];

export interface ParsedYaml {
  /** the last non-empty document, undefined for an empty file */
  value: YamlValue | undefined;
  /** 1-based line of a key of a mapping of `value` */
  keyLine(map: YamlMap, key: string): number | undefined;
}

export function isMap(value: YamlValue | undefined): value is YamlMap {
  return typeof value === "object" && !Array.isArray(value);
}

/** Parse a lockfile's YAML: the fast reader when it can, the `yaml` package otherwise. Throws ExtractError. */
export function parseLockYaml(file: string, text: string): ParsedYaml {
  const bail: FastBail = { line: 0, unclosed: false };
  return parseFast(text, bail) ?? parseWithLibrary(file, text, bail.unclosed ? bail.line : undefined);
}

/**
 * The `yaml` package: any YAML, errors with lines. `unclosedLine`: where the
 * fast reader saw a quote or flow collection left open; the library reports
 * those where it gave up looking (often the end of the file), so this line
 * is the better one to show.
 */
export function parseWithLibrary(file: string, text: string, unclosedLine?: number): ParsedYaml {
  const lineCounter = new LineCounter();
  const lines = new WeakMap<YamlMap, Map<string, number>>();
  const docs = parseAllDocuments(text, { schema: "failsafe", lineCounter, uniqueKeys: true });
  let value: YamlValue | undefined;
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      let line = error.linePos?.[0].line;
      const message = error.message
        .split("\n")[0]!
        .replace(/:$/, "")
        .replace(/ at line \d+, column \d+$/, "");
      const unclosed = (error.code === "MISSING_CHAR" && /quote/.test(message)) || /^Flow (map|sequence)/.test(message);
      if (unclosed && unclosedLine !== undefined && (line === undefined || unclosedLine <= line)) line = unclosedLine;
      throw new ExtractError(file, `not valid YAML: ${message}`, line, { cause: error });
    }
    if (doc.contents === null) continue;
    const convert = (node: unknown, depth: number): YamlValue => {
      if (depth > 200) throw new ExtractError(file, "YAML nested too deeply (or a recursive alias)");
      if (isAlias(node)) return convert(node.resolve(doc), depth + 1);
      if (isYamlMap(node)) {
        const map = Object.create(null) as YamlMap;
        const keyLines = new Map<string, number>();
        lines.set(map, keyLines);
        for (const pair of node.items) {
          const keyNode = pair.key as Node | null;
          const key = isScalar(keyNode) ? String(keyNode.value ?? "") : JSON.stringify(keyNode?.toJSON() ?? "");
          map[key] = pair.value == null ? "" : convert(pair.value, depth + 1);
          const offset = keyNode?.range?.[0];
          if (offset !== undefined) keyLines.set(key, lineCounter.linePos(offset).line);
        }
        return map;
      }
      if (isSeq(node)) return node.items.map((item) => (item == null ? "" : convert(item, depth + 1)));
      if (isScalar(node)) return node.value == null ? "" : String(node.value);
      return "";
    };
    value = convert(doc.contents, 0);
  }
  return { value, keyLine: (map, key) => lines.get(map)?.get(key) };
}

/** Where and why the fast reader gave up. */
export interface FastBail {
  line: number;
  /** a quoted scalar or flow collection does not close on its line */
  unclosed: boolean;
}

/** Set by the quoted-scalar and flow readers when they reach the end of the line. */
let reachedLineEnd = false;

interface Frame {
  indent: number;
  map?: YamlMap;
  seq?: YamlValue[];
}

/**
 * Block mappings and sequences, plain and quoted scalars, one-line flow
 * collections, comments and `---` document separators. Returns undefined for
 * anything else, and for anything it is unsure of, so that the `yaml`
 * package decides.
 */
export function parseFast(text: string, bail: FastBail = { line: 0, unclosed: false }): ParsedYaml | undefined {
  const result = readFast(text, bail);
  if (result === undefined) bail.unclosed = reachedLineEnd;
  return result;
}

function readFast(text: string, bail: FastBail): ParsedYaml | undefined {
  reachedLineEnd = false;
  if (/\r(?!\n)/.test(text)) return undefined; // a lone CR is a line break to YAML
  const bom = text.charCodeAt(0) === 0xfeff;
  const lines = new WeakMap<YamlMap, Map<string, number>>();
  let value: YamlValue | undefined;
  let stack: Frame[] = [];
  let pending: { map: YamlMap; key: string; indent: number } | undefined;
  let lineNo = 0;
  let pos = bom ? 1 : 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = n;
    lineNo++;
    bail.line = lineNo;
    reachedLineEnd = false;
    const lineStart = pos;
    pos = end + 1;
    let lineEnd = end;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    let i = lineStart;
    while (i < lineEnd && text.charCodeAt(i) === 32) i++;
    if (i === lineEnd) continue;
    const c = text.charCodeAt(i);
    if (c === 35) continue; // # comment
    if (c === 9) return undefined; // tab
    const indent = i - lineStart;
    if (indent === 0 && (text.startsWith("---", i) || text.startsWith("...", i))) {
      const after = text.charCodeAt(i + 3);
      if (i + 3 === lineEnd || after === 32 || after === 9) {
        if (text.startsWith("...", i) || !isBlankOrComment(text, i + 3, lineEnd)) return undefined;
        // a new document: the last non-empty one wins
        if (pending) pending.map[pending.key] = "";
        pending = undefined;
        stack = [];
        continue;
      }
    }
    const isSeqItem = c === 45 && (i + 1 === lineEnd || text.charCodeAt(i + 1) === 32);

    if (pending) {
      const { map, key } = pending;
      if (indent > pending.indent || (indent === pending.indent && isSeqItem)) {
        const frame: Frame = { indent };
        if (isSeqItem) {
          frame.seq = [];
          map[key] = frame.seq;
        } else {
          frame.map = Object.create(null) as YamlMap;
          lines.set(frame.map, new Map());
          map[key] = frame.map;
        }
        stack.push(frame);
      } else {
        map[key] = "";
      }
      pending = undefined;
    }
    while (stack.length > 0 && stack[stack.length - 1]!.indent > indent) stack.pop();
    // a sequence written at its key's indent ends at the next key
    if (stack.length > 1 && !isSeqItem && stack[stack.length - 1]!.seq && stack[stack.length - 1]!.indent === indent) {
      stack.pop();
    }
    if (stack.length === 0) {
      if (indent !== 0) return undefined;
      const frame: Frame = { indent };
      if (isSeqItem) {
        frame.seq = [];
        value = frame.seq;
      } else {
        frame.map = Object.create(null) as YamlMap;
        lines.set(frame.map, new Map());
        value = frame.map;
      }
      stack.push(frame);
    }
    const top = stack[stack.length - 1]!;
    if (top.indent !== indent) return undefined;
    if (top.seq) {
      if (!isSeqItem) return undefined;
      let j = i + 1;
      while (j < lineEnd && text.charCodeAt(j) === 32) j++;
      if (j === lineEnd || text.charCodeAt(j) === 35) return undefined; // nested block in a sequence
      const item = parseInlineValue(text, j, lineEnd);
      if (item === undefined) return undefined;
      top.seq.push(item);
      continue;
    }
    if (isSeqItem) return undefined;
    const map = top.map!;
    const parsedKey = readBlockKey(text, i, lineEnd);
    if (parsedKey === undefined) return undefined;
    const [key, afterColon] = parsedKey;
    if (map[key] !== undefined) return undefined; // duplicate: let `yaml` report it
    lines.get(map)!.set(key, lineNo);
    let j = afterColon;
    while (j < lineEnd && text.charCodeAt(j) === 32) j++;
    if (j === lineEnd || text.charCodeAt(j) === 35) {
      map[key] = ""; // until we see whether a block follows
      pending = { map, key, indent };
      continue;
    }
    const item = parseInlineValue(text, j, lineEnd);
    if (item === undefined) return undefined;
    map[key] = item;
  }
  if (pending) pending.map[pending.key] = "";
  return { value, keyLine: (map, key) => lines.get(map)?.get(key) };
}

function isBlankOrComment(text: string, from: number, end: number): boolean {
  let j = from;
  while (j < end && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
  return j === end || text.charCodeAt(j) === 35;
}

/** Characters that cannot start a plain scalar we are sure about. */
const INDICATORS = new Set("[]{},!&*|>'\"%@`#?:-");

/** A block mapping key and the index just after its colon. */
function readBlockKey(text: string, i: number, end: number): [string, number] | undefined {
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39) {
    const quoted = c === 34 ? readDoubleQuoted(text, i, end) : readSingleQuoted(text, i, end);
    if (!quoted || text.charCodeAt(quoted[1]) !== 58) return undefined;
    const after = quoted[1] + 1;
    if (after < end && text.charCodeAt(after) !== 32) return undefined;
    return [quoted[0], after];
  }
  if (INDICATORS.has(text[i]!) && !(c === 45 && text.charCodeAt(i + 1) !== 32 && i + 1 < end)) return undefined;
  let colon = text.indexOf(":", i);
  while (colon >= 0 && colon < end && colon + 1 < end && text.charCodeAt(colon + 1) !== 32) {
    colon = text.indexOf(":", colon + 1);
  }
  if (colon < 0 || colon >= end) return undefined;
  const key = sliceTrimmed(text, i, colon);
  if (key === "" || key.includes(" #") || key.includes("\t")) return undefined;
  return [key, colon + 1];
}

/** A value on the rest of a line: quoted, flow or plain. */
function parseInlineValue(text: string, i: number, end: number): YamlValue | undefined {
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39) {
    const quoted = c === 34 ? readDoubleQuoted(text, i, end) : readSingleQuoted(text, i, end);
    if (!quoted || !isBlankOrComment(text, quoted[1], end)) return undefined;
    return quoted[0];
  }
  if (c === 123 || c === 91) {
    const flow = readFlow(text, i, end, 0);
    if (!flow || !isBlankOrComment(text, flow[1], end)) return undefined;
    return flow[0];
  }
  if (INDICATORS.has(text[i]!) && !(c === 45 && i + 1 < end && text.charCodeAt(i + 1) !== 32)) return undefined;
  let stop = end;
  for (let j = i + 1; j < end; j++) {
    if (text.charCodeAt(j) === 35 && text.charCodeAt(j - 1) === 32) {
      stop = j - 1;
      break;
    }
  }
  const value = sliceTrimmed(text, i, stop);
  if (value.includes(": ") || value.endsWith(":") || value.includes("\t")) return undefined;
  return value;
}

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  '"': '"',
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  b: "\b",
  " ": " ",
};

function readDoubleQuoted(text: string, i: number, end: number): [string, number] | undefined {
  let out = "";
  let j = i + 1;
  let segment = j;
  while (j < end) {
    const c = text.charCodeAt(j);
    if (c === 34) return [out + text.slice(segment, j), j + 1];
    if (c === 92) {
      out += text.slice(segment, j);
      const e = text[j + 1];
      if (e === undefined || j + 1 >= end) return undefined;
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        j += 2;
      } else {
        const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
        const hex = text.slice(j + 2, j + 2 + width);
        if (width === 0 || j + 2 + width > end || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff) return undefined;
        out += String.fromCodePoint(code);
        j += 2 + width;
      }
      segment = j;
      continue;
    }
    j++;
  }
  reachedLineEnd = true;
  return undefined; // continues on the next line
}

function readSingleQuoted(text: string, i: number, end: number): [string, number] | undefined {
  let out = "";
  let j = i + 1;
  let segment = j;
  while (j < end) {
    if (text.charCodeAt(j) === 39) {
      if (text.charCodeAt(j + 1) === 39 && j + 1 < end) {
        out += text.slice(segment, j + 1);
        j += 2;
        segment = j;
        continue;
      }
      return [out + text.slice(segment, j), j + 1];
    }
    j++;
  }
  reachedLineEnd = true;
  return undefined;
}

/** `{a: b, c: [d]}` or `[a, b]` on one line. */
function readFlow(text: string, i: number, end: number, depth: number): [YamlValue, number] | undefined {
  if (depth > 20) return undefined;
  const isObject = text.charCodeAt(i) === 123;
  const close = isObject ? 125 : 93;
  const map = isObject ? (Object.create(null) as YamlMap) : undefined;
  const seq: YamlValue[] | undefined = isObject ? undefined : [];
  let j = skipSpaces(text, i + 1, end);
  if (text.charCodeAt(j) === close) return [(map ?? seq)!, j + 1];
  for (;;) {
    if (j >= end) {
      reachedLineEnd = true;
      return undefined;
    }
    let key: string | undefined;
    if (map) {
      const k = readFlowScalar(text, j, end, true);
      if (!k) return undefined;
      key = k[0];
      j = k[1];
      if (text.charCodeAt(j) !== 58) return undefined;
      j = skipSpaces(text, j + 1, end);
    }
    let item: YamlValue;
    const c = text.charCodeAt(j);
    if (c === 123 || c === 91) {
      const nested = readFlow(text, j, end, depth + 1);
      if (!nested) return undefined;
      [item, j] = nested;
    } else if (map && (c === 44 || c === close)) {
      item = "";
    } else {
      const v = readFlowScalar(text, j, end, false);
      if (!v) return undefined;
      [item, j] = v;
    }
    if (map) {
      if (map[key!] !== undefined) return undefined;
      map[key!] = item;
    } else {
      seq!.push(item);
    }
    j = skipSpaces(text, j, end);
    if (j >= end) {
      reachedLineEnd = true;
      return undefined;
    }
    const sep = text.charCodeAt(j);
    if (sep === close) return [(map ?? seq)!, j + 1];
    if (sep !== 44) return undefined;
    j = skipSpaces(text, j + 1, end);
    if (text.charCodeAt(j) === close) return [(map ?? seq)!, j + 1]; // trailing comma
  }
}

/** A scalar inside a flow collection; for a key, stops at `:` followed by a space or an indicator. */
function readFlowScalar(text: string, i: number, end: number, isKey: boolean): [string, number] | undefined {
  if (i >= end) {
    reachedLineEnd = true;
    return undefined;
  }
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39) {
    const quoted = c === 34 ? readDoubleQuoted(text, i, end) : readSingleQuoted(text, i, end);
    if (!quoted) return undefined;
    return [quoted[0], skipSpaces(text, quoted[1], end)];
  }
  if (INDICATORS.has(text[i]!) && !(c === 45 && i + 1 < end && text.charCodeAt(i + 1) !== 32)) return undefined;
  let j = i;
  while (j < end) {
    const d = text.charCodeAt(j);
    if (d === 44 || d === 91 || d === 93 || d === 123 || d === 125) break;
    if (d === 58) {
      const next = text.charCodeAt(j + 1);
      if (j + 1 >= end || next === 32 || next === 44 || next === 93 || next === 125) {
        if (!isKey) return undefined; // `a: b` inside a flow sequence: an implicit mapping
        break;
      }
    }
    if (d === 35 && text.charCodeAt(j - 1) === 32) return undefined; // comment inside flow
    j++;
  }
  const value = sliceTrimmed(text, i, j);
  if (value === "") return undefined;
  return [value, skipSpaces(text, j, end)];
}

/** text[i, end) without trailing spaces and tabs (YAML's white space; `trimEnd` would also take Unicode spaces). */
function sliceTrimmed(text: string, i: number, end: number): string {
  let j = end;
  while (j > i && (text.charCodeAt(j - 1) === 32 || text.charCodeAt(j - 1) === 9)) j--;
  return text.slice(i, j);
}

function skipSpaces(text: string, j: number, end: number): number {
  while (j < end && text.charCodeAt(j) === 32) j++;
  return j;
}
