/**
 * dm alerts end to end, in-process through runCli, with a fake destination
 * factory (the real Slack/webhook/GELF destinations are wired separately).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setDestinationFactory } from "../src/cli/commands/alerts-destinations.js";
import type { DeliveryResult, Notification } from "../src/notify/destination.js";
import { InputError } from "../src/shared/errors.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;

const sent: { label: string; n: Notification }[] = [];
const answers: DeliveryResult[] = [];

const CONFIG = `
alerts:
  - name: overdue-maintenance
    description: Overdue maintenance, per team
    queries:
      - name: overdue
        query: Find deferred_maintenance with closed=false and dueDate < date.now
    group_by: owner
    interval: 15m
    actions:
      - type: fake
        label: team-hook
        secret: env:DM_TEST_SECRET
alertDefaults:
  actions:
    - {type: fake, label: default-hook}
`;

describe("dm alerts", () => {
  let dir: string;
  let db: string;
  const env = { DM_TEST_SECRET: "s3cret-value" };
  const run = (args: string[], now = NOW) => dm([...args, "--db", db], { cwd: dir, now, env });

  beforeAll(async () => {
    setDestinationFactory({
      parseAction(raw, where) {
        const a = raw as { type?: string; label?: string };
        if (a?.type !== "fake" || !a.label) throw new InputError(`${where}.type: expected fake with a label`);
        return a;
      },
      destinationFor(action, readSecret) {
        const a = action as { label: string; secret?: string };
        return {
          type: "webhook",
          label: a.label,
          async send(n) {
            if (a.secret) await readSecret(a.secret, "secret"); // resolved, never printed
            const answer = answers.shift() ?? { ok: true, retryable: false };
            if (answer.ok) sent.push({ label: a.label, n });
            return answer;
          },
        };
      },
    });
    dir = tempDir("dm-alerts-cli-");
    db = path.join(dir, "dm.db");
    fs.writeFileSync(path.join(dir, "dm.config.yaml"), CONFIG);
    const bulk = {
      entities: [
        { _key: "f1", _type: "deferred_maintenance", _class: "Finding", displayName: "Upgrade TF", closed: false, owner: "payments", dueDate: NOW - DAY },
        { _key: "f2", _type: "deferred_maintenance", _class: "Finding", displayName: "Rotate keys", closed: false, owner: "web", dueDate: NOW - 2 * DAY },
        { _key: "f3", _type: "deferred_maintenance", _class: "Finding", displayName: "Later", closed: false, owner: "web", dueDate: NOW + DAY },
      ],
      relationships: [],
    };
    fs.writeFileSync(path.join(dir, "graph.json"), JSON.stringify(bulk));
    const imported = await dm(["import", "graph.json", "--db", db], { cwd: dir, now: NOW });
    expect(imported.code, imported.stderr).toBe(0);
  });
  afterEach(() => {
    answers.length = 0;
  });
  afterAll(() => {
    setDestinationFactory(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("run --dry-run says what it would send and sends nothing", async () => {
    const r = await run(["alerts", "run", "--dry-run", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rules[0]).toMatchObject({ name: "overdue-maintenance", total: 2, announced: 2, resolved: 0, pending: 0, silenced: 0 });
    expect(out.rules[0].deliveries.map((d: { status: string }) => d.status)).toEqual(["would-send", "would-send"]);
    expect(sent).toHaveLength(0);
  });

  it("run announces once per team; a second run announces nothing", async () => {
    answers.push({ ok: false, retryable: true, status: 503, error: "down" });
    const r = await run(["alerts", "run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("overdue-maintenance");
    expect(r.stdout).toMatch(/team-hook: firing \w+ pending \(HTTP 503: down\)/);
    expect(sent).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain("s3cret-value");
    // the pending one is retried once its backoff has passed, and only then
    const again = await run(["alerts", "run", "--json"], NOW + 60_000);
    const out = JSON.parse(again.stdout);
    expect(out.rules[0]).toMatchObject({ announced: 0, pending: 0 });
    expect(out.rules[0].deliveries.map((d: { status: string }) => d.status)).toEqual(["sent"]);
    expect(sent.map((s) => s.n.group).sort()).toEqual(["payments", "web"]);
    const third = await run(["alerts", "run", "--json"], NOW + 120_000);
    expect(JSON.parse(third.stdout).rules[0]).toMatchObject({ announced: 0, deliveries: [] });
    expect(sent).toHaveLength(2);
  });

  it("history lists the deliveries; list shows the rule and its last run", async () => {
    const h = await run(["alerts", "history", "--json"]);
    expect(h.code, h.stderr).toBe(0);
    const rows = JSON.parse(h.stdout);
    expect(rows.map((d: { status: string; attempts: number }) => [d.status, d.attempts]).sort()).toEqual([
      ["sent", 1],
      ["sent", 2],
    ]);
    const l = await run(["alerts", "list"]);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/overdue-maintenance\s+total > 0\s+owner\s+15m\s+1\s+2026-11-23 12:02Z\s+2\s+0\s+0/);
  });

  it("silence: refuses unknown rules and past dates (exit 2); a silenced team is not told", async () => {
    expect((await run(["alerts", "silence", "nope", "--until", "7d", "--reason", "x"])).code).toBe(2);
    const past = await run(["alerts", "silence", "overdue-maintenance", "--until", "2020-01-01", "--reason", "x"]);
    expect(past.code).toBe(2);
    expect(past.stderr).toContain("--until");
    const ok = await run(["alerts", "silence", "overdue-maintenance", "--entity", "f3", "--until", "7d", "--reason", "known"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("Silenced f3 in overdue-maintenance until 2026-11-30");
    // f3 becomes overdue: silenced, not announced
    const r = await run(["alerts", "run", "--json"], NOW + 2 * DAY - 1);
    // a day has passed: web and payments repeat, f3 stays silent
    const out = JSON.parse(r.stdout);
    expect(out.rules[0]).toMatchObject({ total: 3, silenced: 1 });
    expect(sent.at(-1)!.n.entities.map((e) => e._key)).not.toContain("f3");
    const list = await run(["alerts", "silences"]);
    expect(list.stdout).toMatch(/overdue-maintenance\s+f3\s+2026-11-30/);
  });

  it("import reads JupiterOne's packs; the imported rules run with alertDefaults' actions", async () => {
    const packs = path.resolve("node_modules/@jupiterone/jupiterone-alert-rules/rule-packs");
    const r = await run(["alerts", "import", packs, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ problems: [] });
    expect(JSON.parse(r.stdout).imported).toHaveLength(24);
    const list = JSON.parse((await run(["alerts", "list", "--json"])).stdout);
    expect(list.rules).toHaveLength(25);
    expect(list.rules.find((x: { name: string }) => x.name === "acm-certificate-expiration-check")).toMatchObject({ origin: "imported", actions: 1, schedule: "1d" });
    const dry = await run(["alerts", "run", "--dry-run", "--json"], NOW + 3 * DAY);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).rules).toHaveLength(25);
  });

  it("import reports a query that does not compile and imports the others", async () => {
    const pack = path.join(dir, "pack.json");
    fs.writeFileSync(
      pack,
      JSON.stringify([
        { name: "good", description: "ok", queries: [{ name: "query0", query: "Find CodeRepo", version: "v1" }], alertLevel: "LOW" },
        { name: "bad", description: "no", queries: [{ name: "query0", query: "Find CodeRepo wiht x=1", version: "v1" }] },
      ]),
    );
    const r = await run(["alerts", "import", pack]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Imported 1 alert rule from 1 pack");
    expect(r.stdout).toMatch(/skipped: bad \(query query0\): .*line 1, column 15/);
  });

  it("a mistake in the alerts: section is exit 2, naming the key", async () => {
    const bad = tempDir("dm-alerts-bad-");
    fs.writeFileSync(path.join(bad, "dm.config.yaml"), "alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    when: sometimes\n");
    const r = await dm(["alerts", "run", "--db", db], { cwd: bad, now: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("alerts[0].when");
  });
});
