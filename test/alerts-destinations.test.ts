/**
 * dm alerts through the real destinations: a fake Slack Web API, a webhook
 * receiver that checks the signature and de-duplicates by Idempotency-Key,
 * and a GELF listener, all on 127.0.0.1. Announced once across runs; Slack
 * down keeps the notification pending and it is delivered on a later run
 * exactly once; a webhook that took the body and then failed is retried
 * with the same key and the receiver keeps one; no secret in any output.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "./fakes/slack.js";
import { type FakeWebhook, startFakeWebhook } from "./fakes/webhook.js";
import { type GelfListener, startGelfListener } from "./fakes/gelf-listener.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;
const MIN = 60_000;
const TOKEN = "xoxb-fake-alerts-token-123";
const SECRET = "hook-shared-secret-456";

const finding = (key: string, owner: string, dueDate: number) => ({
  _key: key,
  _type: "deferred_maintenance",
  _class: "Finding",
  displayName: key,
  shortDescription: `fix ${key}`,
  closed: false,
  owner,
  dueDate,
});

describe("dm alerts to Slack, a webhook and GELF", () => {
  let slack: FakeSlack;
  let hook: FakeWebhook;
  let gelf: GelfListener;
  const dir = tempDir("dm-alerts-dest-");
  const db = path.join(dir, "dm.db");
  const env = { SLACK_TOKEN: TOKEN, HOOK_SECRET: SECRET };
  const run = async (at: number) => {
    const r = await dm(["alerts", "run", "--json", "--db", db], { cwd: dir, now: at, env });
    for (const secret of [TOKEN, SECRET]) expect(r.stdout + r.stderr).not.toContain(secret);
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
  };
  const load = async (entities: ReturnType<typeof finding>[], at: number) => {
    const file = path.join(dir, `g-${at}.json`);
    fs.writeFileSync(file, JSON.stringify({ entities, relationships: [] }));
    expect((await dm(["import", file, "--db", db], { cwd: dir, now: at })).code).toBe(0);
  };

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN, channels: ["#security"] });
    hook = await startFakeWebhook({ secret: SECRET });
    gelf = await startGelfListener();
    fs.writeFileSync(
      path.join(dir, "dm.config.yaml"),
      `server:
  url: https://dm.example.com
alerts:
  - name: overdue-maintenance
    queries:
      - name: overdue
        query: Find deferred_maintenance with closed=false and dueDate < date.now
    when: total > 0
    group_by: owner
    interval: 15m
    repeat: 1d
    actions:
      - type: slack
        url: ${slack.apiUrl}
        token: env:SLACK_TOKEN
        channel: "#security"
      - type: webhook
        url: ${hook.hookUrl}
        secret: env:HOOK_SECRET
      - type: gelf
        url: udp://127.0.0.1:${gelf.udpPort}
`,
    );
    await load([finding("f-pay", "payments", NOW - DAY), finding("f-web", "web", NOW - 2 * DAY), finding("f-later", "web", NOW + DAY)], NOW - 1);
  });
  afterAll(async () => {
    await Promise.all([slack?.close(), hook?.close(), gelf?.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("announces each overdue group once to every destination, signed, and not again on the next run", async () => {
    const first = await run(NOW);
    expect(first.code, first.stderr).toBe(0);
    const deliveries = first.json.rules[0].deliveries as { destination: string; status: string; group: string }[];
    expect(deliveries.map((d) => `${d.destination} ${d.group} ${d.status}`).sort()).toEqual([
      `gelf 127.0.0.1:${gelf.udpPort} payments sent`,
      `gelf 127.0.0.1:${gelf.udpPort} web sent`,
      "slack #security payments sent",
      "slack #security web sent",
      `webhook 127.0.0.1:${new URL(hook.hookUrl).port} payments sent`,
      `webhook 127.0.0.1:${new URL(hook.hookUrl).port} web sent`,
    ]);
    expect(slack.messages.map((m) => m.channel)).toEqual(["#security", "#security"]);
    expect(slack.messages.every((m) => typeof m.client_msg_id === "string")).toBe(true);
    expect(hook.badSignatures).toBe(0);
    expect(hook.bodies.map((b) => b.group).sort()).toEqual(["payments", "web"]);
    // the web group: only its overdue finding, not the one due tomorrow
    const web = hook.bodies.find((b) => b.group === "web") as { entities: { _key: string }[] };
    expect(web.entities.map((e) => e._key)).toEqual(["f-web"]);
    // with server.url, each entity links to its page on the dashboard
    expect((web.entities[0] as { webLink?: string }).webLink).toBe("https://dm.example.com/assets/f-web");
    await gelf.waitFor(2);

    const again = await run(NOW + 15 * MIN);
    expect(again.code).toBe(0);
    expect(again.json.rules[0].deliveries).toEqual([]);
    expect([slack.messages.length, hook.bodies.length, gelf.messages.length]).toEqual([2, 2, 2]);
  });

  it("Slack down: the new group's notice stays pending and is delivered once when Slack is back", async () => {
    await load([finding("f-id", "identity", NOW - DAY)], NOW + 20 * MIN);
    slack.down();
    const down = await run(NOW + 30 * MIN);
    const slackDelivery = (r: typeof down) => (r.json.rules[0].deliveries as { destination: string; status: string; group: string }[]).find((d) => d.destination === "slack #security");
    expect(slackDelivery(down)).toMatchObject({ group: "identity", status: "pending" });
    expect(slack.messages).toHaveLength(2);
    expect(hook.bodies.map((b) => b.group)).toContain("identity");

    slack.up();
    // the retry waits out its backoff (a minute for the first)
    const back = await run(NOW + 45 * MIN);
    expect(back.code, back.stderr).toBe(0);
    expect(slackDelivery(back)).toMatchObject({ group: "identity", status: "sent" });
    expect(slack.messages).toHaveLength(3);
    expect(slack.messages[2]!.text).toContain("identity");
    const later = await run(NOW + 60 * MIN);
    expect(later.json.rules[0].deliveries).toEqual([]);
    expect(slack.messages).toHaveLength(3);
    expect(hook.bodies.filter((b) => b.group === "identity")).toHaveLength(1);
  });

  it("a webhook that took the body and then failed (502) is sent again with the same key; the receiver keeps it once", async () => {
    await load([finding("f-data", "data", NOW - DAY)], NOW + 61 * MIN);
    hook.receiveThenFail({ status: 502 });
    const first = await run(NOW + 75 * MIN);
    // the webhook de-duplicates by Idempotency-Key, so the destination may send again at once
    const hookDelivery = (first.json.rules[0].deliveries as { destination: string; status: string; group: string }[]).find((d) => d.destination.startsWith("webhook"));
    expect(hookDelivery).toMatchObject({ group: "data", status: "sent" });
    const keys = hook.deliveries.filter((d) => String(d.body).includes('"data"')).map((d) => d.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect(hook.bodies.filter((b) => b.group === "data")).toHaveLength(1);
  });

  it("the history lists every delivery, without secrets", async () => {
    const r = await dm(["alerts", "history", "--db", db, "--json"], { cwd: dir, now: NOW + 2 * 60 * MIN, env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(TOKEN);
    expect(r.stdout).not.toContain(SECRET);
    const rows = JSON.parse(r.stdout) as { status: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(12);
    expect(rows.every((x) => x.status === "sent")).toBe(true);
  });
});
