/**
 * `dm sync pagerduty` end to end against the PagerDuty fake (pages of 2, so
 * every list is followed through several pages): the graph, a second run
 * unchanged, and the failures (401, 429, 500, a hang, one team's members
 * refused, an unknown setting).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pagerdutyIntegration } from "../src/integrations/pagerduty/index.js";
import type { EntityRecord } from "../src/store/types.js";
import { dataModelProblemsOf } from "./data-model.js";
import { type FakePagerDuty, startFakePagerDuty } from "./fakes/pagerduty.js";
import { answerOf } from "./helpers/graph.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const H = 3_600_000;
const D = 24 * H;
const TOKEN = "pd-secret-token-8842";
const iso = (ms: number) => new Date(ms).toISOString();

const query = (db: string, text: string) => answerOf(db, text, NOW);

describe("dm sync pagerduty", () => {
  let pd: FakePagerDuty;
  let cwd: string;
  let db: string;

  const writeConfig = (extra = "") =>
    fs.writeFileSync(
      path.join(cwd, "dm.config.yaml"),
      `integrations:\n  - id: pagerduty\n    url: ${pd.url}\n    token: env:PD_TOKEN\n    lookahead: 14d\n    timeout: 500ms\n${extra}`,
    );
  const sync = (now = NOW, token = TOKEN) => dm(["sync", "pagerduty", "--db", db, "--json"], { cwd, env: { PD_TOKEN: token }, now });

  beforeAll(async () => {
    pd = await startFakePagerDuty({ token: TOKEN, pageSize: 2 });
  });
  afterAll(() => pd.close());

  beforeEach(() => {
    pd.failNext();
    pd.failAlways(undefined);
    pd.requests.length = 0;
    pd.forbidden.clear();
    pd.users.length = 0;
    pd.users.push(
      { id: "PU1", name: "Alice Smith", email: "Alice@Example.org", role: "admin" },
      { id: "PU2", name: "Bob Brown", email: "bob@example.org" },
      { id: "PU3", name: "Carol Jones", email: "carol@example.org" },
      { id: "PU4", name: "Dave Lee", email: "dave@example.org" },
    );
    pd.teams.length = 0;
    pd.teams.push(
      { id: "PT1", name: "Payments", members: [{ userId: "PU1", role: "manager" }, { userId: "PU2", role: "responder" }] },
      { id: "PT2", name: "Identity", members: [{ userId: "PU3", role: "responder" }] },
    );
    pd.schedules.length = 0;
    pd.schedules.push(
      { id: "PSC1", name: "Payments Primary", userIds: ["PU2", "PU3"] },
      { id: "PSC2", name: "Identity Primary", userIds: ["PU1", "PU4"] },
    );
    pd.escalationPolicies.length = 0;
    pd.escalationPolicies.push(
      { id: "PE1", name: "Payments EP", rules: [{ delay: 0, targets: [{ type: "schedule", id: "PSC1" }] }, { delay: 30, targets: [{ type: "user", id: "PU1" }] }] },
      { id: "PE2", name: "Identity EP", rules: [{ delay: 0, targets: [{ type: "schedule", id: "PSC2" }] }] },
      { id: "PE3", name: "Nobody", rules: [] },
    );
    pd.services.length = 0;
    pd.services.push(
      { id: "PS1", name: "payments-api", teamIds: ["PT1"], escalationPolicyId: "PE1" },
      { id: "PS2", name: "auth-gateway", teamIds: ["PT2"], escalationPolicyId: "PE2" },
      { id: "PS3", name: "legacy-cron", teamIds: [], escalationPolicyId: "PE3", status: "disabled" },
    );
    pd.oncalls.length = 0;
    pd.oncalls.push(
      { scheduleId: "PSC1", userId: "PU2", start: iso(NOW - 2 * H), end: iso(NOW + 6 * H) },
      { scheduleId: "PSC1", userId: "PU3", start: iso(NOW + 6 * H), end: iso(NOW + 30 * H) },
      { scheduleId: "PSC1", userId: "PU2", start: iso(NOW + 2 * D), end: iso(NOW + 3 * D) },
      { scheduleId: "PSC2", userId: "PU1", start: iso(NOW + 3 * D), end: iso(NOW + 10 * D) },
      // after the 14-day window: not on call
      { scheduleId: "PSC2", userId: "PU4", start: iso(NOW + 20 * D), end: iso(NOW + 27 * D) },
      // Alice as the direct second level of Payments EP: permanent, no schedule
      { scheduleId: null, userId: "PU1", escalationPolicyId: "PE1", level: 2 },
    );
    cwd = tempDir("dm-pd-");
    db = path.join(tempDir(), "dm.db");
    writeConfig();
  });

  it("syncs users, teams, services, schedules, escalation policies and who is on call", async () => {
    const r = await sync();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ integration: "pagerduty", instance: `pagerduty:${pd.url}`, status: "succeeded", deleted: 0 });
    expect(await query(db, "Find pagerduty_user")).toEqual(["pagerduty_user:PU1", "pagerduty_user:PU2", "pagerduty_user:PU3", "pagerduty_user:PU4"]);
    expect(await query(db, "Find pagerduty_user with name='Alice Smith' as u return u.email, u.role")).toEqual([
      { "u.email": ["alice@example.org"], "u.role": "admin" },
    ]);
    expect(await query(db, "Find pagerduty_user that HAS pagerduty_team that ASSIGNED pagerduty_service with name='payments-api'")).toEqual([
      "pagerduty_user:PU1",
      "pagerduty_user:PU2",
    ]);
    // Bob and Carol through the schedule, Alice as the second level
    expect(await query(db, "Find pagerduty_user that MONITORS pagerduty_service with name='payments-api'")).toEqual([
      "pagerduty_user:PU1",
      "pagerduty_user:PU2",
      "pagerduty_user:PU3",
    ]);
    expect(
      await query(
        db,
        "Find pagerduty_user as u that ASSIGNED as a pagerduty_schedule as s return u.name, s.name, a.onCallFrom, a.onCallUntil, a.onCallNow, a.shifts order by s.name, a.onCallFrom",
      ),
    ).toEqual([
      { "u.name": "Alice Smith", "s.name": "Identity Primary", "a.onCallFrom": NOW + 3 * D, "a.onCallUntil": NOW + 10 * D, "a.onCallNow": false, "a.shifts": 1 },
      { "u.name": "Bob Brown", "s.name": "Payments Primary", "a.onCallFrom": NOW - 2 * H, "a.onCallUntil": NOW + 6 * H, "a.onCallNow": true, "a.shifts": 2 },
      { "u.name": "Carol Jones", "s.name": "Payments Primary", "a.onCallFrom": NOW + 6 * H, "a.onCallUntil": NOW + 30 * H, "a.onCallNow": false, "a.shifts": 1 },
    ]);
    // every list followed through its pages of 2, with the documented headers and window
    const oncalls = pd.requests.filter((q) => q.path === "/oncalls");
    expect(oncalls.map((q) => q.query.get("offset"))).toEqual(["0", "2", "4"]);
    expect(oncalls[0]!.query.get("since")).toBe(iso(NOW));
    expect(oncalls[0]!.query.get("until")).toBe(iso(NOW + 14 * D));
    expect(pd.requests.filter((q) => q.path === "/users").map((q) => q.query.get("offset"))).toEqual(["0", "2"]);
    expect(pd.requests.every((q) => q.headers.accept === "application/vnd.pagerduty+json;version=2")).toBe(true);
    // the token never reaches the database
    expect(fs.readFileSync(db).includes(Buffer.from(TOKEN))).toBe(false);
  });

  it("a second run changes nothing", async () => {
    expect((await sync()).code).toBe(0);
    // an hour later: the same shifts, nobody's on-call state changed
    const again = JSON.parse((await sync(NOW + H)).stdout);
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
  });

  it("JupiterOne-style question: services no user monitors", async () => {
    // JupiterOne publishes no managed question for its PagerDuty integration
    // (JupiterOne/graph-pagerduty has no jupiterone/questions; docs/jupiterone.md
    // names "compliance evidence of system/service monitoring and on-call
    // escalation" as the purpose). This is that evidence in its model's terms,
    // written as a JupiterOne managed question would be:
    expect(await query(db, "FIND pagerduty_service THAT !MONITORS pagerduty_user")).toEqual([]);
    await sync();
    expect(await query(db, "FIND pagerduty_service THAT !MONITORS pagerduty_user")).toEqual(["pagerduty_service:PS3"]);
    // and who is on call now, by email
    expect(await query(db, "FIND pagerduty_user AS u THAT ASSIGNED AS a pagerduty_schedule WHERE a.onCallNow = true RETURN u.email")).toEqual([
      { "u.email": ["bob@example.org"] },
    ]);
  });

  it("writes only entities that satisfy JupiterOne's data model", async () => {
    const entities: EntityRecord[] = [];
    const config = pagerdutyIntegration.configSchema.parse({ url: pd.url, token: "env:PD_TOKEN" });
    for await (const batch of pagerdutyIntegration.sync({
      config,
      instance: "pagerduty:test",
      now: NOW,
      cwd,
      warn: (w) => {
        throw new Error(w.message);
      },
      note: () => undefined,
      progress: () => undefined,
      secret: async () => TOKEN,
      env: () => undefined,
      cache: { get: () => undefined, set: () => undefined },
      seen: () => undefined,
    })) {
      entities.push(...batch.entities);
    }
    expect(new Set(entities.map((e) => e._type))).toEqual(
      new Set(["pagerduty_user", "pagerduty_team", "pagerduty_service", "pagerduty_schedule", "pagerduty_escalation_policy"]),
    );
    expect(dataModelProblemsOf(entities)).toEqual([]);
  });

  it("an expired key: exit 3 naming PagerDuty, the endpoint and what to check; the graph stays", async () => {
    expect((await sync()).code).toBe(0);
    const r = await sync(NOW + 1000, "pd-expired-token-0001");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("PagerDuty (GET /users): the credentials were refused (HTTP 401)");
    expect(r.stderr).toContain("Check the PagerDuty API key");
    expect(`${r.stdout}${r.stderr}`).not.toContain("pd-expired-token-0001");
    expect(await query(db, "Find pagerduty_user")).toHaveLength(4);
    expect(await query(db, "Find pagerduty_user that ASSIGNED pagerduty_schedule")).toHaveLength(3);
    // a key that may not read a whole list: the same, naming that list
    pd.forbidden.add("/escalation_policies");
    const denied = await sync(NOW + 2000);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain("PagerDuty (GET /escalation_policies): the credentials were refused (HTTP 403)");
    expect(await query(db, "Find pagerduty_escalation_policy")).toHaveLength(3);
  });

  it("429 with Retry-After and a 500 are retried, and the run succeeds", async () => {
    pd.failNext({ status: 429, retryAfter: "1" }, { status: 500 });
    const started = Date.now();
    const r = await sync();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // the first /users page was asked three times
    expect(pd.requests.filter((q) => q.path === "/users" && q.query.get("offset") === "0")).toHaveLength(3);
  });

  it("a service that does not answer times out with a clear error", async () => {
    pd.failAlways({ hang: true });
    const r = await sync();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("PagerDuty (GET /users): no answer within 0.5 s (tried 4 times)");
    expect(r.stderr.trim().split("\n")).toEqual([
      "error: PagerDuty (GET /users): no answer within 0.5 s (tried 4 times)",
      "Nothing was changed: the graph is as it was before this run.",
    ]);
    expect(await query(db, "Find pagerduty_user")).toEqual([]);
  });

  it("one team's members refused: a warning, the run is partial and deletes nothing", async () => {
    expect((await sync()).code).toBe(0);
    pd.forbidden.add("/teams/PT2/members");
    pd.users.splice(3, 1); // Dave left
    const r = await sync(NOW + 1000);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: "partial", deleted: 0 });
    expect(summary.warnings).toEqual([
      {
        file: "team Identity",
        message: "PagerDuty (GET /teams/PT2/members) refused or not found: its memberships were skipped. Check that the API key may read this team.",
      },
    ]);
    expect(await query(db, "Find pagerduty_user with name='Dave Lee'")).toEqual(["pagerduty_user:PU4"]);
    expect(await query(db, "Find pagerduty_user that HAS pagerduty_team with name='Identity'")).toEqual(["pagerduty_user:PU3"]);
    // a later run that succeeds removes him and his MONITORS auth-gateway (through Identity Primary)
    pd.forbidden.clear();
    expect(JSON.parse((await sync(NOW + 2000)).stdout)).toMatchObject({ status: "succeeded", deleted: 2 });
    expect(await query(db, "Find pagerduty_user with name='Dave Lee'")).toEqual([]);
  });

  it("refuses an unknown setting by name, and a look-ahead PagerDuty cannot answer", async () => {
    writeConfig("    lookahaed: 7d\n");
    const typo = await sync();
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("integrations[0].lookahaed: not a setting of the pagerduty integration");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: pagerduty\n    token: env:PD_TOKEN\n    lookahead: 120d\n`);
    const long = await sync();
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('integrations[0].lookahead: "120d" is too long: at most 90d');
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: pagerduty\n    token: ${TOKEN}\n`);
    const inline = await sync();
    expect(inline.code).toBe(2);
    expect(inline.stderr).not.toContain(TOKEN);
  });
});
