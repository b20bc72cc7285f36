import { InvalidVersionError, type VersionScheme } from "./types.js";
import { compareDigits, memoParse } from "./util.js";

/**
 * Debian package versions as dpkg orders them (lib/dpkg/version.c):
 * `[epoch:]upstream[-revision]`. Epochs compare numerically (absent = 0);
 * upstream and revision compare with verrevcmp: alternating non-digit runs,
 * compared character by character with `~` below everything (even the end of
 * the string), letters below non-letters, and digit runs compared
 * numerically. A missing revision compares like an empty one, so `1.0` ==
 * `1.0-0`. The upstream part must start with a digit (Debian policy).
 */
interface Dpkg {
  epoch: string;
  upstream: string;
  revision: string;
}

const EPOCH_RE = /^[0-9]+$/;
const UPSTREAM_RE = /^[0-9][A-Za-z0-9.+~:-]*$/;
const REVISION_RE = /^[A-Za-z0-9.+~]+$/;

export function parseDpkg(version: string): Dpkg | undefined {
  const v = version.trim();
  if (v === "" || /\s/.test(v)) return undefined;
  let epoch = "0";
  let rest = v;
  const colon = v.indexOf(":");
  if (colon >= 0) {
    epoch = v.slice(0, colon);
    if (!EPOCH_RE.test(epoch) || compareDigits(epoch, "2147483647") > 0) return undefined;
    rest = v.slice(colon + 1);
  }
  let upstream = rest;
  let revision = "";
  const hyphen = rest.lastIndexOf("-");
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (!REVISION_RE.test(revision)) return undefined;
  }
  if (!UPSTREAM_RE.test(upstream)) return undefined;
  // a colon in the upstream version is only allowed with an epoch; it was split off above
  return { epoch, upstream, revision };
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** dpkg's order(): `~` < end of string = digits < letters < everything else. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

export function compareDpkg(a: Dpkg, b: Dpkg): number {
  return compareDigits(a.epoch, b.epoch) || verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

/** A dpkg-ordered scheme reporting errors under `ecosystem`. */
export function dpkgScheme(ecosystem: string): VersionScheme {
  const parse = memoParse(parseDpkg);
  const get = (v: string): Dpkg => {
    const p = parse(v);
    if (!p) throw new InvalidVersionError(ecosystem, v);
    return p;
  };
  return {
    ecosystems: [ecosystem],
    valid: (v) => parse(v) !== undefined,
    compare: (a, b) => compareDpkg(get(a), get(b)),
  };
}

export const debian: VersionScheme = dpkgScheme("Debian");
export const ubuntu: VersionScheme = dpkgScheme("Ubuntu");
