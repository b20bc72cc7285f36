/**
 * yarn.lock, classic (yarn 1, its own format: `"a@^1.0.0", a@^1.1.0:`
 * headers and `version "1.2.3"` lines) and berry (yarn 2+, YAML with
 * `__metadata` and descriptors like `lodash@npm:^4.17.21`).
 *
 * Every entry is one resolved package; several descriptors share it. The
 * name is the real package name (an alias `foo@npm:bar@^1` counts as `bar`),
 * the version the entry's `version`.
 *
 * Skipped: berry `workspace:`, `link:` and `portal:` entries (the project's
 * own folders). A berry `patch:` entry is the package it patches, counted
 * once: when the unpatched entry is also there the patch entry only passes
 * its direct flag and reachability on to it.
 *
 * Direct and dev need the sibling package.json: its dependencies,
 * optionalDependencies, peerDependencies (production) and devDependencies
 * (dev) are resolved to entries through the descriptors (`name@range`, in
 * berry also `name@npm:range`; a range that no entry lists falls back to the
 * only entry of that name). Those entries are direct. An entry is dev when
 * the dev roots reach it through the entries' dependencies and the
 * production roots do not. Berry also records the workspaces in the
 * lockfile: a non-root workspace's dependencies are direct (and production:
 * the lockfile merges its devDependencies in), and without package.json the
 * root workspace's are too. Classic without package.json: nothing is direct
 * or dev.
 */
import { byLine, isUnderNodeModules, PackageCollector, reachable, warning } from "./common.js";
import { type Manifest, readSiblingManifest } from "./package-json.js";
import {
  baseName,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type ExtractWarning,
  type Extractor,
} from "./types.js";
import { isMap, parseLockYaml, type YamlValue } from "./yaml-fast.js";

/** Berry `__metadata.version`s: 4 (yarn 2), 5, 6 (yarn 3), 7, 8 (yarn 4), and the same layout since. */
const BERRY_VERSIONS = new Set(["4", "5", "6", "7", "8", "9", "10"]);

export const yarnLockExtractor = {
  id: "yarn-lock",
  matches(path: string): boolean {
    return baseName(path) === "yarn.lock" && !isUnderNodeModules(path);
  },
  extract(input: ExtractInput): ExtractResult {
    const warnings: ExtractWarning[] = [];
    const lock = /^"?__metadata"?:/m.test(input.content)
      ? readBerry(input, warnings)
      : readClassic(input, warnings);
    const manifest = readSiblingManifest(input, warnings);
    return { packages: resolve(lock, manifest), warnings: byLine(warnings) };
  },
} satisfies Extractor;

/** One lockfile entry. */
interface Entry {
  name: string;
  version: string;
  /** descriptors (`name@range`) of what it depends on */
  deps: string[];
  /** a package to report (not a workspace or link) */
  emit: boolean;
  /** berry workspaces: the root (`workspace:.`) or another one */
  workspace?: "root" | "member";
  /** for a patch: the descriptor of the package it patches */
  patchOf?: string;
}

interface Lock {
  berry: boolean;
  entries: Entry[];
  /** descriptor as written in the header/key → entry */
  byDescriptor: Map<string, Entry>;
  /** descriptor name (left of the range, alias name for an alias) → entries */
  byName: Map<string, Entry[]>;
}

function newLock(berry: boolean): Lock {
  return { berry, entries: [], byDescriptor: new Map(), byName: new Map() };
}

function addEntry(lock: Lock, entry: Entry, descriptors: readonly string[]): void {
  lock.entries.push(entry);
  for (const descriptor of descriptors) {
    lock.byDescriptor.set(descriptor, entry);
    const name = descriptorName(descriptor);
    if (name === undefined) continue;
    const list = lock.byName.get(name);
    if (!list) lock.byName.set(name, [entry]);
    else if (!list.includes(entry)) list.push(entry);
  }
}

/** `@scope/a@^1` → `@scope/a`; undefined when there is no range. */
function descriptorName(descriptor: string): string | undefined {
  const at = descriptor.indexOf("@", 1);
  return at > 0 ? descriptor.slice(0, at) : undefined;
}

/** The real package name of a descriptor or locator: the alias target for `foo@npm:bar@^1`. */
function realName(descriptor: string): string | undefined {
  const at = descriptor.indexOf("@", 1);
  if (at <= 0) return undefined;
  if (descriptor.startsWith("npm:", at + 1)) {
    // `npm:bar@^1` (an alias) has a name before its own range; `npm:^1.0.0` (berry) does not
    const target = descriptor.slice(at + 5);
    const targetAt = target.indexOf("@", 1);
    if (targetAt > 0) return target.slice(0, targetAt);
  }
  return descriptor.slice(0, at);
}

function lookup(lock: Lock, descriptor: string): Entry | undefined {
  const hit = lock.byDescriptor.get(descriptor);
  if (hit || !lock.berry) return hit;
  const at = descriptor.indexOf("@", 1);
  if (at <= 0) return undefined;
  // berry writes ranges as `npm:^1.0.0` in keys but sometimes bare in dependencies
  return lock.byDescriptor.get(`${descriptor.slice(0, at)}@npm:${descriptor.slice(at + 1)}`);
}

// ---------------------------------------------------------------------------
// Classic
// ---------------------------------------------------------------------------

function readClassic(input: ExtractInput, warnings: ExtractWarning[]): Lock {
  const file = input.path;
  const text = input.content;
  const lock = newLock(false);
  let current: { line: number; descriptors: string[]; version?: string; deps: string[] } | undefined;
  let inDeps = false;
  let skipping = false;
  const finish = (): void => {
    if (!current) return;
    const { line, descriptors, version } = current;
    if (version === undefined || version === "") {
      warnings.push({ file, line, message: `entry "${descriptors.join(", ")}" has no version; skipped` });
    } else {
      const name = realName(descriptors[0]!)!;
      addEntry(lock, { name, version, deps: current.deps, emit: true }, descriptors);
    }
    current = undefined;
  };
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = n;
    lineNo++;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const trimmed = line.trimStart();
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      const version = /^# yarn lockfile v(\d+)\s*$/.exec(line);
      if (version && version[1] !== "1") {
        throw new ExtractError(file, `unknown yarn lockfile version v${version[1]} (known: v1 and berry)`, lineNo);
      }
      continue;
    }
    const indent = line.length - trimmed.length;
    if (indent === 0) {
      finish();
      inDeps = false;
      if (/^(<{7}|={7}|>{7})/.test(line)) {
        throw new ExtractError(file, "unresolved merge conflict markers", lineNo);
      }
      if (!line.endsWith(":")) {
        throw new ExtractError(file, `not a yarn.lock entry header (expected "<descriptors>:")`, lineNo);
      }
      const descriptors = splitDescriptors(line.slice(0, -1));
      if (!descriptors || descriptors.length === 0 || descriptors.some((d) => descriptorName(d) === undefined)) {
        warnings.push({ file, line: lineNo, message: `entry header "${line}" is not a list of name@range; skipped` });
        skipping = true; // its fields belong to nothing
        continue;
      }
      current = { line: lineNo, descriptors, deps: [] };
      skipping = false;
      continue;
    }
    if (!current) {
      if (skipping) continue;
      throw new ExtractError(file, "an indented line outside any entry", lineNo);
    }
    if (indent === 2) {
      inDeps = false;
      const field = splitField(trimmed);
      if (!field) continue;
      const [key, value] = field;
      if (value === undefined) {
        inDeps = key === "dependencies" || key === "optionalDependencies";
      } else if (key === "version") {
        if (current.version !== undefined) {
          warnings.push({ file, line: lineNo, message: `entry "${current.descriptors[0]}" repeats its version` });
        } else {
          current.version = value;
        }
      }
    } else if (indent >= 4 && inDeps) {
      const field = splitField(trimmed);
      if (field && field[1] !== undefined) current.deps.push(`${field[0]}@${field[1]}`);
    }
  }
  finish();
  return lock;
}

/** `"a@^1", a@^2` → [`a@^1`, `a@^2`]; undefined when a quote does not close. */
function splitDescriptors(header: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = header.length;
  while (i < n) {
    while (i < n && header.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    let value: string;
    if (header.charCodeAt(i) === 34) {
      const close = closingQuote(header, i);
      if (close < 0) return undefined;
      value = unquote(header.slice(i, close + 1));
      i = close + 1;
      while (i < n && header.charCodeAt(i) === 32) i++;
    } else {
      let comma = header.indexOf(",", i);
      if (comma < 0) comma = n;
      value = header.slice(i, comma).trim();
      i = comma;
    }
    if (value === "") return undefined;
    out.push(value);
    if (i < n) {
      if (header.charCodeAt(i) !== 44) return undefined;
      i++;
    }
  }
  return out;
}

/** `key value`, `key "value"` or `key:` (value undefined) */
function splitField(text: string): [string, string | undefined] | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"')) {
    const close = closingQuote(text, 0);
    if (close < 0) return undefined;
    key = unquote(text.slice(0, close + 1));
    rest = text.slice(close + 1);
  } else {
    const space = text.indexOf(" ");
    key = space < 0 ? text : text.slice(0, space);
    rest = space < 0 ? "" : text.slice(space);
  }
  rest = rest.trim();
  if (rest === "" || rest === ":") {
    if (key.endsWith(":")) return [key.slice(0, -1), undefined];
    return rest === ":" ? [key, undefined] : undefined;
  }
  return [key, rest.startsWith('"') ? unquote(rest) : rest];
}

function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return -1;
}

function unquote(quoted: string): string {
  try {
    const value: unknown = JSON.parse(quoted);
    if (typeof value === "string") return value;
  } catch {
    // yarn quotes like JSON; fall back to stripping the quotes
  }
  return quoted.replace(/^"|"$/g, "");
}

// ---------------------------------------------------------------------------
// Berry
// ---------------------------------------------------------------------------

function readBerry(input: ExtractInput, warnings: ExtractWarning[]): Lock {
  const file = input.path;
  const yaml = parseLockYaml(file, input.content);
  const doc = yaml.value;
  if (!isMap(doc)) throw new ExtractError(file, "not a yarn lockfile (the top level is not a mapping)", 1);
  const metadata = doc.__metadata;
  const metadataLine = yaml.keyLine(doc, "__metadata");
  if (!isMap(metadata)) throw new ExtractError(file, "__metadata is not a mapping", metadataLine);
  const version = metadata.version;
  if (typeof version !== "string" || !BERRY_VERSIONS.has(version)) {
    throw new ExtractError(
      file,
      `unknown yarn lockfile version ${JSON.stringify(version ?? null)} in __metadata (known: 4 to 10)`,
      yaml.keyLine(metadata, "version") ?? metadataLine,
    );
  }
  const lock = newLock(true);
  const warn = (key: string, message: string): void => {
    warnings.push(warning(file, yaml.keyLine(doc, key), message));
  };
  for (const key in doc) {
    if (key === "__metadata") continue;
    const entry = doc[key];
    const descriptors = key
      .split(",")
      .map((d) => d.trim())
      .filter((d) => d !== "");
    if (!isMap(entry)) {
      warn(key, `entry "${key}" is not a mapping; skipped`);
      continue;
    }
    const first = descriptors[0];
    if (first === undefined || descriptors.some((d) => descriptorName(d) === undefined)) {
      warn(key, `entry "${key}" is not a list of name@range; skipped`);
      continue;
    }
    const resolution = typeof entry.resolution === "string" ? entry.resolution : first;
    const name = realName(resolution) ?? realName(first)!;
    const at = resolution.indexOf("@", 1);
    const protocol = at > 0 ? /^([a-z+-]+):/.exec(resolution.slice(at + 1))?.[1] : undefined;
    const deps = [...dependencyDescriptors(entry.dependencies), ...dependencyDescriptors(entry.optionalDependencies)];
    if (protocol === "workspace") {
      const path = resolution.slice(at + 1 + "workspace:".length);
      addEntry(lock, { name, version: "", deps, emit: false, workspace: path === "." ? "root" : "member" }, descriptors);
      continue;
    }
    if (protocol === "link" || protocol === "portal") {
      addEntry(lock, { name, version: "", deps, emit: false }, descriptors);
      continue;
    }
    const version = entry.version;
    if (typeof version !== "string" || version === "") {
      warn(key, `entry "${key}" has no version; skipped`);
      continue;
    }
    const built: Entry = { name, version, deps, emit: true };
    if (protocol === "patch" || first.includes("@patch:")) {
      const inner = patchedDescriptor(first);
      if (inner !== undefined) built.patchOf = inner;
    }
    addEntry(lock, built, descriptors);
  }
  return lock;
}

function dependencyDescriptors(deps: YamlValue | undefined): string[] {
  if (!isMap(deps)) return [];
  const out: string[] = [];
  for (const name in deps) {
    const range = deps[name];
    if (typeof range === "string") out.push(`${name}@${range}`);
  }
  return out;
}

/** `a@patch:a@npm%3A^1.0.0#./x.patch` → `a@npm:^1.0.0` */
function patchedDescriptor(descriptor: string): string | undefined {
  const start = descriptor.indexOf("@patch:");
  if (start < 0) return undefined;
  let inner = descriptor.slice(start + "@patch:".length);
  const hash = inner.indexOf("#");
  if (hash >= 0) inner = inner.slice(0, hash);
  try {
    return decodeURIComponent(inner);
  } catch {
    return inner;
  }
}

// ---------------------------------------------------------------------------
// Direct, dev and the package list
// ---------------------------------------------------------------------------

function resolve(lock: Lock, manifest: Manifest | undefined): ReturnType<PackageCollector["list"]> {
  const prodRoots: Entry[] = [];
  const devRoots: Entry[] = [];
  const rootOf = (name: string, range: string): Entry | undefined => {
    const hit = lookup(lock, `${name}@${range}`);
    if (hit) return hit;
    const byName = lock.byName.get(name);
    return byName?.length === 1 ? byName[0] : undefined;
  };
  if (manifest) {
    const prodNames = new Set<string>();
    for (const group of [manifest.dependencies, manifest.optionalDependencies, manifest.peerDependencies]) {
      for (const name in group) {
        prodNames.add(name);
        const hit = rootOf(name, group[name]!);
        if (hit) prodRoots.push(hit);
      }
    }
    for (const name in manifest.devDependencies) {
      const hit = rootOf(name, manifest.devDependencies[name]!);
      if (hit) (prodNames.has(name) ? prodRoots : devRoots).push(hit);
    }
  }
  for (const entry of lock.entries) {
    if (entry.workspace === "member" || (entry.workspace === "root" && !manifest)) {
      for (const descriptor of entry.deps) {
        const hit = lookup(lock, descriptor);
        if (hit) prodRoots.push(hit);
      }
    }
  }

  const patchBase = new Map<Entry, Entry>();
  for (const entry of lock.entries) {
    if (entry.patchOf === undefined) continue;
    const base = lookup(lock, entry.patchOf);
    if (base && base !== entry && base.emit) patchBase.set(entry, base);
  }
  const reach = (roots: readonly Entry[]): Set<Entry> =>
    reachable(roots, function* (entry) {
      const base = patchBase.get(entry);
      if (base) yield base;
      for (const descriptor of entry.deps) {
        const child = lookup(lock, descriptor);
        if (child) yield child;
      }
    });
  const prod = reach(prodRoots);
  const dev = manifest ? reach(devRoots) : new Set<Entry>();
  const direct = new Set<Entry>();
  for (const entry of [...prodRoots, ...devRoots]) direct.add(patchBase.get(entry) ?? entry);

  const collector = new PackageCollector("npm");
  for (const entry of lock.entries) {
    if (!entry.emit || patchBase.has(entry)) continue;
    collector.add(entry.name, entry.version, direct.has(entry), !prod.has(entry) && dev.has(entry));
  }
  return collector.list();
}
