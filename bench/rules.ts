/**
 * Benchmark of `dm rules run`: the built-in three-rs pack over the sample
 * organisation (src/core/sample/generate-org.ts) of N entities in SQLite,
 * loaded with upsertMany as `dm import` writes; then a dry run, the first
 * run (opens every violation), and a second run (nothing changes).
 * Results in bench/results/rules-<N>.json.
 *
 *   npm run bench:rules                          # 1,000,000 entities
 *   npm run bench:rules -- --entities 100000
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { builtinPack } from "../src/core/rules/config.js";
import { runRules } from "../src/core/rules/run.js";
import { generateOrg, sizeForEntities } from "../src/core/sample/generate-org.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";

const { values: args } = parseArgs({
  options: {
    entities: { type: "string", default: "1000000" },
    work: { type: "string", default: path.join(os.tmpdir(), "dm-bench-rules") },
    out: { type: "string", default: path.join(import.meta.dirname, "results") },
  },
});
const N = Number(args.entities);
const NOW = Date.UTC(2026, 10, 23, 12);
fs.mkdirSync(args.work, { recursive: true });
const file = path.join(args.work, `rules-${N}.db`);
fs.rmSync(file, { force: true });

const store = SqliteStore.open(file);
const loadStart = performance.now();
const loaded = await store.upsertMany(generateOrg({ size: sizeForEntities(N), now: NOW }), { now: NOW, source: "bench" });
await store.analyze();
const loadSeconds = (performance.now() - loadStart) / 1000;
const entities = loaded.entities.created;
console.log(`loaded ${entities.toLocaleString("en")} entities in ${loadSeconds.toFixed(1)} s`);

const rules = builtinPack().rules;
const timed = async (label: string, dryRun: boolean) => {
  const t = performance.now();
  const r = await runRules(store, rules, { now: NOW + 1, actor: "dm", dryRun });
  const seconds = (performance.now() - t) / 1000;
  console.log(`${label.padEnd(12)} ${seconds.toFixed(2)} s: opened ${r.opened}, closed ${r.closed}, unchanged ${r.unchanged}`);
  return { seconds, opened: r.opened, closed: r.closed, unchanged: r.unchanged, perRule: r.rules.map((o) => ({ id: o.id, violations: o.violations })) };
};
const dry = await timed("dry run", true);
const first = await timed("first run", false);
const second = await timed("second run", false);
await store.close();

const result = {
  at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, node: process.version },
  entities,
  loadSeconds,
  rules: rules.length,
  dryRun: dry,
  first,
  second,
  target: { wholePackUnderSeconds: 10 },
  met: first.seconds < 10 && second.seconds < 10,
};
fs.mkdirSync(args.out, { recursive: true });
fs.writeFileSync(path.join(args.out, `rules-${N}.json`), `${JSON.stringify(result, null, 2)}\n`);
console.log(`whole pack < 10 s: ${result.met ? "met" : "NOT met"}`);
fs.rmSync(file, { force: true });
