/**
 * An organisation sized by its deferred-maintenance findings rather than its
 * entities (the aggregate rows of issue 18: the dashboard overview, GET
 * /api/v1/stats and dm stats at 1,000,000 findings): 20 campaigns over
 * `findings / 10` repos (4 findings each) and `findings * 0.4` hosts (1.5
 * each), few packages. At 1,000,000 findings: about 1.5M entities and 1.6M
 * relationships.
 */
import type { OrgSize } from "../src/core/sample/generate-org.js";

export function sizeForFindings(findings: number): OrgSize {
  return {
    teams: Math.max(1, Math.round(findings / 5000)),
    people: Math.max(1, Math.round(findings / 200)),
    repos: Math.max(1, Math.round(findings / 10)),
    hosts: Math.round(findings * 0.4),
    packages: 1,
    images: Math.max(1, Math.round(findings / 10000)),
    packagesPerRepo: 0,
    findingsPerRepo: 4,
    findingsPerHost: 1.5,
    campaigns: 20,
  };
}
