/**
 * How an asset is deployed. Recorded by the integrations (the hosts
 * inventory's `deployment` column, Kubernetes workloads' `deploymentModel`)
 * or set by the user in dm.config.yaml, which wins:
 *
 *   deploymentModels:
 *     - query: Find Host with tag.Role = 'k8s-node'
 *       model: immutable-vm
 *
 * The first listed query that selects an entity gives its model.
 */
import type { ListItem } from "../../query/run.js";
import { runQuery } from "../../query/run.js";
import type { GraphStore } from "../../store/types.js";
import { DEPLOYMENT_MODELS, type DeploymentModel } from "./pack.js";

export interface DeploymentRule {
  query: string;
  model: DeploymentModel;
}

export function isDeploymentModel(value: unknown): value is DeploymentModel {
  return typeof value === "string" && (DEPLOYMENT_MODELS as readonly string[]).includes(value);
}

/** The model an entity records itself: `deploymentModel`, else the hosts inventory's `deployment`. */
export function recordedModel(properties: Record<string, unknown>): DeploymentModel | undefined {
  if (isDeploymentModel(properties.deploymentModel)) return properties.deploymentModel;
  if (isDeploymentModel(properties.deployment)) return properties.deployment;
  return undefined;
}

/** Entity id -> model from the configured queries (first match wins): one query each. */
export async function configuredModels(store: GraphStore, rules: readonly DeploymentRule[], now: number): Promise<Map<string, DeploymentModel>> {
  const out = new Map<string, DeploymentModel>();
  for (const rule of rules) {
    const result = await runQuery(store, rule.query, { now, all: true });
    if (result.type !== "list") continue;
    for (const item of result.data) if (!out.has(item.id)) out.set(item.id, rule.model);
  }
  return out;
}

/** The model of a selected entity: the configuration's, else its own, else undefined (unknown). */
export function modelOf(item: ListItem, configured: ReadonlyMap<string, DeploymentModel>): DeploymentModel | undefined {
  return configured.get(item.id) ?? recordedModel(item.properties);
}
