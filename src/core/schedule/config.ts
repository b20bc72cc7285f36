/**
 * The `schedule:` section of dm.config.yaml (`jobs:` is accepted too): which
 * jobs `dm serve` runs, each on a five-field cron expression in UTC.
 *
 *   integrations:
 *     - id: git
 *       path: ~/src
 *   schedule:
 *     sync: "0 * * * *"          # every instance of integrations:, one job each
 *     reconcile: "*\/15 * * * *"
 *     vulns-scan: "30 2 * * *"
 *     rules: "0 * * * *"             # dm rules run: the enabled packs of this file
 *     oncall-sync: "*\/5 * * * *"
 *     alerts: "* * * * *"            # evaluate the alert rules that are due (each on its interval or cron)
 *     digest: "* * * * *"            # send digests when digests.schedule is due; retry pending ones
 *     drill: "0 * * * *"             # dm drill: prove the alert path (a dead man's switch: watch dm_drill_last_success_timestamp_seconds)
 *
 * `sync` may instead map integration ids or instance names to expressions
 * (`sync: { git: "*\/30 * * * *", hosts: "@daily" }`); instances it does not
 * name are not scheduled. An error names the file and the key.
 */
import { InputError } from "../../shared/errors.js";
import { readYamlFile } from "../../shared/yaml-file.js";
import { type ConfiguredInstance, loadConfigFile } from "../ingest/config-file.js";
import { CronError, type CronSchedule, parseCron } from "./cron.js";

export const JOB_KINDS = ["sync", "reconcile", "vulns-scan", "oncall-sync", "rules", "alerts", "digest", "drill"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export type JobSpec =
  | { name: string; kind: "sync"; schedule: CronSchedule; instance: ConfiguredInstance; instanceName: string }
  | { name: string; kind: Exclude<JobKind, "sync">; schedule: CronSchedule };

function cronAt(value: unknown, where: string): CronSchedule {
  if (typeof value !== "string") {
    throw new InputError(`${where}: expected a cron expression in quotes, e.g. "*/15 * * * *"`);
  }
  try {
    return parseCron(value);
  } catch (error) {
    if (error instanceof CronError) {
      throw new InputError(`${where}: ${error.message}`, {
        cause: error,
        details: ['Five fields, in UTC: minute hour day-of-month month day-of-week, e.g. "30 2 * * *" (02:30 every day).'],
      });
    }
    throw error;
  }
}

/** The jobs configured in `file`; an empty list when it has no schedule section. */
export function loadScheduleConfig(file: string, cwd: string): JobSpec[] {
  const doc = readYamlFile(file);
  const top = (typeof doc === "object" && doc !== null ? doc : {}) as Record<string, unknown>;
  if (top.schedule !== undefined && top.jobs !== undefined) throw new InputError(`${file}: give schedule or jobs, not both`);
  const key = top.jobs !== undefined ? "jobs" : "schedule";
  const section = top[key];
  if (section === undefined || section === null) return [];
  if (typeof section !== "object" || Array.isArray(section)) {
    throw new InputError(`${file}: ${key}: expected a map of job names to cron expressions`, {
      details: [`${key}:\n  reconcile: "*/15 * * * *"`],
    });
  }
  const jobs: JobSpec[] = [];
  for (const [name, value] of Object.entries(section as Record<string, unknown>)) {
    const where = `${file}: ${key}.${name}`;
    if (!(JOB_KINDS as readonly string[]).includes(name)) {
      throw new InputError(`${where}: not a job`, { details: [`Known jobs: ${JOB_KINDS.join(", ")}.`] });
    }
    if (name !== "sync") {
      jobs.push({ name, kind: name as Exclude<JobKind, "sync">, schedule: cronAt(value, where) });
      continue;
    }
    let instances: ConfiguredInstance[];
    try {
      instances = loadConfigFile(file);
    } catch (error) {
      throw new InputError(`${where}: needs the integrations: list in the same file (${(error as Error).message})`, { cause: error });
    }
    const named = instances.map((instance) => ({ instance, instanceName: instance.integration.instanceName(instance.config, cwd) }));
    if (typeof value === "string" || typeof value !== "object" || value === null) {
      const schedule = cronAt(value, where);
      for (const n of named) jobs.push({ name: `sync:${n.instanceName}`, kind: "sync", schedule, ...n });
      continue;
    }
    const scheduled = new Set<string>();
    for (const [target, expression] of Object.entries(value as Record<string, unknown>)) {
      const at = `${where}.${target}`;
      const schedule = cronAt(expression, at);
      const matching = named.filter((n) => n.instance.integration.id === target || n.instanceName === target);
      if (matching.length === 0) {
        throw new InputError(`${at}: no instance in integrations: is this integration or instance`, {
          details: [`Instances: ${named.map((n) => n.instanceName).join(", ") || "none"}.`],
        });
      }
      for (const n of matching) {
        // A name given in full wins over its integration id.
        if (scheduled.has(n.instanceName) && n.instanceName !== target) continue;
        const existing = jobs.findIndex((j) => j.name === `sync:${n.instanceName}`);
        if (existing >= 0) jobs.splice(existing, 1);
        scheduled.add(n.instanceName);
        jobs.push({ name: `sync:${n.instanceName}`, kind: "sync", schedule, ...n });
      }
    }
  }
  return jobs;
}
