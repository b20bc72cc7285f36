/**
 * package-lock.json and npm-shrinkwrap.json (lockfileVersion 1, 2 and 3).
 *
 * - v1 has a nested `dependencies` tree keyed by package name.
 * - v2 has both; we read its `packages` map (keyed by `node_modules/...`
 *   install paths), which is the complete one. v3 has only `packages`.
 *
 * Direct: the package the root (or a workspace folder of the same lockfile)
 * declares in dependencies, devDependencies, optionalDependencies or
 * peerDependencies, resolved the way Node does from the declaring folder
 * (`<folder>/node_modules/<name>`, then the parents). v1 has no declarations
 * of its own: the sibling package.json gives them, and without one every
 * top-level entry counts as direct.
 *
 * Dev: npm's own `dev: true` flag, which it computes over the whole graph. A
 * package that a root devDependency names but that a production dependency
 * also needs carries no flag: it is installed in production, so it is not
 * "only needed for development". `devOptional` (dev for one path, optional
 * for a production path) is likewise installed in production: not dev.
 *
 * Links (`link: true`, workspace folders, v1 `file:` versions) are the
 * project's own code, not packages: skipped.
 *
 * A package-lock.json with an npm-shrinkwrap.json beside it is not read (a
 * notice says so): npm installs from the shrinkwrap and ignores the
 * package-lock ("If both package-lock.json and npm-shrinkwrap.json are present
 * in a package root, npm-shrinkwrap.json will be preferred", npm's
 * npm-shrinkwrap.json documentation).
 */
import { byLine, isBlank, isRecord, isUnderNodeModules, PackageCollector, warning } from "./common.js";
import { jsonKeyLine, parseJson } from "./json-lines.js";
import { declaredNames, readSiblingManifest } from "./package-json.js";
import {
  baseName,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type ExtractWarning,
  type Extractor,
} from "./types.js";

export const PACKAGE_LOCK = "package-lock.json";
export const SHRINKWRAP = "npm-shrinkwrap.json";
const FILE_NAMES = new Set([PACKAGE_LOCK, SHRINKWRAP]);

/** Whether npm ignores this file: a package-lock.json with an npm-shrinkwrap.json in the same folder. */
export function supersededByShrinkwrap(path: string, hasSibling: (name: string) => boolean): boolean {
  return baseName(path) === PACKAGE_LOCK && hasSibling(SHRINKWRAP);
}

export const packageLockExtractor = {
  id: "package-lock",
  matches(path: string): boolean {
    return FILE_NAMES.has(baseName(path)) && !isUnderNodeModules(path);
  },
  extract(input: ExtractInput): ExtractResult {
    const file = input.path;
    if (supersededByShrinkwrap(file, (name) => input.readSibling(name) !== undefined)) {
      const message = `not read: npm installs from the ${SHRINKWRAP} beside it and ignores ${PACKAGE_LOCK}`;
      return { packages: [], warnings: [{ file, message, notice: true }] };
    }
    // an empty file: npm reads no packages from it
    if (isBlank(input.content)) return { packages: [], warnings: [] };
    const data = parseJson(file, input.content);
    if (!isRecord(data)) {
      throw new ExtractError(file, "not a package-lock object (the top level is not a JSON object)", 1);
    }
    const warnings: ExtractWarning[] = [];
    const collector = new PackageCollector("npm");
    const version = data.lockfileVersion;
    const where = (path: readonly string[]): number | undefined => jsonKeyLine(input.content, path);
    if (version === 2 || version === 3) {
      if (!isRecord(data.packages)) {
        if (version === 2 && isRecord(data.dependencies)) {
          // npm 7+ always writes `packages` in v2; a v2 without it still has the v1 tree
          readV1(input, data.dependencies, collector, warnings, where);
        } else {
          throw new ExtractError(
            file,
            `lockfileVersion ${version} needs a "packages" object`,
            where(["packages"]) ?? where(["lockfileVersion"]),
          );
        }
      } else {
        readPackagesMap(input, data.packages, collector, warnings, where);
      }
    } else if (version === 1 || (version === undefined && isRecord(data.dependencies))) {
      // no lockfileVersion at all: an npm 3/4 shrinkwrap, which has the v1 tree
      readV1(input, isRecord(data.dependencies) ? data.dependencies : {}, collector, warnings, where);
    } else if (version === undefined) {
      throw new ExtractError(file, "no lockfileVersion and no dependencies: not a package-lock file", 1);
    } else {
      throw new ExtractError(
        file,
        `unknown lockfileVersion ${JSON.stringify(version)} (known: 1, 2, 3)`,
        where(["lockfileVersion"]),
      );
    }
    return { packages: collector.list(), warnings: byLine(warnings) };
  },
} satisfies Extractor;

type Where = (path: readonly string[]) => number | undefined;

/** v1 (and v2 without `packages`): the nested `dependencies` tree. */
function readV1(
  input: ExtractInput,
  top: Record<string, unknown>,
  collector: PackageCollector,
  warnings: ExtractWarning[],
  where: Where,
): void {
  const file = input.path;
  const manifest = readSiblingManifest(input, warnings);
  const declared = manifest ? declaredNames(manifest) : undefined;
  // iterative walk: [entries, path of the object holding them, top level?]
  const stack: Array<[Record<string, unknown>, readonly string[], boolean]> = [[top, ["dependencies"], true]];
  while (stack.length > 0) {
    const [deps, path, topLevel] = stack.pop()!;
    for (const key in deps) {
      const entry = deps[key];
      if (!isRecord(entry)) {
        warnings.push(warning(file, where([...path, key]), `dependency "${key}" is not an object; skipped`));
        continue;
      }
      const version = entry.version;
      if (typeof version !== "string" || version === "") {
        warnings.push(warning(file, where([...path, key]), `dependency "${key}" ${noVersion(version)}; skipped`));
      } else if (!version.startsWith("file:") && !version.startsWith("link:")) {
        let name = key;
        let resolved = version;
        if (version.startsWith("npm:")) {
          // alias: "foo": { "version": "npm:bar@1.2.3" }
          const at = version.indexOf("@", 5);
          if (at > 4) {
            name = version.slice(4, at);
            resolved = version.slice(at + 1);
          }
        }
        const direct = topLevel && (declared ? declared.has(key) : true);
        collector.add(name, resolved, direct, entry.dev === true);
      }
      if (entry.dependencies !== undefined) {
        if (isRecord(entry.dependencies)) {
          stack.push([entry.dependencies, [...path, key, "dependencies"], false]);
        } else {
          warnings.push(
            warning(
              file,
              where([...path, key, "dependencies"]),
              `dependency "${key}": "dependencies" is not an object; its nested packages are skipped`,
            ),
          );
        }
      }
    }
  }
}

interface Installed {
  name: string;
  version: string;
  dev: boolean;
  direct: boolean;
}

/** v2/v3: the flat `packages` map keyed by install path. */
function readPackagesMap(
  input: ExtractInput,
  packages: Record<string, unknown>,
  collector: PackageCollector,
  warnings: ExtractWarning[],
  where: Where,
): void {
  const file = input.path;
  const installed = new Map<string, Installed | null>(); // null: a link
  const declaring: Array<[string, Record<string, unknown>]> = [];
  for (const key in packages) {
    const entry = packages[key];
    const nm = nodeModulesIndex(key);
    if (nm < 0) {
      // "" is the root; other paths are workspace folders (or file: folders)
      if (isRecord(entry) && !key.startsWith("../")) declaring.push([key, entry]);
      else if (!isRecord(entry)) {
        warnings.push(warning(file, where(["packages", key]), `package "${key}" is not an object; skipped`));
      }
      continue;
    }
    if (!isRecord(entry)) {
      warnings.push(warning(file, where(["packages", key]), `package "${key}" is not an object; skipped`));
      continue;
    }
    if (entry.link === true) {
      installed.set(key, null);
      continue;
    }
    const version = entry.version;
    if (typeof version !== "string" || version === "") {
      warnings.push(warning(file, where(["packages", key]), `package "${key}" ${noVersion(version)}; skipped`));
      continue;
    }
    const folderName = key.slice(nm + NODE_MODULES.length);
    if (folderName === "") {
      warnings.push(warning(file, where(["packages", key]), `package "${key}" has no name; skipped`));
      continue;
    }
    const name = typeof entry.name === "string" && entry.name !== "" ? entry.name : folderName;
    installed.set(key, { name, version, dev: entry.dev === true, direct: false });
  }

  let rootDeclared = false;
  for (const [folder, entry] of declaring) {
    if (folder === "") rootDeclared = true;
    markDirect(folder, declaredNames(entry), installed);
  }
  if (!rootDeclared) {
    // generated files always have packages[""]; fall back to package.json
    const manifest = readSiblingManifest(input, warnings);
    if (manifest) markDirect("", declaredNames(manifest), installed);
  }
  for (const p of installed.values()) {
    if (p) collector.add(p.name, p.version, p.direct, p.dev);
  }
}

/** Mark what `names`, declared in `folder`, resolve to (Node's lookup: own node_modules, then parents). */
function markDirect(folder: string, names: Iterable<string>, installed: Map<string, Installed | null>): void {
  for (const name of names) {
    let dir = folder;
    for (;;) {
      const hit = installed.get(dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`);
      if (hit !== undefined) {
        if (hit) hit.direct = true;
        break;
      }
      if (dir === "") break;
      const slash = dir.lastIndexOf("/");
      dir = slash < 0 ? "" : dir.slice(0, slash);
    }
  }
}

const NODE_MODULES = "node_modules/";

/** Index of the last `node_modules/` path segment in an install path, or -1. */
function nodeModulesIndex(key: string): number {
  let i = key.lastIndexOf(NODE_MODULES);
  while (i > 0 && key[i - 1] !== "/") i = key.lastIndexOf(NODE_MODULES, i - 1);
  return i;
}

function noVersion(version: unknown): string {
  return version === undefined || version === "" ? "has no version" : `has a version that is not a string (${JSON.stringify(version)})`;
}
