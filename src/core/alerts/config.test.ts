import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { InputError } from "../../shared/errors.js";
import { isDue, parseAlertsSection, parseCondition, parsePeriod } from "./config.js";
import { readAlertPacks } from "./import.js";

const factory = {
  parseAction(raw: unknown, where: string) {
    if (typeof raw !== "object" || raw === null || !("type" in raw)) throw new InputError(`${where}: an action needs a type`);
    return raw;
  },
};

const parse = (yaml: string) => parseAlertsSection(parseYaml(yaml), "dm.config.yaml", factory);

const GOOD = `
alerts:
  - name: overdue-maintenance
    description: Overdue work per team
    queries:
      - name: overdue
        query: Find deferred_maintenance with closed=false and dueDate < date.now - {{days}} days
    parameters: {days: 3}
    when: total > 2
    group_by: owner
    interval: 15m
    repeat: 12h
    actions:
      - type: webhook
        url: https://hooks.example.com/dm
  - name: new-repos
    queries:
      - {name: q, query: "Find CodeRepo"}
    when: new
    cron: "*/5 * * * *"
alertDefaults:
  actions:
    - type: slack
      webhook: env:SLACK_WEBHOOK_URL
  interval: 1h
`;

describe("alerts: config", () => {
  it("reads rules, defaults, periods, cron and actions with where they were written", () => {
    const setup = parse(GOOD);
    expect(setup.rules).toHaveLength(2);
    const [a, b] = setup.rules;
    expect(a).toMatchObject({
      name: "overdue-maintenance",
      when: { kind: "total", above: 2 },
      groupBy: "owner",
      schedule: { kind: "interval", ms: 15 * 60_000 },
      repeatMs: 12 * 3_600_000,
      parameters: { days: 3 },
    });
    expect(a!.actions[0]!.where).toBe("dm.config.yaml: alerts[0].actions[0]");
    expect(b).toMatchObject({ when: { kind: "new" }, schedule: { kind: "cron", source: "*/5 * * * *" }, repeatMs: 86_400_000 });
    expect(setup.defaults.actions).toHaveLength(1);
    expect(setup.defaults.schedule).toMatchObject({ kind: "interval", ms: 3_600_000 });
  });

  it.each([
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    when: total >= 1", "dm.config.yaml: alerts[0].when"],
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    colour: red", "dm.config.yaml: alerts[0].colour: not a setting"],
    ["alerts:\n  - name: x\n    queries: []", "dm.config.yaml: alerts[0].queries"],
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    interval: 5\n", "dm.config.yaml: alerts[0].interval"],
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    interval: 10s\n", "at least 1m"],
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    interval: 5m\n    cron: '* * * * *'", "interval or cron, not both"],
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    cron: '61 * * * *'", "dm.config.yaml: alerts[0].cron"],
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n    actions: [{url: x}]", "dm.config.yaml: alerts[0].actions[0]: an action needs a type"],
    ["alerts:\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]\n  - name: x\n    queries: [{name: q, query: Find CodeRepo}]", "alerts[1].name"],
    ["alertDefaults:\n  actions: {}", "dm.config.yaml: alertDefaults.actions"],
    ["alerts: {name: x}", "alerts: expected a list"],
  ])("refuses %j naming %s", (yaml, expected) => {
    expect(() => parse(yaml)).toThrow(InputError);
    expect(() => parse(yaml)).toThrow(expected);
  });

  it("compiles every query at load: the error names the rule, the query and the position", () => {
    const yaml = "alerts:\n  - name: x\n    queries:\n      - {name: ok, query: Find CodeRepo}\n      - {name: bad, query: Find CodeRepo wiht name='x'}";
    try {
      parse(yaml);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(/^dm\.config\.yaml: alerts\[0\]\.queries\[1\]\.query: .*line 1, column 15/);
      expect((error as InputError).details.join("\n")).toContain("^^^^");
    }
  });

  it("refuses a query whose {{parameter}} has no value", () => {
    expect(() => parse("alerts:\n  - name: x\n    queries: [{name: q, query: 'Find CodeRepo with age > {{n}}'}]")).toThrow(/alerts\[0\]\.queries\[0\]\.query/);
  });

  it("conditions and periods", () => {
    expect(parseCondition("queries.query0.total > 0", "w")).toEqual({ kind: "total", above: 0 });
    expect(parseCondition(" resolved ", "w")).toEqual({ kind: "resolved" });
    expect(parsePeriod("2w", "x")).toBe(14 * 86_400_000);
    expect(() => parsePeriod("soon", "x")).toThrow(/not a period/);
  });

  it("is due on its interval or its cron", () => {
    const [a, b] = parse(GOOD).rules;
    const t = Date.UTC(2026, 0, 1, 10, 0);
    expect(isDue(a!, undefined, t)).toBe(true);
    expect(isDue(a!, t, t + 10 * 60_000)).toBe(false);
    expect(isDue(a!, t, t + 15 * 60_000)).toBe(true);
    expect(isDue(b!, t + 60_000, t + 4 * 60_000)).toBe(false);
    expect(isDue(b!, t + 60_000, t + 5 * 60_000)).toBe(true);
  });
});

describe("alerts: JupiterOne's alert packs", () => {
  const packs = path.resolve("node_modules/@jupiterone/jupiterone-alert-rules/rule-packs");

  it("imports the published packs: every rule compiles (24 of 24 in version 0.3.0)", () => {
    const r = readAlertPacks(packs, 0);
    expect(r.files.map((f) => path.basename(f))).toEqual(["aws-config.json", "common-alerts.json"]);
    expect(r.problems).toEqual([]);
    expect(r.rules.length).toBe(24);
    expect(r.rules.every((x) => x.condition === "total > 0")).toBe(true);
    expect(r.rules.find((x) => x.name === "acm-certificate-expiration-check")).toMatchObject({ level: "INFO", source: "aws-config.json" });
  });
});
