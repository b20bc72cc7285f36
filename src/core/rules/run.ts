/**
 * `dm rules run`: each enabled rule as tracked maintenance. One item per
 * rule (its maintenance id from the pack and rule id), one finding per
 * violating entity, owned by the entity's owner, due by the rule's period
 * (or the SLA by severity). An entity that no longer violates gets its
 * finding closed COMPLETE with the evidence "no longer matched by rule X on
 * <date>", unless some source's latest sync failed or was partial (its
 * assets may only be missing); one that violates again after such a close
 * is reopened. Findings closed ERROR (a person said it is wrong) or
 * RISK_ACCEPTED (honoured until it expires; `dm reconcile` reopens it then)
 * are left as they are. Everything is written in one transaction with its
 * audit entries; `dryRun` computes the same counts and writes nothing.
 */
import { j1qlString } from "../../query/quote.js";
import { type ListItem, runQuery, type SelectedEntity, selectEntities } from "../../query/run.js";
import type { AuditEntry, EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";
import { closeFinding, type FindingRow, loadFindingRows, recordOf, reopenFinding } from "../maintenance/close.js";
import { isoDate } from "../maintenance/due.js";
import { FINDING_TYPE, findingEdge, findingKey, findingRecord, maintenanceIdFor } from "../maintenance/finding.js";
import { lookupOwners, newFindingProps, ownerOf, writeFindings } from "../maintenance/open.js";
import { syncState } from "../maintenance/reconcile.js";
import { defaultSlaPolicy, exposureOf, type SlaPolicy, slaDue } from "../sla/policy.js";
import { configuredModels, type DeploymentRule, recordedModel } from "./deployment.js";
import { type DeploymentModel, fill, filledQuery, type Rule } from "./pack.js";

/** The maintenance item a rule's findings belong to: stable for the pack and rule id. */
export function ruleMaintenanceId(rule: Pick<Rule, "pack" | "id">): string {
  return maintenanceIdFor(`rule ${rule.pack}/${rule.id}`, "");
}

export interface RuleOutcome {
  id: string;
  pack: string;
  r: string;
  maintenanceId: string;
  /** entities violating it now (of a deployment model it applies to) */
  violations: number;
  opened: number;
  closed: number;
  reopened: number;
  /** violations that already had an open finding, or a closed ERROR / RISK_ACCEPTED one */
  unchanged: number;
  /** findings that would have been closed, had every source's latest sync succeeded */
  notClosed: number;
  /** matched, but of no recorded deployment model: not judged */
  unknownModel: number;
}

export interface RulesRunResult {
  opened: number;
  closed: number;
  unchanged: number;
  reopened: number;
  dryRun: boolean;
  rules: RuleOutcome[];
  notes: string[];
}

export interface RulesRunOptions {
  now: number;
  /** who opens and closes: "dm" */
  actor?: string;
  /** the person or job that ran it, for the audit log */
  ranBy?: string;
  dryRun?: boolean;
  deploymentModels?: readonly DeploymentRule[];
  /** the SLA policy (dm.config.yaml's `sla:`) for rules whose `due` is `sla`; default: its defaults */
  sla?: SlaPolicy;
}

/**
 * The entities violating the rule now, by key, and those matched but of an
 * unknown model. Selected, not shaped: an entity is decoded whole only when
 * the run opens or reopens its finding (and its properties only when the
 * rule depends on a deployment model the configuration does not give).
 */
export async function violationsOf(
  store: GraphStore,
  rule: Rule,
  models: ReadonlyMap<string, DeploymentModel>,
  now: number,
  onlyKey?: string,
): Promise<{ matched: Map<string, SelectedEntity>; unknownModel: SelectedEntity[] }> {
  const selected = await selectEntities(store, rule.query, { now, parameters: rule.parameters, ...(onlyKey === undefined ? {} : { onlyKey }) });
  const matched = new Map<string, SelectedEntity>();
  const unknownModel: SelectedEntity[] = [];
  for (const entity of selected) {
    if (entity.type === FINDING_TYPE) continue;
    if (rule.appliesTo) {
      const model = models.get(entity.id) ?? recordedModel(entity.props());
      if (model === undefined) {
        unknownModel.push(entity);
        continue;
      }
      if (!rule.appliesTo.includes(model)) continue;
    }
    matched.set(entity.key, entity);
  }
  return { matched, unknownModel };
}

interface FindingState {
  key: string;
  entityKey: string;
  closed: boolean;
  closeReason: string | undefined;
}

/** A rule's findings, only what a run decides on: one table query, no whole entities. */
async function findingStates(store: GraphStore, maintenanceId: string, now: number): Promise<FindingState[]> {
  const result = await runQuery(
    store,
    `Find ${FINDING_TYPE} with maintenanceId = '${maintenanceId}' as m return m._key as key, m.entityKey as entityKey, m.closed as closed, m.closeReason as closeReason`,
    { now, all: true },
  );
  if (result.type !== "table") throw new Error("unreachable: a RETURN query is a table");
  return result.data.map((r) => ({
    key: String(r.key),
    entityKey: String(r.entityKey ?? ""),
    closed: r.closed === true || r.closed === 1,
    closeReason: typeof r.closeReason === "string" ? r.closeReason : undefined,
  }));
}

/** Findings by key, whole (in chunks: the keys are bound values). */
async function loadFindingsByKey(store: GraphStore, keys: readonly string[], now: number): Promise<FindingRow[]> {
  const out: FindingRow[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const list = keys.slice(i, i + 500).map(j1qlString).join(", ");
    out.push(...(await loadFindingRows(store, `Find ${FINDING_TYPE} with _key = (${list})`, now)));
  }
  return out;
}

/** A rule with `due: sla`: due by its severity, sooner on an exposed asset (docs/sla.md). */
function setSlaDue(policy: SlaPolicy, props: { dueDate: number }, rule: Rule, exposure: string | undefined, now: number): void {
  props.dueDate = slaDue(policy, { severity: rule.severity, openedOn: now, exposure });
}

export async function runRules(store: GraphStore, rules: readonly Rule[], options: RulesRunOptions): Promise<RulesRunResult> {
  const { now } = options;
  const actor = options.actor ?? "dm";
  const today = isoDate(now);
  const policy = options.sla ?? defaultSlaPolicy();
  /** findings whose due date comes from the SLA policy, set once the exposures are known */
  const bySla: { props: { dueDate: number }; rule: Rule; item: ListItem }[] = [];
  const dueOf = (rule: Rule, item: ListItem, props: { dueDate: number }) => {
    if (rule.due === "sla") bySla.push({ props, rule, item });
    else props.dueDate = now + rule.due;
  };
  const models = await configuredModels(store, options.deploymentModels ?? [], now);
  const sync = await syncState(store);
  const closingAllowed = sync.blocking === undefined;
  const updates: FindingRow[] = [];
  const fresh: { item: ListItem; rule: Rule; maintenanceId: string }[] = [];
  const outcomes: RuleOutcome[] = [];
  /** per entity type: the entities of no deployment model a rule depends on, and those rules */
  const unknownByType = new Map<string, { keys: Set<string>; rules: Set<string> }>();

  for (const rule of rules) {
    if (!rule.enabled) continue;
    const mid = ruleMaintenanceId(rule);
    const { matched, unknownModel } = await violationsOf(store, rule, models, now);
    for (const entity of unknownModel) {
      const entry = unknownByType.get(entity.type) ?? { keys: new Set<string>(), rules: new Set<string>() };
      entry.keys.add(entity.key);
      entry.rules.add(rule.id);
      unknownByType.set(entity.type, entry);
    }
    const rows = await findingStates(store, mid, now);
    const outcome: RuleOutcome = {
      id: rule.id,
      pack: rule.pack,
      r: rule.r,
      maintenanceId: mid,
      violations: matched.size,
      opened: 0,
      closed: 0,
      reopened: 0,
      unchanged: 0,
      notClosed: 0,
      unknownModel: unknownModel.length,
    };
    const byEntity = new Map<string, FindingState>();
    for (const row of rows) byEntity.set(row.entityKey, row);
    // matched but of no recorded model: not judged, so not fixed either
    const unjudged = new Set(unknownModel.map((e) => e.key));
    const toClose: string[] = [];
    const toReopen = new Map<string, ListItem>();
    for (const row of rows) {
      if (row.closed || matched.has(row.entityKey) || unjudged.has(row.entityKey)) continue;
      if (!closingAllowed) {
        outcome.notClosed++;
        continue;
      }
      toClose.push(row.key);
      outcome.closed++;
    }
    for (const [entityKey, entity] of matched) {
      const row = byEntity.get(entityKey);
      if (!row) {
        fresh.push({ item: entity.item(), rule, maintenanceId: mid });
        outcome.opened++;
        continue;
      }
      if (row.closed && row.closeReason === "COMPLETE") {
        toReopen.set(row.key, entity.item());
        outcome.reopened++;
        continue;
      }
      outcome.unchanged++;
    }
    // only the findings that change are loaded whole
    for (const row of await loadFindingsByKey(store, [...toClose, ...toReopen.keys()], now)) {
      const item = toReopen.get(row.finding.key);
      if (!item) {
        updates.push({
          finding: closeFinding(row.finding, { reason: "COMPLETE", actor, now, evidence: `no longer matched by rule ${rule.id} on ${today}` }),
          raw: row.raw,
        });
        continue;
      }
      // fixed once, broken again: the same finding, open again with a new due date
      const again = reopenFinding(row.finding, now, `matched rule ${rule.id} again on ${today}`);
      dueOf(rule, item, again);
      updates.push({ finding: again, raw: row.raw });
    }
    outcomes.push(outcome);
  }

  const notes: string[] = [];
  for (const [type, { keys, rules: ruleIds }] of [...unknownByType].sort(([a], [b]) => a.localeCompare(b))) {
    const n = keys.size;
    notes.push(
      `${n} ${n === 1 ? `${type} has` : `${type}s have`} no deployment model; set one (deploymentModels: in dm.config.yaml) to judge ${[...ruleIds].sort().join(", ")}`,
    );
  }
  if (sync.blocking) {
    notes.push(`nothing was closed: sync run ${sync.blocking.syncRun} was ${sync.blocking.status} (its assets may only be missing); sync again, then run the rules`);
  }
  const result: RulesRunResult = {
    opened: fresh.length,
    closed: outcomes.reduce((n, o) => n + o.closed, 0),
    reopened: outcomes.reduce((n, o) => n + o.reopened, 0),
    unchanged: outcomes.reduce((n, o) => n + o.unchanged, 0),
    dryRun: options.dryRun === true,
    rules: outcomes,
    notes,
  };
  if (options.dryRun) return result;

  const fromSla = (rule: Rule) => rule.due === "sla";
  const exposures = await exposureOf(
    store,
    policy,
    [...bySla.map((x) => x.item), ...fresh.filter((f) => fromSla(f.rule)).map((f) => f.item)],
    now,
  );
  for (const { props, rule, item } of bySla) setSlaDue(policy, props, rule, exposures.get(item.id), now);

  const owners = await lookupOwners(
    store,
    fresh.map((f) => f.item.id),
  );
  const entities: EntityRecord[] = updates.map(({ finding, raw }) => recordOf(finding, raw));
  const relationships: RelationshipRecord[] = [];
  for (const { item, rule, maintenanceId } of fresh) {
    const key = findingKey(maintenanceId, item.entity._key);
    const props = newFindingProps(item, ownerOf(item, owners), {
      maintenanceId,
      shortDescription: fill(rule.open.short, rule.parameters),
      description: fill(rule.open.description, rule.parameters),
      webLink: rule.open.link,
      dueDate: fromSla(rule) ? 0 : now + (rule.due as number),
      createdBy: actor,
      createdOn: now,
      query: filledQuery(rule),
      tracked: false,
    });
    if (fromSla(rule)) setSlaDue(policy, props, rule, exposures.get(item.id), now);
    entities.push({
      ...findingRecord(key, { ...props, evidence: `matched rule ${rule.id} on ${today}` }),
      ruleId: rule.id,
      rulePack: rule.pack,
      r: rule.r,
      severity: rule.severity,
      // the exposure that shortened its SLA, as `dm open --due sla:` records it
      ...(fromSla(rule) && exposures.get(item.id) !== undefined ? { exposure: exposures.get(item.id) } : {}),
    });
    relationships.push(findingEdge(item.entity._key, item.entity._type, key));
  }
  const audit: AuditEntry[] = outcomes
    .filter((o) => o.opened + o.closed + o.reopened > 0)
    .map((o) => ({
      at: now,
      actor,
      action: "rules.run",
      subject: o.maintenanceId,
      details: { rule: `${o.pack}/${o.id}`, violations: o.violations, opened: o.opened, closed: o.closed, reopened: o.reopened },
    }));
  audit.push({
    at: now,
    actor,
    action: "rules.run",
    subject: "rules",
    details: {
      rules: outcomes.length,
      opened: result.opened,
      closed: result.closed,
      reopened: result.reopened,
      ...(options.ranBy === undefined ? {} : { ranBy: options.ranBy }),
      ...(sync.blocking ? { closingSkipped: sync.blocking } : {}),
    },
  });
  await writeFindings(store, entities, relationships, now, { audit: () => audit });
  return result;
}

/** Open findings per rule (`pack/id`): one grouped query. */
export async function openFindingsByRule(store: GraphStore, now: number): Promise<Map<string, number>> {
  const result = await runQuery(
    store,
    `Find ${FINDING_TYPE} with ruleId != undefined and closed = false as m return m.rulePack as pack, m.ruleId as id, count(m) as n`,
    { now, all: true },
  );
  const out = new Map<string, number>();
  if (result.type === "table") for (const row of result.data) out.set(`${String(row.pack)}/${String(row.id)}`, Number(row.n));
  return out;
}
