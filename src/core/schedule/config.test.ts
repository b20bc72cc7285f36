import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import { loadScheduleConfig } from "./config.js";

const hosts = path.resolve(import.meta.dirname, "../../integrations/hosts/fixtures/inventory.csv");
const json = path.resolve(import.meta.dirname, "../../integrations/hosts/fixtures/inventory.json");

function configFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-schedule-"));
  const file = path.join(dir, "dm.config.yaml");
  fs.writeFileSync(file, text);
  return file;
}

function problem(text: string): string {
  const file = configFile(text);
  try {
    loadScheduleConfig(file, path.dirname(file));
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message.replace(file, "FILE");
  }
  return "no error";
}

describe("schedule: in dm.config.yaml", () => {
  it("makes one job per configured kind, and one sync job per integration instance", () => {
    const file = configFile(`
integrations:
  - id: hosts
    file: ${hosts}
  - id: hosts
    file: ${json}
schedule:
  sync: "0 * * * *"
  reconcile: "*/15 * * * *"
  vulns-scan: "@daily"
  oncall-sync: "*/5 * * * *"
`);
    const jobs = loadScheduleConfig(file, "/");
    expect(jobs.map((j) => [j.name, j.kind, j.schedule.source])).toEqual([
      [`sync:hosts:${hosts}`, "sync", "0 * * * *"],
      [`sync:hosts:${json}`, "sync", "0 * * * *"],
      ["reconcile", "reconcile", "*/15 * * * *"],
      ["vulns-scan", "vulns-scan", "@daily"],
      ["oncall-sync", "oncall-sync", "*/5 * * * *"],
    ]);
  });

  it("takes jobs: as well, per-instance sync schedules, and nothing when there is no section", () => {
    const file = configFile(`
integrations:
  - id: hosts
    file: ${hosts}
  - id: hosts
    file: ${json}
jobs:
  sync:
    hosts: "0 3 * * *"
    "hosts:${json}": "*/30 * * * *"
`);
    expect(loadScheduleConfig(file, "/").map((j) => [j.name, j.schedule.source])).toEqual([
      [`sync:hosts:${hosts}`, "0 3 * * *"],
      [`sync:hosts:${json}`, "*/30 * * * *"],
    ]);
    expect(loadScheduleConfig(configFile(`integrations:\n  - id: hosts\n    file: ${hosts}\n`), "/")).toEqual([]);
  });

  it("names the file and the key of every mistake", () => {
    expect(problem('schedule:\n  reconcile: "61 * * * *"\n')).toBe("FILE: schedule.reconcile: minute: 61 is outside 0-59");
    expect(problem('jobs:\n  reconcile: "* * *"\n')).toContain("FILE: jobs.reconcile: \"* * *\" has 3 fields");
    expect(problem("schedule:\n  reconcile: 5\n")).toContain("FILE: schedule.reconcile: expected a cron expression");
    expect(problem('schedule:\n  backup: "* * * * *"\n')).toBe("FILE: schedule.backup: not a job");
    expect(problem('schedule:\n  sync: "* * * * *"\n')).toContain("FILE: schedule.sync: needs the integrations: list");
    expect(problem(`integrations:\n  - id: hosts\n    file: ${hosts}\nschedule:\n  sync:\n    git: "* * * * *"\n`)).toContain(
      "FILE: schedule.sync.git: no instance in integrations:",
    );
    expect(problem('schedule:\n  reconcile: "* * * * *"\njobs:\n  reconcile: "* * * * *"\n')).toBe("FILE: give schedule or jobs, not both");
    expect(problem("schedule:\n  - reconcile\n")).toContain("FILE: schedule: expected a map");
    // a YAML syntax error names the line and column
    expect(problem("schedule: [\n")).toMatch(/^FILE:2:1: /);
  });
});
