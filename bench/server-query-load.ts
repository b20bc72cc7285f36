/**
 * `dm serve` on SQLite under query load, past a query's time limit, and stopped under load. The real
 * binary over the sample organisation (~20,000 entities), three phases; results go to
 * bench/results/server-query-load-sqlite.json.
 *
 * 1. Load: autocannon, 10 and 50 connections, POST /api/v1/query with a ~5 ms query. Counted: req/s,
 *    latency, non-2xx, errors, and the bytes the server logged at DM_LOG_LEVEL=warn.
 * 2. Time-out: four six-hop `RELATES TO` queries (minutes of work each) with --query-timeout 3000. After
 *    the 504s: how long until the select processes that ran them are gone (/proc), how much CPU the
 *    server's whole process tree used in each of the two seconds after that (/proc/<pid>/stat of the
 *    server and its children; the first includes the replacements starting), and how long a quick
 *    query then takes.
 * 3. Stop: SIGTERM during a 50-connection load with two slow queries running; the time until it exits.
 *
 *   npm run build && node --import tsx bench/server-query-load.ts [--entities 20000] [--duration 10]
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { generateOrg, sizeForEntities } from "../src/core/sample/generate-org.js";
import { createToken } from "../src/core/tokens/tokens.js";
import { runQuery } from "../src/query/run.js";
import { openStore } from "../src/store/open-store.js";

const { values: args } = parseArgs({
  options: {
    entities: { type: "string", default: "20000" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10,50" },
    out: { type: "string", default: path.join(import.meta.dirname, "results") },
  },
});
const root = path.resolve(import.meta.dirname, "..");
const QUERY = "Find Person that RELATES TO Team return Person.name, Team.name";
const SLOW = "Find * as a0 that RELATES TO * as a1 that RELATES TO * as a2 that RELATES TO * as a3 that RELATES TO * as a4 that RELATES TO * as a5 return count(a5)";
const TIMEOUT_MS = 3000;
const TICK_MS = 1000 / 100; // USER_HZ: /proc times are in 1/100 s on Linux

const log = (text: string) => process.stderr.write(`${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stat(pid: number): { ppid: number; state: string; ticks: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: f[0]!, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** The server and its live children (the select processes). */
function tree(pid: number): number[] {
  const kids = fs
    .readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => {
      const s = stat(p);
      return s !== undefined && s.ppid === pid && s.state !== "Z";
    });
  return [pid, ...kids];
}

/** CPU ms of the server's process tree, counting each pid's total (a pid that vanished contributes its last known total). */
function treeCpuMs(pid: number, seen: Map<number, number>): number {
  for (const p of tree(pid)) {
    const s = stat(p);
    if (s) seen.set(p, s.ticks);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0) * TICK_MS;
}

async function startServe(db: string, home: string): Promise<{ url: string; child: ChildProcess; logBytes: () => number; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [path.join(root, "bin", "dm"), "serve", "--port", "0", "--db", db, "--rate-limit", "100000000", "--query-timeout", String(TIMEOUT_MS)],
    { env: { PATH: process.env.PATH ?? "", HOME: home, DM_LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  let bytes = 0;
  child.stderr!.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (stderr.length < 100_000) stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
      if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`dm serve exited: ${stderr}`));
      }
    }, 20);
  });
  const start = bytes;
  return { url, child, logBytes: () => bytes - start, exited };
}

async function load(url: string, token: string, connections: number, seconds: number) {
  const result = await autocannon({
    url: `${url}/api/v1/query`,
    connections,
    duration: seconds,
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ query: QUERY }),
  });
  return {
    connections,
    seconds,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.total / seconds),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: Math.round(result.latency.mean * 100) / 100 },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const post = (url: string, token: string, query: string) =>
  fetch(`${url}/api/v1/query`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ query }) }).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    (e: unknown) => ({ status: 0, body: String(e) }),
  );

log("preparing …");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-bench-query-"));
const db = path.join(dir, "dm.db");
try {
  const now = Date.now();
  const store = await openStore(db);
  let token: string;
  let queryMs: number;
  let counts: Awaited<ReturnType<typeof store.upsertMany>>;
  try {
    counts = await store.upsertMany(generateOrg({ size: sizeForEntities(Number(args.entities)), now }), { now, source: "demo" });
    await store.analyze();
    token = (await createToken(store, { name: "bench-reader", role: "reader" }, { now, actor: "bench" })).token;
    log("loaded");
    for (let i = 0; i < 5; i++) await runQuery(store, QUERY, { now, timeoutMs: 30_000 });
    const t = performance.now();
    for (let i = 0; i < 50; i++) await runQuery(store, QUERY, { now, timeoutMs: 30_000 });
    queryMs = Math.round(((performance.now() - t) / 50) * 100) / 100;
  } finally {
    await store.close();
  }
  log(`${counts.entities.created} entities, ${counts.relationships.created} relationships; the query alone: ${queryMs} ms`);

  // 1. Load.
  const server = await startServe(db, dir);
  await load(server.url, token, 10, 2); // warm-up
  const levels = [];
  for (const c of args.connections.split(",").map(Number)) {
    const before = server.logBytes();
    const level = { ...(await load(server.url, token, c, Number(args.duration))), logBytesAtWarn: server.logBytes() - before };
    log(`${String(c).padStart(3)} connections: ${level.requestsPerSecond} req/s, p50 ${level.latencyMs.p50} ms, p99 ${level.latencyMs.p99} ms, ${level.non2xx} non-2xx, ${level.errors} errors, ${level.logBytesAtWarn} log bytes`);
    levels.push(level);
  }

  // 2. Time-out: is the CPU free once the 504s are sent?
  const pid = server.child.pid!;
  const slow = Array.from({ length: 4 }, () => post(server.url, token, SLOW));
  await sleep(1000);
  const running = tree(pid).slice(1).filter((p) => stat(p)?.state === "R");
  const answers = await Promise.all(slow);
  const answeredAt = performance.now();
  let goneMs = -1;
  while (performance.now() - answeredAt < 5000) {
    if (running.every((p) => stat(p) === undefined || stat(p)!.state === "Z")) {
      goneMs = Math.round(performance.now() - answeredAt);
      break;
    }
    await sleep(5);
  }
  // Counted from the moment they are gone: the server and its processes, including the 4 replacements starting up.
  const seen = new Map<number, number>();
  const cpu0 = treeCpuMs(pid, seen);
  await sleep(1000);
  const cpu1 = treeCpuMs(pid, seen);
  await sleep(1000);
  const cpu2 = treeCpuMs(pid, seen);
  const replacements = tree(pid).slice(1).filter((p) => !running.includes(p)).length;
  const q0 = performance.now();
  const quick = await post(server.url, token, QUERY);
  const quickMs = Math.round(performance.now() - q0);
  const timeout = {
    queries: SLOW,
    queryTimeoutMs: TIMEOUT_MS,
    statuses: answers.map((a) => a.status),
    processesRunningThem: running.length,
    processesGoneMsAfterLast504: goneMs,
    serverTreeCpuMs: {
      firstSecondAfterGone: cpu1 - cpu0,
      secondSecondAfterGone: cpu2 - cpu1,
      note: "the server and its select processes (/proc utime+stime, 10 ms ticks); the first second includes the replacement processes starting (node + better-sqlite3)",
    },
    replacementProcesses: replacements,
    quickQueryAfter: { status: quick.status, ms: quickMs },
  };
  log(`time-out: ${JSON.stringify(timeout)}`);

  // 3. SIGTERM under load.
  const background = load(server.url, token, 50, 20);
  const slowAgain = [post(server.url, token, SLOW), post(server.url, token, SLOW)];
  await sleep(3000);
  const signalled = performance.now();
  server.child.kill("SIGTERM");
  const code = await Promise.race([server.exited, sleep(30_000).then(() => "still running")]);
  const stop = { signal: "SIGTERM", during: "50 connections of queries and 2 slow queries", exitCode: code, seconds: Math.round((performance.now() - signalled) / 10) / 100 };
  if (server.child.exitCode === null) server.child.kill("SIGKILL");
  log(`stop: ${JSON.stringify(stop)}`);
  await Promise.all(slowAgain);
  await background.catch(() => undefined);

  const report = {
    benchmark: "dm serve (SQLite): POST /api/v1/query under load, past the time limit, stopped under load (autocannon)",
    date: new Date().toISOString(),
    // Other work on the machine shares the CPUs: the load average says how much.
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 1e9), node: process.version, loadAverage1m: os.loadavg()[0] },
    entities: counts.entities.created,
    relationships: counts.relationships.created,
    query: QUERY,
    queryAloneMs: queryMs,
    load: levels,
    timeout,
    stop,
  };
  fs.mkdirSync(args.out, { recursive: true });
  const file = path.join(args.out, "server-query-load-sqlite.json");
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(root, file)}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
