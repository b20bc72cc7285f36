/**
 * `dm serve --config` as the real binary: the schedule is read at start
 * (a mistake exits 2 naming the file and key, before listening), the jobs
 * are announced and listed on /api/v1/jobs, and SIGTERM still exits 0.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/cli.js";
import { spawnServe } from "./helpers/spawn-serve.js";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "bin", "dm");

describe("dm serve --config (scheduler), the real binary", () => {
  it("refuses a bad schedule before listening, naming the file and the key", () => {
    const dir = tempDir();
    const config = path.join(dir, "dm.config.yaml");
    fs.writeFileSync(config, 'schedule:\n  reconcile: "*/15 * * *"\n');
    const r = spawnSync(process.execPath, [bin, "serve", "--port", "0", "--config", config, "--db", path.join(dir, "dm.db")], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: tempDir("dm-home-") },
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${config}: schedule.reconcile: "*/15 * * *" has 4 fields; expected 5`);
    expect(r.stderr).not.toContain("listening");
  }, 40_000);

  it("announces its jobs, lists them on /api/v1/jobs, and stops cleanly", async () => {
    const dir = tempDir();
    const home = tempDir("dm-home-");
    const db = path.join(dir, "dm.db");
    fs.writeFileSync(path.join(dir, "dm.config.yaml"), 'jobs:\n  reconcile: "0 3 * * *"\n  vulns-scan: "@daily"\n');
    const env = { PATH: process.env.PATH ?? "", HOME: home, DM_USER: "ops@example.com" };
    const made = spawnSync(process.execPath, [bin, "token", "create", "--name", "ops", "--role", "admin", "--db", db], { encoding: "utf8", env });
    expect(made.status).toBe(0);
    const token = made.stdout.trim();
    // dm.config.yaml is found in the server's folder
    const { child, url, stderr, exited } = await spawnServe(["--db", db], { cwd: dir, env });
    try {
      expect(url, stderr()).toBeDefined();
      await new Promise((r) => setTimeout(r, 100));
      expect(stderr()).toContain(`dm serve: 2 scheduled job(s) from ${path.join(dir, "dm.config.yaml")}: reconcile (0 3 * * *), vulns-scan (@daily)`);
      const res = await fetch(`${url}/api/v1/jobs`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { scheduler: string; jobs: { name: string; nextRun: number; lastRun: unknown }[] };
      expect(body.scheduler).toBe("running");
      expect(body.jobs.map((j) => [j.name, j.lastRun])).toEqual([
        ["reconcile", null],
        ["vulns-scan", null],
      ]);
      const next = new Date(body.jobs[0]!.nextRun);
      expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([3, 0]);
      expect(body.jobs[0]!.nextRun).toBeGreaterThan(Date.now());
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr()).toContain("dm serve: stopped");
  }, 40_000);
});
