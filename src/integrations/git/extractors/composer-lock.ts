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

import {
  baseName,
  type ExtractedPackage,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

const FOREIGN_DIRS = new Set(["vendor", "node_modules", ".venv", "target"]);

function matches(path: string): boolean {
  const parts = path.split("/");
  for (let i = 0; i < parts.length - 1; i++) if (FOREIGN_DIRS.has(parts[i]!)) return false;
  return baseName(path) === "composer.lock";
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

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

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

class JsonStop {
  constructor(readonly offset: number) {}
}

/** Where JSON.parse gives up: V8 does not always say (`Unexpected token ...`). */
function jsonErrorOffset(s: string): number {
  let i = 0;
  const stop = (): never => {
    throw new JsonStop(i);
  };
  const ws = () => {
    while (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r") i++;
  };
  const str = () => {
    i++;
    for (;;) {
      const c = s.charCodeAt(i);
      if (i >= s.length || c < 0x20) stop();
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        const e = s[i + 1] ?? "";
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) i += 6;
        else if (e !== "" && '"\\/bfnrt'.includes(e)) i += 2;
        else stop();
      } else i++;
    }
  };
  const scalar = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (s[i] === close) {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (close === "}") {
          if (s[i] !== '"') stop();
          str();
          ws();
          if (s[i] !== ":") stop();
          i++;
        }
        value();
        ws();
        if (s[i] === ",") i++;
        else if (s[i] === close) {
          i++;
          return;
        } else stop();
      }
    }
    if (c === '"') {
      str();
      return;
    }
    scalar.lastIndex = i;
    const m = scalar.exec(s);
    if (!m) stop();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < s.length) stop();
    return s.length;
  } catch (e) {
    if (e instanceof JsonStop) return e.offset;
    throw e;
  }
}

function parseJson(path: string, text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    const at = Math.min(jsonErrorOffset(text), text.length);
    throw new ExtractError(path, `not valid JSON: ${(error as Error).message.split("\n")[0]!.slice(0, 120)}`, lineAt(text, at), { cause: error });
  }
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
  const doc = parseJson(path, content);
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
      const at = Math.min(jsonErrorOffset(manifestText), manifestText.length);
      warnings.push({
        file: path.slice(0, path.lastIndexOf("/") + 1) + "composer.json",
        line: lineAt(manifestText, at),
        message: `not valid JSON (direct dependencies from the lock's roots): ${(error as Error).message.split("\n")[0]!.slice(0, 120)}`,
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

  const byKey = new Map<string, ExtractedPackage>();
  for (const p of locked) {
    if (p.local) continue;
    const key = `${p.name}@${p.version}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.devDependency &&= p.dev;
      continue;
    }
    byKey.set(key, { ecosystem: "packagist", name: p.name, version: p.version, direct: isDirect(p.name), devDependency: p.dev });
  }
  return { packages: [...byKey.values()].sort(byNameThenVersion), warnings };
}

function byNameThenVersion(a: ExtractedPackage, b: ExtractedPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

export const composerLockExtractor: Extractor = { id: "composer-lock", matches, extract };
