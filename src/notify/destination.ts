/**
 * What an alert, a digest or a drill hands to a destination (Slack, a
 * webhook, a GELF log), and what the destination answers. The alerting core
 * (src/core/alerts) decides what to announce and keeps delivery state; the
 * destinations (src/notify) only deliver, and say whether a failed delivery
 * may be retried without announcing twice.
 */

/** One entity an announcement is about. */
export interface NotifiedEntity {
  _key: string;
  _type: string;
  displayName: string;
  owner?: string;
  dueDate?: number;
  /** the dashboard's page for it, when `server.url` is configured */
  link?: string;
}

export type NotificationKind = "firing" | "repeat" | "resolved" | "digest" | "drill";

export interface Notification {
  /**
   * Stable for this announcement (rule, group, what changed): the same
   * announcement delivered again has the same id. Destinations that
   * de-duplicate use it (Slack's client_msg_id, the webhook's
   * Idempotency-Key header).
   */
  id: string;
  /** the alert rule's name (or "digest", "drill") */
  rule: string;
  kind: NotificationKind;
  /** one line, e.g. "overdue-maintenance: 3 overdue for payments" */
  title: string;
  /** the body as plain text (Slack renders it as mrkdwn) */
  text: string;
  /** the group_by value it is about (e.g. the owner), if the rule groups */
  group?: string;
  /** how many entities the rule's queries returned for this group */
  total: number;
  /** the entities announced (new, repeated or resolved), at most a few hundred */
  entities: NotifiedEntity[];
  /** when it was decided (epoch ms) */
  at: number;
  /** a canary of `dm drill` */
  drill?: boolean;
  /** the dashboard's page for this alert (or the dashboard), when `server.url` is configured: the webhook body's `dashboard` */
  dashboard?: string;
}

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status, when there was one */
  status?: number;
  /** what went wrong, without secrets (no token, no webhook URL) */
  error?: string;
  /**
   * Whether sending again is safe and useful: true when the destination
   * surely did not receive it (connection refused, 4xx/5xx answer before the
   * body was taken, 429) or de-duplicates by the notification's id; false
   * when it may have received it and would announce twice (a timeout after
   * the request was sent to an incoming webhook), or when it refused for
   * good (bad token, channel_not_found).
   */
  retryable: boolean;
}

/** One configured action, ready to deliver. */
export interface Destination {
  readonly type: "slack" | "webhook" | "gelf";
  /** how it is named in output and history: never a token or a secret URL (e.g. "slack #security", "webhook hooks.example.com") */
  readonly label: string;
  send(notification: Notification): Promise<DeliveryResult>;
}
