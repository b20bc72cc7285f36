/**
 * The SLA policy: parsing (every bad input names the file and the field),
 * exposure by property and by query, due dates, and the clock that resumes
 * (not restarts) when a risk acceptance expires, on SQLite and PostgreSQL.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import type { GraphStore } from "../../store/types.js";
import { closeMaintenance } from "../maintenance/close.js";
import { DAY_MS, isoDate } from "../maintenance/due.js";
import { loadFindings } from "../maintenance/finding.js";
import { openMaintenance } from "../maintenance/open.js";
import { reconcile } from "../maintenance/reconcile.js";
import { vulnsConfigFrom } from "../vulns/config.js";
import { DEFAULT_SLA_DAYS, defaultSlaPolicy, exposureOf, loadSlaPolicy, slaDue, slaPeriod, slaPolicyFrom } from "./policy.js";

const FILE = "dm.config.yaml";
const OPENED = Date.UTC(2027, 0, 10, 12); // 2027-01-10

const EXAMPLE = {
  sla: {
    critical: "7d",
    high: "30d",
    medium: "90d",
    low: "180d",
    exposure: [
      { name: "internet-facing", when: "public=true", factor: 0.5 },
      { name: "production", when: "tag.Production=true", factor: 0.5 },
      { name: "crown-jewels", query: "Find CodeRepo with tag.Tier='1'", factor: 0.25 },
    ],
  },
};

const refusal = (doc: unknown): string => {
  try {
    slaPolicyFrom(doc, FILE);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
};

describe("the SLA policy's parsing", () => {
  it("defaults to DEFAULT_SLA_DAYS and no exposure rules", () => {
    expect(DEFAULT_SLA_DAYS).toMatchObject({ critical: 7, high: 30, medium: 90, low: 180 });
    const p = slaPolicyFrom({}, FILE);
    expect(p.periods).toEqual({ critical: 7 * DAY_MS, high: 30 * DAY_MS, medium: 90 * DAY_MS, low: 180 * DAY_MS });
    expect(p.exposure).toEqual([]);
    expect(loadSlaPolicy()).toEqual(defaultSlaPolicy());
  });

  it("reads periods (durations or days) and the exposure rules, in order", () => {
    const p = slaPolicyFrom({ sla: { ...EXAMPLE.sla, high: "2w", low: 200 } }, FILE);
    expect(p.periods).toEqual({ critical: 7 * DAY_MS, high: 14 * DAY_MS, medium: 90 * DAY_MS, low: 200 * DAY_MS });
    expect(p.exposure).toEqual([
      { name: "internet-facing", factor: 0.5, when: { property: "public", value: true, text: "public=true" } },
      { name: "production", factor: 0.5, when: { property: "tag.Production", value: true, text: "tag.Production=true" } },
      { name: "crown-jewels", factor: 0.25, query: "Find CodeRepo with tag.Tier='1'" },
    ]);
    expect(slaPolicyFrom({ sla: { exposure: [{ name: "t", when: "tier = 1", factor: 1 }] } }, FILE).exposure[0]!.when).toMatchObject({ property: "tier", value: 1 });
    expect(slaPolicyFrom({ sla: { exposure: [{ name: "t", when: "env='prod'", factor: 1 }] } }, FILE).exposure[0]!.when).toMatchObject({ value: "prod" });
  });

  it.each([
    [{ sla: { urgent: "1d" } }, "dm.config.yaml: sla.urgent: not a setting"],
    [{ sla: { exposure: [{ name: "x", when: "public=true", factor: 0.5, weight: 2 }] } }, "dm.config.yaml: sla.exposure[0].weight: not a setting"],
    [{ sla: { exposure: [{ name: "x", when: "public=true", factor: 0 }] } }, "dm.config.yaml: sla.exposure[0].factor: must be more than 0 and at most 1"],
    [{ sla: { exposure: [{ name: "x", when: "public=true", factor: 1.5 }] } }, "dm.config.yaml: sla.exposure[0].factor: must be more than 0 and at most 1"],
    [{ sla: { exposure: [{ name: "x", when: "public=true", factor: "half" }] } }, "dm.config.yaml: sla.exposure[0].factor: expected a number"],
    [{ sla: { exposure: [{ name: "x", when: "public=true" }] } }, "dm.config.yaml: sla.exposure[0].factor: expected a number"],
    [{ sla: { exposure: [{ when: "public=true", factor: 0.5 }] } }, "dm.config.yaml: sla.exposure[0].name:"],
    [{ sla: { exposure: [{ name: "x", factor: 0.5 }] } }, "dm.config.yaml: sla.exposure[0].when: give either when"],
    [{ sla: { exposure: [{ name: "x", when: "public=true", query: "Find Host", factor: 0.5 }] } }, "dm.config.yaml: sla.exposure[0].query: give either when"],
    [{ sla: { exposure: [{ name: "x", when: "public", factor: 0.5 }] } }, 'dm.config.yaml: sla.exposure[0].when: "public" is not a property test'],
    [{ sla: { exposure: { name: "x" } } }, "dm.config.yaml: sla.exposure: expected a list"],
    [{ sla: { high: "30x" } }, 'dm.config.yaml: sla.high "30x" is not a duration'],
    [{ sla: { high: "0d" } }, 'dm.config.yaml: sla.high "0d" is no time at all'],
    [{ sla: { high: -3 } }, "dm.config.yaml: sla.high: expected a period"],
    [
      { sla: { exposure: [{ name: "x", query: "Find Host", factor: 0.5 }, { name: "x", when: "public=true", factor: 0.5 }] } },
      'dm.config.yaml: sla.exposure[1].name: "x" names an earlier rule too',
    ],
    [{ sla: { exposure: [{ name: "x", query: "Find Host as h return h.name", factor: 0.5 }] } }, "dm.config.yaml: sla.exposure[0].query: the query must select entities"],
  ])("refuses %j naming file and field", (doc, message) => {
    expect(refusal(doc)).toContain(message);
  });

  it("refuses a query that does not compile, with the query error's position", () => {
    const message = refusal({ sla: { exposure: [{ name: "x", query: "Find Host wiht public=true", factor: 0.5 }] } });
    expect(message).toMatch(/^dm\.config\.yaml: sla\.exposure\[0\]\.query: .*line 1, column 11/);
  });

  it("reads a file; a missing file or bad YAML names the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-sla-"));
    const file = path.join(dir, FILE);
    fs.writeFileSync(file, "sla:\n  high: 14d\n  exposure:\n    - name: internet-facing\n      when: public=true\n      factor: 0.5\n");
    expect(loadSlaPolicy(file).periods.high).toBe(14 * DAY_MS);
    expect(() => loadSlaPolicy(path.join(dir, "nope.yaml"))).toThrow(/nope\.yaml: no such file/);
    fs.writeFileSync(file, "sla:\n  high: [\n");
    expect(() => loadSlaPolicy(file)).toThrow(new RegExp(`${FILE}:\\d+:\\d+:`));
    fs.writeFileSync(file, "sla:\n  hihg: 14d\n");
    expect(() => loadSlaPolicy(file)).toThrow(`${file}: sla.hihg: not a setting`);
  });
});

describe("due dates", () => {
  const policy = slaPolicyFrom(EXAMPLE, FILE);

  it("the worked example: high, opened 2027-01-10, on a public host (factor 0.5) -> 15 days, due 2027-01-25", () => {
    expect(isoDate(slaDue(policy, { severity: "high", openedOn: OPENED }))).toBe("2027-02-09");
    expect(isoDate(slaDue(policy, { severity: "high", openedOn: OPENED, exposure: "internet-facing" }))).toBe("2027-01-25");
    expect(slaDue(policy, { severity: "high", openedOn: OPENED, exposure: 0.5 })).toBe(OPENED + 15 * DAY_MS);
    expect(slaDue(policy, { severity: "critical", openedOn: OPENED, exposure: "crown-jewels" })).toBe(OPENED + 1.75 * DAY_MS);
  });

  it("unknown severity is judged as medium; an unknown exposure name or factor is a bug", () => {
    expect(slaPeriod(policy, "unknown")).toBe(90 * DAY_MS);
    expect(() => slaPeriod(policy, "high", "nope")).toThrow(RangeError);
    expect(() => slaPeriod(policy, "high", 2)).toThrow(RangeError);
  });

  it("vulnerabilities use the top-level policy; vulns: sla: still overrides per severity", () => {
    const config = vulnsConfigFrom({ sla: { high: "10d", medium: "60d", exposure: EXAMPLE.sla.exposure } }, FILE);
    expect(config.sla).toMatchObject({ critical: 7 * DAY_MS, high: 10 * DAY_MS, medium: 60 * DAY_MS, unknown: 60 * DAY_MS });
    expect(config.policy?.exposure.map((r) => r.name)).toEqual(["internet-facing", "production", "crown-jewels"]);
    const both = vulnsConfigFrom({ sla: { high: "10d" }, vulns: { sla: { high: "14d" } } }, FILE);
    expect(both.sla.high).toBe(14 * DAY_MS);
    expect(() => vulnsConfigFrom({ sla: { hgh: "10d" } }, FILE)).toThrow("dm.config.yaml: sla.hgh: not a setting");
  });
});

describe.each(BACKENDS)("exposure and the paused clock on %s", (backend) => {
  let store: GraphStore;
  let closeStore: () => Promise<void>;
  const policy = slaPolicyFrom(EXAMPLE, FILE);

  beforeEach(async () => {
    ({ store, close: closeStore } = await openTestStore(backend));
    const host = (name: string, props: Record<string, unknown>) => ({ _key: `host:${name}`, _type: "host", _class: "Host", displayName: name, name, ...props });
    await store.upsert(
      {
        entities: [
          host("edge", { public: true, openssl: "1.1" }),
          host("edge-prod", { public: true, "tag.Production": true, openssl: "1.1" }),
          host("db", { "tag.Production": true, openssl: "1.1" }),
          host("lab", { public: "true", openssl: "1.1" }), // a string: not public=true
          host("jewel-host", { openssl: "1.1", "tag.Tier": "1" }), // a Host: the query selects CodeRepos only
          { _key: "repo:vault", _type: "git_repo", _class: "CodeRepo", displayName: "vault", name: "vault", "tag.Tier": "1", public: true },
          { _key: "repo:docs", _type: "git_repo", _class: "CodeRepo", displayName: "docs", name: "docs", "tag.Tier": "3" },
        ],
        relationships: [],
      },
      { now: OPENED - DAY_MS },
    );
  });

  afterEach(async () => {
    await closeStore();
  });

  const idsByName = async () => {
    const all = await store.getEntities([...Array(7).keys()].map((i) => String(i + 1)));
    return Object.fromEntries(all.map((e) => [e.props.name as string, e.id]));
  };

  it("by property and by query, the first matching rule wins, from ids alone", async () => {
    const ids = await idsByName();
    const exposure = await exposureOf(store, policy, Object.values(ids), OPENED);
    const byName = Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, exposure.get(id)]));
    expect(byName).toEqual({
      edge: "internet-facing",
      "edge-prod": "internet-facing",
      db: "production",
      lab: undefined,
      "jewel-host": undefined,
      vault: "internet-facing",
      docs: undefined,
    });
    // the query rule alone
    const queryOnly = slaPolicyFrom({ sla: { exposure: [EXAMPLE.sla.exposure[2]] } }, FILE);
    const q = await exposureOf(store, queryOnly, [ids.vault!, ids.docs!, ids["jewel-host"]!], OPENED);
    expect([...q.values()]).toEqual(["crown-jewels", undefined, undefined]);
    expect((await exposureOf(store, defaultSlaPolicy(), [ids.edge!], OPENED)).get(ids.edge!)).toBeUndefined();
  });

  it("dm open with the SLA: each finding due by severity, sooner on exposed assets", async () => {
    const result = await openMaintenance(
      store,
      {
        query: "Find Host with openssl = '1.1'",
        shortDescription: "Patch openssl",
        description: "Patch openssl",
        webLink: "https://wiki.example.com/openssl",
        dueDate: slaDue(policy, { severity: "high", openedOn: OPENED }),
        track: false,
        dryRun: false,
        sla: { policy, severity: "high" },
      },
      { now: OPENED, actor: "ops@example.com" },
    );
    expect(result.sla).toEqual({ severity: "high", exposed: 3 });
    const due = Object.fromEntries(result.findings.map((f) => [f.entityName, isoDate(f.dueDate)]));
    expect(due).toEqual({ edge: "2027-01-25", "edge-prod": "2027-01-25", db: "2027-01-25", lab: "2027-02-09", "jewel-host": "2027-02-09" });
    const stored = await loadFindings(store, OPENED, { maintenanceId: result.maintenanceId });
    expect(stored).toHaveLength(5);
    const raw = await store.getEntities(stored.map((f) => f.id));
    expect(raw.find((e) => e.props.entityName === "edge")!.props).toMatchObject({ severity: "high", exposure: "internet-facing" });
    expect(raw.find((e) => e.props.entityName === "lab")!.props.exposure).toBeUndefined();
  });

  it("the clock pauses while a risk is accepted: accepted 20 days, due moves 20 days (resumes, not restarts)", async () => {
    const item = await openMaintenance(
      store,
      {
        query: "Find Host with name = 'edge'",
        shortDescription: "Patch openssl on edge",
        description: "Patch openssl",
        webLink: "https://wiki.example.com/openssl",
        dueDate: slaDue(policy, { severity: "high", openedOn: OPENED }),
        track: false,
        dryRun: false,
        sla: { policy, severity: "high" },
      },
      { now: OPENED, actor: "ops@example.com" },
    );
    expect(isoDate(item.findings[0]!.dueDate)).toBe("2027-01-25");
    const accepted = OPENED + 5 * DAY_MS; // 2027-01-15, 10 days left on the clock
    await closeMaintenance(store, {
      maintenanceId: item.maintenanceId,
      reason: "RISK_ACCEPTED",
      link: "https://wiki.example.com/adr/9",
      until: accepted + 20 * DAY_MS,
      actor: "ciso@example.com",
      now: accepted,
    });
    const reopenedAt = accepted + 20 * DAY_MS; // 2027-02-04: the acceptance expires
    expect((await reconcile(store, { now: reopenedAt })).reopened).toBe(1);
    const [f] = await loadFindings(store, reopenedAt, { maintenanceId: item.maintenanceId });
    expect(f).toMatchObject({ closed: false, reopenedOn: reopenedAt, pausedMs: 20 * DAY_MS });
    expect(isoDate(f!.dueDate)).toBe("2027-02-14"); // 2027-01-25 + 20 days: still 10 days left
    expect(f!.dueDate - reopenedAt).toBe(10 * DAY_MS);
    expect(f!.evidence).toBe("risk acceptance expired on 2027-02-04; accepted for 20 days, so the SLA clock resumes: due 2027-01-25 -> 2027-02-14");
    const reopen = (await store.auditLog()).find((e) => e.action === "reopen");
    expect(reopen).toMatchObject({ subject: item.maintenanceId, details: { count: 1, dueMoved: 1 } });

    // accepted again for 10 days: the pauses add up
    await closeMaintenance(store, {
      maintenanceId: item.maintenanceId,
      reason: "RISK_ACCEPTED",
      link: "https://wiki.example.com/adr/9",
      until: reopenedAt + 10 * DAY_MS,
      actor: "ciso@example.com",
      now: reopenedAt,
    });
    await reconcile(store, { now: reopenedAt + 10 * DAY_MS });
    const [again] = await loadFindings(store, reopenedAt + 10 * DAY_MS, { maintenanceId: item.maintenanceId });
    expect(again).toMatchObject({ pausedMs: 30 * DAY_MS });
    expect(isoDate(again!.dueDate)).toBe("2027-02-24");
  });
});
