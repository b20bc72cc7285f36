/**
 * Closing findings (done, opened in error, or risk accepted until a date),
 * and the reopening that reconcile applies when an acceptance expires.
 *
 * A finding is re-upserted whole: the known properties from the Finding
 * model, plus any other property it carried (an import from the original
 * tool may have more), so closing never loses data.
 */
import { j1qlString } from "../../query/quote.js";
import { runQuery } from "../../query/run.js";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { dueAfterPause, pausedFor } from "../sla/pause.js";
import { assertFutureDate, formatDuration, isoDate, MAX_DATE } from "./due.js";
import {
  assertMaintenanceId,
  CLOSE_REASONS,
  type CloseReason,
  FINDING_TYPE,
  type Finding,
  type FindingProps,
  findingFrom,
  findingRecord,
  propsOf,
} from "./finding.js";
import { entityNameOf, linkProblem, selectEntities, writeFindings } from "./open.js";

export interface CloseInput {
  /** the item; without it, `query` must select the findings */
  maintenanceId?: string;
  /** J1QL selecting findings (narrows the item's findings when an id is given) */
  query?: string;
  reason: string;
  /** a pull request, a decision record: required for COMPLETE and RISK_ACCEPTED */
  link?: string;
  /** RISK_ACCEPTED only: epoch ms, in the future; the finding reopens then */
  until?: number;
  actor: string;
  now: number;
  /** validate and report, write nothing */
  dryRun?: boolean;
}

export interface SkippedEntity {
  key: string;
  name: string;
  why: string;
}

export interface ClosedFinding {
  key: string;
  maintenanceId: string;
  entityKey: string;
  entityName: string;
}

export interface CloseResult {
  closed: number;
  reason: CloseReason;
  /** selected entities that were not closed, and why */
  skipped: SkippedEntity[];
  findings: ClosedFinding[];
  dryRun: boolean;
}

/** A stored finding with every property it carries. */
export interface FindingRow {
  finding: Finding;
  /** the stored properties, as they are */
  raw: Record<string, unknown>;
}

const KNOWN_PROPS: ReadonlySet<string> = new Set<keyof FindingProps | "displayName">([
  "maintenanceId",
  "shortDescription",
  "description",
  "webLink",
  "dueDate",
  "status",
  "closed",
  "createdBy",
  "createdOn",
  "query",
  "tracked",
  "entityKey",
  "entityType",
  "entityName",
  "owner",
  "closedOn",
  "closedBy",
  "closeReason",
  "maintenanceLink",
  "acceptedUntil",
  "acceptedBy",
  "evidence",
  "reopenedOn",
  "pausedMs",
  "displayName",
]);

/** The findings a J1QL list query over deferred_maintenance selects, with their raw properties. */
export async function loadFindingRows(store: GraphStore, query: string, now: number): Promise<FindingRow[]> {
  const result = await runQuery(store, query, { now, all: true });
  if (result.type !== "list") throw new Error("unreachable: a query without RETURN is a list");
  return result.data
    .filter((item) => item.entity._type === FINDING_TYPE)
    .map((item) => ({ finding: findingFrom(item.id, item.entity._key, item.properties), raw: item.properties }));
}

/** The bulk record of an updated finding, keeping the properties the model does not know. */
export function recordOf(finding: Finding, raw: Record<string, unknown> = {}): EntityRecord {
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!KNOWN_PROPS.has(k)) extras[k] = v;
  return { ...extras, ...findingRecord(finding.key, propsOf(finding)) };
}

/** The finding without the fields a close sets (and an earlier close's evidence). */
function withoutCloseFields(finding: Finding): Finding {
  const {
    closedOn: _on,
    closedBy: _by,
    closeReason: _reason,
    maintenanceLink: _link,
    acceptedUntil: _until,
    acceptedBy: _accepted,
    evidence: _evidence,
    ...rest
  } = finding;
  return rest as Finding;
}

/** The finding, closed. */
export function closeFinding(
  finding: Finding,
  close: { reason: CloseReason; actor: string; now: number; link?: string; until?: number; evidence?: string },
): Finding {
  const rest = withoutCloseFields(finding);
  const closed: Finding = {
    ...rest,
    status: "closed",
    closed: true,
    closedOn: close.now,
    closedBy: close.actor,
    closeReason: close.reason,
  };
  if (close.link !== undefined) closed.maintenanceLink = close.link;
  if (close.reason === "RISK_ACCEPTED" && close.until !== undefined) {
    closed.acceptedUntil = close.until;
    closed.acceptedBy = close.actor;
  }
  if (close.evidence !== undefined) closed.evidence = close.evidence;
  return closed;
}

/**
 * The finding, open again: the close fields go, `reopenedOn` and the
 * evidence say when and why. Every source reopens through here (reconcile
 * when a risk acceptance expires, scans and rules when a problem is back).
 *
 * The SLA clock stands still while a risk is accepted: a finding that was
 * closed RISK_ACCEPTED resumes its clock rather than restarting it, its due
 * date moved later by the time it spent accepted (closedOn -> now), added to
 * `pausedMs`, and the evidence says so. (A caller that gives a reopened
 * finding a new due date, e.g. after a COMPLETE close, overrides this.)
 */
export function reopenFinding(finding: Finding, now: number, evidence: string): Finding {
  const rest = withoutCloseFields(finding);
  const reopened: Finding = { ...rest, status: "open", closed: false, reopenedOn: now, evidence };
  if (finding.closeReason === "RISK_ACCEPTED" && finding.closedOn !== undefined && finding.dueDate > 0) {
    // the clock resumes when the acceptance ends, not when a later reconcile notices it
    const resumed = finding.acceptedUntil === undefined ? now : Math.min(now, finding.acceptedUntil);
    const paused = pausedFor(finding.closedOn, resumed);
    if (paused > 0) {
      const due = Math.min(MAX_DATE, dueAfterPause(finding.dueDate, finding.closedOn, resumed));
      reopened.dueDate = due;
      reopened.pausedMs = (finding.pausedMs ?? 0) + paused;
      reopened.evidence = `${evidence}; accepted for ${formatDuration(paused)}, so the SLA clock resumes: due ${isoDate(finding.dueDate)} -> ${isoDate(due)}`;
    }
  }
  return reopened;
}

/** `COMPLETE` (any case) -> the reason, else an InputError listing them. */
export function parseCloseReason(text: string): CloseReason {
  const reason = CLOSE_REASONS.find((r) => r === text.trim().toUpperCase());
  if (!reason) {
    throw new InputError(`--reason "${text}" is not a close reason; use ${CLOSE_REASONS.join(", ")}`, {
      details: [
        "COMPLETE: the work is done (give the pull request as --link)",
        "ERROR: the finding was opened by mistake",
        "RISK_ACCEPTED: not doing it for now (give the decision as --link and an expiry as --until)",
      ],
    });
  }
  return reason;
}

/** Validate the flags of a close (before touching the store). */
export function validateClose(input: Pick<CloseInput, "maintenanceId" | "query" | "reason" | "link" | "until" | "now">): {
  reason: CloseReason;
  link?: string;
} {
  if (input.maintenanceId === undefined && (input.query === undefined || input.query.trim() === "")) {
    throw new InputError("say what to close: --id MID, --query Q, or both", {
      details: ["  dm close --id 9c3e21a0 --reason COMPLETE --link https://github.com/acme/payments/pull/42"],
    });
  }
  if (input.maintenanceId !== undefined) assertMaintenanceId(input.maintenanceId);
  const reason = parseCloseReason(input.reason);
  const link = input.link?.trim() || undefined;
  if (link !== undefined) {
    const problem = linkProblem(link, "--link");
    if (problem) throw new InputError(problem);
  } else if (reason !== "ERROR") {
    throw new InputError(`--reason ${reason} needs --link: ${reason === "COMPLETE" ? "the pull request or change that did the work" : "the record of the decision to accept the risk"}`);
  }
  if (reason === "RISK_ACCEPTED") {
    if (input.until === undefined) {
      throw new InputError("--reason RISK_ACCEPTED needs --until: an acceptance always expires, and the finding then reopens", {
        details: ["  e.g. --until 90d or --until 2027-03-31"],
      });
    }
    assertFutureDate(input.until, input.now, "--until");
  } else if (input.until !== undefined) {
    throw new InputError(`--until only applies to --reason RISK_ACCEPTED, not ${reason}`);
  }
  return link === undefined ? { reason } : { reason, link };
}

export async function closeMaintenance(store: GraphStore, input: CloseInput): Promise<CloseResult> {
  const { reason, link } = validateClose(input);
  const { now, actor } = input;
  const mid = input.maintenanceId;
  const skipped: SkippedEntity[] = [];
  let selected: FindingRow[];
  const query = input.query?.trim() || undefined;

  if (query === undefined) {
    selected = await loadFindingRows(
      store,
      `Find ${FINDING_TYPE} with maintenanceId = ${j1qlString(mid!)} and closed = false`,
      now,
    );
  } else {
    selected = [];
    // An asset the query selects stands for the item's finding on it (`--id X --query "Find CodeRepo with name='billing'"`).
    let ofItem: Map<string, FindingRow> | undefined;
    const seen = new Set<string>();
    for (const item of await selectEntities(store, query, now)) {
      const name = entityNameOf(item);
      if (item.entity._type !== FINDING_TYPE) {
        if (mid === undefined) {
          skipped.push({ key: item.entity._key, name, why: "not a maintenance finding (give the item's --id to close its finding on this asset)" });
          continue;
        }
        ofItem ??= new Map(
          (await loadFindingRows(store, `Find ${FINDING_TYPE} with maintenanceId = ${j1qlString(mid)}`, now)).map((r) => [r.finding.entityKey, r]),
        );
        const row = ofItem.get(item.entity._key);
        if (row === undefined) skipped.push({ key: item.entity._key, name, why: `has no finding of ${mid}` });
        else if (row.finding.closed) skipped.push({ key: row.finding.key, name, why: "already closed" });
        else if (!seen.has(row.finding.key)) {
          seen.add(row.finding.key);
          selected.push(row);
        }
        continue;
      }
      if (seen.has(item.entity._key)) continue;
      seen.add(item.entity._key);
      const finding = findingFrom(item.id, item.entity._key, item.properties);
      if (mid !== undefined && finding.maintenanceId !== mid) {
        skipped.push({ key: finding.key, name, why: `a finding of another item (${finding.maintenanceId || "no id"})` });
      } else if (finding.closed) {
        skipped.push({ key: finding.key, name, why: "already closed" });
      } else {
        selected.push({ finding, raw: item.properties });
      }
    }
  }

  if (selected.length === 0) {
    const details: string[] = [];
    if (mid !== undefined) details.push(`\`dm query "Find ${FINDING_TYPE} with maintenanceId='${mid}'"\` shows its findings.`);
    if (skipped.length > 0) {
      details.push(`The query selected ${skipped.length} ${skipped.length === 1 ? "entity" : "entities"}, none of them an open finding${mid ? ` of ${mid}` : ""}:`);
      for (const e of skipped.slice(0, 5)) details.push(`  ${e.name}: ${e.why}`);
      if (skipped.length > 5) details.push(`  … and ${skipped.length - 5} more`);
    }
    throw new InputError(`no open findings match${mid !== undefined ? ` item ${mid}` : " the query"}: nothing to close`, { details });
  }

  const closeOptions = { reason, actor, now, ...(link === undefined ? {} : { link }), ...(input.until === undefined ? {} : { until: input.until }) };
  const records = selected.map(({ finding, raw }) => recordOf(closeFinding(finding, closeOptions), raw));
  const findings = selected.map(({ finding }) => ({
    key: finding.key,
    maintenanceId: finding.maintenanceId,
    entityKey: finding.entityKey,
    entityName: finding.entityName,
  }));

  if (!input.dryRun) {
    const mids = [...new Set(findings.map((f) => f.maintenanceId))].sort();
    await writeFindings(store, records, [], now, {
      audit: () => ({
        at: now,
        actor,
        action: reason === "RISK_ACCEPTED" ? "accept" : "close",
        subject: mid ?? mids.join(","),
        details: {
          count: findings.length,
          reason,
          ...(link === undefined ? {} : { link }),
          ...(input.until === undefined ? {} : { until: input.until }),
          ...(query === undefined ? {} : { query }),
          ...(skipped.length > 0 ? { skipped: skipped.length } : {}),
        },
      }),
    });
  }
  return { closed: findings.length, reason, skipped, findings, dryRun: !!input.dryRun };
}

export interface ReopenInput {
  /** the item whose closed findings reopen */
  maintenanceId: string;
  /** J1QL narrowing the item's findings (e.g. one asset's); without it, every closed finding of the item */
  query?: string;
  actor: string;
  now: number;
  dryRun?: boolean;
}

export interface ReopenResult {
  reopened: number;
  skipped: SkippedEntity[];
  findings: ClosedFinding[];
  dryRun: boolean;
}

/**
 * Reopen closed findings of one item by hand (a close made in error, work
 * that turned out not done). The same reopening as reconcile's (a
 * risk-accepted finding resumes its SLA clock), audited as `reopen`.
 */
export async function reopenMaintenance(store: GraphStore, input: ReopenInput): Promise<ReopenResult> {
  const mid = assertMaintenanceId(input.maintenanceId);
  const { now, actor } = input;
  const query = input.query?.trim() || undefined;
  const skipped: SkippedEntity[] = [];
  let selected: FindingRow[];
  if (query === undefined) {
    selected = await loadFindingRows(store, `Find ${FINDING_TYPE} with maintenanceId = ${j1qlString(mid)} and closed = true`, now);
  } else {
    selected = [];
    for (const item of await selectEntities(store, query, now)) {
      const name = entityNameOf(item);
      if (item.entity._type !== FINDING_TYPE) {
        skipped.push({ key: item.entity._key, name, why: "not a maintenance finding" });
        continue;
      }
      const finding = findingFrom(item.id, item.entity._key, item.properties);
      const on = finding.entityName || name;
      if (finding.maintenanceId !== mid) {
        skipped.push({ key: finding.key, name: on, why: `a finding of another item (${finding.maintenanceId || "no id"})` });
      } else if (!finding.closed) {
        skipped.push({ key: finding.key, name: on, why: "already open" });
      } else {
        selected.push({ finding, raw: item.properties });
      }
    }
  }
  if (selected.length === 0) {
    const details = skipped.slice(0, 5).map((e) => `  ${e.name}: ${e.why}`);
    if (skipped.length > 5) details.push(`  … and ${skipped.length - 5} more`);
    throw new InputError(`no closed findings match item ${mid}: nothing to reopen`, { details });
  }
  const records = selected.map(({ finding, raw }) => {
    const was = `was ${finding.closeReason ?? "closed"}${finding.closedOn ? ` on ${isoDate(finding.closedOn)}` : ""}`;
    return recordOf(reopenFinding(finding, now, `reopened by ${actor} (${was})`), raw);
  });
  const findings = selected.map(({ finding }) => ({
    key: finding.key,
    maintenanceId: finding.maintenanceId,
    entityKey: finding.entityKey,
    entityName: finding.entityName,
  }));
  if (!input.dryRun) {
    await writeFindings(store, records, [], now, {
      audit: () => ({
        at: now,
        actor,
        action: "reopen",
        subject: mid,
        details: {
          count: findings.length,
          why: "reopened by hand",
          ...(query === undefined ? {} : { query }),
          ...(skipped.length > 0 ? { skipped: skipped.length } : {}),
        },
      }),
    });
  }
  return { reopened: findings.length, skipped, findings, dryRun: !!input.dryRun };
}
