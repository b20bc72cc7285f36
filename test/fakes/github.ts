/**
 * GitHub REST API v3 as docs.github.com documents it, for one organisation:
 * GET /orgs/{org}, /orgs/{org}/members (?role=admin), /orgs/{org}/repos,
 * /orgs/{org}/teams, /orgs/{org}/teams/{slug}/members and /repos,
 * /repos/{owner}/{repo}/collaborators, /repos/{owner}/{repo}/branches/
 * {branch}/protection (404 "Branch not protected"), /users/{login}; also
 * under /api/v3 as GitHub Enterprise Server serves it.
 *
 * `Authorization: Bearer <token>` else 401 "Bad credentials". Lists page
 * with `page`/`per_page` (default 30, at most 100 or the fake's cap) and a
 * Link header (next, last, first, prev). Every 200 carries a weak ETag and
 * x-ratelimit-* headers; a request whose If-None-Match matches is answered
 * 304 without a body (and, as on GitHub, not counted against the limit).
 *
 * Faults beyond startFakeServer's (429/500/hang): `failNextWith` for any
 * reply, and `secondaryRateLimit()` / `primaryRateLimit()` / `forbidden()`
 * for GitHub's 403s: the secondary limit (retry-after + "You have exceeded a
 * secondary rate limit"), the exhausted quota (x-ratelimit-remaining: 0 and
 * x-ratelimit-reset), and a plain refusal (no rate-limit signal: a token
 * without a scope).
 */
import { createHash } from "node:crypto";
import { type FakeReply, type FakeServer, type RecordedRequest, startFakeServer } from "./http.js";

export type FakeRole = "admin" | "maintain" | "write" | "triage" | "read";

export interface FakeGhUser {
  login: string;
  id: number;
  name?: string;
  /** the public email (GET /users/{login}); lists never show it */
  email?: string;
}

export interface FakeGhProtection {
  reviews?: number;
  codeOwners?: boolean;
  enforceAdmins?: boolean;
  checks?: string[];
  linear?: boolean;
}

export interface FakeGhRepo {
  id: number;
  name: string;
  private: boolean;
  visibility?: "public" | "private" | "internal";
  archived?: boolean;
  fork?: boolean;
  defaultBranch: string;
  topics?: string[];
  language?: string | null;
  description?: string | null;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  /** direct collaborators: login → role */
  collaborators: Record<string, FakeRole>;
  /** the default branch's protection; "forbidden": the token may not read it (403) */
  protection?: FakeGhProtection | "forbidden";
}

export interface FakeGhTeam {
  id: number;
  slug: string;
  name: string;
  description?: string;
  members: string[];
  /** repository name → the team's role */
  repos: Record<string, FakeRole>;
}

export interface FakeGithubData {
  org: { login: string; id: number; name: string; description?: string; createdAt: string; updatedAt: string };
  users: FakeGhUser[];
  /** logins of the organisation's members */
  members: string[];
  /** logins of its owners (members too) */
  admins: string[];
  repos: FakeGhRepo[];
  teams: FakeGhTeam[];
}

export interface FakeGithub extends FakeServer {
  data: FakeGithubData;
  /** answers by kind: 200 (sent with a body), 304 (not modified), other */
  counts: { ok: number; notModified: number; other: number };
  /** the next requests get these replies (after the token check) */
  failNextWith(...replies: FakeReply[]): void;
  /** a path (regexp on the path without /api/v3) always gets this reply */
  override(path: RegExp, reply: FakeReply | undefined): void;
  secondaryRateLimit(retryAfterSeconds?: number): FakeReply;
  primaryRateLimit(resetInSeconds?: number): FakeReply;
  forbidden(message?: string): FakeReply;
}

const PERMS: Record<FakeRole, { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean }> = {
  admin: { admin: true, maintain: true, push: true, triage: true, pull: true },
  maintain: { admin: false, maintain: true, push: true, triage: true, pull: true },
  write: { admin: false, maintain: false, push: true, triage: true, pull: true },
  triage: { admin: false, maintain: false, push: false, triage: true, pull: true },
  read: { admin: false, maintain: false, push: false, triage: false, pull: true },
};

/** Node ids in GitHub's current form (R_kgDO…, U_kgDO…): stable per id. */
export const nodeId = (prefix: string, id: number) => `${prefix}_kgDO${id.toString(36).padStart(6, "0")}`;

const WEB = "https://github.com";

function simpleUser(u: FakeGhUser, api: string) {
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId("U", u.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: "",
    url: `${api}/users/${u.login}`,
    html_url: `${WEB}/${u.login}`,
    followers_url: `${api}/users/${u.login}/followers`,
    repos_url: `${api}/users/${u.login}/repos`,
    type: "User",
    site_admin: false,
    user_view_type: "public",
  };
}

function repoJson(r: FakeGhRepo, org: FakeGithubData["org"], api: string) {
  const full = `${org.login}/${r.name}`;
  return {
    id: r.id,
    node_id: nodeId("R", r.id),
    name: r.name,
    full_name: full,
    private: r.private,
    owner: { login: org.login, id: org.id, node_id: nodeId("O", org.id), url: `${api}/users/${org.login}`, html_url: `${WEB}/${org.login}`, type: "Organization", site_admin: false },
    html_url: `${WEB}/${full}`,
    description: r.description ?? null,
    fork: r.fork ?? false,
    url: `${api}/repos/${full}`,
    collaborators_url: `${api}/repos/${full}/collaborators{/collaborator}`,
    teams_url: `${api}/repos/${full}/teams`,
    branches_url: `${api}/repos/${full}/branches{/branch}`,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    pushed_at: r.pushedAt,
    git_url: `git://github.com/${full}.git`,
    ssh_url: `git@github.com:${full}.git`,
    clone_url: `${WEB}/${full}.git`,
    homepage: null,
    size: 1024,
    stargazers_count: 0,
    watchers_count: 0,
    language: r.language ?? null,
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    forks_count: 0,
    archived: r.archived ?? false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    topics: r.topics ?? [],
    visibility: r.visibility ?? (r.private ? "private" : "public"),
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: r.defaultBranch,
  };
}

function protectionJson(p: FakeGhProtection, url: string) {
  return {
    url,
    required_status_checks: p.checks
      ? { url: `${url}/required_status_checks`, strict: true, contexts: p.checks, checks: p.checks.map((c) => ({ context: c, app_id: null })) }
      : undefined,
    required_pull_request_reviews: p.reviews
      ? {
          url: `${url}/required_pull_request_reviews`,
          dismiss_stale_reviews: true,
          require_code_owner_reviews: p.codeOwners ?? false,
          required_approving_review_count: p.reviews,
          require_last_push_approval: false,
        }
      : undefined,
    required_signatures: { url: `${url}/required_signatures`, enabled: false },
    enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforceAdmins ?? false },
    required_linear_history: { enabled: p.linear ?? false },
    allow_force_pushes: { enabled: false },
    allow_deletions: { enabled: false },
    block_creations: { enabled: false },
    required_conversation_resolution: { enabled: false },
    lock_branch: { enabled: false },
    allow_fork_syncing: { enabled: false },
  };
}

export async function startFakeGithub(options: { token: string; data: FakeGithubData; perPageCap?: number }): Promise<FakeGithub> {
  const data = options.data;
  const cap = options.perPageCap ?? 100;
  const counts = { ok: 0, notModified: 0, other: 0 };
  const queue: FakeReply[] = [];
  const overrides: { path: RegExp; reply: FakeReply }[] = [];
  let used = 0;
  const limit = 1_000_000;
  const resetAt = () => Math.floor(Date.now() / 1000) + 3600;
  const rateHeaders = () => ({
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(Math.max(1, limit - used)),
    "x-ratelimit-reset": String(resetAt()),
    "x-ratelimit-used": String(used),
    "x-ratelimit-resource": "core",
  });
  const notFound: FakeReply = { status: 404, json: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" } };

  // indexes of the data, rebuilt when a test changes it (checked by size and identity of the arrays)
  let usersIndex: { of: FakeGhUser[]; size: number; map: Map<string, FakeGhUser> } | undefined;
  let reposIndex: { of: FakeGhRepo[]; size: number; map: Map<string, FakeGhRepo> } | undefined;
  const userByLogin = () => {
    if (!usersIndex || usersIndex.of !== data.users || usersIndex.size !== data.users.length) {
      usersIndex = { of: data.users, size: data.users.length, map: new Map(data.users.map((u) => [u.login, u])) };
    }
    return usersIndex.map;
  };
  const repoByName = () => {
    if (!reposIndex || reposIndex.of !== data.repos || reposIndex.size !== data.repos.length) {
      reposIndex = { of: data.repos, size: data.repos.length, map: new Map(data.repos.map((r) => [r.name, r])) };
    }
    return reposIndex.map;
  };

  function page(req: RecordedRequest, base: string, items: unknown[]): FakeReply {
    const perPage = Math.min(Math.max(Number(req.query.get("per_page") ?? 30), 1), cap);
    const pageNo = Math.max(Number(req.query.get("page") ?? 1), 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const q = new URLSearchParams(req.query);
      q.set("per_page", String(perPage));
      q.set("page", String(p));
      return `<${base}?${q.toString()}>`;
    };
    const rels: string[] = [];
    if (pageNo < last) rels.push(`${link(pageNo + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (pageNo > 1) rels.push(`${link(1)}; rel="first"`, `${link(pageNo - 1)}; rel="prev"`);
    return { json: items.slice((pageNo - 1) * perPage, pageNo * perPage), headers: rels.length > 0 ? { link: rels.join(", ") } : {} };
  }

  function route(req: RecordedRequest, path: string, origin: string, prefix: string): FakeReply {
    const api = `${origin}${prefix}`;
    const base = `${api}${path}`;
    const org = data.org;
    const users = userByLogin();
    const orgMatch = /^\/orgs\/([^/]+)(\/.*)?$/.exec(path);
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)\/(collaborators|branches\/([^/]+)\/protection)$/.exec(path);
    const userMatch = /^\/users\/([^/]+)$/.exec(path);
    if (orgMatch) {
      const m = orgMatch;
      if (decodeURIComponent(m[1]!) !== org.login) return notFound;
      const rest = m[2] ?? "";
      if (rest === "") {
        return {
          json: {
            login: org.login,
            id: org.id,
            node_id: nodeId("O", org.id),
            url: `${api}/orgs/${org.login}`,
            repos_url: `${api}/orgs/${org.login}/repos`,
            description: org.description ?? null,
            name: org.name,
            company: null,
            blog: "",
            location: null,
            email: null,
            is_verified: true,
            has_organization_projects: true,
            public_repos: data.repos.filter((r) => !r.private).length,
            html_url: `${WEB}/${org.login}`,
            created_at: org.createdAt,
            updated_at: org.updatedAt,
            type: "Organization",
          },
        };
      }
      if (rest === "/members") {
        const logins = req.query.get("role") === "admin" ? data.admins : data.members;
        return page(req, base, logins.map((l) => simpleUser(users.get(l)!, api)));
      }
      if (rest === "/repos") return page(req, base, data.repos.map((r) => repoJson(r, org, api)));
      if (rest === "/teams") {
        return page(
          req,
          base,
          data.teams.map((t) => ({
            name: t.name,
            id: t.id,
            node_id: nodeId("T", t.id),
            slug: t.slug,
            description: t.description ?? null,
            privacy: "closed",
            notification_setting: "notifications_enabled",
            url: `${api}/organizations/${org.id}/team/${t.id}`,
            html_url: `${WEB}/orgs/${org.login}/teams/${t.slug}`,
            members_url: `${api}/organizations/${org.id}/team/${t.id}/members{/member}`,
            repositories_url: `${api}/organizations/${org.id}/team/${t.id}/repos`,
            permission: "pull",
            parent: null,
          })),
        );
      }
      const teamMatch = /^\/teams\/([^/]+)\/(members|repos)$/.exec(rest);
      if (teamMatch) {
        const tm = teamMatch;
        const team = data.teams.find((t) => t.slug === decodeURIComponent(tm[1]!));
        if (!team) return notFound;
        if (tm[2] === "members") return page(req, base, team.members.map((l) => simpleUser(users.get(l)!, api)));
        const repos = Object.entries(team.repos).flatMap(([name, role]) => {
          const r = repoByName().get(name);
          return r ? [{ ...repoJson(r, org, api), permissions: PERMS[role], role_name: role }] : [];
        });
        return page(req, base, repos);
      }
      return notFound;
    }
    if (repoMatch) {
      const m = repoMatch;
      const repo = decodeURIComponent(m[1]!) === org.login ? repoByName().get(decodeURIComponent(m[2]!)) : undefined;
      if (!repo) return notFound;
      if (m[3] === "collaborators") {
        const affiliation = req.query.get("affiliation") ?? "all";
        if (affiliation !== "direct") return { status: 422, json: { message: "dm's fake only answers affiliation=direct" } };
        return page(
          req,
          base,
          Object.entries(repo.collaborators).map(([login, role]) => ({ ...simpleUser(users.get(login)!, api), permissions: PERMS[role], role_name: role })),
        );
      }
      if (decodeURIComponent(m[4]!) !== repo.defaultBranch) return { status: 404, json: { message: "Branch not found", documentation_url: "https://docs.github.com/rest" } };
      if (repo.protection === "forbidden") {
        return { status: 403, json: { message: "Resource not accessible by personal access token", documentation_url: "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", status: "403" } };
      }
      if (!repo.protection) {
        return { status: 404, json: { message: "Branch not protected", documentation_url: "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", status: "404" } };
      }
      return { json: protectionJson(repo.protection, base) };
    }
    if (userMatch) {
      const u = users.get(decodeURIComponent(userMatch[1]!));
      if (!u) return notFound;
      return {
        json: {
          ...simpleUser(u, api),
          name: u.name ?? null,
          company: null,
          blog: "",
          location: null,
          email: u.email ?? null,
          hireable: null,
          bio: null,
          public_repos: 3,
          followers: 0,
          following: 0,
          created_at: "2020-01-02T03:04:05Z",
          updated_at: "2026-01-02T03:04:05Z",
        },
      };
    }
    return notFound;
  }

  const server = await startFakeServer((req) => {
    const reply = answer(req);
    if (reply.status === 304) counts.notModified++;
    else if ((reply.status ?? 200) === 200) counts.ok++;
    else counts.other++;
    return reply;
  });

  function answer(req: RecordedRequest): FakeReply {
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return { status: 401, json: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" } };
    }
    const queued = queue.shift();
    if (queued) return queued;
    const prefix = req.path.startsWith("/api/v3/") ? "/api/v3" : "";
    const path = req.path.slice(prefix.length);
    const override = overrides.find((o) => o.path.test(path));
    if (override) return override.reply;
    if (req.method !== "GET") return { status: 404, json: { message: "Not Found" } };
    const reply = route(req, path, `http://${req.headers.host}`, prefix);
    if ((reply.status ?? 200) !== 200) return reply;
    const body = JSON.stringify(reply.json);
    const etag = `W/"${createHash("sha1").update(body).digest("hex")}"`;
    const headers = { ...reply.headers, etag, "cache-control": "private, max-age=60, s-maxage=60", vary: "Accept, Authorization, Cookie, X-GitHub-OTP", "x-github-api-version-selected": "2022-11-28" };
    if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag, ...rateHeaders() } };
    used++;
    return { ...reply, headers: { ...headers, ...rateHeaders() } };
  }

  return Object.assign(server, {
    data,
    counts,
    failNextWith: (...replies: FakeReply[]) => {
      queue.push(...replies);
    },
    override: (path: RegExp, reply: FakeReply | undefined) => {
      const i = overrides.findIndex((o) => String(o.path) === String(path));
      if (i >= 0) overrides.splice(i, 1);
      if (reply) overrides.push({ path, reply });
    },
    secondaryRateLimit: (retryAfterSeconds = 1): FakeReply => ({
      status: 403,
      headers: { "retry-after": String(retryAfterSeconds), "x-ratelimit-remaining": "4000" },
      json: {
        message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        documentation_url: "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        status: "403",
      },
    }),
    primaryRateLimit: (resetInSeconds = 1): FakeReply => ({
      status: 403,
      headers: {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-used": "5000",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + resetInSeconds),
      },
      json: {
        message: "API rate limit exceeded for user ID 1.",
        documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        status: "403",
      },
    }),
    forbidden: (message = "Resource not accessible by personal access token"): FakeReply => ({
      status: 403,
      json: { message, documentation_url: "https://docs.github.com/rest", status: "403" },
    }),
  });
}

/** A generated organisation for benchmarks: `repos` repositories, teams of ~10 members, a collaborator or two per repo. */
export function generatedOrg(options: { repos: number; teams?: number; members?: number }): FakeGithubData {
  const teamCount = options.teams ?? 50;
  const memberCount = options.members ?? 300;
  const users: FakeGhUser[] = [];
  for (let i = 0; i < memberCount; i++) users.push({ login: `dev${i}`, id: 1000 + i, name: `Developer ${i}`, ...(i % 3 === 0 ? { email: `Dev${i}@Example.com` } : {}) });
  for (let i = 0; i < 20; i++) users.push({ login: `contractor${i}`, id: 5000 + i, name: `Contractor ${i}` });
  const roles: FakeRole[] = ["admin", "maintain", "write", "triage", "read"];
  const repos: FakeGhRepo[] = [];
  for (let i = 0; i < options.repos; i++) {
    const collaborators: Record<string, FakeRole> = { [`dev${(i * 7) % memberCount}`]: roles[i % 5]! };
    if (i % 10 === 0) collaborators[`contractor${i % 20}`] = "write";
    repos.push({
      id: 100_000 + i,
      name: `service-${i}`,
      private: i % 4 !== 0,
      archived: i % 17 === 0,
      defaultBranch: i % 9 === 0 ? "master" : "main",
      topics: i % 2 === 0 ? ["backend", `team-${i % teamCount}`] : [],
      language: ["TypeScript", "Go", "Python", "Java", null][i % 5] ?? null,
      description: `Service number ${i}`,
      createdAt: "2021-05-06T07:08:09Z",
      updatedAt: "2026-10-01T00:00:00Z",
      pushedAt: "2026-11-01T00:00:00Z",
      collaborators,
      protection: i % 2 === 0 ? { reviews: 1 + (i % 3), codeOwners: i % 4 === 0, enforceAdmins: i % 6 === 0, checks: ["ci/build"] } : undefined,
    });
  }
  const teams: FakeGhTeam[] = [];
  for (let t = 0; t < teamCount; t++) {
    const members: string[] = [];
    for (let k = 0; k < 10; k++) members.push(`dev${(t * 10 + k) % memberCount}`);
    const teamRepos: Record<string, FakeRole> = {};
    for (let i = t; i < options.repos; i += teamCount) teamRepos[`service-${i}`] = i % 3 === 0 ? "admin" : "write";
    teams.push({ id: 200 + t, slug: `team-${t}`, name: `Team ${t}`, members: [...new Set(members)], repos: teamRepos });
  }
  return {
    org: { login: "acme", id: 42, name: "Acme Corp", createdAt: "2019-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" },
    users,
    members: users.filter((u) => u.login.startsWith("dev")).map((u) => u.login),
    admins: ["dev0", "dev1"],
    repos,
    teams,
  };
}
