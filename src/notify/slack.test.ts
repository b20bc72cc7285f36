import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack.js";
import { ExternalServiceError } from "../shared/errors.js";
import { SlackNotifier } from "./slack.js";

describe("Slack", () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack({ token: "xoxb-test-123", channels: ["C1", "C2"] });
  });
  afterAll(() => slack.close());

  it("posts to every channel with chat.postMessage", async () => {
    await new SlackNotifier({ kind: "bot", apiUrl: slack.apiUrl, token: "xoxb-test-123", channels: ["C1", "C2"] }).notify("hello");
    expect(slack.messages.slice(-2)).toEqual([
      { via: "api", channel: "C1", text: "hello" },
      { via: "api", channel: "C2", text: "hello" },
    ]);
  });

  it("ok:false with HTTP 200 is a failure naming Slack's error", async () => {
    const bad = new SlackNotifier({ kind: "bot", apiUrl: slack.apiUrl, token: "xoxb-test-123", channels: ["C9"] });
    await expect(bad.notify("x")).rejects.toThrow(new ExternalServiceError("Slack", "Slack refused the notice (C9: channel_not_found)"));
    const wrongToken = new SlackNotifier({ kind: "bot", apiUrl: slack.apiUrl, token: "xoxb-wrong-9", channels: ["C1"] });
    const error = await wrongToken.notify("x").catch((e: unknown) => e);
    expect((error as Error).message).toBe("Slack refused the notice (C1: invalid_auth)");
  });

  it("the on-call notice is posted once when Slack took it and then answered 5xx or nothing (no blind retry of a POST)", async () => {
    for (const settings of [
      { kind: "bot" as const, apiUrl: slack.apiUrl, token: "xoxb-test-123", channels: ["C1"], backoffMs: 5, timeoutMs: 300 },
      { kind: "webhook" as const, webhookUrl: slack.webhookUrl, backoffMs: 5, timeoutMs: 300 },
    ]) {
      for (const fault of [{ status: 500 }, { status: 503 }, { hang: true as const }]) {
        const messages = slack.messages.length;
        const requests = slack.requests.length;
        slack.postThenFail(fault);
        const error = await new SlackNotifier(settings).notify("rotation changed").catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ExternalServiceError);
        expect((error as Error).message).toMatch(/not retried: the server may have acted on the POST/);
        expect(slack.messages.length - messages).toBe(1);
        expect(slack.requests.length - requests).toBe(1);
      }
    }
  });

  it("posts to an incoming webhook; a failure never shows the webhook URL", async () => {
    await new SlackNotifier({ kind: "webhook", webhookUrl: slack.webhookUrl }).notify("via hook");
    expect(slack.messages.at(-1)).toEqual({ via: "webhook", text: "via hook" });
    const error = await new SlackNotifier({ kind: "webhook", webhookUrl: `${slack.url}/services/T0/B0/WRONGSECRET` }).notify("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as Error).message).toMatch(/Slack \(incoming webhook\): HTTP 404 no_service/);
    expect((error as Error).message).not.toContain("WRONGSECRET");
  });
});
