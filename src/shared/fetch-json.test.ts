import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type FakeServer, startFakeServer } from "../../test/fakes/http.js";
import { SlackNotifier } from "../notify/slack.js";
import { HttpRequestError, requestJson } from "./fetch-json.js";

const ok = z.object({ ok: z.boolean() });
const fast = { service: "Test", label: "POST /hook", schema: ok, backoffMs: 5, timeoutMs: 300 } as const;

/** A port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function failureOf(promise: Promise<unknown>): Promise<HttpRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpRequestError);
  return error as HttpRequestError;
}

describe("requestJson: retries only what cannot be done twice", () => {
  let fake: FakeServer;
  beforeAll(async () => {
    fake = await startFakeServer(() => ({ json: { ok: true } }));
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.failAlways(undefined);
  });

  it("a POST answered 500 is sent once and says why it was not retried", async () => {
    fake.failNext({ status: 500 });
    const e = await failureOf(requestJson({ ...fast, url: `${fake.url}/hook`, method: "POST", body: { a: 1 } }));
    expect(fake.requests).toHaveLength(1);
    expect(e.message).toBe("Test (POST /hook): HTTP 500 (not retried: the server may have acted on the POST)");
    expect(e.failure).toEqual({ status: 500, received: "maybe", transient: true });
  });

  it("a POST answered 503 with Retry-After is not retried either (a proxy's 503 may follow a request the upstream got)", async () => {
    fake.failNext({ status: 503, retryAfter: "0" });
    await failureOf(requestJson({ ...fast, url: `${fake.url}/hook`, method: "POST", body: {} }));
    expect(fake.requests).toHaveLength(1);
  });

  it("a POST marked idempotent is retried after a 500 (the destination de-duplicates)", async () => {
    fake.failNext({ status: 500 });
    const r = await requestJson({ ...fast, url: `${fake.url}/hook`, method: "POST", body: {}, idempotent: true });
    expect(r.data).toEqual({ ok: true });
    expect(fake.requests).toHaveLength(2);
  });

  it("a POST that timed out after it was sent is not retried; idempotent, it is", async () => {
    fake.failNext({ hang: true });
    const e = await failureOf(requestJson({ ...fast, url: `${fake.url}/hook`, method: "POST", body: {} }));
    expect(e.message).toMatch(/no answer within 0.3 s \(not retried/);
    expect(e.failure).toEqual({ received: "maybe", transient: true });
    expect(fake.requests).toHaveLength(1);
    fake.requests.length = 0;
    fake.failNext({ hang: true });
    await requestJson({ ...fast, url: `${fake.url}/hook`, method: "POST", body: {}, idempotent: true });
    expect(fake.requests).toHaveLength(2);
  });

  it("a POST refused with 429 is retried (the server did not act on it)", async () => {
    fake.failNext({ status: 429, retryAfter: "0" }, { status: 429 });
    await requestJson({ ...fast, url: `${fake.url}/hook`, method: "POST", body: {} });
    expect(fake.requests).toHaveLength(3);
  });

  it("a POST whose connection was refused is retried, and arrives once", async () => {
    const port = await closedPort();
    let late: http.Server | undefined;
    const seen: string[] = [];
    // the first attempt is refused; a server appears on the port during the backoff
    setTimeout(() => {
      late = http.createServer((req, res) => {
        seen.push(req.method ?? "");
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      });
      late.listen(port, "127.0.0.1");
    }, 30);
    try {
      const r = await requestJson({ ...fast, backoffMs: 150, url: `http://127.0.0.1:${port}/hook`, method: "POST", body: {} });
      expect(r.data).toEqual({ ok: true });
      expect(seen).toEqual(["POST"]);
    } finally {
      late?.closeAllConnections();
      await new Promise<void>((r) => (late ? late.close(() => r()) : r()));
    }
  });

  it("a POST to nobody fails after every attempt, saying nothing was received", async () => {
    const port = await closedPort();
    const e = await failureOf(requestJson({ ...fast, attempts: 2, url: `http://127.0.0.1:${port}/hook`, method: "POST", body: {} }));
    expect(e.message).toBe("Test (POST /hook): cannot connect: ECONNREFUSED (tried 2 times)");
    expect(e.failure).toEqual({ received: "no", transient: true });
  });

  it("GET (and DELETE, PUT) after a 500 or a timeout is retried as before", async () => {
    fake.failNext({ status: 500 }, { status: 502 });
    await requestJson({ ...fast, label: "GET /x", url: `${fake.url}/x` });
    expect(fake.requests).toHaveLength(3);
    fake.failNext({ hang: true });
    await requestJson({ ...fast, label: "DELETE /x", url: `${fake.url}/x`, method: "DELETE" });
    expect(fake.requests).toHaveLength(5);
    fake.failAlways({ status: 500 });
    const e = await failureOf(requestJson({ ...fast, label: "GET /x", url: `${fake.url}/x` }));
    expect(e.message).toBe("Test (GET /x): HTTP 500 (tried 4 times)");
  });

  it("a 4xx is an answer, not retried and not transient", async () => {
    fake.failNext({ status: 404 });
    const e = await failureOf(requestJson({ ...fast, label: "GET /x", url: `${fake.url}/x` }));
    expect(e.failure).toEqual({ status: 404, received: "yes", transient: false });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("the on-call Slack notice", () => {
  let fake: FakeServer;
  beforeAll(async () => {
    fake = await startFakeServer((req) => (req.path.startsWith("/api/") ? { json: { ok: true } } : { text: "ok" }));
  });
  afterAll(() => fake.close());

  it("is posted once when Slack answers 5xx (chat.postMessage and the incoming webhook)", async () => {
    fake.failNext({ status: 500 });
    const bot = new SlackNotifier({ kind: "bot", apiUrl: `${fake.url}/api`, token: "xoxb-1", channels: ["C1"], backoffMs: 5 });
    await expect(bot.notify("rotation changed")).rejects.toThrow(/HTTP 500 \(not retried/);
    expect(fake.requests).toHaveLength(1);
    fake.failNext({ status: 503, retryAfter: "0" });
    const hook = new SlackNotifier({ kind: "webhook", webhookUrl: `${fake.url}/services/T/B/SECRET`, backoffMs: 5 });
    const e = await hook.notify("rotation changed").catch((x: unknown) => x as Error);
    expect(e?.message).toMatch(/Slack \(incoming webhook\): HTTP 503 \(not retried/);
    expect(e?.message).not.toContain("SECRET");
    expect(fake.requests).toHaveLength(2);
  });

  it("is still retried when Slack rate-limits it (429)", async () => {
    fake.requests.length = 0;
    fake.failNext({ status: 429, retryAfter: "0" });
    await new SlackNotifier({ kind: "bot", apiUrl: `${fake.url}/api`, token: "xoxb-1", channels: ["C1"], backoffMs: 5 }).notify("x");
    expect(fake.requests).toHaveLength(2);
  });
});
