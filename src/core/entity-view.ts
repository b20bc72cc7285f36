/**
 * One asset as `dm show <entity>` and the dashboard's asset page present it:
 * what it is, how it is deployed (and who said so), its properties, and the
 * maintenance it owes. One computation for every front end.
 */
import type { ListItem } from "../query/run.js";
import type { GraphStore } from "../store/types.js";
import { byDue } from "./maintenance/report.js";
import { type Finding, loadFindings } from "./maintenance/finding.js";
import { configuredModels, type DeploymentRule, recordedModel } from "./rules/deployment.js";
import { findEntity } from "./rules/explain.js";
import type { DeploymentModel } from "./rules/pack.js";

/** Where an entity's deployment model came from. */
export type DeploymentSource = "configured" | "recorded" | "unknown";

export interface EntityView {
  entity: {
    _id: string;
    _key: string;
    _type: string;
    _class: string[];
    displayName: string;
    deploymentModel: DeploymentModel | null;
    /** `configured`: a `deploymentModels:` query in dm.config.yaml; `recorded`: the entity's own property */
    deploymentModelSource: DeploymentSource;
  };
  properties: Record<string, unknown>;
  /** its maintenance findings: open ones by due date, then closed ones, latest first */
  findings: Finding[];
}

/** How an entity is deployed and who said so: the configuration wins over what the entity records. */
export async function deploymentOf(
  store: GraphStore,
  item: ListItem,
  rules: readonly DeploymentRule[],
  now: number,
): Promise<{ model: DeploymentModel | null; source: DeploymentSource }> {
  const configured = (await configuredModels(store, rules, now)).get(item.id);
  if (configured) return { model: configured, source: "configured" };
  const recorded = recordedModel(item.properties);
  return recorded ? { model: recorded, source: "recorded" } : { model: null, source: "unknown" };
}

/** The entity with this key (or name, or display name), as `dm show` prints it. */
export async function viewEntity(
  store: GraphStore,
  ref: string,
  options: { now: number; deploymentModels?: readonly DeploymentRule[] },
): Promise<EntityView> {
  const item = await findEntity(store, ref, options.now);
  const deployment = await deploymentOf(store, item, options.deploymentModels ?? [], options.now);
  const findings = await loadFindings(store, options.now, { entityKey: item.entity._key });
  const open = findings.filter((f) => !f.closed).sort(byDue);
  const closed = findings.filter((f) => f.closed).sort((a, b) => (b.closedOn ?? 0) - (a.closedOn ?? 0));
  return {
    entity: {
      _id: item.id,
      _key: item.entity._key,
      _type: item.entity._type,
      _class: item.entity._class,
      displayName: item.entity.displayName ?? String(item.properties.name ?? item.entity._key),
      deploymentModel: deployment.model,
      deploymentModelSource: deployment.source,
    },
    properties: item.properties,
    findings: [...open, ...closed],
  };
}
