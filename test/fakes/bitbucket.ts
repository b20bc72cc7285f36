/**
 * Bitbucket on 127.0.0.1, both APIs on one server:
 *
 * - Cloud REST API 2.0 (developer.atlassian.com/cloud/bitbucket/rest):
 *   GET /2.0/workspaces/{workspace}, /2.0/workspaces/{workspace}/projects,
 *   /2.0/repositories/{workspace}, /2.0/workspaces/{workspace}/members.
 *   Pages `{pagelen, size, page, next, values}` with `pagelen` capped and an
 *   absolute `next` URL; groups from API 1.0, GET /1.0/groups/{workspace}
 *   (a plain list with members inline).
 * - Data Center REST API 1.0 (docs.atlassian.com/bitbucket-server/rest):
 *   GET /rest/api/1.0/projects, /projects/{key}/repos, /users,
 *   /admin/groups, /admin/groups/more-members?context=; pages `{size, limit,
 *   isLastPage, start, nextPageStart, values}` with `limit` capped.
 *
 * Auth: `Authorization: Bearer <token>` or Basic `<username>:<token>`; else
 * 401. Paths in `forbidden` answer 403. Answers carry an ETag; a matching
 * If-None-Match gets 304.
 */
import { createHash } from "node:crypto";
import { type FakeReply, type FakeServer, type RecordedRequest, startFakeServer } from "./http.js";

export interface FakeBbUser {
  uuid: string;
  /** Data Center's numeric id */
  id: number;
  nickname: string;
  display_name: string;
  /** Data Center only: Cloud never shows emails */
  email?: string;
}
export interface FakeBbProject {
  uuid: string;
  id: number;
  key: string;
  name: string;
  is_private?: boolean;
  description?: string;
}
export interface FakeBbRepo {
  uuid: string;
  id: number;
  slug: string;
  name: string;
  project: string;
  is_private?: boolean;
  mainbranch?: string | null;
  language?: string;
  archived?: boolean;
}
export interface FakeBbGroup {
  slug: string;
  name: string;
  members: string[];
  owner?: string;
  permission?: string;
}

export interface FakeBitbucket extends FakeServer {
  workspace: { uuid: string; slug: string; name: string };
  projects: FakeBbProject[];
  repos: FakeBbRepo[];
  users: FakeBbUser[];
  groups: FakeBbGroup[];
  forbidden: Set<string>;
}

const CREATED = "2023-05-02T08:15:00.000000+00:00";
const UPDATED = "2026-10-30T16:45:12.345678+00:00";

export async function startFakeBitbucket(options: { token: string; username?: string; pageCap?: number }): Promise<FakeBitbucket> {
  const cap = options.pageCap ?? 100;
  const state = {
    workspace: { uuid: "{6f0d5ab2-3c1e-4d8f-9a7b-0e1d2c3b4a59}", slug: "acme", name: "Acme Corp" },
    projects: [] as FakeBbProject[],
    repos: [] as FakeBbRepo[],
    users: [] as FakeBbUser[],
    groups: [] as FakeBbGroup[],
    forbidden: new Set<string>(),
  };
  let url = "";
  const web = "https://bitbucket.org";

  const authorized = (req: RecordedRequest): boolean => {
    const auth = req.headers.authorization ?? "";
    if (auth === `Bearer ${options.token}`) return true;
    if (!options.username || !auth.startsWith("Basic ")) return false;
    return Buffer.from(auth.slice(6), "base64").toString() === `${options.username}:${options.token}`;
  };

  function withEtag(req: RecordedRequest, reply: FakeReply): FakeReply {
    const etag = `"${createHash("sha1").update(JSON.stringify(reply.json)).digest("hex")}"`;
    if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag } };
    return { ...reply, headers: { ...reply.headers, etag } };
  }

  function cloudPage(req: RecordedRequest, all: unknown[]): FakeReply {
    const pagelen = Math.min(Number(req.query.get("pagelen") ?? 10), cap);
    const page = Number(req.query.get("page") ?? 1);
    const values = all.slice((page - 1) * pagelen, page * pagelen);
    const body: Record<string, unknown> = { pagelen, size: all.length, page, values };
    if (page * pagelen < all.length) {
      const q = new URLSearchParams(req.query);
      q.set("page", String(page + 1));
      body.next = `${url}${req.path}?${q}`;
    }
    return withEtag(req, { json: body });
  }

  function dcPage(req: RecordedRequest, all: unknown[]): FakeReply {
    const limit = Math.min(Number(req.query.get("limit") ?? 25), cap);
    const start = Number(req.query.get("start") ?? 0);
    const values = all.slice(start, start + limit);
    const isLastPage = start + limit >= all.length;
    return withEtag(req, {
      json: { size: values.length, limit, isLastPage, start, values, ...(isLastPage ? {} : { nextPageStart: start + limit }) },
    });
  }

  const ws = state.workspace;
  const cloudUser = (u: FakeBbUser) => ({
    type: "user",
    uuid: u.uuid,
    display_name: u.display_name,
    nickname: u.nickname,
    account_id: `5b10a2844c20165700ede${u.id}`,
    links: { html: { href: `${web}/%7B${u.uuid.slice(1, -1)}%7D/` } },
  });
  const cloudProject = (p: FakeBbProject) => ({
    type: "project",
    uuid: p.uuid,
    key: p.key,
    name: p.name,
    description: p.description ?? "",
    is_private: p.is_private ?? true,
    owner: { type: "team", uuid: ws.uuid },
    links: { html: { href: `${web}/${ws.slug}/workspace/projects/${p.key}` } },
    created_on: CREATED,
    updated_on: UPDATED,
  });
  const cloudRepo = (r: FakeBbRepo) => {
    const p = state.projects.find((x) => x.key === r.project)!;
    return {
      type: "repository",
      uuid: r.uuid,
      name: r.name,
      slug: r.slug,
      full_name: `${ws.slug}/${r.slug}`,
      description: "",
      is_private: r.is_private ?? true,
      scm: "git",
      language: r.language ?? "",
      size: 123456,
      fork_policy: "no_public_forks",
      mainbranch: r.mainbranch === null ? null : { type: "branch", name: r.mainbranch ?? "main" },
      project: { type: "project", uuid: p.uuid, key: p.key, name: p.name },
      workspace: { type: "workspace", uuid: ws.uuid, slug: ws.slug, name: ws.name },
      links: { html: { href: `${web}/${ws.slug}/${r.slug}` } },
      created_on: CREATED,
      updated_on: UPDATED,
    };
  };
  const dcLinks = (path: string) => ({ self: [{ href: `${url}${path}` }] });
  const dcProject = (p: FakeBbProject) => ({
    key: p.key,
    id: p.id,
    name: p.name,
    description: p.description,
    public: p.is_private === false,
    type: "NORMAL",
    links: dcLinks(`/projects/${p.key}`),
  });
  const dcRepo = (r: FakeBbRepo) => {
    const p = state.projects.find((x) => x.key === r.project)!;
    return {
      slug: r.slug,
      id: r.id,
      name: r.name,
      hierarchyId: `h${r.id}`,
      scmId: "git",
      state: "AVAILABLE",
      statusMessage: "Available",
      forkable: true,
      project: dcProject(p),
      public: r.is_private === false,
      archived: r.archived ?? false,
      links: { clone: [{ href: `ssh://git@bitbucket.example.com:7999/${p.key.toLowerCase()}/${r.slug}.git`, name: "ssh" }], ...dcLinks(`/projects/${p.key}/repos/${r.slug}/browse`) },
    };
  };
  const dcUser = (u: FakeBbUser) => ({
    name: u.nickname,
    emailAddress: u.email,
    active: true,
    displayName: u.display_name,
    id: u.id,
    slug: u.nickname,
    type: "NORMAL",
    links: dcLinks(`/users/${u.nickname}`),
  });
  const byNick = (n: string) => state.users.find((u) => u.nickname === n)!;

  const server = await startFakeServer((req) => {
    if (!authorized(req)) {
      return req.path.startsWith("/rest/")
        ? { status: 401, json: { errors: [{ context: null, message: "Authentication failed. Please check your credentials and try again.", exceptionName: "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException" }] } }
        : { status: 401, json: { type: "error", error: { message: "Access token expired." } } };
    }
    if (req.method !== "GET") return { status: 405, json: {} };
    if (state.forbidden.has(req.path)) {
      return { status: 403, json: { type: "error", error: { message: "Your credentials lack one or more required privilege scopes." } } };
    }
    const p = req.path;
    const notFound: FakeReply = { status: 404, json: { type: "error", error: { message: "Resource not found" } } };
    // ---- Cloud 2.0 ----
    let m = /^\/2\.0\/workspaces\/([^/]+)(\/projects|\/members)?$/.exec(p);
    if (m) {
      if (decodeURIComponent(m[1]!) !== ws.slug) return notFound;
      if (!m[2]) {
        return withEtag(req, {
          json: {
            type: "workspace",
            uuid: ws.uuid,
            name: ws.name,
            slug: ws.slug,
            is_private: true,
            links: { html: { href: `${web}/${ws.slug}/` } },
            created_on: CREATED,
          },
        });
      }
      if (m[2] === "/projects") return cloudPage(req, state.projects.map(cloudProject));
      return cloudPage(
        req,
        state.users.map((u) => ({ type: "workspace_membership", user: cloudUser(u), workspace: { type: "workspace", uuid: ws.uuid, slug: ws.slug } })),
      );
    }
    m = /^\/2\.0\/repositories\/([^/]+)$/.exec(p);
    if (m) return decodeURIComponent(m[1]!) === ws.slug ? cloudPage(req, state.repos.map(cloudRepo)) : notFound;
    m = /^\/1\.0\/groups\/([^/]+)$/.exec(p);
    if (m) {
      if (decodeURIComponent(m[1]!) !== ws.slug) return notFound;
      return withEtag(req, {
        json: state.groups.map((g) => ({
          name: g.name,
          slug: g.slug,
          permission: g.permission ?? "read",
          auto_add: false,
          email_forwarding_disabled: false,
          owner: g.owner ? cloudUser(byNick(g.owner)) : { display_name: ws.name, uuid: ws.uuid, is_team: true, username: ws.slug },
          members: g.members.map((n) => cloudUser(byNick(n))),
        })),
      });
    }
    // ---- Data Center 1.0 ----
    if (p === "/rest/api/1.0/projects") return dcPage(req, state.projects.map(dcProject));
    m = /^\/rest\/api\/1\.0\/projects\/([^/]+)\/repos$/.exec(p);
    if (m) {
      const key = decodeURIComponent(m[1]!);
      if (!state.projects.some((x) => x.key === key)) return { status: 404, json: { errors: [{ message: `Project ${key} does not exist.` }] } };
      return dcPage(req, state.repos.filter((r) => r.project === key).map(dcRepo));
    }
    if (p === "/rest/api/1.0/users") return dcPage(req, state.users.map(dcUser));
    if (p === "/rest/api/1.0/admin/groups") return dcPage(req, state.groups.map((g) => ({ name: g.slug, deletable: true })));
    if (p === "/rest/api/1.0/admin/groups/more-members") {
      const g = state.groups.find((x) => x.slug === req.query.get("context"));
      if (!g) return { status: 404, json: { errors: [{ message: "The group does not exist." }] } };
      return dcPage(req, g.members.map((n) => dcUser(byNick(n))));
    }
    return notFound;
  });
  url = server.url;
  return Object.assign(server, state);
}
