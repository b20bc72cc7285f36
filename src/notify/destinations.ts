/**
 * The actions of an alert rule (`actions:` in dm.config.yaml) and the
 * destinations that deliver a Notification to them: Slack (chat.postMessage
 * with a bot token, or an incoming webhook), a signed generic webhook, and a
 * GELF log line. See destination.ts for the contract with the alerting core.
 *
 * A destination never throws for a failed delivery: it answers
 * `{ ok: false, error, retryable }`, where `retryable` says whether sending
 * the same notification again is safe (the destination surely did not get
 * it, or de-duplicates by the notification's id) and useful (not a refusal
 * for good). Secrets (the bot token, the incoming webhook's URL, the webhook's
 * HMAC key) never appear in a label or an error.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CredentialRef } from "../integrations/credentials.js";
import { InputError } from "../shared/errors.js";
import { HttpRequestError, neverSent, requestJson } from "../shared/fetch-json.js";
import type { DeliveryResult, Destination, Notification } from "./destination.js";
import { GelfSender } from "./gelf.js";

// ---------------------------------------------------------------------------
// configuration

const HttpUrl = z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" });

const WebhookAction = z.strictObject({
  type: z.literal("webhook"),
  /** where to POST (the host is shown in labels; the URL itself is not treated as a secret) */
  url: HttpUrl,
  /** the HMAC-SHA256 key, a credential reference */
  secret: CredentialRef,
});

const SlackAction = z
  .strictObject({
    type: z.literal("slack"),
    /** an incoming webhook's URL, a credential reference (the URL is the secret) */
    webhook: CredentialRef.optional(),
    /** a bot token (chat:write), a credential reference, with `channel` */
    token: CredentialRef.optional(),
    channel: z.string().min(1, "a channel name (#security) or ID").optional(),
    /** the Slack Web API base (default https://slack.com/api), for a proxy or a test */
    url: HttpUrl.optional(),
  })
  .superRefine((a, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (a.webhook !== undefined && a.token !== undefined) fail("token", "write either webhook or token (with channel), not both");
    else if (a.webhook === undefined && a.token === undefined) fail("webhook", "write webhook: env:NAME (an incoming webhook) or token: env:NAME with channel");
    else if (a.token !== undefined && a.channel === undefined) fail("channel", 'the channel to post to ("#security" or its ID), with token');
    else if (a.webhook !== undefined && a.channel !== undefined) fail("channel", "an incoming webhook posts to its own channel: channel goes with token");
    else if (a.webhook !== undefined && a.url !== undefined) fail("url", "the Slack API base is for token; an incoming webhook is its own URL");
  });

const GelfAction = z.strictObject({
  type: z.literal("gelf"),
  /** udp://host:port or tcp://host:port (port 12201 when left out) */
  url: z.string().regex(/^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(:\d{1,5})?\/?$/, "udp://host:port or tcp://host:port"),
});

export type WebhookActionConfig = z.infer<typeof WebhookAction>;
export type SlackActionConfig = z.infer<typeof SlackAction>;
export type GelfActionConfig = z.infer<typeof GelfAction>;
export type ActionConfig = WebhookActionConfig | SlackActionConfig | GelfActionConfig;

const SCHEMAS = { webhook: WebhookAction, slack: SlackAction, gelf: GelfAction } as const;

/**
 * One entry of `actions:`. `where` names it in messages ("alerts[0].actions[1]"
 * or "dm.config.yaml: alerts.overdue.actions[1]"); a mistake is an InputError
 * naming `where.key`, and never repeats a value (it may be a secret written
 * inline).
 */
export function parseAction(raw: unknown, where: string): ActionConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError(`${where}: an action is a mapping with a type (webhook, slack or gelf)`);
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== "string" || !Object.hasOwn(SCHEMAS, type)) {
    throw new InputError(`${where}.type: ${type === undefined ? "missing" : "not a known type"}: write webhook, slack or gelf`);
  }
  const parsed = SCHEMAS[type as keyof typeof SCHEMAS].safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const unknown = issue.code === "unrecognized_keys";
  const at = [where, ...issue.path.map(String), ...(unknown ? [issue.keys[0]!] : [])].join(".");
  const message = unknown
    ? `not a setting of a ${type} action`
    : issue.code === "invalid_type" && /received undefined/.test(issue.message)
      ? "missing"
      : issue.message;
  throw new InputError(`${at}: ${message}`, {
    details: parsed.error.issues.length > 1 ? [`(and ${parsed.error.issues.length - 1} more problem${parsed.error.issues.length > 2 ? "s" : ""})`] : [],
  });
}

// ---------------------------------------------------------------------------
// destinations

export interface DestinationOptions {
  /** per HTTP attempt / TCP connect, milliseconds (default 10 s) */
  timeoutMs?: number;
  /** HTTP attempts in all, when a retry is safe (default 3); the alerting core retries later anyway */
  attempts?: number;
  /** first backoff between attempts (default 250 ms) */
  backoffMs?: number;
  /** how the action is named when a secret cannot be read (default "slack.token", "webhook.secret", …) */
  where?: string;
  /** the clock, for the webhook's sentOn (tests) */
  now?: () => number;
}

/** A GELF action's address: udp:// or tcp://, the host (brackets off an IPv6 address), the port (default 12201). */
function gelfAddress(url: string): { protocol: "udp" | "tcp"; host: string; hostText: string; port: number } {
  const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(url)!;
  return { protocol: m[1] as "udp" | "tcp", host: m[2]!.replace(/^\[|\]$/g, ""), hostText: m[2]!, port: Number(m[3] ?? 12201) };
}

/**
 * How an action is named in output and delivery history, known before any
 * secret is read: "slack #security", "slack webhook", "webhook host", "gelf host:port".
 */
export function labelOf(action: Pick<ActionConfig, "type"> & { url?: string; channel?: string; webhook?: string }): string {
  switch (action.type) {
    case "slack":
      return action.channel !== undefined ? `slack ${action.channel}` : "slack webhook";
    case "webhook":
      return `webhook ${new URL(action.url!).host}`;
    case "gelf": {
      const a = gelfAddress(action.url!);
      return `gelf ${a.hostText}:${a.port}`;
    }
  }
}

export async function destinationFor(
  action: ActionConfig,
  readSecret: (ref: string, key: string) => Promise<string>,
  options: DestinationOptions = {},
): Promise<Destination> {
  const where = options.where ?? action.type;
  switch (action.type) {
    case "webhook":
      return new WebhookDestination(action.url, await readSecret(action.secret, `${where}.secret`), options);
    case "slack":
      if (action.webhook !== undefined) return new SlackWebhookDestination(await readSecret(action.webhook, `${where}.webhook`), options);
      return new SlackBotDestination(action.url ?? "https://slack.com/api", await readSecret(action.token!, `${where}.token`), action.channel!, options);
    case "gelf":
      return new GelfDestination(action.url, options);
  }
}

/** Replaces every secret (and a webhook URL's path) in a message by ***. */
function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("***");
  return out;
}

/** The notification as Slack text: the title in bold, then the body (Slack renders mrkdwn). */
function slackText(n: Notification): string {
  const body = n.text.trim();
  return body === "" ? `*${n.title}*` : `*${n.title}*\n${body}`;
}

/** A UUID (v4 layout) derived from the notification's id: the same announcement always gets the same client_msg_id. */
export function clientMsgId(notificationId: string): string {
  const b = createHash("sha256").update(`dm-notification:${notificationId}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Slack's `ok: false` errors worth trying again later; the others (invalid_auth, channel_not_found, not_in_channel, …) are for good. */
const SLACK_TRANSIENT = new Set(["ratelimited", "rate_limited", "service_unavailable", "internal_error", "fatal_error", "request_timeout"]);

const PostMessageAnswer = z.object({ ok: z.boolean(), error: z.string().optional() });

class SlackBotDestination implements Destination {
  readonly type = "slack" as const;
  readonly label: string;

  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
    private readonly channel: string,
    private readonly o: DestinationOptions,
  ) {
    this.label = labelOf({ type: "slack", channel });
  }

  async send(n: Notification): Promise<DeliveryResult> {
    try {
      const { status, data } = await requestJson({
        service: "Slack",
        label: `chat.postMessage to ${this.channel}`,
        url: `${this.apiUrl.replace(/\/+$/, "")}/chat.postMessage`,
        method: "POST",
        headers: { Authorization: `Bearer ${this.token}` },
        body: { channel: this.channel, text: slackText(n), client_msg_id: clientMsgId(n.id), unfurl_links: false, unfurl_media: false },
        schema: PostMessageAnswer,
        // Slack drops a second message with the same client_msg_id: safe to send again after a 5xx or a timeout
        idempotent: true,
        attempts: this.o.attempts ?? 3,
        timeoutMs: this.o.timeoutMs,
        backoffMs: this.o.backoffMs,
        authHint: "Check the Slack bot token (it needs chat:write).",
      });
      if (data?.ok) return { ok: true, status, retryable: false };
      const code = data?.error ?? "unknown_error";
      const hint = code === "not_in_channel" ? " (invite the bot to the channel)" : code === "channel_not_found" ? " (check the channel's name, or invite the bot to it if it is private)" : "";
      return { ok: false, status, error: scrub(`Slack refused the message to ${this.channel}: ${code}${hint}`, [this.token]), retryable: SLACK_TRANSIENT.has(code) };
    } catch (error) {
      const f = error instanceof HttpRequestError ? error.failure : undefined;
      // de-duplicated by client_msg_id: whatever Slack may have received, sending again is safe when the failure is transient
      return { ok: false, status: f?.status, error: scrub((error as Error).message, [this.token]), retryable: f?.transient ?? false };
    }
  }
}

class SlackWebhookDestination implements Destination {
  readonly type = "slack" as const;
  readonly label = "slack webhook";
  private readonly secrets: string[];

  constructor(
    private readonly webhookUrl: string,
    private readonly o: DestinationOptions,
  ) {
    let path = "";
    try {
      path = new URL(webhookUrl).pathname;
    } catch {
      // a bad URL fails at send, without being shown
    }
    this.secrets = [webhookUrl, ...(path.length > 1 ? [path] : [])];
  }

  async send(n: Notification): Promise<DeliveryResult> {
    try {
      const { status } = await requestJson({
        service: "Slack",
        label: "incoming webhook",
        url: this.webhookUrl,
        method: "POST",
        body: { text: slackText(n), unfurl_links: false, unfurl_media: false },
        schema: z.string(),
        text: true,
        // no de-duplication: fetch-json retries only what Slack surely did not get (refused connection, 429)
        attempts: this.o.attempts ?? 3,
        timeoutMs: this.o.timeoutMs,
        backoffMs: this.o.backoffMs,
        authHint: "Check the Slack webhook URL.",
      });
      return { ok: true, status, retryable: false };
    } catch (error) {
      const f = error instanceof HttpRequestError ? error.failure : undefined;
      let message = scrub((error as Error).message, this.secrets);
      if (f?.transient && f.received === "maybe") {
        message += "; Slack may have posted it, and an incoming webhook cannot de-duplicate: not sent again";
      }
      return { ok: false, status: f?.status, error: message, retryable: f?.transient === true && f.received === "no" };
    }
  }
}

// ---------------------------------------------------------------------------
// the generic webhook

/** What a receiver gets (docs/alerts-webhook.md): version 1. */
export interface WebhookBody {
  version: 1;
  /** the notification's id, also the Idempotency-Key header */
  id: string;
  alert: string;
  status: "firing" | "resolved";
  kind: Notification["kind"];
  title: string;
  text: string;
  group: string | null;
  total: number;
  entities: { _key: string; _type: string; displayName: string; owner: string | null; dueDate: string | null; webLink: string | null }[];
  dashboard: string | null;
  drill: boolean;
  /** when the alert was decided (stable across retries) */
  at: string;
  /** when this delivery attempt was made */
  sentOn: string;
}

export function webhookBody(n: Notification, now: number): WebhookBody {
  return {
    version: 1,
    id: n.id,
    alert: n.rule,
    status: n.kind === "resolved" ? "resolved" : "firing",
    kind: n.kind,
    title: n.title,
    text: n.text,
    group: n.group ?? null,
    total: n.total,
    entities: n.entities.map((e) => ({
      _key: e._key,
      _type: e._type,
      displayName: e.displayName,
      owner: e.owner ?? null,
      dueDate: e.dueDate === undefined ? null : new Date(e.dueDate).toISOString(),
      webLink: e.link ?? null,
    })),
    dashboard: n.dashboard ?? null,
    drill: n.drill === true,
    at: new Date(n.at).toISOString(),
    sentOn: new Date(now).toISOString(),
  };
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes, keyed by the shared secret. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** For receivers (and tests): whether X-DM-Signature matches the body, compared in constant time. */
export function verifySignature(body: string | Buffer, header: string | string[] | null | undefined, secret: string): boolean {
  if (typeof header !== "string" || !/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return false;
  const expected = Buffer.from(signBody(body, secret), "utf8");
  const got = Buffer.from(header.trim().toLowerCase(), "utf8");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

class WebhookDestination implements Destination {
  readonly type = "webhook" as const;
  readonly label: string;

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly o: DestinationOptions,
  ) {
    this.label = labelOf({ type: "webhook", url });
  }

  async send(n: Notification): Promise<DeliveryResult> {
    const now = (this.o.now ?? Date.now)();
    const body = JSON.stringify(webhookBody(n, now));
    try {
      const { status } = await requestJson({
        service: "Webhook",
        label: `POST ${new URL(this.url).host}`,
        url: this.url,
        method: "POST",
        headers: {
          "Idempotency-Key": n.id,
          "X-DM-Signature": signBody(body, this.secret),
          "X-DM-Timestamp": String(Math.floor(now / 1000)),
          "User-Agent": "deferred-maintenance",
        },
        rawBody: body,
        schema: z.string(),
        text: true,
        // the receiver de-duplicates by Idempotency-Key
        idempotent: true,
        attempts: this.o.attempts ?? 3,
        timeoutMs: this.o.timeoutMs,
        backoffMs: this.o.backoffMs,
        authHint: "The receiver refused dm's request: check the shared secret on both sides.",
      });
      return { ok: true, status, retryable: false };
    } catch (error) {
      const f = error instanceof HttpRequestError ? error.failure : undefined;
      return { ok: false, status: f?.status, error: scrub((error as Error).message, [this.secret]), retryable: f?.transient ?? false };
    }
  }
}

// ---------------------------------------------------------------------------
// GELF

class GelfDestination implements Destination {
  readonly type = "gelf" as const;
  readonly label: string;
  private readonly sender: GelfSender;

  constructor(url: string, o: DestinationOptions) {
    const { protocol, host, port } = gelfAddress(url);
    this.label = labelOf({ type: "gelf", url });
    this.sender = new GelfSender({ host, port, protocol, timeoutMs: o.timeoutMs });
  }

  async send(n: Notification): Promise<DeliveryResult> {
    const fields: Record<string, string | number | boolean> = { rule: n.rule, kind: n.kind, total: n.total, notification_id: n.id };
    if (n.group !== undefined) fields.group = n.group;
    if (n.drill) fields.drill = true;
    try {
      await this.sender.send({ short_message: n.title, full_message: n.text || undefined, level: n.kind === "firing" || n.kind === "repeat" ? 4 : 6, fields });
      // UDP: handed to the network is all there is to know
      return { ok: true, retryable: false };
    } catch (error) {
      // a log line is not de-duplicated: sent again only when it surely did not leave (no connection, DNS)
      return { ok: false, error: `Graylog (${this.label}): ${(error as Error).message}`, retryable: neverSent(error) };
    }
  }
}
