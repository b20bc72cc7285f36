/**
 * The CommonJS copy of dist/ that bin/dm runs: dist/cjs/, one file for each
 * file tsc wrote, transformed by esbuild (no bundling, no renaming).
 *
 * Why: a Node process whose first module is an ES module starts the ES module
 * loader, and each module it loads is resolved and linked through it. On this
 * project's machines that is about 20 ms of the one-repo report's 70 ms of
 * work (docs/benchmarks.md). CommonJS modules load through `require`, which
 * Node has ready at start.
 *
 * What is kept the same, so that both trees behave alike:
 * - `import.meta.url` is the URL of the ES module the file was made from (in
 *   dist/, not dist/cjs/): files found next to the code (package.json, the
 *   dashboard's assets, the import's worker) are the same files.
 * - `import()` becomes `require()`: every module of the process comes from
 *   one tree, so classes (`instanceof DmError`) and module state exist once.
 *   The packages dm imports all have a CommonJS entry or load with require.
 * - Strict mode, as ES modules always are.
 * - Worker entry points (WORKERS) stay ES modules only: workers are started
 *   from dist/ by URL (see import.meta.url above).
 *
 * Run by `npm run build` after tsc. Any warning (such as an `import.meta`
 * property other than `url`) fails the build.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const out = path.join(dist, "cjs");
/** Files run only as worker threads, from dist/ (they use top-level await). */
const WORKERS = new Set(["core/ingest/bulk-worker.js"]);
/** Folders of dist/ that are not Node code: the dashboard's build, and this build's own output. */
const SKIP = new Set(["web", "cjs"]);

if (!fs.existsSync(path.join(dist, "cli", "main.js"))) {
  console.error("build-cjs: dist/cli/main.js is missing: run tsc first (npm run build does both)");
  process.exit(1);
}
fs.rmSync(out, { recursive: true, force: true });

const files = fs
  .readdirSync(dist, { recursive: true })
  .map((f) => f.split(path.sep).join("/"))
  .filter((f) => f.endsWith(".js") && !SKIP.has(f.split("/")[0]) && !WORKERS.has(f))
  .sort();

let failed = 0;
await Promise.all(
  files.map(async (rel) => {
    const source = fs.readFileSync(path.join(dist, rel), "utf8");
    const target = path.join(out, rel);
    // import.meta.url: the ES module's URL, found from this file's place at run time (the tree may move).
    const esmFromHere = path.relative(path.dirname(target), path.join(dist, rel)).split(path.sep).join("/");
    const metaUrl = source.includes("import.meta")
      ? `const __dm_import_meta_url = require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(esmFromHere)})).href;\n`
      : "";
    try {
      const result = await esbuild.transform(source, {
        loader: "js",
        format: "cjs",
        platform: "node",
        target: "node20",
        sourcefile: `dist/${rel}`,
        supported: { "dynamic-import": false },
        define: { "import.meta.url": "__dm_import_meta_url" },
        banner: `"use strict";\n${metaUrl}`,
        logLevel: "silent",
      });
      if (result.warnings.length > 0) {
        failed++;
        for (const w of result.warnings) console.error(`build-cjs: dist/${rel}:${w.location?.line ?? "?"}: ${w.text}`);
        return;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, result.code);
    } catch (error) {
      failed++;
      for (const e of error.errors ?? [{ text: String(error) }]) console.error(`build-cjs: dist/${rel}:${e.location?.line ?? "?"}: ${e.text}`);
    }
  }),
);
if (failed > 0) {
  fs.rmSync(out, { recursive: true, force: true });
  console.error(`build-cjs: ${failed} file(s) could not be made CommonJS; dist/cjs/ was not written (bin/dm runs dist/ as ES modules)`);
  process.exit(1);
}
// The nearest package.json says how Node reads a .js file: here, as CommonJS.
fs.writeFileSync(path.join(out, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
