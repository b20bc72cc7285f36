/**
 * The repo report as it was computed before it became one statement: the
 * repo by findRepo (a J1QL lookup), its own findings by repoReportQuery (ids,
 * then the rows), those of what it deploys by deployedFindings. The tests
 * hold the one-statement reports (repoReport, repoReportByName) to it.
 */
import { findRepo, isOverdue, type RepoReport, type RepoRef, repoReportQuery, summarise, deployedFindings } from "../../src/core/maintenance/report.js";
import { type Finding, findingFrom } from "../../src/core/maintenance/finding.js";
import { runQuery } from "../../src/query/run.js";
import type { GraphStore } from "../../src/store/types.js";

export async function referenceRepoReport(store: GraphStore, repo: RepoRef, now: number): Promise<RepoReport> {
  const [result, deployed] = await Promise.all([runQuery(store, repoReportQuery(repo.key), { now, all: true }), deployedFindings(store, repo.key)]);
  if (result.type !== "table") throw new Error("unreachable: a RETURN query is a table");
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const row of result.data) {
    const m = row.m as Record<string, unknown> | null;
    if (!m || typeof m._id !== "string" || seen.has(m._id)) continue;
    seen.add(m._id);
    findings.push(findingFrom(m._id, String(m._key), m));
  }
  const via = deployed.filter((f) => !seen.has(f.id));
  findings.push(...via);
  return { repo, ...summarise(findings, now), viaDeployed: { open: via.length, overdue: via.filter((f) => isOverdue(f, now)).length } };
}

/** `--repo NAME`'s report the old way: undefined for no repo; findRepo's error for an ambiguous name. */
export async function referenceReportByName(store: GraphStore, name: string, now: number): Promise<RepoReport | undefined> {
  const repo = await findRepo(store, { name, now });
  return repo ? referenceRepoReport(store, repo, now) : undefined;
}
