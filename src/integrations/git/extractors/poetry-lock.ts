/**
 * poetry.lock: every `[[package]]` with its name (normalised per PEP 503) and
 * locked version. Lock versions 1.x and 2.x are read; another major version
 * is refused. Local path packages (`source.type = "directory"`, the project's
 * own code) are skipped; git and URL sources are kept.
 *
 * Direct: from the sibling pyproject.toml when it declares dependencies
 * (`[tool.poetry.dependencies]` without `python`, `[tool.poetry.group.*.dependencies]`,
 * `[tool.poetry.dev-dependencies]`, PEP 621 `[project] dependencies` and
 * `optional-dependencies`, PEP 735 `[dependency-groups]`). Without one, the
 * roots of the lock's own dependency graph (packages no other locked package
 * needs) are direct: they are there only because the project asked for them.
 *
 * Development: `groups` (Poetry 2: dev when `main` is not among them), else
 * the legacy `category = "dev"`; lock 2.0 files (Poetry 1.5 to 1.8) have
 * neither, so a package is dev when the lock's graph reaches it only from the
 * pyproject's non-main groups. Unknown (no pyproject) means not dev.
 */

import { z } from "zod";
import { normalizePythonName } from "./requirements.js";
import { matchesBaseName, PackageCollector, reachable, readSiblingToml, readTomlFile } from "./common.js";
import { asTable as table, isTable, parseToml, type TomlTable, type TomlValue, tomlText } from "./toml.js";
import {
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

const matches = matchesBaseName("poetry.lock");

const normalize = normalizePythonName;

/** A `[[package]]` as the extractor uses it: a name and a version; groups, category, dependencies and source when they are usable. */
const LockedPackage = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  groups: z.array(z.unknown()).optional().catch(undefined),
  category: z.string().optional().catch(undefined),
  dependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
  source: z.object({ type: z.unknown() }).optional().catch(undefined),
});

/** The name at the start of a PEP 508 requirement string. */
function requirementName(spec: string): string | undefined {
  const m = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(spec);
  return m ? normalize(m[1]!) : undefined;
}

interface Locked {
  name: string;
  version: string;
  dependencies: string[];
  /** from `groups` or `category`; undefined when the lock does not say */
  dev: boolean | undefined;
  /** a local path package: the project's own code, in the graph but not reported */
  local: boolean;
}

interface Manifest {
  main: Set<string>;
  dev: Set<string>;
}

/** The dependencies a pyproject.toml declares, or undefined when it declares none. */
export function readPyproject(doc: TomlTable): Manifest | undefined {
  const main = new Set<string>();
  const dev = new Set<string>();
  let declares = false;
  const addKeys = (deps: TomlValue | undefined, into: Set<string>) => {
    const t = table(deps);
    if (!t) return;
    declares = true;
    for (const k of Object.keys(t)) if (k.toLowerCase() !== "python") into.add(normalize(k));
  };
  const addSpecs = (specs: TomlValue | undefined, into: Set<string>) => {
    if (!Array.isArray(specs)) return;
    declares = true;
    for (const s of specs) {
      const name = typeof s === "string" ? requirementName(s) : undefined;
      if (name) into.add(name);
    }
  };
  const poetry = table(table(doc.tool)?.poetry);
  if (poetry) {
    addKeys(poetry.dependencies, main);
    addKeys(poetry["dev-dependencies"], dev);
    const groups = table(poetry.group);
    if (groups) {
      for (const [group, body] of Object.entries(groups)) addKeys(table(body)?.dependencies, group === "main" ? main : dev);
    }
  }
  const project = table(doc.project);
  if (project) {
    addSpecs(project.dependencies, main);
    const optional = table(project["optional-dependencies"]);
    if (optional) for (const specs of Object.values(optional)) addSpecs(specs, main);
  }
  const groups = table(doc["dependency-groups"]);
  if (groups) for (const specs of Object.values(groups)) addSpecs(specs, dev);
  return declares ? { main, dev } : undefined;
}

function extract(input: ExtractInput): ExtractResult {
  const { path } = input;
  const { root: doc, line: tomlLine } = readTomlFile(path, input.content);
  const metadata = table(doc.metadata);
  const lockVersion = metadata?.["lock-version"];
  if (lockVersion !== undefined && !/^[12](?:\.\d+)*$/.test(String(lockVersion))) {
    throw new ExtractError(path, `unknown poetry.lock lock-version ${tomlText(lockVersion)}`, metadata && tomlLine(metadata));
  }
  const entries = doc.package;
  // empty, or comments only: a lockfile with no packages
  if (Object.keys(doc).length === 0) return { packages: [], warnings: [] };
  if (entries === undefined && !metadata) throw new ExtractError(path, "not a poetry.lock: no [[package]] and no [metadata]");
  if (entries !== undefined && !Array.isArray(entries)) throw new ExtractError(path, "not a poetry.lock: package is not an array of tables");

  const warnings: ExtractWarning[] = [];
  const locked: Locked[] = [];
  for (const entry of entries ?? []) {
    if (!isTable(entry)) continue;
    const parsed = LockedPackage.safeParse(entry);
    if (!parsed.success) {
      const { name, version } = entry;
      let message = "package without a name: skipped";
      if (typeof name === "string" && name !== "") {
        const why = version === undefined || version === "" ? "no version" : `version ${tomlText(version)} is not a string`;
        message = `${name}: ${why}: skipped`;
      }
      warnings.push({ file: path, line: tomlLine(entry), message });
      continue;
    }
    const { name, version, groups, category, dependencies = {}, source } = parsed.data;
    locked.push({
      name: normalize(name),
      version,
      dependencies: Object.keys(dependencies).map(normalize),
      dev: groups ? !groups.includes("main") : category === undefined ? undefined : category === "dev",
      local: source?.type === "directory",
    });
  }

  const manifest = readSiblingToml(input, "pyproject.toml", warnings, "direct dependencies from the lock's roots", (text) =>
    readPyproject(parseToml(text)),
  );

  // The lock's dependency graph, by name.
  const needs = new Map<string, string[]>();
  for (const p of locked) needs.set(p.name, [...(needs.get(p.name) ?? []), ...p.dependencies]);
  const reach = (roots: Iterable<string>): Set<string> => reachable(roots, (n) => needs.get(n) ?? []);
  let isDirect: (name: string) => boolean;
  if (manifest) {
    const { main, dev } = manifest;
    isDirect = (name) => main.has(name) || dev.has(name);
  } else {
    // Needed by another locked package (a local one is the project: what it needs is direct).
    const needed = new Set<string>();
    for (const p of locked) if (!p.local) for (const d of p.dependencies) if (d !== p.name) needed.add(d);
    isDirect = (name) => !needed.has(name);
  }
  let fromMain: Set<string> | undefined;
  let fromDev: Set<string> | undefined;
  if (manifest && locked.some((p) => p.dev === undefined)) {
    fromMain = reach(manifest.main);
    fromDev = reach(manifest.dev);
  }

  const collector = new PackageCollector("pypi");
  for (const p of locked) {
    if (p.local) continue;
    const dev = p.dev ?? (fromMain !== undefined && fromDev !== undefined && !fromMain.has(p.name) && fromDev.has(p.name));
    collector.add(p.name, p.version, isDirect(p.name), dev);
  }
  return { packages: collector.list(), warnings };
}

export const poetryLockExtractor: Extractor = { id: "poetry-lock", matches, extract };
