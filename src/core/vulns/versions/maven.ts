import { InvalidVersionError, type VersionScheme } from "./types.js";
import { compareDigits, compareStrings, memoParse } from "./util.js";

/**
 * Maven's ComparableVersion ordering (maven-artifact 3.x, the algorithm the
 * Maven "Version Order Specification" describes): lower-cased, split into
 * items on `.`, `-` and digit/letter transitions, where `-` and a transition
 * open a nested list; trailing "null" items (0, "", "ga", "final",
 * "release") are dropped so `1` == `1.0` == `1.0.0` == `1.0-ga`.
 * Qualifiers: alpha < beta < milestone < rc = cr < snapshot < "" = ga =
 * final = release < sp, then unknown qualifiers, lexically. `a1`, `b1`, `m1`
 * stand for alpha-1, beta-1, milestone-1. A number is above any qualifier.
 *
 * ComparableVersion accepts any string; valid() additionally requires a digit
 * and only letters, digits, `.`, `-`, `_` and `+`, to tell garbage apart.
 */
type Item = { t: "int"; v: string } | { t: "str"; v: string } | { t: "list"; v: Item[] };

const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const ALIASES: Record<string, string> = { ga: "", final: "", release: "", cr: "rc" };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(""));

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === "a") v = "alpha";
    else if (v === "b") v = "beta";
    else if (v === "m") v = "milestone";
  }
  return { t: "str", v: ALIASES[v] ?? v };
}

const intItem = (digits: string): Item => ({ t: "int", v: digits.replace(/^0+(?=.)/, "") });

function isNull(item: Item): boolean {
  if (item.t === "int") return item.v === "0";
  if (item.t === "str") return comparableQualifier(item.v) === RELEASE_INDEX;
  return item.v.length === 0;
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.t !== "list") break;
  }
}

const isDigitChar = (c: string) => c >= "0" && c <= "9";

export function parseMaven(version: string): Item[] {
  const s = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const parseItem = (digit: boolean, buf: string): Item => (digit ? intItem(buf) : stringItem(buf, false));
  const push = () => {
    const next: Item[] = [];
    list.push({ t: "list", v: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ".") {
      list.push(i === start ? intItem("0") : parseItem(isDigit, s.slice(start, i)));
      start = i + 1;
    } else if (c === "-") {
      list.push(i === start ? intItem("0") : parseItem(isDigit, s.slice(start, i)));
      start = i + 1;
      push();
    } else if (isDigitChar(c)) {
      if (!isDigit && i > start) {
        list.push(stringItem(s.slice(start, i), true));
        start = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, s.slice(start, i)));
        start = i;
        push();
      }
      isDigit = false;
    }
  }
  if (s.length > start) list.push(parseItem(isDigit, s.slice(start)));
  for (let l = stack.pop(); l; l = stack.pop()) normalize(l);
  return root;
}

/** item.compareTo(other) of ComparableVersion; `undefined` is Java's null (a missing item). */
function compareItem(a: Item, b: Item | undefined): number {
  switch (a.t) {
    case "int":
      if (b === undefined) return a.v === "0" ? 0 : 1;
      if (b.t === "int") return compareDigits(a.v, b.v);
      return 1;
    case "str":
      if (b === undefined) return compareStrings(comparableQualifier(a.v), RELEASE_INDEX);
      if (b.t === "int" || b.t === "list") return -1;
      return compareStrings(comparableQualifier(a.v), comparableQualifier(b.v));
    case "list":
      if (b === undefined) return a.v.length === 0 ? 0 : compareItem(a.v[0]!, undefined);
      if (b.t === "int") return -1;
      if (b.t === "str") return 1;
      return compareLists(a.v, b.v);
  }
}

export function compareLists(a: readonly Item[], b: readonly Item[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a[i];
    const r = b[i];
    const c = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
    if (c) return c < 0 ? -1 : 1;
  }
  return 0;
}

const VALID_RE = /^[0-9A-Za-z._+-]*[0-9][0-9A-Za-z._+-]*$/;

const parse = memoParse((v: string) => {
  const t = v.trim();
  return VALID_RE.test(t) ? parseMaven(t) : undefined;
});
const get = (v: string): Item[] => {
  const p = parse(v);
  if (!p) throw new InvalidVersionError("Maven", v);
  return p;
};

export const maven: VersionScheme = {
  ecosystems: ["Maven"],
  valid: (v) => parse(v) !== undefined,
  compare: (a, b) => compareLists(get(a), get(b)),
};
