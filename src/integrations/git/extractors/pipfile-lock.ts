/**
 * Pipfile.lock (pipenv): the `default` section (what production installs),
 * `develop` and any custom category section (pipenv 2023+, e.g. `docs`), whose
 * packages are devDependencies. Versions are locked as `"==1.2.3"`; names are
 * normalised per PEP 503. Entries without a version that come from elsewhere
 * (`path`, `file`, `git`, `editable`) are skipped silently; an entry with a
 * version that is not `==` or `===`, or no version at all, is skipped with a
 * warning. pipfile-spec 6 (and older) is read; a newer one is refused.
 *
 * Direct: the packages named in the sibling Pipfile (`[packages]`,
 * `[dev-packages]`, custom categories). Without a Pipfile nothing is direct:
 * the lock has no dependency graph to tell the project's own choices from
 * what they pull in, and guessing "direct" would overstate it.
 */

import { normalizePythonName } from "./requirements.js";
import { isTable, parseToml, TomlError } from "./toml-lite.js";
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
  return baseName(path) === "Pipfile.lock";
}

const KNOWN_SPEC = 6;
/** Pipfile tables that are not package lists. */
const PIPFILE_NOT_PACKAGES = new Set(["source", "requires", "scripts", "pipenv"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
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

/** The package names of every package section of a Pipfile (throws TomlError). */
function readPipfile(text: string): Set<string> {
  const doc = parseToml(text);
  const names = new Set<string>();
  for (const [section, body] of Object.entries(doc)) {
    if (PIPFILE_NOT_PACKAGES.has(section) || !isTable(body)) continue;
    for (const name of Object.keys(body)) names.add(normalizePythonName(name));
  }
  return names;
}

function extract(input: ExtractInput): ExtractResult {
  const { path, content } = input;
  const doc = parseJson(path, content.replace(/^\uFEFF/, ""));
  if (!isObject(doc)) throw new ExtractError(path, "not a Pipfile.lock: not a JSON object");
  const meta = doc._meta;
  const spec = isObject(meta) ? meta["pipfile-spec"] : undefined;
  if (typeof spec === "number" && spec > KNOWN_SPEC) {
    throw new ExtractError(path, `unknown pipfile-spec ${spec}`, lineAt(content, content.indexOf('"pipfile-spec"')));
  }
  const sections = Object.keys(doc).filter((k) => k !== "_meta" && isObject(doc[k]));
  if (!isObject(doc.default) && !isObject(doc.develop)) {
    throw new ExtractError(path, 'not a Pipfile.lock: no "default" or "develop" section');
  }

  const warnings: ExtractWarning[] = [];
  let declared: Set<string> | undefined;
  const pipfile = input.readSibling("Pipfile");
  if (pipfile !== undefined) {
    try {
      declared = readPipfile(pipfile);
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      warnings.push({
        file: path.slice(0, path.lastIndexOf("/") + 1) + "Pipfile",
        line: error.line,
        message: `not valid TOML (direct dependencies unknown): ${error.message}`,
      });
    }
  }

  const byKey = new Map<string, ExtractedPackage>();
  for (const section of sections) {
    const dev = section !== "default";
    const entries = doc[section] as { [key: string]: Json };
    let sectionAt = -1;
    const lineOf = (name: string): number | undefined => {
      if (sectionAt < 0) sectionAt = content.indexOf(`${JSON.stringify(section)}:`);
      const at = content.indexOf(`${JSON.stringify(name)}:`, Math.max(sectionAt, 0));
      return at < 0 ? undefined : lineAt(content, at);
    };
    for (const [rawName, entry] of Object.entries(entries)) {
      if (!isObject(entry)) {
        warnings.push({ file: path, line: lineOf(rawName), message: `${rawName}: not an object: skipped` });
        continue;
      }
      const version = entry.version;
      if (version === undefined) {
        if (!("path" in entry || "file" in entry || "git" in entry || "hg" in entry || "svn" in entry || "editable" in entry)) {
          warnings.push({ file: path, line: lineOf(rawName), message: `${rawName}: no version: skipped` });
        }
        continue;
      }
      const m = typeof version === "string" ? /^\s*===?\s*([A-Za-z0-9!+._-]+)\s*$/.exec(version) : null;
      if (!m) {
        warnings.push({ file: path, line: lineOf(rawName), message: `${rawName}: version ${JSON.stringify(version)} is not pinned: skipped` });
        continue;
      }
      const name = normalizePythonName(rawName);
      const pkg: ExtractedPackage = {
        ecosystem: "pypi",
        name,
        version: m[1]!,
        direct: declared?.has(name) ?? false,
        devDependency: dev,
      };
      const key = `${name}@${pkg.version}`;
      const seen = byKey.get(key);
      if (seen) {
        seen.direct ||= pkg.direct;
        seen.devDependency &&= pkg.devDependency;
      } else byKey.set(key, pkg);
    }
  }
  return { packages: [...byKey.values()].sort(byNameThenVersion), warnings };
}

function byNameThenVersion(a: ExtractedPackage, b: ExtractedPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

export const pipfileLockExtractor: Extractor = { id: "pipfile-lock", matches, extract };
