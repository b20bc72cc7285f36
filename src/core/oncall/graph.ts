/**
 * The group's membership in the graph: `ldap_user (User) -ASSIGNED->
 * ldap_group (UserGroup)` with `since` (when dm first saw them in the group),
 * in the classes of JupiterOne's model and with the group's key as the
 * `ldap` integration writes it, so both describe one group. It
 * is written as a sync run of the instance `oncall:<group DN>`, so an edge
 * of someone who left the group is marked deleted after the run.
 */
import { j1qlString } from "../../query/quote.js";
import { runQuery } from "../../query/run.js";
import type { EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";
import { groupKey as ldapGroupKey } from "../../integrations/ldap/map.js";
import { normaliseDn } from "./ldap.js";

export interface MembershipRecord {
  groupDN: string;
  /** member values after the change, with what is known of each */
  members: { key: string; value: string; name: string; email?: string }[];
  /** people removed by this run (kept as entities, their edge goes) */
  removed: { key: string; value: string; name: string }[];
}

export function groupKey(groupDN: string): string {
  return ldapGroupKey(groupDN);
}

function personKey(memberKey: string): string {
  return `ldap-user:${memberKey}`;
}

/** since per person key, from the edges already in the graph */
async function knownSince(store: GraphStore, gKey: string, now: number): Promise<Map<string, number>> {
  const result = await runQuery(store, `FIND ldap_user THAT ASSIGNED ldap_group WITH _key = ${j1qlString(gKey)} RETURN TREE`, { now, all: true });
  const out = new Map<string, number>();
  if (result.type !== "tree") return out;
  const keyById = new Map(result.data.vertices.map((v) => [v.id, v.entity._key]));
  for (const e of result.data.edges) {
    const since = e.properties.since;
    const key = keyById.get(e.fromVertexId);
    if (key && typeof since === "number") out.set(key, since);
  }
  return out;
}

export async function recordMembership(store: GraphStore, record: MembershipRecord, now: number): Promise<void> {
  const gKey = groupKey(record.groupDN);
  const since = await knownSince(store, gKey, now);
  const instance = `oncall:${normaliseDn(record.groupDN)}`;
  const cn = /^[^=]+=([^,]+)/.exec(record.groupDN)?.[1] ?? record.groupDN;
  const entities: EntityRecord[] = [{ _key: gKey, _type: "ldap_group", _class: "UserGroup", displayName: cn, name: cn, dn: record.groupDN }];
  const relationships: RelationshipRecord[] = [];
  for (const m of record.members) {
    const pKey = personKey(m.key);
    entities.push({ _key: pKey, _type: "ldap_user", _class: "User", displayName: m.name, username: m.name, email: m.email, memberValue: m.value });
    relationships.push({
      _key: `${pKey}|assigned|${gKey}`,
      _type: "ldap_user_assigned_ldap_group",
      _class: "ASSIGNED",
      _fromEntityKey: pKey,
      _toEntityKey: gKey,
      since: since.get(pKey) ?? now,
    });
  }
  for (const r of record.removed) {
    if (record.members.some((m) => m.key === r.key)) continue;
    entities.push({ _key: personKey(r.key), _type: "ldap_user", _class: "User", displayName: r.name, username: r.name, memberValue: r.value });
  }
  const runId = await store.startSyncRun("oncall", instance, now);
  try {
    const counts = await store.upsert({ entities, relationships }, { now, source: instance, syncRun: runId });
    const deleted = await store.markUnseenDeleted(instance, runId, now);
    await store.finishSyncRun(runId, {
      status: "succeeded",
      now,
      counts: {
        created: counts.entities.created + counts.relationships.created,
        updated: counts.entities.updated + counts.relationships.updated,
        unchanged: counts.entities.unchanged + counts.relationships.unchanged,
        deleted: deleted.entities + deleted.relationships,
      },
    });
  } catch (error) {
    await store.finishSyncRun(runId, { status: "failed", now, error: (error as Error).message }).catch(() => undefined);
    throw error;
  }
}
