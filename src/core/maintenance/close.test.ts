/**
 * closeMaintenance on SQLite and PostgreSQL: reasons and their required
 * flags, narrowing with a query, skipped entities, refusals that write
 * nothing, and reopenFinding.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { runQuery } from "../../query/run.js";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, GraphStore } from "../../store/types.js";
import { type CloseInput, closeFinding, closeMaintenance, reopenFinding } from "./close.js";
import { DAY_MS } from "./due.js";
import { type Finding, loadFindings } from "./finding.js";
import { openMaintenance } from "./open.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const LOADED = NOW - 10 * DAY_MS;
const OPENER = "dev@example.com";
const CLOSER = "ops@example.com";
const PR = "https://github.com/acme/payments/pull/42";

const repo = (name: string, props: Record<string, unknown> = {}): EntityRecord => ({
  _key: `repo:${name}`,
  _type: "git_repo",
  _class: "CodeRepo",
  displayName: name,
  name,
  ...props,
});

/** Three repos, and an imported finding of the original tool (with a property our model does not know). */
function graph(): GraphBatch {
  return {
    entities: [
      repo("payments"),
      repo("website"),
      repo("billing"),
      {
        _key: "dm:imported:billing",
        _type: "deferred_maintenance",
        _class: "Finding",
        displayName: "Rotate keys",
        maintenanceId: "4be21f07",
        shortDescription: "Rotate keys",
        closed: false,
        status: "open",
        dueDate: NOW + 5 * DAY_MS,
        severity: "high",
        entityKey: "repo:billing",
        entityName: "billing",
      },
    ],
    relationships: [
      {
        _key: "repo:billing|has|dm:imported",
        _type: "git_repo_has_deferred_maintenance",
        _class: "HAS",
        _fromEntityKey: "repo:billing",
        _toEntityKey: "dm:imported:billing",
      },
    ],
  };
}


describe.each(BACKENDS)("closeMaintenance on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;
  let mid: string;

  beforeEach(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    await store.upsert(graph(), { now: LOADED });
    const opened = await openMaintenance(
      store,
      {
        query: "Find CodeRepo",
        shortDescription: "Upgrade Terraform to 1.x",
        description: "",
        webLink: "https://wiki.example.com/tf1",
        dueDate: NOW + 30 * DAY_MS,
        track: false,
        dryRun: false,
      },
      { now: LOADED, actor: OPENER },
    );
    mid = opened.maintenanceId;
  });

  afterEach(async () => {
    await closeStore();
  });

  const close = (overrides: Partial<CloseInput>) =>
    closeMaintenance(store, { maintenanceId: mid, reason: "COMPLETE", link: PR, actor: CLOSER, now: NOW, ...overrides });

  async function snapshot() {
    const list = await runQuery(store, "Find deferred_maintenance", { now: NOW, all: true });
    return { list, audit: (await store.auditLog()).length };
  }

  it("closes every open finding of an item as COMPLETE, with who, when and the link", async () => {
    const result = await close({});
    expect(result).toMatchObject({ closed: 3, reason: "COMPLETE", skipped: [], dryRun: false });
    expect(result.findings.map((f) => f.entityName).sort()).toEqual(["billing", "payments", "website"]);
    const findings = await loadFindings(store, NOW, { maintenanceId: mid });
    for (const f of findings) {
      expect(f).toMatchObject({
        status: "closed",
        closed: true,
        closedOn: NOW,
        closedBy: CLOSER,
        closeReason: "COMPLETE",
        maintenanceLink: PR,
        createdBy: OPENER,
        createdOn: LOADED,
      });
      expect(f.acceptedUntil).toBeUndefined();
    }
    // The other item is untouched.
    expect((await loadFindings(store, NOW, { maintenanceId: "4be21f07" }))[0]!.closed).toBe(false);
    const [entry] = await store.auditLog({ limit: 1 });
    expect(entry).toMatchObject({
      actor: CLOSER,
      action: "close",
      subject: mid,
      details: { count: 3, reason: "COMPLETE", link: PR },
    });
    // Nothing left to close.
    await expect(close({})).rejects.toThrow(/no open findings match/);
  });

  it("ERROR needs no link", async () => {
    const result = await close({ reason: "ERROR", link: undefined });
    expect(result.closed).toBe(3);
    const [f] = await loadFindings(store, NOW, { maintenanceId: mid });
    expect(f).toMatchObject({ closeReason: "ERROR", closed: true });
    expect(f!.maintenanceLink).toBeUndefined();
  });

  it("RISK_ACCEPTED sets acceptedUntil and acceptedBy, and is audited as accept", async () => {
    const until = NOW + 90 * DAY_MS;
    const result = await close({ reason: "risk_accepted", until, link: "https://wiki.example.com/adr/17" });
    expect(result.reason).toBe("RISK_ACCEPTED");
    const [f] = await loadFindings(store, NOW, { maintenanceId: mid });
    expect(f).toMatchObject({ closeReason: "RISK_ACCEPTED", acceptedUntil: until, acceptedBy: CLOSER, closed: true });
    const [entry] = await store.auditLog({ limit: 1 });
    expect(entry).toMatchObject({ action: "accept", subject: mid, details: { count: 3, until, reason: "RISK_ACCEPTED" } });
  });

  it("--query narrows the item's findings; a selected asset stands for the item's finding on it; others are skipped and listed", async () => {
    const result = await close({
      query: "Find (deferred_maintenance|CodeRepo) with entityName = 'payments' or name = 'website' or severity = 'high'",
    });
    expect(result.closed).toBe(2);
    expect(result.findings.map((f) => [f.entityName, f.maintenanceId]).sort()).toEqual([
      ["payments", mid],
      ["website", mid],
    ]);
    expect(result.skipped.map((s) => [s.name, s.why]).sort()).toEqual([["Rotate keys", "a finding of another item (4be21f07)"]]);
    const open = await loadFindings(store, NOW, { maintenanceId: mid, open: true });
    expect(open.map((f) => f.entityName).sort()).toEqual(["billing"]);

    // Already closed: skipped with that reason, and nothing to close is an error.
    const again = await close({ query: "Find deferred_maintenance with entityName = 'payments'" }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(InputError);
    expect((again as InputError).message).toMatch(/no open findings match/);
  });

  it("--query without an id closes findings of any item, keeping properties the model does not know", async () => {
    const result = await close({ maintenanceId: undefined, query: "Find deferred_maintenance with entityName = 'billing'" });
    expect(result.closed).toBe(2);
    const [entry] = await store.auditLog({ limit: 1 });
    expect(entry!.subject).toBe(["4be21f07", mid].sort().join(","));
    const imported = await runQuery(store, "Find deferred_maintenance with severity = 'high' and closed = true", {
      now: NOW,
      all: true,
    });
    expect(imported.type === "list" && imported.data.map((i) => i.entity._key)).toEqual(["dm:imported:billing"]);
  });

  it("a dry run writes nothing", async () => {
    const before = await snapshot();
    const result = await close({ dryRun: true });
    expect(result).toMatchObject({ closed: 3, dryRun: true });
    expect(await snapshot()).toEqual(before);
  });

  const refusals: [string, Partial<CloseInput>, RegExp][] = [
    ["neither an id nor a query", { maintenanceId: undefined }, /--id MID, --query Q, or both/],
    ["a malformed id", { maintenanceId: "9C3E21A0'" }, /not a maintenance id/],
    ["an unknown reason", { reason: "DONE" }, /not a close reason/],
    ["COMPLETE without a link", { link: undefined }, /COMPLETE needs --link/],
    ["RISK_ACCEPTED without a link", { reason: "RISK_ACCEPTED", link: undefined, until: NOW + DAY_MS }, /needs --link/],
    ["RISK_ACCEPTED without until", { reason: "RISK_ACCEPTED" }, /needs --until/],
    ["RISK_ACCEPTED until the past", { reason: "RISK_ACCEPTED", until: NOW - 1 }, /not in the future/],
    ["RISK_ACCEPTED until after 9999", { reason: "RISK_ACCEPTED", until: 8640001796307471000, link: "https://wiki.example.com/adr/1" }, /not a usable date/],
    ["until with COMPLETE", { until: NOW + DAY_MS }, /only applies to --reason RISK_ACCEPTED/],
    ["a link that is not http(s)", { link: "file:///etc/passwd" }, /not an http\(s\) URL/],
    ["an id with no findings", { maintenanceId: "00000000" }, /no open findings match item 00000000/],
    ["a query selecting no findings", { query: "Find CodeRepo with name = 'nope'" }, /no open findings match/],
    ["a query selecting assets without a finding of the item", { query: "Find Host" }, /no open findings match/],
    ["a RETURN query", { query: "Find deferred_maintenance as m return m.maintenanceId" }, /drop the RETURN/],
  ];
  it.each(refusals)("refuses %s and writes nothing", async (_what, overrides, message) => {
    const before = await snapshot();
    const error = await close(overrides).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as { exitCode?: number }).exitCode).toBe(2);
    expect(await snapshot()).toEqual(before);
  });
});

describe("closeFinding / reopenFinding", () => {
  const base: Finding = {
    id: "1",
    key: "deferred_maintenance:9c3e21a0:repo:x",
    maintenanceId: "9c3e21a0",
    shortDescription: "s",
    description: "d",
    webLink: "https://x.example.com",
    dueDate: NOW,
    status: "open",
    closed: false,
    createdBy: OPENER,
    createdOn: LOADED,
    query: "Find CodeRepo",
    tracked: false,
    entityKey: "repo:x",
    entityType: "git_repo",
    entityName: "x",
  };

  it("round-trips: an accepted finding reopens without any close field", () => {
    const accepted = closeFinding(base, { reason: "RISK_ACCEPTED", actor: CLOSER, now: NOW, link: PR, until: NOW + DAY_MS });
    expect(accepted).toMatchObject({ closed: true, status: "closed", acceptedUntil: NOW + DAY_MS, acceptedBy: CLOSER });
    const reopened = reopenFinding(accepted, NOW + 2 * DAY_MS, "risk acceptance expired on 2026-11-24");
    // accepted for 1 day (reopened a day after it expired): the SLA clock resumes, the due date 1 day later (docs/sla.md)
    expect(reopened).toEqual({
      ...base,
      dueDate: base.dueDate + DAY_MS,
      pausedMs: DAY_MS,
      reopenedOn: NOW + 2 * DAY_MS,
      evidence: expect.stringMatching(/^risk acceptance expired on 2026-11-24; accepted for 1 day, so the SLA clock resumes: due \S+ -> \S+$/),
    });
  });
});
