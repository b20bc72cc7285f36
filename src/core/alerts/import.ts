/**
 * JupiterOne's alert rule packs (the `@jupiterone/jupiterone-alert-rules`
 * npm package: `rule-packs/*.json`, each a list of
 * `{name, description, queries: [{name, query, version}], alertLevel}`),
 * read as they are. A rule without a condition alerts on `total > 0`
 * (JupiterOne's default `queries.query0.total > 0`). A rule whose query our
 * J1QL does not compile is reported (rule, query, position) and left out;
 * the others are imported. Imported rules live in the database
 * (alert_rules), so every replica and every `dm alerts run` on that database
 * sees them; their actions, interval and repeat come from `alertDefaults:`.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { InputError } from "../../shared/errors.js";
import type { StoredAlertRule } from "../../store/types.js";
import { checkAlertQuery, parseCondition } from "./config.js";

const PackRule = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  queries: z.array(z.object({ name: z.string().min(1), query: z.string().min(1), version: z.string().optional() })).min(1),
  alertLevel: z.string().optional(),
  /** not in the published packs; accepted when a pack gives one */
  condition: z.string().optional(),
});

export interface ImportProblem {
  file: string;
  rule: string;
  query?: string;
  error: string;
}

export interface PackImport {
  rules: StoredAlertRule[];
  problems: ImportProblem[];
  files: string[];
}

function packFiles(target: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new InputError(`${target}: no such file or folder`, {
      details: ["Give a pack file (a JSON list of rules) or a folder of them, e.g. node_modules/@jupiterone/jupiterone-alert-rules/rule-packs"],
    });
  }
  if (!stat.isDirectory()) return [target];
  const files = fs
    .readdirSync(target)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(target, f));
  if (files.length === 0) throw new InputError(`${target}: no .json pack in this folder`);
  return files;
}

/** Read a pack file or a folder of packs; `now` stamps the rules. */
export function readAlertPacks(target: string, now: number): PackImport {
  const files = packFiles(target);
  const rules: StoredAlertRule[] = [];
  const problems: ImportProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
      throw new InputError(`${file}: not JSON: ${(error as Error).message}`);
    }
    rulesOfPack(doc, file, now, { rules, problems, seen });
  }
  return { rules, problems, files };
}

/** One pack's rules, already parsed (a file's, or a request body's named `source`). */
export function alertPackOf(doc: unknown, source: string, now: number): PackImport {
  const out = { rules: [] as StoredAlertRule[], problems: [] as ImportProblem[], seen: new Map<string, string>() };
  rulesOfPack(doc, source, now, out);
  return { rules: out.rules, problems: out.problems, files: [source] };
}

function rulesOfPack(
  doc: unknown,
  file: string,
  now: number,
  { rules, problems, seen }: { rules: StoredAlertRule[]; problems: ImportProblem[]; seen: Map<string, string> },
): void {
  const list = Array.isArray(doc) ? doc : (doc as { rules?: unknown })?.rules;
  if (!Array.isArray(list)) throw new InputError(`${file}: expected a list of alert rules ({name, description, queries, alertLevel})`);
  list.forEach((raw, i) => {
    const name = typeof (raw as { name?: unknown })?.name === "string" ? (raw as { name: string }).name : `#${i + 1}`;
    const parsed = PackRule.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push({ file, rule: name, error: `[${i}].${issue.path.join(".")}: ${issue.message}` });
      return;
    }
    const r = parsed.data;
    const condition = r.condition ?? "total > 0";
    try {
      parseCondition(condition, "condition");
    } catch (error) {
      problems.push({ file, rule: r.name, error: (error as Error).message });
      return;
    }
    let ok = true;
    for (const q of r.queries) {
      try {
        checkAlertQuery(q.query, {}, q.name);
      } catch (error) {
        ok = false;
        problems.push({ file, rule: r.name, query: q.name, error: (error as Error).message.replace(`${q.name}: `, "") });
      }
    }
    if (!ok) return;
    const other = seen.get(r.name);
    if (other) {
      problems.push({ file, rule: r.name, error: `the name is used by a rule of ${other} too; the first is kept` });
      return;
    }
    seen.set(r.name, file);
    rules.push({
      name: r.name,
      description: r.description ?? "",
      queries: r.queries.map(({ name: n, query }) => ({ name: n, query })),
      condition,
      level: r.alertLevel ?? null,
      source: path.basename(file),
      importedOn: now,
    });
  });
}
