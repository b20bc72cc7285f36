/**
 * A path scan as SARIF 2.1.0, the format GitHub code scanning reads: one
 * rule per vulnerability (its advisory id), one result per vulnerable
 * package in a lockfile, located at the lockfile line that names it.
 * Lockfiles that could not be read make the run's invocation unsuccessful,
 * each one a tool execution notification at its file and line.
 */
import type { Log, ReportingDescriptor, Result } from "sarif";
import type { VulnSeverity } from "./match.js";
import type { PathFinding, UnreadableFile } from "./scan-path.js";

const LEVEL: Record<VulnSeverity, Result.level> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  unknown: "warning",
};

/** GitHub ranks code-scanning alerts by `security-severity` (a CVSS-like score as text). */
const TYPICAL_SCORE: Record<VulnSeverity, number> = { critical: 9.5, high: 7.5, medium: 5.0, low: 2.0, unknown: 5.0 };

export function advisoryUrl(id: string): string {
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

/** The message of a result: the package, the installed version and the fixed one. */
export function findingMessage(f: PathFinding): string {
  const names = [f.vuln.id, ...f.vuln.aliases.filter((a) => a.startsWith("CVE-"))].join(", ");
  const fix = f.vuln.fixed ? `fixed in ${f.vuln.fixed}` : "no fixed version is known";
  const summary = f.vuln.summary ? `: ${f.vuln.summary}` : "";
  return `${f.package.name} ${f.package.version} is vulnerable (${names})${summary}; ${fix}.`;
}

export function toSarif(findings: readonly PathFinding[], tool: { version: string }, unreadable: readonly UnreadableFile[] = []): Log {
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  for (const f of findings) {
    if (ruleIndex.has(f.vuln.id)) continue;
    ruleIndex.set(f.vuln.id, rules.length);
    const score = f.vuln.score ?? TYPICAL_SCORE[f.vuln.severity];
    rules.push({
      id: f.vuln.id,
      shortDescription: { text: f.vuln.summary || f.vuln.id },
      fullDescription: { text: f.details || f.vuln.summary || f.vuln.id },
      helpUri: advisoryUrl(f.vuln.id),
      help: {
        text: `${f.vuln.summary || f.vuln.id}\n\n${f.details}\n\nAliases: ${f.vuln.aliases.join(", ") || "none"}. More: ${advisoryUrl(f.vuln.id)}`,
      },
      defaultConfiguration: { level: LEVEL[f.vuln.severity] },
      properties: {
        "security-severity": score.toFixed(1),
        tags: ["security", "vulnerability", f.package.ecosystem],
        severity: f.vuln.severity,
        aliases: f.vuln.aliases,
      },
    });
  }
  const results: Result[] = findings.map((f) => ({
    ruleId: f.vuln.id,
    ruleIndex: ruleIndex.get(f.vuln.id)!,
    level: LEVEL[f.vuln.severity],
    message: { text: findingMessage(f) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: f.package.manifest, uriBaseId: "%SRCROOT%" },
          region: { startLine: f.package.line },
        },
      },
    ],
    partialFingerprints: { "packageVersion/v1": `${f.package.ecosystem}/${f.package.name}@${f.package.version}` },
    properties: {
      package: f.package.name,
      ecosystem: f.package.ecosystem,
      installedVersion: f.package.version,
      ...(f.vuln.fixed ? { fixedVersion: f.vuln.fixed } : {}),
    },
  }));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "deferred-maintenance",
            version: tool.version,
            rules,
          },
        },
        results,
        ...(unreadable.length === 0
          ? {}
          : {
              invocations: [
                {
                  executionSuccessful: false,
                  toolExecutionNotifications: unreadable.map((u) => ({
                    level: "error" as const,
                    message: { text: `cannot read this lockfile, so it was not scanned: ${u.message}` },
                    locations: [
                      {
                        physicalLocation: {
                          artifactLocation: { uri: u.file, uriBaseId: "%SRCROOT%" },
                          ...(u.line === undefined ? {} : { region: { startLine: u.line } }),
                        },
                      },
                    ],
                  })),
                },
              ],
            }),
      },
    ],
  };
}
