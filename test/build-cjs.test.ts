/**
 * The CommonJS tree bin/dm runs (scripts/build-cjs.mjs): the same files as
 * dist/, behaving as they do there, and a build that refuses what it cannot
 * make CommonJS. Needs `npm run build` (npm test does it).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/cli.js";

const root = path.resolve(import.meta.dirname, "..");
const dist = path.join(root, "dist");
const cjs = path.join(dist, "cjs");

function jsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => String(f).split(path.sep).join("/"))
    .filter((f) => f.endsWith(".js"))
    .sort();
}

describe("dist/cjs/", () => {
  if (!fs.existsSync(path.join(cjs, "cli", "main.js"))) throw new Error("dist/cjs/ is missing: run `npm run build` first (npm test does it)");

  it("has a CommonJS file for each of dist/'s Node files, but for the worker entry points", () => {
    const esm = jsFiles(dist).filter((f) => !f.startsWith("web/") && !f.startsWith("cjs/"));
    expect(jsFiles(cjs)).toEqual(esm.filter((f) => f !== "core/ingest/bulk-worker.js"));
    expect(JSON.parse(fs.readFileSync(path.join(cjs, "package.json"), "utf8"))).toEqual({ type: "commonjs" });
  });

  it("reads files next to the code where dist/ does: import.meta.url is the ES module's", () => {
    const require = createRequire(import.meta.url);
    const { packageVersion } = require(path.join(cjs, "shared", "version.js")) as { packageVersion(): string };
    expect(packageVersion()).toBe(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version);
  });

  it("is strict, as ES modules are", () => {
    for (const f of jsFiles(cjs)) expect(fs.readFileSync(path.join(cjs, f), "utf8").startsWith('"use strict";'), f).toBe(true);
  });
});

describe("scripts/build-cjs.mjs and bin/dm", () => {
  /** A small project: scripts/ and bin/ as in this one, node_modules linked, dist/ as given. */
  function project(files: Record<string, string>): string {
    const dir = tempDir("dm-build-cjs-");
    fs.mkdirSync(path.join(dir, "scripts"));
    fs.copyFileSync(path.join(root, "scripts", "build-cjs.mjs"), path.join(dir, "scripts", "build-cjs.mjs"));
    fs.cpSync(path.join(root, "bin"), path.join(dir, "bin"), { recursive: true });
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  }
  const run = (dir: string, file: string) => spawnSync(process.execPath, [path.join(dir, file)], { encoding: "utf8" });
  // main imports where.js statically and lazy.js with import(): where.js says where it is, lazy.js
  // whether Node's ES module loader has started (it does for an ES module, or for an import())
  const main = [
    'import { where } from "../shared/where.js";',
    "export async function main() {",
    '  const { lazy } = await import("../shared/lazy.js");',
    "  console.log(where(), lazy());",
    "}",
    "",
  ].join("\n");
  const where = 'export const where = () => new URL(".", import.meta.url).pathname;\n';
  const lazy = 'export const lazy = () => (process.moduleLoadList.some((m) => m.endsWith("esm/loader")) ? "esm loader" : "no esm loader");\n';

  it("bin/dm runs the CommonJS tree once built, dist/ until then", () => {
    const dir = project({ "dist/cli/main.js": main, "dist/shared/where.js": where, "dist/shared/lazy.js": lazy });
    const before = run(dir, "bin/dm");
    expect(before.stderr).toBe("");
    expect(before.stdout).toBe(`${path.join(dir, "dist", "shared")}/ esm loader\n`);

    const built = run(dir, "scripts/build-cjs.mjs");
    expect(built.stderr).toBe("");
    expect(built.status).toBe(0);
    const after = run(dir, "bin/dm");
    expect(after.stderr).toBe("");
    // the same directory (the ES module's); the module main imported with import() is CommonJS too
    expect(after.stdout).toBe(`${path.join(dir, "dist", "shared")}/ no esm loader\n`);
  });

  it("refuses a file it cannot make CommonJS: names it and its line, writes no tree", () => {
    const dir = project({
      "dist/cli/main.js": main,
      "dist/shared/where.js": where,
      "dist/shared/lazy.js": lazy,
      "dist/shared/dirname.js": "export const x = 1;\nexport const here = import.meta.dirname;\n",
    });
    fs.mkdirSync(path.join(dir, "dist", "cjs"));
    fs.writeFileSync(path.join(dir, "dist", "cjs", "stale.js"), "");
    const built = run(dir, "scripts/build-cjs.mjs");
    expect(built.status).toBe(1);
    expect(built.stderr).toContain("build-cjs: dist/shared/dirname.js:2:");
    expect(built.stderr).toContain("dist/cjs/ was not written");
    expect(fs.existsSync(path.join(dir, "dist", "cjs"))).toBe(false);
    // bin/dm still runs, from dist/
    expect(run(dir, "bin/dm").stdout).toBe(`${path.join(dir, "dist", "shared")}/ esm loader\n`);
  });

  it("says what to do when tsc has not run", () => {
    const dir = project({});
    const built = run(dir, "scripts/build-cjs.mjs");
    expect(built.status).toBe(1);
    expect(built.stderr).toContain("dist/cli/main.js is missing: run tsc first");
  });
});
