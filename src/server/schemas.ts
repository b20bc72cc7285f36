/**
 * What every route answers, as zod schemas: the one source for the
 * handlers' return types (route.ts), the 2xx response schemas of
 * /api/openapi.json (openapi.ts) and the dashboard's API types (web/src/api.ts
 * imports the types only). This module imports nothing but zod and the
 * rules' names (core/rules/models.ts, itself importing nothing), so the
 * dashboard's type check can read it without the server's Node code.
 */
import { z } from "zod";
import { DEPLOYMENT_MODELS, RS } from "../core/rules/models.js";

const record = z.record(z.string(), z.unknown());
const epochMs = z.number();

export const tokenRole = z.enum(["reader", "maintainer", "admin"]);
export const closeReason = z.enum(["COMPLETE", "ERROR", "RISK_ACCEPTED"]);

// ------------------------------------------------------------------ graph

export const entityMetadata = z.object({
  _id: z.string(),
  _key: z.string(),
  _type: z.string(),
  _class: z.array(z.string()),
  displayName: z.string().optional(),
  _source: z.string().optional(),
  _createdOn: epochMs,
  _beginOn: epochMs,
  _version: z.number(),
  _deleted: z.boolean(),
});

/** One entity: its `_id`, metadata and properties (a list row, a tree vertex, GET /entities/{id}). */
export const entityAnswer = z.object({ id: z.string(), entity: entityMetadata, properties: record });

export const treeEdge = z.object({
  id: z.string(),
  fromVertexId: z.string(),
  toVertexId: z.string(),
  relationship: record,
  properties: record,
});

export const queryResult = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("list"),
    data: z.array(entityAnswer),
    cursor: z.string().optional(),
    filteredOn: z.array(z.string()).describe("the properties the query compared on the listed entities (its with, and WHERE on their alias)"),
  }),
  z.object({
    type: z.literal("table"),
    data: z.array(record),
    cursor: z.string().optional(),
    columns: z
      .array(z.object({ name: z.string(), property: z.string().optional() }))
      .describe("the RETURN columns in order, each with the property its values come from (m.dueDate as due: dueDate)"),
  }),
  z.object({ type: z.literal("tree"), data: z.object({ vertices: z.array(entityAnswer), edges: z.array(treeEdge) }) }),
]);

const changeCounts = z.object({ created: z.number(), updated: z.number(), unchanged: z.number() });
export const upsertResult = z.object({ entities: changeCounts, relationships: changeCounts });

const syncWarning = z.object({ file: z.string().optional(), line: z.number().optional(), message: z.string() });

export const syncSummary = z.object({
  integration: z.string(),
  instance: z.string(),
  runId: z.number(),
  status: z.enum(["succeeded", "partial", "failed"]),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  deleted: z.number(),
  warnings: z.array(syncWarning),
  notices: z.array(syncWarning),
  seconds: z.number(),
  reconciled: z.object({ opened: z.number(), closed: z.number(), reopened: z.number() }).optional(),
  error: z.string().optional(),
});

export const syncRun = z.object({
  id: z.number(),
  integration: z.string(),
  instance: z.string(),
  startedOn: epochMs,
  finishedOn: epochMs.nullable(),
  status: z.enum(["running", "succeeded", "partial", "failed"]),
  counts: z.record(z.string(), z.number()).nullable(),
  error: z.string().nullable(),
});

// ------------------------------------------------------------------ maintenance

export const finding = z.object({
  id: z.string().describe("the finding's _id"),
  key: z.string().describe("the finding's _key"),
  maintenanceId: z.string(),
  shortDescription: z.string(),
  description: z.string(),
  webLink: z.string(),
  dueDate: epochMs,
  status: z.enum(["open", "closed"]),
  closed: z.boolean(),
  createdBy: z.string(),
  createdOn: epochMs,
  query: z.string(),
  tracked: z.boolean(),
  entityKey: z.string(),
  entityType: z.string(),
  entityName: z.string(),
  owner: z.string().optional(),
  closedOn: epochMs.optional(),
  closedBy: z.string().optional(),
  closeReason: closeReason.optional(),
  maintenanceLink: z.string().optional(),
  acceptedUntil: epochMs.optional(),
  acceptedBy: z.string().optional(),
  evidence: z.string().optional(),
  reopenedOn: epochMs.optional(),
  via: z
    .object({ key: z.string(), type: z.string(), name: z.string() })
    .optional()
    .describe("in a repo report: the asset the repo deploys or builds that this finding is on (not the repo's own finding)"),
});

export const repoRef = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  matchedBy: z.enum(["remote", "name", "key", "folder"]),
  uniqueName: z.boolean(),
});

export const mineItem = z.object({
  maintenanceId: z.string(),
  shortDescription: z.string(),
  webLink: z.string(),
  dueDate: epochMs,
  open: z.number(),
  overdue: z.number(),
});

const findingReport = { findings: z.array(finding), open: z.number(), overdue: z.number(), mine: z.array(mineItem).optional() };
export const report = z.union([
  z.object({
    repo: repoRef,
    ...findingReport,
    viaDeployed: z
      .object({ open: z.number(), overdue: z.number() })
      .describe("how many of open and overdue are findings on assets the repo deploys or builds (findings with via)"),
  }),
  z.object({ owner: z.string(), ...findingReport }),
]);

export const findingList = z.object({ findings: z.array(finding), open: z.number(), overdue: z.number() });

export const openResult = z.object({
  maintenanceId: z.string(),
  dueDate: epochMs,
  opened: z.number(),
  alreadyOpen: z.number(),
  skipped: z.number(),
  findings: z.array(z.object({ key: z.string(), entityKey: z.string(), entityName: z.string(), dueDate: epochMs })),
  dryRun: z.boolean(),
});

export const closeResult = z.object({
  closed: z.number(),
  reason: closeReason,
  skipped: z.array(z.object({ key: z.string(), name: z.string(), why: z.string() })),
  findings: z.array(z.object({ key: z.string(), maintenanceId: z.string(), entityKey: z.string(), entityName: z.string() })),
  dryRun: z.boolean(),
});

export const reopenResult = z.object({
  reopened: z.number(),
  skipped: z.array(z.object({ key: z.string(), name: z.string(), why: z.string() })),
  findings: z.array(z.object({ key: z.string(), maintenanceId: z.string(), entityKey: z.string(), entityName: z.string() })),
  dryRun: z.boolean(),
});

const closingSkipped = z.object({ syncRun: z.string(), status: z.string() });

export const reconcileResult = z.object({
  reopened: z.number(),
  closed: z.number(),
  opened: z.number(),
  items: z.number(),
  perItem: z.array(
    z.object({
      maintenanceId: z.string(),
      shortDescription: z.string(),
      matched: z.number(),
      opened: z.number(),
      closed: z.number(),
      notClosed: z.number(),
    }),
  ),
  closingSkipped: closingSkipped.optional(),
  errors: z.array(z.object({ maintenanceId: z.string(), message: z.string() })),
  canariesClosed: z.number().optional().describe("stale dm drill canaries closed"),
  changes: z
    .array(z.object({ action: z.enum(["reopened", "closed", "opened"]), maintenanceId: z.string(), entityKey: z.string(), entityName: z.string() }))
    .optional()
    .describe("with listChanges: every finding reopened, closed or opened"),
  dryRun: z.boolean().optional().describe("nothing was written"),
});

export const checkResult = z.object({
  ok: z.boolean(),
  repo: repoRef,
  graceMs: z.number(),
  open: z.number(),
  openItems: z.number(),
  failing: z.array(finding),
  withinGrace: z.array(finding),
});

export const forecast = z.object({
  status: z.enum(["done", "on-time", "late", "not-converging"]),
  pace: z.number(),
  paceWindowDays: z.number(),
  closedInWindow: z.number(),
  daysToFinish: z.number().optional(),
  finishDate: epochMs.optional(),
  daysLate: z.number().optional(),
  beforeDue: z.boolean().optional(),
});

const itemSummaryShape = {
  maintenanceId: z.string(),
  shortDescription: z.string(),
  webLink: z.string(),
  dueDate: epochMs,
  createdOn: epochMs,
  total: z.number(),
  open: z.number(),
  overdue: z.number(),
  closed: z.object({ total: z.number(), COMPLETE: z.number(), ERROR: z.number(), RISK_ACCEPTED: z.number(), unknown: z.number() }),
  completion: z.number().describe("closed / total, 0..1"),
  medianDaysToClose: z.number().nullable(),
  forecast,
};
const burndown = z.array(z.object({ date: z.string().describe("UTC day, YYYY-MM-DD"), open: z.number() }));

/** One maintenance item's progress (dm stats). */
export const itemStats = z.object({ ...itemSummaryShape, burndown });

export const mineList = z.object({ mine: z.array(mineItem) });

// ------------------------------------------------------------------ tokens, audit, jobs

export const apiToken = z.object({
  id: z.string(),
  name: z.string(),
  role: tokenRole,
  createdOn: epochMs,
  lastUsedOn: epochMs.nullable(),
  expiresOn: epochMs.nullable(),
  revokedOn: epochMs.nullable(),
  owner: z.string().nullable().describe("the person or team the token stands for (the dashboard's My items)"),
});

export const tokenList = z.object({ tokens: z.array(apiToken.extend({ status: z.string().describe("active, or why it is refused") })) });
export const createdToken = apiToken.extend({ token: z.string().describe("shown this once; never stored") });

export const auditLog = z.object({
  entries: z.array(
    z.object({ id: z.string(), at: epochMs, actor: z.string(), action: z.string(), subject: z.string(), details: record.optional() }),
  ),
});

export const jobRun = z.object({
  id: z.number(),
  job: z.string(),
  scheduledFor: epochMs,
  startedOn: epochMs,
  finishedOn: epochMs.nullable(),
  status: z.enum(["running", "succeeded", "failed"]),
  runner: z.string(),
  error: z.string().nullable(),
  details: record.nullable(),
});

export const jobs = z.object({
  scheduler: z.enum(["running", "off"]),
  lock: z.enum(["postgres-advisory", "in-process"]),
  timezone: z.literal("UTC"),
  jobs: z.array(
    z.object({ name: z.string(), cron: z.string(), nextRun: epochMs.nullable(), running: z.boolean(), lastRun: jobRun.nullable() }),
  ),
});

// ------------------------------------------------------------------ vulns

export const graphScanResult = z.object({
  instances: z.number(),
  packages: z.number(),
  vulnerabilities: z.number(),
  opened: z.number(),
  reopened: z.number(),
  closed: z.number(),
  accepted: z.number(),
  updated: z.number(),
  open: z.array(
    z.object({
      vulnerabilityId: z.string(),
      maintenanceId: z.string(),
      severity: z.enum(["critical", "high", "medium", "low", "unknown"]),
      entityKey: z.string(),
      entityName: z.string(),
      package: z.string(),
      installedVersion: z.string(),
      fixedVersion: z.string().optional(),
      dueDate: epochMs,
    }),
  ),
  ignored: z.array(z.object({ vulnerabilityId: z.string(), entityKey: z.string(), package: z.string(), reason: z.string(), until: epochMs })),
  expiredIgnores: z.array(z.object({ id: z.string(), reason: z.string(), until: epochMs, packages: z.array(z.string()).optional() })),
  closingSkipped: closingSkipped.optional(),
});

// ------------------------------------------------------------------ the dashboard's views

export const session = z.object({
  name: z.string(),
  role: tokenRole,
  expiresOn: epochMs.nullable(),
  oncall: z.boolean().describe("dm oncall sync has run: the On-call page has something to show"),
  owner: z.string().nullable().describe("the person or team the token stands for: the dashboard links My items to its page"),
});

export const whoami = session.pick({ name: true, role: true });

const behind = {
  expected: z.number().describe("the share that should be done by now at an even pace"),
  behind: z.number().describe("expected - completion: positive is behind"),
};

export const campaignSummary = z.object({ ...itemSummaryShape, ...behind });

const rankedShape = {
  open: z.number(),
  overdue: z.number(),
  maxDaysOverdue: z.number(),
  totalDaysOverdue: z.number(),
};

const rankedAsset = z.object({ id: z.string().nullable(), key: z.string(), name: z.string(), type: z.string(), owner: z.string(), ...rankedShape });

export const overview = z.object({
  now: epochMs,
  counts: z.object({
    total: z.number(),
    open: z.number(),
    overdue: z.number(),
    accepted: z.number(),
    closed: z.number(),
    campaigns: z.number(),
    assets: z.number().describe("assets with an open finding (the riskiest are listed)"),
    owners: z.number().describe("owners with an open finding"),
  }),
  riskiestAssets: z.array(rankedAsset),
  riskiestOwners: z.array(z.object({ owner: z.string(), assets: z.number(), ...rankedShape })),
  campaigns: z.array(campaignSummary),
});

export const campaignFinding = z.object({
  findingId: z.string(),
  assetId: z.string().nullable(),
  maintenanceId: z.string(),
  shortDescription: z.string(),
  entityKey: z.string(),
  entityName: z.string(),
  entityType: z.string(),
  owner: z.string(),
  status: z.string().describe("open, overdue, or the close reason"),
  dueDate: epochMs,
  daysOverdue: z.number().nullable(),
  closedOn: epochMs.nullable(),
  closedBy: z.string().nullable(),
  link: z.string().nullable(),
  acceptedUntil: epochMs.nullable(),
});

export const campaign = z.object({
  now: epochMs,
  stats: z.object({ ...itemSummaryShape, burndown, ...behind }),
  findings: z.array(campaignFinding),
});

export const team = z.object({
  now: epochMs,
  owner: z.string().describe("the owner as the findings (or its Team entity) spell it"),
  team: z
    .object({ id: z.string(), key: z.string(), name: z.string() })
    .nullable()
    .describe("the Team entity named like the owner, if the graph has one"),
  command: z.string().describe("the same report in the CLI: dm report --owner ..."),
  counts: z.object({ total: z.number(), open: z.number(), overdue: z.number(), accepted: z.number(), closed: z.number(), campaigns: z.number() }),
  campaigns: z.array(campaignSummary).describe("each item counted over this owner's findings only, most behind first"),
  worstAssets: z.array(rankedAsset),
  stats: z
    .object({ ...itemSummaryShape, burndown })
    .nullable()
    .describe("all of the owner's findings as one campaign: burndown and forecast; null when it has none"),
  findings: z.array(campaignFinding).describe("open and risk-accepted findings, most overdue first"),
});

export const searchResults = z.object({
  query: z.string(),
  results: z.array(
    z.object({
      kind: z.enum(["repo", "host", "team", "person", "campaign"]),
      name: z.string(),
      detail: z.string().describe("the entity's type, or the campaign's id"),
      path: z.string().describe("the dashboard page: /assets/<_id>, /teams/<owner>, /campaigns/<id>"),
    }),
  ),
  truncated: z.boolean(),
});

export const relationship = z.object({
  id: z.string(),
  class: z.string(),
  type: z.string(),
  direction: z.enum(["out", "in"]),
  properties: record,
  other: z.object({ id: z.string(), key: z.string(), type: z.string(), classes: z.array(z.string()), displayName: z.string() }),
});

export const relationships = z.object({ id: z.string(), relationships: z.array(relationship) });

export const auditEntry = z.object({
  id: z.string(),
  at: epochMs,
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  details: record.nullable(),
});

export const assetFinding = finding.extend({
  status: z.string().describe("open, overdue, or the close reason"),
  daysOverdue: z.number().nullable(),
  history: z.array(z.object({ at: epochMs, what: z.string(), by: z.string(), details: z.string().optional() })),
  audit: z.array(auditEntry),
});

export const assetFindings = z.object({ now: epochMs, findings: z.array(assetFinding) });

export const oncall = z.object({
  configured: z.boolean(),
  groups: z.array(
    z.object({
      id: z.string(),
      key: z.string(),
      name: z.string(),
      dn: z.string(),
      members: z.array(z.object({ id: z.string(), name: z.string(), email: z.string(), since: epochMs.nullable() })),
    }),
  ),
  syncs: z.array(syncRun),
  audit: z.array(auditEntry),
});

// ------------------------------------------------------------------ the rest

export const health = z.object({ status: z.literal("ok") });
export const ready = z.object({ status: z.literal("ready"), database: z.enum(["sqlite", "postgres"]) });
export const metricsText = z.string().describe("Prometheus text format 0.0.4");
export const openApi = z.record(z.string(), z.unknown()).describe("an OpenAPI 3.1 document");

// ------------------------------------------------------------------ types (the dashboard imports these)

export type Session = z.output<typeof session>;
export type Forecast = z.output<typeof forecast>;
export type CampaignSummary = z.output<typeof campaignSummary>;
export type Overview = z.output<typeof overview>;
export type RankedAsset = Overview["riskiestAssets"][number];
export type RankedOwner = Overview["riskiestOwners"][number];
export type CampaignFinding = z.output<typeof campaignFinding>;
export type Campaign = z.output<typeof campaign>;
export type EntityMetadata = z.output<typeof entityMetadata>;
export type EntityAnswer = z.output<typeof entityAnswer>;
export type Relationship = z.output<typeof relationship>;
export type Relationships = z.output<typeof relationships>;
export type AuditEntry = z.output<typeof auditEntry>;
export type AssetFinding = z.output<typeof assetFinding>;
export type Finding = z.output<typeof finding>;
export type Report = z.output<typeof report>;
export type AssetFindings = z.output<typeof assetFindings>;
export type SyncRun = z.output<typeof syncRun>;
export type Oncall = z.output<typeof oncall>;
export type Team = z.output<typeof team>;
export type SearchResults = z.output<typeof searchResults>;
export type TreeVertex = EntityAnswer;
export type TreeEdge = z.output<typeof treeEdge>;
export type QueryResult = z.output<typeof queryResult>;
export type CloseResult = z.output<typeof closeResult>;
export type ReopenResult = z.output<typeof reopenResult>;

// ------------------------------------------------------------------ path parameters

export const maintenanceIdParams = z.object({ id: z.string().describe("the maintenance item's id (8 hex digits)") });

// ------------------------------------------------------------------ questions

export const question = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  queries: z.array(z.object({ name: z.string(), query: z.string() })),
  source: z.string().describe('the file it was imported from, or "built-in"'),
});
export const questionList = z.object({ questions: z.array(question) });
export type Question = z.output<typeof question>;
export type QuestionList = z.output<typeof questionList>;

// ------------------------------------------------------------------ rules and deployment models

const deploymentModel = z.enum(DEPLOYMENT_MODELS);

export const deployment = z
  .object({
    model: deploymentModel.nullable().describe("null: unknown (no recorded model and no deploymentModels: query selects it)"),
    source: z.enum(["configured", "recorded", "unknown"]).describe("configured: dm.config.yaml's deploymentModels; recorded: the entity's own property"),
  })
  .describe("how the asset is deployed");
/** GET /api/v1/entities/{id}: the entity and how it is deployed. */
export const entityPage = entityAnswer.extend({ deployment });

export const ruleRow = z.object({
  id: z.string(),
  pack: z.string(),
  r: z.enum(RS),
  title: z.string(),
  appliesTo: z.union([z.array(deploymentModel), z.literal("all")]),
  enabled: z.boolean(),
  openFindings: z.number(),
  severity: z.string(),
  rationale: z.string().describe("the threat the rule answers"),
  query: z.string(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export const ruleList = z.object({ rules: z.array(ruleRow) });

export const rulesRun = z.object({
  opened: z.number(),
  closed: z.number(),
  unchanged: z.number(),
  reopened: z.number(),
  dryRun: z.boolean(),
  rules: z.array(
    z.object({ id: z.string(), pack: z.string(), r: z.string(), violations: z.number(), opened: z.number(), closed: z.number(), reopened: z.number() }),
  ),
  notes: z.array(z.string()),
});

export const ruleExplanation = z.object({
  entity: z.object({ _key: z.string(), _type: z.string(), displayName: z.string(), deploymentModel: deploymentModel.nullable() }),
  rules: z.array(
    z.object({
      id: z.string(),
      pack: z.string(),
      r: z.string(),
      title: z.string(),
      status: z.enum(["violates", "ok", "not-applicable", "unknown"]),
      reason: z.string(),
      rationale: z.string(),
    }),
  ),
});
export type EntityPage = z.output<typeof entityPage>;
export type RuleList = z.output<typeof ruleList>;
export type RulesRun = z.output<typeof rulesRun>;
export type RuleExplanation = z.output<typeof ruleExplanation>;

// ------------------------------------------------------------------ alerts

export const alertSilence = z.object({
  id: z.string(),
  rule: z.string(),
  entityKey: z.string().nullable().describe("null: the whole rule"),
  until: epochMs,
  reason: z.string(),
  createdBy: z.string(),
  createdOn: epochMs,
});
export const alertList = z.object({
  rules: z.array(
    z.object({
      name: z.string(),
      origin: z.enum(["config", "imported"]),
      source: z.string(),
      description: z.string(),
      when: z.string().describe("the condition: total > N, new, resolved"),
      groupBy: z.string().nullable(),
      schedule: z.string(),
      repeat: z.number().describe("ms before an unchanged alert is announced again"),
      actions: z.number(),
      level: z.string().nullable(),
      enabled: z.boolean(),
      lastEvaluated: epochMs.nullable(),
      total: z.number().nullable(),
      pending: z.number().describe("deliveries waiting for a retry"),
      silenced: z.number(),
      queries: z.array(z.object({ name: z.string(), query: z.string() })),
    }),
  ),
  silences: z.array(alertSilence),
});
const deliveryStatus = z.enum(["sent", "pending", "failed", "abandoned", "would-send", "would-retry"]);
export const alertsRun = z.object({
  dryRun: z.boolean(),
  rules: z.array(
    z.object({
      name: z.string(),
      total: z.number(),
      announced: z.number(),
      resolved: z.number(),
      pending: z.number(),
      silenced: z.number(),
      skipped: z.literal("locked").optional().describe("another process was evaluating it"),
      error: z.string().optional(),
      notifications: z.array(z.object({ id: z.string(), kind: z.string(), group: z.string().nullable(), title: z.string(), entities: z.number() })),
      deliveries: z.array(
        z.object({
          notification: z.string(),
          kind: z.string(),
          group: z.string().nullable(),
          destination: z.string(),
          status: deliveryStatus,
          attempts: z.number(),
          error: z.string().optional(),
        }),
      ),
    }),
  ),
});
export const alertHistory = z.object({
  deliveries: z.array(
    z.object({
      id: z.string(),
      rule: z.string(),
      notificationId: z.string(),
      destination: z.string(),
      kind: z.string(),
      status: z.enum(["pending", "sent", "failed", "abandoned"]),
      attempts: z.number(),
      nextAttemptAt: epochMs,
      lastError: z.string().nullable(),
      createdOn: epochMs,
      updatedOn: epochMs,
      payload: z.unknown().describe("the notification as destinations receive it"),
    }),
  ),
});
export const alertImport = z.object({
  imported: z.array(z.string()),
  problems: z.array(z.object({ file: z.string(), rule: z.string(), query: z.string().optional(), error: z.string() })),
});
