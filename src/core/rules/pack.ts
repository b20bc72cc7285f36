/**
 * Rule packs: YAML files of hygiene rules (the three R's). A rule says which
 * threat it answers (`rationale`), which deployment models it applies to,
 * the J1QL selecting what violates it (with `{{parameters}}` whose defaults
 * the rule or the pack gives), and what it opens. A bad pack is refused
 * whole, naming the file, the line, the rule and the field.
 *
 *   pack: my-pack
 *   description: ...
 *   parameters: { maxDays: 30 }          # defaults for every rule of the pack
 *   rules:
 *     - id: repair-host-patch
 *       title: Hosts not patched in {{maxDays}} days
 *       r: repair                          # repair | rotate | repave | hygiene
 *       rationale: Known kernel and OpenSSL flaws stay exploitable ...
 *       appliesTo: [mutable-vm, bare-metal]
 *       notApplicable: rebuild its image instead (rule repair-image-pinning)
 *       query: Find Host with lastPatchedOn < date.now - {{maxDays}} days
 *       open: { short: Patch the host, description: ..., link: https://... }
 *       severity: high
 *       due: 14d                           # or: sla (the SLA policy by severity)
 */
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { j1qlString } from "../../query/quote.js";
import { compile } from "../../query/run.js";
import { sqliteDialect } from "../../query/dialect.js";
import { DmError, InputError } from "../../shared/errors.js";
import { parseDuration } from "../maintenance/due.js";
import { SHORT_DESCRIPTION_MAX } from "../maintenance/finding.js";

import { DEPLOYMENT_MODELS, type DeploymentModel, type R, RS } from "./models.js";

export { DEPLOYMENT_MODELS, type DeploymentModel, type R, RS } from "./models.js";

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;

const ParameterValue = z.union([z.string(), z.number(), z.boolean()]);
const Id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes, e.g. repair-host-patch");

const RuleSchema = z
  .object({
    id: Id,
    title: z.string().min(1),
    r: z.enum(RS),
    rationale: z.string().min(10, "say which threat the rule answers (at least a sentence)"),
    appliesTo: z.array(z.enum(DEPLOYMENT_MODELS)).min(1).optional(),
    /** shown by explain when the asset's deployment model is not one the rule applies to */
    notApplicable: z.string().min(1).optional(),
    query: z.string().min(1),
    open: z
      .object({
        short: z.string().min(1).max(SHORT_DESCRIPTION_MAX, `at most ${SHORT_DESCRIPTION_MAX} characters`),
        description: z.string().min(1),
        link: z.url({ protocol: /^https?$/, error: "an http(s) link to the instructions" }),
      })
      .strict(),
    severity: z.enum(SEVERITIES),
    due: z.union([z.literal("sla"), z.string().regex(/^\d+\s*(d|w|h)$/, 'a period such as 14d, 2w or 48h, or "sla"')]),
    parameters: z.record(z.string(), ParameterValue).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

const PackSchema = z
  .object({
    pack: Id,
    description: z.string().min(1),
    parameters: z.record(z.string(), ParameterValue).optional(),
    rules: z.array(z.unknown()).min(1, "a pack needs at least one rule"),
  })
  .strict();

export interface Rule {
  pack: string;
  id: string;
  title: string;
  r: R;
  rationale: string;
  /** undefined: every deployment model */
  appliesTo?: DeploymentModel[];
  notApplicable?: string;
  query: string;
  open: { short: string; description: string; link: string };
  severity: (typeof SEVERITIES)[number];
  /** a period in ms, or "sla" */
  due: number | "sla";
  /** the values the query's {{parameters}} take (pack defaults, the rule's, then config overrides) */
  parameters: Record<string, string | number | boolean>;
  enabled: boolean;
}

export interface Pack {
  name: string;
  description: string;
  /** the file, or "built-in" */
  source: string;
  rules: Rule[];
}

/** `{{maxDays}}` in a title or description: the parameter's value. */
export function fill(text: string, parameters: Record<string, string | number | boolean>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g, (m, name: string) => (name in parameters ? String(parameters[name]) : m));
}

/**
 * The rule's query with its parameters written in as J1QL values: what a
 * finding records as its selection, runnable as it is (`dm show`, `dm query`).
 */
export function filledQuery(rule: Pick<Rule, "query" | "parameters">): string {
  return rule.query.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g, (m, name: string) => {
    if (!Object.hasOwn(rule.parameters, name)) return m;
    const value = rule.parameters[name]!;
    return typeof value === "string" ? j1qlString(value) : String(value);
  });
}

/** The names of the `{{parameters}}` a text uses. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g)].map((m) => m[1]!);
}

type Issue = z.core.$ZodIssue;

/** The issue to report: an unknown key first (a typo explains the rest), else the first. */
function firstIssue(issues: readonly Issue[]): Issue {
  return issues.find((i) => i.code === "unrecognized_keys") ?? issues[0]!;
}

/** zod's message, except for a missing field (nothing at the path in `value`): say it is required. */
function messageOf(issue: Issue, value: unknown): string {
  if (issue.code !== "invalid_type") return issue.message;
  let at: unknown = value;
  for (const p of issue.path) at = at !== null && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined;
  return at === undefined ? "required, and missing" : issue.message;
}

/** The rule's query, checked: it compiles with its parameters. */
export function checkRuleQuery(rule: Rule): void {
  const compiled = compile(rule.query, sqliteDialect, { now: 0, parameters: rule.parameters });
  if (compiled.shape !== "list") throw new InputError("the query must select the entities that violate the rule: drop the RETURN");
}

function located(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: (string | number)[]): string {
  let node: unknown = doc.contents;
  let last: { range?: [number, number, number] } | undefined;
  for (const p of path) {
    if (isMap(node)) node = node.get(p as string, true);
    else if (isSeq(node)) node = node.get(p as number, true);
    else break;
    if (node && typeof node === "object" && "range" in node) last = node as { range?: [number, number, number] };
  }
  const at = last?.range?.[0];
  return at === undefined ? "" : `:${lines.linePos(at).line}`;
}

/** Parse and check a pack; every problem names file, line, rule and field. */
export function parsePack(text: string, source: string): Pack {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new InputError(`${source}${pos ? `:${pos.line}:${pos.col}` : ""}: ${e.message.split("\n")[0]}`);
  }
  const raw = doc.toJS() as unknown;
  const fail = (path: (string | number)[], message: string, rule?: string): never => {
    const field = path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "");
    throw new InputError(`${source}${located(doc, lines, path)}: ${rule ? `rule ${rule}: ` : ""}${field || "(pack)"}: ${message}`, {
      details: ["Rule packs are described in docs/rules.md."],
    });
  };
  const pack = PackSchema.safeParse(raw);
  if (!pack.success) {
    const issue = firstIssue(pack.error.issues);
    const path = issue.path as (string | number)[];
    fail(issue.code === "unrecognized_keys" ? [...path, issue.keys[0]!] : path, issue.code === "unrecognized_keys" ? "not a field of a pack" : messageOf(issue, raw));
  }
  const p = pack.data!;
  const seen = new Set<string>();
  const rules: Rule[] = p.rules.map((value, i) => {
    const name = typeof (value as { id?: unknown })?.id === "string" ? (value as { id: string }).id : `#${i + 1}`;
    const parsed = RuleSchema.safeParse(value);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error.issues);
      const path = ["rules", i, ...(issue.path as (string | number)[])];
      if (issue.code === "unrecognized_keys") fail([...path, issue.keys[0]!], "not a field of a rule", name);
      fail(path, messageOf(issue, value), name);
    }
    const r = parsed.data!;
    if (seen.has(r.id)) fail(["rules", i, "id"], `"${r.id}" is used twice in this pack`, name);
    seen.add(r.id);
    const rule: Rule = {
      pack: p.pack,
      id: r.id,
      title: r.title,
      r: r.r,
      rationale: r.rationale,
      ...(r.appliesTo ? { appliesTo: r.appliesTo } : {}),
      ...(r.notApplicable ? { notApplicable: r.notApplicable } : {}),
      query: r.query,
      open: r.open,
      severity: r.severity,
      due: r.due === "sla" ? "sla" : parseDuration(r.due, "due"),
      parameters: { ...p.parameters, ...r.parameters },
      enabled: r.enabled ?? true,
    };
    // every {{parameter}} needs a default here: a pack's query is never given --param
    for (const [field, text] of [
      ["query", rule.query],
      ["title", rule.title],
      ["open.short", rule.open.short],
      ["open.description", rule.open.description],
    ] as const) {
      const missing = placeholders(text).find((n) => !(n in rule.parameters));
      if (missing !== undefined) {
        fail(["rules", i, ...field.split(".")], `the parameter {{${missing}}} has no default: give it one under parameters: (the pack's or the rule's)`, name);
      }
    }
    const short = fill(rule.open.short, rule.parameters);
    if (short.length > SHORT_DESCRIPTION_MAX) {
      fail(["rules", i, "open", "short"], `at most ${SHORT_DESCRIPTION_MAX} characters with its parameters filled in ("${short}" has ${short.length})`, name);
    }
    try {
      checkRuleQuery(rule);
    } catch (error) {
      if (error instanceof DmError) fail(["rules", i, "query"], error.message, name);
      throw error;
    }
    return rule;
  });
  return { name: p.pack, description: p.description, source, rules };
}
