/**
 * openMaintenance on SQLite and PostgreSQL: the findings and edges it
 * writes, owners, idempotency, and every refusal leaving the store as it was.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TF_QUERY, terraformItem } from "../../../test/helpers/findings.js";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { runQuery } from "../../query/run.js";
import { InputError, QueryError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, GraphStore, RelationshipRecord } from "../../store/types.js";
import { DAY_MS } from "./due.js";
import { findingKey, loadFindings, maintenanceIdFor } from "./finding.js";
import { ItemChangedError, type OpenInput, openMaintenance, previewNames } from "./open.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const LOADED = NOW - 10 * DAY_MS;
const ACTOR = "dev@example.com";

const repo = (name: string, props: Record<string, unknown> = {}): EntityRecord => ({
  _key: `repo:${name}`,
  _type: "git_repo",
  _class: "CodeRepo",
  displayName: name,
  name,
  ...props,
});
const owns = (from: string, to: string): RelationshipRecord => ({
  _key: `${from}|owns|${to}`,
  _type: "owns",
  _class: "OWNS",
  _fromEntityKey: from,
  _toEntityKey: to,
});

/**
 * payments: OWNED by team core and by alice (the team wins); website: by
 * alice only; billing: no edge, an `owner` property; docs: no owner, and
 * terraform 1.5 (the others 0.12); a host; a finding of another item on
 * payments.
 */
function graph(): GraphBatch {
  return {
    entities: [
      { _key: "team:core", _type: "team", _class: "Team", displayName: "Core", name: "core" },
      { _key: "person:alice", _type: "employee", _class: ["Person", "User"], name: "alice" },
      repo("payments", { terraformVersion: "0.12" }),
      repo("website", { terraformVersion: "0.12" }),
      repo("billing", { terraformVersion: "0.12", owner: "billing-team" }),
      { _key: "repo:docs", _type: "git_repo", _class: "CodeRepo", name: "docs", terraformVersion: "1.5" },
      { _key: "host:web-1", _type: "host", _class: "Host", displayName: "web-1", name: "web-1", os: "centos" },
      {
        _key: "dm:old:payments",
        _type: "deferred_maintenance",
        _class: "Finding",
        displayName: "Rotate keys",
        maintenanceId: "9c3e21a0",
        shortDescription: "Rotate keys",
        closed: false,
        status: "open",
        dueDate: NOW + 5 * DAY_MS,
      },
    ],
    relationships: [
      owns("person:alice", "repo:payments"),
      owns("team:core", "repo:payments"),
      owns("person:alice", "repo:website"),
      {
        _key: "repo:payments|has|dm:old",
        _type: "git_repo_has_deferred_maintenance",
        _class: "HAS",
        _fromEntityKey: "repo:payments",
        _toEntityKey: "dm:old:payments",
      },
    ],
  };
}

function input(overrides: Partial<OpenInput> = {}): OpenInput {
  return terraformItem(NOW, { track: false, ...overrides });
}


describe.each(BACKENDS)("openMaintenance on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;

  beforeEach(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    await store.upsert(graph(), { now: LOADED });
  });

  afterEach(async () => {
    await closeStore();
  });

  async function snapshot() {
    return {
      counts: await store.counts(),
      findings: (await loadFindings(store, NOW)).length,
      audit: (await store.auditLog()).length,
    };
  }

  it("opens one finding per selected entity, with the J1QL.md properties and a HAS edge", async () => {
    const result = await openMaintenance(store, input({ track: true }), { now: NOW, actor: ACTOR });
    const mid = maintenanceIdFor("Upgrade Terraform to 1.x", TF_QUERY);
    expect(result).toMatchObject({ maintenanceId: mid, opened: 3, alreadyOpen: 0, skipped: 0, dryRun: false });
    expect(result.findings.map((f) => f.entityName).sort()).toEqual(["billing", "payments", "website"]);
    expect(result.findings[0]).toEqual({
      key: findingKey(mid, result.findings[0]!.entityKey),
      entityKey: result.findings[0]!.entityKey,
      entityName: result.findings[0]!.entityName,
      dueDate: NOW + 30 * DAY_MS,
    });

    const findings = await loadFindings(store, NOW, { maintenanceId: mid });
    expect(findings).toHaveLength(3);
    const payments = findings.find((f) => f.entityKey === "repo:payments")!;
    expect(payments).toMatchObject({
      key: `deferred_maintenance:${mid}:repo:payments`,
      maintenanceId: mid,
      shortDescription: "Upgrade Terraform to 1.x",
      description: "Move every module to Terraform 1.x",
      webLink: "https://wiki.example.com/tf1",
      dueDate: NOW + 30 * DAY_MS,
      status: "open",
      closed: false,
      createdBy: ACTOR,
      createdOn: NOW,
      query: TF_QUERY,
      tracked: true,
      entityType: "git_repo",
      entityName: "payments",
    });
    // Owners: an owning Team wins over a Person; a Person by name; the entity's own property.
    const owner = Object.fromEntries(findings.map((f) => [f.entityName, f.owner]));
    expect(owner).toEqual({ payments: "Core", website: "alice", billing: "billing-team" });

    // The entity is _type deferred_maintenance, _class Finding, displayName the short description.
    const list = await runQuery(store, `Find deferred_maintenance with maintenanceId = '${mid}'`, { now: NOW, all: true });
    expect(list.type).toBe("list");
    if (list.type !== "list") return;
    for (const item of list.data) {
      expect(item.entity._type).toBe("deferred_maintenance");
      expect(item.entity._class).toEqual(["Finding"]);
      expect(item.entity.displayName).toBe("Upgrade Terraform to 1.x");
      expect(item.entity._source).toBe("dm");
    }
    // <entity> -HAS-> finding, with the edge type of the original tool.
    const has = await runQuery(
      store,
      `Find CodeRepo as r that HAS >> deferred_maintenance with maintenanceId = '${mid}' as m return r.name as repo, m.entityName as name`,
      { now: NOW, all: true },
    );
    expect(has.type === "table" && has.data.map((r) => [r.repo, r.name]).sort()).toEqual([
      ["billing", "billing"],
      ["payments", "payments"],
      ["website", "website"],
    ]);

    const audit = await store.auditLog();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: ACTOR,
      action: "open",
      subject: mid,
      at: NOW,
      details: { opened: 3, alreadyOpen: 0, query: TF_QUERY, dueDate: NOW + 30 * DAY_MS },
    });
  });

  it("is idempotent: a second open leaves existing findings exactly as they are and only adds new matches", async () => {
    const first = await openMaintenance(store, input(), { now: NOW, actor: ACTOR });
    const before = await runQuery(store, `Find deferred_maintenance with maintenanceId = '${first.maintenanceId}'`, {
      now: NOW,
      all: true,
    });
    // Later, by someone else, with another due date: refused (ItemChangedError), nothing rewritten.
    const changed = await openMaintenance(store, input({ dueDate: NOW + 90 * DAY_MS }), { now: NOW + DAY_MS, actor: "other@example.com" }).catch(
      (e: unknown) => e,
    );
    expect(changed).toBeInstanceOf(ItemChangedError);
    expect((changed as ItemChangedError).changes).toEqual([{ field: "dueDate", from: first.dueDate, to: NOW + 90 * DAY_MS }]);
    // The same period a day later counts from the item's opening: the same due date, nothing to change.
    const again = await openMaintenance(store, input({ dueDate: NOW + DAY_MS + (first.dueDate - NOW), dueIn: first.dueDate - NOW }), {
      now: NOW + DAY_MS,
      actor: "other@example.com",
    });
    expect(again).toMatchObject({ maintenanceId: first.maintenanceId, opened: 0, alreadyOpen: 3, findings: [] });
    const after = await runQuery(store, `Find deferred_maintenance with maintenanceId = '${first.maintenanceId}'`, {
      now: NOW,
      all: true,
    });
    expect(after).toEqual(before);
    expect((await store.auditLog()).filter((e) => e.action === "open")).toHaveLength(1);

    // docs starts to match: only it gets a finding.
    await store.upsert({ entities: [{ ...graph().entities[5]!, terraformVersion: "0.12" }], relationships: [] }, { now: NOW });
    const third = await openMaintenance(store, input(), { now: NOW + 2 * DAY_MS, actor: ACTOR });
    expect(third).toMatchObject({ opened: 1, alreadyOpen: 3 });
    // An entity without displayName is named by its name.
    expect(third.findings.map((f) => f.entityName)).toEqual(["docs"]);
    expect((await loadFindings(store, NOW, { maintenanceId: first.maintenanceId })).length).toBe(4);
  });

  it("skips selected entities that are findings themselves, and says so", async () => {
    const result = await openMaintenance(store, input({ query: "Find (CodeRepo|deferred_maintenance) with name != 'x'" }), {
      now: NOW,
      actor: ACTOR,
    });
    expect(result.skipped).toBe(1);
    expect(result.opened).toBe(4);
    expect(result.findings.some((f) => f.entityKey.startsWith("dm:"))).toBe(false);
  });

  it("a dry run validates and reports but writes nothing", async () => {
    const before = await snapshot();
    const result = await openMaintenance(store, input({ dryRun: true }), { now: NOW, actor: ACTOR });
    expect(result).toMatchObject({ opened: 3, dryRun: true });
    expect(await snapshot()).toEqual(before);
  });

  const refusals: [string, Partial<OpenInput>, RegExp, typeof InputError | typeof QueryError][] = [
    ["a query that selects nothing", { query: "Find CodeRepo with name = 'nope'" }, /selects no entities/, InputError],
    ["a query with RETURN", { query: "Find CodeRepo as r return r.name" }, /the query must select entities: drop the RETURN/, InputError],
    ["a query that does not parse", { query: "Find CodeRepo wiht name='x'" }, /unexpected/, QueryError],
    ["an empty short description", { shortDescription: "  " }, /short description is empty/, InputError],
    ["a short description over 50 characters", { shortDescription: "x".repeat(51) }, /51 characters; at most 50/, InputError],
    ["a link that is not a URL", { webLink: "wiki/tf1" }, /not a URL/, InputError],
    ["a link that is not http(s)", { webLink: "ftp://wiki.example.com/tf1" }, /not an http\(s\) URL/, InputError],
    ["a javascript: link", { webLink: "javascript:alert(1)" }, /not an http\(s\) URL/, InputError],
    ["a due date in the past", { dueDate: NOW - DAY_MS }, /not in the future/, InputError],
    ["a due date of now", { dueDate: NOW }, /not in the future/, InputError],
    ["a short description of two lines", { shortDescription: "Upgrade Terraform\nnow" }, /short description is one line/, InputError],
    ["a due date past 9999 (epoch ms over the API)", { dueDate: 8640001796307471000 }, /not a usable date: dates run up to 9999-12-31/, InputError],
    ["a fractional due date", { dueDate: NOW + 0.5 }, /not a usable date/, InputError],
    ["a selection of findings only", { query: "Find deferred_maintenance" }, /only deferred_maintenance findings/, InputError],
  ];
  it.each(refusals)("refuses %s and writes nothing", async (_what, overrides, message, type) => {
    const before = await snapshot();
    const error = await openMaintenance(store, input(overrides), { now: NOW, actor: ACTOR }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
    expect(await snapshot()).toEqual(before);
  });

  it("accepts exactly 50 characters and http links", async () => {
    const result = await openMaintenance(
      store,
      input({ shortDescription: "y".repeat(50), webLink: "http://intranet/tf" }),
      { now: NOW, actor: ACTOR },
    );
    expect(result.opened).toBe(3);
  });

  it("looks owners up in chunks: 2,500 entities, each owned by a team", async () => {
    const entities: EntityRecord[] = [];
    const relationships: RelationshipRecord[] = [];
    for (let i = 0; i < 2500; i++) {
      entities.push({ _key: `svc:${i}`, _type: "service", _class: "Service", name: `svc-${i}`, fleet: true });
      relationships.push(owns(i % 2 === 0 ? "team:core" : "person:alice", `svc:${i}`));
    }
    await store.upsert({ entities, relationships }, { now: LOADED });
    const result = await openMaintenance(store, input({ query: "Find Service with fleet = true" }), { now: NOW, actor: ACTOR });
    expect(result.opened).toBe(2500);
    const findings = await loadFindings(store, NOW, { maintenanceId: result.maintenanceId });
    expect(findings).toHaveLength(2500);
    expect(findings.filter((f) => f.owner === "Core")).toHaveLength(1250);
    expect(findings.filter((f) => f.owner === "alice")).toHaveLength(1250);
  });
});

describe("previewNames", () => {
  it("shows up to three names and how many more", () => {
    expect(previewNames(["a"])).toBe("a");
    expect(previewNames(["a", "b", "c"])).toBe("a, b, c");
    expect(previewNames(["billing", "payments", "website", "x", "y"])).toBe("billing, payments, website, … (2 more)");
  });
});

/**
 * PostgreSQL only in-process: two SQLite connections in one process cannot
 * interleave writes (a blocked BEGIN IMMEDIATE blocks the thread the other
 * connection needs), so SQLite's case runs as separate processes in
 * test/concurrent-writers.test.ts.
 */
describe("two openMaintenance of the same item at once, on two connections to one database", () => {
  it("postgres: the findings are created once; only the call that created them reports and audits them", async () => {
    const { openStore } = await import("../../store/open-store.js");
    const { createTestDatabase, dropTestDatabase } = await import("../../../test/helpers/pg.js");
    const target = await createTestDatabase();
    const [a, b] = [await openStore(target), await openStore(target)];
    try {
      await a.upsert(graph(), { now: LOADED });
      const results = await Promise.all([
        openMaintenance(a, input(), { now: NOW, actor: "a@example.com" }),
        openMaintenance(b, input(), { now: NOW + 1, actor: "b@example.com" }),
      ]);
      expect(results.map((r) => r.opened).sort()).toEqual([0, 3]);
      for (const r of results) expect(r.opened + r.alreadyOpen).toBe(3);
      const winner = results.find((r) => r.opened === 3)!;
      expect(winner.findings.map((f) => f.entityKey).sort()).toEqual(["repo:billing", "repo:payments", "repo:website"]);
      expect(results.find((r) => r.opened === 0)!.findings).toEqual([]);

      const findings = await loadFindings(a, NOW, { maintenanceId: winner.maintenanceId });
      expect(findings).toHaveLength(3);
      expect(new Set(findings.map((f) => f.createdBy)).size).toBe(1);
      const opens = (await a.auditLog()).filter((e) => e.action === "open");
      expect(opens.map((e) => e.details?.opened)).toEqual([3]);
    } finally {
      await a.close();
      await b.close();
      await dropTestDatabase(target);
    }
  });
});
