/**
 * `dm sync gitlab` end to end against the fake GitLab (test/fakes/gitlab-inventory.ts):
 * the graph in JupiterOne's graph-gitlab model, a re-sync with nothing
 * changed, and the failures (401, 429, 500, a hang, one project's members
 * refused) with what they leave behind.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gitlabIntegration } from "../src/integrations/gitlab/index.js";
import type { SyncWarning } from "../src/integrations/types.js";
import type { EntityRecord, RelationshipRecord } from "../src/store/types.js";
import { dataModelProblemsOf } from "./data-model.js";
import { type FakeGitlabInventory, startFakeGitlabInventory } from "./fakes/gitlab-inventory.js";
import { answerOf } from "./helpers/graph.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const TOKEN = "glpat-inventory-secret-7f3a9c";
const ENV = { GITLAB_TOKEN: TOKEN };

function seed(gl: FakeGitlabInventory): void {
  gl.groups.push(
    { id: 10, name: "Acme", path: "acme", parent_id: null, visibility: "public" },
    { id: 11, name: "Platform", path: "platform", parent_id: 10 },
    { id: 12, name: "Infra", path: "infra", parent_id: 11 },
    { id: 20, name: "Other", path: "other", parent_id: null },
  );
  gl.projects.push(
    { id: 100, name: "payments", namespace_id: 10, topics: ["pci"] },
    { id: 101, name: "website", namespace_id: 11, visibility: "public", default_branch: "trunk" },
    { id: 102, name: "terraform", namespace_id: 12, visibility: "internal", archived: true },
    // shared with acme from another group: not acme's
    { id: 103, name: "shared-lib", namespace_id: 20, shared_with: [10] },
  );
  gl.users.push(
    { id: 1, username: "alice", name: "Alice Smith", email: "Alice.Smith@Example.com" },
    { id: 2, username: "bob", name: "Bob Jones", public_email: "bob@example.com" },
    { id: 3, username: "carol", name: "Carol" },
  );
  gl.groupMembers.set(10, [[1, 50], [2, 30]]);
  gl.groupMembers.set(11, [[3, 40]]);
  gl.projectMembers.set(100, [[2, 40]]);
  gl.projectMembers.set(101, [[3, 30], [1, 30]]);
}

const query = (db: string, q: string, now = NOW) => answerOf(db, q, now);

describe("dm sync gitlab", () => {
  let gl: FakeGitlabInventory;
  let cwd: string;
  let db: string;

  const writeConfig = (extra = "") =>
    fs.writeFileSync(
      path.join(cwd, "dm.config.yaml"),
      `integrations:\n  - id: gitlab\n    url: ${gl.url}\n    group: acme\n    token: env:GITLAB_TOKEN\n${extra}`,
    );
  const sync = (now = NOW, env: Record<string, string> = ENV) => dm(["sync", "gitlab", "--db", db, "--json"], { cwd, env, now });

  beforeEach(async () => {
    gl = await startFakeGitlabInventory({ token: TOKEN, perPageCap: 2 });
    seed(gl);
    cwd = tempDir("dm-gitlab-");
    db = path.join(cwd, "dm.db");
    writeConfig();
  });
  afterEach(async () => {
    await gl.close();
  });

  it("writes the group tree, its projects and members in graph-gitlab's model", async () => {
    const r = await sync();
    expect(r.stderr).not.toContain("rror");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ integration: "gitlab", instance: `gitlab:${gl.url}/acme`, status: "succeeded", deleted: 0 });
    const host = new URL(gl.url).host;
    expect(await query(db, "Find gitlab_account")).toEqual([`gitlab-account:${host}/acme`]);
    expect(await query(db, "Find gitlab_group")).toEqual([10, 11, 12].map((id) => `gitlab-group:${host}:${id}`));
    // a project is both a CodeRepo and a Project; the shared one is not acme's
    expect(await query(db, "Find CodeRepo")).toEqual([100, 101, 102].map((id) => `gitlab-project:${host}:${id}`));
    expect(await query(db, "Find Project")).toEqual([100, 101, 102].map((id) => `gitlab-project:${host}:${id}`));
    expect(
      await query(
        db,
        "Find gitlab_project as p return p.name, p.fullName, p.public, p.archived, p.defaultBranch, p.topics, p.visibility, p.webLink, p.createdOn, p.lastActivityOn order by p.name",
      ),
    ).toEqual([
      {
        "p.name": "payments",
        "p.fullName": "acme/payments",
        "p.public": false,
        "p.archived": false,
        "p.defaultBranch": "main",
        "p.topics": ["pci"],
        "p.visibility": "private",
        "p.webLink": `${gl.url}/acme/payments`,
        "p.createdOn": Date.parse("2024-03-01T10:00:00.000Z"),
        "p.lastActivityOn": Date.parse("2026-11-20T08:00:00.000Z"),
      },
      {
        "p.name": "terraform",
        "p.fullName": "acme/platform/infra/terraform",
        "p.public": false,
        "p.archived": true,
        "p.defaultBranch": "main",
        "p.topics": [],
        "p.visibility": "internal",
        "p.webLink": `${gl.url}/acme/platform/infra/terraform`,
        "p.createdOn": Date.parse("2024-03-01T10:00:00.000Z"),
        "p.lastActivityOn": Date.parse("2026-11-20T08:00:00.000Z"),
      },
      {
        "p.name": "website",
        "p.fullName": "acme/platform/website",
        "p.public": true,
        "p.archived": false,
        "p.defaultBranch": "trunk",
        "p.topics": [],
        "p.visibility": "public",
        "p.webLink": `${gl.url}/acme/platform/website`,
        "p.createdOn": Date.parse("2024-03-01T10:00:00.000Z"),
        "p.lastActivityOn": Date.parse("2026-11-20T08:00:00.000Z"),
      },
    ]);
    // the tree: acme HAS platform HAS infra; each project in its own group
    expect(await query(db, "Find gitlab_group as a that HAS >> gitlab_group as b return a.fullPath, b.fullPath order by b.fullPath")).toEqual([
      { "a.fullPath": "acme", "b.fullPath": "acme/platform" },
      { "a.fullPath": "acme/platform", "b.fullPath": "acme/platform/infra" },
    ]);
    expect(await query(db, "Find gitlab_group as g that HAS gitlab_project as p return g.fullPath, p.name order by p.name")).toEqual([
      { "g.fullPath": "acme", "p.name": "payments" },
      { "g.fullPath": "acme/platform/infra", "p.name": "terraform" },
      { "g.fullPath": "acme/platform", "p.name": "website" },
    ]);
    expect(await query(db, "Find gitlab_account that HAS gitlab_project")).toHaveLength(1);
    expect(await query(db, "Find gitlab_account as a that HAS gitlab_group as g return count(g) as n")).toEqual([{ n: 3 }]);
    // members with their access level; emails lowercased where GitLab shows one
    expect(
      await query(db, "Find gitlab_group as g that HAS as m gitlab_user as u return g.fullPath, u.name, u.email, m.role, m.accessLevel order by u.name"),
    ).toEqual([
      { "g.fullPath": "acme", "u.name": "Alice Smith", "u.email": ["alice.smith@example.com"], "m.role": "owner", "m.accessLevel": 50 },
      { "g.fullPath": "acme", "u.name": "Bob Jones", "u.email": ["bob@example.com"], "m.role": "developer", "m.accessLevel": 30 },
      { "g.fullPath": "acme/platform", "u.name": "Carol", "u.email": null, "m.role": "maintainer", "m.accessLevel": 40 },
    ]);
    expect(await query(db, "Find gitlab_project as p that HAS as m gitlab_user as u return p.name, u.username, m.role order by p.name, u.username")).toEqual([
      { "p.name": "payments", "u.username": ["bob"], "m.role": "maintainer" },
      { "p.name": "website", "u.username": ["alice"], "m.role": "developer" },
      { "p.name": "website", "u.username": ["carol"], "m.role": "developer" },
    ]);
    // the sample queries of docs/integrations.md
    expect(await query(db, "Find gitlab_project with public=true and archived=false as p return p.fullName, p.webLink")).toEqual([
      { "p.fullName": "acme/platform/website", "p.webLink": `${gl.url}/acme/platform/website` },
    ]);
    expect(await query(db, "Find gitlab_user that HAS << gitlab_group with fullPath='acme/platform'")).toEqual([`gitlab-user:${host}:3`]);
    // paging: 3 projects at 2 per page took two requests
    expect(gl.requests.filter((q) => q.path === "/api/v4/groups/10/projects").map((q) => q.query.get("page") ?? "1")).toEqual(["1", "2"]);
    expect(gl.requests.every((q) => q.headers["private-token"] === TOKEN)).toBe(true);
    expect(fs.readFileSync(db).includes(Buffer.from(TOKEN))).toBe(false);
  });

  it("a second sync with nothing changed changes nothing and is answered from ETags", async () => {
    await sync();
    const before = gl.requests.length;
    const again = JSON.parse((await sync(NOW + 60_000)).stdout);
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
    const second = gl.requests.slice(before);
    expect(second.length).toBe(before);
    expect(second.every((q) => typeof q.headers["if-none-match"] === "string")).toBe(true);
    // a project gone from GitLab is marked deleted by the next (succeeded) run
    gl.projects.splice(gl.projects.findIndex((p) => p.id === 102), 1);
    const third = JSON.parse((await sync(NOW + 120_000)).stdout);
    expect(third).toMatchObject({ status: "succeeded", deleted: 3 }); // the project, group HAS project, account HAS project
    expect(await query(db, "Find gitlab_project with name='terraform'", NOW + 120_000)).toEqual([]);
  });

  it("without a group: the groups the token is a member of, each with its subgroups", async () => {
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: gitlab\n    url: ${gl.url}/\n    token: env:GITLAB_TOKEN\n`);
    gl.memberOf.add(11).add(20);
    const r = await sync();
    expect(r.code).toBe(0);
    const host = new URL(gl.url).host;
    expect(JSON.parse(r.stdout).instance).toBe(`gitlab:${gl.url}`);
    expect(await query(db, "Find gitlab_account")).toEqual([`gitlab-account:${host}`]);
    expect(await query(db, "Find gitlab_group as g return g.fullPath order by g.fullPath")).toEqual([
      { "g.fullPath": "acme/platform" },
      { "g.fullPath": "acme/platform/infra" },
      { "g.fullPath": "other" },
    ]);
    expect(await query(db, "Find gitlab_project as p return p.name order by p.name")).toEqual([
      { "p.name": "shared-lib" },
      { "p.name": "terraform" },
      { "p.name": "website" },
    ]);
  });

  it("an expired token: exit 3 naming GitLab, the endpoint and the token; the graph stays", async () => {
    await sync();
    const r = await dm(["sync", "gitlab", "--db", db], { cwd, env: { GITLAB_TOKEN: "glpat-expired-0000" }, now: NOW + 1000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("GitLab (GET /api/v4/groups/acme): the credentials were refused (HTTP 401)");
    expect(r.stderr).toContain("Nothing was changed: the graph is as it was before this run.");
    expect(r.stderr).toContain("Check the GitLab token (config key token)");
    expect(r.stderr + r.stdout).not.toContain("glpat-expired-0000");
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
    expect(await query(db, "Find gitlab_project", NOW + 1000)).toHaveLength(3);
    expect((await dm(["sources", "--db", db, "--json"], { now: NOW + 2000 })).stdout).toContain('"status":"failed"');
  });

  it("a 429 with Retry-After and a 500 are retried and the run succeeds", async () => {
    gl.failNext({ status: 429, retryAfter: "1" }, { status: 500 });
    const started = Date.now();
    const r = await sync();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // the first request was asked three times: 429, 500, then answered
    expect(gl.requests.slice(0, 3).map((q) => q.path)).toEqual(Array(3).fill("/api/v4/groups/acme"));
    expect(await query(db, "Find CodeRepo")).toHaveLength(3);
  });

  it("a server that does not answer times out with a clear error", async () => {
    writeConfig("    timeout: 300ms\n");
    gl.failAlways({ hang: true });
    const r = await dm(["sync", "gitlab", "--db", db], { cwd, env: ENV, now: NOW });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("GitLab (GET /api/v4/groups/acme): no answer within 0.3 s (tried 4 times)");
  });

  it("one project's members refused: a warning, the run is partial and deletes nothing", async () => {
    await sync();
    gl.projects.splice(gl.projects.findIndex((p) => p.id === 102), 1);
    gl.forbidden.add("/api/v4/projects/101/members");
    const r = await sync(NOW + 1000);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: "partial", deleted: 0 });
    expect(summary.warnings).toEqual([
      { file: "acme/platform/website", message: "GitLab refused GET /projects/101/members (HTTP 403): members skipped" },
    ]);
    // terraform is gone from GitLab but stays until a run succeeds
    expect(await query(db, "Find gitlab_project with name='terraform'", NOW + 1000)).toHaveLength(1);
  });

  it("a group that does not exist is named", async () => {
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: gitlab\n    url: ${gl.url}\n    group: acme/nope\n    token: env:GITLAB_TOKEN\n`);
    const r = await sync();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('GitLab (GET /api/v4/groups/acme%2Fnope): no group "acme/nope"');
    expect(r.stderr).toContain("Check the group setting");
  });

  it("refuses an unknown key naming it, and a token written inline", async () => {
    writeConfig("    groups: acme\n");
    const r = await sync();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("integrations[0].groups: not a setting of the gitlab integration");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: gitlab\n    url: ${gl.url}\n    token: glpat-inline-secret\n`);
    const inline = await sync();
    expect(inline.code).toBe(2);
    expect(inline.stderr).toContain("integrations[0].token: write a reference, not the secret");
    expect(inline.stderr).not.toContain("glpat-inline-secret");
  });

  it("JupiterOne managed question: Were there any Code Repos added in the last 24 hours?", async () => {
    // From JupiterOne's managed questions library, "Application Development":
    // JupiterOne-Archives/docs-old, docs/questions/managed-questions-appdev.rst
    //   Find CodeRepo with _beginOn > date.now-24hr and _version=1
    await sync(NOW - 3 * 86_400_000);
    gl.projects.push({ id: 104, name: "ledger", namespace_id: 11 });
    await sync(NOW);
    const host = new URL(gl.url).host;
    expect(await query(db, "Find CodeRepo with _beginOn > date.now-24hr and _version=1", NOW)).toEqual([`gitlab-project:${host}:104`]);
  });
});

describe("gitlab entities against JupiterOne's data model", () => {
  it("every entity the sync writes is valid", async () => {
    const gl = await startFakeGitlabInventory({ token: TOKEN, links: false, perPageCap: 1 });
    try {
      seed(gl);
      const entities: EntityRecord[] = [];
      const relationships: RelationshipRecord[] = [];
      const warnings: SyncWarning[] = [];
      const config = gitlabIntegration.configSchema.parse({ url: gl.url, token: "env:GITLAB_TOKEN" });
      for await (const batch of gitlabIntegration.sync({
        config,
        instance: "gitlab:test",
        now: NOW,
        cwd: "/",
        warn: (w) => warnings.push(w),
        note: () => undefined,
        progress: () => undefined,
        secret: async () => TOKEN,
        env: () => undefined,
        cache: { get: () => undefined, set: () => undefined },
        seen: () => undefined,
      })) {
        entities.push(...batch.entities);
        relationships.push(...batch.relationships);
      }
      expect(warnings).toEqual([]);
      expect(new Set(entities.map((e) => e._type))).toEqual(new Set(["gitlab_account", "gitlab_group", "gitlab_project", "gitlab_user"]));
      expect(entities).toHaveLength(1 + 4 + 4 + 3);
      expect(dataModelProblemsOf(entities)).toEqual([]);
      // every edge joins entities the sync wrote, with graph-gitlab's _type names
      const keys = new Set(entities.map((e) => e._key));
      for (const r of relationships) expect(keys.has(r._fromEntityKey) && keys.has(r._toEntityKey), r._key).toBe(true);
      expect(new Set(relationships.map((r) => r._type))).toEqual(
        new Set([
          "gitlab_account_has_group",
          "gitlab_account_has_project",
          "gitlab_group_has_group",
          "gitlab_group_has_project",
          "gitlab_group_has_user",
          "gitlab_project_has_user",
        ]),
      );
      // without Link headers, X-Next-Page leads (no page was asked twice)
      const asked = gl.requests.map((q) => `${q.path}?${q.query}`);
      expect(new Set(asked).size).toBe(asked.length);
    } finally {
      await gl.close();
    }
  });
});
