/**
 * `bitbucket`: a Bitbucket Cloud workspace's projects, repositories, members
 * and groups (REST API 2.0; groups from API 1.0), or a Bitbucket Data
 * Center / Server's (REST API 1.0, chosen by a URL ending in
 * `/rest/api/1.0`), in JupiterOne's graph-bitbucket model (map.ts).
 *
 *   - id: bitbucket
 *     workspace: acme                          # Cloud: required; Data Center: the account's name (default: the host)
 *     url: https://api.bitbucket.org/2.0       # default; Data Center: https://bitbucket.example.com/rest/api/1.0
 *     token: env:BITBUCKET_TOKEN               # an access token (Bearer) ...
 *     username: jdoe                           # ... or, with a username, an app password / API token (Basic)
 *     timeout: 30s
 */
import { z } from "zod";
import { Duration } from "../settings.js";
import { ExternalServiceError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";
import { CredentialRef } from "../credentials.js";
import { ApiClient } from "../http.js";
import type { Integration, SyncContext } from "../types.js";
import { cloudPages, collect, dcPages } from "./client.js";
import {
  CloudGroup,
  cloudGroupEntity,
  CloudMembership,
  CloudProject,
  cloudProjectEntity,
  CloudRepo,
  cloudRepoEntity,
  cloudUserEntity,
  CloudWorkspace,
  cloudWorkspaceEntity,
  DcGroup,
  dcGroupEntity,
  DcProject,
  dcProjectEntity,
  dcProjectKey,
  DcRepo,
  dcRepoEntity,
  DcUser,
  dcUserEntity,
  dcUserKey,
  dcWorkspaceEntity,
  groupHasUser,
  projectHasRepo,
  userOwnsGroup,
  workspaceHasGroup,
  workspaceHasUser,
  workspaceOwnsProject,
  workspaceOwnsRepo,
} from "./map.js";

export const CLOUD_URL = "https://api.bitbucket.org/2.0";


export const BitbucketConfig = z
  .object({
    workspace: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/, error: "url must be an address like https://api.bitbucket.org/2.0" }).optional(),
    token: CredentialRef,
    username: z.string().min(1).optional(),
    timeout: Duration("30s, 2m, 500ms").optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!isDataCenter(c.url) && !c.workspace) {
      ctx.addIssue({ code: "custom", path: ["workspace"], message: "workspace is required for Bitbucket Cloud (the workspace ID, e.g. acme)" });
    }
  });
export type BitbucketConfig = z.input<typeof BitbucketConfig>;
type Parsed = z.output<typeof BitbucketConfig>;

const trim = (url: string) => url.replace(/\/+$/, "");

/** A base URL ending in /rest/api/1.0 is Bitbucket Data Center (or Server); anything else is Cloud's API 2.0. */
export function isDataCenter(url: string | undefined): boolean {
  return url !== undefined && /\/rest\/api\/1\.0$/.test(trim(url));
}

function authHeader(token: string, username: string | undefined): Record<string, string> {
  return {
    authorization: username ? `Basic ${Buffer.from(`${username}:${token}`).toString("base64")}` : `Bearer ${token}`,
  };
}

function client(ctx: SyncContext<Parsed>, service: string, baseUrl: string, headers: Record<string, string>, authHint: string) {
  return new ApiClient({ service, baseUrl, headers, authHint, cache: ctx.cache, timeoutMs: ctx.config.timeout ?? 30_000 });
}

const CLOUD_HINT =
  "Check the Bitbucket token (config key token): an access token (sent as Bearer) or, with username, an app password or API token (sent as Basic); it must be valid with read access to the workspace's account/members, projects and repositories.";
const DC_HINT =
  "Check the Bitbucket Data Center token (config key token): an HTTP access token (Bearer) or, with username, that user's password or token (Basic); its user must be a licensed user who can read the projects.";

async function* syncCloud(ctx: SyncContext<Parsed>, token: string): AsyncGenerator<GraphBatch> {
  const base = trim(ctx.config.url ?? CLOUD_URL);
  const ws = ctx.config.workspace!;
  const headers = authHeader(token, ctx.config.username);
  const api = client(ctx, "Bitbucket", base, headers, CLOUD_HINT);
  const slug = encodeURIComponent(ws);

  const found = await api.get(`/workspaces/${slug}`, CloudWorkspace, { accept: [404] });
  if (!found.data) {
    throw new ExternalServiceError("Bitbucket", `Bitbucket (GET /workspaces/${slug}): no workspace "${ws}"`, {
      details: ["Check the workspace setting (the workspace ID in bitbucket.org/<workspace>) and that the token can read it."],
    });
  }
  const workspace = found.data;
  const account = cloudWorkspaceEntity(workspace);
  yield { entities: [account], relationships: [] };

  const projects = new Set<string>();
  for await (const page of cloudPages(api, `/workspaces/${slug}/projects`, CloudProject)) {
    for (const p of page) projects.add(p.uuid);
    yield {
      entities: page.map((p) => cloudProjectEntity(workspace.slug, p)),
      relationships: page.map((p) => workspaceOwnsProject(account._key, p.uuid)),
    };
  }

  let repos = 0;
  for await (const page of cloudPages(api, `/repositories/${slug}`, CloudRepo)) {
    const relationships: RelationshipRecord[] = [];
    for (const r of page) {
      relationships.push(workspaceOwnsRepo(account._key, r.uuid));
      if (r.project && projects.has(r.project.uuid)) relationships.push(projectHasRepo(r.project.uuid, r.uuid));
    }
    repos += page.length;
    ctx.progress(repos, undefined, "repositories");
    yield { entities: page.map((r) => cloudRepoEntity(workspace, r)), relationships };
  }

  const users = new Set<string>();
  for await (const page of cloudPages(api, `/workspaces/${slug}/members`, CloudMembership)) {
    const fresh = page.map((m) => m.user).filter((u) => !users.has(u.uuid));
    for (const u of fresh) users.add(u.uuid);
    yield { entities: fresh.map(cloudUserEntity), relationships: fresh.map((u) => workspaceHasUser(account._key, u.uuid)) };
  }

  // groups are only in API 1.0 (https://api.bitbucket.org/1.0/groups/{workspace})
  const v1 = base.replace(/\/2\.0$/, "/1.0");
  if (v1 === base) {
    ctx.note({ message: `groups skipped: the 1.0 API that lists them is not known for ${base}` });
    return;
  }
  const groupsApi = client(ctx, "Bitbucket", v1, headers, CLOUD_HINT);
  const answer = await groupsApi.get(`/groups/${slug}`, z.array(CloudGroup), { accept: [401, 403, 404, 410] });
  if (answer.data === undefined) {
    const message = `Bitbucket refused GET /1.0/groups/${ws} (HTTP ${answer.status}): groups skipped`;
    if (answer.status === 404 || answer.status === 410) ctx.note({ message: `${message} (this Bitbucket has no groups API 1.0)` });
    else ctx.warn({ message: `${message}; the token needs read access to the workspace's account (Account: Read)` });
    return;
  }
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  for (const g of answer.data) {
    const group = cloudGroupEntity(workspace.slug, g);
    entities.push(group);
    relationships.push(workspaceHasGroup(account._key, group._key));
    for (const m of g.members ?? []) {
      if (!m.uuid) continue;
      if (!users.has(m.uuid)) {
        users.add(m.uuid);
        entities.push(cloudUserEntity({ ...m, uuid: m.uuid }));
      }
      relationships.push(groupHasUser(group._key, m.uuid));
    }
    if (g.owner?.uuid && users.has(g.owner.uuid)) relationships.push(userOwnsGroup(g.owner.uuid, group._key));
  }
  yield { entities, relationships };
}

async function* syncDataCenter(ctx: SyncContext<Parsed>, token: string): AsyncGenerator<GraphBatch> {
  const base = trim(ctx.config.url!);
  const server = base.replace(/\/rest\/api\/1\.0$/, "");
  const host = new URL(base).host.toLowerCase();
  const api = client(ctx, "Bitbucket Data Center", base, authHeader(token, ctx.config.username), DC_HINT);
  const account = dcWorkspaceEntity(host, server, ctx.config.workspace);
  yield { entities: [account], relationships: [] };

  const projects: { key: string; id: number }[] = [];
  for await (const page of dcPages(api, "/projects", DcProject)) {
    projects.push(...page.map((p) => ({ key: p.key, id: p.id })));
    yield {
      entities: page.map((p) => dcProjectEntity(host, p)),
      relationships: page.map((p) => workspaceOwnsProject(account._key, dcProjectKey(host, p.id))),
    };
  }

  let done = 0;
  for (const project of projects) {
    const it = dcPages(api, `/projects/${encodeURIComponent(project.key)}/repos`, DcRepo, {}, [401, 403, 404]);
    for (;;) {
      const r = await it.next();
      if (r.done) {
        if (r.value.refused) {
          ctx.warn({
            file: project.key,
            message: `Bitbucket Data Center refused GET /projects/${project.key}/repos (HTTP ${r.value.refused}): repositories skipped`,
          });
        }
        break;
      }
      const entities = r.value.map((repo) => dcRepoEntity(host, repo));
      const relationships = entities.flatMap((e) => [
        workspaceOwnsRepo(account._key, e._key),
        projectHasRepo(dcProjectKey(host, project.id), e._key),
      ]);
      yield { entities, relationships };
    }
    ctx.progress(++done, projects.length, "projects");
  }

  const users = new Set<string>();
  for await (const page of dcPages(api, "/users", DcUser)) {
    const fresh = page.filter((u) => !users.has(dcUserKey(host, u.id)));
    for (const u of fresh) users.add(dcUserKey(host, u.id));
    yield {
      entities: fresh.map((u) => dcUserEntity(host, u)),
      relationships: fresh.map((u) => workspaceHasUser(account._key, dcUserKey(host, u.id))),
    };
  }

  const groups = await collect(dcPages(api, "/admin/groups", DcGroup, {}, [401, 403]));
  if (groups.refused) {
    ctx.warn({
      message: `Bitbucket Data Center refused GET /admin/groups (HTTP ${groups.refused}): groups skipped; the token's user needs the LICENSED_USER permission`,
    });
    return;
  }
  for (const g of groups.items) {
    const group = dcGroupEntity(host, g.name);
    const members = await collect(dcPages(api, "/admin/groups/more-members", DcUser, { context: g.name }, [401, 403, 404]));
    if (members.refused) {
      ctx.warn({ file: g.name, message: `Bitbucket Data Center refused the members of group ${g.name} (HTTP ${members.refused})` });
    }
    const entities: EntityRecord[] = [group];
    const relationships: RelationshipRecord[] = [workspaceHasGroup(account._key, group._key)];
    for (const u of members.items) {
      const key = dcUserKey(host, u.id);
      if (!users.has(key)) {
        users.add(key);
        entities.push(dcUserEntity(host, u));
      }
      relationships.push(groupHasUser(group._key, key));
    }
    yield { entities, relationships };
  }
}

export const bitbucketIntegration: Integration<Parsed> = {
  id: "bitbucket",
  description: "Bitbucket Cloud workspace or Bitbucket Data Center: projects, repositories, users and groups",
  configSchema: BitbucketConfig as unknown as z.ZodType<Parsed>,
  instanceName: (config) => {
    if (isDataCenter(config.url)) return `bitbucket:${trim(config.url!).replace(/\/rest\/api\/1\.0$/, "")}`;
    const base = trim(config.url ?? CLOUD_URL);
    return base === CLOUD_URL ? `bitbucket:${config.workspace}` : `bitbucket:${base}/${config.workspace}`;
  },
  async *sync(ctx) {
    const token = await ctx.secret(ctx.config.token, "token");
    yield* isDataCenter(ctx.config.url) ? syncDataCenter(ctx, token) : syncCloud(ctx, token);
  },
};
