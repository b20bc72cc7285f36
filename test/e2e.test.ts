/**
 * End-to-end: the real binary, spawned as a user would run it. `npm test`
 * builds dist/ first.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/cli.js";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "bin", "dm");

function run(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const home = tempDir("dm-e2e-home-");
  const r = spawnSync(process.execPath, [bin, ...args], {
    input: options.input ?? "",
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: home, ...options.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("dm binary", () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(root, "dist", "cli", "main.js"))) {
      throw new Error("dist/ is missing: run `npm run build` first (npm test does it)");
    }
  });

  it("both binaries are the same program", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    expect(pkg.bin).toEqual({ dm: "bin/dm", "deferred-maintenance": "bin/dm" });
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("imports from stdin, queries, and prints JSON", () => {
    const db = path.join(tempDir(), "dm.db");
    const graph = {
      entities: [{ _key: "repo:a", _type: "git_repo", _class: "CodeRepo", name: "a", displayName: "a" }],
      relationships: [],
    };
    const imported = run(["import", "-", "--db", db], { input: JSON.stringify(graph) });
    expect(imported.code).toBe(0);
    const q = run(["query", "Find CodeRepo with name='a'", "--format", "json", "--db", db]);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout).data[0].entity._key).toBe("repo:a");
    expect(q.stdout).not.toContain("\u001b[");
  });

  it("exits 2 with a caret on a query mistake, and no stack trace", () => {
    const r = run(["query", "Find CodeRepo with name =", "--db", path.join(tempDir(), "dm.db")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unexpected end of query at line 1, column 26");
    expect(r.stderr).toContain("^");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 2 on bad usage", () => {
    const r = run(["query"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument");
  });

  it("runs the demo on the default embedded database location", () => {
    const home = tempDir("dm-e2e-home-");
    const r = spawnSync(process.execPath, [bin, "demo"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: home },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Overdue maintenance, oldest first");
    expect(fs.existsSync(path.join(home, ".deferred-maintenance", "demo.db"))).toBe(true);
    // the vulnerability scan of the sample: lodash below 4.17.21 is in use
    expect(r.stdout).toMatch(/GHSA-35jh-r3h4-6jhm\s+high\s+lodash\s+\d+\s+4\.17\.21\s+\d+/);
    expect(fs.existsSync(path.join(home, ".deferred-maintenance", "demo-osv.db"))).toBe(true);
  });
});
