/**
 * What the alerting core's tests share: a destination that records what it
 * got and answers from a script, an alert rule with overridable defaults,
 * and a store on each backend (opened by URL, as dm does).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AlertRule, parseCondition } from "../../src/core/alerts/config.js";
import type { DeliveryResult, Destination, Notification } from "../../src/notify/destination.js";
import { createTestDatabase, dropTestDatabase } from "./pg.js";

const MIN = 60_000;
const DAY = 86_400_000;

/** Records what it got; answers from `answers` in turn, then `fallback` (ok). */
export class FakeDestination implements Destination {
  readonly type = "webhook" as const;
  readonly sent: Notification[] = [];
  answers: DeliveryResult[] = [];
  constructor(
    readonly label = "webhook fake",
    private readonly fallback: DeliveryResult = { ok: true, retryable: false },
  ) {}
  async send(n: Notification): Promise<DeliveryResult> {
    const answer = this.answers.shift() ?? this.fallback;
    if (answer.ok) this.sent.push(n);
    return answer;
  }
}

/** The overdue-maintenance rule per owner, every 15 minutes, repeated daily; `overrides` change any part. */
export function alertRule(overrides: Partial<AlertRule> = {}): AlertRule {
  return {
    name: "overdue",
    description: "Overdue maintenance",
    queries: [{ name: "overdue", query: "Find deferred_maintenance with closed=false and dueDate < date.now" }],
    parameters: {},
    when: parseCondition("total > 0", "when"),
    whenText: "total > 0",
    groupBy: "owner",
    schedule: { kind: "interval", ms: 15 * MIN, source: "15m" },
    repeatMs: DAY,
    actions: [],
    origin: "config",
    source: "test",
    enabled: true,
    ...overrides,
  };
}

/** Where a test's store lives on each backend: an SQLite file or a fresh PostgreSQL database, and how to remove it. */
export const STORE_TARGETS = [
  {
    name: "sqlite",
    async target(): Promise<{ url: string; cleanup(): Promise<void> }> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-alerts-"));
      return { url: path.join(dir, "dm.db"), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: "postgres",
    async target(): Promise<{ url: string; cleanup(): Promise<void> }> {
      const url = await createTestDatabase();
      return { url, cleanup: () => dropTestDatabase(url) };
    },
  },
];
