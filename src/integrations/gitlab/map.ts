/**
 * GitLab REST v4 objects → JupiterOne's graph-gitlab model: pure functions,
 * exported so canned API answers (`dm demo`) go through the same mapping.
 *
 * Types and relationship `_type`s are graph-gitlab's (docs/jupiterone.md,
 * src/constants.ts): gitlab_account (Account), gitlab_group (Group),
 * gitlab_project (CodeRepo + Project), gitlab_user (User);
 * gitlab_account_has_group|project, gitlab_group_has_group|project|user,
 * gitlab_project_has_user. Keys are graph-gitlab's (`gitlab-project:<id>`)
 * with the server's host inserted (`gitlab-project:gitlab.example.com:42`):
 * dm keeps one graph for every instance, and two GitLab servers number their
 * projects independently.
 */
import { z } from "zod";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";

export const GitlabGroup = z.object({
  id: z.number(),
  name: z.string(),
  path: z.string(),
  full_name: z.string().nullish(),
  full_path: z.string(),
  description: z.string().nullish(),
  visibility: z.string().nullish(),
  parent_id: z.number().nullish(),
  web_url: z.string().nullish(),
  created_at: z.string().nullish(),
});
export type GitlabGroup = z.infer<typeof GitlabGroup>;

export const GitlabProject = z.object({
  id: z.number(),
  name: z.string(),
  path: z.string(),
  path_with_namespace: z.string(),
  description: z.string().nullish(),
  default_branch: z.string().nullish(),
  visibility: z.string().nullish(),
  archived: z.boolean().nullish(),
  topics: z.array(z.string()).nullish(),
  web_url: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  last_activity_at: z.string().nullish(),
  namespace: z.object({ id: z.number(), kind: z.string().nullish(), full_path: z.string().nullish() }),
});
export type GitlabProject = z.infer<typeof GitlabProject>;

/** A member of a group or project (GET /groups/:id/members): a user with an access level. */
export const GitlabMember = z.object({
  id: z.number(),
  username: z.string(),
  name: z.string().nullish(),
  state: z.string().nullish(),
  web_url: z.string().nullish(),
  access_level: z.number().nullish(),
  expires_at: z.string().nullish(),
  created_at: z.string().nullish(),
  /** shown to administrators and to owners of enterprise users */
  email: z.string().nullish(),
  public_email: z.string().nullish(),
  bot: z.boolean().nullish(),
});
export type GitlabMember = z.infer<typeof GitlabMember>;

/** GitLab's access levels by number (docs: api/members.md). */
export const ACCESS_LEVELS: Record<number, string> = {
  0: "none",
  5: "minimal",
  10: "guest",
  15: "planner",
  20: "reporter",
  30: "developer",
  40: "maintainer",
  50: "owner",
};

/** Which server the keys are for: the base URL's host (and port). */
export function hostOf(url: string): string {
  return new URL(url).host.toLowerCase();
}

const time = (s: string | null | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

/** Leave out undefined values, so a re-sync compares equal and the store keeps no `undefined`. */
function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const accountKey = (host: string, group?: string) => `gitlab-account:${host}${group ? `/${group}` : ""}`;
export const groupKey = (host: string, id: number) => `gitlab-group:${host}:${id}`;
export const projectKey = (host: string, id: number) => `gitlab-project:${host}:${id}`;
export const userKey = (host: string, id: number) => `gitlab-user:${host}:${id}`;

/** The account: the server, or the one group (and its subgroups) an instance reads. */
export function accountEntity(baseUrl: string, group?: string): EntityRecord {
  const host = hostOf(baseUrl);
  const name = group ?? host;
  return {
    _key: accountKey(host, group),
    _type: "gitlab_account",
    _class: "Account",
    name,
    displayName: group ? `GitLab ${group} (${host})` : `GitLab ${host}`,
    vendor: "GitLab",
    webLink: `${baseUrl.replace(/\/+$/, "")}${group ? `/${group.split("/").map(encodeURIComponent).join("/")}` : ""}`,
    accessURL: baseUrl.replace(/\/+$/, ""),
  };
}

export function groupEntity(host: string, g: GitlabGroup): EntityRecord {
  return defined({
    _key: groupKey(host, g.id),
    _type: "gitlab_group",
    _class: "Group",
    id: String(g.id),
    name: g.name,
    displayName: g.full_name ?? g.name,
    path: g.path,
    fullName: g.full_name ?? undefined,
    fullPath: g.full_path,
    parentGroupId: g.parent_id == null ? undefined : String(g.parent_id),
    description: g.description || undefined,
    visibility: g.visibility ?? undefined,
    public: g.visibility ? g.visibility === "public" : undefined,
    webLink: g.web_url ?? undefined,
    createdOn: time(g.created_at),
  });
}

export function projectEntity(host: string, p: GitlabProject): EntityRecord {
  return defined({
    _key: projectKey(host, p.id),
    _type: "gitlab_project",
    _class: ["CodeRepo", "Project"],
    id: String(p.id),
    name: p.name,
    displayName: p.name,
    path: p.path,
    fullName: p.path_with_namespace,
    owner: p.namespace.full_path ?? undefined,
    description: p.description || undefined,
    webLink: p.web_url ?? undefined,
    defaultBranch: p.default_branch ?? undefined,
    visibility: p.visibility ?? undefined,
    public: p.visibility === "public",
    archived: p.archived ?? false,
    topics: p.topics ?? [],
    createdOn: time(p.created_at),
    updatedOn: time(p.updated_at),
    lastActivityOn: time(p.last_activity_at),
  });
}

/** First and last name from GitLab's one `name` (the last word is the last name). */
function splitName(name: string | null | undefined): { firstName: string | null; lastName: string | null } {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length < 2) return { firstName: words[0] ?? null, lastName: null };
  return { firstName: words.slice(0, -1).join(" "), lastName: words.at(-1)! };
}

/**
 * A user from a member entry. `email` is what GitLab shows (administrators
 * and enterprise-group owners see `email`; anyone sees a `public_email`),
 * lowercased; JupiterOne's User schema makes `email`, `username` and
 * `shortLoginId` lists (null when unknown).
 */
export function userEntity(host: string, m: GitlabMember): EntityRecord {
  const email = (m.email || m.public_email || "").trim().toLowerCase();
  return defined({
    _key: userKey(host, m.id),
    _type: "gitlab_user",
    _class: "User",
    id: String(m.id),
    name: m.name || m.username,
    displayName: m.name || m.username,
    username: [m.username],
    shortLoginId: [m.username],
    email: email ? [email] : null,
    ...splitName(m.name),
    state: m.state ?? undefined,
    active: m.state ? m.state === "active" : undefined,
    bot: m.bot ?? undefined,
    webLink: m.web_url ?? undefined,
    createdOn: time(m.created_at),
  });
}

function has(type: string, from: string, to: string, props: Record<string, unknown> = {}): RelationshipRecord {
  return { _key: `${from}|has|${to}`, _type: type, _class: "HAS", _fromEntityKey: from, _toEntityKey: to, ...props };
}

export const accountHasGroup = (account: string, group: string) => has("gitlab_account_has_group", account, group);
export const accountHasProject = (account: string, project: string) => has("gitlab_account_has_project", account, project);
export const groupHasSubgroup = (parent: string, child: string) => has("gitlab_group_has_group", parent, child);
export const groupHasProject = (group: string, project: string) => has("gitlab_group_has_project", group, project);

/** A membership, with GitLab's access level (number and name) on the edge. */
function memberProps(m: GitlabMember): Record<string, unknown> {
  return defined({
    accessLevel: m.access_level ?? undefined,
    role: m.access_level == null ? undefined : (ACCESS_LEVELS[m.access_level] ?? String(m.access_level)),
    expiresOn: time(m.expires_at),
  });
}
export const groupHasUser = (group: string, user: string, m: GitlabMember) => has("gitlab_group_has_user", group, user, memberProps(m));
export const projectHasUser = (project: string, user: string, m: GitlabMember) =>
  has("gitlab_project_has_user", project, user, memberProps(m));
