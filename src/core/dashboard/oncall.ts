/** The on-call view: groups and members as the graph has them after dm oncall sync. */
import { runQuery } from "../../query/run.js";
import type { GraphStore } from "../../store/types.js";
import { auditAbout } from "./asset.js";

/** The on-call groups in the graph (ldap_user -ASSIGNED-> ldap_group, as dm oncall sync records them) and their members, the latest on-call syncs and their audit entries. */
export async function oncallGroups(store: GraphStore, options: { now: number }) {
  const { now } = options;
  const result = await runQuery(store, "Find ldap_user that ASSIGNED ldap_group return tree", { now });
  const groups = new Map<string, { id: string; key: string; name: string; dn: string; members: { id: string; name: string; email: string; since: number | null }[] }>();
  if (result.type === "tree") {
    const byId = new Map(result.data.vertices.map((v) => [v.id, v]));
    for (const e of result.data.edges) {
      const person = byId.get(e.fromVertexId);
      const group = byId.get(e.toVertexId);
      if (!person || !group) continue;
      let g = groups.get(group.id);
      if (!g) {
        const name = group.entity.displayName ?? String(group.properties.name ?? group.entity._key);
        g = { id: group.id, key: group.entity._key, name, dn: String(group.properties.dn ?? ""), members: [] };
        groups.set(group.id, g);
      }
      const p = person.properties;
      g.members.push({
        id: person.id,
        name: person.entity.displayName ?? String(p.username ?? p.name ?? person.entity._key),
        email: typeof p.email === "string" ? p.email : Array.isArray(p.email) && typeof p.email[0] === "string" ? p.email[0] : "",
        since: typeof e.properties.since === "number" ? e.properties.since : null,
      });
    }
  }
  for (const g of groups.values()) g.members.sort((a, b) => a.name.localeCompare(b.name));
  const syncs = (await store.latestSyncRuns()).filter((r) => r.integration === "oncall");
  const audit = await auditAbout(store, { action: "oncall.sync" }, 20);
  return {
    configured: groups.size > 0 || syncs.length > 0 || audit.length > 0,
    groups: [...groups.values()].sort((a, b) => a.name.localeCompare(b.name)),
    syncs,
    audit,
  };
}
