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

import { isBlank, lineAt, matchesBaseName, PackageCollector, readSiblingToml } from "./common.js";
import { isJsonObject as isObject, type Json, parseJsonLocated } from "./json-lines.js";
import { normalizePythonName } from "./requirements.js";
import { isTable, parseToml } from "./toml.js";
import {
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

const matches = matchesBaseName("Pipfile.lock");

const KNOWN_SPEC = 6;
/** Pipfile tables that are not package lists. */
const PIPFILE_NOT_PACKAGES = new Set(["source", "requires", "scripts", "pipenv"]);

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
  if (isBlank(content)) return { packages: [], warnings: [] };
  const doc = parseJsonLocated(path, content.replace(/^\uFEFF/, ""));
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
  const declared = readSiblingToml(input, "Pipfile", warnings, "direct dependencies unknown", readPipfile);

  const collector = new PackageCollector("pypi");
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
      collector.add(name, m[1]!, declared?.has(name) ?? false, dev);
    }
  }
  return { packages: collector.list(), warnings };
}

export const pipfileLockExtractor: Extractor = { id: "pipfile-lock", matches, extract };
