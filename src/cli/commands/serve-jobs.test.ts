/**
 * The jobs dm serve builds from dm.config.yaml run the same core as their
 * commands: a sync job syncs, reconcile reconciles, a vulns scan without an
 * advisory database fails (the scheduler records it), and a schedule that
 * cannot be run is refused at start, naming the file and the job.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../shared/logger.js";
import { loadConfig } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { CommandContext } from "../context.js";
import { SCHEDULER_ACTOR, scheduledJobs } from "./serve-jobs.js";

const hosts = path.resolve(import.meta.dirname, "../../integrations/hosts/fixtures/inventory.csv");
const NOW = Date.UTC(2026, 2, 2, 10);

function setup(config?: string) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dm-serve-jobs-"));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "dm-serve-jobs-home-"));
  if (config !== undefined) fs.writeFileSync(path.join(cwd, "dm.config.yaml"), config);
  // Only what building jobs reads: where it runs and the environment's settings.
  const ctx = { cwd, config: loadConfig({ HOME: home }) } as unknown as CommandContext;
  return { ctx, cwd, home };
}

const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe("dm serve's jobs", () => {
  it("syncs, reconciles and fails a vulns scan without an advisory database, as the commands do", async () => {
    const { ctx, cwd } = setup(`
integrations:
  - id: hosts
    file: ${hosts}
schedule:
  sync: "0 * * * *"
  reconcile: "*/15 * * * *"
  vulns-scan: "30 2 * * *"
`);
    const { file, jobs } = scheduledJobs(ctx, {});
    expect(file).toBe(path.join(cwd, "dm.config.yaml"));
    expect(jobs.map((j) => j.name)).toEqual([`sync:hosts:${hosts}`, "reconcile", "vulns-scan"]);
    const store = SqliteStore.open(":memory:");
    stores.push(store);
    const jctx = { store, now: NOW, scheduledFor: NOW, logger: createLogger("silent") };
    const synced = await jobs[0]!.run(jctx);
    expect(synced).toMatchObject({ status: "partial", deleted: 0, reconciled: { opened: 0, closed: 0, reopened: 0 } });
    expect(synced!.created).toBeGreaterThan(0);
    expect((await store.latestSyncRuns())[0]).toMatchObject({ integration: "hosts", status: "partial" });
    expect((await store.auditLog()).find((e) => e.action === "sync")?.actor).toBe(SCHEDULER_ACTOR);
    expect(await jobs[1]!.run(jctx)).toEqual({ items: 0, opened: 0, closed: 0, reopened: 0, errors: 0 });
    await expect(jobs[2]!.run(jctx)).rejects.toThrow(/no advisory database at .*osv\.db/);
  });

  it("runs drills: a broken alert path is a failed job run naming the step, recorded as the scheduler's drill", async () => {
    const { ctx } = setup(`
schedule:
  drill: "0 * * * *"
alerts:
  - name: overdue-maintenance
    queries:
      - name: overdue
        query: Find deferred_maintenance with closed=false and dueDate < date.now
`);
    const { jobs } = scheduledJobs(ctx, {});
    expect(jobs.map((j) => j.name)).toEqual(["drill", "alerts"]);
    const store = SqliteStore.open(":memory:");
    stores.push(store);
    const jctx = { store, now: NOW, scheduledFor: NOW, logger: createLogger("silent") };
    // the rule catches the canary but has no actions: nobody would be told
    await expect(jobs[0]!.run(jctx)).rejects.toThrow(/failed at step deliver \(overdue-maintenance\): overdue-maintenance has no actions/);
    expect(await store.drillRuns()).toMatchObject([{ ok: false, failedStep: "deliver", actor: SCHEDULER_ACTOR }]);
    expect(await store.drillSummary()).toMatchObject({ runs: 1, failures: 1 });
  });

  it("runs the rules with the file's overrides, and refuses a bad pack at start", async () => {
    const { ctx } = setup(`
schedule:
  rules: "0 * * * *"
rules:
  overrides:
    hygiene-no-owner: { enabled: false }
`);
    const { jobs } = scheduledJobs(ctx, {});
    expect(jobs.map((j) => j.name)).toEqual(["rules"]);
    const store = SqliteStore.open(":memory:");
    stores.push(store);
    await store.upsert(
      {
        entities: [
          { _key: "host:web-1", _type: "host", _class: "Host", displayName: "web-1", deployment: "mutable-vm", lastPatchedOn: NOW - 60 * 86_400_000 },
        ],
        relationships: [],
      },
      { now: NOW, source: "test" },
    );
    const jctx = { store, now: NOW, scheduledFor: NOW, logger: createLogger("silent") };
    // web-1: past its patch age; it has no owner, but that rule is disabled in the file
    expect(await jobs[0]!.run(jctx)).toEqual({ rules: 11, opened: 1, closed: 0, reopened: 0 });
    const bad = setup('schedule:\n  rules: "0 * * * *"\nrules:\n  overrides:\n    no-such-rule: { enabled: false }\n');
    expect(() => scheduledJobs(bad.ctx, {})).toThrow("rules.overrides.no-such-rule: no rule of that id in the packs");
  });

  it("finds no jobs without a config file, reads --config, and refuses an on-call job without its config", () => {
    expect(scheduledJobs(setup().ctx, {})).toEqual({ jobs: [] });
    const { ctx, cwd } = setup();
    fs.writeFileSync(path.join(cwd, "other.yaml"), 'jobs:\n  reconcile: "@hourly"\n');
    expect(scheduledJobs(ctx, { config: "other.yaml" }).jobs.map((j) => [j.name, j.schedule.source])).toEqual([["reconcile", "@hourly"]]);
    fs.writeFileSync(path.join(cwd, "oncall.yaml"), 'schedule:\n  oncall-sync: "*/5 * * * *"\n');
    let error: unknown;
    try {
      scheduledJobs(ctx, { config: "oncall.yaml" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`${path.join(cwd, "oncall.yaml")}: oncall-sync: no dm-oncall.yaml here or in ~/.deferred-maintenance/ (the job reads it as dm oncall sync does)`);
  });
});

describe("dm serve's alerts job", () => {
  it("is added when dm.config.yaml has alerts:, and evaluates each rule on its interval", async () => {
    const { ctx } = setup(`
alerts:
  - name: overdue
    queries: [{name: q, query: "Find deferred_maintenance with closed=false and dueDate < date.now"}]
    interval: 1h
`);
    const { jobs } = scheduledJobs(ctx, {});
    expect(jobs.map((j) => [j.name, j.schedule.source])).toEqual([["alerts", "* * * * *"]]);
    const store = SqliteStore.open(":memory:");
    stores.push(store);
    await store.upsert(
      { entities: [{ _key: "f1", _type: "deferred_maintenance", _class: "Finding", displayName: "x", closed: false, dueDate: NOW - 1 }], relationships: [] },
      { now: NOW },
    );
    const logger = createLogger("silent");
    const run = (now: number) => jobs[0]!.run({ store, now, scheduledFor: now, logger });
    expect(await run(NOW)).toMatchObject({ rules: 1, announced: 1 });
    expect(await run(NOW + 60_000)).toMatchObject({ rules: 0 });
    expect(await run(NOW + 3_600_000)).toMatchObject({ rules: 1, announced: 0 });
  });
});
