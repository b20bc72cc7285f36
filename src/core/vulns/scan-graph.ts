/**
 * `dm vulns scan`: every package in the graph that a repository or host
 * uses, matched against the advisory database, kept as findings.
 *
 * - A vulnerability is one maintenance item (its id derived from the
 *   vulnerability id); each affected asset gets a finding on it
 *   (`<asset> -HAS-> deferred_maintenance`, `kind: vulnerability`) due by the
 *   severity SLA (the SLA policy, shorter on exposed assets), so `dm`, `dm list`, `dm close`, `dm check` and `dm stats`
 *   work on them as on any maintenance.
 * - Tracked by evidence: an open finding whose asset no longer has a
 *   vulnerable version is closed COMPLETE saying what changed; a finding
 *   closed COMPLETE whose vulnerability is back is reopened with a new due
 *   date. ERROR stays closed (someone judged the finding wrong);
 *   RISK_ACCEPTED stays closed until it expires (reconcile reopens it).
 * - The ignore list closes a matching open finding as RISK_ACCEPTED until the
 *   rule's date, with its reason; when the rule expires the finding reopens.
 * - Nothing is closed as fixed while some source's latest sync did not
 *   succeed: a package missing from a partial sync is not a fix.
 * - `Vulnerability` entities and `package -HAS-> Vulnerability` edges are
 *   written as a run of the `vulns` source, so those no longer found are
 *   marked deleted.
 */
import { createHash } from "node:crypto";
import { runQuery } from "../../query/run.js";
import type { EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";
import { closeFinding, type FindingRow, loadFindingRows, recordOf, reopenFinding } from "../maintenance/close.js";
import { isoDate } from "../maintenance/due.js";
import { FINDING_TYPE, type Finding, type FindingProps, findingEdge, findingKey, findingRecord, SHORT_DESCRIPTION_MAX } from "../maintenance/finding.js";
import { lookupOwners, writeFindings } from "../maintenance/open.js";
import { syncState } from "../maintenance/reconcile.js";
import { exposureFactor, exposureOf } from "../sla/policy.js";
import { type IgnoreRule, ignoreRuleFor, type VulnsConfig } from "./config.js";
import { type Matcher, osvEcosystem, severityRank, type VulnHit, type VulnSeverity } from "./match.js";
import { advisoryUrl } from "./sarif.js";

/** The source (and sync-run integration) of what a scan writes besides findings. */
export const VULNS_SOURCE = "vulns";
export const VULNERABILITY_TYPE = "vulnerability";
/** `kind` of a finding opened by a scan */
export const VULN_FINDING_KIND = "vulnerability";

export interface GraphScanOptions {
  now: number;
  /** who opens, closes and reopens: "dm" */
  actor?: string;
  /** the person or job that ran the scan, for the audit log */
  ranBy?: string;
  config: VulnsConfig;
  onProgress?: (done: number, total: number) => void;
}

export interface VulnFindingSummary {
  vulnerabilityId: string;
  maintenanceId: string;
  severity: VulnSeverity;
  entityKey: string;
  entityName: string;
  package: string;
  installedVersion: string;
  fixedVersion?: string;
  dueDate: number;
}

export interface GraphScanResult {
  /** asset-package pairs checked */
  instances: number;
  /** distinct versions evaluated against advisories (of packages that have some) */
  packages: number;
  /** distinct vulnerabilities found (not counting ignored ones) */
  vulnerabilities: number;
  opened: number;
  reopened: number;
  /** closed as fixed */
  closed: number;
  /** open findings closed as accepted by the ignore list */
  accepted: number;
  /** findings rewritten because what the scan found about them changed (versions, severity, due date) */
  updated: number;
  /** open vulnerability findings after the scan, most severe first */
  open: VulnFindingSummary[];
  ignored: { vulnerabilityId: string; entityKey: string; package: string; reason: string; until: number }[];
  expiredIgnores: IgnoreRule[];
  /** set when closing was skipped: the sync run that did not succeed */
  closingSkipped?: { syncRun: string; status: string };
}

/** One package an asset uses, as the graph has it. */
interface Use {
  assetId: string;
  assetKey: string;
  assetType: string;
  assetName: string;
  ownerProp?: string;
  packageKey: string;
  packageType: string;
  name: string;
  version: string;
  ecosystem: string;
  manifest?: string;
}

/** One vulnerable package in one asset. */
interface Hit {
  use: Use;
  vuln: VulnHit;
}

const maintenanceIds = new Map<string, string>();

/** The maintenance item id of a vulnerability: 8 hex digits derived from its id. */
export function vulnMaintenanceId(vulnerabilityId: string): string {
  let id = maintenanceIds.get(vulnerabilityId);
  if (id === undefined) {
    id = createHash("sha256").update(`vulnerability\n${vulnerabilityId}`).digest("hex").slice(0, 8);
    if (maintenanceIds.size > 100_000) maintenanceIds.clear();
    maintenanceIds.set(vulnerabilityId, id);
  }
  return id;
}

export function vulnerabilityKey(vulnerabilityId: string): string {
  return `${VULNERABILITY_TYPE}:${vulnerabilityId}`;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * The OSV ecosystem of a host's Debian packages, from its OS version:
 * "Debian GNU/Linux 12 (bookworm)" -> Debian:12 (advisories of that release
 * only), Ubuntu -> Ubuntu (any release), unknown -> Debian (any release).
 */
export function debianEcosystem(osVersion: string | undefined): string {
  if (osVersion === undefined) return "Debian";
  if (/^ubuntu/i.test(osVersion)) return "Ubuntu";
  const release = /^debian\b\D*?(\d+)/i.exec(osVersion);
  return release ? `Debian:${release[1]}` : "Debian";
}

/** Every (asset, package) pair: repositories USE packages, hosts HAVE them. */
async function loadUses(store: GraphStore, now: number): Promise<Use[]> {
  const result = await runQuery(
    store,
    "Find (CodeRepo|Host) as a that (USES|HAS) as u (CodeModule|Package) as p " +
      "return a._id, a._key, a._type, a.displayName, a.name, a.owner, a.osVersion, p._key, p._type, p.name, p.version, p.ecosystem, u.manifest",
    { now, all: true },
  );
  if (result.type !== "table") throw new Error("unreachable: a RETURN query is a table");
  const uses: Use[] = [];
  for (const row of result.data) {
    const name = str(row["p.name"]);
    const version = str(row["p.version"]);
    const packageType = String(row["p._type"]);
    // the ecosystem property, else the type's prefix (`deb_package` -> deb)
    const ecosystem =
      str(row["p.ecosystem"]) ??
      (packageType === "deb_package" ? debianEcosystem(str(row["a.osVersion"])) : undefined) ??
      (packageType.endsWith("_package") ? packageType.slice(0, -"_package".length) : undefined);
    if (!name || !version || !ecosystem) continue;
    const manifest = str(row["u.manifest"]);
    const owner = str(row["a.owner"]);
    uses.push({
      assetId: String(row["a._id"]),
      assetKey: String(row["a._key"]),
      assetType: String(row["a._type"]),
      assetName: str(row["a.displayName"]) ?? str(row["a.name"]) ?? String(row["a._key"]),
      ...(owner ? { ownerProp: owner } : {}),
      packageKey: String(row["p._key"]),
      packageType,
      name,
      version,
      ecosystem,
      ...(manifest ? { manifest } : {}),
    });
  }
  return uses;
}

function shortDescriptionFor(vuln: VulnHit, packageName: string): string {
  const text = `${vuln.id} in ${packageName}`;
  return text.length <= SHORT_DESCRIPTION_MAX ? text : `${text.slice(0, SHORT_DESCRIPTION_MAX - 1)}…`;
}

function descriptionFor(vuln: VulnHit, details: string, hits: readonly Hit[]): string {
  const lines = [vuln.summary || vuln.id];
  if (vuln.aliases.length > 0) lines.push(`Also known as ${vuln.aliases.join(", ")}.`);
  for (const h of hits) {
    const where = h.use.manifest ? ` (${h.use.manifest})` : "";
    lines.push(`${h.use.name} ${h.use.version}${where}: ${vuln.fixed ? `upgrade to ${vuln.fixed} or later` : "no fixed version is known"}.`);
  }
  if (details) lines.push("", details);
  return lines.join("\n");
}

function byPackage(a: Hit, b: Hit): number {
  const ka = `${a.use.name}\u0000${a.use.version}\u0000${a.use.manifest ?? ""}`;
  const kb = `${b.use.name}\u0000${b.use.version}\u0000${b.use.manifest ?? ""}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Properties a scan sets on a finding from what it found now. */
function scanProps(vuln: VulnHit, unsorted: readonly Hit[]): Record<string, unknown> {
  const hits = [...unsorted].sort(byPackage);
  const first = hits[0]!.use;
  return {
    kind: VULN_FINDING_KIND,
    ruleId: vuln.id,
    vulnerabilityId: vuln.id,
    severity: vuln.severity,
    ...(vuln.score !== undefined ? { cvssScore: vuln.score } : {}),
    aliases: vuln.aliases,
    package: first.name,
    ecosystem: first.ecosystem,
    installedVersion: first.version,
    ...(vuln.fixed ? { fixedVersion: vuln.fixed } : {}),
    ...(first.manifest ? { manifest: first.manifest } : {}),
    packages: hits.map((h) => `${h.use.name}@${h.use.version}`),
  };
}

function evidenceOfFix(finding: Finding, raw: Record<string, unknown>, usesOfAsset: readonly Use[] | undefined, day: string): string {
  const pkg = str(raw.package);
  const was = str(raw.installedVersion);
  if (!pkg) return `no longer found on ${day}`;
  const now = (usesOfAsset ?? []).filter((u) => u.name === pkg).map((u) => u.version);
  if (now.length === 0) return `${pkg} is no longer used (scan of ${day})`;
  if (was && now.includes(was)) return `${str(raw.vulnerabilityId) ?? finding.maintenanceId} no longer applies to ${pkg} ${was} (advisory withdrawn or changed; scan of ${day})`;
  return `${pkg} is ${[...new Set(now)].sort().join(", ")} now${was ? ` (was ${was})` : ""} (scan of ${day})`;
}

export async function scanGraph(store: GraphStore, matcher: Matcher, options: GraphScanOptions): Promise<GraphScanResult> {
  const { now, config } = options;
  const actor = options.actor ?? "dm";
  const day = isoDate(now);
  const uses = await loadUses(store, now);

  // 1. Match, grouping hits by (vulnerability, asset).
  const usesByAsset = new Map<string, Use[]>();
  const hitsByFinding = new Map<string, { vuln: VulnHit; hits: Hit[] }>();
  const vulns = new Map<string, VulnHit>();
  const vulnerablePackages = new Map<string, Set<string>>();
  const ignored: GraphScanResult["ignored"] = [];
  const ignoredFindings = new Map<string, IgnoreRule>();
  const expired = new Set<IgnoreRule>();
  for (const [i, use] of uses.entries()) {
    if (i % 10_000 === 0) options.onProgress?.(i, uses.length);
    const list = usesByAsset.get(use.assetKey);
    if (list) list.push(use);
    else usesByAsset.set(use.assetKey, [use]);
    const ecosystem = osvEcosystem(use.ecosystem);
    if (!ecosystem) continue;
    for (const vuln of matcher.match(ecosystem, use.name, use.version)) {
      const key = findingKey(vulnMaintenanceId(vuln.id), use.assetKey);
      const verdict = ignoreRuleFor(config.ignore, vuln, use.name, now);
      if (verdict && !verdict.expired) {
        ignored.push({ vulnerabilityId: vuln.id, entityKey: use.assetKey, package: use.name, reason: verdict.rule.reason, until: verdict.rule.until });
        ignoredFindings.set(key, verdict.rule);
        continue;
      }
      if (verdict?.expired) expired.add(verdict.rule);
      vulns.set(vuln.id, vuln);
      const pk = vulnerablePackages.get(vuln.id) ?? new Set<string>();
      pk.add(use.packageKey);
      vulnerablePackages.set(vuln.id, pk);
      const group = hitsByFinding.get(key);
      if (group) group.hits.push({ use, vuln });
      else hitsByFinding.set(key, { vuln, hits: [{ use, vuln }] });
    }
  }
  options.onProgress?.(uses.length, uses.length);
  // a finding covered by an ignore rule for one package but hit through another is not ignored
  for (const key of hitsByFinding.keys()) ignoredFindings.delete(key);

  // 2. Compare with the findings scans opened before.
  const existing = new Map<string, FindingRow>();
  for (const row of await loadFindingRows(store, `Find ${FINDING_TYPE} with kind = '${VULN_FINDING_KIND}'`, now)) {
    existing.set(row.finding.key, row);
  }
  // The SLA: the period of the severity, shortened on exposed assets (the policy's exposure rules).
  const policy = config.policy;
  const exposure =
    policy && policy.exposure.length > 0
      ? await exposureOf(store, policy, [...new Set([...hitsByFinding.values()].map((g) => g.hits[0]!.use.assetId))], now)
      : new Map<string, string | undefined>();
  const periodFor = (vuln: VulnHit, assetId: string): number => {
    const name = exposure.get(assetId);
    return name === undefined || !policy ? config.sla[vuln.severity] : Math.round(config.sla[vuln.severity] * exposureFactor(policy, name));
  };
  const sync = await syncState(store);
  const closingAllowed = sync.blocking === undefined;
  const updates: EntityRecord[] = [];
  const edges: RelationshipRecord[] = [];
  const fresh: { key: string; vuln: VulnHit; hits: Hit[] }[] = [];
  let reopened = 0;
  let closed = 0;
  let accepted = 0;
  let updated = 0;
  const changedItems = new Map<string, { opened: number; reopened: number; closed: number; accepted: number }>();
  const count = (vulnId: string, what: "opened" | "reopened" | "closed" | "accepted") => {
    const c = changedItems.get(vulnId) ?? { opened: 0, reopened: 0, closed: 0, accepted: 0 };
    c[what]++;
    changedItems.set(vulnId, c);
  };

  for (const [key, { vuln, hits }] of hitsByFinding) {
    const row = existing.get(key);
    if (!row) {
      fresh.push({ key, vuln, hits });
      count(vuln.id, "opened");
      continue;
    }
    const props = scanProps(vuln, hits);
    let finding = row.finding;
    const period = periodFor(vuln, hits[0]!.use.assetId);
    // from when it was found, plus the time the clock stood still while the risk was accepted
    const due = finding.createdOn + period + (finding.pausedMs ?? 0);
    if (finding.closed && finding.closeReason === "COMPLETE") {
      finding = reopenFinding(finding, now, `${hits[0]!.use.name} ${hits[0]!.use.version} found again (scan of ${day})`);
      finding.dueDate = now + period;
      reopened++;
      count(vuln.id, "reopened");
    } else if (!finding.closed && due < finding.dueDate) {
      // the severity went up: the shorter SLA applies from when it was found
      finding = { ...finding, dueDate: due };
    }
    const propsChanged = Object.entries(props).some(([k, v]) => JSON.stringify(row.raw[k]) !== JSON.stringify(v));
    if (finding !== row.finding || propsChanged) {
      updates.push(recordOf(finding, { ...row.raw, ...props }));
      if (finding === row.finding) updated++;
    }
  }

  for (const [key, row] of existing) {
    const f = row.finding;
    if (f.closed || hitsByFinding.has(key)) continue;
    const rule = ignoredFindings.get(key);
    if (rule) {
      const evidence = `on the ignore list: ${rule.reason}`;
      updates.push(recordOf(closeFinding(f, { reason: "RISK_ACCEPTED", actor: "dm.config.yaml ignore list", now, until: rule.until, evidence }), row.raw));
      accepted++;
      count(str(row.raw.vulnerabilityId) ?? f.maintenanceId, "accepted");
      continue;
    }
    if (!closingAllowed) continue;
    const evidence = evidenceOfFix(f, row.raw, usesByAsset.get(f.entityKey), day);
    updates.push(recordOf(closeFinding(f, { reason: "COMPLETE", actor, now, evidence }), row.raw));
    closed++;
    count(str(row.raw.vulnerabilityId) ?? f.maintenanceId, "closed");
  }

  // 3. New findings.
  const owners = await lookupOwners(store, [...new Set(fresh.map((f) => f.hits[0]!.use.assetId))]);
  for (const { key, vuln, hits } of fresh) {
    const use = hits[0]!.use;
    const owner = owners.get(use.assetId) ?? use.ownerProp;
    const props: FindingProps & Record<string, unknown> = {
      maintenanceId: vulnMaintenanceId(vuln.id),
      shortDescription: shortDescriptionFor(vuln, use.name),
      description: descriptionFor(vuln, matcher.detailsOf(vuln), hits),
      webLink: advisoryUrl(vuln.id),
      dueDate: now + periodFor(vuln, use.assetId),
      status: "open",
      closed: false,
      createdBy: actor,
      createdOn: now,
      query: "",
      tracked: false,
      entityKey: use.assetKey,
      entityType: use.assetType,
      entityName: use.assetName,
      ...(owner ? { owner } : {}),
      evidence: `${use.name} ${use.version} found by the scan of ${day}`,
      ...(exposure.get(use.assetId) ? { exposure: exposure.get(use.assetId) } : {}),
      ...scanProps(vuln, hits),
    };
    updates.push(findingRecord(key, props));
    edges.push(findingEdge(use.assetKey, use.assetType, key));
  }
  await writeFindings(store, updates, edges, now);

  // 4. Vulnerability entities and package edges, as a run of the vulns source.
  await writeVulnerabilities(store, vulns, vulnerablePackages, uses, now);

  for (const [vulnId, c] of [...changedItems].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await store.audit({ at: now, actor, action: "vulns.scan", subject: vulnMaintenanceId(vulnId), details: { vulnerabilityId: vulnId, ...c } });
  }
  await store.audit({
    at: now,
    actor,
    action: "vulns.scan",
    subject: "graph",
    details: {
      instances: uses.length,
      vulnerabilities: vulns.size,
      opened: fresh.length,
      reopened,
      closed,
      accepted,
      ...(options.ranBy === undefined ? {} : { ranBy: options.ranBy }),
      ...(sync.blocking ? { closingSkipped: sync.blocking } : {}),
    },
  });

  // the findings as they are now: stored ones, overlaid by what this scan wrote
  const current = new Map<string, Record<string, unknown>>();
  for (const [key, row] of existing) current.set(key, row.raw);
  for (const record of updates) current.set(record._key, record);
  const open = summariesOf(current.values());
  return {
    instances: uses.length,
    packages: matcher.evaluated,
    vulnerabilities: vulns.size,
    opened: fresh.length,
    reopened,
    closed,
    accepted,
    updated,
    open,
    ignored,
    expiredIgnores: [...expired],
    ...(sync.blocking ? { closingSkipped: sync.blocking } : {}),
  };
}

async function writeVulnerabilities(
  store: GraphStore,
  vulns: Map<string, VulnHit>,
  vulnerablePackages: Map<string, Set<string>>,
  uses: readonly Use[],
  now: number,
): Promise<void> {
  const packageTypes = new Map(uses.map((u) => [u.packageKey, u.packageType]));
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  for (const v of vulns.values()) {
    const key = vulnerabilityKey(v.id);
    entities.push({
      _key: key,
      _type: VULNERABILITY_TYPE,
      _class: "Vulnerability",
      displayName: v.id,
      name: v.id,
      id: v.id,
      summary: v.summary,
      severity: v.severity,
      ...(v.score !== undefined ? { cvssScore: v.score } : {}),
      aliases: v.aliases,
      advisoryIds: v.advisoryIds,
      webLink: advisoryUrl(v.id),
      modifiedOn: v.modified,
      ...(v.published !== undefined ? { publishedOn: v.published } : {}),
    });
    for (const pkg of [...(vulnerablePackages.get(v.id) ?? [])].sort()) {
      relationships.push({
        _key: `${pkg}|has|${key}`,
        _type: `${packageTypes.get(pkg) ?? "package"}_has_vulnerability`,
        _class: "HAS",
        _fromEntityKey: pkg,
        _toEntityKey: key,
        ...(v.fixed ? { fixedVersion: v.fixed } : {}),
      });
    }
  }
  const run = await store.startSyncRun(VULNS_SOURCE, VULNS_SOURCE, now);
  try {
    const result = await store.upsertMany([{ entities, relationships }], { now, source: VULNS_SOURCE, syncRun: run });
    const deleted = await store.markUnseenDeleted(VULNS_SOURCE, run, now);
    await store.finishSyncRun(run, {
      status: "succeeded",
      now,
      counts: {
        created: result.entities.created + result.relationships.created,
        updated: result.entities.updated + result.relationships.updated,
        deleted: deleted.entities + deleted.relationships,
      },
    });
  } catch (error) {
    await store.finishSyncRun(run, { status: "failed", now, error: (error as Error).message });
    throw error;
  }
}

/** Summaries of the open findings among these finding properties, most severe first, then by due date. */
function summariesOf(findings: Iterable<Record<string, unknown>>): VulnFindingSummary[] {
  const severityOf = (v: unknown): VulnSeverity =>
    v === "critical" || v === "high" || v === "medium" || v === "low" ? v : "unknown";
  const out: VulnFindingSummary[] = [];
  for (const p of findings) {
    if (p.closed === true) continue;
    const fixed = str(p.fixedVersion);
    out.push({
      vulnerabilityId: str(p.vulnerabilityId) ?? String(p.maintenanceId),
      maintenanceId: String(p.maintenanceId),
      severity: severityOf(p.severity),
      entityKey: String(p.entityKey),
      entityName: String(p.entityName),
      package: str(p.package) ?? "",
      installedVersion: str(p.installedVersion) ?? "",
      ...(fixed ? { fixedVersion: fixed } : {}),
      dueDate: typeof p.dueDate === "number" ? p.dueDate : 0,
    });
  }
  return out.sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      a.dueDate - b.dueDate ||
      (a.vulnerabilityId < b.vulnerabilityId ? -1 : a.vulnerabilityId > b.vulnerabilityId ? 1 : 0) ||
      (a.entityName < b.entityName ? -1 : a.entityName > b.entityName ? 1 : 0),
  );
}
