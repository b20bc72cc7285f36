/**
 * `gitlab`: a GitLab server's groups (recursively), their projects and
 * members, in JupiterOne's graph-gitlab model (map.ts).
 *
 *   - id: gitlab
 *     url: https://gitlab.example.com     # API at <url>/api/v4
 *     group: acme                         # omit: every group the token is a member of
 *     token: env:GITLAB_TOKEN             # PRIVATE-TOKEN: read_api scope
 *     timeout: 30s                        # per request (default 30s)
 */
import { z } from "zod";
import { Duration } from "../settings.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";
import { CredentialRef } from "../credentials.js";
import { ApiClient } from "../http.js";
import type { Integration, SyncContext } from "../types.js";
import { GitlabClient } from "./client.js";
import {
  accountEntity,
  accountHasGroup,
  accountHasProject,
  type GitlabMember,
  groupEntity,
  groupHasProject,
  groupHasSubgroup,
  groupHasUser,
  groupKey,
  hostOf,
  projectEntity,
  projectHasUser,
  projectKey,
  userEntity,
  userKey,
} from "./map.js";


export const GitlabConfig = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: "url must be the GitLab server's address, e.g. https://gitlab.example.com" })
      .describe("the GitLab server's address, e.g. https://gitlab.example.com"),
    group: z.string().min(1).optional(),
    token: CredentialRef,
    timeout: Duration("30s, 2m, 500ms").optional(),
  })
  .strict();
export type GitlabConfig = z.input<typeof GitlabConfig>;
type Parsed = z.output<typeof GitlabConfig>;

/** The server address without a trailing slash or a pasted `/api/v4`. */
export function serverUrl(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/api\/v4$/, "");
}

/** project member lists asked at once */
const MEMBER_CONCURRENCY = 6;

const AUTH_HINT =
  "Check the GitLab token (config key token): it must be valid and unexpired with the read_api scope, and its user must be a member of the groups to read (Reporter or more to list members).";

async function* syncGitlab(ctx: SyncContext<Parsed>): AsyncGenerator<GraphBatch> {
  const base = serverUrl(ctx.config.url);
  const host = hostOf(base);
  const token = await ctx.secret(ctx.config.token, "token");
  const client = new GitlabClient(
    new ApiClient({
      service: "GitLab",
      baseUrl: `${base}/api/v4`,
      headers: { "private-token": token },
      authHint: AUTH_HINT,
      cache: ctx.cache,
      timeoutMs: ctx.config.timeout ?? 30_000,
    }),
  );

  const account = accountEntity(base, ctx.config.group);
  const groups = await client.groups(ctx.config.group);
  const known = new Set(groups.map((g) => g.id));
  const relationships: RelationshipRecord[] = [];
  for (const g of groups) {
    const key = groupKey(host, g.id);
    relationships.push(accountHasGroup(account._key, key));
    if (g.parent_id != null && known.has(g.parent_id)) relationships.push(groupHasSubgroup(groupKey(host, g.parent_id), key));
  }
  yield { entities: [account, ...groups.map((g) => groupEntity(host, g))], relationships };

  // projects: one listing per top group (include_subgroups), each project under its namespace
  const tops = groups.filter((g) => g.parent_id == null || !known.has(g.parent_id));
  const projects: { id: number; key: string; name: string }[] = [];
  for (const top of tops) {
    for await (const page of client.projects(top.id)) {
      const entities: EntityRecord[] = [];
      const rels: RelationshipRecord[] = [];
      for (const p of page) {
        const key = projectKey(host, p.id);
        entities.push(projectEntity(host, p));
        rels.push(accountHasProject(account._key, key));
        if (known.has(p.namespace.id)) rels.push(groupHasProject(groupKey(host, p.namespace.id), key));
        projects.push({ id: p.id, key, name: p.path_with_namespace });
      }
      ctx.progress(projects.length, undefined, "projects");
      yield { entities, relationships: rels };
    }
  }

  const seenUsers = new Set<string>();
  const membersBatch = (from: string, members: GitlabMember[], edge: typeof groupHasUser): GraphBatch => {
    const entities: EntityRecord[] = [];
    const rels: RelationshipRecord[] = [];
    for (const m of members) {
      const key = userKey(host, m.id);
      if (!seenUsers.has(key)) {
        seenUsers.add(key);
        entities.push(userEntity(host, m));
      }
      rels.push(edge(from, key, m));
    }
    return { entities, relationships: rels };
  };
  for (const g of groups) {
    const { members, refused } = await client.members("groups", g.id);
    if (refused) {
      ctx.warn({ file: g.full_path, message: `GitLab refused GET /groups/${g.id}/members (HTTP ${refused}): members skipped` });
    }
    yield membersBatch(groupKey(host, g.id), members, groupHasUser);
  }
  // a few projects' members at once; results are written in project order
  for (let i = 0; i < projects.length; i += MEMBER_CONCURRENCY) {
    const chunk = projects.slice(i, i + MEMBER_CONCURRENCY);
    const answers = await Promise.all(chunk.map((p) => client.members("projects", p.id)));
    for (const [j, p] of chunk.entries()) {
      const { members, refused } = answers[j]!;
      if (refused) {
        ctx.warn({ file: p.name, message: `GitLab refused GET /projects/${p.id}/members (HTTP ${refused}): members skipped` });
      }
      yield membersBatch(p.key, members, projectHasUser);
    }
    ctx.progress(i + chunk.length, projects.length, "projects' members");
  }
}

export const gitlabIntegration: Integration<Parsed> = {
  id: "gitlab",
  description: "GitLab groups (recursively), projects and members (REST v4, self-hosted or gitlab.com)",
  configSchema: GitlabConfig as unknown as z.ZodType<Parsed>,
  instanceName: (config) => `gitlab:${serverUrl(config.url)}${config.group ? `/${config.group}` : ""}`,
  sync: syncGitlab,
};
