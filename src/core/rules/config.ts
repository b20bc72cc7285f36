/**
 * Which rules run: the built-in `three-rs` pack, the packs named under
 * `rules:` in dm.config.yaml (files or folders of .yaml), per-rule
 * `enabled: false` and parameter overrides, and `deploymentModels:`.
 *
 *   rules:
 *     packs: [rules/]                 # files or folders, relative to the config file
 *     overrides:
 *       repave-host-age: { enabled: false }
 *       repair-host-patch: { parameters: { patchDays: 14 } }   # or "three-rs/repair-host-patch"
 *   deploymentModels:
 *     - query: Find Host with tag.Role = 'k8s-node'
 *       model: immutable-vm
 *
 * A bad pack or override names the file and the key, and nothing runs.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { compile } from "../../query/run.js";
import { sqliteDialect } from "../../query/dialect.js";
import { DmError, InputError } from "../../shared/errors.js";
import { readYamlFile } from "../../shared/yaml-file.js";
import { defaultSlaPolicy, type SlaPolicy, slaPolicyFrom } from "../sla/policy.js";
import type { DeploymentRule } from "./deployment.js";
import { checkRuleQuery, DEPLOYMENT_MODELS, type Pack, parsePack } from "./pack.js";
import { THREE_RS_PACK } from "./three-rs.js";

export const BUILTIN_PACK = "three-rs";

const Override = z
  .object({ enabled: z.boolean().optional(), parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })
  .strict();

const Section = z
  .object({
    rules: z
      .object({
        packs: z.array(z.string().min(1)).optional(),
        overrides: z.record(z.string(), Override).optional(),
      })
      .strict()
      .optional(),
    deploymentModels: z.array(z.object({ query: z.string().min(1), model: z.enum(DEPLOYMENT_MODELS) }).strict()).optional(),
  })
  .passthrough();

export interface RulesSetup {
  packs: Pack[];
  deploymentModels: DeploymentRule[];
  /** the file's `sla:` policy, for rules whose `due` is `sla` */
  sla: SlaPolicy;
}

export function builtinPack(): Pack {
  return parsePack(THREE_RS_PACK, "built-in");
}

function packFiles(entry: string, base: string): string[] {
  const full = path.resolve(base, entry);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new InputError(`rules.packs: ${entry}: no such file or folder (relative to ${base})`);
  }
  if (!stat.isDirectory()) return [full];
  return fs
    .readdirSync(full)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => path.join(full, f));
}

/** How a pack file is named in messages: relative to the folder dm runs in when it is under it, else in full. */
function nameOf(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

/**
 * The packs and deployment models to use: the built-in pack, and the config
 * file's (when there is one). `cwd`: the folder dm runs in, that pack files
 * are named relative to.
 */
export function loadRulesSetup(configFile: string | undefined, cwd: string = process.cwd()): RulesSetup {
  const packs = [builtinPack()];
  if (!configFile) return { packs, deploymentModels: [], sla: defaultSlaPolicy() };
  const doc = readYamlFile(configFile);
  const parsed = Section.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = [...issue.path, ...(issue.code === "unrecognized_keys" ? [issue.keys[0]!] : [])].join(".");
    throw new InputError(`${configFile}: ${at}: ${issue.code === "unrecognized_keys" ? "not a setting" : issue.message}`);
  }
  const section = parsed.data;
  const base = path.dirname(configFile);
  for (const entry of section.rules?.packs ?? []) {
    for (const file of packFiles(entry, base)) packs.push(parsePack(fs.readFileSync(file, "utf8"), nameOf(file, cwd)));
  }
  const names = new Map<string, string>();
  for (const p of packs) {
    const other = names.get(p.name);
    if (other) throw new InputError(`${p.source}: pack "${p.name}" has the name of the pack in ${other}: give it another`);
    names.set(p.name, p.source);
  }
  for (const [ref, override] of Object.entries(section.rules?.overrides ?? {})) {
    const [packName, ruleId] = ref.includes("/") ? ref.split("/", 2) : [undefined, ref];
    const matches = packs.flatMap((p) => p.rules).filter((r) => r.id === ruleId && (packName === undefined || r.pack === packName));
    if (matches.length === 0) throw new InputError(`${configFile}: rules.overrides.${ref}: no rule of that id in the packs`);
    if (matches.length > 1) throw new InputError(`${configFile}: rules.overrides.${ref}: two packs have that rule; write pack/rule`);
    const rule = matches[0]!;
    if (override.enabled !== undefined) rule.enabled = override.enabled;
    if (override.parameters) {
      for (const name of Object.keys(override.parameters)) {
        if (!(name in rule.parameters)) {
          throw new InputError(`${configFile}: rules.overrides.${ref}.parameters.${name}: the rule has no such parameter (it has ${Object.keys(rule.parameters).join(", ") || "none"})`);
        }
      }
      rule.parameters = { ...rule.parameters, ...override.parameters };
      try {
        checkRuleQuery(rule);
      } catch (error) {
        if (error instanceof DmError) throw new InputError(`${configFile}: rules.overrides.${ref}.parameters: ${error.message}`);
        throw error;
      }
    }
  }
  const deploymentModels = (section.deploymentModels ?? []).map((d, i) => {
    try {
      const compiled = compile(d.query, sqliteDialect, { now: 0 });
      if (compiled.shape !== "list") throw new InputError("the query must select entities: drop the RETURN");
    } catch (error) {
      if (error instanceof DmError) throw new InputError(`${configFile}: deploymentModels[${i}].query: ${error.message}`);
      throw error;
    }
    return d;
  });
  return { packs, deploymentModels, sla: slaPolicyFrom(doc, configFile) };
}
