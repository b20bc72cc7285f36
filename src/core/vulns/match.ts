/**
 * Matching packages to advisories. One package version is evaluated once
 * (results are cached by ecosystem, name and version), so scanning a
 * million package instances costs as many evaluations as there are distinct
 * versions. Advisories that name each other (a GHSA and its CVE, a PYSEC
 * record and its GHSA) are merged into one vulnerability.
 */
import type { Severity } from "./cvss.js";
import { type AdvisoryDb, baseEcosystem, type StoredAdvisory } from "./db.js";
import { type Affected, affectedVersions, isAffected, orderable } from "./osv.js";
import { schemeFor } from "./versions/index.js";
import type { VersionScheme } from "./versions/types.js";

export type VulnSeverity = Exclude<Severity, "none"> | "unknown";

/** Most severe first. */
export const SEVERITY_ORDER: readonly VulnSeverity[] = ["critical", "high", "medium", "low", "unknown"];

export function severityRank(s: VulnSeverity): number {
  return SEVERITY_ORDER.indexOf(s);
}

/** One vulnerability affecting one package version. */
export interface VulnHit {
  /** the vulnerability's id: the preferred advisory id of its alias group */
  id: string;
  /** every advisory id of the group in the database, sorted */
  advisoryIds: string[];
  /** other names of it (CVE ids...), not themselves in the database, sorted */
  aliases: string[];
  summary: string;
  severity: VulnSeverity;
  /** CVSS base score, when known */
  score?: number;
  /** the smallest version that fixes every advisory of the group, as written; undefined when none is known */
  fixed?: string;
  /** newest `modified` of the group, epoch ms */
  modified: number;
  /** earliest `published` of the group, epoch ms */
  published?: number;
}

/** How the graph and the extractors name ecosystems, mapped to OSV's names. */
const OSV_ECOSYSTEMS: Record<string, string> = {
  npm: "npm",
  pypi: "PyPI",
  go: "Go",
  golang: "Go",
  cargo: "crates.io",
  "crates.io": "crates.io",
  rubygems: "RubyGems",
  gem: "RubyGems",
  packagist: "Packagist",
  composer: "Packagist",
  maven: "Maven",
  deb: "Debian",
  debian: "Debian",
  ubuntu: "Ubuntu",
};

/**
 * The OSV ecosystem of a package's `ecosystem` property (`npm`, `pypi`,
 * `cargo`, `deb`, `Debian:12`...); undefined when not served.
 */
export function osvEcosystem(ecosystem: string): string | undefined {
  // a release stays ("Debian:12" is not every Debian)
  const colon = ecosystem.indexOf(":");
  const base = colon >= 0 ? ecosystem.slice(0, colon) : ecosystem;
  const release = colon >= 0 ? ecosystem.slice(colon) : "";
  const known = OSV_ECOSYSTEMS[base.toLowerCase()] ?? schemeFor(base)?.ecosystems[0];
  return known === undefined ? undefined : `${known}${release}`;
}

/** Non-CVE ids first (they are the ecosystem's own records), then by id. */
function preferredId(a: string, b: string): number {
  const ca = a.startsWith("CVE-") ? 1 : 0;
  const cb = b.startsWith("CVE-") ? 1 : 0;
  if (ca !== cb) return ca - cb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function worse(a: VulnSeverity, b: VulnSeverity): VulnSeverity {
  return severityRank(a) <= severityRank(b) ? a : b;
}

/** No vulnerabilities (shared: never modified). */
const NONE: VulnHit[] = Object.freeze([]) as unknown as VulnHit[];

interface Candidate {
  stored: StoredAdvisory;
  entries: Affected[];
}

interface PackageEntry {
  candidates: Candidate[];
  byVersion: Map<string, VulnHit[]>;
}

/** The entry of every package no advisory is about (shared: most packages). */
const NO_ADVISORIES: PackageEntry = Object.freeze({ candidates: [], byVersion: new Map<string, VulnHit[]>() });

interface Single {
  stored: StoredAdvisory;
  fixed?: string;
}

/** Groups advisories that share an id or alias (union-find over their names). */
function groupByAlias(hits: Single[]): Single[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    let node = x;
    while (node !== root) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  for (const h of hits) {
    const id = h.stored.advisory.id;
    union(id, id);
    for (const alias of h.stored.advisory.aliases ?? []) union(id, alias);
  }
  const groups = new Map<string, Single[]>();
  for (const h of hits) {
    const root = find(h.stored.advisory.id);
    const list = groups.get(root);
    if (list) list.push(h);
    else groups.set(root, [h]);
  }
  return [...groups.values()];
}

function merge(group: Single[], scheme: VersionScheme): VulnHit {
  const ids = group.map((h) => h.stored.advisory.id).sort(preferredId);
  const idSet = new Set(ids);
  const aliases = [...new Set(group.flatMap((h) => h.stored.advisory.aliases ?? []))].filter((a) => !idSet.has(a)).sort();
  const main = group.find((h) => h.stored.advisory.id === ids[0])!.stored.advisory;
  let severity: VulnSeverity = "unknown";
  let score: number | undefined;
  let fixed: string | undefined;
  let everyFixed = true;
  let modified = 0;
  let published: number | undefined;
  for (const h of group) {
    const s = h.stored.severity;
    if (s && s.severity !== "none") severity = severity === "unknown" ? s.severity : worse(severity, s.severity);
    if (s?.score !== undefined) score = Math.max(score ?? 0, s.score);
    if (h.fixed === undefined) everyFixed = false;
    else if (fixed === undefined || compareLoose(scheme, h.fixed, fixed) > 0) fixed = h.fixed;
    modified = Math.max(modified, h.stored.modifiedOn);
    const p = h.stored.publishedOn;
    if (p !== undefined) published = published === undefined ? p : Math.min(published, p);
  }
  const summary = main.summary ?? group.find((h) => h.stored.advisory.summary)?.stored.advisory.summary ?? "";
  return {
    id: ids[0]!,
    advisoryIds: [...ids].sort(),
    aliases,
    summary,
    severity,
    ...(score !== undefined ? { score } : {}),
    // a group where one advisory has no fix has no version that fixes it all
    ...(fixed !== undefined && everyFixed ? { fixed } : {}),
    modified,
    ...(published !== undefined ? { published } : {}),
  };
}

/** Compare two versions as the scheme does, tolerating a `v` prefix on one side (Go). */
function compareLoose(scheme: VersionScheme, a: string, b: string): number {
  const x = orderable(a, scheme);
  const y = orderable(b, scheme);
  if (x !== undefined && y !== undefined) return scheme.compare(x, y);
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Matcher {
  /** per ecosystem, per package name: the advisories about it, and results per version */
  private readonly packages = new Map<string, Map<string, PackageEntry>>();
  /** distinct versions evaluated against advisories (of packages that have some) */
  evaluated = 0;

  private readonly details = new Map<string, string>();

  constructor(private readonly db: AdvisoryDb) {}

  /**
   * The long description of a vulnerability: its own advisory's `details`,
   * else the first of its group that has one. Read only for what is shown.
   */
  detailsOf(hit: Pick<VulnHit, "id" | "advisoryIds">): string {
    let text = this.details.get(hit.id);
    if (text === undefined) {
      text = this.db.details(hit.id);
      for (const id of hit.advisoryIds) if (text === "" && id !== hit.id) text = this.db.details(id);
      this.details.set(hit.id, text);
    }
    return text;
  }

  /**
   * The vulnerabilities affecting `version` of the package, most severe
   * first. `ecosystem` is OSV's name ("npm", "PyPI", "Debian:12"); unknown
   * ecosystems and unorderable versions match nothing.
   */
  match(ecosystem: string, name: string, version: string): VulnHit[] {
    // most packages have no advisory at all: answered without a per-version entry
    const pkg = this.packageFor(ecosystem, name);
    if (pkg.candidates.length === 0) return NONE;
    const cached = pkg.byVersion.get(version);
    if (cached) return cached;
    const hits = this.evaluate(ecosystem, version, pkg.candidates);
    pkg.byVersion.set(version, hits);
    return hits;
  }

  /** Nested maps, not a joined key: a scan asks millions of times and joining strings costs. */
  private packageFor(ecosystem: string, name: string): PackageEntry {
    let byName = this.packages.get(ecosystem);
    if (!byName) {
      byName = new Map();
      this.packages.set(ecosystem, byName);
    }
    let entry = byName.get(name);
    if (entry) return entry;
    if (!schemeFor(ecosystem)) return NO_ADVISORIES;
    const ids = this.db.advisoryIdsFor(baseEcosystem(ecosystem), name);
    // not remembered: the index answers again as fast, and most names have no advisory
    if (ids.length === 0) return NO_ADVISORIES;
    const candidates: Candidate[] = [];
    for (const id of ids) {
      const stored = this.db.get(id);
      if (!stored) continue;
      const entries = affectedVersions(stored.advisory, ecosystem, name);
      if (entries.length > 0) candidates.push({ stored, entries });
    }
    entry = candidates.length === 0 ? NO_ADVISORIES : { candidates, byVersion: new Map() };
    byName.set(name, entry);
    return entry;
  }

  private evaluate(ecosystem: string, version: string, candidates: readonly Candidate[]): VulnHit[] {
    this.evaluated++;
    const scheme = schemeFor(ecosystem);
    if (!scheme) return NONE;
    const singles: Single[] = [];
    for (const { stored, entries } of candidates) {
      let fixed: string | undefined;
      let affected = false;
      for (const entry of entries) {
        const r = isAffected(entry, version, scheme);
        if (!r.affected) continue;
        affected = true;
        if (r.fixed !== undefined && (fixed === undefined || compareLoose(scheme, r.fixed, fixed) > 0)) fixed = r.fixed;
      }
      if (affected) singles.push(fixed === undefined ? { stored } : { stored, fixed });
    }
    return groupByAlias(singles)
      .map((g) => merge(g, scheme))
      .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || preferredId(a.id, b.id));
  }
}
