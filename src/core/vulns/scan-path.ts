/**
 * `dm vulns scan <path>`: the lockfiles under a folder (or one lockfile),
 * read by the same extractors the git integration uses, matched against the
 * advisory database. No graph involved, like osv-scanner's offline mode.
 */
import fs from "node:fs";
import path from "node:path";
import { FOREIGN_DIRS } from "../../integrations/git/extractors/common.js";
import { EXTRACTORS } from "../../integrations/git/extractors/index.js";
import { SHRINKWRAP, supersededByShrinkwrap } from "../../integrations/git/extractors/package-lock.js";
import { ExtractError, type ExtractWarning } from "../../integrations/git/extractors/types.js";
import { InputError } from "../../shared/errors.js";
import { type IgnoreRule, ignoreRuleFor } from "./config.js";
import { type Matcher, osvEcosystem, severityRank, type VulnHit, type VulnSeverity } from "./match.js";

/** Larger lockfiles are skipped with a warning (as in the git integration). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface PackageAt {
  /** OSV ecosystem */
  ecosystem: string;
  name: string;
  version: string;
  /** the lockfile, relative to the scanned root, `/`-separated */
  manifest: string;
  /** 1-based line where the package is named in the lockfile (1 when it cannot be found) */
  line: number;
}

export interface PathFinding {
  vuln: VulnHit;
  package: PackageAt;
  /** the vulnerability's long description */
  details: string;
}

export interface IgnoredFinding extends PathFinding {
  reason: string;
  until: number;
}

/** A lockfile (or folder) the scan was asked to read and could not: what it reports is incomplete. */
export interface UnreadableFile {
  /** relative to the scanned root, `/`-separated */
  file: string;
  line?: number;
  message: string;
  /** the file system would not give the bytes (permissions, I/O): not the file's own fault */
  io: boolean;
}

export interface PathScanResult {
  root: string;
  /** lockfiles found (those in `unreadable` included) */
  manifests: string[];
  /** lockfiles (or folders) that could not be read at all; each is also a warning */
  unreadable: UnreadableFile[];
  /** package instances checked */
  packages: number;
  /** most severe first, then by id, package and lockfile */
  findings: PathFinding[];
  /** matched, but on the ignore list (and not expired) */
  ignored: IgnoredFinding[];
  /** ignore rules past their date that would have covered a finding */
  expiredIgnores: IgnoreRule[];
  warnings: ExtractWarning[];
}

function* lockfilesUnder(root: string, unreadable: UnreadableFile[], rel = ""): Generator<string> {
  const dir = path.join(root, rel);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    // a folder that cannot be listed may hold lockfiles: the scan is incomplete
    unreadable.push({ file: rel === "" ? "." : `${rel}/`, message: `cannot list the folder: ${errorCode(error)}`, io: true });
    return;
  }
  const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  for (const entry of entries) {
    const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name === ".git" || FOREIGN_DIRS.has(entry.name)) continue;
      yield* lockfilesUnder(root, unreadable, relPath);
    } else if (entry.isFile() && EXTRACTORS.some((x) => x.matches(relPath))) {
      // npm ignores a package-lock.json beside an npm-shrinkwrap.json: so does the scan
      if (supersededByShrinkwrap(relPath, (name) => files.has(name))) continue;
      yield relPath;
    }
  }
}

/**
 * The line of a lockfile where the package is named: the first line with
 * the name that also has the version (or has it on one of the next two
 * lines), else the first line with the name, else 1. Names are compared
 * exactly first, then ignoring case (PyPI names are normalised).
 */
export function lineOfPackage(text: string, name: string, version: string): number {
  return lineIn(text, name, version) ?? lineIn(text.toLowerCase(), name.toLowerCase(), version.toLowerCase()) ?? 1;
}

const NAME_CHAR = /[A-Za-z0-9_.-]/;
/** characters that make a version a range, not the version itself (`^4.17.20` in a manifest) */
const RANGE_CHAR = /[\^~<>A-Za-z0-9.]/;

function lineIn(text: string, name: string, version: string): number | undefined {
  let first: number | undefined;
  let from = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const at = text.indexOf(name, from);
    if (at < 0) break;
    from = at + name.length;
    // a whole name: not part of a longer one (lodash in lodash-es)
    if (NAME_CHAR.test(text.charAt(at - 1)) || (NAME_CHAR.test(text.charAt(from)) && text.charAt(from) !== ".")) continue;
    const line = lineNumber(text, at);
    first ??= line;
    // the version on the same line or the next two (`"version": ...` below the name)
    let end = from;
    for (let n = 0; n < 3 && end >= 0; n++) end = text.indexOf("\n", end + 1);
    const window = text.slice(from, end < 0 ? undefined : end);
    for (let v = window.indexOf(version); v >= 0; v = window.indexOf(version, v + 1)) {
      if (!RANGE_CHAR.test(window.charAt(v - 1)) && !/[0-9A-Za-z]/.test(window.charAt(v + version.length))) return line;
    }
  }
  return first;
}

function lineNumber(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/**
 * Read the packages of one lockfile (without lines yet). Problems inside it
 * become warnings; a file that cannot be read at all is also `unreadable`.
 */
function packagesOf(
  root: string,
  rel: string,
  warnings: ExtractWarning[],
  unreadable: UnreadableFile[],
): { packages: PackageAt[]; text: string } {
  const none = { packages: [], text: "" };
  const extractor = EXTRACTORS.find((x) => x.matches(rel));
  if (!extractor) return none;
  const full = path.join(root, rel);
  const cannotRead = (problem: ExtractWarning, io: boolean) => {
    warnings.push(problem);
    unreadable.push({ ...problem, io });
    return none;
  };
  let content: string;
  try {
    if (fs.statSync(full).size > MAX_FILE_BYTES) {
      return cannotRead({ file: rel, message: `skipped: larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` }, false);
    }
    content = fs.readFileSync(full, "utf8");
  } catch (error) {
    return cannotRead({ file: rel, message: `cannot read: ${errorCode(error)}` }, true);
  }
  const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/") + 1) : "";
  let result: ReturnType<typeof extractor.extract>;
  try {
    result = extractor.extract({
      path: rel,
      content,
      readSibling: (name) => {
        try {
          return fs.readFileSync(path.join(root, dir, name), "utf8");
        } catch {
          return undefined;
        }
      },
    });
  } catch (error) {
    if (!(error instanceof ExtractError)) throw error;
    return cannotRead(error.line === undefined ? { file: rel, message: error.message } : { file: rel, line: error.line, message: error.message }, false);
  }
  for (const w of result.warnings) if (!w.notice) warnings.push({ ...w, file: w.file.startsWith(dir) ? w.file : `${dir}${w.file}` });
  const packages: PackageAt[] = [];
  for (const p of result.packages ?? []) {
    const ecosystem = osvEcosystem(p.ecosystem);
    // lines are looked up only for what turns out vulnerable
    if (ecosystem) packages.push({ ecosystem, name: p.name, version: p.version, manifest: rel, line: 1 });
  }
  return { packages, text: content };
}

export function compareFindings(a: PathFinding, b: PathFinding): number {
  return (
    severityRank(a.vuln.severity) - severityRank(b.vuln.severity) ||
    (a.vuln.id < b.vuln.id ? -1 : a.vuln.id > b.vuln.id ? 1 : 0) ||
    (a.package.name < b.package.name ? -1 : a.package.name > b.package.name ? 1 : 0) ||
    (a.package.manifest < b.package.manifest ? -1 : a.package.manifest > b.package.manifest ? 1 : 0)
  );
}

/** Scan the lockfiles at `target` (a folder or one lockfile). */
export function scanPath(
  target: string,
  matcher: Matcher,
  options: { now: number; ignore?: readonly IgnoreRule[]; onManifest?: (rel: string) => void },
): PathScanResult {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (error) {
    throw new InputError(`${target}: no such file or folder`, { cause: error });
  }
  let root: string;
  let manifests: string[];
  const unreadable: UnreadableFile[] = [];
  if (stat.isDirectory()) {
    root = target;
    manifests = [...lockfilesUnder(root, unreadable)];
  } else {
    root = path.dirname(target);
    const rel = path.basename(target);
    if (!EXTRACTORS.some((x) => x.matches(rel))) {
      throw new InputError(`${target}: not a lockfile dm reads`, {
        details: [
          "Known: package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, requirements*.txt, poetry.lock, Pipfile.lock, go.mod, Cargo.lock, Gemfile.lock, composer.lock.",
        ],
      });
    }
    if (supersededByShrinkwrap(rel, (name) => fs.existsSync(path.join(root, name)))) {
      throw new InputError(`${target}: npm does not use this file: it installs from the ${SHRINKWRAP} beside it`, {
        details: [`Scan ${path.join(root, SHRINKWRAP)}, or the folder.`],
      });
    }
    manifests = [rel];
  }
  // a folder that could not be listed is a warning too
  const warnings: ExtractWarning[] = unreadable.map(({ io: _, ...w }) => w);
  const findings: PathFinding[] = [];
  const ignored: IgnoredFinding[] = [];
  const expired = new Map<IgnoreRule, true>();
  let packages = 0;
  for (const rel of manifests) {
    options.onManifest?.(rel);
    const read = packagesOf(root, rel, warnings, unreadable);
    for (const p of read.packages) {
      packages++;
      const hits = matcher.match(p.ecosystem, p.name, p.version);
      if (hits.length === 0) continue;
      const pkg = { ...p, line: lineOfPackage(read.text, p.name, p.version) };
      for (const vuln of hits) {
        const verdict = ignoreRuleFor(options.ignore ?? [], vuln, p.name, options.now);
        if (verdict && !verdict.expired) {
          ignored.push({ vuln, package: pkg, details: matcher.detailsOf(vuln), reason: verdict.rule.reason, until: verdict.rule.until });
          continue;
        }
        if (verdict?.expired) expired.set(verdict.rule, true);
        findings.push({ vuln, package: pkg, details: matcher.detailsOf(vuln) });
      }
    }
  }
  return {
    root,
    manifests,
    unreadable,
    packages,
    findings: findings.sort(compareFindings),
    ignored: ignored.sort(compareFindings),
    expiredIgnores: [...expired.keys()],
    warnings,
  };
}

/** Whether a finding of this severity fails `--fail-on` (`any`: every finding; `none`: never). */
export function failsAt(severity: VulnSeverity, failOn: VulnSeverity | "any" | "none"): boolean {
  if (failOn === "none") return false;
  if (failOn === "any") return true;
  return severityRank(severity) <= severityRank(failOn);
}
