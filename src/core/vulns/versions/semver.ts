import { InvalidVersionError, type VersionScheme } from "./types.js";
import { compareDigits, compareStrings, memoParse, sign } from "./util.js";

/**
 * SemVer 2.0.0 (https://semver.org/#spec-item-11) for npm and crates.io.
 * Numeric identifiers are compared as unbounded integers; build metadata is
 * ignored. A leading `v` or `=` (npm's loose prefixes) is accepted.
 */
export interface SemVer {
  major: string;
  minor: string;
  patch: string;
  /** pre-release identifiers; empty for a release */
  pre: string[];
  build: string;
}

const NUM = "(?:0|[1-9][0-9]*)";
const PRE_ID = "(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";
const BUILD_ID = "[0-9A-Za-z-]+";
const CORE = `(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?`;
const SEMVER_RE = new RegExp(`^(?:=\\s*)?v?${CORE}$`);

/** Parses a SemVer 2.0.0 version, tolerating a leading `v`/`=` and surrounding whitespace. */
export function parseSemver(version: string): SemVer | undefined {
  const m = SEMVER_RE.exec(version.trim());
  if (!m) return undefined;
  return {
    major: m[1]!,
    minor: m[2]!,
    patch: m[3]!,
    pre: m[4] === undefined ? [] : m[4].split("."),
    build: m[5] ?? "",
  };
}

const isNumeric = (s: string) => /^[0-9]+$/.test(s);

/** Precedence of two pre-release identifier lists (spec item 11.4); empty = release, which is highest. */
export function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const xn = isNumeric(x);
    const yn = isNumeric(y);
    if (xn && yn) return compareDigits(x, y);
    if (xn) return -1;
    if (yn) return 1;
    return compareStrings(x, y);
  }
  return sign(a.length - b.length);
}

export function compareSemver(a: SemVer, b: SemVer): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.pre, b.pre)
  );
}

/** A SemVer scheme reporting errors under `ecosystem` and serving `ecosystems`. */
export function semverScheme(ecosystem: string, ecosystems: readonly string[] = [ecosystem]): VersionScheme {
  const parse = memoParse(parseSemver);
  const get = (v: string): SemVer => {
    const p = parse(v);
    if (!p) throw new InvalidVersionError(ecosystem, v);
    return p;
  };
  return {
    ecosystems,
    valid: (v) => parse(v) !== undefined,
    compare: (a, b) => compareSemver(get(a), get(b)),
  };
}

export const npm: VersionScheme = semverScheme("npm");
export const cratesIo: VersionScheme = semverScheme("crates.io");
