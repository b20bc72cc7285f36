/**
 * Benchmark of the vulnerability database and matcher:
 *
 * 1. import N synthetic OSV advisories (default 200,000; one file each, in a
 *    folder tree like the GitHub Advisory Database) through the real
 *    `dm vulns db import`, timed as a whole process;
 * 2. match M package instances (default 1,000,000) with the Matcher, as
 *    `dm vulns scan` does for the graph: once as an organisation's lockfiles
 *    look (10,000 names per ecosystem, a few versions each), once in the
 *    worst case (nearly every instance a distinct version);
 * 3. a graph scan of U package uses (default 100,000) in a SQLite graph,
 *    writing the findings.
 *
 * Results in bench/results/vulns-<N>.json.
 *
 *   npm run bench:vulns
 *   npm run bench:vulns -- --advisories 20000 --instances 100000
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultVulnsConfig } from "../src/core/vulns/config.js";
import { AdvisoryDb } from "../src/core/vulns/db.js";
import { Matcher } from "../src/core/vulns/match.js";
import { scanGraph } from "../src/core/vulns/scan-graph.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { EntityRecord, RelationshipRecord } from "../src/store/types.js";
import { rng } from "./rng.js";

const { values: args } = parseArgs({
  options: {
    advisories: { type: "string", default: "200000" },
    instances: { type: "string", default: "1000000" },
    uses: { type: "string", default: "100000" },
    work: { type: "string", default: path.join(os.tmpdir(), "dm-bench-vulns") },
    out: { type: "string", default: path.join(import.meta.dirname, "results") },
  },
});
const ADVISORIES = Number(args.advisories);
const INSTANCES = Number(args.instances);
const USES = Number(args.uses);
const root = path.resolve(import.meta.dirname, "..");

/** Ecosystems with their share of advisories (roughly osv.dev's mix among those served). */
const ECOSYSTEMS: { name: string; share: number; version: (r: () => number) => string; pkg: (n: number) => string }[] = [
  { name: "npm", share: 0.35, version: (r) => `${Math.floor(r() * 6)}.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`, pkg: (n) => (n % 5 === 0 ? `@scope${n % 97}/lib-${n}` : `lib-${n}`) },
  { name: "PyPI", share: 0.2, version: (r) => `${Math.floor(r() * 6)}.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`, pkg: (n) => `py-lib-${n}` },
  { name: "Go", share: 0.15, version: (r) => `${Math.floor(r() * 3)}.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`, pkg: (n) => `github.com/org${n % 500}/mod-${n}` },
  { name: "Maven", share: 0.15, version: (r) => `${Math.floor(r() * 6)}.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`, pkg: (n) => `org.example${n % 300}:artifact-${n}` },
  { name: "crates.io", share: 0.05, version: (r) => `0.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`, pkg: (n) => `crate_${n}` },
  { name: "RubyGems", share: 0.05, version: (r) => `${Math.floor(r() * 6)}.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`, pkg: (n) => `gem-${n}` },
  { name: "Packagist", share: 0.05, version: (r) => `${Math.floor(r() * 6)}.${Math.floor(r() * 20)}.${Math.floor(r() * 30)}`, pkg: (n) => `vendor${n % 200}/package-${n}` },
];
/** distinct package names per ecosystem with advisories: 40% of the pool */
const NAMES_PER_ECOSYSTEM = 60_000;

function pickEcosystem(r: () => number) {
  let x = r();
  for (const e of ECOSYSTEMS) {
    if (x < e.share) return e;
    x -= e.share;
  }
  return ECOSYSTEMS[0]!;
}

const VECTORS = [
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
  "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
  "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N",
];
const LOREM =
  "An attacker who controls the input can cause the parser to allocate without bound, which exhausts memory and stops the service. Versions before the fix do not limit nesting depth. Upgrade to the fixed version, or validate input size before parsing. ";

function advisory(i: number): object {
  const r = rng(i * 7919 + 13);
  const affected = [];
  const count = r() < 0.8 ? 1 : 2;
  for (let k = 0; k < count; k++) {
    const eco = pickEcosystem(r);
    const name = eco.pkg(Math.floor(NAMES_PER_ECOSYSTEM * r() ** 1.5));
    const fixed = eco.version(r);
    const events = r() < 0.5 ? [{ introduced: "0" }, { fixed }] : [{ introduced: eco.version(r).replace(/\.\d+$/, ".0") }, { fixed }];
    affected.push({ package: { ecosystem: eco.name, name }, ranges: [{ type: eco.name === "Go" ? "SEMVER" : "ECOSYSTEM", events }] });
  }
  const id = `GHSA-${i.toString(36).padStart(4, "0")}-${(i * 31).toString(36).slice(-4).padStart(4, "0")}-bnch`;
  return {
    schema_version: "1.4.0",
    id,
    modified: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
    published: new Date(Date.UTC(2019, 0, 1) + i * 60_000).toISOString(),
    aliases: [`CVE-${2015 + (i % 10)}-${10000 + i}`],
    summary: `Uncontrolled resource consumption in package ${i}`,
    details: LOREM.repeat(2),
    severity: r() < 0.8 ? [{ type: "CVSS_V3", score: VECTORS[Math.floor(r() * VECTORS.length)] }] : [],
    affected,
    database_specific: { severity: "HIGH", github_reviewed: true },
  };
}

function ensureAdvisories(dir: string): void {
  const marker = path.join(dir, `.complete-${ADVISORIES}`);
  if (fs.existsSync(marker)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  for (let i = 0; i < ADVISORIES; i++) {
    const sub = path.join(dir, String(Math.floor(i / 1000)).padStart(3, "0"));
    if (i % 1000 === 0) fs.mkdirSync(sub, { recursive: true });
    const a = advisory(i) as { id: string };
    fs.writeFileSync(path.join(sub, `${a.id}.json`), JSON.stringify(a, null, 2));
  }
  fs.writeFileSync(marker, "");
  console.log(`generated ${ADVISORIES} advisory files in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Package instances. `realistic`: each name is used at one of a few versions
 * (as across an organisation's lockfiles), so many instances share a
 * version. Otherwise every instance has a random version: the worst case,
 * where nearly every instance is a distinct version to evaluate.
 */
function instances(n: number, realistic: boolean): { ecosystem: string; name: string; version: string }[] {
  const r = rng(42);
  const out = [];
  for (let i = 0; i < n; i++) {
    const eco = pickEcosystem(r);
    // realistic: 10,000 names per ecosystem in use, each at one of 4 versions;
    // worst case: names from a pool 2.5 times the advisory pool, any version
    const id = Math.floor((realistic ? 10_000 : NAMES_PER_ECOSYSTEM * 2.5) * r() ** 2);
    const name = eco.pkg(id);
    const v = realistic ? eco.version(rng(id * 31 + Math.floor(r() * 4))) : eco.version(r);
    out.push({ ecosystem: eco.name, name, version: eco.name === "Go" ? `v${v}` : v });
  }
  return out;
}

const work = args.work;
fs.mkdirSync(work, { recursive: true });
const advisoryDir = path.join(work, `advisories-${ADVISORIES}`);
ensureAdvisories(advisoryDir);
const dbFile = path.join(work, "osv.db");
for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });

// 1. import through the real binary
const t0 = performance.now();
const imp = spawnSync(process.execPath, [path.join(root, "bin/dm"), "vulns", "db", "import", advisoryDir, "--osv-db", dbFile, "--json"], {
  encoding: "utf8",
  maxBuffer: 1 << 26,
});
const importSeconds = (performance.now() - t0) / 1000;
if (imp.status !== 0) throw new Error(`import failed: ${imp.stderr}`);
const imported = JSON.parse(imp.stdout) as { read: number; added: number; skipped: unknown[] };
const dbBytes = fs.statSync(dbFile).size;
console.log(`import: ${imported.added} advisories in ${importSeconds.toFixed(1)} s (${Math.round(imported.added / importSeconds)}/s), db ${(dbBytes / 1e6).toFixed(0)} MB`);

// 2. match
const db = AdvisoryDb.open(dbFile);
function timeMatch(realistic: boolean) {
  const list = instances(INSTANCES, realistic);
  const matcher = new Matcher(db);
  const started = performance.now();
  let hits = 0;
  let vulnerable = 0;
  for (const p of list) {
    const found = matcher.match(p.ecosystem, p.name, p.version);
    hits += found.length;
    if (found.length > 0) vulnerable++;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `match (${realistic ? "realistic: a few versions per name" : "worst case: every version distinct"}): ${INSTANCES} package instances (${matcher.evaluated} distinct versions of packages with advisories evaluated) in ${seconds.toFixed(2)} s; ${vulnerable} vulnerable, ${hits} hits`,
  );
  return { instances: INSTANCES, distinctVersionsEvaluated: matcher.evaluated, vulnerable, hits, seconds: +seconds.toFixed(2), targetSeconds: 10 };
}
const matchRealistic = timeMatch(true);
const matchWorst = timeMatch(false);

// 3. graph scan
const graphFile = path.join(work, "graph.db");
for (const f of [graphFile, `${graphFile}-wal`, `${graphFile}-shm`]) fs.rmSync(f, { force: true });
const store = SqliteStore.open(graphFile);
const now = Date.UTC(2026, 10, 23);
const repos = Math.max(1, Math.round(USES / 300));
const entities: EntityRecord[] = [];
const relationships: RelationshipRecord[] = [];
const packageKeys = new Set<string>();
const pool = instances(USES, true);
for (let r = 0; r < repos; r++) entities.push({ _key: `repo:${r}`, _type: "git_repo", _class: "CodeRepo", name: `repo-${r}` });
for (const [i, p] of pool.entries()) {
  const key = `${p.ecosystem}:${p.name}@${p.version}`;
  if (!packageKeys.has(key)) {
    packageKeys.add(key);
    entities.push({ _key: key, _type: "package", _class: "CodeModule", name: p.name, version: p.version, ecosystem: p.ecosystem });
  }
  const repo = `repo:${i % repos}`;
  relationships.push({ _key: `${repo}|uses|${key}`, _type: "git_repo_uses_package", _class: "USES", _fromEntityKey: repo, _toEntityKey: key, manifest: "lock" });
}
const unique = new Map(relationships.map((r) => [r._key, r]));
await store.upsertMany([{ entities, relationships: [...unique.values()] }], { now, source: "bench" });
const t2 = performance.now();
const scan = await scanGraph(store, new Matcher(db), { now, config: defaultVulnsConfig() });
const scanSeconds = (performance.now() - t2) / 1000;
const t3 = performance.now();
const rescan = await scanGraph(store, new Matcher(db), { now: now + 1, config: defaultVulnsConfig() });
const rescanSeconds = (performance.now() - t3) / 1000;
console.log(
  `graph scan: ${scan.instances} package uses in ${repos} repos, ${scan.opened} findings opened in ${scanSeconds.toFixed(1)} s; unchanged rescan ${rescanSeconds.toFixed(1)} s (${rescan.opened} opened)`,
);
await store.close();
db.close();

const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  import: { advisories: imported.added, seconds: +importSeconds.toFixed(2), perSecond: Math.round(imported.added / importSeconds), dbMB: +(dbBytes / 1e6).toFixed(1), targetSeconds: 60 },
  match: matchRealistic,
  matchWorstCase: matchWorst,
  graphScan: { uses: scan.instances, repos, opened: scan.opened, seconds: +scanSeconds.toFixed(2), rescanSeconds: +rescanSeconds.toFixed(2) },
};
fs.mkdirSync(args.out, { recursive: true });
const outFile = path.join(args.out, `vulns-${ADVISORIES}.json`);
fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${outFile}`);
