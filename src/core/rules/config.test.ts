/**
 * loadRulesSetup: the built-in pack, the packs and overrides under `rules:`
 * in dm.config.yaml, and `deploymentModels:`. Anything wrong stops it with an
 * InputError (exit 2) naming the file and the key; nothing runs.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/cli.js";
import { E, NOW, RULES_GRAPH } from "../../../test/helpers/rules-graph.js";
import { InputError } from "../../shared/errors.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import { BUILTIN_PACK, loadRulesSetup } from "./config.js";
import { explainEntity } from "./explain.js";
import { runRules } from "./run.js";

const pack = (name: string, ruleId = "no-readme", extra = "") => `pack: ${name}
description: A pack for the tests.
parameters: { minStars: 5 }
rules:
  - id: ${ruleId}
    title: Repos without a README
    r: hygiene
    rationale: Nobody can take over a repository that does not say what it is.
    query: Find CodeRepo with hasReadme = false and stars > {{minStars}}
    open: { short: Write a README, description: Say what it is., link: "https://wiki.example.com/readme" }
    severity: low
    due: 30d
${extra}`;

let dir: string;
beforeEach(() => {
  dir = tempDir("dm-rules-config-");
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const config = (text: string) => write("dm.config.yaml", text);

function refusal(configFile: string): InputError {
  try {
    loadRulesSetup(configFile, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(2);
    return error as InputError;
  }
  throw new Error("the configuration was accepted");
}

describe("loadRulesSetup", () => {
  it("without a config file: the built-in pack alone", () => {
    const setup = loadRulesSetup(undefined);
    expect(setup.packs.map((p) => p.name)).toEqual([BUILTIN_PACK]);
    expect(setup.packs[0]!.rules).toHaveLength(12);
    expect(setup.deploymentModels).toEqual([]);
  });

  it("a config file with other settings and no rules: the built-in pack", () => {
    const setup = loadRulesSetup(config("integrations:\n  - id: git\n    path: ~/src\nschedule:\n  rules: '0 * * * *'\n"), dir);
    expect(setup.packs.map((p) => p.name)).toEqual([BUILTIN_PACK]);
  });

  it("packs from files and folders (their .yaml and .yml, sorted), relative to the config file, named relative to the folder it runs in", () => {
    write("rules/b.yaml", pack("pack-b"));
    write("rules/a.yml", pack("pack-a"));
    write("rules/README.md", "not a pack");
    write("extra/one.yaml", pack("pack-one"));
    const setup = loadRulesSetup(config("rules:\n  packs: [rules/, extra/one.yaml]\n"), dir);
    expect(setup.packs.map((p) => p.name)).toEqual([BUILTIN_PACK, "pack-a", "pack-b", "pack-one"]);
    expect(setup.packs.map((p) => p.source)).toEqual(["built-in", path.join("rules", "a.yml"), path.join("rules", "b.yaml"), path.join("extra", "one.yaml")]);
  });

  it("a pack that does not exist", () => {
    expect(refusal(config("rules:\n  packs: [nope/]\n")).message).toMatch(/rules\.packs: nope\/: no such file or folder/);
  });

  it("overrides: enabled false, parameters, and pack/rule", () => {
    write("rules/mine.yaml", pack("mine", "repave-host-age"));
    const setup = loadRulesSetup(
      config(`rules:
  packs: [rules/mine.yaml]
  overrides:
    three-rs/repave-host-age: { enabled: false }
    repair-host-patch: { parameters: { patchDays: 14 } }
    mine/repave-host-age: { parameters: { minStars: 50 } }
`),
      dir,
    );
    const rules = setup.packs.flatMap((p) => p.rules);
    const find = (p: string, id: string) => rules.find((r) => r.pack === p && r.id === id)!;
    expect(find("three-rs", "repave-host-age").enabled).toBe(false);
    expect(find("mine", "repave-host-age")).toMatchObject({ enabled: true, parameters: { minStars: 50 } });
    expect(find("three-rs", "repair-host-patch").parameters).toMatchObject({ patchDays: 14, repaveDays: 90 });
    // other rules keep the defaults
    expect(find("three-rs", "aging-host-unseen").parameters).toMatchObject({ patchDays: 30 });
  });

  it("an override naming no rule, an id two packs share, a parameter the rule does not have", () => {
    expect(refusal(config("rules:\n  overrides:\n    no-such-rule: { enabled: false }\n")).message).toMatch(
      /dm\.config\.yaml: rules\.overrides\.no-such-rule: no rule of that id/,
    );
    write("rules/mine.yaml", pack("mine", "repave-host-age"));
    expect(refusal(config("rules:\n  packs: [rules/]\n  overrides:\n    repave-host-age: { enabled: false }\n")).message).toMatch(
      /rules\.overrides\.repave-host-age: two packs have that rule; write pack\/rule/,
    );
    expect(refusal(config("rules:\n  overrides:\n    repair-host-patch: { parameters: { patchDayz: 3 } }\n")).message).toMatch(
      /rules\.overrides\.repair-host-patch\.parameters\.patchDayz: the rule has no such parameter \(it has .*patchDays/,
    );
    expect(refusal(config("rules:\n  overrides:\n    repair-host-patch: { parameters: { patchDays: 'x y' } }\n")).message).toMatch(
      /rules\.overrides\.repair-host-patch\.parameters: /,
    );
  });

  it("unknown keys are refused, naming them", () => {
    expect(refusal(config("rules:\n  pack: [rules/]\n")).message).toMatch(/dm\.config\.yaml: rules\.pack: not a setting/);
    expect(refusal(config("rules:\n  overrides:\n    repair-host-patch: { enable: false }\n")).message).toMatch(
      /rules\.overrides\.repair-host-patch\.enable: not a setting/,
    );
    expect(refusal(config("deploymentModels:\n  - query: Find Host\n    model: mutable-vm\n    colour: red\n")).message).toMatch(
      /deploymentModels\.0\.colour: not a setting/,
    );
  });

  it("a duplicate pack name is refused, also the built-in one's", () => {
    write("rules/a.yaml", pack("same"));
    write("rules/b.yaml", pack("same", "other-rule"));
    expect(refusal(config("rules:\n  packs: [rules/]\n")).message).toMatch(/rules\/b\.yaml: pack "same" has the name of the pack in rules\/a\.yaml/);
    write("builtin.yaml", pack("three-rs"));
    expect(refusal(config("rules:\n  packs: [builtin.yaml]\n")).message).toMatch(/builtin\.yaml: pack "three-rs" has the name of the pack in built-in/);
  });

  it("a bad pack stops everything, naming file, line, rule and field", () => {
    write("rules/good.yaml", pack("good"));
    write("rules/tf.yaml", pack("tf", "stale-terraform").replace("r: hygiene", "r: rebuild"));
    const e = refusal(config("rules:\n  packs: [rules/]\n"));
    expect(e.message).toMatch(new RegExp(`^${path.join("rules", "tf.yaml").replace(/[/\\]/g, "[/\\\\]")}:7: rule stale-terraform: rules\\[0\\]\\.r: `));
  });

  it("deploymentModels: checked, in order", () => {
    const setup = loadRulesSetup(
      config("deploymentModels:\n  - query: Find Host with hostname = 'old-vm'\n    model: immutable-vm\n  - query: Find Host\n    model: bare-metal\n"),
      dir,
    );
    expect(setup.deploymentModels).toEqual([
      { query: "Find Host with hostname = 'old-vm'", model: "immutable-vm" },
      { query: "Find Host", model: "bare-metal" },
    ]);
    expect(refusal(config("deploymentModels:\n  - query: Find Host\n    model: vm\n")).message).toMatch(/deploymentModels\.0\.model: /);
    expect(refusal(config("deploymentModels:\n  - query: Find Host with\n    model: mutable-vm\n")).message).toMatch(/deploymentModels\[0\]\.query: /);
    expect(refusal(config("deploymentModels:\n  - query: Find Host as h return h.name\n    model: mutable-vm\n")).message).toMatch(
      /deploymentModels\[0\]\.query: the query must select entities/,
    );
  });

  it("a config file that is not YAML", () => {
    expect(refusal(config("rules: [unclosed\n")).message).toMatch(/dm\.config\.yaml/);
  });
});

describe("the setup, run: configured models (first match wins, over the recorded one), disabled rules, parameters", () => {
  it("judges as configured", async () => {
    const store = SqliteStore.open(":memory:");
    try {
      await store.upsert(RULES_GRAPH, { now: NOW - 1000 });
      const setup = loadRulesSetup(
        config(`rules:
  overrides:
    aging-host-unseen: { enabled: false }
    repair-host-patch: { parameters: { patchDays: 50 } }
deploymentModels:
  - query: Find Host with hostname = 'old-vm'
    model: immutable-vm
  - query: Find Host with hostname ^= 'old' or hostname ^= 'mystery'
    model: bare-metal
`),
        dir,
      );
      const rules = setup.packs.flatMap((p) => p.rules);
      const result = await runRules(store, rules, { now: NOW, dryRun: true, deploymentModels: setup.deploymentModels });
      const violations = Object.fromEntries(result.rules.map((o) => [o.id, o.violations]));
      expect(violations["aging-host-unseen"]).toBeUndefined();
      // old-vm: immutable-vm (the first query), so neither patched nor repaved; mystery-1: bare-metal, judged;
      // metal-1 (patched 40 days ago) is fine with patchDays 50
      expect(violations["repave-host-age"]).toBe(2);
      expect(violations["repair-host-patch"]).toBe(1);
      expect(result.notes).toEqual([]);
      const explained = await explainEntity(store, rules, "old-vm", { now: NOW, deploymentModels: setup.deploymentModels });
      expect(explained.entity.deploymentModel).toBe("immutable-vm");
      expect(explained.rules.map((r) => r.id)).not.toContain("aging-host-unseen");
      expect(explained.rules.find((r) => r.id === "repair-host-patch")!.status).toBe("not-applicable");
      const mystery = await explainEntity(store, rules, E.mystery._key, { now: NOW, deploymentModels: setup.deploymentModels });
      expect(mystery.rules.find((r) => r.id === "repair-host-patch")).toMatchObject({ status: "violates", reason: expect.stringContaining("50 days") });
    } finally {
      await store.close();
    }
  });
});
