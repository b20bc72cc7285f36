/**
 * GitHub REST answers → JupiterOne's graph-github entities and edges. Pure:
 * `dm demo` feeds canned answers through these.
 *
 * Types, classes, relationship `_type`s and property names follow
 * JupiterOne's own integration (JupiterOne/graph-github, src/constants.ts and
 * src/sync/converters.ts): keys are GitHub's node ids as there, `fullName` is
 * lowercased, ALLOWS edges carry `role` (ADMIN, MAINTAIN, WRITE, TRIAGE,
 * READ) and the five `*Permission` booleans, outside collaborators are
 * `github_user` with `role: "OUTSIDE"`. Where J1 reads GraphQL and dm reads
 * REST, the REST field is mapped to J1's name (`private` → `public`,
 * `visibility` upper-cased as GraphQL's enum). dm adds `defaultBranch`,
 * `topics` and `language` on repos. The User class of @jupiterone/data-model
 * wants `email`, `username` and `shortLoginId` as arrays (or null) and
 * `firstName`/`lastName` present: they are written so.
 */
import { z } from "zod";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";

// ---- the REST answers (only the fields used; the rest is ignored) ----

const time = z.string().nullish();

export const GhOrg = z.object({
  login: z.string(),
  id: z.number(),
  node_id: z.string(),
  html_url: z.string(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  email: z.string().nullish(),
  is_verified: z.boolean().optional(),
  created_at: time,
  updated_at: time,
});
export type GhOrg = z.infer<typeof GhOrg>;

export const GhPermissions = z.object({
  admin: z.boolean().optional(),
  maintain: z.boolean().optional(),
  push: z.boolean().optional(),
  triage: z.boolean().optional(),
  pull: z.boolean().optional(),
});
export type GhPermissions = z.infer<typeof GhPermissions>;

export const GhRepo = z.object({
  id: z.number(),
  node_id: z.string(),
  name: z.string(),
  full_name: z.string(),
  private: z.boolean(),
  html_url: z.string(),
  description: z.string().nullish(),
  fork: z.boolean().optional(),
  archived: z.boolean().optional(),
  disabled: z.boolean().optional(),
  visibility: z.string().optional(),
  is_template: z.boolean().optional(),
  default_branch: z.string().nullish(),
  topics: z.array(z.string()).optional(),
  language: z.string().nullish(),
  homepage: z.string().nullish(),
  pushed_at: time,
  created_at: time,
  updated_at: time,
  /** on a team's repositories: the team's permissions */
  permissions: GhPermissions.optional(),
  role_name: z.string().optional(),
});
export type GhRepo = z.infer<typeof GhRepo>;

export const GhTeam = z.object({
  id: z.number(),
  node_id: z.string(),
  html_url: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string().nullish(),
  privacy: z.string().nullish(),
  parent: z.object({ slug: z.string() }).nullish(),
});
export type GhTeam = z.infer<typeof GhTeam>;

export const GhUser = z.object({
  login: z.string(),
  id: z.number(),
  node_id: z.string(),
  html_url: z.string(),
  type: z.string().optional(),
  site_admin: z.boolean().optional(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  company: z.string().nullish(),
  location: z.string().nullish(),
  created_at: time,
  updated_at: time,
  /** on a repository's collaborators */
  permissions: GhPermissions.optional(),
  role_name: z.string().optional(),
});
export type GhUser = z.infer<typeof GhUser>;

const Enabled = z.object({ enabled: z.boolean() }).nullish();

export const GhBranchProtection = z.object({
  url: z.string().optional(),
  required_status_checks: z
    .object({ strict: z.boolean().optional(), contexts: z.array(z.string()).optional() })
    .nullish(),
  enforce_admins: Enabled,
  required_pull_request_reviews: z
    .object({
      dismiss_stale_reviews: z.boolean().optional(),
      require_code_owner_reviews: z.boolean().optional(),
      required_approving_review_count: z.number().optional(),
      require_last_push_approval: z.boolean().optional(),
    })
    .nullish(),
  required_linear_history: Enabled,
  allow_force_pushes: Enabled,
  allow_deletions: Enabled,
  block_creations: Enabled,
  required_conversation_resolution: Enabled,
  lock_branch: Enabled,
  required_signatures: Enabled,
});
export type GhBranchProtection = z.infer<typeof GhBranchProtection>;

// ---- types ----

export const TYPES = {
  account: "github_account",
  repo: "github_repo",
  team: "github_team",
  user: "github_user",
  rule: "github_branch_protection_rule",
} as const;

export const REL = {
  accountOwnsRepo: "github_account_owns_repo",
  accountHasTeam: "github_account_has_team",
  accountHasUser: "github_account_has_user",
  userManagesAccount: "github_user_manages_account",
  teamHasUser: "github_team_has_user",
  repoAllowsTeam: "github_repo_allows_team",
  repoAllowsUser: "github_repo_allows_user",
  repoHasRule: "github_repo_has_branch_protection_rule",
} as const;

/** Epoch ms of an ISO time, or undefined. */
export function epoch(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** Drops undefined values, so records compare equal run to run. */
function defined<T extends Record<string, unknown>>(record: T): T {
  for (const k of Object.keys(record)) if (record[k] === undefined) delete record[k];
  return record;
}

/** A relationship with J1's direct-relationship key (`from|verb|to`). */
export function edge(type: string, cls: string, from: string, to: string, props: Record<string, unknown> = {}): RelationshipRecord {
  return {
    _key: `${from}|${cls.toLowerCase()}|${to}`,
    _type: type,
    _class: cls,
    _fromEntityKey: from,
    _toEntityKey: to,
    displayName: cls,
    ...props,
  };
}

export function toAccountEntity(org: GhOrg): EntityRecord {
  return defined({
    _key: org.node_id,
    _type: TYPES.account,
    _class: "Account",
    name: org.name || org.login,
    displayName: org.name || org.login,
    accountType: "Organization",
    accountId: org.login,
    login: org.login,
    vendor: "GitHub",
    databaseId: org.id,
    description: org.description ?? undefined,
    email: org.email ? org.email.toLowerCase() : undefined,
    verified: org.is_verified,
    webLink: org.html_url,
    createdOn: epoch(org.created_at),
    updatedOn: epoch(org.updated_at),
  });
}

export function toRepoEntity(repo: GhRepo): EntityRecord {
  const visibility = (repo.visibility ?? (repo.private ? "private" : "public")).toUpperCase();
  return defined({
    _key: repo.node_id,
    _type: TYPES.repo,
    _class: "CodeRepo",
    name: repo.name,
    displayName: repo.name,
    fullName: repo.full_name.toLowerCase(),
    webLink: repo.html_url,
    databaseId: repo.id,
    description: repo.description ?? "",
    homepageUrl: repo.homepage ?? "",
    defaultBranch: repo.default_branch ?? undefined,
    public: !repo.private,
    visibility,
    archived: repo.archived ?? false,
    disabled: repo.disabled ?? false,
    fork: repo.fork ?? false,
    template: repo.is_template ?? false,
    topics: [...(repo.topics ?? [])].sort(),
    language: repo.language ?? undefined,
    createdOn: epoch(repo.created_at),
    updatedOn: epoch(repo.updated_at),
    pushedOn: epoch(repo.pushed_at),
  });
}

export function toTeamEntity(team: GhTeam): EntityRecord {
  return defined({
    _key: team.node_id,
    _type: TYPES.team,
    _class: "UserGroup",
    name: team.slug,
    displayName: team.name,
    fullName: team.name,
    webLink: team.html_url,
    databaseId: team.id,
    description: team.description ?? "",
    privacy: team.privacy ?? "",
    parentTeam: team.parent?.slug,
  });
}

export type GhUserRole = "ADMIN" | "MEMBER" | "OUTSIDE";

/**
 * A user: an organisation member (`role` ADMIN or MEMBER, as GraphQL's
 * OrganizationMemberRole) or an outside collaborator (`OUTSIDE`). `email`
 * is the public email GitHub gives (lowercased), else null.
 */
export function toUserEntity(user: GhUser, role: GhUserRole): EntityRecord {
  const email = user.email ? user.email.trim().toLowerCase() : undefined;
  return defined({
    _key: user.node_id,
    _type: TYPES.user,
    _class: "User",
    name: user.name || user.login,
    displayName: user.name || user.login,
    login: user.login,
    username: [user.login],
    shortLoginId: [user.login],
    email: email ? [email] : null,
    firstName: null,
    lastName: null,
    role,
    siteAdmin: user.site_admin ?? false,
    webLink: user.html_url,
    databaseId: user.id,
    company: user.company ?? undefined,
    location: user.location ?? undefined,
    active: true,
    createdOn: epoch(user.created_at),
    updatedOn: epoch(user.updated_at),
  });
}

export type GhRole = "ADMIN" | "MAINTAIN" | "WRITE" | "TRIAGE" | "READ";

const ROLE_NAMES: Record<string, GhRole> = {
  admin: "ADMIN",
  maintain: "MAINTAIN",
  write: "WRITE",
  push: "WRITE",
  triage: "TRIAGE",
  read: "READ",
  pull: "READ",
};

/** The role of a permissions object (the highest it grants), else of a role name; READ when neither says. */
export function roleOf(permissions: GhPermissions | undefined, roleName?: string): GhRole {
  if (permissions) {
    if (permissions.admin) return "ADMIN";
    if (permissions.maintain) return "MAINTAIN";
    if (permissions.push) return "WRITE";
    if (permissions.triage) return "TRIAGE";
    if (permissions.pull) return "READ";
  }
  return (roleName && ROLE_NAMES[roleName.toLowerCase()]) || "READ";
}

/** J1's ALLOWS properties: the role and what it implies (each role includes the ones below it). */
export function permissionProps(role: GhRole): Record<string, unknown> {
  const admin = role === "ADMIN";
  const maintain = admin || role === "MAINTAIN";
  const push = maintain || role === "WRITE";
  const triage = push || role === "TRIAGE";
  return {
    role,
    adminPermission: admin,
    maintainPermission: maintain,
    pushPermission: push,
    triagePermission: triage,
    pullPermission: true,
  };
}

export function repoAllowsTeam(repoKey: string, teamKey: string, role: GhRole): RelationshipRecord {
  return edge(REL.repoAllowsTeam, "ALLOWS", repoKey, teamKey, permissionProps(role));
}

export function repoAllowsUser(repoKey: string, userKey: string, role: GhRole): RelationshipRecord {
  return edge(REL.repoAllowsUser, "ALLOWS", repoKey, userKey, permissionProps(role));
}

/**
 * The protection of a repository's default branch (REST has no id for it:
 * the key is the repository's node id and the branch).
 */
export function toBranchProtectionEntity(repo: GhRepo, branch: string, p: GhBranchProtection): EntityRecord {
  const reviews = p.required_pull_request_reviews;
  return defined({
    _key: `github_branch_protection_rule:${repo.node_id}:${branch}`,
    _type: TYPES.rule,
    _class: "Rule",
    name: branch,
    displayName: branch,
    webLink: `${repo.html_url}/settings/branches`,
    repoName: repo.name,
    enforceAdmins: p.enforce_admins?.enabled ?? false,
    requiredPullRequestReviews: reviews != null,
    requiredApprovingReviewCount: reviews?.required_approving_review_count ?? 0,
    requireCodeOwnerReviews: reviews?.require_code_owner_reviews ?? false,
    dismissStaleReviews: reviews?.dismiss_stale_reviews ?? false,
    requireLastPushApproval: reviews?.require_last_push_approval ?? false,
    requiredStatusChecks: [...(p.required_status_checks?.contexts ?? [])].sort(),
    requiredStatusChecksStrict: p.required_status_checks?.strict ?? false,
    requiredLinearHistory: p.required_linear_history?.enabled ?? false,
    allowForcePushes: p.allow_force_pushes?.enabled ?? false,
    allowDeletions: p.allow_deletions?.enabled ?? false,
    blockCreations: p.block_creations?.enabled ?? false,
    requiredConversationResolution: p.required_conversation_resolution?.enabled ?? false,
    requiredSignatures: p.required_signatures?.enabled ?? false,
    lockBranch: p.lock_branch?.enabled ?? false,
  });
}
