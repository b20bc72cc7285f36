import { InvalidVersionError, type VersionScheme } from "./types.js";
import { compareDigits, memoParse } from "./util.js";

/**
 * Composer (Packagist) versions: normalised as composer/semver's
 * VersionParser::normalize does (optional `v`, up to four numeric parts
 * padded to four, so `1.0` == `1.0.0.0`; `-alpha`/`-a`, `-beta`/`-b`, `-RC`,
 * `-patch`/`-pl`/`-p` with an optional number, `-dev` suffix, `stable`
 * dropped, `+build` ignored, date versions like `20100102` and `2010-01-02`),
 * then ordered as PHP's version_compare orders them:
 * dev < alpha < beta < RC < stable < patch.
 * Branch names (`dev-master`) and branch aliases (`1.x-dev`) cannot be
 * ordered against releases and are not valid here.
 */
const MODIFIER = "[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?";
const CLASSICAL_RE = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, "i");
const DATE_RE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})${MODIFIER}$`, "i");

const STABILITY: Record<string, string> = {
  a: "alpha",
  alpha: "alpha",
  b: "beta",
  beta: "beta",
  p: "patch",
  pl: "patch",
  patch: "patch",
  rc: "RC",
};

/** composer/semver VersionParser::normalize for release versions; undefined when not one. */
export function normalizeComposer(version: string): string | undefined {
  let v = version.trim();
  // aliases "1.0.0 as 1.0.x-dev" and build metadata
  const alias = /^([^,\s]+) +as +[^,\s]+$/.exec(v);
  if (alias) v = alias[1]!;
  const build = /^([^,\s+]+)\+[^\s]+$/.exec(v);
  if (build) v = build[1]!;
  let m = CLASSICAL_RE.exec(v);
  let base: string;
  if (m) {
    base = m[1]! + (m[2] ?? ".0") + (m[3] ?? ".0") + (m[4] ?? ".0");
  } else {
    m = DATE_RE.exec(v);
    if (!m) return undefined;
    base = m[1]!.replace(/\D/g, ".");
  }
  // both patterns end in the same three modifier groups
  const s = m[m.length - 3];
  const n = m[m.length - 2];
  const d = m[m.length - 1];
  if (s !== undefined) {
    if (s.toLowerCase() === "stable") return base;
    base += "-" + STABILITY[s.toLowerCase()]! + (n ? n.replace(/^[.-]+/, "") : "");
  }
  if (d !== undefined) base += "-dev";
  return base;
}

/** PHP version_compare's canonical form: parts split on `-_+.` and digit/non-digit changes. */
function phpParts(v: string): string[] {
  return v
    .replace(/[-_+]/g, ".")
    .replace(/(\d)(?=[^\d.])|([^\d.])(?=\d)/g, "$1$2.")
    .split(".")
    .filter((p) => p !== "");
}

/** PHP's special forms; anything unknown ranks below dev. Prefix matches as in php_version_compare. */
function specialRank(form: string): number {
  const forms: [string, number][] = [
    ["dev", 0],
    ["alpha", 1],
    ["a", 1],
    ["beta", 2],
    ["b", 2],
    ["RC", 3],
    ["rc", 3],
    ["#", 4],
    ["pl", 5],
    ["p", 5],
  ];
  for (const [name, rank] of forms) if (form.startsWith(name)) return rank;
  return -6;
}

const isNum = (s: string) => /^[0-9]+$/.test(s);

function comparePart(x: string, y: string): number {
  const xn = isNum(x);
  const yn = isNum(y);
  if (xn && yn) return compareDigits(x, y);
  const rx = xn ? 4 : specialRank(x);
  const ry = yn ? 4 : specialRank(y);
  return rx === ry ? 0 : rx < ry ? -1 : 1;
}

export function phpVersionCompare(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = comparePart(a[i]!, b[i]!);
    if (c) return c;
  }
  if (a.length > n) return isNum(a[n]!) ? 1 : comparePart(a[n]!, "#");
  if (b.length > n) return isNum(b[n]!) ? -1 : comparePart("#", b[n]!);
  return 0;
}

const parse = memoParse((v: string) => {
  const norm = normalizeComposer(v);
  return norm === undefined ? undefined : phpParts(norm);
});
const get = (v: string): string[] => {
  const p = parse(v);
  if (!p) throw new InvalidVersionError("Packagist", v);
  return p;
};

export const packagist: VersionScheme = {
  ecosystems: ["Packagist"],
  valid: (v) => parse(v) !== undefined,
  compare: (a, b) => phpVersionCompare(get(a), get(b)),
};
