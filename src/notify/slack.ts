/**
 * Slack notices: chat.postMessage with a bot token to each channel, or one
 * incoming webhook. Slack answers HTTP 200 with `{ ok: false, error }` when
 * it refuses a message; that is a failure too. The webhook URL is a secret:
 * it never appears in messages.
 */
import { z } from "zod";
import { ExternalServiceError } from "../shared/errors.js";
import { requestJson } from "../shared/fetch-json.js";

export interface Notifier {
  notify(text: string): Promise<void>;
}

const PostMessageResponse = z.object({ ok: z.boolean(), error: z.string().optional() });

export type SlackSettings =
  | { kind: "bot"; apiUrl: string; token: string; channels: string[]; timeoutMs?: number; backoffMs?: number }
  | { kind: "webhook"; webhookUrl: string; timeoutMs?: number; backoffMs?: number };

export class SlackNotifier implements Notifier {
  constructor(private readonly s: SlackSettings) {}

  async notify(text: string): Promise<void> {
    const s = this.s;
    if (s.kind === "webhook") {
      await requestJson({
        service: "Slack",
        label: "incoming webhook",
        url: s.webhookUrl,
        method: "POST",
        body: { text },
        schema: z.string(),
        text: true,
        timeoutMs: s.timeoutMs,
        backoffMs: s.backoffMs,
        authHint: "Check the Slack webhook URL.",
      });
      return;
    }
    const failures: string[] = [];
    for (const channel of s.channels) {
      const { data } = await requestJson({
        service: "Slack",
        label: `chat.postMessage to ${channel}`,
        url: `${s.apiUrl}/chat.postMessage`,
        method: "POST",
        headers: { Authorization: `Bearer ${s.token}` },
        body: { channel, text, unfurl_links: false },
        schema: PostMessageResponse,
        timeoutMs: s.timeoutMs,
        backoffMs: s.backoffMs,
        authHint: "Check the Slack bot token (it needs chat:write).",
      });
      if (!data?.ok) failures.push(`${channel}: ${data?.error ?? "unknown error"}`);
    }
    if (failures.length > 0) {
      throw new ExternalServiceError("Slack", `Slack refused the notice (${failures.join("; ")})`, {
        details: failures.some((f) => f.endsWith("not_in_channel")) ? ["Invite the bot to the channel."] : [],
      });
    }
  }
}
