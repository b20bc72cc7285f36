/**
 * composer.lock (Composer): `packages` (needed in production) and
 * `packages-dev` (devDependencies). Versions lose a leading `v` before a digit
 * (`v6.3.4` is 6.3.4; `dev-main` and `2.x-dev` stay). Names are lower-cased,
 * as Composer compares them. Packages installed from a path repository
 * (`dist.type = "path"`, a monorepo's own packages) are not reported.
 *
 * Direct: the sibling composer.json's `require` and `require-dev`, without
 * platform requirements (`php`, `ext-*`, `lib-*`, `composer-*-api`, ...).
 * Without one, the lock's roots are direct: packages that no other locked
 * package requires (a path package is the project's own code: what it
 * requires is direct).
 */

import { isBlank, lineAt, matchesBaseName, PackageCollector, siblingPath } from "./common.js";
import { describeJsonError, isJsonObject as isObject, type Json, parseJsonLocated } from "./json-lines.js";
import {
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

const matches = matchesBaseName("composer.lock");

/** Platform requirements: not packages. */
function isPlatform(name: string): boolean {
  return (
    name === "php" ||
    name.startsWith("php-") ||
    name === "hhvm" ||
    name.startsWith("ext-") ||
    name.startsWith("lib-") ||
    name === "composer" ||
    name === "composer-plugin-api" ||
    name === "composer-runtime-api"
  );
}

/** `v6.3.4` is 6.3.4; `dev-main`, `2.x-dev` stay. */
export function composerVersion(version: string): string {
  return /^[vV]\d/.test(version) ? version.slice(1) : version;
}

interface Locked {
  name: string;
  version: string;
  dev: boolean;
  local: boolean;
  requires: string[];
}

function extract(input: ExtractInput): ExtractResult {
  const { path } = input;
  const content = input.content.replace(/^\uFEFF/, "");
  if (isBlank(content)) return { packages: [], warnings: [] };
  const doc = parseJsonLocated(path, content);
  if (!isObject(doc)) throw new ExtractError(path, "not a composer.lock: not a JSON object");
  const { packages, "packages-dev": packagesDev } = doc;
  if (packages === undefined && packagesDev === undefined) throw new ExtractError(path, 'not a composer.lock: no "packages"');
  for (const [key, list] of [
    ["packages", packages],
    ["packages-dev", packagesDev],
  ] as const) {
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      throw new ExtractError(path, `not a composer.lock: "${key}" is not an array`, lineAt(content, content.indexOf(`"${key}"`)));
    }
  }

  const warnings: ExtractWarning[] = [];
  const lineOf = (name: string): number | undefined => {
    const at = content.search(new RegExp(`"name":\\s*${JSON.stringify(name).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    return at < 0 ? undefined : lineAt(content, at);
  };
  const locked: Locked[] = [];
  const read = (list: Json | undefined, dev: boolean) => {
    if (!Array.isArray(list)) return;
    list.forEach((entry, index) => {
      const where = `${dev ? "packages-dev" : "packages"}[${index}]`;
      if (!isObject(entry)) {
        warnings.push({ file: path, message: `${where}: not an object: skipped` });
        return;
      }
      const { name, version } = entry;
      if (typeof name !== "string" || name === "") {
        warnings.push({ file: path, message: `${where}: no name: skipped` });
        return;
      }
      if (typeof version !== "string" || version === "") {
        const why = version === undefined || version === "" ? "no version" : `version ${JSON.stringify(version)} is not a string`;
        warnings.push({ file: path, line: lineOf(name), message: `${name}: ${why}: skipped` });
        return;
      }
      const requires = isObject(entry.require) ? Object.keys(entry.require).map((r) => r.toLowerCase()) : [];
      const local = isObject(entry.dist) && entry.dist.type === "path";
      locked.push({ name: name.toLowerCase(), version: composerVersion(version), dev, local, requires });
    });
  };
  read(packages, false);
  read(packagesDev, true);

  let declared: Set<string> | undefined;
  const manifestText = input.readSibling("composer.json");
  if (manifestText !== undefined) {
    try {
      const manifest = JSON.parse(manifestText) as Json;
      if (isObject(manifest)) {
        declared = new Set();
        for (const key of ["require", "require-dev"]) {
          const req = manifest[key];
          if (isObject(req)) for (const n of Object.keys(req)) if (!isPlatform(n.toLowerCase())) declared.add(n.toLowerCase());
        }
      }
    } catch (error) {
      const { line, message } = describeJsonError(manifestText, error);
      warnings.push({
        file: siblingPath(path, "composer.json"),
        line,
        message: `not valid JSON (direct dependencies from the lock's roots): ${message}`,
      });
    }
  }
  let isDirect: (name: string) => boolean;
  if (declared) {
    const d = declared;
    isDirect = (name) => d.has(name);
  } else {
    const needed = new Set<string>();
    for (const p of locked) if (!p.local) for (const r of p.requires) needed.add(r);
    isDirect = (name) => !needed.has(name);
  }

  const collector = new PackageCollector("packagist");
  for (const p of locked) if (!p.local) collector.add(p.name, p.version, isDirect(p.name), p.dev);
  return { packages: collector.list(), warnings };
}

export const composerLockExtractor: Extractor = { id: "composer-lock", matches, extract };
