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
 *   win over the key. As pnpm's own `dependency-path` parse() reads 5.x and
 *   6.x keys: a key that does not start with `/` begins with the registry
 *   host (`registry.npmjs.org/foo/1.1.0`, `example.com/foo/1.3.0_bar@2.0.0`,
 *   written for a package from a registry other than the default one), and
 *   the version in a key must be a semver version (`/foo/bar` names no
 *   package). An entry with no body (`/foo/1.0.0:` and nothing under it) is
 *   read from its key.
 * - Dev: 5.x/6.x carry pnpm's `dev: true` (dev only); 9.x has no flag, so a
 *   snapshot is dev when the importers' devDependencies reach it and their
 *   dependencies/optionalDependencies do not.
 * - Local directories (`resolution: {directory: ...}`, `link:` references)
 *   are the project's own code: skipped.
 * - A file of several YAML documents (pnpm 11+ writes an "env" document with
 *   pnpm itself and config dependencies first): the last document is the
 *   project's dependency graph, and the only one read.
 *
 * YAML: read with `parseLockYaml` (yaml-fast.ts), which is fast on what
 * pnpm writes; every scalar is a string.
 */
import { byLine, isUnderNodeModules, PackageCollector, warning } from "./common.js";
import {
  baseName,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type ExtractWarning,
  type Extractor,
} from "./types.js";
import { isMap, type ParsedYaml, parseLockYaml, type YamlMap, type YamlValue } from "./yaml-fast.js";

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
    // empty, or comments only: pnpm reads it as a lockfile with nothing in it
    if (doc === undefined || doc === "") return { packages: [], warnings: [] };
    if (!isMap(doc)) {
      throw new ExtractError(file, "not a pnpm lockfile (the top level is not a mapping)", 1);
    }
    const format = formatOf(file, doc, yaml);
    const warnings: ExtractWarning[] = [];
    const warn = (map: YamlMap, key: string, message: string): void => {
      warnings.push(warning(file, yaml.keyLine(map, key), message));
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
    /** an entry's body: a mapping, or an empty one when the key has no body (`/foo/1.0.0:`) */
    const bodyOf = (entry: YamlValue | undefined): YamlMap | undefined =>
      isMap(entry) ? entry : isNoBody(entry) ? (Object.create(null) as YamlMap) : undefined;

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

    const collector = new PackageCollector("npm");
    const isDirect = (id: PackageId): boolean => direct.has(`${id.name}\u0000${id.version}`);

    if (snapshots) {
      // 9.x: dev from reachability over the snapshots
      const prod = reach(prodRoots, snapshots);
      const dev = reach(devRoots, snapshots);
      const seen = new Set<string>();
      for (const key in snapshots) {
        const snapshot = snapshots[key];
        if (!isMap(snapshot) && !isNoBody(snapshot)) {
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
        const entry = bodyOf(packages[key]);
        if (!entry) {
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
        const entry = bodyOf(packages[key]);
        if (!entry) {
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
  if (format === "v5" || format === "v6") {
    // `/foo/1.0.0`, or with the registry host first: `registry.npmjs.org/foo/1.0.0`
    const slash = key.indexOf("/");
    if (slash < 0) return undefined;
    const rest = key.slice(slash + 1);
    if (format === "v5") {
      const end = rest.startsWith("@") ? rest.indexOf("/", rest.indexOf("/") + 1) : rest.indexOf("/");
      if (end <= 0) return undefined;
      let version = rest.slice(end + 1);
      const us = version.indexOf("_");
      if (us >= 0) version = version.slice(0, us);
      return isSemver(version) ? { name: rest.slice(0, end), version } : undefined;
    }
    const bare = stripPeers(format, rest);
    const at = bare.indexOf("@", 1);
    if (at <= 0) return undefined;
    const version = bare.slice(at + 1);
    return isSemver(version) ? { name: bare.slice(0, at), version } : undefined;
  }
  // 9.x: pnpm reads a version that is not semver too (a tarball URL); the entry's own version wins then
  const rest = stripPeers(format, key);
  const at = rest.indexOf("@", 1);
  if (at <= 0 || at === rest.length - 1) return undefined;
  return { name: rest.slice(0, at), version: rest.slice(at + 1) };
}

/** SemVer 2.0.0, with the leading `v` node-semver's valid() accepts. */
const SEMVER =
  /^v?(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function isSemver(version: string): boolean {
  return SEMVER.test(version);
}

/** A key with nothing under it (`/foo/1.0.0:`, `~`, `null`): YAML's null. */
function isNoBody(value: unknown): boolean {
  return value === "" || value === "~" || value === "null";
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
