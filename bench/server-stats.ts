/**
 * The campaign statistics rows of issue 18, on one SQLite database:
 *
 * - `dm stats` (every item, the table) as a real process, process start
 *   included, beside `node -e 0` measured in the same run (interleaved);
 * - GET /api/v1/stats under load: `dm serve` as a real process, autocannon
 *   at 10 connections (target ≥ 1,000 req/s, p99 < 100 ms).
 *
 * The graph is sized by its findings (bench/findings-size.ts) or, with
 * --entities, is bench:server's graph (about 14,000 findings at 100,000).
 * Results go to bench/results/server-stats-<findings|entities>.json.
 *
 *   node --import tsx bench/server-stats.ts                       # 1,000,000 findings (about 3 minutes to load)
 *   node --import tsx bench/server-stats.ts --entities 100000     # bench:server's graph
 *   node --import tsx bench/server-stats.ts --findings 200000 --duration 5 --runs 5
 *   node --import tsx bench/server-stats.ts --db /tmp/dm.db       # an existing database (left in place)
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { generateOrg, sizeForEntities } from "../src/core/sample/generate-org.js";
import { createToken } from "../src/core/tokens/tokens.js";
import { openStore } from "../src/store/open-store.js";
import { sizeForFindings } from "./findings-size.js";
import { type ServeProcess, startServe } from "./serve-process.js";

const root = path.resolve(import.meta.dirname, "..");
const log = (line: string) => process.stderr.write(`${line}\n`);
const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

export const STATS_TARGET = { requestsPerSecond: 1000, p99Ms: 100, dmStatsMs: 300 };

export interface StatsLoad {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  meetsTarget: boolean;
  loadAverage: number[];
}

/** GET /api/v1/stats from a running server, `connections` at once for `seconds`. */
export async function statsLoad(url: string, token: string, connections = 10, seconds = 10): Promise<StatsLoad> {
  const result = await autocannon({ url: `${url}/api/v1/stats`, connections, duration: seconds, headers: { authorization: `Bearer ${token}` } });
  const level: StatsLoad = {
    connections,
    seconds,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.total / seconds),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: Math.round(result.latency.mean * 100) / 100 },
    non2xx: result.non2xx,
    errors: result.errors,
    meetsTarget: false,
    loadAverage: loadavg(),
  };
  level.meetsTarget = level.requestsPerSecond >= STATS_TARGET.requestsPerSecond && level.latencyMs.p99 < STATS_TARGET.p99Ms && level.non2xx === 0;
  return level;
}

/**
 * Wall time of `dm stats` (every item, the table) and of `node -e 0`,
 * interleaved, `runs` of each:
 *
 * - warm: the counts kept in result_cache, as between two writes;
 * - after a write of other records (a sync of repositories, through the
 *   store as dm writes): the counts stay exact and are kept;
 * - after a write of one finding (one finding closed, then opened again, in
 *   turn): only its item is counted again;
 * - counted in full: nothing kept (the result cache emptied), as the first
 *   question after an import or an upgrade.
 */
export async function dmStatsWallTime(db: string, home: string, runs = 7) {
  const env = { PATH: process.env.PATH ?? "", HOME: home };
  const time = (args: string[]) => {
    const t = performance.now();
    execFileSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "inherit"] });
    return performance.now() - t;
  };
  const dmStats = [path.join(root, "bin", "dm"), "stats", "--db", db];
  const store = await openStore(db);
  const writeOther = async (i: number) => {
    await store.upsert({ entities: [{ _key: "bench:repo", _type: "git_repo", _class: "CodeRepo", name: "bench-repo", round: i }], relationships: [] }, { now: Date.now(), source: "bench" });
  };
  const [row] = await store.select(
    "SELECT key, type, classes, display_name, source, props FROM entities WHERE type = 'deferred_maintenance' AND deleted = 0 ORDER BY id LIMIT 1",
    [],
  );
  if (!row) throw new Error("no finding to close");
  const finding = { _key: String(row.key), _type: String(row.type), _class: JSON.parse(String(row.classes)) as string[], ...(JSON.parse(String(row.props)) as Record<string, unknown>) };
  const writeFinding = async (i: number) => {
    const closed = i % 2 === 0;
    const props = closed ? { closed: true, status: "closed", closedOn: Date.now(), closeReason: "COMPLETE" } : { closed: false, status: "open", closedOn: undefined, closeReason: undefined };
    await store.upsert({ entities: [{ ...finding, ...props }], relationships: [] }, { now: Date.now(), source: row.source === null ? "bench" : String(row.source) });
  };
  const stats: number[] = [];
  const afterOther: number[] = [];
  const afterFinding: number[] = [];
  const full: number[] = [];
  const bare: number[] = [];
  try {
    time(dmStats); // the OS cache
    const rounds = Math.max(1, Math.ceil(runs / 2));
    for (let i = 0; i < rounds; i++) {
      const conn = new Database(db);
      conn.exec("DELETE FROM result_cache");
      conn.close();
      full.push(time(dmStats));
      await writeFinding(i);
      afterFinding.push(time(dmStats));
      await writeOther(i);
      afterOther.push(time(dmStats));
    }
    for (let i = 0; i < runs; i++) {
      bare.push(time(["-e", "0"]));
      stats.push(time(dmStats));
    }
    // the finding as it was
    if (rounds % 2 === 1) await writeFinding(1);
  } finally {
    await store.close();
  }
  const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[xs.length >> 1]! * 10) / 10;
  const summary = (xs: number[]) => ({ median: median(xs), min: Math.round(Math.min(...xs)), runs: xs.length });
  return {
    runs,
    dmStatsMs: { median: median(stats), min: Math.round(Math.min(...stats)), warm: true },
    afterOtherWriteMs: summary(afterOther),
    afterFindingWriteMs: summary(afterFinding),
    fullCountMs: summary(full),
    nodeE0Ms: { median: median(bare), min: Math.round(Math.min(...bare)) },
    loadAverage: loadavg(),
  };
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      findings: { type: "string", default: "1000000" },
      entities: { type: "string" },
      db: { type: "string" },
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "10" },
      runs: { type: "string", default: "7" },
      out: { type: "string", default: path.join(import.meta.dirname, "results") },
    },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-bench-stats-"));
  const target = args.db ?? path.join(dir, "dm.db");
  const now = Date.now();
  const label = args.entities ? `entities-${args.entities}` : `findings-${args.findings}`;
  let server: ServeProcess | undefined;
  try {
    const store = await openStore(target);
    let loadSeconds: number | null = null;
    if (!args.db) {
      const size = args.entities ? sizeForEntities(Number(args.entities)) : sizeForFindings(Number(args.findings));
      log(`loading ${label} …`);
      const t = performance.now();
      await store.upsertMany(generateOrg({ size, now }), { now, source: "demo" });
      await store.analyze();
      loadSeconds = Math.round((performance.now() - t) / 100) / 10;
    }
    const counts = await store.counts();
    const findings = Number((await store.select("SELECT count(*) AS n FROM entities WHERE type = 'deferred_maintenance' AND deleted = 0", []))[0]!.n);
    const { token } = await createToken(store, { name: `bench-stats-${now}`, role: "reader" }, { now, actor: "bench" });
    await store.close();
    log(`${counts.entities.toLocaleString()} entities, ${findings.toLocaleString()} findings${loadSeconds === null ? "" : ` (loaded in ${loadSeconds} s)`}`);

    const cli = await dmStatsWallTime(target, dir, Number(args.runs));
    log(
      `dm stats: warm median ${cli.dmStatsMs.median} ms; after a write of other records ${cli.afterOtherWriteMs.median} ms; ` +
        `after a write of one finding ${cli.afterFindingWriteMs.median} ms; counted in full ${cli.fullCountMs.median} ms ` +
        `(node -e 0: ${cli.nodeE0Ms.median} ms), load ${cli.loadAverage.join(" ")}`,
    );

    server = await startServe(path.join(root, "bin", "dm"), target, dir);
    const probe = await fetch(`${server.url}/api/v1/stats`, { headers: { authorization: `Bearer ${token}` } });
    if (probe.status !== 200) throw new Error(`GET /api/v1/stats answered ${probe.status}: ${await probe.text()}`);
    const items = ((await probe.json()) as { items: unknown[] }).items.length;
    await statsLoad(server.url, token, 10, 3); // warm-up
    const levels: StatsLoad[] = [];
    for (const c of args.connections.split(",").map(Number)) {
      const level = await statsLoad(server.url, token, c, Number(args.duration));
      log(
        `GET /api/v1/stats, ${c} connections: ${level.requestsPerSecond} req/s, p50 ${level.latencyMs.p50} ms, p99 ${level.latencyMs.p99} ms` +
          `${level.non2xx ? `, ${level.non2xx} non-2xx` : ""}${level.meetsTarget ? "" : "  (target missed)"}; load ${level.loadAverage.join(" ")}`,
      );
      levels.push(level);
    }
    const report = {
      benchmark: "campaign statistics: dm stats (process start included) and GET /api/v1/stats under load (autocannon)",
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 1e9), node: process.version },
      target: STATS_TARGET,
      backend: "sqlite",
      entities: counts.entities,
      findings,
      items,
      loadSeconds,
      dmStats: cli,
      getStats: levels,
    };
    fs.mkdirSync(args.out, { recursive: true });
    const file = path.join(args.out, `server-stats-${label}.json`);
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${path.relative(root, file)}`);
  } finally {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
