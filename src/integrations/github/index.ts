/**
 * `github`: an organisation's repositories, teams, members, who may do what
 * in each repository (team and direct-collaborator permissions) and the
 * protection of each default branch, in JupiterOne's graph-github model
 * (see map.ts).
 *
 * Requests: the organisation, its members (and admins), repositories and
 * teams, a page of 100 at a time; per team its members and repositories; per
 * repository its direct collaborators and its default branch's protection,
 * 8 at a time. Users' names and public emails come from `/users/{login}`,
 * one request per user, for up to 1,000 users (members first); past that
 * only what the lists give (no email) and a notice says so. A re-sync sends
 * the ETags kept from the last run: what did not change answers 304.
 *
 * Problems with one item (a repository whose collaborators or protection
 * the token may not read, a team that went away) are warnings: the run is
 * partial and deletes nothing. Anything else (bad token, no such
 * organisation, a token without read:org, the service down) fails the run.
 */
import { z } from "zod";
import { Duration } from "../settings.js";
import { ExternalServiceError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";
import { CredentialRef } from "../credentials.js";
import type { Integration, SyncContext } from "../types.js";
import { DEFAULT_URL, GithubClient, isRefused, pool, type Refused } from "./client.js";
import {
  edge,
  type GhBranchProtection,
  type GhRepo,
  type GhUser,
  type GhUserRole,
  REL,
  repoAllowsTeam,
  repoAllowsUser,
  roleOf,
  toAccountEntity,
  toBranchProtectionEntity,
  toRepoEntity,
  toTeamEntity,
  toUserEntity,
} from "./map.js";

export const GithubConfig = z
  .object({
    /** the organisation's login */
    org: z.string().min(1, "org must name the organisation (its login, as in https://github.com/<org>)").describe("the organisation's login, as in https://github.com/<org>"),
    /** the API root: https://api.github.com, or https://ghe.example.com/api/v3 */
    url: z.url({ message: "url must be the API root, e.g. https://api.github.com or https://ghe.example.com/api/v3" }).optional(),
    token: CredentialRef,
    /** per request, e.g. "10s" (default 10 s) */
    timeout: Duration().optional(),
  })
  .strict();
export type GithubConfig = z.infer<typeof GithubConfig>;

/** Sub-requests at once (per team, per repository, per user). */
export const CONCURRENCY = 8;
/** Users whose profile (name, public email) is looked up, one request each. */
export const PROFILE_LIMIT = 1000;
/** Repositories' sub-resources written per batch. */
const REPO_BATCH = 250;

function instanceName(config: GithubConfig): string {
  const url = (config.url ?? DEFAULT_URL).replace(/\/+$/, "");
  if (url === DEFAULT_URL) return `github:${config.org}`;
  const host = url.replace(/^https?:\/\//, "").replace(/\/api\/v3$/, "");
  return `github:${host}/${config.org}`;
}

/** What one repository's sub-requests gave. */
interface RepoExtras {
  repo: GhRepo;
  collaborators: GhUser[] | Refused;
  protection: GhBranchProtection | null | Refused | undefined;
}

async function* syncGithub(ctx: SyncContext<GithubConfig>): AsyncGenerator<GraphBatch> {
  const config = ctx.config;
  const token = await ctx.secret(config.token, "token");
  const client = new GithubClient({
    url: config.url ?? DEFAULT_URL,
    org: config.org,
    token,
    tokenRef: config.token,
    cache: ctx.cache,
    timeoutMs: config.timeout,
  });
  const keys = new Set<string>();
  const emit = (entities: EntityRecord[], relationships: RelationshipRecord[]): GraphBatch => {
    for (const e of entities) keys.add(e._key);
    // an edge to something this run did not write (a repository of another organisation) is left out
    return { entities, relationships: relationships.filter((r) => keys.has(r._fromEntityKey) && keys.has(r._toEntityKey)) };
  };

  // the organisation
  const org = await client.organization();
  const account = toAccountEntity(org);
  yield emit([account], []);

  // its members, with their profiles (name, public email)
  const [members, admins] = await Promise.all([client.members(), client.members("admin")]);
  const adminLogins = new Set(admins.map((u) => u.login));
  let profileBudget = PROFILE_LIMIT;
  const profiles = new Map<string, Promise<GhUser | undefined>>();
  const profileOf = (login: string): Promise<GhUser | undefined> => {
    let p = profiles.get(login);
    if (!p) {
      if (profileBudget <= 0) return Promise.resolve(undefined);
      profileBudget--;
      p = client.user(login);
      profiles.set(login, p);
    }
    return p;
  };
  const users = new Map<string, EntityRecord>(); // by node id
  const userEntities: EntityRecord[] = [];
  const userEdges: RelationshipRecord[] = [];
  for await (const [member, profile] of pool(members, CONCURRENCY, async (m) => [m, await profileOf(m.login)] as const)) {
    const role: GhUserRole = adminLogins.has(member.login) ? "ADMIN" : "MEMBER";
    const user = toUserEntity({ ...member, ...profile, node_id: member.node_id }, role);
    if (users.has(user._key)) continue;
    users.set(user._key, user);
    userEntities.push(user);
    userEdges.push(edge(REL.accountHasUser, "HAS", account._key, user._key));
    if (role === "ADMIN") userEdges.push(edge(REL.userManagesAccount, "MANAGES", user._key, account._key));
  }
  if (members.length > PROFILE_LIMIT) {
    ctx.note({
      message: `${members.length} members: names and public emails looked up for the first ${PROFILE_LIMIT} only (one request each)`,
    });
  }
  yield emit(userEntities, userEdges);

  /** A user met outside the member list (a team member, an outside collaborator): written once. */
  const userFrom = (gh: GhUser, profile: GhUser | undefined, role: GhUserRole, into: EntityRecord[]): string => {
    const known = users.get(gh.node_id);
    if (known) return known._key;
    const user = toUserEntity({ ...gh, ...profile, node_id: gh.node_id }, role);
    users.set(user._key, user);
    into.push(user);
    return user._key;
  };

  // the repositories
  const repos = await client.repos();
  const repoKeys = new Map<number, string>(); // database id → key
  {
    const entities: EntityRecord[] = [];
    const edges: RelationshipRecord[] = [];
    for (const repo of repos) {
      const entity = toRepoEntity(repo);
      if (repoKeys.has(repo.id)) continue;
      repoKeys.set(repo.id, entity._key);
      entities.push(entity);
      edges.push(edge(REL.accountOwnsRepo, "OWNS", account._key, entity._key));
    }
    yield emit(entities, edges);
  }

  // the teams, their members and their repositories
  const teams = await client.teams();
  yield emit(
    teams.map(toTeamEntity),
    teams.map((t) => edge(REL.accountHasTeam, "HAS", account._key, t.node_id)),
  );
  const teamResults = pool(teams, CONCURRENCY, async (team) => {
    const [teamMembers, teamRepos] = await Promise.all([client.teamMembers(team.slug), client.teamRepos(team.slug)]);
    return { team, teamMembers, teamRepos };
  });
  for await (const { team, teamMembers, teamRepos } of teamResults) {
    const entities: EntityRecord[] = [];
    const edges: RelationshipRecord[] = [];
    if (isRefused(teamMembers)) {
      ctx.warn({ file: `team ${team.slug}`, message: `${teamMembers.endpoint}: HTTP ${teamMembers.refused}, its members were skipped` });
    } else {
      for (const m of teamMembers) edges.push(edge(REL.teamHasUser, "HAS", team.node_id, userFrom(m, undefined, "MEMBER", entities)));
    }
    if (isRefused(teamRepos)) {
      ctx.warn({ file: `team ${team.slug}`, message: `${teamRepos.endpoint}: HTTP ${teamRepos.refused}, its repositories were skipped` });
    } else {
      for (const r of teamRepos) {
        const repoKey = repoKeys.get(r.id);
        if (repoKey) edges.push(repoAllowsTeam(repoKey, team.node_id, roleOf(r.permissions, r.role_name)));
      }
    }
    yield emit(entities, edges);
  }

  // per repository: direct collaborators and the default branch's protection
  let done = 0;
  ctx.progress(0, repos.length, "repos");
  let entities: EntityRecord[] = [];
  let edges: RelationshipRecord[] = [];
  // GitHub's hourly quota (5,000 requests for a token) can run out on a large
  // organisation: what is left is skipped with one warning, the run is partial,
  // and the answers fetched are kept, so the next run's 304s cost nothing.
  let limited: Error | undefined;
  let skipped = 0;
  const extras = pool(repos, CONCURRENCY, async (repo): Promise<(RepoExtras & { profiles: Map<string, GhUser | undefined> }) | { repo: GhRepo; skipped: true }> => {
    if (limited) return { repo, skipped: true };
    try {
      const [collaborators, protection] = await Promise.all([
        client.collaborators(repo.full_name),
        repo.default_branch ? client.branchProtection(repo.full_name, repo.default_branch) : Promise.resolve(undefined),
      ]);
      const found = new Map<string, GhUser | undefined>();
      if (!isRefused(collaborators)) {
        for (const c of collaborators) if (!users.has(c.node_id)) found.set(c.login, await profileOf(c.login));
      }
      return { repo, collaborators, protection, profiles: found };
    } catch (error) {
      if (!isRateLimitExhausted(error)) throw error;
      limited ??= error as Error;
      return { repo, skipped: true };
    }
  });
  for await (const result of extras) {
    done++;
    ctx.progress(done, repos.length, "repos");
    if ("skipped" in result) {
      skipped++;
      continue;
    }
    const { repo, collaborators, protection, profiles: found } = result;
    const repoKey = repoKeys.get(repo.id)!;
    if (isRefused(collaborators)) {
      ctx.warn({
        file: repo.full_name,
        message: `${collaborators.endpoint}: HTTP ${collaborators.refused}, collaborators skipped${collaborators.refused === 403 ? " (listing them needs push access to the repository)" : ""}`,
      });
    } else {
      for (const c of collaborators) {
        const userKey = userFrom(c, found.get(c.login), "OUTSIDE", entities);
        edges.push(repoAllowsUser(repoKey, userKey, roleOf(c.permissions, c.role_name)));
      }
    }
    if (isRefused(protection)) {
      ctx.warn({
        file: repo.full_name,
        message: `${protection.endpoint}: HTTP ${protection.refused}, branch protection skipped${protection.refused === 403 ? " (reading it needs admin access to the repository)" : ""}`,
      });
    } else if (protection && repo.default_branch) {
      const rule = toBranchProtectionEntity(repo, repo.default_branch, protection);
      entities.push(rule);
      edges.push(edge(REL.repoHasRule, "HAS", repoKey, rule._key));
    }
    if (done % REPO_BATCH === 0) {
      yield emit(entities, edges);
      entities = [];
      edges = [];
    }
  }
  yield emit(entities, edges);
  if (limited) {
    ctx.warn({
      message: `GitHub's rate limit ran out: the collaborators and branch protection of ${skipped} of ${repos.length} repositories were skipped (${limited.message}). Sync again after the reset: answers already fetched are kept, and those that did not change (304) do not count against the limit.`,
    });
  }
}

/** A rate limit dm will not wait out (GitHub's quota resets hourly): ApiClient's error says "rate limited … longer than … dm waits". */
function isRateLimitExhausted(error: unknown): boolean {
  return error instanceof ExternalServiceError && /rate limited \(HTTP (403|429)\), asked to retry after/.test(error.message);
}

export const githubIntegration: Integration<GithubConfig> = {
  id: "github",
  description: "a GitHub organisation: repositories, teams, members, permissions, branch protection",
  configSchema: GithubConfig,
  instanceName,
  sync: syncGithub,
};
