/**
 * The `vulns:` section of dm.config.yaml: the fix-by SLA per severity and the
 * ignore list. The SLA is the top-level `sla:` policy (docs/sla.md, with its
 * exposure rules); `vulns: sla:` still overrides it per severity, for
 * vulnerabilities only. Every ignore names a reason and an expiry; an expired one is
 * no longer honoured (and says so).
 *
 *   vulns:
 *     sla: { critical: 7d, high: 30d, medium: 90d, low: 180d }
 *     ignore:
 *       - id: GHSA-35jh-r3h4-6jhm
 *         reason: template() never sees user input
 *         until: 2027-03-01
 *         packages: [lodash]      # optional: only these packages
 */
import { z } from "zod";
import { InputError } from "../../shared/errors.js";
import { readYamlFile } from "../../shared/yaml-file.js";
import { DAY_MS, parseDuration } from "../maintenance/due.js";
import { DEFAULT_SLA_DAYS as POLICY_DEFAULT_DAYS, defaultSlaPolicy, type SlaPolicy, slaPeriod, slaPolicyFrom } from "../sla/policy.js";
import type { VulnHit, VulnSeverity } from "./match.js";

/** Days to fix, by severity: the SLA policy's defaults (src/core/sla/policy.ts). */
export const DEFAULT_SLA_DAYS: Readonly<Record<VulnSeverity, number>> = POLICY_DEFAULT_DAYS;

export interface IgnoreRule {
  id: string;
  reason: string;
  /** epoch ms (the end of that day, UTC) */
  until: number;
  /** only these package names; all when absent */
  packages?: string[];
}

export interface VulnsConfig {
  /**
   * ms to fix, by severity: the top-level `sla:` policy's periods, overridden
   * per severity by `vulns: sla:` (vulnerabilities only)
   */
  sla: Record<VulnSeverity, number>;
  ignore: IgnoreRule[];
  /** the top-level SLA policy: its exposure rules shorten the periods above for exposed assets */
  policy?: SlaPolicy;
}

/** Periods by vulnerability severity from a policy (`unknown` as medium). */
function periodsOf(policy: SlaPolicy): Record<VulnSeverity, number> {
  const severities: VulnSeverity[] = ["critical", "high", "medium", "low", "unknown"];
  return Object.fromEntries(severities.map((s) => [s, slaPeriod(policy, s)])) as Record<VulnSeverity, number>;
}

export function defaultVulnsConfig(): VulnsConfig {
  const policy = defaultSlaPolicy();
  return { sla: periodsOf(policy), ignore: [], policy };
}

const duration = z.union([z.string(), z.number().int().positive()]);
const isoDay = z.union([z.string(), z.date()]);

const Section = z
  .object({
    sla: z.strictObject({
      critical: duration.optional(),
      high: duration.optional(),
      medium: duration.optional(),
      low: duration.optional(),
      unknown: duration.optional(),
    }).optional(),
    ignore: z
      .array(
        z.strictObject({
          id: z.string().min(1, "must name an advisory id, e.g. GHSA-35jh-r3h4-6jhm"),
          reason: z.string().trim().min(1, "say why it is ignored"),
          until: isoDay,
          packages: z.array(z.string().min(1)).optional(),
        }),
      )
      .optional(),
    db: z.string().optional(),
  })
  .passthrough();

/** An `until` value as the end of that day (UTC), epoch ms. */
function untilOf(value: string | Date, where: string): number {
  const day = value instanceof Date ? value.toISOString().slice(0, 10) : value.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) {
    throw new InputError(`${where}: "${day}" is not a date; write it as YYYY-MM-DD, e.g. 2027-03-01`);
  }
  return Date.parse(day) + DAY_MS - 1;
}

/**
 * The vulns settings from a parsed config document (the whole YAML file);
 * defaults for what it does not say. Errors name the file and key.
 */
export function vulnsConfigFrom(doc: unknown, file: string): VulnsConfig & { db?: string } {
  const policy = slaPolicyFrom(doc, file);
  const config: VulnsConfig = { sla: periodsOf(policy), ignore: [], policy };
  const section = (doc as { vulns?: unknown } | null | undefined)?.vulns;
  if (section === undefined || section === null) return config;
  const parsed = Section.safeParse(section);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${file}: vulns.${issue.path.join(".") || "(section)"}: ${issue.message}`);
  }
  for (const [severity, value] of Object.entries(parsed.data.sla ?? {})) {
    if (value === undefined) continue;
    const where = `${file}: vulns.sla.${severity}`;
    config.sla[severity as VulnSeverity] = typeof value === "number" ? value * DAY_MS : parseDuration(value, where);
  }
  config.ignore = (parsed.data.ignore ?? []).map((rule, i) => ({
    id: rule.id,
    reason: rule.reason,
    until: untilOf(rule.until, `${file}: vulns.ignore[${i}].until`),
    ...(rule.packages ? { packages: rule.packages } : {}),
  }));
  return parsed.data.db ? { ...config, db: parsed.data.db } : config;
}

/** Read the `vulns:` section of a config file (YAML). */
export function loadVulnsConfig(file: string): VulnsConfig & { db?: string } {
  return vulnsConfigFrom(readYamlFile(file), file);
}

export type IgnoreVerdict = { rule: IgnoreRule; expired: boolean } | undefined;

/**
 * The ignore rule that covers this vulnerability in this package: by the
 * vulnerability's id, one of its advisory ids or one of its aliases. A rule
 * past its `until` is returned with `expired` (it is not honoured).
 */
export function ignoreRuleFor(rules: readonly IgnoreRule[], hit: VulnHit, packageName: string, now: number): IgnoreVerdict {
  const names = new Set([hit.id, ...hit.advisoryIds, ...hit.aliases]);
  let expired: IgnoreRule | undefined;
  for (const rule of rules) {
    if (!names.has(rule.id)) continue;
    if (rule.packages && !rule.packages.includes(packageName)) continue;
    if (rule.until >= now) return { rule, expired: false };
    expired ??= rule;
  }
  return expired ? { rule: expired, expired: true } : undefined;
}
