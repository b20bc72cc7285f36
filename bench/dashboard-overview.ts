/**
 * How long the dashboard's overview takes to show its numbers, in Debian's
 * Chromium against `dm serve` over the sample organisation: from the start
 * of the navigation to the `dm:overview-ready` mark the page sets once the
 * counts are rendered (what a person waits for). Each run uses a fresh
 * browser context (nothing cached in the browser; the server is warm after
 * the first). Also times GET /api/v1/overview alone. Results go to
 * bench/results/dashboard-overview-<backend>-<entities>.json.
 *
 *   npm run bench:dashboard                              # SQLite and PostgreSQL at 100,000 entities
 *   npm run bench:dashboard -- --backend sqlite --entities 20000 --runs 5
 *   npm run bench:dashboard -- --backend sqlite --findings 1000000 --runs 5   # sized by findings (bench/findings-size.ts)
 *   npm run bench:dashboard -- --backend sqlite --db /tmp/dm.db --runs 5      # an existing SQLite database (left in place)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateOrg, sizeForEntities } from "../src/core/sample/generate-org.js";
import { createToken } from "../src/core/tokens/tokens.js";
import { startServer } from "../src/server/serve.js";
import { defaultWebDir } from "../src/server/static.js";
import { createLogger } from "../src/shared/logger.js";
import { openStore } from "../src/store/open-store.js";
import { sizeForFindings } from "./findings-size.js";
import { isolatedContext, launchChromium } from "../test/helpers/browser.js";
import { startEmbeddedPostgres } from "../test/helpers/embedded-postgres.js";

const { values: args } = parseArgs({
  options: {
    backend: { type: "string", default: "both" },
    entities: { type: "string", default: "100000" },
    findings: { type: "string" },
    db: { type: "string" },
    runs: { type: "string", default: "10" },
    out: { type: "string", default: path.join(import.meta.dirname, "results") },
  },
});

const NOW = Date.UTC(2026, 10, 23, 12);
const RUNS = Number(args.runs);
const log = (line: string) => process.stderr.write(`${line}\n`);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { min: s[0]!, median: at(0.5), p90: at(0.9), max: s.at(-1)! };
}

const round = (x: number) => Math.round(x * 10) / 10;
const rounded = (s: ReturnType<typeof stats>) => ({ min: round(s.min), median: round(s.median), p90: round(s.p90), max: round(s.max) });

async function benchBackend(backend: "sqlite" | "postgres", entities: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-bench-dashboard-"));
  let stopPg: (() => Promise<void>) | undefined;
  try {
    let target = args.db ?? path.join(dir, "dm.db");
    if (backend === "postgres") {
      const pg = await startEmbeddedPostgres({ durable: true });
      stopPg = pg.stop;
      target = pg.url;
    }
    const store = await openStore(target);
    if (!args.db) {
      log(`[${backend}] loading ${args.findings ? `~${Number(args.findings).toLocaleString()} findings` : `~${entities.toLocaleString()} entities`} …`);
      const size = args.findings ? sizeForFindings(Number(args.findings)) : sizeForEntities(entities);
      await store.upsertMany(generateOrg({ size, now: NOW }), { now: NOW, source: "demo" });
      await store.analyze();
    }
    const counts = await store.counts();
    log(`[${backend}] ${counts.entities.toLocaleString()} entities, ${counts.relationships.toLocaleString()} relationships`);
    const token = (await createToken(store, { name: `bench-${Date.now()}`, role: "reader" }, { now: NOW, actor: "bench" })).token;
    const server = await startServer({
      store,
      logger: createLogger("silent"),
      now: () => NOW,
      cwd: dir,
      dataDir: dir,
      version: "bench",
      host: "127.0.0.1",
      port: 0,
      limits: { rateLimitPerMinute: 100_000 },
    });
    const browser = await launchChromium();
    try {
      const api: number[] = [];
      let findings = 0;
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        const res = await fetch(`${server.url}/api/v1/overview`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { counts: { total: number } };
        if (i > 0) api.push(performance.now() - t);
        findings = body.counts.total;
      }
      const ready: number[] = [];
      const firstPaint: number[] = [];
      let cold = 0;
      for (let i = 0; i <= RUNS; i++) {
        const { context, blocked } = await isolatedContext(browser, server.url);
        await context.addInitScript((value) => sessionStorage.setItem("dm.token", value), token);
        const page = await context.newPage();
        await page.goto(`${server.url}/`);
        await page.getByTestId("count-open").waitFor();
        const timing = await page.evaluate(() => {
          const mark = performance.getEntriesByName("dm:overview-ready")[0];
          const paint = performance.getEntriesByName("first-contentful-paint")[0];
          return { ready: mark?.startTime ?? Number.NaN, fcp: paint?.startTime ?? Number.NaN };
        });
        if (blocked.length > 0) throw new Error(`the page asked for other origins: ${blocked.join(", ")}`);
        await context.close();
        if (i === 0) cold = timing.ready;
        else {
          ready.push(timing.ready);
          firstPaint.push(timing.fcp);
        }
      }
      const result = {
        at: new Date().toISOString(),
        machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model.split(" ").slice(0, 2).join(" "), memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
        backend,
        entities: counts.entities,
        relationships: counts.relationships,
        findings,
        runs: RUNS,
        what: "navigation start to the overview's counts rendered (performance mark dm:overview-ready), fresh browser context per run",
        overviewReadyMs: { firstAfterStart: round(cold), ...rounded(stats(ready)) },
        firstContentfulPaintMs: rounded(stats(firstPaint)),
        apiOverviewMs: rounded(stats(api)),
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        targetMs: 1000,
      };
      fs.mkdirSync(args.out!, { recursive: true });
      const label = args.findings ? `findings-${args.findings}` : args.db ? `db-${findings}` : String(entities);
      const file = path.join(args.out!, `dashboard-overview-${backend}-${label}.json`);
      fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      log(
        `[${backend}] overview ready: median ${result.overviewReadyMs.median} ms, p90 ${result.overviewReadyMs.p90} ms (first ${result.overviewReadyMs.firstAfterStart} ms); ` +
          `API alone median ${result.apiOverviewMs.median} ms; ${findings.toLocaleString()} findings -> ${path.relative(process.cwd(), file)}`,
      );
    } finally {
      await browser.close();
      await server.stop(1000);
    }
  } finally {
    await stopPg?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (!defaultWebDir()) throw new Error("dist/web is missing: npm run build first (npm run bench:dashboard does)");
const backends = args.backend === "both" ? (["sqlite", "postgres"] as const) : [args.backend as "sqlite" | "postgres"];
for (const backend of backends) await benchBackend(backend, Number(args.entities));
