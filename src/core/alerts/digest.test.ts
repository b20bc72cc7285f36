/**
 * Digests on both backends, through the real Slack destination and a fake
 * Slack on 127.0.0.1: content per owner (counts, the five worst, dashboard
 * links only with server.url), owners routed to their channel and the rest
 * to the default one, empty digests not sent, one digest per owner and
 * period however often it runs, and Slack down: pending, then delivered
 * exactly once.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../../../test/fakes/slack.js";
import { handMadeFinding } from "../../../test/helpers/findings.js";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { DESTINATIONS } from "./destinations.js";
import { InputError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import { type AlertAction, parseAlertsSection } from "./config.js";
import { parseDigestSection, periodStart } from "./digest-config.js";
import { buildDigests, DIGEST_RULE, runDigests } from "./digest.js";

const TOKEN = "xoxb-test-token-digest";
const NOW = Date.UTC(2026, 0, 5, 9); // a Monday, 09:00 UTC
const DAY = 86_400_000;
const FILE = "dm.config.yaml";

function graph() {
  const item = (id: string, short: string, due: number) => ({ id, short, link: `https://wiki.example.com/${id}`, due });
  const asset = (key: string, owner?: string) => ({ key, type: "CodeRepo", name: key, ...(owner ? { owner } : {}) });
  const specs = [
    // payments (written two ways): 4 overdue, 2 due within 14 days, 1 later
    [item("aaaa0001", "Upgrade Terraform", NOW - DAY), asset("billing", "payments")],
    [item("aaaa0002", "Rotate keys", NOW - 3 * DAY), asset("ledger", "Payments")],
    [item("aaaa0003", "Move to Node 20", NOW - 10 * DAY), asset("billing", "payments")],
    [item("aaaa0004", "Drop left-pad", NOW - 20 * DAY), asset("checkout", "payments")],
    [item("aaaa0005", "Renew cert", NOW + 2 * DAY), asset("checkout", "payments")],
    [item("aaaa0006", "Patch glibc", NOW + 10 * DAY), asset("ledger", "payments")],
    [item("aaaa0007", "Some day", NOW + 60 * DAY), asset("billing", "payments")],
    // web: nothing overdue or due soon: no digest
    [item("aaaa0008", "Later", NOW + 40 * DAY), asset("site", "web")],
    // identity: not under owners: -> the default channel
    [item("aaaa0009", "Rotate LDAP bind", NOW - 5 * DAY), asset("sso", "identity")],
    // no owner: the unowned digest, to the default channel
    [item("aaaa0010", "Orphan upgrade", NOW - 2 * DAY), asset("lost")],
  ] as const;
  const made = specs.map(([i, a]) => handMadeFinding(i, a, NOW));
  return { entities: made.map((m) => m.entity), relationships: [] };
}

function setupFor(slack: FakeSlack, extra: Record<string, unknown> = {}) {
  const doc = {
    server: { url: "https://dm.example.com/" },
    digests: { schedule: "weekly", soon: "14d", actions: [{ type: "slack", token: "env:SLACK_BOT_TOKEN", channel: "#maintenance", url: slack.apiUrl }] },
    owners: { Payments: { slack: "#payments" } },
    ...extra,
  };
  return parseDigestSection(doc, FILE, DESTINATIONS)!;
}

const readSecret = async (ref: string) => {
  if (ref === "env:SLACK_BOT_TOKEN") return TOKEN;
  throw new Error(`no secret ${ref}`);
};
const destinations = (actions: readonly AlertAction[]) => actions.map((a) => DESTINATIONS.destinationFor(a.parsed as never, readSecret));

describe.each(BACKENDS)("digests (%s)", (backend) => {
  let store: GraphStore;
  let close: () => Promise<void>;
  let slack: FakeSlack;

  // a fresh Slack per test: it remembers the client_msg_ids it posted
  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN, channels: ["#maintenance", "#payments"] });
    ({ store, close } = await openTestStore(backend));
    await store.upsert(graph(), { now: NOW, source: "test" });
  });
  afterEach(async () => {
    await close();
    await slack.close();
  });

  it("counts per owner, lists the five worst (most overdue first), links to the dashboard only with server.url", async () => {
    const { digests, empty } = await buildDigests(store, { now: NOW, soonMs: 14 * DAY, serverUrl: "https://dm.example.com" });
    expect(empty).toBe(1); // web
    expect(digests.map((d) => [d.owner, d.overdue, d.dueSoon, d.open])).toEqual([
      ["identity", 1, 0, 1],
      ["payments", 4, 2, 7],
      [null, 1, 0, 1],
    ]);
    const payments = digests[1]!;
    expect(payments.worst.map((i) => [i.shortDescription, i.entityName, i.overdue])).toEqual([
      ["Drop left-pad", "checkout", true],
      ["Move to Node 20", "billing", true],
      ["Rotate keys", "ledger", true],
      ["Upgrade Terraform", "billing", true],
      ["Renew cert", "checkout", false],
    ]);
    expect(payments.worst[0]).toMatchObject({ maintenanceId: "aaaa0004", dueDate: NOW - 20 * DAY, link: "https://dm.example.com/campaigns/aaaa0004" });
    expect(payments.dashboard).toBe("https://dm.example.com/");

    const bare = await buildDigests(store, { now: NOW, soonMs: 14 * DAY, owner: "PAYMENTS" });
    expect(bare.digests).toHaveLength(1);
    expect(bare.digests[0]!.worst.every((i) => i.link === undefined)).toBe(true);
    expect(bare.digests[0]!.dashboard).toBeUndefined();
  });

  it("sends each owner's digest to its channel, the others to the default one, and no empty digest", async () => {
    const run = await runDigests(store, setupFor(slack), { now: NOW, destinations });
    expect(run.period).toBe("2026-01-05T08:00:00.000Z");
    expect(run.deliveries.map((d) => [d.group, d.destination, d.status])).toEqual([
      ["identity", "slack #maintenance", "sent"],
      ["payments", "slack #payments", "sent"],
      [null, "slack #maintenance", "sent"],
    ]);
    expect(slack.messages.map((m) => m.channel)).toEqual(["#maintenance", "#payments", "#maintenance"]);
    const text = slack.messages[1]!.text;
    expect(text).toContain("*Maintenance digest for payments: 4 overdue, 2 due within 14 days*");
    expect(text).toContain("7 open in all; the 5 worst of 6:");
    expect(text).toContain("• 20 days overdue: Drop left-pad on checkout (due 2025-12-16, aaaa0004) https://dm.example.com/campaigns/aaaa0004");
    expect(text).toContain("Dashboard: https://dm.example.com/");
    expect(slack.messages[2]!.text).toContain("Maintenance digest for unowned items: 1 overdue");
    expect(slack.messages.some((m) => m.text.includes("for web"))).toBe(false);
    expect(JSON.stringify(run)).not.toContain(TOKEN);
  });

  it("sends once per owner and period, however often it runs; the next period sends again", async () => {
    const setup = setupFor(slack);
    await runDigests(store, setup, { now: NOW, destinations });
    const again = await runDigests(store, setup, { now: NOW + 3_600_000, destinations });
    expect(again.digests.map((d) => d.notification)).toEqual((await runDigests(store, setup, { now: NOW, dryRun: true, destinations })).digests.map((d) => d.notification));
    expect(again.deliveries).toEqual([]);
    expect(slack.messages).toHaveLength(3);
    expect(slack.duplicatesDropped).toBe(0);
    const dry = await runDigests(store, setup, { now: NOW + 2 * 3_600_000, dryRun: true, destinations });
    expect(dry.deliveries.map((d) => d.status)).toEqual(["sent", "sent", "sent"]);
    const nextWeek = await runDigests(store, setup, { now: NOW + 7 * DAY, destinations });
    expect(nextWeek.period).toBe("2026-01-12T08:00:00.000Z");
    expect(nextWeek.deliveries.filter((d) => d.status === "sent")).toHaveLength(3);
    expect(slack.messages).toHaveLength(6);
  });

  it("keeps a digest pending while Slack is down and delivers it once when Slack is back", async () => {
    const setup = setupFor(slack);
    slack.down();
    const down = await runDigests(store, setup, { now: NOW, destinations });
    expect(down.deliveries.map((d) => d.status)).toEqual(["pending", "pending", "pending"]);
    expect(down.pending).toBe(3);
    expect(slack.messages).toHaveLength(0);
    slack.up();
    // before the backoff (1 min): nothing is retried
    expect((await runDigests(store, setup, { now: NOW + 30_000, destinations })).deliveries).toEqual([]);
    const back = await runDigests(store, setup, { now: NOW + 2 * 60_000, destinations });
    expect(back.deliveries.map((d) => d.status)).toEqual(["sent", "sent", "sent"]);
    expect(back.pending).toBe(0);
    await runDigests(store, setup, { now: NOW + 10 * 60_000, destinations });
    expect(slack.messages.map((m) => m.channel).sort()).toEqual(["#maintenance", "#maintenance", "#payments"]);
    expect((await store.alertDeliveries({ rule: DIGEST_RULE })).map((d) => d.status)).toEqual(["sent", "sent", "sent"]);
  });

  it("writes and sends nothing on a dry run", async () => {
    const dry = await runDigests(store, setupFor(slack), { now: NOW, dryRun: true, destinations });
    expect(dry.deliveries.map((d) => d.status)).toEqual(["would-send", "would-send", "would-send"]);
    expect(slack.messages).toHaveLength(0);
    expect(await store.alertDeliveries({ rule: DIGEST_RULE })).toEqual([]);
  });
});

describe("digest settings", () => {
  const action = { type: "slack", token: "env:SLACK_BOT_TOKEN", channel: "#maintenance" };
  const parse = (doc: unknown) => parseDigestSection(doc, FILE, DESTINATIONS);
  const message = (doc: unknown) => {
    try {
      parse(doc);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    }
    throw new Error("expected an error");
  };

  it("reads schedule, soon, server.url and the owners' routes", () => {
    const s = parse({ server: { url: "https://dm.example.com" }, digests: { schedule: "daily", soon: "7d", actions: [action] }, owners: { Payments: { slack: "#payments" } } })!;
    expect(s.schedule.source).toBe("0 8 * * *");
    expect(s.soonMs).toBe(7 * 86_400_000);
    expect(s.serverUrl).toBe("https://dm.example.com");
    expect(s.owners.get("payments")!.actions.map((a) => a.parsed)).toEqual([{ ...action, channel: "#payments" }]);
    expect(parse({})).toBeUndefined();
    expect(parse({ digests: {} })!.schedule.source).toBe("0 8 * * 1");
    expect(periodStart(s.schedule, Date.UTC(2026, 0, 5, 7))).toBe(Date.UTC(2026, 0, 4, 8));
  });

  it("names the file and the key of a mistake", () => {
    expect(message({ digests: { shedule: "daily" } })).toBe(`${FILE}: digests.shedule: not a setting`);
    expect(message({ digests: { schedule: "every day" } })).toMatch(/^dm\.config\.yaml: digests\.schedule: /);
    expect(message({ digests: { soon: "soon" } })).toMatch(/^dm\.config\.yaml: digests\.soon: "soon" is not a period/);
    expect(message({ digests: { actions: [{ type: "slack", webhook: "env:HOOK" }] }, owners: { web: { slack: "#web" } } })).toMatch(
      /^dm\.config\.yaml: owners\.web\.slack: needs a slack action with token:/,
    );
    expect(message({ digests: {}, owners: { web: {} } })).toMatch(/^dm\.config\.yaml: owners\.web: give slack/);
    expect(message({ digests: { actions: [action] }, owners: { Web: { slack: "#a" }, web: { slack: "#b" } } })).toMatch(/owners\.web: the same owner as owners\.Web/);
    expect(message({ owners: { web: { slack: "#web" } } })).toMatch(/owners: routes digests, and there is no digests: section/);
    expect(message({ server: { url: "dm.example.com" }, digests: {} })).toMatch(/^dm\.config\.yaml: server\.url: /);
    const rule = { name: "digest", queries: [{ name: "q", query: "Find deferred_maintenance" }] };
    expect(() => parseAlertsSection({ alerts: [rule] }, FILE, DESTINATIONS)).toThrow('alerts[0].name: "digest" is reserved for digests');
  });
});
