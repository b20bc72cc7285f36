/**
 * Server throughput: `dm serve` as a real process over a graph of ~100,000
 * entities, loaded with the repo report endpoint (GET /api/v1/report?repo=…,
 * spread over many repositories) by autocannon at a few concurrency levels,
 * on SQLite and PostgreSQL. Results go to bench/results/server-<entities>.json.
 *
 *   npm run bench:server
 *   npm run bench:server -- --backend sqlite --duration 5 --connections 10,50
 *   npm run bench:server -- --backend postgres --bin /tmp/old/bin/dm   # another build's `dm serve` (A/B)
 *
 * It prints and records issue 18's row "report endpoint on PostgreSQL, 50
 * connections" (requests/s and p99 against p99 < 100 ms) as `row`.
 *
 * The load generator runs in this process, on the same machine as the server
 * (and PostgreSQL): on 2 cores they share the CPU, as they would on a laptop.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { generateOrg, sizeForEntities } from "../src/core/sample/generate-org.js";
import { createToken } from "../src/core/tokens/tokens.js";
import { runQuery } from "../src/query/run.js";
import { openStore } from "../src/store/open-store.js";
import { startEmbeddedPostgres } from "../test/helpers/embedded-postgres.js";
import { type ServeProcess, startServe } from "./serve-process.js";

const { values: args } = parseArgs({
  options: {
    backend: { type: "string", default: "both" },
    entities: { type: "string", default: "100000" },
    duration: { type: "string", default: "15" },
    connections: { type: "string", default: "10,25,50,100" },
    repos: { type: "string", default: "500" },
    profile: { type: "string" },
    bin: { type: "string" },
    out: { type: "string", default: path.join(import.meta.dirname, "results") },
  },
});

const root = path.resolve(import.meta.dirname, "..");
const ENTITIES = Number(args.entities);
const DURATION = Number(args.duration);
const CONNECTIONS = args.connections.split(",").map(Number);
const TARGET = { requestsPerSecond: 500, p99Ms: 100 };
/** Issue 18's row: the report endpoint on PostgreSQL at 50 connections, p99 under 100 ms. */
const ROW = { backend: "postgres", connections: 50, p99Ms: 100 } as const;
const BIN = args.bin ? path.resolve(args.bin) : path.join(root, "bin", "dm");

function log(text: string) {
  process.stderr.write(`${text}\n`);
}

interface Level {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  meetsTarget: boolean;
}

async function prepare(target: string, now: number): Promise<{ token: string; repos: string[]; entities: number; relationships: number; loadSeconds: number }> {
  const store = await openStore(target);
  try {
    const started = performance.now();
    // As `dm demo` loads its sample organisation.
    const counts = await store.upsertMany(generateOrg({ size: sizeForEntities(ENTITIES), now }), { now, source: "demo" });
    await store.analyze();
    const loadSeconds = (performance.now() - started) / 1000;
    const names = await runQuery(store, "Find CodeRepo as r return r.name as name", { now, all: true });
    if (names.type !== "table") throw new Error("unreachable");
    const all = names.data.map((r) => String(r.name));
    // Spread over the whole list, not its first page.
    const want = Math.min(Number(args.repos), all.length);
    const repos = Array.from({ length: want }, (_, i) => all[Math.floor((i * all.length) / want)]!);
    const { token } = await createToken(store, { name: "bench-reader", role: "reader" }, { now, actor: "bench" });
    return {
      token,
      repos,
      entities: counts.entities.created + counts.entities.updated + counts.entities.unchanged,
      relationships: counts.relationships.created + counts.relationships.updated + counts.relationships.unchanged,
      loadSeconds,
    };
  } finally {
    await store.close();
  }
}

async function load(url: string, token: string, repos: string[], connections: number, seconds: number): Promise<Level> {
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: "GET",
        setupRequest(request) {
          const repo = repos[i++ % repos.length]!;
          return { ...request, path: `/api/v1/report?repo=${encodeURIComponent(repo)}` };
        },
      },
    ],
  });
  const level: Level = {
    connections,
    seconds,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.total / seconds),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: Math.round(result.latency.mean * 100) / 100,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    meetsTarget: false,
  };
  level.meetsTarget = level.requestsPerSecond >= TARGET.requestsPerSecond && level.latencyMs.p99 < TARGET.p99Ms && level.non2xx === 0;
  return level;
}

async function benchBackend(backend: "sqlite" | "postgres") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-bench-server-"));
  let stopPg: (() => Promise<void>) | undefined;
  let server: ServeProcess | undefined;
  try {
    let target = path.join(dir, "dm.db");
    if (backend === "postgres") {
      const pg = await startEmbeddedPostgres({ durable: true });
      stopPg = pg.stop;
      target = pg.url;
    }
    const now = Date.now();
    log(`[${backend}] loading ~${ENTITIES.toLocaleString()} entities …`);
    const data = await prepare(target, now);
    log(`[${backend}] ${data.entities.toLocaleString()} entities, ${data.relationships.toLocaleString()} relationships in ${data.loadSeconds.toFixed(1)} s; ${data.repos.length} repos to ask about`);
    const profileDir = args.profile ? path.resolve(args.profile, backend) : undefined;
    server = await startServe(BIN, target, dir, profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []);
    log(`[${backend}] dm serve on ${server.url}`);
    // A sanity check: the endpoint answers, with data.
    const probe = await fetch(`${server.url}/api/v1/report?repo=${encodeURIComponent(data.repos[0]!)}`, {
      headers: { authorization: `Bearer ${data.token}` },
    });
    if (probe.status !== 200) throw new Error(`the report endpoint answered ${probe.status}: ${await probe.text()}`);
    const sample = (await probe.json()) as Record<string, unknown>;
    const bytes = JSON.stringify(sample).length;
    await load(server.url, data.token, data.repos, CONNECTIONS[0]!, 3); // warm-up: caches, JIT
    const levels: Level[] = [];
    for (const c of CONNECTIONS) {
      const level = await load(server.url, data.token, data.repos, c, DURATION);
      log(
        `[${backend}] ${String(c).padStart(3)} connections: ${level.requestsPerSecond} req/s, p50 ${level.latencyMs.p50} ms, p99 ${level.latencyMs.p99} ms` +
          `${level.non2xx ? `, ${level.non2xx} non-2xx` : ""}${level.errors ? `, ${level.errors} errors` : ""}${level.meetsTarget ? "" : "  (target missed)"}`,
      );
      levels.push(level);
    }
    return { backend, ...data, token: undefined, repos: data.repos.length, sampleResponseBytes: bytes, levels, loadAverage: os.loadavg() };
  } finally {
    await server?.stop();
    await stopPg?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const backends = args.backend === "both" ? (["sqlite", "postgres"] as const) : ([args.backend] as ("sqlite" | "postgres")[]);
const results = [];
for (const b of backends) results.push(await benchBackend(b));
const pgRow = results.find((r) => r.backend === ROW.backend)?.levels.find((l) => l.connections === ROW.connections);
const row = pgRow
  ? {
      measure: "report endpoint on PostgreSQL, 50 connections",
      requestsPerSecond: pgRow.requestsPerSecond,
      p50Ms: pgRow.latencyMs.p50,
      p99Ms: pgRow.latencyMs.p99,
      targetP99Ms: ROW.p99Ms,
      met: pgRow.latencyMs.p99 < ROW.p99Ms && pgRow.non2xx === 0 && pgRow.errors === 0,
    }
  : undefined;
if (row) {
  log(
    `row: ${row.measure}: ${row.requestsPerSecond} req/s, p99 ${row.p99Ms} ms (target p99 < ${row.targetP99Ms} ms: ${row.met ? "met" : "not met"}); load average ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
}
const report = {
  benchmark: "server: GET /api/v1/report?repo=… under load (autocannon)",
  ...(args.bin ? { bin: BIN } : {}),
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 1e9), node: process.version },
  target: TARGET,
  entities: ENTITIES,
  durationSeconds: DURATION,
  ...(row ? { row } : {}),
  results,
};
fs.mkdirSync(args.out, { recursive: true });
const file = path.join(args.out, `server-${ENTITIES}.json`);
fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${path.relative(root, file)}`);
