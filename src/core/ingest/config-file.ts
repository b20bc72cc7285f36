/**
 * dm.config.yaml: the integration instances `dm sync --all` runs. Looked for
 * in the current folder, then in ~/.deferred-maintenance/. Every instance is
 * validated by its integration's schema; an error names the file and the key.
 *
 *   integrations:
 *     - id: git
 *       path: ~/src
 *     - id: hosts
 *       file: inventory/hosts.csv
 */
import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { integrationById, INTEGRATIONS } from "../../integrations/registry.js";
import type { Integration } from "../../integrations/types.js";
import { InputError } from "../../shared/errors.js";
import { readYamlFile } from "../../shared/yaml-file.js";

export const CONFIG_FILE = "dm.config.yaml";

export interface ConfiguredInstance {
  integration: Integration<unknown>;
  config: unknown;
}

/**
 * The first problem of an instance's settings, naming the key: an unknown
 * key is refused (a typo must not silently disable a setting) with the
 * settings that exist.
 */
export function settingsError(
  where: string,
  integration: string,
  error: z.ZodError,
  schema?: unknown,
  settings: Record<string, unknown> = {},
): InputError {
  const issue = error.issues[0]!;
  const at = issue.path.join(".");
  if (issue.code === "unrecognized_keys") {
    const key = [at, issue.keys[0]].filter(Boolean).join(".");
    const others = issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(", ")})` : "";
    return new InputError(`${where}.${key}: not a setting of the ${integration} integration${others}`, {
      details: ["Check the spelling against docs/integrations.md: an unknown setting is refused rather than ignored."],
    });
  }
  return new InputError(`${where}.${at || "(settings)"}${issueText(issue, schema, settings)}`);
}

/** What a setting is for (its schema's `.describe()`), when the integration says. */
function settingDescription(schema: unknown, key: string): string | undefined {
  type Node = { shape?: Record<string, { description?: string }>; def?: { in?: Node; innerType?: Node; schema?: Node } } | undefined;
  let node = schema as Node;
  for (let depth = 0; node !== undefined && depth < 5; depth++) {
    if (node.shape) return node.shape[key]?.description;
    node = node.def?.in ?? node.def?.innerType ?? node.def?.schema;
  }
  return undefined;
}

/**
 * A zod issue in words a person acts on, to follow the setting's name: a
 * setting that is missing " is required" (with what it is for), a value of
 * the wrong type ": expected a string, not a number"; else ": " and zod's
 * own message (the schemas write theirs).
 */
export function issueText(issue: z.core.$ZodIssue, schema: unknown, settings: Record<string, unknown>): string {
  const key = issue.path.length === 1 ? String(issue.path[0]) : undefined;
  if (issue.code === "invalid_type") {
    if (key !== undefined && settings[key] === undefined) {
      const what = settingDescription(schema, key);
      return ` is required${what ? `: ${what}` : ""}`;
    }
    const given = key === undefined ? undefined : settings[key];
    const kind = Array.isArray(given) ? "a list" : given === null ? "null" : `a ${typeof given}`;
    return `: expected ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}, not ${kind}`;
  }
  return `: ${issue.message}`;
}

export function findConfigFile(cwd: string, dataDir: string): string | undefined {
  for (const dir of [cwd, dataDir]) {
    const file = path.join(dir, CONFIG_FILE);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

export function loadConfigFile(file: string): ConfiguredInstance[] {
  const doc = readYamlFile(file);
  const list = (doc as { integrations?: unknown } | null)?.integrations;
  if (!Array.isArray(list)) {
    throw new InputError(`${file}: integrations: expected a list of integration instances`, {
      details: ["integrations:\n  - id: git\n    path: ~/src"],
    });
  }
  return list.map((item, index) => {
    const where = `${file}: integrations[${index}]`;
    if (typeof item !== "object" || item === null) throw new InputError(`${where}: expected an object with an id`);
    const { id, ...settings } = item as Record<string, unknown>;
    const integration = typeof id === "string" ? integrationById(id) : undefined;
    if (!integration) {
      throw new InputError(`${where}.id: ${JSON.stringify(id)} is not an integration`, {
        details: [`Known: ${INTEGRATIONS.map((i) => i.id).join(", ")}.`],
      });
    }
    const parsed = integration.configSchema.safeParse(settings);
    if (!parsed.success) throw settingsError(where, integration.id, parsed.error, integration.configSchema, settings);
    return { integration, config: parsed.data };
  });
}

export interface InstanceRequest {
  /** an integration id (`github`) */
  integration?: string;
  /** every instance in dm.config.yaml */
  all?: boolean;
  /** settings given with the request (command-line flags, the API body); none: the config file's instances */
  settings: Record<string, unknown>;
}

/**
 * The instances a sync request means, the same for `dm sync` and POST
 * /api/v1/sync: `all` is dm.config.yaml's every instance; an integration
 * with settings is that one instance; an integration without settings is
 * each of its instances in dm.config.yaml (`dm sync github`), else its
 * defaults. `names` says how the request names things in messages.
 */
export function instancesFor(
  request: InstanceRequest,
  where: { cwd: string; dataDir: string },
  names: { all: string; setting: (key: string) => string; command: string },
): ConfiguredInstance[] {
  const known = `Known: ${INTEGRATIONS.map((i) => i.id).join(", ")}.`;
  if (request.all) {
    if (request.integration) throw new InputError(`give an integration or ${names.all}, not both`);
    const file = findConfigFile(where.cwd, where.dataDir);
    if (!file) {
      throw new InputError(`${names.command} ${names.all} needs dm.config.yaml (in ${where.cwd} or ${where.dataDir})`, {
        details: ["integrations:\n  - id: git\n    path: ~/src"],
      });
    }
    return loadConfigFile(file);
  }
  if (!request.integration) {
    throw new InputError(`name an integration (${INTEGRATIONS.map((i) => i.id).join(", ")}) or use ${names.all}`);
  }
  const integration = integrationById(request.integration);
  if (!integration) throw new InputError(`"${request.integration}" is not an integration`, { details: [known] });
  if (Object.keys(request.settings).length === 0) {
    const file = findConfigFile(where.cwd, where.dataDir);
    const configured = file ? loadConfigFile(file).filter((i) => i.integration.id === integration.id) : [];
    if (configured.length > 0) return configured;
  }
  const parsed = integration.configSchema.safeParse(request.settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === "unrecognized_keys" ? issue.keys[0]! : issue.path.length > 0 ? String(issue.path[0]) : "";
    const message =
      issue.code === "unrecognized_keys"
        ? `: not a setting of the ${integration.id} integration`
        : issueText(issue, integration.configSchema, request.settings);
    throw new InputError(`${names.command} ${integration.id}: ${key ? names.setting(key) : "the settings"}${message}`, {
      details: Object.keys(request.settings).length === 0 ? [`Or configure it in dm.config.yaml (docs/integrations.md, "${integration.id}").`] : [],
    });
  }
  return [{ integration, config: parsed.data }];
}
