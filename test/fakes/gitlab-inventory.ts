/**
 * GitLab REST v4 for the inventory (`dm sync gitlab`), as documented in
 * GitLab's api/groups.md, api/projects.md (group projects), api/members.md
 * and api/rest/index.md#pagination: GET /groups (the token's groups),
 * /groups/:id (id or URL-encoded path), /groups/:id/descendant_groups,
 * /groups/:id/projects (include_subgroups, with_shared), /groups/:id/members
 * and /projects/:id/members. Offset pagination: `page`/`per_page` (capped),
 * `X-Next-Page`, `X-Page`, `X-Total`, `X-Total-Pages` and a `Link` header
 * with rel="next" (left out with `links: false`, so X-Next-Page alone leads).
 * PRIVATE-TOKEN, else 401; answers carry a weak ETag and a matching
 * If-None-Match gets 304, as GitLab's ETag caching does.
 *
 * The on-call feature's fake (group members add/remove) is ./gitlab.ts.
 */
import { createHash } from "node:crypto";
import { type FakeReply, type FakeServer, type RecordedRequest, startFakeServer } from "./http.js";

export interface FakeGlGroup {
  id: number;
  name: string;
  path: string;
  parent_id: number | null;
  visibility?: string;
  description?: string;
}

export interface FakeGlProject {
  id: number;
  name: string;
  /** the group it is in */
  namespace_id: number;
  visibility?: string;
  archived?: boolean;
  topics?: string[];
  default_branch?: string | null;
  description?: string;
  /** shared with other groups (only listed with with_shared=true) */
  shared_with?: number[];
}

export interface FakeGlUser {
  id: number;
  username: string;
  name: string;
  email?: string;
  public_email?: string;
  state?: string;
}

export interface FakeGitlabInventory extends FakeServer {
  groups: FakeGlGroup[];
  projects: FakeGlProject[];
  users: FakeGlUser[];
  /** group id → [user id, access level] */
  groupMembers: Map<number, [number, number][]>;
  projectMembers: Map<number, [number, number][]>;
  /** the groups GET /groups lists (the token's memberships); empty: all */
  memberOf: Set<number>;
  /** request paths answered 403 (e.g. "/api/v4/projects/12/members") */
  forbidden: Set<string>;
}

const CREATED = "2024-03-01T10:00:00.000Z";

export async function startFakeGitlabInventory(options: {
  token: string;
  perPageCap?: number;
  links?: boolean;
}): Promise<FakeGitlabInventory> {
  const cap = options.perPageCap ?? 100;
  const state = {
    groups: [] as FakeGlGroup[],
    projects: [] as FakeGlProject[],
    users: [] as FakeGlUser[],
    groupMembers: new Map<number, [number, number][]>(),
    projectMembers: new Map<number, [number, number][]>(),
    memberOf: new Set<number>(),
    forbidden: new Set<string>(),
  };
  let url = "";

  const fullPath = (g: FakeGlGroup): string => {
    const parent = state.groups.find((p) => p.id === g.parent_id);
    return parent ? `${fullPath(parent)}/${g.path}` : g.path;
  };
  const fullName = (g: FakeGlGroup): string => {
    const parent = state.groups.find((p) => p.id === g.parent_id);
    return parent ? `${fullName(parent)} / ${g.name}` : g.name;
  };
  const groupJson = (g: FakeGlGroup) => ({
    id: g.id,
    web_url: `${url}/groups/${fullPath(g)}`,
    name: g.name,
    path: g.path,
    description: g.description ?? "",
    visibility: g.visibility ?? "private",
    share_with_group_lock: false,
    require_two_factor_authentication: false,
    project_creation_level: "developer",
    full_name: fullName(g),
    full_path: fullPath(g),
    created_at: CREATED,
    parent_id: g.parent_id,
  });
  const projectJson = (p: FakeGlProject) => {
    const g = state.groups.find((x) => x.id === p.namespace_id)!;
    const path = p.name.toLowerCase().replace(/\s+/g, "-");
    return {
      id: p.id,
      description: p.description ?? null,
      name: p.name,
      name_with_namespace: `${fullName(g)} / ${p.name}`,
      path,
      path_with_namespace: `${fullPath(g)}/${path}`,
      created_at: CREATED,
      updated_at: "2026-11-01T09:30:00.000Z",
      default_branch: p.default_branch === undefined ? "main" : p.default_branch,
      tag_list: p.topics ?? [],
      topics: p.topics ?? [],
      ssh_url_to_repo: `git@gitlab.example.com:${fullPath(g)}/${path}.git`,
      http_url_to_repo: `${url}/${fullPath(g)}/${path}.git`,
      web_url: `${url}/${fullPath(g)}/${path}`,
      visibility: p.visibility ?? "private",
      archived: p.archived ?? false,
      last_activity_at: "2026-11-20T08:00:00.000Z",
      namespace: { id: g.id, name: g.name, path: g.path, kind: "group", full_path: fullPath(g), parent_id: g.parent_id },
      _links: { self: `${url}/api/v4/projects/${p.id}` },
    };
  };
  const memberJson = ([id, level]: [number, number]) => {
    const u = state.users.find((x) => x.id === id)!;
    return {
      id: u.id,
      username: u.username,
      name: u.name,
      state: u.state ?? "active",
      avatar_url: `${url}/uploads/-/system/user/avatar/${u.id}/avatar.png`,
      web_url: `${url}/${u.username}`,
      access_level: level,
      created_at: CREATED,
      expires_at: null,
      ...(u.email ? { email: u.email } : {}),
      ...(u.public_email ? { public_email: u.public_email } : {}),
    };
  };
  const descendants = (id: number): FakeGlGroup[] =>
    state.groups.filter((g) => g.parent_id === id).flatMap((g) => [g, ...descendants(g.id)]);

  function paged(req: RecordedRequest, all: unknown[]): FakeReply {
    const perPage = Math.min(Number(req.query.get("per_page") ?? 20), cap);
    const page = Number(req.query.get("page") ?? 1);
    const items = all.slice((page - 1) * perPage, page * perPage);
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    const headers: Record<string, string> = {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-total": String(all.length),
      "x-total-pages": String(totalPages),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
    };
    if (options.links !== false) {
      const link = (n: number, rel: string) => {
        const q = new URLSearchParams(req.query);
        q.set("page", String(n));
        q.set("per_page", String(perPage));
        return `<${url}${req.path}?${q}>; rel="${rel}"`;
      };
      headers.link = [
        ...(page < totalPages ? [link(page + 1, "next")] : []),
        link(1, "first"),
        link(totalPages, "last"),
      ].join(", ");
    }
    return withEtag(req, { json: items, headers });
  }

  function withEtag(req: RecordedRequest, reply: FakeReply): FakeReply {
    const etag = `W/"${createHash("sha1").update(JSON.stringify(reply.json)).digest("hex")}"`;
    if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag } };
    return { ...reply, headers: { ...reply.headers, etag } };
  }

  const groupOf = (ref: string) => state.groups.find((g) => String(g.id) === ref || fullPath(g) === decodeURIComponent(ref));

  const server = await startFakeServer((req) => {
    if (req.headers["private-token"] !== options.token) return { status: 401, json: { message: "401 Unauthorized" } };
    if (req.method !== "GET") return { status: 405, json: { message: "405 Method Not Allowed" } };
    if (state.forbidden.has(req.path)) return { status: 403, json: { message: "403 Forbidden" } };
    const p = req.path.replace(/^\/api\/v4/, "");
    if (p === "/groups") {
      const listed = state.groups.filter((g) => state.memberOf.size === 0 || state.memberOf.has(g.id));
      return paged(req, listed.sort((a, b) => a.id - b.id).map(groupJson));
    }
    let m = /^\/groups\/([^/]+)$/.exec(p);
    if (m) {
      const g = groupOf(m[1]!);
      return g ? withEtag(req, { json: groupJson(g) }) : { status: 404, json: { message: "404 Group Not Found" } };
    }
    m = /^\/groups\/([^/]+)\/(descendant_groups|projects|members)$/.exec(p);
    if (m) {
      const g = groupOf(m[1]!);
      if (!g) return { status: 404, json: { message: "404 Group Not Found" } };
      if (m[2] === "descendant_groups") return paged(req, descendants(g.id).sort((a, b) => a.id - b.id).map(groupJson));
      if (m[2] === "members") return paged(req, (state.groupMembers.get(g.id) ?? []).map(memberJson));
      const inGroups = new Set([g.id, ...(req.query.get("include_subgroups") === "true" ? descendants(g.id).map((d) => d.id) : [])]);
      const withShared = req.query.get("with_shared") !== "false";
      const list = state.projects
        .filter((x) => inGroups.has(x.namespace_id) || (withShared && (x.shared_with ?? []).some((s) => inGroups.has(s))))
        .sort((a, b) => a.id - b.id);
      return paged(req, list.map(projectJson));
    }
    m = /^\/projects\/(\d+)\/members$/.exec(p);
    if (m) {
      const project = state.projects.find((x) => x.id === Number(m![1]));
      if (!project) return { status: 404, json: { message: "404 Project Not Found" } };
      return paged(req, (state.projectMembers.get(project.id) ?? []).map(memberJson));
    }
    return { status: 404, json: { error: "404 Not Found" } };
  });
  url = server.url;
  return Object.assign(server, state);
}
