/**
 * package.json, as the JavaScript lockfile extractors (package-lock,
 * yarn-lock, pnpm-lock) read it: the dependency groups that say which
 * packages are direct, and which of those are only for development.
 */
import { isRecord, siblingPath, warning } from "./common.js";
import { parseJson } from "./json-lines.js";
import type { ExtractError, ExtractInput, ExtractWarning } from "./types.js";

/** The dependency groups of a package.json (or of a `packages` entry in package-lock v2/v3). */
export interface Manifest {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

const GROUPS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"] as const;

/** Read the dependency groups of a parsed package.json; entries that are not strings are dropped. */
export function manifestOf(data: Record<string, unknown>): Manifest {
  const out: Manifest = { dependencies: {}, devDependencies: {}, optionalDependencies: {}, peerDependencies: {} };
  for (const group of GROUPS) {
    const deps = data[group];
    if (!isRecord(deps)) continue;
    const target = out[group];
    for (const name in deps) {
      const range = deps[name];
      if (typeof range === "string") target[name] = range;
    }
  }
  return out;
}

/**
 * The package.json beside the lockfile, if there is one and it is a JSON
 * object. A broken one is a warning (naming package.json) and reads as absent.
 */
export function readSiblingManifest(input: ExtractInput, warnings: ExtractWarning[]): Manifest | undefined {
  const text = input.readSibling("package.json");
  if (text === undefined) return undefined;
  const file = siblingPath(input.path, "package.json");
  let data: unknown;
  try {
    data = parseJson(file, text);
  } catch (error) {
    const e = error as ExtractError;
    warnings.push(warning(file, e.line, `${e.message}; direct and dev dependencies are unknown`));
    return undefined;
  }
  if (!isRecord(data)) {
    warnings.push(warning(file, 1, "not a JSON object; direct and dev dependencies are unknown"));
    return undefined;
  }
  return manifestOf(data);
}

/** Every name a manifest (or a package-lock `packages` entry) declares, in any group. */
export function declaredNames(manifest: Record<string, unknown> | Manifest): Set<string> {
  const names = new Set<string>();
  for (const group of GROUPS) {
    const deps = (manifest as Record<string, unknown>)[group];
    if (isRecord(deps)) for (const name in deps) names.add(name);
  }
  return names;
}
