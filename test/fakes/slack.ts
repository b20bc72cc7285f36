/**
 * Slack: chat.postMessage (Bearer token; HTTP 200 with `{ ok: false, error }`
 * for a bad token or an unknown channel) and incoming webhooks (`ok` as text).
 *
 * Like Slack, chat.postMessage drops a second message with a client_msg_id
 * it has already posted in that channel (answering ok with the first one's
 * ts); an incoming webhook has no such thing. Faults beyond startFakeServer's
 * (failNext/failAlways: 429, 5xx, no answer before anything is posted):
 * - `down()` / `hang()` / `up()`: every request answered 503, never
 *   answered, or served again;
 * - `postThenFail(...faults)`: the next messages ARE posted, then answered
 *   with the fault (5xx, or no answer): Slack got it, the client cannot know;
 * - `refuseNext(...errors)`: the next chat.postMessage calls answer
 *   `{ ok: false, error }` (ratelimited, not_in_channel, …).
 */
import { type Fault, type FakeReply, type FakeServer, startFakeServer } from "./http.js";

export interface SlackMessage {
  via: "api" | "webhook";
  channel?: string;
  text: string;
  /** chat.postMessage's client_msg_id, when one was sent */
  client_msg_id?: string;
}

export interface FakeSlack extends FakeServer {
  messages: SlackMessage[];
  /** base URL for the Web API (…/api) */
  apiUrl: string;
  webhookUrl: string;
  /** chat.postMessage calls whose client_msg_id had been posted already (dropped) */
  duplicatesDropped: number;
  down(): void;
  hang(): void;
  up(): void;
  postThenFail(...faults: Fault[]): void;
  refuseNext(...errors: string[]): void;
}

export async function startFakeSlack(options: { token: string; channels: string[]; webhookPath?: string }): Promise<FakeSlack> {
  const messages: SlackMessage[] = [];
  const webhookPath = options.webhookPath ?? "/services/T0000/B0000/XXXXXXXXXXXXXXXX";
  const posted = new Map<string, string>(); // channel + client_msg_id -> ts
  const afterPosting: Fault[] = [];
  const refusals: string[] = [];
  let dropped = 0;
  /** the message was posted: answer `reply`, unless told to fail afterwards */
  const answer = (reply: FakeReply): FakeReply | Promise<FakeReply> => {
    const fault = afterPosting.shift();
    if (!fault) return reply;
    if ("hang" in fault) return new Promise<FakeReply>(() => undefined);
    return { status: fault.status, json: { ok: false, error: "fake_failure_after_posting" } };
  };
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
      return answer({ text: "ok" });
    }
    if (req.method === "POST" && req.path === "/api/chat.postMessage") {
      if (req.headers.authorization !== `Bearer ${options.token}`) return { json: { ok: false, error: "invalid_auth" } };
      const refusal = refusals.shift();
      if (refusal) return { json: { ok: false, error: refusal } };
      const body = (req.headers["content-type"] ?? "").includes("json")
        ? (JSON.parse(req.body) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(req.body));
      const channel = String(body.channel ?? "");
      if (!options.channels.includes(channel)) return { json: { ok: false, error: "channel_not_found" } };
      if (typeof body.text !== "string" || body.text === "") return { json: { ok: false, error: "no_text" } };
      const id = typeof body.client_msg_id === "string" ? body.client_msg_id : undefined;
      const seen = id === undefined ? undefined : posted.get(`${channel} ${id}`);
      if (seen !== undefined) {
        dropped++;
        return { json: { ok: true, channel, ts: seen, message: { text: body.text } } };
      }
      const ts = `${Date.now() / 1000}`;
      if (id !== undefined) posted.set(`${channel} ${id}`, ts);
      messages.push({ via: "api", channel, text: body.text, ...(id === undefined ? {} : { client_msg_id: id }) });
      return answer({ json: { ok: true, channel, ts, message: { text: body.text } } });
    }
    if (req.path.startsWith("/services/")) return { status: 404, text: "no_service" };
    return { status: 404, json: { ok: false, error: "unknown_method" } };
  });
  const slack: FakeSlack = Object.assign(server, {
    messages,
    apiUrl: `${server.url}/api`,
    webhookUrl: `${server.url}${webhookPath}`,
    duplicatesDropped: 0,
    down: () => server.failAlways({ status: 503 }),
    hang: () => server.failAlways({ hang: true }),
    up: () => server.failAlways(undefined),
    postThenFail: (...faults: Fault[]) => {
      afterPosting.push(...faults);
    },
    refuseNext: (...errors: string[]) => {
      refusals.push(...errors);
    },
  });
  Object.defineProperty(slack, "duplicatesDropped", { get: () => dropped });
  return slack;
}
