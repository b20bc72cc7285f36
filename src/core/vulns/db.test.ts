import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import { AdvisoryDb } from "./db.js";
import { Matcher } from "./match.js";
import { advisoryTexts } from "./sources.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const NOW = Date.UTC(2026, 10, 23);

let dir: string;
let db: AdvisoryDb;

/** A folder holding copies of these fixture files (under `sub/` when given). */
function folderOf(names: string[], sub = ""): string {
  const out = fs.mkdtempSync(path.join(dir, "src-"));
  fs.mkdirSync(path.join(out, sub), { recursive: true });
  for (const n of names) fs.copyFileSync(path.join(FIXTURES, n), path.join(out, sub, n));
  return out;
}

async function load(source: string) {
  return db.import(advisoryTexts(source), { now: NOW, source });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-osv-"));
  db = AdvisoryDb.open(path.join(dir, "osv.db"), { create: true });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("advisory database import", () => {
  it("loads a folder tree, skipping a malformed advisory with its file and reason", async () => {
    const src = folderOf(["GHSA-35jh-r3h4-6jhm.json", "GHSA-jh3w-4vvf-mjgr.json", "malformed-event.json"], "advisories/2021");
    const result = await load(src);
    expect(result).toMatchObject({ read: 2, added: 2, updated: 0, unchanged: 0, withdrawn: 0 });
    expect(result.skipped).toEqual([
      {
        file: path.join(src, "advisories/2021/malformed-event.json"),
        reason: "$.affected[0].ranges[0].events[1]: an event has exactly one of introduced, fixed, last_affected, limit",
      },
    ]);
    const status = db.status();
    expect(status.advisories).toBe(2);
    expect(status.ecosystems).toEqual([
      { ecosystem: "PyPI", advisories: 1, newest: Date.parse("2023-07-03T21:37:16Z") },
      { ecosystem: "npm", advisories: 1, newest: Date.parse("2021-05-06T16:05:46Z") },
    ]);
    expect(status.newest).toBe(Date.parse("2023-07-03T21:37:16Z"));
    expect(status.lastImport).toMatchObject({ at: NOW, added: 2, skipped: 1 });
    expect(db.advisoryIdsFor("npm", "lodash-es")).toEqual(["GHSA-35jh-r3h4-6jhm"]);
    expect(db.advisoryIdsFor("PyPI", "django")).toEqual(["GHSA-jh3w-4vvf-mjgr"]);
  });

  it("re-importing the same advisories changes nothing; a newer copy updates", async () => {
    const src = folderOf(["GHSA-w573-4hg7-7wgq.json"]);
    expect(await load(src)).toMatchObject({ added: 1 });
    expect(await load(src)).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    const matcher = () => new Matcher(db).match("npm", "decode-uri-component", "0.2.0").map((h) => h.id);
    expect(matcher()).toEqual(["GHSA-w573-4hg7-7wgq"]);
    // last_affected is inclusive, and offers no fixed version
    expect(new Matcher(db).match("npm", "decode-uri-component", "0.2.0")[0]!.fixed).toBeUndefined();
    expect(new Matcher(db).match("npm", "decode-uri-component", "0.2.1")).toEqual([]);
    // the withdrawn copy has the same id and a newer `modified`
    expect(await load(path.join(FIXTURES, "withdrawn.json"))).toMatchObject({ updated: 1, withdrawn: 1 });
    expect(matcher()).toEqual([]);
    expect(db.status()).toMatchObject({ advisories: 1, withdrawn: 1, ecosystems: [] });
    // an older copy does not bring it back
    expect(await load(src)).toMatchObject({ updated: 0, unchanged: 1 });
    expect(matcher()).toEqual([]);
  });

  it("reads an osv.dev style zip, naming entries inside it", async () => {
    const zip = path.join(FIXTURES, "advisories.zip");
    const result = await load(zip);
    expect(result).toMatchObject({ read: 2, added: 2 });
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0]!.file).toBe(`${zip}!/advisories/broken.json`);
    expect(result.skipped[0]!.reason).toMatch(/^not JSON: /);
    expect(db.advisoryIdsFor("npm", "lodash")).toEqual(["GHSA-35jh-r3h4-6jhm"]);
  });

  it("reads a JSON file holding an array, naming elements by index", async () => {
    const file = path.join(dir, "all.json");
    const good = JSON.parse(fs.readFileSync(path.join(FIXTURES, "GO-2020-0036.json"), "utf8"));
    fs.writeFileSync(file, JSON.stringify([good, { id: "X-1" }]));
    const result = await load(file);
    expect(result.added).toBe(1);
    expect(result.skipped).toEqual([{ file: `${file}[1]`, reason: "$.modified: Invalid input: expected string, received undefined" }]);
  });

  it("a source that does not exist, and a database that does not, are bad input with a way out", async () => {
    await expect(load(path.join(dir, "nope"))).rejects.toThrow(InputError);
    expect(() => AdvisoryDb.open(path.join(dir, "missing.db"))).toThrow(/no advisory database at .*missing\.db/);
    try {
      AdvisoryDb.open(path.join(dir, "missing.db"));
    } catch (error) {
      expect((error as InputError).details.join("\n")).toContain("dm vulns db import");
    }
    expect(fs.existsSync(path.join(dir, "missing.db"))).toBe(false);
  });

  it("a file that is not an advisory database is refused", () => {
    const file = path.join(dir, "other.db");
    fs.writeFileSync(file, "this is not sqlite at all, just text that is long enough to look like a file header........");
    expect(() => AdvisoryDb.open(file)).toThrow(/other\.db is not an advisory database/);
    expect(() => AdvisoryDb.open(file)).toThrow(InputError);
    // a folder is bad input too, and says what to name instead
    expect(() => AdvisoryDb.open(dir)).toThrow(/is a folder, not an advisory database file/);
    expect(() => AdvisoryDb.open(dir, { create: true })).toThrow(InputError);
  });
});

describe("matching", () => {
  beforeEach(async () => {
    await load(FIXTURES);
  });

  const ids = (ecosystem: string, name: string, version: string) => new Matcher(db).match(ecosystem, name, version);

  it.each([
    ["npm", "lodash", "4.17.20", "4.17.21"],
    ["npm", "lodash", "1.0.0", "4.17.21"],
    ["npm", "lodash-es", "4.17.15", "4.17.21"],
    ["PyPI", "Django", "3.2.19", "3.2.20"],
    ["PyPI", "django", "4.0", "4.1.10"],
    ["PyPI", "DJANGO", "4.1.9", "4.1.10"],
    ["PyPI", "Django", "4.2.2", "4.2.3"],
    ["PyPI", "Django", "4.2rc1", "4.2.3"],
  ])("%s %s %s is affected, fixed in %s", (ecosystem, name, version, fixed) => {
    const hits = ids(ecosystem, name, version);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.fixed).toBe(fixed);
    expect(hits[0]!.severity).toBe("high");
  });

  it.each([
    ["npm", "lodash", "4.17.21"],
    ["npm", "lodash", "4.17.22-beta.1"],
    ["npm", "lodash-es", "5.0.0"],
    ["npm", "decode-uri-component", "0.2.1"],
    ["PyPI", "Django", "3.2.20"],
    ["PyPI", "Django", "3.1.14"],
    ["PyPI", "Django", "4.1.10"],
    ["PyPI", "Django", "4.2.3"],
    ["PyPI", "Django", "5.0"],
    ["Go", "gopkg.in/yaml.v2", "v2.2.8"],
    ["Go", "gopkg.in/yaml.v2", "v2.4.0"],
    ["npm", "left-pad", "1.0.0"],
    ["Hackage", "lodash", "1.0.0"],
    ["npm", "lodash", "not-a-version"],
  ])("%s %s %s is not affected", (ecosystem, name, version) => {
    expect(ids(ecosystem, name, version)).toEqual([]);
  });

  it("the withdrawn copy in the folder, newer than the advisory, wins: it matches nothing", () => {
    expect(ids("npm", "decode-uri-component", "0.2.0")).toEqual([]);
  });

  it("a Go advisory written without `v` matches go.mod versions with it, and its GHSA twin is merged into one vulnerability", () => {
    const hits = ids("Go", "gopkg.in/yaml.v2", "v2.2.7");
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      id: "GHSA-wxc4-f4m6-wwqv",
      advisoryIds: ["GHSA-wxc4-f4m6-wwqv", "GO-2020-0036"],
      aliases: ["CVE-2019-11254"],
      severity: "medium",
      fixed: "2.2.8",
    });
  });

  it("a big scan reads the index and the advisories in one pass, with the same answers", () => {
    const eager = AdvisoryDb.open(path.join(dir, "osv.db"), { preloadAfter: { names: 0, advisories: 1 } });
    try {
      const questions: [string, string, string][] = [
        ["npm", "lodash", "4.17.20"],
        ["npm", "lodash-es", "4.17.21"],
        ["PyPI", "django", "4.2.2"],
        ["Go", "gopkg.in/yaml.v2", "v2.2.7"],
        ["npm", "left-pad", "1.0.0"],
        ["PyPI", "Django", "3.2.19"],
      ];
      const answer = (d: AdvisoryDb) => questions.map(([e, n, v]) => new Matcher(d).match(e, n, v).map((h) => [h.id, h.fixed]));
      const lazy = answer(db);
      expect(answer(eager)).toEqual(lazy);
      expect(lazy.flat().length).toBe(4);
    } finally {
      eager.close();
    }
  });

  it("the CVSS vector decides the score", () => {
    expect(ids("npm", "lodash", "4.0.0")[0]!.score).toBe(7.2);
  });
});
