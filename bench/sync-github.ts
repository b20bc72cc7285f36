/**
 * Benchmark of `dm sync github`: the fake GitHub (test/fakes/github.ts)
 * serving an organisation of N repositories (100 per page), 50 teams, 300
 * members and a collaborator or two per repository, run in a child process
 * so that it has a core of its own; the real sync runs in this process
 * (runSync on a SQLite file) twice: the first sync, then a re-sync with
 * nothing changed (conditional requests: every answer with an ETag comes
 * back 304). Results in bench/results/sync-github-<N>.json.
 *
 *   node --import tsx bench/sync-github.ts               # 5,000 repositories
 *   node --import tsx bench/sync-github.ts --repos 500
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type ChildProcess, fork } from "node:child_process";

const TOKEN = "ghp_benchToken";

if (process.env.DM_BENCH_FAKE) {
  // the fake's side
  const { generatedOrg, startFakeGithub } = await import("../test/fakes/github.js");
  const fake = await startFakeGithub({ token: TOKEN, data: generatedOrg({ repos: Number(process.env.DM_BENCH_FAKE) }) });
  process.on("message", async (msg: string) => {
    if (msg === "counts") process.send!({ counts: { ...fake.counts, requests: fake.requests.length, cpuMs: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 } });
    if (msg === "close") {
      await fake.close();
      process.send!({ closed: true });
    }
  });
  process.send!({ url: fake.url });
} else {
  const { values: args } = parseArgs({
    options: {
      repos: { type: "string", default: "5000" },
      out: { type: "string", default: path.join(import.meta.dirname, "results") },
    },
  });
  const REPOS = Number(args.repos);
  const { runSync } = await import("../src/core/ingest/sync.js");
  const { githubIntegration } = await import("../src/integrations/github/index.js");
  const { SqliteStore } = await import("../src/store/sqlite/sqlite-store.js");

  const worker: ChildProcess = fork(import.meta.filename, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, DM_BENCH_FAKE: String(REPOS) },
  });
  const ask = <T>(msg: string, key: string) =>
    new Promise<T>((resolve) => {
      const on = (message: unknown) => {
        const m = message as Record<string, unknown>;
        if (key in m) {
          worker.off("message", on);
          resolve(m[key] as T);
        }
      };
      worker.on("message", on);
      if (msg) worker.send(msg);
    });
  const url = await ask<string>("", "url");
  type Counts = { ok: number; notModified: number; other: number; requests: number; cpuMs: number };
  const cpuMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-bench-github-"));
  try {
    const db = path.join(dir, "dm.db");
    const store = SqliteStore.open(db);
    const config = { org: "acme", url, token: "env:GITHUB_TOKEN" };
    let before: Counts = await ask<Counts>("counts", "counts");
    const sync = async (label: string, now: number) => {
      process.stderr.write(`${label} …\n`);
      const t = performance.now();
      const cpu0 = cpuMs();
      const summary = await runSync(store, githubIntegration, config, {
        now,
        cwd: dir,
        actor: "bench",
        reconcile: false,
        secrets: { env: (name) => (name === "GITHUB_TOKEN" ? TOKEN : undefined) },
      });
      const seconds = (performance.now() - t) / 1000;
      const clientCpuSeconds = (cpuMs() - cpu0) / 1000;
      const after = await ask<Counts>("counts", "counts");
      const requests = {
        total: after.requests - before.requests,
        ok200: after.ok - before.ok,
        notModified304: after.notModified - before.notModified,
        other: after.other - before.other,
      };
      const fakeCpuSeconds = (after.cpuMs - before.cpuMs) / 1000;
      before = after;
      if (summary.status !== "succeeded") throw new Error(`${label}: ${summary.status} ${JSON.stringify(summary.warnings.slice(0, 3))}`);
      return { seconds, status: summary.status, created: summary.created, updated: summary.updated, unchanged: summary.unchanged, requests, clientCpuSeconds, fakeCpuSeconds };
    };
    const now = Date.now();
    const first = await sync("first sync", now);
    const second = await sync("re-sync (nothing changed)", now + 60_000);
    const counts = await store.counts();
    await store.close();
    const result = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      repos: REPOS,
      perPage: 100,
      concurrency: 8,
      graph: counts,
      first,
      second,
      secondOverFirst: second.seconds / first.seconds,
      targets: { firstUnderSeconds: 30, secondUnderHalfOfFirst: true },
      met: first.seconds < 30 && second.seconds < first.seconds / 2,
    };
    fs.mkdirSync(args.out!, { recursive: true });
    fs.writeFileSync(path.join(args.out!, `sync-github-${REPOS}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `sync github: ${REPOS} repos (${counts.entities.toLocaleString("en")} entities, ${counts.relationships.toLocaleString("en")} relationships)\n` +
        `  first sync  ${first.seconds.toFixed(1)} s, ${first.requests.total.toLocaleString("en")} requests (${first.requests.ok200} × 200), created ${first.created.toLocaleString("en")}\n` +
        `  re-sync     ${second.seconds.toFixed(1)} s, ${second.requests.total.toLocaleString("en")} requests (${second.requests.notModified304} × 304), unchanged ${second.unchanged.toLocaleString("en")}\n` +
        `  targets (first < 30 s, re-sync < half): ${result.met ? "met" : "NOT met"}\n`,
    );
  } finally {
    await ask("close", "closed");
    worker.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
