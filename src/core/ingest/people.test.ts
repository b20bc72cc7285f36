/**
 * People across sources, on both databases: accounts with one email are one
 * Person, CODEOWNERS persons and teams are linked (never rewritten), and a
 * person whose accounts are gone goes with them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dataModelProblemsOf } from "../../../test/data-model.js";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { runQuery } from "../../query/run.js";
import type { EntityRecord, GraphStore } from "../../store/types.js";
import { linkPeople, planPeople, teamSlug } from "./people.js";

const NOW = Date.UTC(2026, 11, 1);

function user(type: string, id: string, props: Record<string, unknown>): EntityRecord {
  return { _key: `${type}:${id}`, _type: type, _class: "User", ...props };
}

async function keys(store: GraphStore, query: string): Promise<string[]> {
  const r = await runQuery(store, query, { now: NOW + 10, all: true });
  if (r.type !== "list") throw new Error("expected a list");
  return r.data.map((i) => i.entity._key).sort();
}

describe.each(BACKENDS)("linkPeople on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;

  beforeEach(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    // what the integrations wrote, each under its own source
    await store.upsert(
      {
        entities: [
          user("pagerduty_user", "PABC123", { displayName: "Alice Example", email: "Alice@Example.com" }),
          user("github_user", "1001", { displayName: "alice", email: ["alice@example.com"], login: "alice" }),
          user("ldap_user", "uid=alice", { displayName: "Alice Example", email: ["alice@example.com"] }),
          user("pagerduty_user", "PBOB456", { displayName: "Bob Builder", email: "bob@example.com" }),
          user("github_user", "1002", { displayName: "carol", email: null, login: "carol" }),
          user("ldap_user", "uid=dave", { displayName: "Dave D", email: ["dave@example.com"] }),
          { _key: "pagerduty_schedule:PS1", _type: "pagerduty_schedule", _class: "Schedule" as string, displayName: "Primary" },
          { _key: "pagerduty_team:PT1", _type: "pagerduty_team", _class: "Team", displayName: "Identity" },
          { _key: "github_team:77", _type: "github_team", _class: "UserGroup", displayName: "Identity team", slug: "identity" },
        ],
        relationships: [
          {
            _key: "pagerduty_user:PABC123|assigned|pagerduty_schedule:PS1",
            _type: "pagerduty_user_assigned_schedule",
            _class: "ASSIGNED",
            _fromEntityKey: "pagerduty_user:PABC123",
            _toEntityKey: "pagerduty_schedule:PS1",
          },
        ],
      },
      { now: NOW, source: "services" },
    );
    // CODEOWNERS: a person by email, one by handle, a team
    await store.upsert(
      {
        entities: [
          { _key: "person:bob@example.com", _type: "person", _class: "Person", displayName: "bob@example.com", email: "bob@example.com" },
          { _key: "person:carol", _type: "person", _class: "Person", displayName: "carol", username: "carol" },
          // an imported person keyed by login, with an email: the ldap account with that email is theirs
          { _key: "person:dave", _type: "person", _class: "Person", displayName: "Dave", email: ["Dave@Example.com"] },
          { _key: "team:acme/identity", _type: "team", _class: "Team", displayName: "identity", name: "identity", org: "acme" },
        ],
        relationships: [],
      },
      { now: NOW, source: "git:/src" },
    );
  });

  afterEach(async () => {
    await closeStore();
  });

  it("makes one Person per email and links every account, so JupiterOne's people queries work", async () => {
    const r = await linkPeople(store, { now: NOW + 1, syncRun: 1 });
    expect(r.people).toBe(1); // alice; bob is CODEOWNERS' person, linked not rewritten
    expect(await keys(store, "Find Person that IS User")).toEqual(["person:alice@example.com", "person:bob@example.com", "person:carol", "person:dave"]);
    expect(await keys(store, "Find Person that IS pagerduty_user that ASSIGNED pagerduty_schedule")).toEqual(["person:alice@example.com"]);
    expect(await keys(store, "Find User that IS Person that !IS ldap_user")).toEqual([
      "github_user:1002",
      "pagerduty_user:PBOB456",
    ]);
    expect(await keys(store, "Find github_user that IS Person with _key = 'person:carol'")).toEqual(["github_user:1002"]);
    expect(await keys(store, "Find team that IS (github_team|pagerduty_team)")).toEqual(["team:acme/identity"]);
    const bob = await runQuery(store, "Find Person with _key = 'person:bob@example.com'", { now: NOW + 10 });
    expect(bob.type === "list" && bob.data[0]?.entity._source).toBe("git:/src");
  });

  it("is idempotent, and a person whose accounts are gone goes with them", async () => {
    await linkPeople(store, { now: NOW + 1, syncRun: 1 });
    const again = await linkPeople(store, { now: NOW + 2, syncRun: 2 });
    expect(again.created).toBe(0);
    expect(again.deleted).toBe(0);
    // the services' next successful run sees nobody: their accounts are deleted
    const run = await store.startSyncRun("services", "services", NOW + 3);
    await store.markUnseenDeleted("services", run, NOW + 3);
    const after = await linkPeople(store, { now: NOW + 4, syncRun: 4 });
    expect(after.deleted).toBe(1 + 3 + 1 + 1 + 1 + 2); // alice, her 3 edges, bob's, carol's and dave's edges, the 2 team edges
    expect(await keys(store, "Find Person")).toEqual(["person:bob@example.com", "person:carol", "person:dave"]);
  });
});

describe("planPeople", () => {
  it("writes Persons that satisfy JupiterOne's Person schema", () => {
    const item = (key: string, type: string, properties: Record<string, unknown>, displayName?: string) => ({
      id: key,
      entity: { _id: key, _key: key, _type: type, _class: ["User"], _createdOn: 0, _beginOn: 0, _version: 1, _deleted: false, ...(displayName ? { displayName } : {}) },
      properties,
    });
    const plan = planPeople(
      [item("okta_user:1", "okta_user", { email: "Dana.Scully@Example.com" }, "Dana Katherine Scully"), item("x_user:2", "x_user", { email: "not-an-email" })],
      [],
      [],
    );
    expect(plan.persons).toEqual([
      {
        _key: "person:dana.scully@example.com",
        _type: "person",
        _class: "Person",
        displayName: "Dana Katherine Scully",
        name: "Dana Katherine Scully",
        firstName: "Dana Katherine",
        lastName: "Scully",
        email: ["dana.scully@example.com"],
      },
    ]);
    expect(dataModelProblemsOf(plan.persons)).toEqual([]);
  });

  it("compares team names by slug", () => {
    expect(teamSlug("Platform Team")).toBe("platform-team");
    expect(teamSlug("  identity_infra ")).toBe("identity-infra");
  });
});
