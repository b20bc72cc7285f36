import { debian, ubuntu } from "./dpkg.js";
import { go } from "./go.js";
import { maven } from "./maven.js";
import { packagist } from "./packagist.js";
import { pypi } from "./pep440.js";
import { rubygems } from "./rubygems.js";
import { cratesIo, npm } from "./semver.js";
import type { VersionScheme } from "./types.js";

export { InvalidVersionError, type VersionScheme } from "./types.js";
export { cratesIo, debian, go, maven, npm, packagist, pypi, rubygems, ubuntu };

/** Every scheme, one per OSV ecosystem served. */
export const schemes: readonly VersionScheme[] = [npm, cratesIo, pypi, go, rubygems, packagist, maven, debian, ubuntu];

const byEcosystem = new Map<string, VersionScheme>();
const byLowerCase = new Map<string, VersionScheme>();
for (const s of schemes) {
  for (const e of s.ecosystems) {
    byEcosystem.set(e, s);
    byLowerCase.set(e.toLowerCase(), s);
  }
}

/**
 * The version scheme of an OSV ecosystem name ("npm", "PyPI", "Go",
 * "crates.io", "RubyGems", "Packagist", "Maven", "Debian", "Ubuntu").
 * A release suffix ("Debian:12", "Ubuntu:22.04:LTS") selects the base
 * ecosystem's scheme; names are matched exactly first, then ignoring case.
 * Undefined for ecosystems with no scheme here.
 */
export function schemeFor(ecosystem: string): VersionScheme | undefined {
  const name = ecosystem.trim();
  const exact = byEcosystem.get(name);
  if (exact) return exact;
  const colon = name.indexOf(":");
  const base = colon >= 0 ? name.slice(0, colon) : name;
  return byEcosystem.get(base) ?? byLowerCase.get(base.toLowerCase());
}
