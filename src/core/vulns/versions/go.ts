import { compareSemver, type SemVer } from "./semver.js";
import { InvalidVersionError, type VersionScheme } from "./types.js";
import { memoParse } from "./util.js";

/**
 * Go module versions (golang.org/x/mod/semver): SemVer with a `v` prefix,
 * which OSV's Go ranges usually leave out (`1.2.3` here equals `v1.2.3` in
 * go.mod). Shorthands `v1` and `v1.2` mean `v1.0.0` and `v1.2.0`, as in
 * semver.Compare. Build metadata, `+incompatible` included, does not take part
 * in the ordering. Pseudo-versions are pre-releases and order as such:
 * `v0.0.0-20191109021931-daa7c04131f5` < `v0.0.1`,
 * `v1.2.3` < `v1.2.4-0.20191109021931-daa7c04131f5` < `v1.2.4`,
 * `v1.2.4-pre` < `v1.2.4-pre.0.20191109021931-daa7c04131f5`.
 */
const NUM = "(?:0|[1-9][0-9]*)";
const PRE_ID = "(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";
const BUILD_ID = "[0-9A-Za-z-]+";
const GO_RE = new RegExp(
  `^v?(${NUM})(?:\\.(${NUM})(?:\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?)?)?$`,
);

export function parseGoVersion(version: string): SemVer | undefined {
  const m = GO_RE.exec(version.trim());
  if (!m) return undefined;
  return {
    major: m[1]!,
    minor: m[2] ?? "0",
    patch: m[3] ?? "0",
    pre: m[4] === undefined ? [] : m[4].split("."),
    build: m[5] ?? "",
  };
}

/** Whether a Go version is a pseudo-version (vX.Y.Z-[pre.]0.yyyymmddhhmmss-rev or vX.0.0-yyyymmddhhmmss-rev). */
export function isPseudoVersion(version: string): boolean {
  return /(?:^|[-.])(?:0\.)?\d{14}-[0-9a-f]{12,}(?:\+incompatible)?$/.test(version.trim()) && parseGoVersion(version) !== undefined;
}

const parse = memoParse(parseGoVersion);
const get = (v: string): SemVer => {
  const p = parse(v);
  if (!p) throw new InvalidVersionError("Go", v);
  return p;
};

export const go: VersionScheme = {
  ecosystems: ["Go"],
  valid: (v) => parse(v) !== undefined,
  compare: (a, b) => compareSemver(get(a), get(b)),
};
