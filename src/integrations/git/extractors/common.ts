/**
 * Helpers every extractor shares: which folders are not the project's own,
 * merging and sorting the packages a file lists, walking a dependency graph,
 * and the small bits of warning and path handling they all do the same way.
 */
import { readToml, type TomlDocument, TomlError } from "./toml.js";
import { baseName, type Ecosystem, type ExtractedPackage, ExtractError, type ExtractInput, type ExtractWarning } from "./types.js";

/** Folders whose files are not the project's own (vendored or installed code, virtualenvs, build output). */
export const FOREIGN_DIRS: ReadonlySet<string> = new Set(["vendor", "node_modules", ".venv", "target"]);

/** Whether a folder of the repository-relative `path` (not its basename) is one of `dirs`. */
export function inDir(path: string, dirs: ReadonlySet<string>): boolean {
  const parts = path.split("/");
  for (let i = 0; i < parts.length - 1; i++) if (dirs.has(parts[i]!)) return true;
  return false;
}

/** Whether `path` goes through one of the FOREIGN_DIRS. */
export function inForeignDir(path: string): boolean {
  return inDir(path, FOREIGN_DIRS);
}

/** A `matches` for a file with one of these exact basenames, outside the FOREIGN_DIRS. */
export function matchesBaseName(...names: string[]): (path: string) => boolean {
  const set = new Set(names);
  return (path) => !inForeignDir(path) && set.has(baseName(path));
}

/** Whether a repository-relative path goes through a `node_modules` folder (installed code, not the project's). */
export function isUnderNodeModules(path: string): boolean {
  return path.startsWith("node_modules/") || path.includes("/node_modules/");
}

/** The repository-relative path of the file `name` in the folder of `path`. */
export function siblingPath(path: string, name: string): string {
  return path.slice(0, path.lastIndexOf("/") + 1) + name;
}

/**
 * Whether a file holds nothing at all: no bytes, or only whitespace (and a
 * byte order mark). Such a lockfile lists no packages; it is not broken. A
 * format with comments also says so of a file of comments only (each
 * extractor, since each format writes comments its own way).
 */
export function isBlank(text: string): boolean {
  return /^\uFEFF?\s*$/.test(text);
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** A warning, without a `line` key when the line is unknown. */
export function warning(file: string, line: number | undefined, message: string): ExtractWarning {
  return line === undefined ? { file, message } : { file, line, message };
}

/** Warnings in file order (a stable sort; those without a line last). */
export function byLine(warnings: ExtractWarning[]): ExtractWarning[] {
  return warnings.sort((a, b) => (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** By name, then version, in plain code-unit order (so it is stable across locales). */
export function byNameThenVersion(a: ExtractedPackage, b: ExtractedPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/**
 * Collects package occurrences and merges identical name@version: direct if
 * any occurrence is direct, dev only if every occurrence is dev. `list()`
 * sorts by name, then version (byNameThenVersion).
 */
export class PackageCollector {
  private readonly byKey = new Map<string, ExtractedPackage>();

  constructor(private readonly ecosystem: Ecosystem) {}

  add(name: string, version: string, direct: boolean, devDependency: boolean): void {
    const key = `${name}\u0000${version}`;
    const seen = this.byKey.get(key);
    if (seen) {
      seen.direct ||= direct;
      seen.devDependency &&= devDependency;
    } else {
      this.byKey.set(key, { ecosystem: this.ecosystem, name, version, direct, devDependency });
    }
  }

  has(name: string, version: string): boolean {
    return this.byKey.has(`${name}\u0000${version}`);
  }

  list(): ExtractedPackage[] {
    return [...this.byKey.values()].sort(byNameThenVersion);
  }
}

/** Every node reachable from `roots` (the roots included) through `next`. */
export function reachable<T>(roots: Iterable<T>, next: (node: T) => Iterable<T>): Set<T> {
  const seen = new Set<T>();
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const child of next(node)) if (!seen.has(child)) stack.push(child);
  }
  return seen;
}

/** A TOML lockfile that must be read: a TomlError becomes an ExtractError with its line. */
export function readTomlFile(file: string, text: string): TomlDocument {
  try {
    return readToml(text);
  } catch (error) {
    if (error instanceof TomlError) throw new ExtractError(file, `not valid TOML: ${error.message}`, error.line, { cause: error });
    throw error;
  }
}

/**
 * The sibling TOML file `name` (a manifest beside the lock), read with
 * `read`; undefined when there is none. One that is not valid TOML is a
 * warning naming that file and saying what is `lost` without it, and reads
 * as absent.
 */
export function readSiblingToml<T>(
  input: ExtractInput,
  name: string,
  warnings: ExtractWarning[],
  lost: string,
  read: (text: string) => T,
): T | undefined {
  const text = input.readSibling(name);
  if (text === undefined) return undefined;
  try {
    return read(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    warnings.push({ file: siblingPath(input.path, name), line: error.line, message: `not valid TOML (${lost}): ${error.message}` });
    return undefined;
  }
}
