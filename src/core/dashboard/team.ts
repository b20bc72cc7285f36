/**
 * A team's page: everything one owner owes, across campaigns. Counted over
 * the same findings and by the same functions as `dm report --owner`
 * (ownerReportOf: open and overdue), the overview (riskiestAssets,
 * campaignsBehind) and `dm stats` (statsOf: the burndown and forecast).
 * Owners compare without case (ownerKey).
 */
import { runQuery } from "../../query/run.js";
import { NotFoundError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import { loadFindings, ownerKey } from "../maintenance/finding.js";
import { ownedBy, ownerReportOf } from "../maintenance/report.js";
import { statsOf } from "../maintenance/stats.js";
import { campaignsBehind, findingRow, mostOverdueFirst, riskiestAssets } from "./overview.js";

/** A word the shell leaves alone, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w.@:/+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The `dm report --owner` command that prints this owner's open findings. */
export function ownerReportCommand(owner: string): string {
  return `dm report --owner ${shellWord(owner)}`;
}

/** The Team entity named (name, else displayName) like the owner, without case. */
export async function teamEntity(store: GraphStore, owner: string, now: number) {
  const wanted = ownerKey(owner);
  const result = await runQuery(store, "Find Team", { now, all: true });
  if (result.type !== "list") return null;
  for (const item of result.data) {
    const name = typeof item.properties.name === "string" ? item.properties.name : (item.entity.displayName ?? "");
    if (name && ownerKey(name) === wanted) return { id: item.id, key: item.entity._key, name };
    if (item.entity.displayName && ownerKey(item.entity.displayName) === wanted) return { id: item.id, key: item.entity._key, name };
  }
  return null;
}

export async function teamView(store: GraphStore, options: { owner: string; now: number }) {
  const { now } = options;
  const asked = options.owner.trim();
  const [all, entity] = await Promise.all([loadFindings(store, now), teamEntity(store, asked, now)]);
  const findings = all.filter(ownedBy(asked));
  if (findings.length === 0 && !entity) {
    throw new NotFoundError(`no owner or team named ${JSON.stringify(asked)}`, {
      details: ["Owners are the owner property of findings (as dm report --owner matches them) or Team entities."],
    });
  }
  // named as its Team entity spells it, else as its findings do
  const owner = entity?.name ?? findings[0]?.owner ?? asked;
  const report = ownerReportOf(owner, findings, now);
  const closed = findings.filter((f) => f.closed);
  const accepted = closed.filter((f) => f.closeReason === "RISK_ACCEPTED");
  const campaigns = campaignsBehind(findings, now);
  return {
    now,
    owner,
    team: entity,
    command: ownerReportCommand(owner),
    counts: {
      total: findings.length,
      open: report.open,
      overdue: report.overdue,
      accepted: accepted.length,
      closed: closed.length,
      campaigns: campaigns.length,
    },
    campaigns,
    worstAssets: await riskiestAssets(store, findings, now),
    // all its findings as one campaign (the item's own fields name the team)
    stats: findings.length > 0 ? { ...statsOf(findings, now), maintenanceId: "", shortDescription: `${owner}'s findings`, webLink: "" } : null,
    findings: [...report.findings, ...accepted].map((f) => findingRow(f, now, null)).sort(mostOverdueFirst),
  };
}
