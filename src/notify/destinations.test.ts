import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type GelfListener, startGelfListener } from "../../test/fakes/gelf-listener.js";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack.js";
import { type FakeWebhook, startFakeWebhook } from "../../test/fakes/webhook.js";
import { InputError } from "../shared/errors.js";
import type { DeliveryResult, Destination, Notification } from "./destination.js";
import { type ActionConfig, clientMsgId, destinationFor, parseAction, signBody, verifySignature, webhookBody } from "./destinations.js";

const TOKEN = "xoxb-dest-test-5f2a9c";
const HOOK_PATH = "/services/T0DEST/B0DEST/h00kS3cretPathValue";
const SECRET = "whsec-shared-7d41e0";

const secrets: Record<string, string> = {};
const readSecret = async (ref: string, key: string) => {
  const v = secrets[ref];
  if (v === undefined) throw new InputError(`${key}: ${ref} is not set`);
  return v;
};
const fast = { timeoutMs: 300, backoffMs: 5 };

let seq = 0;
function notification(over: Partial<Notification> = {}): Notification {
  seq++;
  return {
    id: `overdue-maintenance/payments/${seq}`,
    rule: "overdue-maintenance",
    kind: "firing",
    title: `overdue-maintenance: 2 overdue for payments (${seq})`,
    text: "Upgrade Terraform to 1.x (20 days overdue)\nRotate deploy keys (3 days overdue)",
    group: "payments",
    total: 2,
    entities: [
      { _key: "repo:payments", _type: "github_repo", displayName: "payments", owner: "payments", dueDate: Date.UTC(2026, 10, 15), link: "https://dm.example.com/e/repo:payments" },
      { _key: "repo:billing", _type: "github_repo", displayName: "billing" },
    ],
    at: Date.UTC(2026, 11, 5, 7, 0, 0),
    ...over,
  };
}

/** every label and error we produced, to check that no secret is in any */
const seen: string[] = [];
async function deliver(d: Destination, n = notification()): Promise<DeliveryResult> {
  const r = await d.send(n);
  seen.push(d.label, r.error ?? "");
  return r;
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("alert destinations", () => {
  let slack: FakeSlack;
  let hook: FakeWebhook;
  let gelf: GelfListener;
  beforeAll(async () => {
    [slack, hook, gelf] = await Promise.all([
      startFakeSlack({ token: TOKEN, channels: ["#security", "#payments"], webhookPath: HOOK_PATH }),
      startFakeWebhook({ secret: SECRET }),
      startGelfListener(),
    ]);
    secrets["env:SLACK_BOT_TOKEN"] = TOKEN;
    secrets["env:SLACK_WEBHOOK_URL"] = slack.webhookUrl;
    secrets["env:DM_WEBHOOK_SECRET"] = SECRET;
  });
  afterEach(() => {
    slack.up();
    hook.failAlways(undefined);
  });
  afterAll(async () => {
    await Promise.all([slack.close(), hook.close(), gelf.close()]);
    // no secret in any label or error produced above
    const all = seen.join("\n");
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(HOOK_PATH);
    expect(all).not.toContain("h00kS3cretPathValue");
    expect(all).not.toContain(SECRET);
  });

  const bot = (channel = "#security") =>
    destinationFor(parseAction({ type: "slack", token: "env:SLACK_BOT_TOKEN", channel, url: slack.apiUrl }, "alerts[0].actions[0]"), readSecret, fast);
  const slackHook = () => destinationFor(parseAction({ type: "slack", webhook: "env:SLACK_WEBHOOK_URL" }, "a"), readSecret, fast);
  const webhook = (url = hook.hookUrl) => destinationFor(parseAction({ type: "webhook", url, secret: "env:DM_WEBHOOK_SECRET" }, "a"), readSecret, fast);

  describe("Slack chat.postMessage", () => {
    it("posts once, with a client_msg_id derived from the notification's id", async () => {
      const d = await bot();
      expect(d).toMatchObject({ type: "slack", label: "slack #security" });
      const n = notification();
      const before = slack.messages.length;
      expect(await deliver(d, n)).toEqual({ ok: true, status: 200, retryable: false });
      expect(slack.messages.slice(before)).toEqual([{ via: "api", channel: "#security", text: `*${n.title}*\n${n.text}`, client_msg_id: clientMsgId(n.id) }]);
      expect(clientMsgId(n.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(clientMsgId(n.id)).toBe(clientMsgId(n.id));
      expect(clientMsgId(n.id)).not.toBe(clientMsgId(`${n.id}x`));
    });

    it("the same notification delivered again is not posted twice (Slack drops the repeated client_msg_id)", async () => {
      const d = await bot();
      const n = notification();
      const before = slack.messages.length;
      const dropped = slack.duplicatesDropped;
      expect((await deliver(d, n)).ok).toBe(true);
      expect((await deliver(d, n)).ok).toBe(true);
      expect(slack.messages.length - before).toBe(1);
      expect(slack.duplicatesDropped - dropped).toBe(1);
    });

    it("posted, then 500 or no answer: retried, and still posted once", async () => {
      const d = await bot();
      const before = slack.messages.length;
      slack.postThenFail({ status: 500 });
      expect((await deliver(d)).ok).toBe(true);
      slack.postThenFail({ hang: true });
      expect((await deliver(d)).ok).toBe(true);
      expect(slack.messages.length - before).toBe(2);
    });

    it("Slack down (503) or silent: not ok, retryable, nothing posted", async () => {
      const d = await bot();
      const before = slack.messages.length;
      slack.down();
      const down = await deliver(d);
      expect(down).toMatchObject({ ok: false, status: 503, retryable: true });
      expect(down.error).toMatch(/^Slack \(chat.postMessage to #security\): HTTP 503 \(tried 3 times\)$/);
      slack.hang();
      const silent = await deliver(d);
      expect(silent).toMatchObject({ ok: false, retryable: true });
      expect(silent.error).toMatch(/no answer within 0.3 s/);
      slack.up();
      expect(slack.messages.length).toBe(before);
    });

    it("rate limited: ok:false ratelimited and HTTP 429 are retryable", async () => {
      const d = await bot();
      slack.refuseNext("ratelimited");
      expect(await deliver(d)).toMatchObject({ ok: false, retryable: true, error: "Slack refused the message to #security: ratelimited" });
      slack.failAlways({ status: 429, retryAfter: "0" });
      expect(await deliver(d)).toMatchObject({ ok: false, status: 429, retryable: true });
    });

    it("refusals for good are not retryable: invalid_auth, channel_not_found, not_in_channel", async () => {
      const wrong = await destinationFor({ type: "slack", token: "env:OTHER", channel: "#security", url: slack.apiUrl }, async () => "xoxb-wrong-token-000", fast);
      expect(await deliver(wrong)).toMatchObject({ ok: false, retryable: false, error: "Slack refused the message to #security: invalid_auth" });
      expect(await deliver(await bot("#nowhere"))).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/^Slack refused the message to #nowhere: channel_not_found/) });
      slack.refuseNext("not_in_channel");
      expect(await deliver(await bot())).toMatchObject({ ok: false, retryable: false, error: "Slack refused the message to #security: not_in_channel (invite the bot to the channel)" });
    });

    it("connection refused: retryable", async () => {
      const port = await closedPort();
      const d = await destinationFor({ type: "slack", token: "env:SLACK_BOT_TOKEN", channel: "#security", url: `http://127.0.0.1:${port}/api` }, readSecret, fast);
      expect(await deliver(d)).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/cannot connect: ECONNREFUSED/) });
    });
  });

  describe("Slack incoming webhook", () => {
    it("posts, labelled without its URL", async () => {
      const d = await slackHook();
      expect(d.label).toBe("slack webhook");
      const before = slack.messages.length;
      expect(await deliver(d)).toEqual({ ok: true, status: 200, retryable: false });
      expect(slack.messages.slice(before)).toMatchObject([{ via: "webhook" }]);
    });

    it("5xx or a timeout after sending: not retryable (Slack may have posted it), and not sent twice", async () => {
      const d = await slackHook();
      const requests = slack.requests.length;
      slack.postThenFail({ status: 500 });
      const failed = await deliver(d);
      expect(failed).toMatchObject({ ok: false, status: 500, retryable: false });
      expect(failed.error).toMatch(/HTTP 500 .*Slack may have posted it, and an incoming webhook cannot de-duplicate: not sent again/);
      slack.postThenFail({ hang: true });
      const silent = await deliver(d);
      expect(silent).toMatchObject({ ok: false, retryable: false });
      expect(silent.error).toMatch(/no answer within 0.3 s/);
      expect(slack.requests.length - requests).toBe(2);
      slack.down();
      expect(await deliver(d)).toMatchObject({ ok: false, status: 503, retryable: false });
    });

    it("429: retryable (not posted); connection refused: retryable; 404 (a revoked webhook): not", async () => {
      const d = await slackHook();
      slack.failAlways({ status: 429, retryAfter: "0" });
      expect(await deliver(d)).toMatchObject({ ok: false, status: 429, retryable: true });
      slack.up();
      const port = await closedPort();
      const gone = await destinationFor({ type: "slack", webhook: "env:X" }, async () => `http://127.0.0.1:${port}${HOOK_PATH}`, fast);
      expect(await deliver(gone)).toMatchObject({ ok: false, retryable: true });
      const revoked = await destinationFor({ type: "slack", webhook: "env:X" }, async () => `${slack.url}/services/T0DEST/B0DEST/h00kS3cretPathValueOLD`, fast);
      const r = await deliver(revoked);
      expect(r).toMatchObject({ ok: false, status: 404, retryable: false });
      expect(r.error).toBe("Slack (incoming webhook): HTTP 404 no_service");
    });
  });

  describe("webhook", () => {
    it("POSTs the documented body, signed; the receiver verifies the signature", async () => {
      const d = await destinationFor({ type: "webhook", url: hook.hookUrl, secret: "env:DM_WEBHOOK_SECRET" }, readSecret, { ...fast, now: () => Date.UTC(2026, 11, 5, 7, 0, 5) });
      expect(d).toMatchObject({ type: "webhook", label: `webhook ${new URL(hook.url).host}` });
      const n = notification({ dashboard: "https://dm.example.com/alerts/overdue-maintenance" });
      expect(await deliver(d, n)).toEqual({ ok: true, status: 202, retryable: false });
      const req = hook.deliveries.at(-1)!;
      expect(hook.badSignatures).toBe(0);
      expect(req.headers["idempotency-key"]).toBe(n.id);
      expect(req.headers["user-agent"]).toBe("deferred-maintenance");
      expect(req.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(req.headers["x-dm-timestamp"]).toBe(String(Date.UTC(2026, 11, 5, 7, 0, 5) / 1000));
      expect(req.headers["x-dm-signature"]).toBe(signBody(req.body, SECRET));
      expect(verifySignature(req.body, req.headers["x-dm-signature"], SECRET)).toBe(true);
      expect(hook.bodies.at(-1)).toEqual({
        version: 1,
        id: n.id,
        alert: "overdue-maintenance",
        status: "firing",
        kind: "firing",
        title: n.title,
        text: n.text,
        group: "payments",
        total: 2,
        entities: [
          { _key: "repo:payments", _type: "github_repo", displayName: "payments", owner: "payments", dueDate: "2026-11-15T00:00:00.000Z", webLink: "https://dm.example.com/e/repo:payments" },
          { _key: "repo:billing", _type: "github_repo", displayName: "billing", owner: null, dueDate: null, webLink: null },
        ],
        dashboard: "https://dm.example.com/alerts/overdue-maintenance",
        drill: false,
        at: "2026-12-05T07:00:00.000Z",
        sentOn: "2026-12-05T07:00:05.000Z",
      });
      expect(webhookBody(notification({ kind: "resolved", group: undefined, drill: true }), 0)).toMatchObject({ status: "resolved", group: null, drill: true, dashboard: null });
    });

    it("verifySignature refuses a changed body, another secret, a malformed header", () => {
      const body = '{"version":1}';
      const sig = signBody(body, SECRET);
      expect(verifySignature(Buffer.from(body), sig, SECRET)).toBe(true);
      expect(verifySignature(`${body} `, sig, SECRET)).toBe(false);
      expect(verifySignature(body, sig, "another")).toBe(false);
      expect(verifySignature(body, sig.slice(7), SECRET)).toBe(false);
      expect(verifySignature(body, undefined, SECRET)).toBe(false);
      expect(verifySignature(body, "sha256=zz", SECRET)).toBe(false);
    });

    it("a receiver with another secret refuses it: 401, not retryable", async () => {
      const d = await destinationFor({ type: "webhook", url: hook.hookUrl, secret: "env:X" }, async () => "not-the-shared-secret", fast);
      const bad = hook.badSignatures;
      const r = await deliver(d);
      expect(r).toMatchObject({ ok: false, status: 401, retryable: false });
      expect(r.error).toMatch(/the credentials were refused \(HTTP 401\)/);
      expect(hook.badSignatures).toBe(bad + 1);
    });

    it("received, then 500 or no answer: retried with the same Idempotency-Key, taken once", async () => {
      const d = await webhook();
      const bodies = hook.bodies.length;
      const deliveries = hook.deliveries.length;
      hook.receiveThenFail({ status: 500 }, { hang: true });
      const n = notification();
      expect((await deliver(d, n)).ok).toBe(true);
      expect(hook.deliveries.length - deliveries).toBe(3);
      expect(new Set(hook.deliveries.slice(deliveries).map((r) => r.headers["idempotency-key"]))).toEqual(new Set([n.id]));
      expect(hook.bodies.length - bodies).toBe(1);
    });

    it("5xx, 429 and timeouts are retryable; other 4xx are not", async () => {
      const d = await webhook();
      hook.failAlways({ status: 502 });
      expect(await deliver(d)).toMatchObject({ ok: false, status: 502, retryable: true, error: `Webhook (POST ${new URL(hook.url).host}): HTTP 502 (tried 3 times)` });
      hook.failAlways({ status: 429, retryAfter: "0" });
      expect(await deliver(d)).toMatchObject({ ok: false, status: 429, retryable: true });
      hook.failAlways({ hang: true });
      expect(await deliver(d)).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/no answer within 0.3 s/) });
      hook.failAlways({ status: 400 });
      expect(await deliver(d)).toMatchObject({ ok: false, status: 400, retryable: false });
      hook.failAlways(undefined);
      expect(await deliver(await webhook(`${hook.url}/elsewhere`))).toMatchObject({ ok: false, status: 404, retryable: false });
      const port = await closedPort();
      expect(await deliver(await webhook(`http://127.0.0.1:${port}/dm`))).toMatchObject({ ok: false, retryable: true });
    });
  });

  describe("GELF", () => {
    it("one message per notification over UDP and TCP, with the alert's fields", async () => {
      const udp = await destinationFor(parseAction({ type: "gelf", url: `udp://127.0.0.1:${gelf.udpPort}` }, "a"), readSecret);
      const tcp = await destinationFor(parseAction({ type: "gelf", url: `tcp://127.0.0.1:${gelf.tcpPort}` }, "a"), readSecret);
      expect(udp.label).toBe(`gelf 127.0.0.1:${gelf.udpPort}`);
      const before = gelf.messages.length;
      const n = notification();
      expect(await deliver(udp, n)).toEqual({ ok: true, retryable: false });
      expect(await deliver(tcp, notification({ kind: "resolved", group: undefined }))).toEqual({ ok: true, retryable: false });
      const got = (await gelf.waitFor(before + 2)).slice(before);
      const fromUdp = got.find((m) => m._notification_id === n.id)!;
      expect(fromUdp).toMatchObject({ short_message: n.title, full_message: n.text, level: 4, _rule: "overdue-maintenance", _kind: "firing", _group: "payments", _total: 2 });
      const fromTcp = got.find((m) => m._notification_id !== n.id)!;
      expect(fromTcp).toMatchObject({ level: 6, _kind: "resolved" });
      expect(fromTcp._group).toBeUndefined();
    });

    it("TCP refused or an unknown host: not ok, retryable (nothing left)", async () => {
      const port = await closedPort();
      const refused = await destinationFor({ type: "gelf", url: `tcp://127.0.0.1:${port}` }, readSecret);
      expect(await deliver(refused)).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/^Graylog \(gelf 127.0.0.1:\d+\): .*ECONNREFUSED/) });
      const nohost = await destinationFor({ type: "gelf", url: "udp://no-such-host.invalid:12201" }, readSecret);
      expect(await deliver(nohost)).toMatchObject({ ok: false, retryable: true });
    });
  });
});

describe("parseAction", () => {
  const bad = (raw: unknown) => {
    try {
      parseAction(raw, "alerts[0].actions[1]");
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  };

  it("reads the documented shapes", () => {
    const shapes: ActionConfig[] = [
      { type: "webhook", url: "https://hooks.example.com/dm", secret: "env:DM_WEBHOOK_SECRET" },
      { type: "slack", webhook: "env:SLACK_WEBHOOK_URL" },
      { type: "slack", token: "env:SLACK_BOT_TOKEN", channel: "#security" },
      { type: "slack", token: "vault:secret/dm#slack", channel: "C0123", url: "http://127.0.0.1:9/api" },
      { type: "gelf", url: "udp://graylog.example.com:12201" },
      { type: "gelf", url: "tcp://graylog.example.com" },
    ];
    for (const s of shapes) expect(parseAction(s, "a")).toEqual(s);
  });

  it("names the field of a mistake", () => {
    expect(bad({ type: "webhook", url: "https://h/dm", secret: "env:S", headers: {} })).toBe("alerts[0].actions[1].headers: not a setting of a webhook action");
    expect(bad({ type: "webhook", url: "ftp://h/dm", secret: "env:S" })).toBe("alerts[0].actions[1].url: an http:// or https:// URL");
    expect(bad({ type: "webhook", url: "https://h/dm" })).toBe("alerts[0].actions[1].secret: missing");
    expect(bad({ type: "slack", token: "env:T" })).toMatch(/^alerts\[0\]\.actions\[1\]\.channel: the channel to post to/);
    expect(bad({ type: "slack", channel: "#x" })).toMatch(/^alerts\[0\]\.actions\[1\]\.webhook: write webhook: env:NAME/);
    expect(bad({ type: "slack", webhook: "env:W", token: "env:T", channel: "#x" })).toMatch(/^alerts\[0\]\.actions\[1\]\.token: write either webhook or token/);
    expect(bad({ type: "slack", webhook: "env:W", chanel: "#x" })).toBe("alerts[0].actions[1].chanel: not a setting of a slack action");
    expect(bad({ type: "gelf", url: "graylog:12201" })).toBe("alerts[0].actions[1].url: udp://host:port or tcp://host:port");
    expect(bad({ type: "email", to: "a@b" })).toBe("alerts[0].actions[1].type: not a known type: write webhook, slack or gelf");
    expect(bad({ url: "https://h" })).toBe("alerts[0].actions[1].type: missing: write webhook, slack or gelf");
    expect(bad("slack")).toMatch(/^alerts\[0\]\.actions\[1\]: an action is a mapping/);
  });

  it("a secret written inline is refused without being repeated", () => {
    const token = "xoxb-123456789012-inline-secret";
    const url = "https://hooks.slack.com/services/T000/B000/inlineSecretPath";
    const m1 = bad({ type: "slack", token, channel: "#x" });
    expect(m1).toMatch(/^alerts\[0\]\.actions\[1\]\.token: write a reference, not the secret/);
    expect(m1).not.toContain(token);
    const m2 = bad({ type: "slack", webhook: url });
    expect(m2).toMatch(/^alerts\[0\]\.actions\[1\]\.webhook: write a reference/);
    expect(m2).not.toContain("inlineSecretPath");
    expect(bad({ type: "webhook", url: "https://h/dm", secret: "hunter2hunter2" })).not.toContain("hunter2");
  });
});
