/**
 * dm alerts digest and dm serve's digest job, in-process, with a fake
 * destination factory: per-owner routing from owners:, the default for the
 * rest, dry run, once per period, and the job building only on the slot
 * digests.schedule names (retrying pending ones on the others).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setDestinationFactory } from "../src/cli/commands/alerts-destinations.js";
import type { CommandContext } from "../src/cli/context.js";
import { scheduledJobs } from "../src/cli/commands/serve-jobs.js";
import type { DeliveryResult, Notification } from "../src/notify/destination.js";
import { loadConfig } from "../src/shared/config.js";
import { InputError } from "../src/shared/errors.js";
import { createLogger } from "../src/shared/logger.js";
import { openStore } from "../src/store/open-store.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 0, 5, 9); // Monday 09:00 UTC
const DAY = 86_400_000;
const sent: { label: string; n: Notification }[] = [];
const answers: DeliveryResult[] = [];

const CONFIG = `
server:
  url: https://dm.example.com
digests:
  schedule: "0 8 * * 1"
  soon: 14d
  actions: [{type: fake, label: maintenance}]
owners:
  Payments: {actions: [{type: fake, label: payments}]}
`;

const finding = (key: string, owner: string | undefined, due: number, short: string) => ({
  _key: key,
  _type: "deferred_maintenance",
  _class: "Finding",
  displayName: short,
  shortDescription: short,
  maintenanceId: `0000000${key.slice(-1)}`,
  entityKey: `repo-${key}`,
  entityName: `repo-${key}`,
  closed: false,
  ...(owner ? { owner } : {}),
  dueDate: due,
});

describe("dm alerts digest", () => {
  let dir: string;
  let db: string;
  const run = (args: string[], now = NOW) => dm([...args, "--db", db], { cwd: dir, now });

  beforeAll(async () => {
    setDestinationFactory({
      parseAction(raw, where) {
        const a = raw as { type?: string; label?: string };
        if (a?.type !== "fake" || !a.label) throw new InputError(`${where}.type: expected fake with a label`);
        return a;
      },
      destinationFor(action) {
        const a = action as { label: string };
        return {
          type: "webhook",
          label: a.label,
          async send(n) {
            const answer = answers.shift() ?? { ok: true, retryable: false };
            if (answer.ok) sent.push({ label: a.label, n });
            return answer;
          },
        };
      },
    });
    dir = tempDir("dm-digest-cli-");
    db = path.join(dir, "dm.db");
    fs.writeFileSync(path.join(dir, "dm.config.yaml"), CONFIG);
    const bulk = {
      entities: [
        finding("f1", "payments", NOW - 3 * DAY, "Upgrade TF"),
        finding("f2", "PAYMENTS", NOW + 5 * DAY, "Rotate keys"),
        finding("f3", "web", NOW + 90 * DAY, "Far away"),
        finding("f4", undefined, NOW - DAY, "Orphan"),
      ],
      relationships: [],
    };
    fs.writeFileSync(path.join(dir, "graph.json"), JSON.stringify(bulk));
    const imported = await dm(["import", "graph.json", "--db", db], { cwd: dir, now: NOW });
    expect(imported.code, imported.stderr).toBe(0);
  });
  afterAll(() => {
    setDestinationFactory(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("--dry-run shows each owner's digest and where it would go, and sends nothing", async () => {
    const r = await run(["alerts", "digest", "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Digests for the period from 2026-01-05 08:00 UTC: 2 would be sent; 1 owner has nothing overdue or due soon (no digest)");
    expect(r.stdout).toMatch(/payments\s+1\s+1\s+2\s+payments/);
    expect(r.stdout).toMatch(/\(unowned\)\s+1\s+0\s+1\s+maintenance/);
    expect(r.stdout).toContain("3 days overdue");
    expect(r.stdout).toContain("https://dm.example.com/campaigns/00000001");
    expect(r.stdout).toContain("Dry run");
    expect(sent).toHaveLength(0);
    const j = JSON.parse((await run(["alerts", "digest", "--dry-run", "--owner", "Payments", "--json"])).stdout);
    expect(j.digests.map((d: { owner: string; destinations: string[] }) => [d.owner, d.destinations])).toEqual([["payments", ["payments"]]]);
  });

  it("sends once per owner and period", async () => {
    const r = await run(["alerts", "digest"]);
    expect(r.code, r.stderr).toBe(0);
    expect(sent.map((s) => [s.label, s.n.kind, s.n.group ?? null])).toEqual([
      ["payments", "digest", "payments"],
      ["maintenance", "digest", null],
    ]);
    const again = await run(["alerts", "digest"], NOW + 3_600_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Already sent for this period");
    expect(sent).toHaveLength(2);
    const h = JSON.parse((await run(["alerts", "history", "--rule", "digest", "--json"])).stdout);
    expect(h.map((d: { status: string }) => d.status)).toEqual(["sent", "sent"]);
  });

  it("is a job of dm serve: builds on the digests.schedule slot, retries pending ones on the others", async () => {
    sent.length = 0;
    const ctx = { cwd: dir, config: loadConfig({ HOME: tempDir("dm-digest-home-") }) } as unknown as CommandContext;
    const { jobs } = scheduledJobs(ctx, {});
    expect(jobs.map((j) => [j.name, j.schedule.source])).toEqual([["digest", "* * * * *"]]);
    const store = await openStore(db);
    try {
      const logger = createLogger("silent");
      const at = (t: number) => jobs[0]!.run({ store, now: t + 1000, scheduledFor: t, logger });
      const monday = Date.UTC(2026, 0, 12, 8);
      expect(await at(monday - 60_000)).toMatchObject({ digests: 0, sent: 0, pending: 0 });
      answers.push({ ok: false, retryable: true, status: 503, error: "down" });
      expect(await at(monday)).toMatchObject({ digests: 2, sent: 1, pending: 1 });
      // the next minute: the backoff (1 min) has passed, the pending one is sent, nothing is built again
      expect(await at(monday + 60_000)).toMatchObject({ digests: 0, sent: 1, pending: 0 });
      expect(await at(monday + 120_000)).toMatchObject({ digests: 0, sent: 0, pending: 0 });
      expect(sent.map((s) => s.label).sort()).toEqual(["maintenance", "payments"]);
    } finally {
      await store.close();
    }
  });

  it("without a digests: section, says what to write (exit 2)", async () => {
    const other = tempDir("dm-digest-none-");
    const r = await dm(["alerts", "digest", "--db", path.join(other, "dm.db")], { cwd: other, now: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no digests: section");
  });
});
