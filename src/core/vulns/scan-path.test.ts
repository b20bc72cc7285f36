import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import AjvDraft04Module from "ajv-draft-04";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import { defaultVulnsConfig, vulnsConfigFrom } from "./config.js";
import { AdvisoryDb } from "./db.js";
import { Matcher } from "./match.js";
import { toSarif } from "./sarif.js";
import { failsAt, lineOfPackage, scanPath } from "./scan-path.js";
import { advisoryTexts } from "./sources.js";

// a CommonJS module: its class is the default export of the default export
const AjvDraft04 = AjvDraft04Module.default;
const FIXTURES = path.join(import.meta.dirname, "fixtures");
const NOW = Date.UTC(2026, 10, 23);
const ADVISORIES = [
  "GHSA-35jh-r3h4-6jhm.json",
  "GHSA-jh3w-4vvf-mjgr.json",
  "GHSA-w573-4hg7-7wgq.json",
  "GHSA-wxc4-f4m6-wwqv.json",
  "GO-2020-0036.json",
];

let dir: string;
let project: string;
let db: AdvisoryDb;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-scan-"));
  const src = path.join(dir, "advisories");
  fs.mkdirSync(src);
  for (const f of ADVISORIES) fs.copyFileSync(path.join(FIXTURES, f), path.join(src, f));
  db = AdvisoryDb.open(path.join(dir, "osv.db"), { create: true });
  await db.import(advisoryTexts(src), { now: NOW, source: src });
  project = path.join(dir, "project");
  fs.cpSync(path.join(FIXTURES, "project"), project, { recursive: true });
  // installed code is not the project's: a vulnerable copy there is not reported
  fs.mkdirSync(path.join(project, "node_modules/old"), { recursive: true });
  fs.writeFileSync(
    path.join(project, "node_modules/old/package-lock.json"),
    JSON.stringify({ lockfileVersion: 3, packages: { "node_modules/lodash": { version: "4.17.4" } } }),
  );
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const scan = (target = project, ignore = defaultVulnsConfig().ignore) => scanPath(target, new Matcher(db), { now: NOW, ignore });

describe("dm vulns scan <path>", () => {
  it("reports exactly the vulnerable packages of real lockfiles, boundaries included", () => {
    const result = scan();
    expect(result.manifests).toEqual(["api/requirements.txt", "package-lock.json", "requirements.txt", "web/package-lock.json", "worker/go.mod"]);
    expect(
      result.findings.map((f) => [f.vuln.id, f.package.name, f.package.version, f.vuln.fixed ?? null, f.vuln.severity, f.package.manifest, f.package.line]),
    ).toEqual([
      ["GHSA-35jh-r3h4-6jhm", "lodash", "4.17.20", "4.17.21", "high", "package-lock.json", 15],
      ["GHSA-jh3w-4vvf-mjgr", "django", "4.2.2", "4.2.3", "high", "requirements.txt", 2],
      ["GHSA-w573-4hg7-7wgq", "decode-uri-component", "0.2.0", null, "high", "web/package-lock.json", 14],
      ["GHSA-wxc4-f4m6-wwqv", "gopkg.in/yaml.v2", "v2.2.7", "2.2.8", "medium", "worker/go.mod", 7],
    ]);
    // lodash-es 4.17.21 and django 3.2.20 are the fixed versions themselves
    expect(result.findings.some((f) => f.package.name === "lodash-es" || f.package.version === "3.2.20")).toBe(false);
    expect(result.findings[3]!.vuln.advisoryIds).toEqual(["GHSA-wxc4-f4m6-wwqv", "GO-2020-0036"]);
    expect(result.warnings).toEqual([]);
  });

  it("scans one lockfile given directly", () => {
    const result = scan(path.join(project, "worker/go.mod"));
    expect(result.manifests).toEqual(["go.mod"]);
    expect(result.findings.map((f) => f.vuln.id)).toEqual(["GHSA-wxc4-f4m6-wwqv"]);
  });

  it("honours the ignore list by id or alias, and reports what it ignored; an expired rule is not honoured", () => {
    const config = vulnsConfigFrom(
      {
        vulns: {
          ignore: [
            { id: "CVE-2021-23337", reason: "template() never sees user input", until: "2027-03-01" },
            { id: "GHSA-jh3w-4vvf-mjgr", reason: "behind a WAF", until: "2026-01-01" },
          ],
        },
      },
      "dm.config.yaml",
    );
    const result = scan(project, config.ignore);
    expect(result.ignored.map((f) => [f.vuln.id, f.reason])).toEqual([["GHSA-35jh-r3h4-6jhm", "template() never sees user input"]]);
    expect(result.findings.map((f) => f.vuln.id)).toEqual(["GHSA-jh3w-4vvf-mjgr", "GHSA-w573-4hg7-7wgq", "GHSA-wxc4-f4m6-wwqv"]);
    expect(result.expiredIgnores.map((r) => r.id)).toEqual(["GHSA-jh3w-4vvf-mjgr"]);
  });

  it("a broken lockfile is a warning with its file and line; the rest is scanned", () => {
    const broken = path.join(dir, "broken");
    fs.cpSync(path.join(project, "worker"), broken, { recursive: true });
    fs.writeFileSync(path.join(broken, "package-lock.json"), '{\n  "lockfileVersion": 3,\n  "packages": {\n');
    const result = scan(broken);
    expect(result.findings.map((f) => f.vuln.id)).toEqual(["GHSA-wxc4-f4m6-wwqv"]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({ file: "package-lock.json" });
    // and the scan says it is incomplete: the file was not checked
    expect(result.unreadable).toEqual([{ file: "package-lock.json", line: 4, message: expect.stringMatching(/^not valid JSON/), io: false }]);
    expect(scan(project).unreadable).toEqual([]);
  });

  it("a lockfile the file system will not give is unreadable too, as a file-system problem", () => {
    const vanishing = path.join(dir, "vanishing");
    fs.cpSync(path.join(project, "worker"), vanishing, { recursive: true });
    fs.copyFileSync(path.join(project, "package-lock.json"), path.join(vanishing, "package-lock.json"));
    // found by the walk, gone when it is read
    const result = scanPath(vanishing, new Matcher(db), {
      now: NOW,
      onManifest: (rel) => {
        if (rel === "package-lock.json") fs.rmSync(path.join(vanishing, rel));
      },
    });
    expect(result.unreadable).toEqual([{ file: "package-lock.json", message: "cannot read: ENOENT", io: true }]);
    expect(result.warnings).toEqual([{ file: "package-lock.json", message: "cannot read: ENOENT" }]);
    expect(result.findings.map((f) => f.vuln.id)).toEqual(["GHSA-wxc4-f4m6-wwqv"]);
  });

  it("an empty lockfile is read, with no packages: not unreadable", () => {
    const empty = path.join(dir, "empty");
    fs.mkdirSync(empty);
    for (const f of ["package-lock.json", "pnpm-lock.yaml", "Cargo.lock", "poetry.lock", "composer.lock"]) fs.writeFileSync(path.join(empty, f), "");
    fs.writeFileSync(path.join(empty, "yarn.lock"), "# yarn lockfile v1\n");
    const result = scan(empty);
    expect(result.manifests).toHaveLength(6);
    expect(result).toMatchObject({ packages: 0, findings: [], unreadable: [], warnings: [] });
  });

  it("reads npm-shrinkwrap.json, not the package-lock.json beside it, as npm does", () => {
    const both = path.join(dir, "shrinkwrapped");
    fs.mkdirSync(both);
    fs.copyFileSync(path.join(project, "package-lock.json"), path.join(both, "package-lock.json"));
    fs.writeFileSync(
      path.join(both, "npm-shrinkwrap.json"),
      JSON.stringify({ lockfileVersion: 3, packages: { "": { name: "shrinkwrapped" }, "node_modules/lodash": { version: "4.17.21" } } }),
    );
    const result = scan(both);
    expect(result.manifests).toEqual(["npm-shrinkwrap.json"]);
    expect(result.packages).toBe(1);
    // the package-lock.json pins lodash 4.17.20, which npm never installs here
    expect(result.findings).toEqual([]);
    expect(() => scan(path.join(both, "package-lock.json"))).toThrow(/npm does not use this file: it installs from the npm-shrinkwrap\.json beside it/);
  });

  it("a path that does not exist, or a file that is not a lockfile, is bad input", () => {
    expect(() => scan(path.join(dir, "nope"))).toThrow(InputError);
    expect(() => scan(path.join(project, "worker/go.mod.bak"))).toThrow(/no such file/);
    fs.writeFileSync(path.join(dir, "notes.txt"), "hello");
    expect(() => scan(path.join(dir, "notes.txt"))).toThrow(/not a lockfile dm reads/);
  });

  it("--fail-on thresholds", () => {
    expect(failsAt("high", "critical")).toBe(false);
    expect(failsAt("critical", "high")).toBe(true);
    expect(failsAt("high", "high")).toBe(true);
    expect(failsAt("low", "medium")).toBe(false);
    expect(failsAt("unknown", "low")).toBe(false);
    expect(failsAt("unknown", "any")).toBe(true);
    expect(failsAt("critical", "none")).toBe(false);
  });

  it("finds the line that names the package, not a longer name", () => {
    const text = '{\n  "lodash-es": "4.17.20",\n  "x": 1,\n  "node_modules/lodash": {\n    "version": "4.17.20"\n  }\n}';
    expect(lineOfPackage(text, "lodash", "4.17.20")).toBe(4);
    expect(lineOfPackage(text, "left-pad", "1.0.0")).toBe(1);
  });
});

describe("SARIF", () => {
  const schema = JSON.parse(
    fs.readFileSync(path.join(import.meta.dirname, "../../../node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
  );

  it("is valid SARIF 2.1.0; each result's ruleId is the advisory id and its message names package, installed and fixed versions", () => {
    const log = toSarif(scan().findings, { version: "0.1.0" });
    const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    const run = log.runs[0]!;
    expect(run.results!.map((r) => r.ruleId)).toEqual(["GHSA-35jh-r3h4-6jhm", "GHSA-jh3w-4vvf-mjgr", "GHSA-w573-4hg7-7wgq", "GHSA-wxc4-f4m6-wwqv"]);
    const lodash = run.results![0]!;
    expect(lodash.message.text).toContain("lodash 4.17.20");
    expect(lodash.message.text).toContain("fixed in 4.17.21");
    expect(lodash.level).toBe("error");
    expect(lodash.locations![0]!.physicalLocation!.artifactLocation!.uri).toBe("package-lock.json");
    expect(run.results![2]!.message.text).toContain("no fixed version is known");
    expect(run.tool.driver.rules!.map((r) => r.id)).toEqual(run.results!.map((r) => r.ruleId));
    expect(run.tool.driver.rules![0]!.properties!["security-severity"]).toBe("7.2");
  });

  it("the validator does catch a broken log (the test above could fail)", () => {
    const log = toSarif(scan().findings, { version: "0.1.0" }) as unknown as { runs: { results: { level: string }[] }[] };
    log.runs[0]!.results[0]!.level = "fatal";
    const validate = new AjvDraft04({ strict: false, unicodeRegExp: false }).compile(schema);
    expect(validate(log)).toBe(false);
  });

  it("an empty scan is a valid log with no results", () => {
    const validate = new AjvDraft04({ strict: false, unicodeRegExp: false }).compile(schema);
    expect(validate(toSarif([], { version: "0.1.0" }))).toBe(true);
  });

  it("lockfiles that could not be read: an unsuccessful invocation, one notification each at its file and line", () => {
    const log = toSarif(scan().findings, { version: "0.1.0" }, [
      { file: "web/pnpm-lock.yaml", line: 14, message: "not valid YAML: unexpected end", io: false },
      { file: "api/", message: "cannot list the folder: EACCES", io: true },
    ]);
    const validate = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);
    expect(validate(log)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    const invocation = log.runs[0]!.invocations![0]!;
    expect(invocation.executionSuccessful).toBe(false);
    expect(invocation.toolExecutionNotifications!.map((n) => [n.level, n.locations![0]!.physicalLocation!.artifactLocation!.uri, n.locations![0]!.physicalLocation!.region?.startLine])).toEqual([
      ["error", "web/pnpm-lock.yaml", 14],
      ["error", "api/", undefined],
    ]);
    expect(invocation.toolExecutionNotifications![0]!.message.text).toBe("cannot read this lockfile, so it was not scanned: not valid YAML: unexpected end");
    // a complete scan says nothing of invocations, as before
    expect(toSarif(scan().findings, { version: "0.1.0" }).runs[0]!.invocations).toBeUndefined();
  });
});
