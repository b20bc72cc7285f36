/**
 * OSV advisories (https://ossf.github.io/osv-schema/): the subset this tool
 * reads, validated, and the OSV evaluation of whether a package version is
 * affected. Version ordering comes from a VersionScheme passed in; nothing
 * here compares version strings itself.
 */
import { z } from "zod";
import type { VersionScheme } from "./versions/types.js";

const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not an RFC 3339 timestamp");
const nonEmpty = z.string().min(1, "must not be empty");

const OsvEvent = z
  .object({
    introduced: nonEmpty.optional(),
    fixed: nonEmpty.optional(),
    last_affected: nonEmpty.optional(),
    limit: nonEmpty.optional(),
  })
  .refine(
    (e) => [e.introduced, e.fixed, e.last_affected, e.limit].filter((v) => v !== undefined).length === 1,
    "an event has exactly one of introduced, fixed, last_affected, limit",
  );

const OsvRange = z.object({
  type: z.enum(["SEMVER", "ECOSYSTEM", "GIT"]),
  repo: z.string().optional(),
  events: z.array(OsvEvent).min(1, "a range needs events"),
});

const OsvAffected = z.object({
  package: z.object({ ecosystem: nonEmpty, name: nonEmpty, purl: z.string().optional() }),
  ranges: z.array(OsvRange).optional(),
  versions: z.array(z.string()).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

const OsvAdvisory = z.object({
  id: nonEmpty,
  modified: timestamp,
  published: timestamp.optional(),
  withdrawn: timestamp.optional(),
  aliases: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(z.object({ type: nonEmpty, score: nonEmpty })).optional(),
  // OSV makes `affected` optional (some withdrawn records have none); none matches nothing
  affected: z.array(OsvAffected).default([]),
  database_specific: z
    .looseObject({ severity: z.string().optional().catch(undefined) })
    .optional(),
});

export type OsvEvent = z.infer<typeof OsvEvent>;
export type OsvRange = z.infer<typeof OsvRange>;
export type Affected = z.infer<typeof OsvAffected>;
export type Advisory = z.infer<typeof OsvAdvisory>;

/** An advisory that is not valid OSV: which file, where in it, and why. */
export class AdvisoryError extends Error {
  constructor(
    readonly file: string,
    /** JSON path of the problem, e.g. `$.affected[0].ranges[1].events[2]` */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${file}: ${path}: ${reason}`);
    this.name = "AdvisoryError";
  }
}

function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Validates one advisory (already JSON-parsed) read from `file`; throws AdvisoryError. */
export function parseAdvisory(json: unknown, file: string): Advisory {
  const result = OsvAdvisory.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new AdvisoryError(file, "$", "invalid advisory");
  throw new AdvisoryError(file, jsonPath(issue.path), issue.message);
}

/** Whether the advisory has been withdrawn (it then matches nothing). */
export function isWithdrawn(advisory: Pick<Advisory, "withdrawn">): boolean {
  return advisory.withdrawn !== undefined;
}

/**
 * A package name as the ecosystem compares it: PyPI names normalised per
 * PEP 503 (case-insensitive, runs of `-`, `_`, `.` equal), others exact.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  if (ecosystem === "PyPI" || ecosystem.startsWith("PyPI:")) return name.toLowerCase().replace(/[-_.]+/g, "-");
  return name;
}

/**
 * Whether an advisory's ecosystem is the one asked for: the same, or a
 * release of it when asked for the bare ecosystem ("Debian:12" for "Debian").
 */
function sameEcosystem(advisoryEcosystem: string, ecosystem: string): boolean {
  return advisoryEcosystem === ecosystem || (!ecosystem.includes(":") && advisoryEcosystem.startsWith(`${ecosystem}:`));
}

/**
 * The `affected[]` entries of an advisory about one package; none for a
 * withdrawn advisory.
 */
export function affectedVersions(advisory: Pick<Advisory, "withdrawn" | "affected">, ecosystem: string, name: string): Affected[] {
  if (isWithdrawn(advisory)) return [];
  const wanted = normalizePackageName(ecosystem, name);
  return advisory.affected.filter(
    (a) =>
      sameEcosystem(a.package.ecosystem, ecosystem) &&
      normalizePackageName(a.package.ecosystem, a.package.name) === wanted,
  );
}

/**
 * The version as the scheme can order it, or undefined. OSV SEMVER events
 * carry no `v` (Go advisories say "2.2.8" where go.mod says "v2.2.8"), so a
 * leading `v` is dropped or added when that is what makes it valid.
 */
export function orderable(version: string, scheme: VersionScheme): string | undefined {
  if (scheme.valid(version)) return version;
  if (/^v\d/.test(version) && scheme.valid(version.slice(1))) return version.slice(1);
  if (/^\d/.test(version) && scheme.valid(`v${version}`)) return `v${version}`;
  return undefined;
}

interface SortedEvent {
  kind: "introduced" | "fixed" | "last_affected" | "limit";
  /** the version as written in the advisory */
  raw: string;
  /** the version as the scheme orders it; undefined for introduced "0" */
  version: string | undefined;
}

/** Sorted events per range and scheme: a scan evaluates the same advisory for many versions. */
const sortedCache = new WeakMap<OsvRange, { scheme: VersionScheme; events: SortedEvent[] | undefined }>();

/**
 * The events of a SEMVER/ECOSYSTEM range sorted by version (introduced "0"
 * first), or undefined when one of its versions cannot be ordered: such a
 * range cannot be evaluated and is passed over.
 */
function sortedEvents(range: OsvRange, scheme: VersionScheme): SortedEvent[] | undefined {
  const cached = sortedCache.get(range);
  if (cached?.scheme === scheme) return cached.events;
  const events = sortEvents(range, scheme);
  sortedCache.set(range, { scheme, events });
  return events;
}

function sortEvents(range: OsvRange, scheme: VersionScheme): SortedEvent[] | undefined {
  const events: SortedEvent[] = [];
  for (const e of range.events) {
    const kind = e.introduced !== undefined ? "introduced" : e.fixed !== undefined ? "fixed" : e.last_affected !== undefined ? "last_affected" : "limit";
    const raw = (e.introduced ?? e.fixed ?? e.last_affected ?? e.limit)!;
    if (kind === "introduced" && raw === "0") {
      events.push({ kind, raw, version: undefined });
      continue;
    }
    const version = orderable(raw, scheme);
    if (version === undefined) return undefined;
    events.push({ kind, raw, version });
  }
  // stable sort: events at the same version keep the advisory's order
  return events.sort((a, b) => {
    if (a.version === undefined) return b.version === undefined ? 0 : -1;
    if (b.version === undefined) return 1;
    return scheme.compare(a.version, b.version);
  });
}

/** The OSV evaluation of one SEMVER/ECOSYSTEM range (spec, "Evaluation"). */
function inRange(version: string, events: readonly SortedEvent[], scheme: VersionScheme): boolean {
  const limits = events.filter((e) => e.kind === "limit");
  // with limits, only versions below one of them can be affected
  if (limits.length > 0 && !limits.some((l) => scheme.compare(version, l.version!) < 0)) return false;
  let affected = false;
  for (const e of events) {
    if (e.kind === "introduced") {
      if (e.version === undefined || scheme.compare(version, e.version) >= 0) affected = true;
    } else if (e.kind === "fixed") {
      if (scheme.compare(version, e.version!) >= 0) affected = false;
    } else if (e.kind === "last_affected") {
      if (scheme.compare(version, e.version!) > 0) affected = false;
    }
  }
  return affected;
}

function matches(version: string, affected: Affected, scheme: VersionScheme, ranges: (SortedEvent[] | undefined)[]): boolean {
  for (const listed of affected.versions ?? []) {
    if (listed === version) return true;
    const a = orderable(listed, scheme);
    const b = orderable(version, scheme);
    if (a !== undefined && b !== undefined && scheme.compare(a, b) === 0) return true;
  }
  const ordered = orderable(version, scheme);
  if (ordered === undefined) return false;
  return ranges.some((events) => events !== undefined && inRange(ordered, events, scheme));
}

const rangesCache = new WeakMap<Affected, { scheme: VersionScheme; ranges: (SortedEvent[] | undefined)[] }>();

/** The SEMVER/ECOSYSTEM ranges of an entry, each sorted (computed once per entry and scheme). */
function rangesOf(affected: Affected, scheme: VersionScheme): (SortedEvent[] | undefined)[] {
  const cached = rangesCache.get(affected);
  if (cached?.scheme === scheme) return cached.ranges;
  const ranges = (affected.ranges ?? []).filter((r) => r.type !== "GIT").map((r) => sortedEvents(r, scheme));
  rangesCache.set(affected, { scheme, ranges });
  return ranges;
}

/**
 * Whether `version` of the package is affected: listed in `versions[]`, or
 * inside a SEMVER/ECOSYSTEM range (introduced inclusive, "0" meaning from the
 * beginning; fixed exclusive; last_affected inclusive; limit exclusive). GIT
 * ranges are about commits and are ignored, as are ranges with a version the
 * scheme cannot order. When affected, `fixed` is the smallest fixed version
 * above the installed one that is not itself affected (else the smallest one
 * above it), as the advisory writes it.
 */
export function isAffected(affected: Affected, version: string, scheme: VersionScheme): { affected: boolean; fixed?: string } {
  const ranges = rangesOf(affected, scheme);
  if (!matches(version, affected, scheme, ranges)) return { affected: false };

  const installed = orderable(version, scheme);
  if (installed === undefined) return { affected: true };
  const candidates = ranges
    .flatMap((events) => events ?? [])
    .filter((e) => e.kind === "fixed" && scheme.compare(e.version!, installed) > 0)
    .sort((a, b) => scheme.compare(a.version!, b.version!));
  const clean = candidates.find((e) => !matches(e.version!, affected, scheme, ranges));
  const fixed = (clean ?? candidates[0])?.raw;
  return fixed === undefined ? { affected: true } : { affected: true, fixed };
}
