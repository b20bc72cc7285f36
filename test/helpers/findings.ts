/** Hand-made deferred-maintenance findings for tests that need a known graph. */
import { DAY_MS } from "../../src/core/maintenance/due.js";
import { type FindingProps, findingEdge, findingKey, findingRecord } from "../../src/core/maintenance/finding.js";
import type { OpenInput } from "../../src/core/maintenance/open.js";
import type { EntityRecord, RelationshipRecord } from "../../src/store/types.js";

export interface ItemSpec {
  id: string;
  short: string;
  link: string;
  due: number;
}

export interface AssetSpec {
  key: string;
  type: string;
  name: string;
  owner?: string;
}

/** An open finding of `item` on `asset`, opened 40 days before `now`; `extra` overrides any property. */
export function handMadeFinding(
  item: ItemSpec,
  asset: AssetSpec,
  now: number,
  extra: Partial<FindingProps> = {},
): { entity: EntityRecord; edge: RelationshipRecord } {
  const key = findingKey(item.id, asset.key);
  const props: FindingProps = {
    maintenanceId: item.id,
    shortDescription: item.short,
    description: `${item.short}: see the link`,
    webLink: item.link,
    dueDate: item.due,
    status: "open",
    closed: false,
    createdBy: "dev@example.com",
    createdOn: now - 40 * DAY_MS,
    query: "Find CodeRepo",
    tracked: false,
    entityKey: asset.key,
    entityType: asset.type,
    entityName: asset.name,
    ...(asset.owner ? { owner: asset.owner } : {}),
    ...extra,
  };
  return { entity: findingRecord(key, props), edge: findingEdge(asset.key, asset.type, key) };
}

/** The selection the open and reconcile tests open their item on. */
export const TF_QUERY = "Find CodeRepo with terraformVersion = '0.12'";

/** `dm open` input for "Upgrade Terraform to 1.x", due 30 days after `now`. */
export function terraformItem(now: number, overrides: Partial<OpenInput> = {}): OpenInput {
  return {
    query: TF_QUERY,
    shortDescription: "Upgrade Terraform to 1.x",
    description: "Move every module to Terraform 1.x",
    webLink: "https://wiki.example.com/tf1",
    dueDate: now + 30 * DAY_MS,
    track: false,
    dryRun: false,
    ...overrides,
  };
}
