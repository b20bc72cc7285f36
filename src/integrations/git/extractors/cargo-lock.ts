/**
 * Cargo.lock (formats 1 to 4): every `[[package]]` that comes from a source
 * (crates.io, another registry, git). Packages without a `source` are the
 * workspace's own crates (or path dependencies): they are not reported, but
 * their `dependencies` lists say exactly which locked packages the project
 * declares, version included, so those are direct.
 *
 * The sibling Cargo.toml adds what the lock cannot say: names in its
 * `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` (also under
 * `[target.'cfg(...)'.*]`, renames via `package = "..."` resolved) are direct
 * too, and when it is a package (not only a `[workspace]`), a locked package
 * reached only through its dev-dependencies is a devDependency. Build
 * dependencies are needed to build: not dev. The dependencies of other
 * workspace members count as needed (their manifests are not read here).
 */

import { z } from "zod";
import { lineAt, matchesBaseName, PackageCollector, reachable, readSiblingToml, readTomlFile } from "./common.js";
import { asTable as table, isTable, parseToml, type TomlTable, type TomlValue, tomlText } from "./toml.js";
import {
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

const matches = matchesBaseName("Cargo.lock");

const KNOWN_FORMATS = new Set([1, 2, 3, 4]);

/** A `[[package]]` as the extractor uses it: a name and a version, a source and dependency references when they are there. */
const LockedPackage = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  source: z.string().optional().catch(undefined),
  dependencies: z.array(z.unknown()).optional().catch(undefined),
});

interface Node {
  name: string;
  version: string;
  /** undefined: a workspace member or a path dependency */
  source: string | undefined;
  /** `name`, `name version` or `name version (source)` */
  refs: string[];
  /** its `[[package]]` table, for the line of a warning */
  entry: TomlTable;
}

interface Manifest {
  /** `[package] name`, when the manifest is a package */
  packageName: string | undefined;
  /** needed to run or build */
  normal: Set<string>;
  /** only in dev-dependencies tables */
  dev: Set<string>;
}

/** What a Cargo.toml declares (crate names, renames resolved). */
export function readCargoToml(doc: TomlTable): Manifest {
  const normal = new Set<string>();
  const devOnly = new Set<string>();
  const add = (deps: TomlValue | undefined, into: Set<string>) => {
    const t = table(deps);
    if (!t) return;
    for (const [key, spec] of Object.entries(t)) {
      const renamed = table(spec)?.package;
      into.add(typeof renamed === "string" ? renamed : key);
    }
  };
  const tables = [doc, ...Object.values(table(doc.target) ?? {}).flatMap((t) => (isTable(t) ? [t] : []))];
  for (const t of tables) {
    add(t.dependencies, normal);
    add(t["build-dependencies"], normal);
    add(t.build_dependencies, normal);
    add(t["dev-dependencies"], devOnly);
    add(t.dev_dependencies, devOnly);
  }
  for (const n of normal) devOnly.delete(n);
  const name = table(doc.package)?.name;
  return { packageName: typeof name === "string" ? name : undefined, normal, dev: devOnly };
}

/** What a Cargo.lock with no packages can still hold (cargo's EncodableResolve: every field optional). */
const CARGO_KEYS_WITHOUT_PACKAGES: ReadonlySet<string> = new Set(["version", "metadata", "patch"]);

function extract(input: ExtractInput): ExtractResult {
  const { path, content } = input;
  const { root: doc, line: tomlLine } = readTomlFile(path, content);
  const format = doc.version;
  if (format !== undefined && !(typeof format === "number" && KNOWN_FORMATS.has(format))) {
    const at = /^version\s*=/m.exec(content);
    const line = at ? lineAt(content, at.index) : undefined;
    throw new ExtractError(path, `unknown Cargo.lock version ${tomlText(format)}`, line);
  }
  const entries = doc.package;
  if (entries === undefined && Object.keys(doc).every((key) => CARGO_KEYS_WITHOUT_PACKAGES.has(key))) {
    // empty, comments only, or `version = 3` only: cargo reads a lockfile with no packages
    return { packages: [], warnings: [] };
  }
  if (!Array.isArray(entries)) throw new ExtractError(path, "not a Cargo.lock: no [[package]]");

  const warnings: ExtractWarning[] = [];
  const nodes: Node[] = [];
  for (const entry of entries) {
    if (!isTable(entry)) continue;
    const parsed = LockedPackage.safeParse(entry);
    if (!parsed.success) {
      const { name } = entry;
      const message = typeof name !== "string" || name === "" ? "package without a name: skipped" : `${name}: no version: skipped`;
      warnings.push({ file: path, line: tomlLine(entry), message });
      continue;
    }
    const { name, version, source, dependencies = [] } = parsed.data;
    const refs: string[] = [];
    for (const d of dependencies) {
      if (typeof d === "string") refs.push(d);
      else warnings.push({ file: path, line: tomlLine(entry), message: `${name}: a dependency that is not a string: ignored` });
    }
    nodes.push({ name, version, source, refs, entry });
  }

  // Resolve `name`, `name version`, `name version (source)` to locked nodes.
  const byName = new Map<string, number[]>();
  for (const [i, n] of nodes.entries()) {
    const list = byName.get(n.name);
    if (list) list.push(i);
    else byName.set(n.name, [i]);
  }
  const edges: number[][] = nodes.map((n) => {
    const out: number[] = [];
    for (const ref of n.refs) {
      const [depName, depVersion] = ref.split(" ");
      const candidates = byName.get(depName!) ?? [];
      const found = depVersion === undefined ? candidates : candidates.filter((i) => nodes[i]!.version === depVersion);
      if (found.length === 0) warnings.push({ file: path, line: tomlLine(n.entry), message: `${n.name}: dependency ${JSON.stringify(ref)} is not in the lock` });
      out.push(...found);
    }
    return out;
  });

  const manifest = readSiblingToml(input, "Cargo.toml", warnings, "direct and dev dependencies from the lock only", (text) =>
    readCargoToml(parseToml(text)),
  );

  // Direct: needed by a local crate, or named in the manifest.
  const direct = new Set<number>();
  const normalRoots: number[] = [];
  const devRoots: number[] = [];
  const rootCrate = manifest?.packageName;
  nodes.forEach((n, i) => {
    if (n.source !== undefined) return;
    for (const d of edges[i]!) {
      direct.add(d);
      if (n.name === rootCrate && manifest!.dev.has(nodes[d]!.name)) devRoots.push(d);
      else normalRoots.push(d);
    }
  });
  const reach = (roots: number[]): Set<number> => reachable(roots, (i) => edges[i]!);
  // Dev: reached from the root crate's dev-dependencies and from nothing else.
  const needed = devRoots.length > 0 ? reach(normalRoots) : undefined;
  const forDev = needed ? reach(devRoots) : undefined;

  const collector = new PackageCollector("cargo");
  nodes.forEach((n, i) => {
    if (n.source === undefined) return;
    collector.add(
      n.name,
      n.version,
      direct.has(i) || manifest?.normal.has(n.name) === true || manifest?.dev.has(n.name) === true,
      forDev?.has(i) === true && !needed!.has(i),
    );
  });
  return { packages: collector.list(), warnings };
}

export const cargoLockExtractor: Extractor = { id: "cargo-lock", matches, extract };
