import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PARALLEL_IMPORT_BYTES } from "../src/cli/commands/import.js";
import { dm, shellWords, tempDir } from "./helpers/cli.js";
import { sampleDirectory } from "../src/core/sample/services.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;

const GRAPH = {
  entities: [
    { _key: "repo:payments", _type: "git_repo", _class: "CodeRepo", displayName: "payments", name: "payments", tags: ["pci"] },
    { _key: "repo:website", _type: "git_repo", _class: "CodeRepo", displayName: "website", name: "website", public: true },
    {
      _key: "dm:1:payments",
      _type: "deferred_maintenance",
      _class: "Finding",
      displayName: "Upgrade Terraform to 1.x",
      shortDescription: "Upgrade Terraform to 1.x",
      maintenanceId: "9c3e21a0",
      dueDate: NOW - 20 * DAY,
      closed: false,
      status: "open",
      webLink: "https://wiki.example.com/tf1",
      createdBy: "dev@example.com",
    },
    {
      _key: "dm:2:website",
      _type: "deferred_maintenance",
      _class: "Finding",
      displayName: "Rotate deploy keys",
      shortDescription: "Rotate deploy keys",
      maintenanceId: "4be21f07",
      dueDate: NOW + 29 * DAY,
      closed: false,
      status: "open",
      webLink: "https://wiki.example.com/rotate",
      createdBy: "dev@example.com",
    },
  ],
  relationships: [
    { _key: "repo:payments|has|dm:1", _type: "git_repo_has_deferred_maintenance", _class: "HAS", _fromEntityKey: "repo:payments", _toEntityKey: "dm:1:payments" },
    { _key: "repo:website|has|dm:2", _type: "git_repo_has_deferred_maintenance", _class: "HAS", _fromEntityKey: "repo:website", _toEntityKey: "dm:2:website" },
  ],
};

describe("dm CLI", () => {
  let dir: string;
  let db: string;
  let graphFile: string;

  beforeAll(async () => {
    dir = tempDir();
    db = path.join(dir, "dm.db");
    graphFile = path.join(dir, "graph.json");
    fs.writeFileSync(graphFile, JSON.stringify(GRAPH));
    const r = await dm(["import", graphFile, "--db", db]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("entities: 4 (created 4");
  });

  it("prints help and version with exit 0", async () => {
    const help = await dm(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/query .*Run a J1QL query/);
    const sub = await dm(["query", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("--format <format>");
    const version = await dm(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("exits 2 on an unknown command or option", async () => {
    expect((await dm(["frobnicate"])).code).toBe(2);
    const r = await dm(["query", "Find *", "--colour"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option");
  });

  it("answers a query as a table by default", async () => {
    const r = await dm(["query", "Find CodeRepo with public=true", "--db", db]);
    expect(r.code).toBe(0);
    // the property the query filtered on comes after the name
    expect(r.stdout.split("\n")[0]).toMatch(/^displayName\s+public\s+_type\s+_class\s+_key/);
    expect(r.stdout.split("\n")[1]).toMatch(/^website\s+true\s+/);
    expect(r.stdout).toContain("website");
    expect(r.stdout).not.toContain("payments");
    expect(r.stderr).toContain("1 entity");
  });

  it("prints exactly the J1QL result object with --format json", async () => {
    const r = await dm([
      "query",
      "Find deferred_maintenance with closed=false and dueDate < date.now that HAS CodeRepo with name='payments'",
      "--format",
      "json",
      "--db",
      db,
    ], { now: NOW });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.type).toBe("list");
    expect(result.data).toHaveLength(1);
    expect(result.data[0].entity._key).toBe("dm:1:payments");
    expect(result.data[0].properties.maintenanceId).toBe("9c3e21a0");
    expect(Object.keys(result.data[0]).sort()).toEqual(["entity", "id", "properties"]);
  });

  it("prints a table result with formatted dates and CSV with raw values", async () => {
    const q = "Find deferred_maintenance as m that HAS CodeRepo as r return r.name, m.dueDate ORDER BY m.dueDate ASC";
    const table = await dm(["query", q, "--db", db], { now: NOW });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("2026-11-03");
    const csv = await dm(["query", q, "--format", "csv", "--db", db], { now: NOW });
    expect(csv.stdout).toBe(`r.name,m.dueDate\r\npayments,${NOW - 20 * DAY}\r\nwebsite,${NOW + 29 * DAY}\r\n`);
  });

  it("formats a date column by the property it came from, whatever its alias (m.dueDate as due, max(m.dueDate))", async () => {
    const q = "Find deferred_maintenance as m that HAS CodeRepo as r return r.name as repo, m.dueDate as due ORDER BY m.dueDate ASC";
    const table = await dm(["query", q, "--db", db], { now: NOW });
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[1]).toMatch(/^payments\s+2026-11-03 12:00Z$/);
    expect(table.stdout).not.toContain(String(NOW - 20 * DAY));
    const json = JSON.parse((await dm(["query", q, "--format", "json", "--db", db], { now: NOW })).stdout);
    expect(json.columns).toEqual([{ name: "repo", property: "name" }, { name: "due", property: "dueDate" }]);
    const max = await dm(["query", "Find deferred_maintenance as m return max(m.dueDate) as latest, count(m) as n", "--db", db], { now: NOW });
    expect(max.stdout).toContain(new Date(NOW + 29 * DAY).toISOString().slice(0, 10));
    // a list says which properties the query filtered on
    const list = JSON.parse((await dm(["query", "Find deferred_maintenance with maintenanceId='9c3e21a0' and closed=false", "--format", "json", "--db", db])).stdout);
    expect(list.filteredOn).toEqual(["maintenanceId", "closed"]);
  });

  it("pages with --limit and a cursor, and --all returns everything", async () => {
    const first = await dm(["query", "Find *", "--limit", "3", "--format", "json", "--db", db]);
    const page1 = JSON.parse(first.stdout);
    expect(page1.data).toHaveLength(3);
    expect(page1.cursor).toBeTypeOf("string");
    const second = await dm(["query", "Find *", "--limit", "3", "--cursor", page1.cursor, "--format", "json", "--db", db]);
    const page2 = JSON.parse(second.stdout);
    expect(page2.data).toHaveLength(1);
    expect(page2.cursor).toBeUndefined();
    const keys = [...page1.data, ...page2.data].map((d: { entity: { _key: string } }) => d.entity._key);
    expect(new Set(keys).size).toBe(4);
    const all = JSON.parse((await dm(["query", "Find *", "--all", "--format", "json", "--db", db])).stdout);
    expect(all.data).toHaveLength(4);
    const table = await dm(["query", "Find *", "--limit", "3", "--db", db]);
    expect(table.stderr).toContain("more exist");
  });

  it("rejects a cursor from another query", async () => {
    const first = JSON.parse((await dm(["query", "Find *", "--limit", "1", "--format", "json", "--db", db])).stdout);
    const r = await dm(["query", "Find CodeRepo", "--cursor", first.cursor, "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cursor belongs to another query");
    const bad = await dm(["query", "Find *", "--cursor", "%%%", "--db", db]);
    expect(bad.code).toBe(2);
  });

  it("shows a syntax error with line, column, expectation and a caret, exit 2", async () => {
    const r = await dm(["query", "Find CodeRepo wiht name='x'", "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      'error: unexpected "wiht" at line 1, column 15; expected WITH, THAT, AS, RETURN or end of query\n' +
        "  Find CodeRepo wiht name='x'\n" +
        "                ^^^^\n",
    );
  });

  it("says what is not supported yet, with its position", async () => {
    const r = await dm(["query", "Find #CriticalAsset", "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not supported yet");
    expect(r.stderr).toContain("column 6");
  });

  it("rejects a bad --limit", async () => {
    const r = await dm(["query", "Find *", "--limit", "0", "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--limit must be a positive whole number");
  });

  it("uses DM_DATABASE_URL when --db is absent, and the default file under HOME otherwise", async () => {
    const viaEnv = await dm(["query", "Find CodeRepo", "--format", "json"], { env: { DM_DATABASE_URL: db } });
    expect(JSON.parse(viaEnv.stdout).data).toHaveLength(2);
    const home = tempDir();
    // The default file: a reader refuses it while it does not exist, a writer creates it there.
    const missing = await dm(["query", "Find CodeRepo", "--format", "json"], { env: { HOME: home } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`there is no database at ${path.join(home, ".deferred-maintenance", "dm.db")}`);
    expect((await dm(["import", "-"], { env: { HOME: home }, stdin: '{"entities": []}' })).code).toBe(0);
    expect(fs.existsSync(path.join(home, ".deferred-maintenance", "dm.db"))).toBe(true);
    const fresh = await dm(["query", "Find CodeRepo", "--format", "json"], { env: { HOME: home } });
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout).data).toHaveLength(0);
  });

  it("refuses an unknown database URL scheme with exit 2", async () => {
    const r = await dm(["query", "Find *", "--db", "mysql://root:hunter2@db/dm"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unsupported database");
    expect(r.stderr).not.toContain("hunter2");
  });

  it("exits 3 when PostgreSQL cannot be reached, without showing the password", async () => {
    const r = await dm(["query", "Find *", "--db", "postgres://dm:s3cretpw@127.0.0.1:1/dm?connect_timeout=2"]);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain("s3cretpw");
  });

  it("uses colour only on a TTY and never with NO_COLOR", async () => {
    const plain = await dm(["query", "Find CodeRepo", "--db", db]);
    expect(plain.stdout).not.toContain("\u001b[");
    const tty = await dm(["query", "Find CodeRepo", "--db", db], { tty: true });
    expect(tty.stdout).toContain("\u001b[1m");
    const noColor = await dm(["query", "Find CodeRepo", "--db", db], { tty: true, env: { NO_COLOR: "1" } });
    expect(noColor.stdout).not.toContain("\u001b[");
  });
});

describe("dm import: bad files are refused whole", () => {
  const cases: { name: string; content: string; message: RegExp }[] = [
    { name: "not JSON", content: '{"entities": [\n  {"_key": "a",,}\n]}', message: /bad\.json:2:16: entities\[0\] is not valid JSON \(Expected double-quoted property name\)/ },
    { name: "missing _key", content: JSON.stringify({ entities: [{ _type: "t", _class: "Resource" }] }), message: /entities\[0\]\._key: is missing/ },
    { name: "missing _type", content: JSON.stringify({ entities: [{ _key: "k", _class: "Resource" }] }), message: /entities\[0\]\._type: is missing/ },
    { name: "missing _class", content: JSON.stringify({ entities: [{ _key: "k", _type: "t" }] }), message: /entities\[0\]\._class: is missing/ },
    { name: "bad class", content: JSON.stringify({ entities: [{ _key: "k", _type: "t", _class: ["Host", 5] }] }), message: /entities\[0\]\._class\[1\]: 5 is not a class name/ },
    {
      name: "mis-cased class",
      content: JSON.stringify({ entities: [{ _key: "k", _type: "t", _class: "Coderepo" }] }),
      message: /entities\[0\]\._class: "Coderepo" is not a class of JupiterOne's data model; did you mean "CodeRepo"\?/,
    },
    {
      name: "misspelt class",
      content: JSON.stringify({ entities: [{ _key: "k", _type: "t", _class: ["Host", "Repsitory"] }] }),
      message: /entities\[0\]\._class\[1\]: "Repsitory" is not a class of JupiterOne's data model; did you mean "Repository"\?/,
    },
    {
      name: "unknown class",
      content: JSON.stringify({ entities: [{ _key: "k", _type: "t", _class: "Widget" }] }),
      message: /entities\[0\]\._class: "Widget" is not a class of JupiterOne's data model$/m,
    },
    {
      name: "nested object property",
      content: JSON.stringify({ entities: [{ _key: "k", _type: "t", _class: "Resource" }, { _key: "k2", _type: "t", _class: "Resource", tag: { a: 1 } }] }),
      message: /entities\[1\]\.tag: a property must be/,
    },
    {
      name: "edge to an unknown key",
      content: JSON.stringify({
        entities: [{ _key: "a", _type: "t", _class: "Resource" }],
        relationships: [{ _key: "e", _type: "t_has_t", _class: "HAS", _fromEntityKey: "a", _toEntityKey: "nope" }],
      }),
      message: /relationships\[0\]\._toEntityKey: no entity has the key "nope"/,
    },
    {
      name: "wrong type for a field",
      content: JSON.stringify({ entities: [{ _key: 42, _type: "t", _class: "Resource" }] }),
      message: /entities\[0\]\._key: must be a non-empty string, got 42/,
    },
    { name: "not an object", content: "[1,2]", message: /must be an object/ },
    { name: "bad YAML", content: "entities:\n  - _key: a\n   _type: [", message: /bad\.json:\d+:\d+: not valid YAML/ },
    { name: "empty", content: "", message: /is empty/ },
  ];

  for (const c of cases) {
    it(`${c.name}: exit 2, names the record, writes nothing`, async () => {
      const dir = tempDir();
      const db = path.join(dir, "dm.db");
      const seed = path.join(dir, "seed.json");
      fs.writeFileSync(seed, JSON.stringify({ entities: [{ _key: "keep", _type: "t", _class: "Resource" }] }));
      expect((await dm(["import", seed, "--db", db])).code).toBe(0);
      const file = path.join(dir, "bad.json");
      fs.writeFileSync(file, c.content);
      const r = await dm(["import", file, "--db", db]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(c.message);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
      const after = JSON.parse((await dm(["query", "Find *", "--format", "json", "--db", db])).stdout);
      expect(after.data.map((d: { entity: { _key: string } }) => d.entity._key)).toEqual(["keep"]);
    });
  }

  it("a file large enough to be read on a worker thread: refused the same way, then imported with counts", async () => {
    const dir = tempDir();
    const db = path.join(dir, "dm.db");
    const seed = path.join(dir, "seed.json");
    fs.writeFileSync(seed, JSON.stringify({ entities: [{ _key: "keep", _type: "t", _class: "Resource" }, { _key: "repo:1", _type: "git_repo", _class: "CodeRepo" }] }));
    expect((await dm(["import", seed, "--db", db])).code).toBe(0);
    const entities = Array.from({ length: 8000 }, (_, i) => ({ _key: `repo:${i}`, _type: "git_repo", _class: "CodeRepo", name: `repo-${i}`, description: "x".repeat(100) }));
    const relationships = Array.from({ length: 8000 }, (_, i) => ({ _key: `e:${i}`, _type: "t", _class: "USES", _fromEntityKey: `repo:${i}`, _toEntityKey: i === 0 ? "keep" : `repo:${i - 1}` }));
    const lines = (rels: unknown[]) => `{"entities": [\n${entities.map((e) => JSON.stringify(e)).join(",\n")}\n],\n"relationships": [\n${rels.map((r) => JSON.stringify(r)).join(",\n")}\n]}\n`;
    const file = path.join(dir, "big.json");
    fs.writeFileSync(file, lines([...relationships, { _key: "bad", _type: "t", _class: "USES", _fromEntityKey: "repo:1" }]));
    expect(fs.statSync(file).size).toBeGreaterThan(PARALLEL_IMPORT_BYTES);
    const bad = await dm(["import", file, "--db", db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("big.json:16004: relationships[8000]._toEntityKey: is missing");
    const twice = path.join(dir, "twice.json");
    fs.writeFileSync(twice, lines([...relationships, relationships[5]]));
    const dup = await dm(["import", twice, "--db", db]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('relationships[8000]._key: "e:5" appears twice');
    const before = JSON.parse((await dm(["query", "Find *", "--format", "json", "--db", db])).stdout);
    expect(before.data.map((d: { entity: { _key: string } }) => d.entity._key)).toEqual(["keep", "repo:1"]);

    fs.writeFileSync(file, lines(relationships));
    const r = await dm(["import", file, "--json", "--db", db]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      file,
      entities: { created: 7999, updated: 1, unchanged: 0 },
      relationships: { created: 8000, updated: 0, unchanged: 0 },
    });
    const again = await dm(["import", file, "--json", "--db", db]);
    expect(JSON.parse(again.stdout)).toMatchObject({
      entities: { created: 0, updated: 0, unchanged: 8000 },
      relationships: { created: 0, updated: 0, unchanged: 8000 },
    });
    const edges = JSON.parse((await dm(["query", "Find git_repo with name = 'repo-0' that USES Resource", "--format", "json", "--db", db])).stdout);
    expect(edges.data).toHaveLength(1);
  });

  it("names a missing file", async () => {
    const r = await dm(["import", "/nonexistent/graph.json", "--db", path.join(tempDir(), "x.db")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read /nonexistent/graph.json: no such file");
  });

  it("reads YAML from stdin", async () => {
    const db = path.join(tempDir(), "dm.db");
    const yaml = "entities:\n  - _key: a\n    _type: git_repo\n    _class: CodeRepo\n    name: a\nrelationships: []\n";
    const r = await dm(["import", "-", "--json", "--db", db], { stdin: yaml });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: "stdin", entities: { created: 1 } });
  });
});

describe("dm export", () => {
  it("round-trips: export, import into an empty database, export again gives the same graph", async () => {
    const dir = tempDir();
    const a = path.join(dir, "a.db");
    const b = path.join(dir, "b.db");
    const source = path.join(dir, "graph.json");
    fs.writeFileSync(source, JSON.stringify(GRAPH));
    expect((await dm(["import", source, "--db", a])).code).toBe(0);
    const out1 = path.join(dir, "out1.json");
    const e1 = await dm(["export", "--out", out1, "--db", a]);
    expect(e1.code).toBe(0);
    expect(e1.stderr).toContain("Exported 4 entities and 2 relationships");
    expect((await dm(["import", out1, "--db", b])).code).toBe(0);
    const out2 = await dm(["export", "--db", b]);
    expect(out2.stdout).toBe(fs.readFileSync(out1, "utf8"));
    const exported = JSON.parse(out2.stdout);
    expect(exported.entities).toHaveLength(4);
    expect(exported.entities[0]).toMatchObject({ _key: "repo:payments", _class: "CodeRepo", tags: ["pci"] });
    expect(exported.relationships[0]).toMatchObject({ _fromEntityKey: "repo:payments", _toEntityKey: "dm:1:payments" });
  });

  it("writes YAML that imports back", async () => {
    const dir = tempDir();
    const a = path.join(dir, "a.db");
    const source = path.join(dir, "graph.json");
    fs.writeFileSync(source, JSON.stringify(GRAPH));
    await dm(["import", source, "--db", a]);
    const yamlFile = path.join(dir, "graph.yaml");
    expect((await dm(["export", "--out", yamlFile, "--db", a])).code).toBe(0);
    const text = fs.readFileSync(yamlFile, "utf8");
    expect(text.startsWith("entities:\n")).toBe(true);
    const r = await dm(["import", yamlFile, "--json", "--db", path.join(dir, "b.db")]);
    expect(JSON.parse(r.stdout)).toMatchObject({ entities: { created: 4 }, relationships: { created: 2 } });
  });

  it("exports an empty graph as a valid, importable file", async () => {
    const dir = tempDir();
    const db = path.join(dir, "empty.db");
    expect((await dm(["import", "-", "--db", db], { stdin: '{"entities": []}' })).code).toBe(0);
    const r = await dm(["export", "--db", db]);
    expect(JSON.parse(r.stdout)).toEqual({ entities: [], relationships: [] });
  });

  it("refuses a database that does not exist (a mistyped --db), and creates nothing", async () => {
    const dir = tempDir();
    for (const args of [["export"], ["query", "Find Team"], ["stats"], ["list"], ["sources"]]) {
      const r = await dm([...args, "--db", path.join(dir, "nonexistent", "x.db")]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`there is no database at ${path.join(dir, "nonexistent", "x.db")}`);
      expect(r.stderr).toContain("dm demo");
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    // A writer creates it, and tells a person at a terminal so.
    const created = await dm(["import", "-", "--db", path.join(dir, "new.db")], { stdin: '{"entities": []}', tty: true });
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`dm: created a new database at ${path.join(dir, "new.db")}`);
    const again = await dm(["import", "-", "--db", path.join(dir, "new.db")], { stdin: '{"entities": []}', tty: true });
    expect(again.stderr).not.toContain("created a new database");
  });

  it("refuses to write onto a folder (graph and findings), and leaves nothing behind", async () => {
    const dir = tempDir();
    const db = path.join(dir, "a.db");
    expect((await dm(["import", "-", "--db", db], { stdin: '{"entities": []}' })).code).toBe(0);
    fs.mkdirSync(path.join(dir, "out"));
    for (const extra of [[], ["--findings"]]) {
      const r = await dm(["export", ...extra, "--out", path.join(dir, "out"), "--db", db]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`cannot write ${path.join(dir, "out")}: it is a directory`);
    }
    expect(fs.readdirSync(path.join(dir, "out"))).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("reports a file that fails while it is read as a failing resource (exit 3), not a bug", async () => {
    const dir = tempDir();
    // /proc/self/mem opens, then fails with EIO on the first read.
    const r = await dm(["import", "/proc/self/mem", "--db", path.join(dir, "a.db")]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain("cannot read /proc/self/mem:");
    expect(r.stderr).not.toContain("bug in dm");
  });

  it("refuses a missing output directory and leaves nothing behind", async () => {
    const dir = tempDir();
    const db = path.join(dir, "a.db");
    expect((await dm(["import", "-", "--db", db], { stdin: '{"entities": []}' })).code).toBe(0);
    const r = await dm(["export", "--out", path.join(dir, "nope", "x.json"), "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not exist");
  });
});

describe("dm demo", () => {
  it("loads the sample organisation and answers the demo questions", async () => {
    const db = path.join(tempDir(), "demo.db");
    const r = await dm(["demo", "--db", db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Sample organisation loaded in [\d.]+ m?s: \d+ entities/);
    // the product at work: campaigns worst first, one repo's report, the CI gate failing
    expect(r.stdout).toMatch(/Maintenance items, worst first\n.*\nITEM +DONE/);
    expect(r.stdout).toMatch(/Rotate deploy keys +\d+\/\d+ +\d+%/);
    expect(r.stdout).toMatch(/: \d+ open maintenance items?, \d+ overdue/);
    expect(r.stdout).toContain("has maintenance overdue by more than 7 days");
    // the feedback loop: the repo's report and gate include a host it deploys
    expect(r.stdout).toMatch(/: \d+ open maintenance items?, \d+ overdue \([1-9]\d* via deployed assets?\)\n/);
    expect(r.stdout).toMatch(/ {2}via ip-10-\d+-\d+-\d+ {2}/);
    expect(r.stdout).toContain("(exit status 1: the pipeline would stop here)");
    expect(r.stdout).toContain("Overdue maintenance, oldest first");
    // the sample stays in its own database
    expect(r.stdout).not.toContain(".deferred-maintenance/dm.db --");
    // a little of each service, synced for real: listed by dm sources
    const instances = [
      "github:acme",
      "gitlab:https://gitlab.example.com/acme",
      "bitbucket:acme",
      "pagerduty:https://api.pagerduty.com",
      "vault:https://vault.example.com",
      "kubernetes:prod",
      "ldap:ldaps://ldap.acme.example/dc=acme,dc=example",
    ];
    expect(r.stdout).toContain("Inventory from services");
    for (const instance of instances) {
      expect(r.stdout).toMatch(new RegExp(`\\n {2}${instance.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} +succeeded: created [1-9]\\d*, updated 0, unchanged 0\\n`));
    }
    const sources = await dm(["sources", "--db", db, "--json"]);
    expect(sources.code).toBe(0);
    const runs = JSON.parse(sources.stdout) as { instance: string; integration: string; status: string }[];
    for (const instance of instances) expect(runs.find((run) => run.instance === instance)?.status).toBe("succeeded");
    // each integration's question, with its answer
    const section = (title: string) => r.stdout.split("\n\n").find((part) => part.startsWith(title)) ?? "";
    const names = (title: string) =>
      section(title)
        .split("\n")
        .slice(3)
        .map((line) => line.split(/ {2,}/)[0]);
    expect(names("GitHub: Which GitHub repos do not have branch protection rules?")).toEqual(["ledger-worker", "docs-portal"]);
    expect(names("GitLab: Were there any GitLab projects added in the last 24 hours?")).toEqual(["mobile-app", "analytics-etl", "infra-terraform"]);
    expect(names("Bitbucket: What are the code repos for a particular application or project?")).toEqual(["payments-gateway", "payments-reports"]);
    expect(names("PagerDuty: Which PagerDuty services does no user monitor?")).toEqual(["Legacy Batch"]);
    expect(names("HashiCorp Vault: Which Hashicorp Vault engines do not have any secrets?")).toEqual(["cubbyhole/", "pki/", "transit/"]);
    expect(section("Kubernetes: Which Kubernetes containers run privileged?")).toMatch(/\npayments +ledger-reconcile +reconcile +python:3\.9-buster$/);
    // one person across sources: the two on call are people of the sample organisation
    const people = sampleDirectory(Date.UTC(2026, 10, 23, 12)).people;
    expect(names("People on call in PagerDuty")).toEqual([people[0]!.name, people[1]!.name]);
    expect(section("Accounts of people who are not in the LDAP directory")).toMatch(
      new RegExp(`\\ngithub_user +Dana Contractor\\ngithub_user +${people[4]!.name}\\ngitlab_user +${people[5]!.name}\\nperson `),
    );
    // the three R's: a rules run, and why repave means nothing for a container but is owed by an old VM
    expect(r.stdout).toMatch(/Rules run: opened [1-9]\d* · closed 0 · reopened 0 · unchanged 0/);
    expect(r.stdout).toMatch(/\nrepave-host-age +repave +\d+ +\d+ +0 +0\n/);
    expect(r.stdout).toContain(
      "repave: not applicable — deployment model is immutable-container; repaving it achieves nothing, it is replaced on every deploy; rebuild its image instead (rule repair-image-pinning)",
    );
    expect(r.stdout).toMatch(/Why each rule does or does not apply to \S+ \(mutable-vm\)[\s\S]*repave-host-age +violates\n {2}repave: violates — Mutable machines not rebuilt in 90 days/);
    // Running it twice changes nothing: the second load is all unchanged.
    const again = await dm(["demo", "--db", db]);
    expect(again.stdout).toMatch(/Rules run: opened 0 · closed 0 · reopened 0 · unchanged [1-9]\d*/);
    expect(again.stdout).toMatch(/created 0, unchanged \d+/);
    expect(again.stdout).toMatch(/ {2}github:acme +succeeded: created 0, updated 0, unchanged [1-9]\d*\n/);
  });
});

describe("dm demo: a database you can keep using", () => {
  it("prints export DM_DATABASE_URL=…; with it, plain dm stats and the printed next commands work", async () => {
    const home = tempDir("dm-home-");
    const db = path.join(tempDir(), "demo.db");
    const r = await dm(["demo", "--db", db], { env: { HOME: home } });
    expect(r.code).toBe(0);
    const exportLine = r.stdout.split("\n").find((l) => l.trim().startsWith("export DM_DATABASE_URL="));
    expect(exportLine?.trim()).toBe(`export DM_DATABASE_URL=${db}`);
    const env = { HOME: home, DM_DATABASE_URL: exportLine!.trim().slice("export DM_DATABASE_URL=".length) };
    const stats = await dm(["stats"], { env });
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/Rotate deploy keys +\d+\/\d+/);
    // every "Next" line runs as printed
    const next = r.stdout.slice(r.stdout.lastIndexOf("\nNext\n") + 6).split("\n").filter((l) => l.startsWith("  dm "));
    expect(next.length).toBeGreaterThanOrEqual(4);
    for (const line of next) {
      const args = shellWords(line.trim().split(/ {3,}/)[0]!);
      const run = await dm(args, { env });
      expect(run.code, `${line}\n${run.stderr}`).toBe(0);
    }
  });

  it("dm demo --use loads it into the default database, then plain commands see it; a real graph is never mixed", async () => {
    const home = tempDir("dm-home-");
    const r = await dm(["demo", "--use"], { env: { HOME: home } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`The sample is in your default database (${path.join(home, ".deferred-maintenance", "dm.db")})`);
    expect(r.stdout).not.toContain("--db");
    expect((await dm(["stats"], { env: { HOME: home } })).stdout).toMatch(/Rotate deploy keys +\d+\/\d+/);
    expect((await dm(["demo", "--use"], { env: { HOME: home } })).code).toBe(0); // again: an earlier demo
    expect((await dm(["demo", "--use", "--db", path.join(home, "x.db")], { env: { HOME: home } })).code).toBe(2);

    const other = tempDir("dm-home-");
    const graph = path.join(other, "g.json");
    fs.writeFileSync(graph, JSON.stringify({ entities: [{ _key: "repo:mine", _type: "git_repo", _class: "CodeRepo", name: "mine" }], relationships: [] }));
    expect((await dm(["import", graph], { env: { HOME: other } })).code).toBe(0);
    const refused = await dm(["demo", "--use"], { env: { HOME: other } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("refusing to load the demo into");
    expect(refused.stderr).toContain("holds 1 entity and is not an earlier demo");
  });
});
