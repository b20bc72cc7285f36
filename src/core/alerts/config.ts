/**
 * Alert rules: the `alerts:` section of dm.config.yaml, and `alertDefaults:`
 * (the actions, interval and repeat of rules imported from JupiterOne alert
 * packs, which have none). docs/alerts.md is the reference.
 *
 *   alerts:
 *     - name: overdue-maintenance
 *       queries:
 *         - name: overdue
 *           query: Find deferred_maintenance with closed=false and dueDate < date.now
 *       parameters: {maxDays: 30}    # {{maxDays}} in the queries (bound, never pasted)
 *       when: total > 0              # total > N, new, resolved
 *       group_by: owner
 *       interval: 15m                # or cron: "*\/15 * * * *"
 *       repeat: 1d
 *       actions: [...]               # parsed by the destinations module (src/notify)
 *   alertDefaults:
 *     actions: [...]
 *
 * Every query is compiled when the file is read: a mistake names the file,
 * the key (`alerts[2].queries[0].query`) and the position in the query.
 * Actions stay raw here, with where they were written; the destinations
 * module parses them (an injected `parseAction`), so this module does not
 * depend on Slack or webhooks.
 */
import { z } from "zod";
import { sqliteDialect } from "../../query/dialect.js";
import { compile } from "../../query/run.js";
import { DmError, InputError } from "../../shared/errors.js";
import { readYamlFile } from "../../shared/yaml-file.js";
import { parseServerSection } from "./digest-config.js";
import type { Destination } from "../../notify/destination.js";
import type { StoredAlertRule } from "../../store/types.js";
import { CronError, type CronSchedule, parseCron } from "../schedule/cron.js";

/** How a secret reference (env:NAME, file:..., vault:...) is read; the destinations module takes it. */
export type ReadSecret = (ref: string, key: string) => Promise<string>;

/**
 * What the destinations module (src/notify/destinations.ts) exports, injected
 * so the alerting core and its tests do not depend on it: `parseAction`
 * checks one raw action (throwing an InputError naming `where`),
 * `destinationFor` makes it ready to deliver.
 */
export interface DestinationFactory<A = unknown> {
  parseAction(raw: unknown, where: string): A;
  destinationFor(action: A, readSecret: ReadSecret): Destination;
}

export type AlertCondition = { kind: "total"; above: number } | { kind: "new" } | { kind: "resolved" };

/** One action as written, parsed by the factory, with where it was written (for errors). */
export interface AlertAction {
  raw: unknown;
  where: string;
  parsed: unknown;
}

export type AlertSchedule = { kind: "interval"; ms: number; source: string } | { kind: "cron"; cron: CronSchedule; source: string };

export interface AlertRule {
  name: string;
  description: string;
  queries: { name: string; query: string }[];
  parameters: Record<string, string | number | boolean>;
  when: AlertCondition;
  /** the condition as written */
  whenText: string;
  groupBy?: string;
  schedule: AlertSchedule;
  repeatMs: number;
  actions: AlertAction[];
  /** "config" (dm.config.yaml) or the alert pack it was imported from */
  origin: "config" | "imported";
  source: string;
  level?: string;
  enabled: boolean;
}

export interface AlertsSetup {
  file?: string;
  /** the dashboard's base URL (`server.url`): notifications link each entity to its page */
  serverUrl?: string;
  rules: AlertRule[];
  defaults: { actions: AlertAction[]; schedule: AlertSchedule; repeatMs: number };
}

export const DEFAULT_INTERVAL = "15m";
export const DEFAULT_IMPORTED_INTERVAL = "1d";
export const DEFAULT_REPEAT = "1d";
const MINUTE = 60_000;

const ParameterValue = z.union([z.string(), z.number(), z.boolean()]);
const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, dots, dashes and underscores, e.g. overdue-maintenance");

const QuerySchema = z.strictObject({
  name: z.string().min(1),
  query: z.string().min(1),
  /** JupiterOne's query version (v1); accepted and ignored */
  version: z.string().optional(),
});

const RuleSchema = z.strictObject({
  name: Name,
  description: z.string().optional(),
  queries: z.array(QuerySchema).min(1, "give at least one query"),
  parameters: z.record(z.string(), ParameterValue).optional(),
  when: z.string().optional(),
  group_by: z.string().min(1).optional(),
  interval: z.string().optional(),
  cron: z.string().optional(),
  repeat: z.string().optional(),
  actions: z.array(z.unknown()).optional(),
  enabled: z.boolean().optional(),
});

const DefaultsSchema = z.strictObject({
  actions: z.array(z.unknown()).optional(),
  interval: z.string().optional(),
  repeat: z.string().optional(),
});

/** `15m`, `1h`, `1d`, `2w`, `30s` -> ms. */
export function parsePeriod(text: string, where: string): number {
  const m = /^(\d+)\s*(s|sec|m|min|h|d|w)$/i.exec(String(text).trim());
  if (!m) throw new InputError(`${where}: "${text}" is not a period; write 15m, 1h, 1d or 2w`);
  const unit = m[2]!.toLowerCase();
  const ms = unit.startsWith("s") ? 1000 : unit.startsWith("m") ? MINUTE : unit === "h" ? 60 * MINUTE : unit === "d" ? 1440 * MINUTE : 10_080 * MINUTE;
  return Number(m[1]) * ms;
}

/** `total > 0`, `total > 5`, `new`, `resolved` (JupiterOne's `queries.query0.total > 0` is read as `total > 0`). */
export function parseCondition(text: string, where: string): AlertCondition {
  const t = text.trim();
  if (/^new$/i.test(t)) return { kind: "new" };
  if (/^resolved$/i.test(t)) return { kind: "resolved" };
  const m = /^(?:queries\.[A-Za-z0-9_]+\.)?total\s*>\s*(\d+)$/i.exec(t);
  if (m) return { kind: "total", above: Number(m[1]) };
  throw new InputError(`${where}: "${text}" is not a condition; write total > 0, total > N, new or resolved`);
}

function scheduleOf(interval: string | undefined, cron: string | undefined, where: string, fallback: string): AlertSchedule {
  if (interval !== undefined && cron !== undefined) throw new InputError(`${where}: give interval or cron, not both`);
  if (cron !== undefined) {
    try {
      return { kind: "cron", cron: parseCron(cron), source: cron };
    } catch (error) {
      if (error instanceof CronError) {
        throw new InputError(`${where}.cron: ${error.message}`, { details: ['Five fields, in UTC, e.g. "*/15 * * * *".'] });
      }
      throw error;
    }
  }
  const text = interval ?? fallback;
  const ms = parsePeriod(text, `${where}.interval`);
  if (ms < MINUTE) throw new InputError(`${where}.interval: at least 1m (dm serve looks at the rules once a minute)`);
  return { kind: "interval", ms, source: text };
}

/** Compile one query with the rule's parameters; the error names where and the position in the query. */
export function checkAlertQuery(query: string, parameters: Record<string, string | number | boolean>, where: string): void {
  try {
    const compiled = compile(query, sqliteDialect, { now: 0, all: true, parameters });
    if (compiled.shape === "tree") throw new InputError("RETURN TREE cannot alert: select entities, or RETURN columns");
  } catch (error) {
    if (error instanceof DmError) throw new InputError(`${where}: ${error.message}`, { cause: error, details: error.details });
    throw error;
  }
}

function zodFailure(file: string, prefix: (string | number)[], error: z.ZodError): InputError {
  const issue = error.issues[0]!;
  const p = [...prefix, ...(issue.path as (string | number)[]), ...(issue.code === "unrecognized_keys" ? [issue.keys[0]!] : [])];
  const at = p.map((x, i) => (typeof x === "number" ? `[${x}]` : `${i === 0 ? "" : "."}${x}`)).join("");
  return new InputError(`${file}: ${at}: ${issue.code === "unrecognized_keys" ? "not a setting" : issue.message}`, {
    details: ["Alert rules are described in docs/alerts.md."],
  });
}

function parseActions(raws: readonly unknown[], where: string, factory: Pick<DestinationFactory, "parseAction">): AlertAction[] {
  return raws.map((raw, i) => {
    const at = `${where}[${i}]`;
    return { raw, where: at, parsed: factory.parseAction(raw, at) };
  });
}

/** Parse the `alerts:` and `alertDefaults:` sections of a parsed config document. */
export function parseAlertsSection(doc: unknown, file: string, factory: Pick<DestinationFactory, "parseAction">): AlertsSetup {
  const top = (typeof doc === "object" && doc !== null && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
  const defaultsRaw = top.alertDefaults ?? {};
  const d = DefaultsSchema.safeParse(defaultsRaw);
  if (!d.success) throw zodFailure(file, ["alertDefaults"], d.error);
  const defaults = {
    actions: parseActions(d.data.actions ?? [], `${file}: alertDefaults.actions`, factory),
    schedule: scheduleOf(d.data.interval, undefined, `${file}: alertDefaults`, DEFAULT_IMPORTED_INTERVAL),
    repeatMs: parsePeriod(d.data.repeat ?? DEFAULT_REPEAT, `${file}: alertDefaults.repeat`),
  };
  const section = top.alerts ?? [];
  if (!Array.isArray(section)) {
    throw new InputError(`${file}: alerts: expected a list of alert rules`, { details: ["alerts:\n  - name: overdue-maintenance\n    queries: [...]"] });
  }
  const rules: AlertRule[] = [];
  const names = new Set<string>();
  section.forEach((raw, i) => {
    const parsed = RuleSchema.safeParse(raw);
    if (!parsed.success) throw zodFailure(file, ["alerts", i], parsed.error);
    const r = parsed.data;
    const where = `${file}: alerts[${i}]`;
    if (names.has(r.name)) throw new InputError(`${where}.name: "${r.name}" is used twice`);
    if (r.name === "digest") throw new InputError(`${where}.name: "digest" is reserved for digests (docs/alerts.md): pick another name`);
    names.add(r.name);
    const queryNames = new Set<string>();
    const parameters = r.parameters ?? {};
    r.queries.forEach((q, j) => {
      if (queryNames.has(q.name)) throw new InputError(`${where}.queries[${j}].name: "${q.name}" is used twice in this rule`);
      queryNames.add(q.name);
      checkAlertQuery(q.query, parameters, `${where}.queries[${j}].query`);
    });
    const whenText = r.when ?? "total > 0";
    rules.push({
      name: r.name,
      description: r.description ?? "",
      queries: r.queries.map(({ name, query }) => ({ name, query })),
      parameters,
      when: parseCondition(whenText, `${where}.when`),
      whenText,
      ...(r.group_by === undefined ? {} : { groupBy: r.group_by }),
      schedule: scheduleOf(r.interval, r.cron, where, DEFAULT_INTERVAL),
      repeatMs: parsePeriod(r.repeat ?? DEFAULT_REPEAT, `${where}.repeat`),
      actions: parseActions(r.actions ?? [], `${where}.actions`, factory),
      origin: "config",
      source: file,
      enabled: r.enabled ?? true,
    });
  });
  const serverUrl = parseServerSection(top, file);
  return { file, rules, defaults, ...(serverUrl === undefined ? {} : { serverUrl }) };
}

/** Each entity's page on the dashboard, when `server.url` is configured. */
export function alertLinks(setup: Pick<AlertsSetup, "serverUrl">): ((key: string) => string) | undefined {
  const base = setup.serverUrl;
  return base === undefined ? undefined : (key) => `${base}/assets/${encodeURIComponent(key)}`;
}

/** The alert rules of a config file (none without a file). */
export function loadAlertsSetup(file: string | undefined, factory: Pick<DestinationFactory, "parseAction">): AlertsSetup {
  if (!file) {
    return {
      rules: [],
      defaults: { actions: [], schedule: scheduleOf(undefined, undefined, "alertDefaults", DEFAULT_IMPORTED_INTERVAL), repeatMs: parsePeriod(DEFAULT_REPEAT, "") },
    };
  }
  return parseAlertsSection(readYamlFile(file), file, factory);
}

/** An imported rule, ready to run: the defaults' actions, interval and repeat. */
export function importedRule(stored: StoredAlertRule, defaults: AlertsSetup["defaults"]): AlertRule {
  return {
    name: stored.name,
    description: stored.description,
    queries: stored.queries,
    parameters: {},
    when: parseCondition(stored.condition, `alert rule ${stored.name}: condition`),
    whenText: stored.condition,
    schedule: defaults.schedule,
    repeatMs: defaults.repeatMs,
    actions: defaults.actions,
    origin: "imported",
    source: stored.source,
    ...(stored.level === null ? {} : { level: stored.level }),
    enabled: true,
  };
}

/** Configured rules, then imported ones; a configured rule hides an imported one of the same name. */
export function allRules(setup: AlertsSetup, imported: readonly StoredAlertRule[]): AlertRule[] {
  const configured = new Set(setup.rules.map((r) => r.name));
  return [...setup.rules, ...imported.filter((r) => !configured.has(r.name)).map((r) => importedRule(r, setup.defaults))];
}

/** Whether a rule is due at `now`, given when it was last evaluated (dm serve's alerts job). */
export function isDue(rule: AlertRule, lastEvaluated: number | undefined, now: number): boolean {
  if (lastEvaluated === undefined) return true;
  if (rule.schedule.kind === "interval") return now - lastEvaluated >= rule.schedule.ms - 5000; // a tick's jitter
  return rule.schedule.cron.next(lastEvaluated) <= now;
}
