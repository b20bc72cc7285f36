/**
 * `dm sync git` on real repositories made by the test (git init, commits),
 * and the sync-run rules: succeeded runs delete what is gone, partial and
 * failed runs delete nothing.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { runSync } from "../src/core/ingest/sync.js";
import { INTEGRATIONS } from "../src/integrations/registry.js";
import type { Integration } from "../src/integrations/types.js";
import { runQuery } from "../src/query/run.js";
import { ExternalServiceError } from "../src/shared/errors.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Dev",
      GIT_AUTHOR_EMAIL: "dev@example.com",
      GIT_COMMITTER_NAME: "Dev",
      GIT_COMMITTER_EMAIL: "dev@example.com",
    },
  });
}

/** A repository with files committed, an origin remote and a branch. */
function makeRepo(root: string, rel: string, files: Record<string, string>, remote?: string): string {
  const dir = path.join(root, rel);
  fs.mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  if (remote) git(dir, "remote", "add", "origin", remote);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "init");
  return dir;
}

async function keysOf(db: string, query: string): Promise<string[]> {
  const store = SqliteStore.open(db);
  try {
    const r = await runQuery(store, query, { now: NOW, all: true });
    return r.type === "list" ? r.data.map((d) => d.entity._key).sort() : [];
  } finally {
    await store.close();
  }
}

describe("dm sync git", () => {
  let root: string;
  let db: string;

  beforeEach(() => {
    root = tempDir("dm-src-");
    db = path.join(tempDir(), "dm.db");
    makeRepo(
      root,
      "acme/payments",
      { "src/index.ts": "export {}", "src/util.ts": "", "README.md": "# payments", CODEOWNERS: "* @acme/core @alice\n" },
      "https://token:x-oauth@github.com/acme/payments.git",
    );
    makeRepo(root, "acme/website", { "index.js": "", ".github/CODEOWNERS": "# owners\n/docs bob@example.com\n" }, "git@github.com:acme/website.git");
    makeRepo(root, "tools/local-only", { "main.go": "package main" });
    // a bare clone is found too
    git(root, "clone", "-q", "--bare", path.join(root, "acme/website"), path.join(root, "mirrors/website.git"));
    // not the project's: repositories under node_modules, and a symlink out of the tree
    makeRepo(root, "acme/payments/node_modules/dep", { "index.js": "" });
    const outside = tempDir("dm-outside-");
    makeRepo(outside, "secret", { "x.py": "" });
    fs.symlinkSync(path.join(outside, "secret"), path.join(root, "link-out"));
  });

  it("makes a CodeRepo per repository, with what git knows and its owners", async () => {
    const r = await dm(["sync", "git", "--path", root, "--db", db, "--json"], { now: NOW });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ integration: "git", instance: `git:${root}`, status: "succeeded", deleted: 0 });
    // the bare mirror's origin is the website checkout: a repository is known by its remote
    expect(await keysOf(db, "Find CodeRepo")).toEqual([
      "git_repo:git@github.com:acme/website.git",
      `git_repo:${path.join(root, "acme/website")}`,
      `git_repo:${path.join(root, "tools/local-only")}`,
      "git_repo:https://github.com/acme/payments.git",
    ].sort());
    const q = await dm(
      ["query", "Find CodeRepo with name='payments' as r return r.remoteUrl, r.defaultBranch, r.language, r.languages, r.commitsLast90Days, r.lastCommitAuthor, r.archived", "--format", "json", "--db", db],
      { now: NOW },
    );
    expect(JSON.parse(q.stdout).data).toEqual([
      {
        "r.remoteUrl": "https://github.com/acme/payments.git",
        "r.defaultBranch": "main",
        "r.language": "TypeScript",
        "r.languages": ["TypeScript"],
        "r.commitsLast90Days": 1,
        "r.lastCommitAuthor": "dev@example.com",
        "r.archived": false,
      },
    ]);
    // the catch-all rule's owners own the repo; without one, every owner named
    expect(await keysOf(db, "Find (Team|Person) that OWNS CodeRepo with name='payments'")).toEqual(["person:alice", "team:acme/core"]);
    expect(await keysOf(db, "Find Person that OWNS CodeRepo with name='website'")).toEqual(["person:bob@example.com"]);
    // the credentials in the remote never reach the graph
    expect(fs.readFileSync(db).includes(Buffer.from("x-oauth"))).toBe(false);
  });

  it("a second clone of the same remote is skipped with a warning", async () => {
    git(root, "clone", "-q", path.join(root, "acme/payments"), path.join(root, "zz/payments-copy"));
    git(path.join(root, "zz/payments-copy"), "remote", "set-url", "origin", "https://github.com/acme/payments.git");
    const r = await dm(["sync", "git", "--path", root, "--db", db], { now: NOW });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("zz/payments-copy another clone of https://github.com/acme/payments.git: skipped");
    expect(await keysOf(db, "Find CodeRepo with name='payments'")).toEqual(["git_repo:https://github.com/acme/payments.git"]);
  });

  it("a second sync changes nothing; a removed repository is marked deleted", async () => {
    await dm(["sync", "git", "--path", root, "--db", db], { now: NOW });
    const again = JSON.parse((await dm(["sync", "git", "--path", root, "--db", db, "--json"], { now: NOW + 1000 })).stdout);
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
    fs.rmSync(path.join(root, "tools"), { recursive: true, force: true });
    const third = JSON.parse((await dm(["sync", "git", "--path", root, "--db", db, "--json"], { now: NOW + 2000 })).stdout);
    expect(third).toMatchObject({ status: "succeeded", deleted: 1 });
    expect(await keysOf(db, "Find CodeRepo with name='local-only'")).toEqual([]);
    const sources = await dm(["sources", "--db", db], { now: NOW + 5000 });
    expect(sources.stdout).toMatch(new RegExp(`git:${root.replace(/[/.]/g, "\\$&")} +git +\\d+ s ago +succeeded`));
  });

  it("a repository git cannot read is a warning: the run is partial and deletes nothing", async () => {
    await dm(["sync", "git", "--path", root, "--db", db], { now: NOW });
    fs.rmSync(path.join(root, "tools"), { recursive: true, force: true });
    const broken = path.join(root, "broken");
    fs.mkdirSync(path.join(broken, ".git"), { recursive: true });
    fs.writeFileSync(path.join(broken, ".git", "HEAD"), "garbage");
    const r = await dm(["sync", "git", "--path", root, "--db", db], { now: NOW + 1000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("partial");
    expect(r.stdout).toMatch(/1 warning:\n +broken git cannot read this repository/);
    expect(r.stdout).toContain("Run was partial: nothing was deleted");
    // local-only is gone from disk but stays in the graph until a run succeeds
    expect(await keysOf(db, "Find CodeRepo with name='local-only'")).toHaveLength(1);
    expect((await dm(["sources", "--db", db, "--json"], { now: NOW })).stdout).toContain('"status":"partial"');
  });

  it("refuses a path that is not a folder, an unknown integration, a missing setting", async () => {
    const notDir = await dm(["sync", "git", "--path", path.join(root, "nope"), "--db", db]);
    // a typo in the path is bad input (exit 2), not a failing source (exit 3)
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain("is not a folder");
    expect(notDir.stderr).toContain("Nothing was changed");
    const unknown = await dm(["sync", "svn", "--db", db]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"svn" is not an integration');
    const missing = await dm(["sync", "git", "--db", db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("dm sync git: --path is required: the folder that holds your clones");
  });

  it("dm sync git without flags runs each git instance of dm.config.yaml; with flags, only the one they describe", async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: git\n    path: ${root}\n  - id: hosts\n    file: nowhere.csv\n`);
    const r = await dm(["sync", "git", "--db", db, "--json"], { cwd, now: NOW });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ integration: "git", instance: `git:${root}`, status: "succeeded" });
    const other = tempDir();
    const flagged = await dm(["sync", "git", "--path", other, "--db", db, "--json"], { cwd, now: NOW + 1 });
    expect(flagged.code).toBe(0);
    expect(JSON.parse(flagged.stdout)).toMatchObject({ instance: `git:${other}` });
  });

  it("dm sync --all reads dm.config.yaml and names a bad key", async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: git\n    path: ${root}\n`);
    const r = await dm(["sync", "--all", "--db", db, "--json"], { cwd, now: NOW });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "integrations:\n  - id: git\n    path: 5\n");
    const bad = await dm(["sync", "--all", "--db", db], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/dm\.config\.yaml: integrations\[0\]\.path: /);
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: git\n    path: ${root}\n    concurrancy: 2\n`);
    const typo = await dm(["sync", "--all", "--db", db], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("integrations[0].concurrancy: not a setting of the git integration");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "integrations:\n  - id: nope\n");
    expect((await dm(["sync", "--all", "--db", db], { cwd })).stderr).toContain('integrations[0].id: "nope" is not an integration');
    const none = await dm(["sync", "--all", "--db", db], { cwd: tempDir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("needs dm.config.yaml");
  });

  it("reconciles tracked maintenance after the sync", async () => {
    await dm(["sync", "git", "--path", root, "--db", db], { now: NOW });
    const opened = await dm(
      ["open", "--query", "Find CodeRepo with archived = false", "--short", "Adopt CI template", "--link", "https://wiki.example.com/ci", "--due", "30d", "--track", "--yes", "--json", "--db", db],
      { now: NOW },
    );
    expect(JSON.parse(opened.stdout).opened).toBe(4);
    // payments is archived: it no longer matches, and the sync's reconcile closes its finding
    git(path.join(root, "acme/payments"), "config", "dm.archived", "true");
    const r = await dm(["sync", "git", "--path", root, "--db", db], { now: NOW + 60_000 });
    expect(r.stdout).toContain("tracked maintenance: 0 opened · 1 closed · 0 reopened");
  });
});

describe("sync runs", () => {
  it("a sync that crashes half-way leaves the previous graph intact and is recorded as failed", async () => {
    const store = SqliteStore.open(":memory:");
    const entity = (key: string) => ({ _key: key, _type: "thing", _class: "Thing" });
    const fake = (keys: string[], crashAfterFirst: boolean): Integration<unknown> => ({
      id: "fake",
      description: "test",
      configSchema: { safeParse: (v: unknown) => ({ success: true, data: v }) } as never,
      instanceName: () => "fake:1",
      async *sync() {
        yield { entities: [entity(keys[0]!)], relationships: [] };
        if (crashAfterFirst) throw new Error("the source went away");
        yield { entities: keys.slice(1).map(entity), relationships: [] };
      },
    });
    const options = { now: NOW, cwd: "/", actor: "test", reconcile: false };
    expect((await runSync(store, fake(["a", "b"], false), {}, options)).status).toBe("succeeded");
    await expect(runSync(store, fake(["c", "d"], true), {}, { ...options, now: NOW + 1 })).rejects.toBeInstanceOf(
      ExternalServiceError,
    );
    // nothing of the crashed run was written, and nothing was deleted
    const r = await runQuery(store, "Find Thing", { now: NOW, all: true });
    expect(r.type === "list" && r.data.map((d) => d.entity._key)).toEqual(["a", "b"]);
    expect((await store.latestSyncRuns())[0]).toMatchObject({ status: "failed", error: "the source went away" });
    await store.close();
  });
});

describe("the integration registry", () => {
  it("lists exactly the folders under src/integrations", () => {
    const dir = path.resolve(import.meta.dirname, "../src/integrations");
    const folders = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(INTEGRATIONS.map((i) => i.id).sort()).toEqual(folders);
    for (const folder of folders) expect(fs.existsSync(path.join(dir, folder, "index.ts"))).toBe(true);
  });
});

describe("file integrations", () => {
  const fixtures = path.resolve(import.meta.dirname, "../src/integrations");

  it("dm sync hosts reads an inventory; a bad row makes the run partial", async () => {
    const db = path.join(tempDir(), "dm.db");
    const r = await dm(["sync", "hosts", "--file", path.join(fixtures, "hosts/fixtures/inventory.csv"), "--db", db, "--json"], { now: NOW });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.instance).toBe(`hosts:${path.join(fixtures, "hosts/fixtures/inventory.csv")}`);
    expect(summary.created).toBeGreaterThan(0);
    expect((await keysOf(db, "Find Host")).length).toBeGreaterThan(0);
    const dir = tempDir();
    const bad = path.join(dir, "hosts.csv");
    fs.writeFileSync(bad, "hostname,os,deployment\nweb-1,ubuntu,mutable-vm\nweb-2,ubuntu,floating\n");
    const partial = JSON.parse((await dm(["sync", "hosts", "--file", "hosts.csv", "--db", db, "--json"], { now: NOW, cwd: dir })).stdout);
    expect(partial.status).toBe("partial");
    expect(partial.warnings[0]).toMatchObject({ file: "hosts.csv", line: 3 });
    const missing = await dm(["sync", "hosts", "--file", "nope.csv", "--db", db], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read nope.csv: no such file");
  });

  it("dm sync aws-credential-report makes users and access keys", async () => {
    const db = path.join(tempDir(), "dm.db");
    const file = path.join(fixtures, "aws-credential-report/fixtures/credential-report.csv");
    const r = await dm(["sync", "aws-credential-report", "--file", file, "--db", db, "--json"], { now: NOW });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect((await keysOf(db, "Find AccessKey")).length).toBeGreaterThan(0);
    expect((await keysOf(db, "Find User that HAS AccessKey")).length).toBeGreaterThan(0);
  });
});

describe("git sync with extractors", () => {
  const extractorsDir = path.resolve(import.meta.dirname, "../src/integrations/git/extractors");

  it("lists every extractor file in EXTRACTORS", async () => {
    const { EXTRACTORS } = await import("../src/integrations/git/extractors/index.js");
    const files = fs
      .readdirSync(extractorsDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !["index.ts", "types.ts", "toml.ts", "common.ts", "json-lines.ts", "package-json.ts", "yaml-fast.ts", "test-helpers.ts"].includes(f));
    expect(EXTRACTORS).toHaveLength(files.length);
    for (const file of files) {
      const mod = await import(path.join(extractorsDir, file));
      const exported = Object.values(mod).filter((v) => typeof v === "object" && v !== null && "extract" in v);
      expect(exported.length, file).toBe(1);
      expect(EXTRACTORS).toContain(exported[0]);
    }
  });

  it("turns lockfiles, Dockerfiles and Terraform into packages, images and providers", async () => {
    const root = tempDir("dm-src-");
    const db = path.join(tempDir(), "dm.db");
    makeRepo(
      root,
      "shop",
      {
        "package.json": JSON.stringify({ name: "shop", dependencies: { "left-pad": "^1.3.0" }, devDependencies: { jest: "^29.0.0" } }),
        "package-lock.json": JSON.stringify({
          name: "shop",
          lockfileVersion: 3,
          packages: {
            "": { name: "shop", dependencies: { "left-pad": "^1.3.0" }, devDependencies: { jest: "^29.0.0" } },
            "node_modules/left-pad": { version: "1.3.0" },
            "node_modules/jest": { version: "29.7.0", dev: true },
          },
        }),
        "requirements.txt": "requests==2.31.0\nflask>=2\n",
        Dockerfile: ["ARG BASE=node:20-alpine", "FROM $" + "{BASE} AS build", "FROM build", ""].join("\n"),
        "infra/main.tf": 'terraform {\n  required_version = ">= 1.5"\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 5.0" }\n  }\n}\n',
      },
      "git@github.com:acme/shop.git",
    );
    const r = await dm(["sync", "git", "--path", root, "--db", db, "--json"], { now: NOW });
    const summary = JSON.parse(r.stdout);
    // an unpinned requirement is a notice, not a problem: the run succeeded
    expect(summary.status).toBe("succeeded");
    expect(summary.notices).toEqual([{ file: "shop/requirements.txt", line: 2, message: "flask: not pinned (>=2)" }]);
    const q = await dm(
      ["query", "Find CodeRepo with name='shop' that USES as u CodeModule as p return p._key, u.direct, u.devDependency ORDER BY p._key", "--format", "json", "--db", db],
      { now: NOW },
    );
    expect(JSON.parse(q.stdout).data).toEqual([
      { "p._key": "npm:jest@29.7.0", "u.direct": true, "u.devDependency": true },
      { "p._key": "npm:left-pad@1.3.0", "u.direct": true, "u.devDependency": false },
      { "p._key": "pypi:requests@2.31.0", "u.direct": true, "u.devDependency": false },
      { "p._key": "terraform_provider:hashicorp/aws@~> 5.0", "u.direct": null, "u.devDependency": null },
    ]);
    const images = await dm(["query", "Find CodeRepo that USES Image as i return i.name, i.tag, i.pinning", "--format", "json", "--db", db], { now: NOW });
    expect(JSON.parse(images.stdout).data).toEqual([{ "i.name": "node", "i.tag": "20-alpine", "i.pinning": "tag" }]);
    const repo = await dm(["query", "Find CodeRepo as r return r.terraformVersion, r.terraformProviders", "--format", "json", "--db", db], { now: NOW });
    expect(JSON.parse(repo.stdout).data).toEqual([{ "r.terraformVersion": ">= 1.5", "r.terraformProviders": ["hashicorp/aws ~> 5.0"] }]);
  });

  it("a corrupt lockfile is a warning with the file and line; the rest is synced, the run is partial", async () => {
    const root = tempDir("dm-src-");
    const db = path.join(tempDir(), "dm.db");
    makeRepo(root, "billing", { "package-lock.json": '{"lockfileVersion": 3,\n  "packages": {,}\n}' }, "git@github.com:acme/billing.git");
    makeRepo(root, "web", { "requirements.txt": "django==5.0.1\n" }, "git@github.com:acme/web.git");
    const r = await dm(["sync", "git", "--path", root, "--db", db], { now: NOW });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 warning:\n +billing\/package-lock\.json:2 /);
    expect(r.stdout).toContain("Run was partial");
    expect(await keysOf(db, "Find CodeModule")).toEqual(["pypi:django@5.0.1"]);
  });
});

describe("sync progress", () => {
  it("prints a line per tenth in logs, and a redrawn bar on a terminal", async () => {
    const root = tempDir("dm-src-");
    const template = makeRepo(tempDir(), "t", { "index.js": "" });
    for (let i = 0; i < 60; i++) fs.cpSync(template, path.join(root, `r${String(i).padStart(2, "0")}`), { recursive: true });
    const db = path.join(tempDir(), "dm.db");
    const logs = await dm(["sync", "git", "--path", root, "--db", db], { now: NOW });
    expect(logs.code).toBe(0);
    const lines = logs.stderr.trim().split("\n");
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^Syncing git: 6\/60 repos \(\d+ s\)$/);
    expect(lines[9]).toMatch(/^Syncing git: 60\/60 repos/);
    const tty = await dm(["sync", "git", "--path", root, "--db", db], { now: NOW + 1, tty: true });
    expect(tty.stderr).toMatch(/\rSyncing git {2}█+░* {2}\d+\/60 repos/);
    expect(tty.stderr.endsWith("\n")).toBe(true);
  });
});

describe("the git repository cache", () => {
  let root: string;
  let db: string;
  /** the same repositories, read in full every time: what the cached runs must equal */
  let fullDb: string;

  const lock = (packages: Record<string, string>) =>
    JSON.stringify({
      name: "shop",
      lockfileVersion: 3,
      packages: {
        "": { name: "shop", dependencies: Object.fromEntries(Object.keys(packages).map((n) => [n, "*"])) },
        ...Object.fromEntries(Object.entries(packages).map(([n, v]) => [`node_modules/${n}`, { version: v }])),
      },
    });

  beforeEach(() => {
    root = tempDir("dm-src-");
    db = path.join(tempDir(), "dm.db");
    fullDb = path.join(tempDir(), "full.db");
    makeRepo(
      root,
      "shop",
      {
        "package.json": JSON.stringify({ name: "shop", dependencies: { "left-pad": "*", lodash: "*" } }),
        "package-lock.json": lock({ "left-pad": "1.3.0", lodash: "4.17.21" }),
        Dockerfile: "FROM node:20-alpine\n",
        CODEOWNERS: "* @acme/shop\n",
      },
      "git@github.com:acme/shop.git",
    );
    makeRepo(root, "web", { "requirements.txt": "django==5.0.1\nflask>=2\n", "package-lock.json": lock({ lodash: "4.17.21" }) }, "git@github.com:acme/web.git");
    makeRepo(root, "tools/cli", { "go.mod": "module example.com/cli\n\ngo 1.22\n" });
  });

  async function sync(now: number, ...flags: string[]) {
    const r = await dm(["sync", "git", "--path", root, "--db", db, "--json", ...flags], { now });
    expect(r.code, r.stderr).toBe(0);
    const full = await dm(["sync", "git", "--path", root, "--db", fullDb, "--json", "--full"], { now });
    expect(full.code, full.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const fullSummary = JSON.parse(full.stdout);
    // the same counts and the same graph as reading every repository
    expect({ ...summary, runId: 0, seconds: 0, notices: [], instance: "" }).toEqual({ ...fullSummary, runId: 0, seconds: 0, notices: [], instance: "" });
    expect(await snapshot(db)).toEqual(await snapshot(fullDb));
    return summary as { status: string; created: number; updated: number; unchanged: number; deleted: number; notices: { message: string }[] };
  }

  async function snapshot(file: string): Promise<string[]> {
    const store = SqliteStore.open(file);
    const out: string[] = [];
    try {
      for await (const page of store.exportGraph({ includeDeleted: true })) {
        // when a live record was last seen too: what a skipped repository vouched for is seen by the run, as if read
        const seen = (x: { deleted: boolean; lastSeenOn: number }) => (x.deleted ? "-" : x.lastSeenOn);
        if ("entities" in page) for (const e of page.entities ?? []) out.push(`${e.key} ${e.deleted} ${seen(e)} ${JSON.stringify(e.props)}`);
        else for (const r of page.relationships) out.push(`${r.key} ${r.deleted} ${seen(r)} ${JSON.stringify(r.props)}`);
      }
    } finally {
      await store.close();
    }
    return out.sort();
  }

  const skippedNotice = (s: { notices: { message: string }[] }) => s.notices.find((n) => /unchanged since the last sync/.test(n.message))?.message;

  it("a second sync of unchanged repositories reads none of them, and leaves the graph as a full read would", async () => {
    const first = await sync(NOW);
    expect(first.status).toBe("succeeded");
    expect(skippedNotice(first)).toBeUndefined();
    const second = await sync(NOW + 1000);
    expect(second).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0, unchanged: first.created });
    expect(skippedNotice(second)).toBe("3 of 3 repositories unchanged since the last sync: not read again (--full reads every one)");
    // the notice of an unpinned requirement is kept for a skipped repository
    expect(second.notices).toContainEqual({ file: "web/requirements.txt", line: 2, message: "flask: not pinned (>=2)" });
    // --full reads every one
    const full = JSON.parse((await dm(["sync", "git", "--path", root, "--db", db, "--json", "--full"], { now: NOW + 2000 })).stdout);
    expect(full).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
    expect(skippedNotice(full)).toBeUndefined();
    // a removed repository is still marked deleted
    fs.rmSync(path.join(root, "tools"), { recursive: true, force: true });
    const third = await sync(NOW + 3000);
    expect(third).toMatchObject({ status: "succeeded", deleted: 1 });
    expect(skippedNotice(third)).toBe("2 of 2 repositories unchanged since the last sync: not read again (--full reads every one)");
    expect(await keysOf(db, "Find CodeRepo")).toEqual(["git_repo:git@github.com:acme/shop.git", "git_repo:git@github.com:acme/web.git"]);
  });

  it("a changed lockfile is read again: a new package appears, a removed one's edge is deleted; the package another repository uses stays", async () => {
    await sync(NOW);
    fs.writeFileSync(path.join(root, "shop/package-lock.json"), lock({ "left-pad": "1.3.0", chalk: "5.3.0" }));
    const second = await sync(NOW + 1000);
    expect(second.status).toBe("succeeded");
    expect(skippedNotice(second)).toBe("2 of 3 repositories unchanged since the last sync: not read again (--full reads every one)");
    expect(await keysOf(db, "Find CodeModule that USES << CodeRepo with name='shop'")).toEqual(["npm:chalk@5.3.0", "npm:left-pad@1.3.0"]);
    // web (skipped) still uses lodash, and lodash stays
    expect(await keysOf(db, "Find CodeModule that USES << CodeRepo with name='web'")).toEqual(["npm:lodash@4.17.21", "pypi:django@5.0.1"]);
    // the same size and mtime but another inode (a file replaced) is a change too
    const other = path.join(root, "shop/package-lock.json.new");
    fs.writeFileSync(other, lock({ "left-pad": "1.3.0", chalk: "5.3.1" }));
    fs.renameSync(other, path.join(root, "shop/package-lock.json"));
    await sync(NOW + 2000);
    expect(await keysOf(db, "Find CodeModule that USES << CodeRepo with name='shop'")).toEqual(["npm:chalk@5.3.1", "npm:left-pad@1.3.0"]);
    // a changed CODEOWNERS and Dockerfile are read again
    fs.writeFileSync(path.join(root, "shop/CODEOWNERS"), "* @acme/payments\n");
    fs.writeFileSync(path.join(root, "shop/Dockerfile"), "FROM node:22-alpine\n");
    await sync(NOW + 3000);
    expect(await keysOf(db, "Find Team that OWNS CodeRepo with name='shop'")).toEqual(["team:acme/payments"]);
    expect(await keysOf(db, "Find Image that USES << CodeRepo with name='shop'")).toEqual(["docker_image:node:22-alpine"]);
  });

  it("a new commit, an added lockfile, or a commit leaving the 90-day window reads the repository again", async () => {
    await sync(NOW);
    git(path.join(root, "tools/cli"), "commit", "-q", "--allow-empty", "-m", "more");
    fs.writeFileSync(path.join(root, "shop/requirements.txt"), "requests==2.31.0\n");
    const second = await sync(NOW + 1000);
    expect(skippedNotice(second)).toBe("1 of 3 repositories unchanged since the last sync: not read again (--full reads every one)");
    expect(await keysOf(db, "Find CodeModule that USES << CodeRepo with name='shop'")).toContain("pypi:requests@2.31.0");
    const commits = async () =>
      JSON.parse((await dm(["query", "Find CodeRepo with name='cli' as r return r.commitsLast90Days", "--format", "json", "--db", db], { now: NOW })).stdout).data;
    expect(await commits()).toEqual([{ "r.commitsLast90Days": 2 }]);
    // the commits were made now (the wall clock): a run 91 days later counts none of them
    const later = Date.now() + 91 * 86_400_000;
    const third = await sync(later);
    expect(skippedNotice(third)).toBeUndefined();
    expect(await commits()).toEqual([{ "r.commitsLast90Days": 0 }]);
    // read again, the entry is renewed: the next run skips them all
    expect(skippedNotice(await sync(later + 1000))).toBe("3 of 3 repositories unchanged since the last sync: not read again (--full reads every one)");
  });

  it("a failed run keeps the previous cache; records gone from the graph make the run partial and clear it", async () => {
    await sync(NOW);
    const store = SqliteStore.open(db);
    try {
      const instance = `git:${root}`;
      const before = await store.loadSyncCache(instance);
      expect([...before.keys()].sort()).toEqual(["shop", "tools/cli", "web"].map((r) => `repo:${path.join(root, r)}`).sort());
      const git = INTEGRATIONS.find((i) => i.id === "git")! as Integration<unknown>;
      const crashing: Integration<unknown> = {
        ...git,
        async *sync(ctx) {
          yield* git.sync(ctx);
          throw new Error("the disk went away");
        },
      };
      const config = { path: root, concurrency: 2 };
      const options = { now: NOW + 1000, cwd: "/", actor: "test", reconcile: false };
      fs.writeFileSync(path.join(root, "shop/package-lock.json"), lock({ chalk: "5.3.0" }));
      await expect(runSync(store, crashing, config, options)).rejects.toBeInstanceOf(ExternalServiceError);
      expect(await store.loadSyncCache(instance)).toEqual(before);
      // an edge of a skipped repository deleted behind the cache's back
      await store.select("UPDATE relationships SET deleted = 1 WHERE key LIKE '%acme/web.git|uses|pypi:django%' RETURNING id", []);
      const partial = await runSync(store, git, config, { ...options, now: NOW + 2000 });
      expect(partial.status).toBe("partial");
      expect(partial.warnings).toEqual([
        { message: "1 record kept from the last run is no longer stored as written: the cache is cleared, the next sync reads everything again" },
      ]);
      expect((await store.loadSyncCache(instance)).size).toBe(0);
      const healed = await runSync(store, git, config, { ...options, now: NOW + 3000 });
      // read in full: the edge is back, and shop's lodash and left-pad (gone from its lockfile since the first run) are deleted now
      expect(healed).toMatchObject({ status: "succeeded", deleted: 3 });
      const live = await runQuery(store, "Find CodeRepo with name='web' that USES CodeModule as p return p._key", { now: NOW, all: true });
      expect(live.type === "table" && live.data).toEqual([{ "p._key": "npm:lodash@4.17.21" }, { "p._key": "pypi:django@5.0.1" }]);
      expect((await store.loadSyncCache(instance)).size).toBe(3);
    } finally {
      await store.close();
    }
  });
});
