/**
 * `dm sync bitbucket` end to end against the fake Bitbucket
 * (test/fakes/bitbucket.ts), Cloud (API 2.0, `next` paging) and Data Center
 * (API 1.0, `start`/`isLastPage` paging): the graph in JupiterOne's
 * graph-bitbucket model, a re-sync with nothing changed, and the failures.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bitbucketIntegration } from "../src/integrations/bitbucket/index.js";
import type { SyncWarning } from "../src/integrations/types.js";
import type { EntityRecord, RelationshipRecord } from "../src/store/types.js";
import { dataModelProblemsOf } from "./data-model.js";
import { type FakeBitbucket, startFakeBitbucket } from "./fakes/bitbucket.js";
import { answerOf } from "./helpers/graph.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const TOKEN = "bbat-inventory-secret-91c2e7";
const ENV = { BITBUCKET_TOKEN: TOKEN };
const WS = "{6f0d5ab2-3c1e-4d8f-9a7b-0e1d2c3b4a59}";
const uuid = (n: number) => `{1a2b3c4d-0000-4000-8000-${String(n).padStart(12, "0")}}`;

function seed(bb: FakeBitbucket): void {
  bb.projects.push(
    { uuid: uuid(1), id: 1, key: "PAY", name: "Payments", description: "Money in, money out" },
    { uuid: uuid(2), id: 2, key: "WEB", name: "Web", is_private: false },
  );
  bb.repos.push(
    { uuid: uuid(11), id: 11, slug: "payments-api", name: "Payments API", project: "PAY", language: "go" },
    { uuid: uuid(12), id: 12, slug: "ledger", name: "ledger", project: "PAY", mainbranch: null },
    { uuid: uuid(21), id: 21, slug: "website", name: "website", project: "WEB", is_private: false, mainbranch: "master", archived: true },
  );
  bb.users.push(
    { uuid: uuid(101), id: 101, nickname: "alice", display_name: "Alice Smith", email: "Alice.Smith@Example.com" },
    { uuid: uuid(102), id: 102, nickname: "bob", display_name: "Bob Jones", email: "bob@example.com" },
    { uuid: uuid(103), id: 103, nickname: "carol", display_name: "Carol" },
  );
  bb.groups.push(
    { slug: "developers", name: "Developers", members: ["alice", "bob"], owner: "alice", permission: "write" },
    { slug: "administrators", name: "Administrators", members: ["carol"], permission: "admin" },
  );
}

const query = (db: string, q: string, now = NOW) => answerOf(db, q, now);

async function collectSync(config: unknown): Promise<{ entities: EntityRecord[]; relationships: RelationshipRecord[]; warnings: SyncWarning[] }> {
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  const warnings: SyncWarning[] = [];
  for await (const batch of bitbucketIntegration.sync({
    config: bitbucketIntegration.configSchema.parse(config),
    instance: "bitbucket:test",
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
  return { entities, relationships, warnings };
}

describe("dm sync bitbucket (Cloud)", () => {
  let bb: FakeBitbucket;
  let cwd: string;
  let db: string;

  const writeConfig = (extra = "") =>
    fs.writeFileSync(
      path.join(cwd, "dm.config.yaml"),
      `integrations:\n  - id: bitbucket\n    workspace: acme\n    url: ${bb.url}/2.0\n    token: env:BITBUCKET_TOKEN\n${extra}`,
    );
  const sync = (now = NOW, env: Record<string, string> = ENV) => dm(["sync", "bitbucket", "--db", db, "--json"], { cwd, env, now });

  beforeEach(async () => {
    bb = await startFakeBitbucket({ token: TOKEN, username: "jdoe", pageCap: 2 });
    seed(bb);
    cwd = tempDir("dm-bitbucket-");
    db = path.join(cwd, "dm.db");
    writeConfig();
  });
  afterEach(async () => {
    await bb.close();
  });

  it("writes the workspace, projects, repositories, members and groups in graph-bitbucket's model", async () => {
    const r = await sync();
    expect(r.stderr).not.toContain("rror");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      integration: "bitbucket",
      instance: `bitbucket:${bb.url}/2.0/acme`,
      status: "succeeded",
      deleted: 0,
    });
    expect(await query(db, "Find bitbucket_workspace as w return w._key, w.name, w.slug, w.vendor, w.webLink")).toEqual([
      { "w._key": WS, "w.name": "Acme Corp", "w.slug": "acme", "w.vendor": "Atlassian", "w.webLink": "https://bitbucket.org/acme/" },
    ]);
    expect(await query(db, "Find bitbucket_project that OWNS << bitbucket_workspace")).toEqual([uuid(1), uuid(2)]);
    expect(await query(db, "Find CodeRepo that OWNS << bitbucket_workspace")).toEqual([uuid(11), uuid(12), uuid(21)]);
    expect(
      await query(
        db,
        "Find bitbucket_repo as r return r.name, r.fullName, r.public, r.defaultBranch, r.language, r.project, r.webLink, r.createdOn, r.updatedOn order by r.fullName",
      ),
    ).toEqual([
      {
        "r.name": "ledger",
        "r.fullName": "acme/ledger",
        "r.public": false,
        "r.defaultBranch": null,
        "r.language": null,
        "r.project": "PAY",
        "r.webLink": "https://bitbucket.org/acme/ledger",
        "r.createdOn": Date.UTC(2023, 4, 2, 8, 15),
        "r.updatedOn": Date.UTC(2026, 9, 30, 16, 45, 12, 345),
      },
      {
        "r.name": "Payments API",
        "r.fullName": "acme/payments-api",
        "r.public": false,
        "r.defaultBranch": "main",
        "r.language": "go",
        "r.project": "PAY",
        "r.webLink": "https://bitbucket.org/acme/payments-api",
        "r.createdOn": Date.UTC(2023, 4, 2, 8, 15),
        "r.updatedOn": Date.UTC(2026, 9, 30, 16, 45, 12, 345),
      },
      {
        "r.name": "website",
        "r.fullName": "acme/website",
        "r.public": true,
        "r.defaultBranch": "master",
        "r.language": null,
        "r.project": "WEB",
        "r.webLink": "https://bitbucket.org/acme/website",
        "r.createdOn": Date.UTC(2023, 4, 2, 8, 15),
        "r.updatedOn": Date.UTC(2026, 9, 30, 16, 45, 12, 345),
      },
    ]);
    expect(await query(db, "Find bitbucket_project as p that HAS >> bitbucket_repo as r return p.key, r.name order by r.fullName")).toEqual([
      { "p.key": "PAY", "r.name": "ledger" },
      { "p.key": "PAY", "r.name": "Payments API" },
      { "p.key": "WEB", "r.name": "website" },
    ]);
    // members: Cloud shows no emails
    expect(await query(db, "Find bitbucket_workspace that HAS >> bitbucket_user as u return u.name, u.nickname, u.email order by u.name")).toEqual([
      { "u.name": "Alice Smith", "u.nickname": "alice", "u.email": null },
      { "u.name": "Bob Jones", "u.nickname": "bob", "u.email": null },
      { "u.name": "Carol", "u.nickname": "carol", "u.email": null },
    ]);
    expect(await query(db, "Find bitbucket_group as g that HAS >> bitbucket_user as u return g.name, g.permission, u.nickname order by g.name, u.nickname")).toEqual([
      { "g.name": "Administrators", "g.permission": "admin", "u.nickname": "carol" },
      { "g.name": "Developers", "g.permission": "write", "u.nickname": "alice" },
      { "g.name": "Developers", "g.permission": "write", "u.nickname": "bob" },
    ]);
    expect(await query(db, "Find UserGroup that HAS << bitbucket_workspace")).toEqual(["bitbucket-group:acme/administrators", "bitbucket-group:acme/developers"]);
    expect(await query(db, "Find bitbucket_user that OWNS >> bitbucket_group")).toEqual([uuid(101)]);
    // the sample queries of docs/integrations.md
    expect(await query(db, "Find CodeRepo that relates to Project with name='Payments'")).toEqual([uuid(11), uuid(12)]);
    expect(await query(db, "Find bitbucket_repo with public=true as r return r.fullName, r.webLink")).toEqual([
      { "r.fullName": "acme/website", "r.webLink": "https://bitbucket.org/acme/website" },
    ]);
    // paging: 3 repositories at 2 a page, by the `next` link
    expect(bb.requests.filter((q) => q.path === "/2.0/repositories/acme").map((q) => q.query.get("page") ?? "1")).toEqual(["1", "2"]);
    // an access token is sent as Bearer
    expect(bb.requests.every((q) => q.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(fs.readFileSync(db).includes(Buffer.from(TOKEN))).toBe(false);
  });

  it("a second sync changes nothing (answered from ETags); a deleted repository goes after a succeeded run", async () => {
    await sync();
    const before = bb.requests.length;
    expect(JSON.parse((await sync(NOW + 60_000)).stdout)).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
    expect(bb.requests.slice(before).every((q) => typeof q.headers["if-none-match"] === "string")).toBe(true);
    bb.repos.splice(bb.repos.findIndex((r) => r.slug === "ledger"), 1);
    expect(JSON.parse((await sync(NOW + 120_000)).stdout)).toMatchObject({ status: "succeeded", deleted: 3 });
    expect(await query(db, "Find bitbucket_repo with name='ledger'", NOW + 120_000)).toEqual([]);
  });

  it("an app password or API token with a username is sent as Basic", async () => {
    writeConfig("    username: jdoe\n");
    const r = await sync();
    expect(r.code).toBe(0);
    const basic = `Basic ${Buffer.from(`jdoe:${TOKEN}`).toString("base64")}`;
    expect(bb.requests.every((q) => q.headers.authorization === basic)).toBe(true);
  });

  it("an expired token: exit 3 naming Bitbucket, the endpoint and the token; the graph stays", async () => {
    await sync();
    const r = await dm(["sync", "bitbucket", "--db", db], { cwd, env: { BITBUCKET_TOKEN: "bbat-expired-1111" }, now: NOW + 1000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Bitbucket (GET /2.0/workspaces/acme): the credentials were refused (HTTP 401)");
    expect(r.stderr).toContain("Check the Bitbucket token (config key token)");
    expect(r.stderr + r.stdout).not.toContain("bbat-expired-1111");
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
    expect(await query(db, "Find bitbucket_repo", NOW + 1000)).toHaveLength(3);
  });

  it("a 429 with Retry-After and a 500 are retried and the run succeeds", async () => {
    bb.failNext({ status: 429, retryAfter: "1" }, { status: 500 });
    const started = Date.now();
    const r = await sync();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(bb.requests.slice(0, 3).map((q) => q.path)).toEqual(Array(3).fill("/2.0/workspaces/acme"));
    expect(await query(db, "Find CodeRepo")).toHaveLength(3);
  });

  it("a server that does not answer times out with a clear error", async () => {
    writeConfig("    timeout: 300ms\n");
    bb.failAlways({ hang: true });
    const r = await dm(["sync", "bitbucket", "--db", db], { cwd, env: ENV, now: NOW });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Bitbucket (GET /2.0/workspaces/acme): no answer within 0.3 s (tried 4 times)");
  });

  it("groups refused: a warning, the run is partial and deletes nothing", async () => {
    await sync();
    bb.repos.splice(bb.repos.findIndex((r) => r.slug === "ledger"), 1);
    bb.forbidden.add("/1.0/groups/acme");
    const summary = JSON.parse((await sync(NOW + 1000)).stdout);
    expect(summary).toMatchObject({ status: "partial", deleted: 0 });
    expect(summary.warnings).toEqual([
      {
        message:
          "Bitbucket refused GET /1.0/groups/acme (HTTP 403): groups skipped; the token needs read access to the workspace's account (Account: Read)",
      },
    ]);
    expect(await query(db, "Find bitbucket_repo with name='ledger'", NOW + 1000)).toHaveLength(1);
    expect(await query(db, "Find bitbucket_group", NOW + 1000)).toHaveLength(2);
  });

  it("a workspace that does not exist is named", async () => {
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: bitbucket\n    workspace: acmee\n    url: ${bb.url}/2.0\n    token: env:BITBUCKET_TOKEN\n`);
    const r = await sync();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Bitbucket (GET /workspaces/acmee): no workspace "acmee"');
    expect(r.stderr).toContain("Check the workspace setting");
  });

  it("refuses an unknown key naming it, and Cloud without a workspace", async () => {
    writeConfig("    workspaces: acme\n");
    const typo = await sync();
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("integrations[0].workspaces: not a setting of the bitbucket integration");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "integrations:\n  - id: bitbucket\n    token: env:BITBUCKET_TOKEN\n");
    const missing = await sync();
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("integrations[0].workspace: workspace is required for Bitbucket Cloud");
  });

  it("JupiterOne managed question: What are the code repos for a particular application or project?", async () => {
    // From JupiterOne's managed questions library, "Application Development":
    // JupiterOne-Archives/docs-old, docs/questions/managed-questions-appdev.rst
    //   Find CodeRepo that relates to (Application|Project) with name='JupiterOne'
    // with the project's name in place of 'JupiterOne'.
    await sync();
    expect(await query(db, "Find CodeRepo that relates to (Application|Project) with name='Payments'")).toEqual([uuid(11), uuid(12)]);
    expect(await query(db, "Find CodeRepo that relates to (Application|Project) with name='Web'")).toEqual([uuid(21)]);
  });
});

describe("dm sync bitbucket (Data Center)", () => {
  let bb: FakeBitbucket;
  let cwd: string;
  let db: string;

  beforeEach(async () => {
    bb = await startFakeBitbucket({ token: TOKEN, pageCap: 2 });
    seed(bb);
    cwd = tempDir("dm-bitbucket-dc-");
    db = path.join(cwd, "dm.db");
    fs.writeFileSync(
      path.join(cwd, "dm.config.yaml"),
      `integrations:\n  - id: bitbucket\n    url: ${bb.url}/rest/api/1.0/\n    workspace: acme-dc\n    token: env:BITBUCKET_TOKEN\n`,
    );
  });
  afterEach(async () => {
    await bb.close();
  });

  it("reads projects, repositories, users with emails and groups, paging by start/isLastPage", async () => {
    const r = await dm(["sync", "bitbucket", "--db", db, "--json"], { cwd, env: ENV, now: NOW });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ instance: `bitbucket:${bb.url}`, status: "succeeded" });
    const host = new URL(bb.url).host;
    expect(await query(db, "Find bitbucket_workspace as w return w._key, w.name")).toEqual([
      { "w._key": `bitbucket-workspace:${host}`, "w.name": "acme-dc" },
    ]);
    expect(await query(db, "Find bitbucket_project as p that HAS >> bitbucket_repo as r return p.key, r._key, r.fullName, r.public, r.archived order by r.fullName")).toEqual([
      { "p.key": "PAY", "r._key": `bitbucket-repo:${host}:12`, "r.fullName": "pay/ledger", "r.public": false, "r.archived": false },
      { "p.key": "PAY", "r._key": `bitbucket-repo:${host}:11`, "r.fullName": "pay/payments-api", "r.public": false, "r.archived": false },
      { "p.key": "WEB", "r._key": `bitbucket-repo:${host}:21`, "r.fullName": "web/website", "r.public": true, "r.archived": true },
    ]);
    expect(await query(db, "Find CodeRepo that OWNS << bitbucket_workspace")).toHaveLength(3);
    expect(await query(db, "Find bitbucket_user as u return u.username, u.email order by u.name")).toEqual([
      { "u.username": ["alice"], "u.email": ["alice.smith@example.com"] },
      { "u.username": ["bob"], "u.email": ["bob@example.com"] },
      { "u.username": ["carol"], "u.email": null },
    ]);
    expect(await query(db, "Find bitbucket_group as g that HAS >> bitbucket_user as u return g.name, u.name order by g.name, u.name")).toEqual([
      { "g.name": "administrators", "u.name": "Carol" },
      { "g.name": "developers", "u.name": "Alice Smith" },
      { "g.name": "developers", "u.name": "Bob Jones" },
    ]);
    // 3 users at 2 a page: start=0, then nextPageStart=2
    expect(bb.requests.filter((q) => q.path === "/rest/api/1.0/users").map((q) => q.query.get("start"))).toEqual(["0", "2"]);
    const again = JSON.parse((await dm(["sync", "bitbucket", "--db", db, "--json"], { cwd, env: ENV, now: NOW + 1000 })).stdout);
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
  });

  it("one project's repositories refused: a warning naming the project, the run is partial", async () => {
    bb.forbidden.add("/rest/api/1.0/projects/WEB/repos");
    const summary = JSON.parse((await dm(["sync", "bitbucket", "--db", db, "--json"], { cwd, env: ENV, now: NOW })).stdout);
    expect(summary.status).toBe("partial");
    expect(summary.warnings).toEqual([
      { file: "WEB", message: "Bitbucket Data Center refused GET /projects/WEB/repos (HTTP 403): repositories skipped" },
    ]);
    expect(await query(db, "Find bitbucket_repo as r return r.name order by r.fullName")).toEqual([{ "r.name": "ledger" }, { "r.name": "Payments API" }]);
  });

  it("a refused token names Bitbucket Data Center and the endpoint", async () => {
    const r = await dm(["sync", "bitbucket", "--db", db], { cwd, env: { BITBUCKET_TOKEN: "nope-2222" }, now: NOW });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Bitbucket Data Center (GET /rest/api/1.0/projects): the credentials were refused (HTTP 401)");
    expect(r.stderr).toContain("Check the Bitbucket Data Center token (config key token)");
    expect(r.stderr).not.toContain("nope-2222");
  });
});

describe("bitbucket entities against JupiterOne's data model", () => {
  it("every entity a Cloud and a Data Center sync write is valid", async () => {
    const bb = await startFakeBitbucket({ token: TOKEN, pageCap: 1 });
    try {
      seed(bb);
      for (const config of [
        { workspace: "acme", url: `${bb.url}/2.0`, token: "env:X" },
        { url: `${bb.url}/rest/api/1.0`, token: "env:X" },
      ]) {
        const { entities, relationships, warnings } = await collectSync(config);
        expect(warnings).toEqual([]);
        // workspace, 2 projects, 3 repos, 3 users, 2 groups
        expect(entities).toHaveLength(11);
        expect(new Set(entities.map((e) => e._type))).toEqual(
          new Set(["bitbucket_workspace", "bitbucket_project", "bitbucket_repo", "bitbucket_user", "bitbucket_group"]),
        );
        expect(dataModelProblemsOf(entities)).toEqual([]);
        const keys = new Set(entities.map((e) => e._key));
        for (const r of relationships) expect(keys.has(r._fromEntityKey) && keys.has(r._toEntityKey), r._key).toBe(true);
        expect(new Set(relationships.map((r) => r._type))).toEqual(
          new Set([
            "bitbucket_workspace_owns_project",
            "bitbucket_workspace_owns_repo",
            "bitbucket_project_has_repo",
            "bitbucket_workspace_has_user",
            "bitbucket_workspace_has_group",
            "bitbucket_group_has_user",
            ...(config.workspace ? ["bitbucket_user_owns_group"] : []),
          ]),
        );
      }
    } finally {
      await bb.close();
    }
  });
});
