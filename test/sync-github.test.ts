/**
 * `dm sync github` end to end against the fake GitHub (test/fakes/github.ts):
 * the graph in JupiterOne's graph-github model, conditional re-syncs, and
 * the failures (bad token, missing read:org, rate limits, 500, a hang, one
 * repository the token may not read).
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runSync } from "../src/core/ingest/sync.js";
import { type GithubConfig, githubIntegration } from "../src/integrations/github/index.js";
import type { SyncContext } from "../src/integrations/types.js";
import { runQuery } from "../src/query/run.js";
import type { EntityRecord, RelationshipRecord } from "../src/store/types.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { dataModelProblemsOf } from "./data-model.js";
import { type FakeGithub, type FakeGithubData, nodeId, startFakeGithub } from "./fakes/github.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const TOKEN = "ghp_fakeTokenValue1234567890abcdef";

function acme(): FakeGithubData {
  return {
    org: { login: "acme", id: 42, name: "Acme Corp", description: "We make everything", createdAt: "2019-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" },
    users: [
      { login: "alice", id: 1, name: "Alice Liddell", email: "Alice@Example.com" },
      { login: "bob", id: 2, name: "Bob Builder", email: "bob@example.com" },
      { login: "carol", id: 3 },
      { login: "dave", id: 4, name: "Dave Contractor", email: "dave@contractor.io" },
    ],
    members: ["alice", "bob", "carol"],
    admins: ["alice"],
    repos: [
      {
        id: 101,
        name: "payments",
        private: true,
        defaultBranch: "main",
        topics: ["pci", "payments"],
        language: "TypeScript",
        description: "Takes the money",
        createdAt: "2020-02-03T04:05:06Z",
        updatedAt: "2026-11-01T10:00:00Z",
        pushedAt: "2026-11-20T09:00:00Z",
        collaborators: { dave: "write" },
        protection: { reviews: 2, codeOwners: true, enforceAdmins: true, checks: ["ci/test", "ci/build"] },
      },
      {
        id: 102,
        name: "website",
        private: false,
        defaultBranch: "main",
        language: "JavaScript",
        createdAt: "2021-01-01T00:00:00Z",
        updatedAt: "2026-10-01T00:00:00Z",
        pushedAt: "2026-10-02T00:00:00Z",
        collaborators: { bob: "admin" },
      },
      {
        id: 103,
        name: "legacy",
        private: true,
        archived: true,
        defaultBranch: "master",
        language: null,
        createdAt: "2015-01-01T00:00:00Z",
        updatedAt: "2019-01-01T00:00:00Z",
        pushedAt: "2018-06-01T00:00:00Z",
        collaborators: {},
      },
      {
        id: 104,
        name: "internal-tools",
        private: true,
        visibility: "internal",
        defaultBranch: "main",
        language: "Go",
        createdAt: "2022-01-01T00:00:00Z",
        updatedAt: "2026-09-01T00:00:00Z",
        pushedAt: "2026-09-02T00:00:00Z",
        collaborators: {},
        protection: { reviews: 1 },
      },
    ],
    teams: [
      { id: 201, slug: "core", name: "Core", description: "The core team", members: ["alice", "bob"], repos: { payments: "admin", website: "write" } },
      { id: 202, slug: "web", name: "Web", members: ["carol"], repos: { website: "maintain", "internal-tools": "triage" } },
    ],
  };
}

async function withStore<T>(db: string, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = SqliteStore.open(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function table(db: string, query: string): Promise<Record<string, unknown>[]> {
  return withStore(db, async (store) => {
    const r = await runQuery(store, query, { now: NOW, all: true });
    if (r.type !== "table") throw new Error(`expected a table from ${query}, got ${r.type}`);
    return r.data;
  });
}

async function keys(db: string, query: string): Promise<string[]> {
  return withStore(db, async (store) => {
    const r = await runQuery(store, query, { now: NOW, all: true });
    return r.type === "list" ? r.data.map((d) => d.entity._key).sort() : [];
  });
}

/** Every live entity, as written (properties back at the top level), for the data-model check. */
async function allEntities(db: string): Promise<EntityRecord[]> {
  return withStore(db, async (store) => {
    const out: EntityRecord[] = [];
    for await (const page of store.exportGraph()) {
      if (!("entities" in page) || !page.entities) continue;
      for (const e of page.entities) {
        out.push({ ...e.props, _key: e.key, _type: e.type, _class: e.classes, ...(e.displayName ? { displayName: e.displayName } : {}) });
      }
    }
    return out;
  });
}

describe("dm sync github", () => {
  let fake: FakeGithub;
  let cwd: string;
  let db: string;
  const env = { GITHUB_TOKEN: TOKEN };

  const writeConfig = (extra = "", url = fake.url) =>
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: github\n    org: acme\n    url: ${url}\n    token: env:GITHUB_TOKEN\n${extra}`);
  const sync = (now = NOW) => dm(["sync", "github", "--db", db, "--json"], { cwd, env, now });

  beforeEach(async () => {
    fake = await startFakeGithub({ token: TOKEN, data: acme(), perPageCap: 2 });
    cwd = tempDir();
    db = path.join(tempDir(), "dm.db");
    writeConfig("    timeout: 1s\n");
  });
  afterEach(async () => {
    await fake.close();
  });

  it("writes the organisation in JupiterOne's model, paging through Link headers", async () => {
    const r = await sync();
    expect(r.stderr).not.toContain(TOKEN);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ integration: "github", status: "succeeded", deleted: 0, warnings: [] });
    expect(summary.instance).toBe(`github:${fake.url.replace("http://", "")}/acme`);
    // 2 per page: 4 repos and 3 members took two pages each
    const repoPages = fake.requests.filter((q) => q.path === "/orgs/acme/repos").map((q) => q.query.get("page"));
    expect(repoPages).toEqual([null, "2"]);
    expect(fake.requests.every((q) => q.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(fake.requests[0]!.headers.accept).toBe("application/vnd.github+json");
    expect(fake.requests[0]!.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(fake.requests.find((q) => q.path === "/orgs/acme/repos")!.query.get("type")).toBe("all");
    expect(fake.requests.find((q) => q.path.endsWith("/collaborators"))!.query.get("affiliation")).toBe("direct");

    expect(await table(db, "Find github_account as a return a.name, a.login, a.vendor, a.webLink")).toEqual([
      { "a.name": "Acme Corp", "a.login": "acme", "a.vendor": "GitHub", "a.webLink": "https://github.com/acme" },
    ]);
    expect(
      await table(
        db,
        "Find github_account that OWNS github_repo as r return r.name, r.fullName, r.public, r.visibility, r.archived, r.defaultBranch, r.topics, r.language, r.pushedOn, r.webLink ORDER BY r.name",
      ),
    ).toEqual([
      { "r.name": "internal-tools", "r.fullName": "acme/internal-tools", "r.public": false, "r.visibility": "INTERNAL", "r.archived": false, "r.defaultBranch": "main", "r.topics": [], "r.language": "Go", "r.pushedOn": Date.parse("2026-09-02T00:00:00Z"), "r.webLink": "https://github.com/acme/internal-tools" },
      { "r.name": "legacy", "r.fullName": "acme/legacy", "r.public": false, "r.visibility": "PRIVATE", "r.archived": true, "r.defaultBranch": "master", "r.topics": [], "r.language": null, "r.pushedOn": Date.parse("2018-06-01T00:00:00Z"), "r.webLink": "https://github.com/acme/legacy" },
      { "r.name": "payments", "r.fullName": "acme/payments", "r.public": false, "r.visibility": "PRIVATE", "r.archived": false, "r.defaultBranch": "main", "r.topics": ["payments", "pci"], "r.language": "TypeScript", "r.pushedOn": Date.parse("2026-11-20T09:00:00Z"), "r.webLink": "https://github.com/acme/payments" },
      { "r.name": "website", "r.fullName": "acme/website", "r.public": true, "r.visibility": "PUBLIC", "r.archived": false, "r.defaultBranch": "main", "r.topics": [], "r.language": "JavaScript", "r.pushedOn": Date.parse("2026-10-02T00:00:00Z"), "r.webLink": "https://github.com/acme/website" },
    ]);
    // members with their role and public email (lowercased); the outside collaborator too
    expect(await table(db, "Find github_user as u return u.login, u.displayName, u.role, u.email ORDER BY u.login")).toEqual([
      { "u.login": "alice", "u.displayName": "Alice Liddell", "u.role": "ADMIN", "u.email": ["alice@example.com"] },
      { "u.login": "bob", "u.displayName": "Bob Builder", "u.role": "MEMBER", "u.email": ["bob@example.com"] },
      { "u.login": "carol", "u.displayName": "carol", "u.role": "MEMBER", "u.email": null },
      { "u.login": "dave", "u.displayName": "Dave Contractor", "u.role": "OUTSIDE", "u.email": ["dave@contractor.io"] },
    ]);
    expect(await keys(db, "Find github_user that !RELATES TO github_account")).toEqual([nodeId("U", 4)]);
    expect(await keys(db, "Find github_user that MANAGES github_account")).toEqual([nodeId("U", 1)]);
    expect(await table(db, "Find github_account that HAS github_team as t that HAS github_user as u return t.name, t.displayName, u.login ORDER BY t.name, u.login")).toEqual([
      { "t.name": "core", "t.displayName": "Core", "u.login": "alice" },
      { "t.name": "core", "t.displayName": "Core", "u.login": "bob" },
      { "t.name": "web", "t.displayName": "Web", "u.login": "carol" },
    ]);
    expect(
      await table(
        db,
        "Find github_repo as r that ALLOWS as p (github_team|github_user) as who return r.name, who.name, p.role, p.adminPermission, p.maintainPermission, p.pushPermission, p.triagePermission, p.pullPermission ORDER BY r.name, who.name",
      ),
    ).toEqual([
      { "r.name": "internal-tools", "who.name": "web", "p.role": "TRIAGE", "p.adminPermission": false, "p.maintainPermission": false, "p.pushPermission": false, "p.triagePermission": true, "p.pullPermission": true },
      { "r.name": "payments", "who.name": "Dave Contractor", "p.role": "WRITE", "p.adminPermission": false, "p.maintainPermission": false, "p.pushPermission": true, "p.triagePermission": true, "p.pullPermission": true },
      { "r.name": "payments", "who.name": "core", "p.role": "ADMIN", "p.adminPermission": true, "p.maintainPermission": true, "p.pushPermission": true, "p.triagePermission": true, "p.pullPermission": true },
      { "r.name": "website", "who.name": "Bob Builder", "p.role": "ADMIN", "p.adminPermission": true, "p.maintainPermission": true, "p.pushPermission": true, "p.triagePermission": true, "p.pullPermission": true },
      { "r.name": "website", "who.name": "core", "p.role": "WRITE", "p.adminPermission": false, "p.maintainPermission": false, "p.pushPermission": true, "p.triagePermission": true, "p.pullPermission": true },
      { "r.name": "website", "who.name": "web", "p.role": "MAINTAIN", "p.adminPermission": false, "p.maintainPermission": true, "p.pushPermission": true, "p.triagePermission": true, "p.pullPermission": true },
    ]);
    expect(
      await table(
        db,
        "Find github_repo as r that HAS github_branch_protection_rule as b return r.name, b.name, b.requiredApprovingReviewCount, b.requireCodeOwnerReviews, b.enforceAdmins, b.requiredStatusChecks ORDER BY r.name",
      ),
    ).toEqual([
      { "r.name": "internal-tools", "b.name": "main", "b.requiredApprovingReviewCount": 1, "b.requireCodeOwnerReviews": false, "b.enforceAdmins": false, "b.requiredStatusChecks": [] },
      { "r.name": "payments", "b.name": "main", "b.requiredApprovingReviewCount": 2, "b.requireCodeOwnerReviews": true, "b.enforceAdmins": true, "b.requiredStatusChecks": ["ci/build", "ci/test"] },
    ]);
    expect((await allEntities(db)).filter((e) => e._type.startsWith("github_")).length).toBe(1 + 4 + 4 + 2 + 2);
    // the people step makes one Person per email: the users who publish one
    expect(await table(db, "Find Person as p that IS github_user as u return p._key, u.login ORDER BY u.login")).toEqual([
      { "p._key": "person:alice@example.com", "u.login": "alice" },
      { "p._key": "person:bob@example.com", "u.login": "bob" },
      { "p._key": "person:dave@contractor.io", "u.login": "dave" },
    ]);
    // the token is nowhere in the database
    expect(fs.readFileSync(db).includes(Buffer.from(TOKEN))).toBe(false);
    // dm sources names the instance, never the credential
    const sources = await dm(["sources", "--db", db, "--json"], { cwd, env, now: NOW });
    expect(sources.code).toBe(0);
    expect(sources.stdout).toContain('"github:');
    expect(sources.stdout + sources.stderr).not.toContain(TOKEN);
  });

  // JupiterOne's managed questions for GitHub: JupiterOne/graph-github,
  // jupiterone/questions/questions.yaml (sourceId managed:github), ids
  // integration-question-github-repos-without-branch-protection and
  // integration-question-github-access-repo-outside-collaborator; queries as published.
  it("answers JupiterOne's managed questions: repos without branch protection; repos open to outside collaborators", async () => {
    expect((await sync()).code).toBe(0);
    expect(await keys(db, "FIND github_repo that !HAS github_branch_protection_rule")).toEqual([nodeId("R", 102), nodeId("R", 103)].sort());
    expect(
      await table(
        db,
        `FIND github_repo AS repo
          THAT ALLOWS AS perms
            github_user WITH role="OUTSIDE" AS user
          RETURN
            user.displayName,
            repo.displayName,
            perms.adminPermission,
            perms.maintainPermission,
            perms.pullPermission,
            perms.pushPermission,
            perms.triagePermission`,
      ),
    ).toEqual([
      {
        "user.displayName": "Dave Contractor",
        "repo.displayName": "payments",
        "perms.adminPermission": false,
        "perms.maintainPermission": false,
        "perms.pullPermission": true,
        "perms.pushPermission": true,
        "perms.triagePermission": true,
      },
    ]);
    // and "Which GitHub repos have internal visibility?"
    expect(await keys(db, `FIND github_repo WITH visibility = "INTERNAL"`)).toEqual([nodeId("R", 104)]);
  });

  it("re-syncs with If-None-Match: every answer 304, the graph unchanged; a change is picked up", async () => {
    expect((await sync()).code).toBe(0);
    const before = await allEntities(db);
    const firstCount = fake.requests.length;
    expect(fake.counts.notModified).toBe(0);
    const again = await sync(NOW + 60_000);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
    const second = fake.requests.slice(firstCount);
    expect(second.length).toBe(firstCount);
    // a 404 (a branch without protection) has no ETag: asked again plainly; everything else answered 304
    const unprotected = (q: { path: string }) => /\/(website|legacy)\/branches\/[^/]+\/protection$/.test(q.path);
    expect(second.filter(unprotected)).toHaveLength(2);
    expect(second.filter(unprotected).every((q) => q.headers["if-none-match"] === undefined)).toBe(true);
    expect(second.filter((q) => !unprotected(q)).every((q) => String(q.headers["if-none-match"]).startsWith('W/"'))).toBe(true);
    expect(fake.counts.notModified).toBe(second.length - 2);
    expect(await allEntities(db)).toEqual(before);

    // a repository archived, a collaborator gone: picked up, and the edge deleted
    fake.data.repos[0]!.archived = true;
    fake.data.repos[0]!.collaborators = {};
    const third = JSON.parse((await sync(NOW + 120_000)).stdout);
    // deleted: the ALLOWS edge, and dave, no longer a collaborator anywhere
    expect(third).toMatchObject({ status: "succeeded", deleted: 2 });
    expect(await keys(db, "Find github_repo with archived=true")).toEqual([nodeId("R", 101), nodeId("R", 103)].sort());
    expect(await keys(db, `Find github_user with role="OUTSIDE"`)).toEqual([]);
  });

  it("a refused token: exit 3 naming GitHub, the endpoint and what to check; the graph stays; the token is never shown", async () => {
    expect((await sync()).code).toBe(0);
    const before = await allEntities(db);
    fake.data.repos.pop(); // would be deleted by a succeeded run
    const r = await dm(["sync", "github", "--db", db], { cwd, env: { GITHUB_TOKEN: "ghp_expiredTokenValue" }, now: NOW + 1000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("GitHub (GET /orgs/acme): the credentials were refused (HTTP 401)");
    expect(r.stderr).toContain("Check the token env:GITHUB_TOKEN names");
    expect(r.stderr).toContain("Nothing was changed: the graph is as it was before this run.");
    expect(r.stdout + r.stderr).not.toContain("ghp_expiredTokenValue");
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(await allEntities(db)).toEqual(before);
    const sources = await dm(["sources", "--db", db, "--json"], { cwd, env, now: NOW + 2000 });
    expect(sources.stdout).toContain('"status":"failed"');
    expect(sources.stdout).not.toContain("ghp_");
  });

  it("a 403 on the teams without a rate-limit signal: the token lacks read:org (exit 3)", async () => {
    fake.override(/^\/orgs\/acme\/teams$/, fake.forbidden());
    const r = await sync();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("GitHub (GET /orgs/acme/teams): the token may not read the organisation's teams (HTTP 403)");
    expect(r.stderr).toContain("read:org");
    expect(await keys(db, "Find github_repo")).toEqual([]);
  });

  it("waits out GitHub's rate limits: 429 with Retry-After, the secondary limit, the exhausted quota", async () => {
    fake.failNext({ status: 429, retryAfter: "1" });
    const first = await sync();
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).status).toBe("succeeded");
    fake.failNextWith(fake.secondaryRateLimit(1));
    const t0 = Date.now();
    const second = await sync(NOW + 1000);
    expect(second.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    fake.failNextWith(fake.primaryRateLimit(1));
    const third = await sync(NOW + 2000);
    expect(third.stderr).toBe("");
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ status: "succeeded", deleted: 0 });
    expect((await keys(db, "Find github_repo")).length).toBe(4);
  });

  it("a quota that runs out mid-way (reset in an hour): the rest is skipped with one warning, partial; the next run completes", async () => {
    expect((await sync()).code).toBe(0);
    fake.data.repos.pop(); // gone from GitHub, but a partial run deletes nothing
    fake.override(/^\/repos\/acme\/website\/collaborators$/, fake.primaryRateLimit(3600));
    const r = await sync(NOW + 1000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe("partial");
    expect(summary.warnings).toHaveLength(1);
    expect(summary.warnings[0].message).toMatch(
      /^GitHub's rate limit ran out: the collaborators and branch protection of 1 of 3 repositories were skipped \(GitHub \(GET \/repos\/acme\/website\/collaborators\): rate limited \(HTTP 403\), asked to retry after (359\d|36\d\d) s/,
    );
    expect((await keys(db, "Find github_repo")).length).toBe(4);
    // website's collaborator edge stays (not deleted) until a run succeeds
    expect(await table(db, "Find github_repo with name='website' that ALLOWS github_user as u return u.login")).toEqual([{ "u.login": "bob" }]);
    fake.override(/^\/repos\/acme\/website\/collaborators$/, undefined);
    const again = JSON.parse((await sync(NOW + 2000)).stdout);
    expect(again).toMatchObject({ status: "succeeded" });
    expect((await keys(db, "Find github_repo")).length).toBe(3);
  });

  it("retries a 500; a hang times out with a clear error", async () => {
    fake.failNext({ status: 500 }, { status: 502 });
    expect((await sync()).code).toBe(0);
    fake.failAlways({ hang: true });
    const t0 = Date.now();
    const r = await dm(["sync", "github", "--db", db], { cwd, env, now: NOW + 1000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("GitHub (GET /orgs/acme): no answer within 1 s (tried 4 times)");
    expect(Date.now() - t0).toBeLessThan(15_000);
    fake.failAlways(undefined);
    expect((await keys(db, "Find github_repo")).length).toBe(4);
  }, 20_000);

  it("a repository the token may not read is a warning: the run is partial and deletes nothing", async () => {
    expect((await sync()).code).toBe(0);
    fake.data.repos[0]!.protection = "forbidden";
    fake.override(/^\/repos\/acme\/website\/collaborators$/, { status: 404, json: { message: "Not Found" } });
    fake.data.teams.pop();
    const r = await dm(["sync", "github", "--db", db], { cwd, env, now: NOW + 1000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("partial");
    expect(r.stdout).toContain("acme/payments GET /repos/acme/payments/branches/main/protection: HTTP 403, branch protection skipped (reading it needs admin access to the repository)");
    expect(r.stdout).toContain("acme/website GET /repos/acme/website/collaborators: HTTP 404, collaborators skipped");
    expect(r.stdout).toContain("Run was partial: nothing was deleted");
    // the team is gone from GitHub, and payments' rule was not read: both stay until a run succeeds
    expect(await keys(db, "Find github_team")).toEqual([nodeId("T", 201), nodeId("T", 202)]);
    expect((await keys(db, "Find github_branch_protection_rule")).length).toBe(2);
  });

  it("GitHub Enterprise Server: the API root under /api/v3", async () => {
    writeConfig("", `${fake.url}/api/v3`);
    const r = await sync();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).instance).toBe(`github:${fake.url.replace("http://", "")}/acme`);
    expect(fake.requests.every((q) => q.path.startsWith("/api/v3/"))).toBe(true);
    // the Link header's next page keeps the prefix
    expect(fake.requests.filter((q) => q.path === "/api/v3/orgs/acme/repos")).toHaveLength(2);
    expect((await keys(db, "Find github_repo")).length).toBe(4);
  });

  it("refuses an unknown key, naming it; and an inline token", async () => {
    writeConfig("    orgnaization: acme\n");
    const typo = await sync();
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("integrations[0].orgnaization: not a setting of the github integration");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: github\n    org: acme\n    token: ${TOKEN}\n`);
    const inline = await sync();
    expect(inline.code).toBe(2);
    expect(inline.stderr).toContain("integrations[0].token: write a reference, not the secret");
    expect(inline.stderr).not.toContain(TOKEN);
    writeConfig("    timeout: soon\n");
    expect((await sync()).stderr).toContain('integrations[0].timeout: "soon" is not a duration (examples: 10s, 500ms, 1m)');
  });

  it("no such organisation: exit 3 naming org and url", async () => {
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: github\n    org: acme-typo\n    url: ${fake.url}\n    token: env:GITHUB_TOKEN\n`);
    const r = await sync();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('GitHub (GET /orgs/acme-typo): no organisation "acme-typo" (HTTP 404)');
    expect(r.stderr).toContain("Check `org`");
  });
});

describe("github sync in-process", () => {
  const env = (name: string) => (name === "T" ? TOKEN : undefined);

  it("every entity it writes fits JupiterOne's published class schemas", async () => {
    const fake = await startFakeGithub({ token: TOKEN, data: acme() });
    try {
      const entities: EntityRecord[] = [];
      const relationships: RelationshipRecord[] = [];
      const ctx: SyncContext<GithubConfig> = {
        config: { org: "acme", url: fake.url, token: "env:T" },
        instance: "github:test",
        now: NOW,
        cwd: "/",
        warn: (w) => {
          throw new Error(w.message);
        },
        note: () => undefined,
        progress: () => undefined,
        secret: async () => TOKEN,
        env,
        cache: { get: () => undefined, set: () => undefined },
        seen: () => undefined,
      };
      for await (const batch of githubIntegration.sync(ctx)) {
        entities.push(...batch.entities);
        relationships.push(...batch.relationships);
      }
      expect(entities.map((e) => e._type).sort()).toEqual([
        "github_account",
        ...Array(2).fill("github_branch_protection_rule"),
        ...Array(4).fill("github_repo"),
        ...Array(2).fill("github_team"),
        ...Array(4).fill("github_user"),
      ]);
      expect(dataModelProblemsOf(entities)).toEqual([]);
      expect(entities.every((e) => e._key.length >= 10)).toBe(true);
      expect([...new Set(relationships.map((r) => `${r._type} ${r._class}`))].sort()).toEqual([
        "github_account_has_team HAS",
        "github_account_has_user HAS",
        "github_account_owns_repo OWNS",
        "github_repo_allows_team ALLOWS",
        "github_repo_allows_user ALLOWS",
        "github_repo_has_branch_protection_rule HAS",
        "github_team_has_user HAS",
        "github_user_manages_account MANAGES",
      ]);
    } finally {
      await fake.close();
    }
  });

  it("counts: one request per list page and per sub-resource; users' profiles once each", async () => {
    const fake = await startFakeGithub({ token: TOKEN, data: acme() });
    try {
      const store = SqliteStore.open(":memory:");
      const summary = await runSync(store, githubIntegration, { org: "acme", url: fake.url, token: "env:T" }, {
        now: NOW,
        cwd: "/",
        actor: "test",
        reconcile: false,
        secrets: { env },
      });
      expect(summary.status).toBe("succeeded");
      const paths = fake.requests.map((q) => q.path);
      // org, members ×2, repos, teams, 2 teams × 2, 4 repos × 2, 4 users
      expect(paths.length).toBe(1 + 2 + 1 + 1 + 4 + 8 + 4);
      expect(paths.filter((p) => p.startsWith("/users/")).sort()).toEqual(["/users/alice", "/users/bob", "/users/carol", "/users/dave"]);
      await store.close();
    } finally {
      await fake.close();
    }
  });
});
