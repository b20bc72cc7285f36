import { describe, expect, it } from "vitest";
import { dataModelProblemsOf } from "../../../test/data-model.js";
import { parseSpan } from "../settings.js";
import { escalationPolicyEntity, onCallRelationships, type PagerDutySnapshot, pagerDutyGraph, serviceEntity, userEntity } from "./map.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const window = { since: NOW, until: NOW + 14 * 24 * H };

const ref = (type: string, id: string, summary = id) => ({ id, type, summary });

function snapshot(): PagerDutySnapshot {
  return {
    users: [
      { id: "PU1", name: "Alice Smith", email: "Alice@Example.org", role: "admin", html_url: "https://acme.pagerduty.com/users/PU1" },
      { id: "PU2", name: "Bob", email: "bob@example.org", role: "user" },
      { id: "PU3", name: "Carol Jones", email: "carol@example.org" },
    ],
    teams: [{ id: "PT1", name: "Payments" }],
    members: new Map([["PT1", [{ user: ref("user_reference", "PU1"), role: "manager" }, { user: ref("user_reference", "PU9"), role: "responder" }]]]),
    services: [
      {
        id: "PS1",
        name: "payments-api",
        status: "active",
        created_at: "2025-03-01T09:00:00Z",
        escalation_policy: ref("escalation_policy_reference", "PE1", "Payments EP"),
        teams: [ref("team_reference", "PT1", "Payments")],
      },
    ],
    schedules: [{ id: "PSC1", name: "Primary", time_zone: "UTC", users: [ref("user_reference", "PU2")] }],
    escalationPolicies: [
      {
        id: "PE1",
        name: "Payments EP",
        num_loops: 2,
        escalation_rules: [
          { escalation_delay_in_minutes: 0, targets: [ref("schedule_reference", "PSC1", "Primary")] },
          { escalation_delay_in_minutes: 30, targets: [ref("user_reference", "PU3", "Carol Jones")] },
        ],
      },
    ],
    oncalls: [
      // two shifts of Bob in Primary: the earliest one is kept
      { user: ref("user_reference", "PU2"), schedule: ref("schedule_reference", "PSC1"), escalation_level: 1, start: iso(NOW + 48 * H), end: iso(NOW + 72 * H) },
      { user: ref("user_reference", "PU2"), schedule: ref("schedule_reference", "PSC1"), escalation_level: 1, start: iso(NOW - 2 * H), end: iso(NOW + 6 * H) },
      // Carol is targeted directly: permanently on call, no schedule
      { user: ref("user_reference", "PU3"), schedule: null, escalation_level: 2, start: null, end: null },
    ],
  };
}

describe("PagerDuty map", () => {
  it("users carry their email lowercased and JupiterOne's User properties", () => {
    expect(userEntity(snapshot().users[0]!)).toEqual({
      _key: "pagerduty_user:PU1",
      _type: "pagerduty_user",
      _class: "User",
      id: "PU1",
      name: "Alice Smith",
      displayName: "Alice Smith",
      email: ["alice@example.org"],
      username: ["alice@example.org"],
      shortLoginId: ["alice"],
      firstName: "Alice",
      lastName: "Smith",
      role: "admin",
      isAdmin: true,
      webLink: "https://acme.pagerduty.com/users/PU1",
      active: true,
    });
  });

  it("services have epoch-ms dates and their escalation policy; policies list their rules", () => {
    expect(serviceEntity(snapshot().services[0]!)).toMatchObject({
      _key: "pagerduty_service:PS1",
      _class: "Service",
      createdOn: Date.UTC(2025, 2, 1, 9),
      escalationPolicyId: "PE1",
      escalationPolicy: "Payments EP",
      active: true,
    });
    expect(escalationPolicyEntity(snapshot().escalationPolicies[0]!).rules).toEqual([
      "1: after 0 min: schedule Primary",
      "2: after 30 min: user Carol Jones",
    ]);
  });

  it("one ASSIGNED per user and schedule: the earliest shift, onCallNow, the shift count", () => {
    expect(onCallRelationships(snapshot().oncalls, window)).toEqual([
      {
        _key: "pagerduty_user:PU2|assigned|pagerduty_schedule:PSC1",
        _type: "pagerduty_user_assigned_schedule",
        _class: "ASSIGNED",
        _fromEntityKey: "pagerduty_user:PU2",
        _toEntityKey: "pagerduty_schedule:PSC1",
        // the shift under way, as PagerDuty gives it
        onCallFrom: NOW - 2 * H,
        onCallUntil: NOW + 6 * H,
        onCallNow: true,
        shifts: 2,
        escalationLevel: 1,
      },
    ]);
    const later = onCallRelationships([{ user: ref("user", "PU1"), schedule: ref("schedule", "PSC1"), start: iso(NOW + H), end: null }], window);
    expect(later[0]).toMatchObject({ onCallFrom: NOW + H, onCallNow: false, shifts: 1 });
    expect(later[0]).not.toHaveProperty("onCallUntil");
    const always = onCallRelationships([{ user: ref("user", "PU1"), schedule: ref("schedule", "PSC1"), start: null, end: null }], window);
    expect(always[0]).toMatchObject({ onCallNow: true, shifts: 1 });
    expect(always[0]).not.toHaveProperty("onCallFrom");
  });

  it("builds JupiterOne's relationships, MONITORS from the escalation policy's targets, and drops dangling ones", () => {
    const g = pagerDutyGraph(snapshot(), window);
    expect(g.relationships.map((r) => r._key).sort()).toEqual(
      [
        "pagerduty_escalation_policy:PE1|uses|pagerduty_schedule:PSC1",
        "pagerduty_service:PS1|assigned|pagerduty_team:PT1",
        "pagerduty_service:PS1|uses|pagerduty_escalation_policy:PE1",
        "pagerduty_team:PT1|has|pagerduty_user:PU1",
        // Bob through the Primary schedule, Carol as a direct target
        "pagerduty_user:PU2|monitors|pagerduty_service:PS1",
        "pagerduty_user:PU3|monitors|pagerduty_service:PS1",
        "pagerduty_user:PU2|assigned|pagerduty_schedule:PSC1",
      ].sort(),
    );
    expect(g.relationships.find((r) => r._type === "pagerduty_team_has_user")).toMatchObject({ role: "manager" });
    expect(dataModelProblemsOf(g.entities)).toEqual([]);
  });

  it("reads spans with days and weeks", () => {
    expect(parseSpan("14d")).toBe(14 * 24 * H);
    expect(parseSpan("1w2d")).toBe(9 * 24 * H);
    expect(parseSpan("500ms")).toBe(500);
    expect(parseSpan("14 days")).toBeUndefined();
    expect(parseSpan("")).toBeUndefined();
  });
});
