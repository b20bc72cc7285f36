/**
 * Bitbucket objects → JupiterOne's graph-bitbucket model: pure functions,
 * exported so canned API answers (`dm demo`) go through the same mapping.
 *
 * Types and relationship `_type`s are graph-bitbucket's (docs/jupiterone.md,
 * src/constants.ts): bitbucket_workspace (Account) -OWNS-> bitbucket_project
 * (Project) and bitbucket_repo (CodeRepo); bitbucket_project -HAS->
 * bitbucket_repo; bitbucket_workspace -HAS-> bitbucket_user (User) and
 * bitbucket_group (UserGroup); bitbucket_group -HAS-> bitbucket_user;
 * bitbucket_user -OWNS-> bitbucket_group.
 *
 * Keys: Bitbucket Cloud's UUIDs, as graph-bitbucket keys them (they are
 * unique across Bitbucket). Groups have no UUID (API 1.0): graph-bitbucket's
 * `bitbucket-group:<slug>` with the workspace added, since slugs repeat
 * across workspaces. Data Center numbers its objects per server, so its keys
 * carry the server's host: `bitbucket-repo:<host>:<id>`.
 */
import { z } from "zod";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";

const Href = z.object({ href: z.string() });
const HtmlLinks = z.object({ html: Href.nullish() }).nullish();

// ---- Bitbucket Cloud, REST API 2.0 (and 1.0 for groups) ----

export const CloudWorkspace = z.object({
  uuid: z.string(),
  slug: z.string(),
  name: z.string(),
  is_private: z.boolean().nullish(),
  links: HtmlLinks,
  created_on: z.string().nullish(),
  updated_on: z.string().nullish(),
});
export type CloudWorkspace = z.infer<typeof CloudWorkspace>;

export const CloudProject = z.object({
  uuid: z.string(),
  key: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  is_private: z.boolean().nullish(),
  links: HtmlLinks,
  created_on: z.string().nullish(),
  updated_on: z.string().nullish(),
});
export type CloudProject = z.infer<typeof CloudProject>;

export const CloudRepo = z.object({
  uuid: z.string(),
  name: z.string(),
  slug: z.string().nullish(),
  full_name: z.string(),
  description: z.string().nullish(),
  is_private: z.boolean().nullish(),
  language: z.string().nullish(),
  mainbranch: z.object({ name: z.string() }).nullish(),
  links: HtmlLinks,
  project: z.object({ uuid: z.string(), key: z.string().nullish(), name: z.string().nullish() }).nullish(),
  created_on: z.string().nullish(),
  updated_on: z.string().nullish(),
});
export type CloudRepo = z.infer<typeof CloudRepo>;

export const CloudUser = z.object({
  uuid: z.string(),
  display_name: z.string().nullish(),
  nickname: z.string().nullish(),
  account_id: z.string().nullish(),
  links: HtmlLinks,
});
export type CloudUser = z.infer<typeof CloudUser>;

export const CloudMembership = z.object({ user: CloudUser });

/** API 1.0 `GET /1.0/groups/{workspace}`: a plain list, members inline. */
export const CloudGroup = z.object({
  name: z.string(),
  slug: z.string(),
  permission: z.string().nullish(),
  auto_add: z.boolean().nullish(),
  members: z.array(CloudUser.partial({ uuid: true })).nullish(),
  owner: CloudUser.partial({ uuid: true }).nullish(),
});
export type CloudGroup = z.infer<typeof CloudGroup>;

// ---- Bitbucket Data Center / Server, REST API 1.0 ----

const SelfLinks = z.object({ self: z.array(Href).nullish() }).nullish();

export const DcProject = z.object({
  id: z.number(),
  key: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  public: z.boolean().nullish(),
  type: z.string().nullish(),
  links: SelfLinks,
});
export type DcProject = z.infer<typeof DcProject>;

export const DcRepo = z.object({
  id: z.number(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  public: z.boolean().nullish(),
  archived: z.boolean().nullish(),
  state: z.string().nullish(),
  project: z.object({ id: z.number(), key: z.string() }),
  links: SelfLinks,
});
export type DcRepo = z.infer<typeof DcRepo>;

export const DcUser = z.object({
  id: z.number(),
  name: z.string(),
  slug: z.string().nullish(),
  displayName: z.string().nullish(),
  emailAddress: z.string().nullish(),
  active: z.boolean().nullish(),
  type: z.string().nullish(),
  links: SelfLinks,
});
export type DcUser = z.infer<typeof DcUser>;

export const DcGroup = z.object({ name: z.string() });

// ---- helpers ----

const time = (s: string | null | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function splitName(name: string | null | undefined): { firstName: string | null; lastName: string | null } {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length < 2) return { firstName: words[0] ?? null, lastName: null };
  return { firstName: words.slice(0, -1).join(" "), lastName: words.at(-1)! };
}

function rel(cls: "HAS" | "OWNS", type: string, from: string, to: string): RelationshipRecord {
  return { _key: `${from}|${cls.toLowerCase()}|${to}`, _type: type, _class: cls, _fromEntityKey: from, _toEntityKey: to };
}

export const workspaceOwnsProject = (w: string, p: string) => rel("OWNS", "bitbucket_workspace_owns_project", w, p);
export const workspaceOwnsRepo = (w: string, r: string) => rel("OWNS", "bitbucket_workspace_owns_repo", w, r);
export const projectHasRepo = (p: string, r: string) => rel("HAS", "bitbucket_project_has_repo", p, r);
export const workspaceHasUser = (w: string, u: string) => rel("HAS", "bitbucket_workspace_has_user", w, u);
export const workspaceHasGroup = (w: string, g: string) => rel("HAS", "bitbucket_workspace_has_group", w, g);
export const groupHasUser = (g: string, u: string) => rel("HAS", "bitbucket_group_has_user", g, u);
export const userOwnsGroup = (u: string, g: string) => rel("OWNS", "bitbucket_user_owns_group", u, g);

// ---- Cloud ----

export function cloudWorkspaceEntity(w: CloudWorkspace): EntityRecord {
  return defined({
    _key: w.uuid,
    _type: "bitbucket_workspace",
    _class: "Account",
    name: w.name,
    displayName: w.name,
    slug: w.slug,
    vendor: "Atlassian",
    isPrivate: w.is_private ?? undefined,
    webLink: w.links?.html?.href,
    createdOn: time(w.created_on),
    updatedOn: time(w.updated_on),
  });
}

export function cloudProjectEntity(workspace: string, p: CloudProject): EntityRecord {
  return defined({
    _key: p.uuid,
    _type: "bitbucket_project",
    _class: "Project",
    key: p.key,
    name: p.name,
    displayName: p.name,
    description: p.description || undefined,
    public: p.is_private == null ? undefined : !p.is_private,
    workspace,
    webLink: p.links?.html?.href,
    createdOn: time(p.created_on),
    updatedOn: time(p.updated_on),
  });
}

export function cloudRepoEntity(workspace: CloudWorkspace, r: CloudRepo): EntityRecord {
  return defined({
    _key: r.uuid,
    _type: "bitbucket_repo",
    _class: "CodeRepo",
    name: r.name,
    displayName: r.name,
    slug: r.slug ?? undefined,
    fullName: r.full_name.toLowerCase(),
    owner: r.full_name.toLowerCase().split("/")[0],
    ownerId: workspace.uuid,
    projectId: r.project?.uuid,
    project: r.project?.key ?? undefined,
    description: r.description || undefined,
    public: r.is_private == null ? undefined : !r.is_private,
    defaultBranch: r.mainbranch?.name,
    language: r.language || undefined,
    webLink: r.links?.html?.href,
    createdOn: time(r.created_on),
    updatedOn: time(r.updated_on),
  });
}

/** Bitbucket Cloud never shows a user's email: `email` is null. */
export function cloudUserEntity(u: CloudUser): EntityRecord {
  const name = u.display_name || u.nickname || u.uuid;
  return defined({
    _key: u.uuid,
    _type: "bitbucket_user",
    _class: "User",
    name,
    displayName: name,
    nickname: u.nickname ?? undefined,
    accountId: u.account_id ?? undefined,
    username: u.nickname ? [u.nickname] : null,
    shortLoginId: u.nickname ? [u.nickname] : null,
    email: null,
    ...splitName(u.display_name),
    active: true,
    webLink: u.links?.html?.href,
  });
}

export const cloudGroupKey = (workspace: string, slug: string) => `bitbucket-group:${workspace}/${slug}`;

export function cloudGroupEntity(workspace: string, g: CloudGroup): EntityRecord {
  return defined({
    _key: cloudGroupKey(workspace, g.slug),
    _type: "bitbucket_group",
    _class: "UserGroup",
    name: g.name,
    displayName: g.name,
    slug: g.slug,
    permission: g.permission ?? undefined,
    autoAdd: g.auto_add ?? undefined,
  });
}

// ---- Data Center ----

export const dcWorkspaceKey = (host: string) => `bitbucket-workspace:${host}`;
export const dcProjectKey = (host: string, id: number) => `bitbucket-project:${host}:${id}`;
export const dcRepoKey = (host: string, id: number) => `bitbucket-repo:${host}:${id}`;
export const dcUserKey = (host: string, id: number) => `bitbucket-user:${host}:${id}`;
export const dcGroupKey = (host: string, name: string) => `bitbucket-group:${host}:${name}`;

/** The server (a Data Center has no workspaces): named by `workspace` or its host. */
export function dcWorkspaceEntity(host: string, serverUrl: string, name?: string): EntityRecord {
  return {
    _key: dcWorkspaceKey(host),
    _type: "bitbucket_workspace",
    _class: "Account",
    name: name ?? host,
    displayName: name ?? host,
    slug: name ?? host,
    vendor: "Atlassian",
    webLink: serverUrl,
  };
}

const selfLink = (links: { self?: { href: string }[] | null } | null | undefined) => links?.self?.[0]?.href;

export function dcProjectEntity(host: string, p: DcProject): EntityRecord {
  return defined({
    _key: dcProjectKey(host, p.id),
    _type: "bitbucket_project",
    _class: "Project",
    id: String(p.id),
    key: p.key,
    name: p.name,
    displayName: p.name,
    description: p.description || undefined,
    public: p.public ?? false,
    webLink: selfLink(p.links),
  });
}

export function dcRepoEntity(host: string, r: DcRepo): EntityRecord {
  return defined({
    _key: dcRepoKey(host, r.id),
    _type: "bitbucket_repo",
    _class: "CodeRepo",
    id: String(r.id),
    name: r.name,
    displayName: r.name,
    slug: r.slug,
    fullName: `${r.project.key}/${r.slug}`.toLowerCase(),
    owner: r.project.key.toLowerCase(),
    projectId: dcProjectKey(host, r.project.id),
    project: r.project.key,
    description: r.description || undefined,
    public: r.public ?? false,
    archived: r.archived ?? false,
    state: r.state ?? undefined,
    webLink: selfLink(r.links),
  });
}

export function dcUserEntity(host: string, u: DcUser): EntityRecord {
  const email = (u.emailAddress ?? "").trim().toLowerCase();
  const name = u.displayName || u.name;
  return defined({
    _key: dcUserKey(host, u.id),
    _type: "bitbucket_user",
    _class: "User",
    id: String(u.id),
    name,
    displayName: name,
    username: [u.name],
    shortLoginId: [u.slug ?? u.name],
    email: email ? [email] : null,
    ...splitName(u.displayName),
    active: u.active ?? true,
    userType: u.type ?? undefined,
    webLink: selfLink(u.links),
  });
}

export function dcGroupEntity(host: string, name: string): EntityRecord {
  return { _key: dcGroupKey(host, name), _type: "bitbucket_group", _class: "UserGroup", name, displayName: name };
}
