/**
 * Slack: chat.postMessage (Bearer token; HTTP 200 with `{ ok: false, error }`
 * for a bad token or an unknown channel) and incoming webhooks (`ok` as text).
 */
import { type FakeServer, startFakeServer } from "./http.js";

export interface SlackMessage {
  via: "api" | "webhook";
  channel?: string;
  text: string;
}

export interface FakeSlack extends FakeServer {
  messages: SlackMessage[];
  /** base URL for the Web API (…/api) */
  apiUrl: string;
  webhookUrl: string;
}

export async function startFakeSlack(options: { token: string; channels: string[]; webhookPath?: string }): Promise<FakeSlack> {
  const messages: SlackMessage[] = [];
  const webhookPath = options.webhookPath ?? "/services/T0000/B0000/XXXXXXXXXXXXXXXX";
  const server = await startFakeServer((req) => {
    if (req.method === "POST" && req.path === webhookPath) {
      let text: unknown;
      try {
        text = (JSON.parse(req.body) as { text?: unknown }).text;
      } catch {
        return { status: 400, text: "invalid_payload" };
      }
      if (typeof text !== "string") return { status: 400, text: "no_text" };
      messages.push({ via: "webhook", text });
      return { text: "ok" };
    }
    if (req.method === "POST" && req.path === "/api/chat.postMessage") {
      if (req.headers.authorization !== `Bearer ${options.token}`) return { json: { ok: false, error: "invalid_auth" } };
      const body = (req.headers["content-type"] ?? "").includes("json")
        ? (JSON.parse(req.body) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(req.body));
      const channel = String(body.channel ?? "");
      if (!options.channels.includes(channel)) return { json: { ok: false, error: "channel_not_found" } };
      if (typeof body.text !== "string" || body.text === "") return { json: { ok: false, error: "no_text" } };
      messages.push({ via: "api", channel, text: body.text });
      return { json: { ok: true, channel, ts: `${Date.now() / 1000}`, message: { text: body.text } } };
    }
    if (req.path.startsWith("/services/")) return { status: 404, text: "no_service" };
    return { status: 404, json: { ok: false, error: "unknown_method" } };
  });
  return Object.assign(server, { messages, apiUrl: `${server.url}/api`, webhookUrl: `${server.url}${webhookPath}` });
}
