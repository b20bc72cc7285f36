/**
 * The SLA policy: one for every source of findings (rules whose `due` is
 * `sla`, vulnerability scans, `dm open --due sla:<severity>`). The top-level
 * `sla:` section of dm.config.yaml:
 *
 *   sla:
 *     critical: 7d
 *     high: 30d
 *     medium: 90d
 *     low: 180d
 *     exposure:                       # optional; the first matching rule wins
 *       - name: internet-facing
 *         when: public=true           # a property test: prop=value (true, false, a number or a string)
 *         factor: 0.5                 # the due period is multiplied by it (0 < factor <= 1)
 *       - name: crown-jewels
 *         query: Find CodeRepo with tag.Tier='1'   # J1QL: the entities it selects are exposed
 *         factor: 0.25
 *
 * Defaults: DEFAULT_SLA_DAYS by severity, no exposure rules. A bad value
 * names the file and the key (`dm.config.yaml: sla.exposure[0].factor: ...`).
 *
 * The clock stands still while a risk acceptance is active (pause.ts):
 * `reopenFinding` moves the due date of a reopened acceptance later by the
 * time it spent accepted.
 */
import { z } from "zod";
import { sqliteDialect } from "../../query/dialect.js";
import { compile, runQuery } from "../../query/run.js";
import { DmError, InputError } from "../../shared/errors.js";
import { readYamlFile } from "../../shared/yaml-file.js";
import type { GraphStore } from "../../store/types.js";
import { DAY_MS, parseDuration } from "../maintenance/due.js";

export { dueAfterPause, pausedFor } from "./pause.js";

export const SLA_SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type SlaSeverity = (typeof SLA_SEVERITIES)[number];
/** What a source may say: a vulnerability with no published severity is `unknown`, judged as medium. */
export type SeverityOrUnknown = SlaSeverity | "unknown";

/** Days to fix, by severity (the policy when the config says nothing). */
export const DEFAULT_SLA_DAYS: Readonly<Record<SeverityOrUnknown, number>> = {
  critical: 7,
  high: 30,
  medium: 90,
  low: 180,
  // no severity published: treated as medium until someone looks
  unknown: 90,
};

/** `prop=value`: the value typed as J1QL types it (true/false, a number, else a string). */
export interface PropertyTest {
  property: string;
  value: string | number | boolean;
  /** as written, for messages */
  text: string;
}

export interface ExposureRule {
  name: string;
  /** the due period is multiplied by it: 0 < factor <= 1 */
  factor: number;
  /** exactly one of `when` and `query` */
  when?: PropertyTest;
  query?: string;
}

export interface SlaPolicy {
  /** ms to fix, by severity */
  periods: Record<SlaSeverity, number>;
  /** first matching rule wins */
  exposure: ExposureRule[];
  /** the file it was read from, when one was */
  source?: string;
}

export function defaultSlaPolicy(): SlaPolicy {
  return {
    periods: {
      critical: DEFAULT_SLA_DAYS.critical * DAY_MS,
      high: DEFAULT_SLA_DAYS.high * DAY_MS,
      medium: DEFAULT_SLA_DAYS.medium * DAY_MS,
      low: DEFAULT_SLA_DAYS.low * DAY_MS,
    },
    exposure: [],
  };
}

export function isSlaSeverity(value: unknown): value is SlaSeverity {
  return typeof value === "string" && (SLA_SEVERITIES as readonly string[]).includes(value);
}

// ------------------------------------------------------------------ parsing

const Period = z.union([z.string(), z.number().int("expected a whole number of days, or a period like 30d").positive("expected a period like 30d, 2w or 12h (or a number of days)")], {
  error: "expected a period like 30d, 2w or 12h (or a number of days)",
});

const Exposure = z
  .strictObject({
    name: z.string({ error: "expected a name for the rule, e.g. internet-facing" }).trim().min(1, "give the rule a name, e.g. internet-facing"),
    when: z.string({ error: "expected a property test like public=true" }).optional(),
    query: z.string({ error: "expected a J1QL query" }).optional(),
    factor: z
      .number({ error: "expected a number more than 0 and at most 1, e.g. 0.5 (halves the due period)" })
      .gt(0, "must be more than 0 and at most 1: the due period is multiplied by it (0.5 halves it)")
      .lte(1, "must be more than 0 and at most 1: the due period is multiplied by it (0.5 halves it)"),
  })
  .superRefine((rule, ctx) => {
    if ((rule.when === undefined) === (rule.query === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [rule.when === undefined ? "when" : "query"],
        message: "give either when (a property test like public=true) or query (J1QL), one of them",
      });
    }
  });

const Section = z.strictObject({
  critical: Period.optional(),
  high: Period.optional(),
  medium: Period.optional(),
  low: Period.optional(),
  exposure: z.array(Exposure, { error: "expected a list of rules (name, when or query, factor)" }).optional(),
});

/** `a.b[0].c` from a zod issue path. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

const PROPERTY = /^[A-Za-z_][\w.:-]*$/;

/** `public=true`, `tag.Production=true`, `tier=1`, `env='prod'` -> a property test; undefined when it is none. */
export function parsePropertyTest(text: string): PropertyTest | undefined {
  const at = text.indexOf("=");
  if (at <= 0) return undefined;
  const property = text.slice(0, at).trim();
  let raw = text.slice(at + 1).trim();
  if (!PROPERTY.test(property) || raw === "") return undefined;
  let value: string | number | boolean;
  if (raw === "true" || raw === "false") value = raw === "true";
  else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
  else {
    const quoted = /^'(.*)'$|^"(.*)"$/.exec(raw);
    if (quoted) raw = quoted[1] ?? quoted[2] ?? "";
    value = raw;
  }
  return { property, value, text: text.trim() };
}

/** A period from the config: a duration string or a number of days; at least an hour. */
function periodOf(value: string | number, where: string): number {
  const ms = typeof value === "number" ? value * DAY_MS : parseDuration(value, where);
  if (ms <= 0) throw new InputError(`${where} "${value}" is no time at all: give a period like 7d`);
  if (typeof value === "number" && ms > 36_500 * DAY_MS) throw new InputError(`${where} ${value} is too long: at most 100 years (36500d)`);
  return ms;
}

/**
 * The SLA policy from a parsed config document (the whole YAML file);
 * defaults for what it does not say. Errors name the file and the key.
 */
export function slaPolicyFrom(doc: unknown, file: string): SlaPolicy {
  const policy = defaultSlaPolicy();
  policy.source = file;
  const section = (doc as { sla?: unknown } | null | undefined)?.sla;
  if (section === undefined || section === null) return policy;
  const parsed = Section.safeParse(section);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys") {
      const known = issue.path.length === 0 ? "critical, high, medium, low, exposure" : "name, when, query, factor";
      throw new InputError(`${file}: sla${fieldOf([...issue.path, issue.keys[0]!])}: not a setting (the settings are ${known})`, {
        details: ["An unknown setting is refused rather than ignored: check the spelling (docs/sla.md)."],
      });
    }
    throw new InputError(`${file}: sla${fieldOf(issue.path)}: ${issue.message}`);
  }
  for (const severity of SLA_SEVERITIES) {
    const value = parsed.data[severity];
    if (value !== undefined) policy.periods[severity] = periodOf(value, `${file}: sla.${severity}`);
  }
  policy.exposure = (parsed.data.exposure ?? []).map((rule, i) => {
    const where = `${file}: sla.exposure[${i}]`;
    if (rule.when !== undefined) {
      const when = parsePropertyTest(rule.when);
      if (!when) {
        throw new InputError(`${where}.when: "${rule.when}" is not a property test; write it as prop=value, e.g. public=true or tag.Production=true`);
      }
      return { name: rule.name, factor: rule.factor, when };
    }
    const query = rule.query!.trim();
    try {
      const compiled = compile(query, sqliteDialect, { now: 0, all: true });
      if (compiled.shape !== "list") throw new InputError("the query must select entities: drop the RETURN");
    } catch (error) {
      if (error instanceof DmError) throw new InputError(`${where}.query: ${error.message}`, { cause: error });
      throw error;
    }
    return { name: rule.name, factor: rule.factor, query };
  });
  const names = new Set<string>();
  for (const [i, rule] of policy.exposure.entries()) {
    if (names.has(rule.name)) throw new InputError(`${file}: sla.exposure[${i}].name: "${rule.name}" names an earlier rule too: give each its own name`);
    names.add(rule.name);
  }
  return policy;
}

/** Read the SLA policy from a config file (YAML); without a file, the defaults. */
export function loadSlaPolicy(configFile?: string): SlaPolicy {
  if (configFile === undefined) return defaultSlaPolicy();
  return slaPolicyFrom(readYamlFile(configFile), configFile);
}

// ------------------------------------------------------------------ exposure

/** An entity whose properties are at hand (a query's list item), or just its id. */
export type ExposureSubject = string | { id: string; properties: Record<string, unknown> };

/** A property of an entity: the flat key (`tag.Production`, as integrations write it), else the nested path. */
function propertyOf(props: Record<string, unknown>, name: string): unknown {
  if (name in props) return props[name];
  let node: unknown = props;
  for (const part of name.split(".")) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Typed equality as J1QL has it: `true` never matches `'true'`; an array matches when an element does. */
export function matchesTest(props: Record<string, unknown>, test: PropertyTest): boolean {
  const value = propertyOf(props, test.property);
  return Array.isArray(value) ? value.some((v) => v === test.value) : value === test.value;
}

/**
 * Which exposure rule each entity falls under (its name), or undefined: the
 * first matching rule wins. Each query rule runs once (only while some
 * entity is still undecided); property tests read the entities' properties
 * (loaded by id when only ids are given).
 */
export async function exposureOf(
  store: GraphStore,
  policy: SlaPolicy,
  entities: readonly ExposureSubject[],
  now: number,
): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const e of entities) out.set(typeof e === "string" ? e : e.id, undefined);
  if (policy.exposure.length === 0 || out.size === 0) return out;

  const props = new Map<string, Record<string, unknown>>();
  for (const e of entities) if (typeof e !== "string") props.set(e.id, e.properties);
  if (policy.exposure.some((r) => r.when)) {
    const missing = [...out.keys()].filter((id) => !props.has(id));
    for (let i = 0; i < missing.length; i += 500) {
      for (const stored of await store.getEntities(missing.slice(i, i + 500))) props.set(stored.id, stored.deleted ? {} : stored.props);
    }
  }

  const undecided = new Set(out.keys());
  for (const rule of policy.exposure) {
    if (undecided.size === 0) break;
    if (rule.when) {
      for (const id of undecided) {
        if (matchesTest(props.get(id) ?? {}, rule.when)) {
          out.set(id, rule.name);
          undecided.delete(id);
        }
      }
      continue;
    }
    const result = await runQuery(store, rule.query!, { now, all: true });
    if (result.type !== "list") continue;
    for (const item of result.data) {
      if (!undecided.has(item.id)) continue;
      out.set(item.id, rule.name);
      undecided.delete(item.id);
    }
  }
  return out;
}

// ------------------------------------------------------------------ due dates

/** The factor of an exposure (a rule's name, or the factor itself); 1 when none. */
export function exposureFactor(policy: SlaPolicy, exposure: number | string | undefined): number {
  if (exposure === undefined) return 1;
  if (typeof exposure === "number") {
    if (!(exposure > 0 && exposure <= 1)) throw new RangeError(`an exposure factor is more than 0 and at most 1, not ${exposure}`);
    return exposure;
  }
  const rule = policy.exposure.find((r) => r.name === exposure);
  if (!rule) throw new RangeError(`no exposure rule named "${exposure}" in the SLA policy`);
  return rule.factor;
}

/** The time to fix: the severity's period, times the exposure's factor (ms, whole). */
export function slaPeriod(policy: SlaPolicy, severity: SeverityOrUnknown, exposure?: number | string): number {
  const period = policy.periods[severity === "unknown" ? "medium" : severity];
  return Math.round(period * exposureFactor(policy, exposure));
}

/** The due date (epoch ms) of a finding of this severity opened on `openedOn`, on an asset of this exposure (a rule's name or its factor). */
export function slaDue(policy: SlaPolicy, finding: { severity: SeverityOrUnknown; openedOn: number; exposure?: number | string | undefined }): number {
  return finding.openedOn + slaPeriod(policy, finding.severity, finding.exposure);
}

/** `30 days`, `15 days`, `12 h`: a period for a person. */
export function formatPeriod(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} day${ms === DAY_MS ? "" : "s"}`;
  if (ms >= DAY_MS) return `${(ms / DAY_MS).toFixed(1)} days`;
  return `${Math.round(ms / 3_600_000)} h`;
}
