import { InvalidVersionError, type VersionScheme } from "./types.js";
import { compareDigits, compareStrings, memoParse } from "./util.js";

/**
 * RubyGems' Gem::Version ordering. A version is `N(.[0-9A-Za-z]+)*` with an
 * optional `-suffix` (read as `.pre.suffix`); it splits into numeric and
 * letter segments (`1.0.b1` is 1, 0, "b", 1). Any letter segment makes it a
 * pre-release, which sorts before the release (`1.0.a` < `1.0`). Trailing
 * zeros of the numeric part and of the part from the first letter segment on
 * are dropped, so `1.0` == `1` and `1.0.a` == `1.a`; missing segments compare
 * as 0, a letter segment is below any number, letter segments compare
 * lexically.
 */
const GEM_RE = /^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** canonical segments: digit strings (leading zeros stripped) and letter strings */
type Segment = { num: true; s: string } | { num: false; s: string };

function dropTrailingZeros(segs: Segment[]): Segment[] {
  let end = segs.length;
  while (end > 0 && segs[end - 1]!.num && segs[end - 1]!.s === "0") end--;
  return segs.slice(0, end);
}

export function parseGemVersion(version: string): Segment[] | undefined {
  const v = version.trim();
  if (!GEM_RE.test(v)) return undefined;
  const raw = v.replaceAll("-", ".pre.").match(/[0-9]+|[a-z]+/gi) ?? [];
  const segs: Segment[] = raw.map((s) =>
    /^[0-9]/.test(s) ? { num: true, s: s.replace(/^0+(?=.)/, "") } : { num: false, s },
  );
  const firstString = segs.findIndex((s) => !s.num);
  if (firstString < 0) return dropTrailingZeros(segs);
  return [...dropTrailingZeros(segs.slice(0, firstString)), ...dropTrailingZeros(segs.slice(firstString))];
}

const ZERO: Segment = { num: true, s: "0" };

export function compareGemSegments(a: readonly Segment[], b: readonly Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? ZERO;
    const y = b[i] ?? ZERO;
    if (x.num && y.num) {
      const c = compareDigits(x.s, y.s);
      if (c) return c;
    } else if (x.num) return 1;
    else if (y.num) return -1;
    else {
      const c = compareStrings(x.s, y.s);
      if (c) return c;
    }
  }
  return 0;
}

const parse = memoParse(parseGemVersion);
const get = (v: string): Segment[] => {
  const p = parse(v);
  if (!p) throw new InvalidVersionError("RubyGems", v);
  return p;
};

export const rubygems: VersionScheme = {
  ecosystems: ["RubyGems"],
  valid: (v) => parse(v) !== undefined,
  compare: (a, b) => compareGemSegments(get(a), get(b)),
};
