/**
 * dm drill end to end through the real destinations: a fake Slack Web API
 * and a webhook receiver that checks the signature, on 127.0.0.1. A drill
 * passes (exit 0, the time reported, both destinations got one DRILL
 * notification, the canary closed ERROR with the result, dm alerts run then
 * says nothing about it); Slack refusing the token or down fails it at
 * "deliver" naming Slack (exit 1); a rule that does not select the canary
 * fails it at "evaluate"; dm drill --history lists them; dm reconcile closes
 * a stale canary. No secret in any output.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRILL_MAINTENANCE_ID, openCanary } from "../src/core/maintenance/canary.js";
import { loadFindings } from "../src/core/maintenance/finding.js";
import { openStore } from "../src/store/open-store.js";
import { type FakeSlack, startFakeSlack } from "./fakes/slack.js";
import { type FakeWebhook, startFakeWebhook } from "./fakes/webhook.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const MIN = 60_000;
const TOKEN = "xoxb-fake-drill-token-123";
const SECRET = "drill-hook-secret-456";

describe("dm drill through fake Slack and a webhook receiver", () => {
  let slack: FakeSlack;
  let hook: FakeWebhook;
  const dir = tempDir("dm-drill-cli-");
  const db = path.join(dir, "dm.db");
  const env = { SLACK_TOKEN: TOKEN, HOOK_SECRET: SECRET };
  const drill = async (args: string[], at: number, extraEnv: Record<string, string> = {}) => {
    const r = await dm(["drill", ...args, "--db", db], { cwd: dir, now: at, env: { ...env, ...extraEnv } });
    for (const secret of [TOKEN, SECRET, "wrong-token"]) expect(r.stdout + r.stderr).not.toContain(secret);
    return r;
  };
  const drillFindings = async () => {
    const store = await openStore(db);
    try {
      return await loadFindings(store, NOW, { maintenanceId: DRILL_MAINTENANCE_ID });
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN, channels: ["#security"] });
    hook = await startFakeWebhook({ secret: SECRET });
    fs.writeFileSync(
      path.join(dir, "dm.config.yaml"),
      `alerts:
  - name: overdue-maintenance
    queries:
      - name: overdue
        query: Find deferred_maintenance with closed=false and dueDate < date.now
    group_by: owner
    actions:
      - type: slack
        url: ${slack.apiUrl}
        token: env:SLACK_TOKEN
        channel: "#security"
      - type: webhook
        url: ${hook.hookUrl}
        secret: env:HOOK_SECRET
  - name: payments-only
    queries:
      - name: payments
        query: Find deferred_maintenance with owner='payments'
    actions:
      - type: webhook
        url: ${hook.hookUrl}
        secret: env:HOOK_SECRET
`,
    );
  });
  afterAll(async () => {
    await Promise.all([slack?.close(), hook?.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes: both destinations accept one DRILL notification, the canary is closed ERROR with the result, the time is reported", async () => {
    const r = await drill(["--json"], NOW);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, rules: ["overdue-maintenance"] });
    expect(out.ms).toBeTypeOf("number");
    expect(out.failed).toBeUndefined();
    const port = new URL(hook.hookUrl).port;
    expect(out.steps.map((s: { step: string; ok: boolean; destination?: string }) => `${s.step} ${s.ok}${s.destination ? ` ${s.destination}` : ""}`)).toEqual([
      "open true",
      "evaluate true",
      "deliver true slack #security",
      `deliver true webhook 127.0.0.1:${port}`,
      "close true",
      "record true",
    ]);
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.text).toMatch(/^\*DRILL overdue-maintenance/);
    expect(hook.badSignatures).toBe(0);
    expect(hook.bodies).toHaveLength(1);
    expect(hook.bodies[0]).toMatchObject({ alert: "overdue-maintenance", kind: "drill", drill: true, group: "dm-drill" });
    const [canary] = await drillFindings();
    expect(canary).toMatchObject({ closed: true, closeReason: "ERROR", shortDescription: "DRILL — ignore" });
    expect(canary!.evidence).toContain(`drill ${out.id} passed in`);

    // the alert rules' own evaluation says nothing about the drill: no firing, no "resolved"
    const run = await dm(["alerts", "run", "--json", "--db", db], { cwd: dir, now: NOW + MIN, env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).rules.flatMap((x: { deliveries: unknown[] }) => x.deliveries)).toEqual([]);
    expect([slack.messages.length, hook.bodies.length]).toEqual([1, 1]);
  });

  it("says so in a sentence and a table of steps", async () => {
    const r = await drill([], NOW + 2 * MIN);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ Drill [0-9a-f]{8} passed in \d+ ms: overdue-maintenance reached 2 destination\(s\)/);
    expect(r.stdout).toContain("overdue-maintenance → slack #security: accepted (HTTP 200)");
  });

  it("Slack refusing the token fails the drill at deliver, naming Slack (exit 1); the canary is closed all the same", async () => {
    const r = await drill([], NOW + 3 * MIN, { SLACK_TOKEN: "wrong-token" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/failed at step deliver \(overdue-maintenance → slack #security\): not accepted: .*invalid_auth/);
    expect(r.stderr).toContain("failed at step deliver (overdue-maintenance → slack #security)");
    expect(r.stdout).toContain("Fix the destination");
    expect((await drillFindings()).every((f) => f.closed && f.closeReason === "ERROR")).toBe(true);
  });

  it("Slack down fails it at deliver too (no retry later: nothing is left pending)", async () => {
    slack.down();
    try {
      const r = await drill(["--json"], NOW + 4 * MIN);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(false);
      expect(out.failed).toMatchObject({ step: "deliver", destination: "slack #security" });
      expect(out.failed.detail).toContain("HTTP 503");
    } finally {
      slack.up();
    }
    const history = await dm(["alerts", "history", "--json", "--db", db], { cwd: dir, now: NOW + 5 * MIN, env });
    expect(JSON.parse(history.stdout)).toEqual([]);
  });

  it("a rule that does not select the canary fails the drill at evaluate", async () => {
    const r = await drill(["--alert", "payments-only"], NOW + 6 * MIN);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("failed at step evaluate");
    expect(r.stdout).toContain("no alert rule selects the canary (payments-only)");
    const unknown = await drill(["--alert", "nope"], NOW + 6 * MIN);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no alert rule "nope"');
  });

  it("--history lists the drills, newest first, with the failed step", async () => {
    const r = await drill(["--history", "--json"], NOW + 7 * MIN);
    expect(r.code, r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout) as { ok: boolean; failedStep: string | null }[];
    expect(runs.map((x) => [x.ok, x.failedStep])).toEqual([
      [false, "evaluate"],
      [false, "deliver"],
      [false, "deliver"],
      [true, null],
      [true, null],
    ]);
    const table = await drill(["--history"], NOW + 7 * MIN);
    expect(table.stdout).toContain("deliver (slack #security): not accepted: HTTP 503");
  });

  it("dm reconcile closes a canary an interrupted drill left open", async () => {
    const store = await openStore(db);
    const stale = await openCanary(store, { id: "0000dead", now: NOW - 20 * MIN, actor: "tester" }).finally(() => store.close());
    const r = await dm(["reconcile", "--json", "--db", db], { cwd: dir, now: NOW + 8 * MIN, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).canariesClosed).toBe(1);
    const closed = (await drillFindings()).find((f) => f.key === stale.key);
    expect(closed).toMatchObject({ closed: true, closeReason: "ERROR" });
    expect(closed!.evidence).toContain("stale drill canary");
  });
});
