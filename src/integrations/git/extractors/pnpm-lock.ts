/**
 * pnpm-lock.yaml, lockfileVersion 5.x, 6.x and 9.x (and the short-lived 7.0,
 * which has the 9 layout).
 *
 * - Importers (`importers`, or in a single-project 5.x/6.x file the top-level
 *   `dependencies`/`devDependencies`/`optionalDependencies`) say what the
 *   project declares: those packages are direct. Every importer counts: the
 *   workspace packages of a monorepo are the project's own code.
 * - `packages` (and in 9.x `snapshots`, one per peer-dependency variant) list
 *   everything installed. Keys: `/lodash/4.17.21`, `/foo/1.0.0_react@18.0.0`
 *   (5.x), `/lodash@4.17.21`, `/foo@1.0.0(react@18.0.0)` (6.x),
 *   `lodash@4.17.21`, `foo@1.0.0(react@18.0.0)` (9.x); the peer suffix is
 *   stripped. An entry's own `name`/`version` fields (non-registry packages)
 *   win over the key.
 * - Dev: 5.x/6.x carry pnpm's `dev: true` (dev only); 9.x has no flag, so a
 *   snapshot is dev when the importers' devDependencies reach it and their
 *   dependencies/optionalDependencies do not.
 * - Local directories (`resolution: {directory: ...}`, `link:` references)
 *   are the project's own code: skipped.
 * - A file of several YAML documents (pnpm 11+ writes an "env" document with
 *   pnpm itself and config dependencies first): the last document is the
 *   project's dependency graph, and the only one read.
 *
 * YAML: the `yaml` package takes about 25 ms on a 300-package lockfile, so
 * `parseLockYaml` below reads the block-style subset that pnpm and yarn write
 * (about 1 ms) and hands anything else (anchors, block scalars, multi-line
 * flow, odd indentation, duplicate keys) to `yaml`, which also words the
 * errors. Both give strings for every scalar (YAML's failsafe schema).
 */
import { isAlias, isMap as isYamlMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import { byLine, isUnderNodeModules, PackageCollector } from "./package-lock.js";
import {
  baseName,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type ExtractWarning,
  type Extractor,
} from "./types.js";

type Format = "v5" | "v6" | "v9";

interface PackageId {
  name: string;
  version: string;
}

export const pnpmLockExtractor = {
  id: "pnpm-lock",
  matches(path: string): boolean {
    return baseName(path) === "pnpm-lock.yaml" && !isUnderNodeModules(path);
  },
  extract(input: ExtractInput): ExtractResult {
    const file = input.path;
    const yaml = parseLockYaml(file, input.content);
    const doc = yaml.value;
    if (!isMap(doc)) {
      throw new ExtractError(file, "not a pnpm lockfile (the top level is not a mapping)", 1);
    }
    const format = formatOf(file, doc, yaml);
    const warnings: ExtractWarning[] = [];
    const warn = (map: YamlMap, key: string, message: string): void => {
      const line = yaml.keyLine(map, key);
      warnings.push(line === undefined ? { file, message } : { file, line, message });
    };
    const packages = section(file, doc, "packages", yaml);
    const snapshots = format === "v9" ? section(file, doc, "snapshots", yaml) : undefined;

    /** name and version of a package key, the entry's own fields winning */
    const idOf = (key: string, entry: YamlMap | undefined): PackageId | undefined => {
      const parsed = parseKey(format, key);
      const name = entry && typeof entry.name === "string" && entry.name !== "" ? entry.name : parsed?.name;
      const version =
        entry && typeof entry.version === "string" && entry.version !== "" ? entry.version : parsed?.version;
      return name && version ? { name, version } : undefined;
    };
    const packageEntry = (key: string): YamlMap | undefined => {
      const entry = packages[key] ?? packages[stripPeers(format, key)];
      return isMap(entry) ? entry : undefined;
    };

    // What the importers declare: direct packages, and the roots of the dev walk
    const prodRoots: string[] = [];
    const devRoots: string[] = [];
    const direct = new Set<string>();
    const importers = isMap(doc.importers) ? doc.importers : undefined;
    const importerList: Array<[YamlMap, string]> = [];
    if (importers) {
      for (const path in importers) {
        const importer = importers[path];
        if (isMap(importer)) importerList.push([importer, path]);
        else warn(importers, path, `importer "${path}" is not a mapping; skipped`);
      }
    } else {
      importerList.push([doc, "."]);
    }
    for (const [importer, path] of importerList) {
      for (const group of ["dependencies", "optionalDependencies", "devDependencies"] as const) {
        const deps = importer[group];
        if (deps === undefined || deps === "") continue;
        if (!isMap(deps)) {
          warn(importer, group, `importer "${path}": ${group} is not a mapping; skipped`);
          continue;
        }
        for (const name in deps) {
          const spec = deps[name];
          const ref = typeof spec === "string" ? spec : isMap(spec) ? spec.version : undefined;
          if (typeof ref !== "string" || ref === "") {
            warn(deps, name, `importer "${path}": ${group} "${name}" has no version; skipped`);
            continue;
          }
          const key = refToKey(format, name, ref);
          if (key === undefined) continue; // link: a workspace package
          (group === "devDependencies" ? devRoots : prodRoots).push(key);
          const id = idOf(key, packageEntry(key));
          if (id) direct.add(`${id.name}\u0000${id.version}`);
        }
      }
    }

    const collector = new PackageCollector();
    const isDirect = (id: PackageId): boolean => direct.has(`${id.name}\u0000${id.version}`);

    if (snapshots) {
      // 9.x: dev from reachability over the snapshots
      const prod = reach(prodRoots, snapshots);
      const dev = reach(devRoots, snapshots);
      const seen = new Set<string>();
      for (const key in snapshots) {
        const snapshot = snapshots[key];
        if (!isMap(snapshot) && snapshot !== "") {
          warn(snapshots, key, `snapshot "${key}" is not a mapping; skipped`);
          continue;
        }
        const base = stripPeers(format, key);
        const entry = packageEntry(base);
        if (entry && isLocalDirectory(entry)) continue;
        const id = idOf(base, entry);
        if (!id) {
          warn(snapshots, key, `snapshot "${key}" does not say which package and version it is; skipped`);
          continue;
        }
        seen.add(base);
        collector.add(id.name, id.version, isDirect(id), !prod.has(key) && dev.has(key));
      }
      for (const key in packages) {
        if (seen.has(key)) continue;
        const entry = packages[key];
        if (!isMap(entry)) {
          warn(packages, key, `package "${key}" is not a mapping; skipped`);
          continue;
        }
        if (isLocalDirectory(entry)) continue;
        const id = idOf(key, entry);
        if (!id) {
          warn(packages, key, `package "${key}" does not say which package and version it is; skipped`);
          continue;
        }
        collector.add(id.name, id.version, isDirect(id), false);
      }
    } else {
      // 5.x/6.x: pnpm's own dev flag
      for (const key in packages) {
        const entry = packages[key];
        if (!isMap(entry)) {
          warn(packages, key, `package "${key}" is not a mapping; skipped`);
          continue;
        }
        if (isLocalDirectory(entry)) continue;
        const id = idOf(key, entry);
        if (!id) {
          warn(packages, key, `package "${key}" does not say which package and version it is; skipped`);
          continue;
        }
        collector.add(id.name, id.version, isDirect(id), entry.dev === "true");
      }
    }
    return { packages: collector.list(), warnings: byLine(warnings) };
  },
} satisfies Extractor;

function formatOf(file: string, doc: YamlMap, yaml: ParsedYaml): Format {
  const raw = doc.lockfileVersion;
  const line = yaml.keyLine(doc, "lockfileVersion");
  if (typeof raw !== "string" || raw === "") {
    throw new ExtractError(file, "no lockfileVersion: not a pnpm lockfile", line ?? 1);
  }
  const match = /^(\d+)(?:\.\d+)?(-inlineSpecifiers)?$/.exec(raw);
  const major = match ? Number(match[1]) : Number.NaN;
  if (major === 5) return "v5";
  if (major === 6 && !match?.[2]) return "v6";
  if ((major === 7 || major === 9) && !match?.[2]) return "v9";
  throw new ExtractError(file, `unknown lockfileVersion ${JSON.stringify(raw)} (known: 5.x, 6.x, 9.x)`, line);
}

/** A top-level mapping such as `packages`; absent or empty is an empty map, another type a broken file. */
function section(file: string, doc: YamlMap, key: string, yaml: ParsedYaml): YamlMap {
  const value = doc[key];
  if (value === undefined || value === "") return Object.create(null) as YamlMap;
  if (!isMap(value)) throw new ExtractError(file, `"${key}" is not a mapping`, yaml.keyLine(doc, key));
  return value;
}

function isLocalDirectory(entry: YamlMap): boolean {
  const resolution = entry.resolution;
  return isMap(resolution) && (resolution.directory !== undefined || resolution.type === "directory");
}

/** The `packages`/`snapshots` key a dependency reference points at, or undefined for `link:`. */
function refToKey(format: Format, name: string, ref: string): string | undefined {
  if (ref.startsWith("link:")) return undefined;
  if (format === "v5") {
    const us = ref.indexOf("_");
    const base = us < 0 ? ref : ref.slice(0, us);
    // `/bar/1.0.0` (an alias) or `github.com/o/r/sha`: already a key
    return base.includes("/") || base.includes(":") ? ref : `/${name}/${ref}`;
  }
  const paren = ref.indexOf("(");
  const base = paren < 0 ? ref : ref.slice(0, paren);
  if (format === "v6") return base.includes("/") || base.includes(":") ? ref : `/${name}@${ref}`;
  // v9: `bar@1.0.0` is an alias (already a key); otherwise name@ref
  const at = base.indexOf("@", 1);
  if (at > 0 && !base.slice(0, at).includes(":")) return ref;
  return `${name}@${ref}`;
}

function stripPeers(format: Format, key: string): string {
  if (format === "v5") return key; // 5.x packages keys keep the `_peer` suffix
  const paren = key.indexOf("(");
  return paren < 0 ? key : key.slice(0, paren);
}

/** Name and version from a key alone (registry packages). */
function parseKey(format: Format, key: string): PackageId | undefined {
  if (format === "v5") {
    if (!key.startsWith("/")) return undefined;
    const rest = key.slice(1);
    const slash = rest.startsWith("@") ? rest.indexOf("/", rest.indexOf("/") + 1) : rest.indexOf("/");
    if (slash <= 0) return undefined;
    let version = rest.slice(slash + 1);
    const us = version.indexOf("_");
    if (us >= 0) version = version.slice(0, us);
    if (version === "" || version.includes("/")) return undefined;
    return { name: rest.slice(0, slash), version };
  }
  let rest = stripPeers(format, key);
  if (format === "v6") {
    if (!rest.startsWith("/")) return undefined;
    rest = rest.slice(1);
  }
  const at = rest.indexOf("@", 1);
  if (at <= 0 || at === rest.length - 1) return undefined;
  return { name: rest.slice(0, at), version: rest.slice(at + 1) };
}

/** Snapshot keys reachable from `roots` through dependencies and optionalDependencies (9.x). */
function reach(roots: readonly string[], snapshots: YamlMap): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const key = queue.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const snapshot = snapshots[key];
    if (!isMap(snapshot)) continue;
    for (const group of ["dependencies", "optionalDependencies"]) {
      const deps = snapshot[group];
      if (!isMap(deps)) continue;
      for (const name in deps) {
        const ref = deps[name];
        if (typeof ref !== "string") continue;
        const child = refToKey("v9", name, ref);
        if (child !== undefined && !seen.has(child)) queue.push(child);
      }
    }
  }
  return seen;
}

// ---------------------------------------------------------------------------
// YAML, shared with the yarn berry reader
// ---------------------------------------------------------------------------

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
