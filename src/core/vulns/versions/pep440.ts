import { InvalidVersionError, type VersionScheme } from "./types.js";
import { compareDigits, compareStrings, memoParse } from "./util.js";

/**
 * PEP 440 versions as ordered by `packaging.version.Version`:
 * `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the normalisations of
 * the spec (case, `v` prefix, `alpha`/`beta`/`c`/`pre`/`preview`,
 * `-1` / `rev` / `r` for post, `_`/`-`/`.` separators, implicit numbers,
 * leading zeros, trailing `.0` release segments).
 * Ordering within a release: `.devN` < `aN` < `bN` < `rcN` < release < `.postN`;
 * a local version sorts after the same public version.
 */
interface Pep440 {
  epoch: string;
  /** release segments with trailing zeros removed */
  release: string[];
  /** pre-release: rank 0 a, 1 b, 2 rc */
  pre?: { rank: number; n: string };
  post?: string;
  dev?: string;
  /** local segments, lower-cased; numeric ones stay digit strings */
  local?: string[];
}

const PEP440_RE =
  /^v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?(?:[-_.]?(dev)[-_.]?([0-9]+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/;

const PRE_RANK: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

export function parsePep440(version: string): Pep440 | undefined {
  const m = PEP440_RE.exec(version.trim().toLowerCase());
  if (!m) return undefined;
  const release = m[2]!.split(".");
  while (release.length > 1 && /^0+$/.test(release[release.length - 1]!)) release.pop();
  if (release.length === 1 && /^0+$/.test(release[0]!)) release.length = 0;
  const v: Pep440 = { epoch: m[1] ?? "0", release };
  if (m[3] !== undefined) v.pre = { rank: PRE_RANK[m[3]]!, n: m[4] ?? "0" };
  if (m[5] !== undefined) v.post = m[5];
  else if (m[6] !== undefined) v.post = m[7] ?? "0";
  if (m[8] !== undefined) v.dev = m[9] ?? "0";
  if (m[10] !== undefined) v.local = m[10].split(/[-_.]/);
  return v;
}

const isNum = (s: string) => /^[0-9]+$/.test(s);

function compareRelease(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i] ?? "0", b[i] ?? "0");
    if (c) return c;
  }
  return 0;
}

/** Pre-release key: a dev release with no pre/post sorts before any pre-release; a final after them. */
function preKey(v: Pep440): [number, string] {
  if (v.pre) return [v.pre.rank, v.pre.n];
  if (v.post === undefined && v.dev !== undefined) return [-1, "0"];
  return [3, "0"];
}

function compareOptional(a: string | undefined, b: string | undefined, missingIsHigh: boolean): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return missingIsHigh ? 1 : -1;
  if (b === undefined) return missingIsHigh ? -1 : 1;
  return compareDigits(a, b);
}

function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = isNum(x);
    const yn = isNum(y);
    // numeric segments sort after alphanumeric ones
    const c = xn && yn ? compareDigits(x, y) : xn ? 1 : yn ? -1 : compareStrings(x, y);
    if (c) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function comparePep440(a: Pep440, b: Pep440): number {
  let c = compareDigits(a.epoch, b.epoch) || compareRelease(a.release, b.release);
  if (c) return c;
  const [ar, an] = preKey(a);
  const [br, bn] = preKey(b);
  c = ar !== br ? (ar < br ? -1 : 1) : compareDigits(an, bn);
  if (c) return c;
  return (
    compareOptional(a.post, b.post, false) ||
    compareOptional(a.dev, b.dev, true) ||
    compareLocal(a.local, b.local)
  );
}

const parse = memoParse(parsePep440);
const get = (v: string): Pep440 => {
  const p = parse(v);
  if (!p) throw new InvalidVersionError("PyPI", v);
  return p;
};

export const pypi: VersionScheme = {
  ecosystems: ["PyPI"],
  valid: (v) => parse(v) !== undefined,
  compare: (a, b) => comparePep440(get(a), get(b)),
};
