/**
 * Question parameters `{{name}}` through the two front doors: `dm query
 * --param name=value` and `parameters` beside `query` in POST /api/v1/query.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseParams } from "../src/cli/commands/query.js";
import { dm, tempDir } from "./helpers/cli.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const GRAPH = {
  entities: [
    { _key: "u:ana", _type: "google_user", _class: "User", email: "ana@example.com", name: "ana", logins: 5 },
    { _key: "u:bo", _type: "google_user", _class: "User", email: "bo@other.example", name: "bo", logins: "5" },
  ],
  relationships: [],
};
const QUESTION = 'find google_user with email !$= "@{{domain}}"';

describe("dm query --param", () => {
  const db = path.join(tempDir(), "dm.db");
  beforeAll(async () => {
    expect((await dm(["import", "-", "--db", db], { stdin: JSON.stringify(GRAPH) })).code).toBe(0);
  });
  const names = (stdout: string) =>
    (JSON.parse(stdout) as { data: { properties: { name: string } }[] }).data.map((i) => i.properties.name);

  it("fills a number of days in date arithmetic: date.now - {{maxDays}} days", async () => {
    const { compile } = await import("../src/query/run.js");
    const { sqliteDialect } = await import("../src/query/dialect.js");
    const now = Date.UTC(2026, 11, 4);
    const literal = compile("find google_user with seenOn < date.now - 30 days", sqliteDialect, { now });
    const filled = compile("find google_user with seenOn < date.now - {{maxDays}} days", sqliteDialect, { now, parameters: { maxDays: 30 } });
    expect(filled.sql).toBe(literal.sql);
    expect(filled.params).toEqual(literal.params);
    expect(() => compile("find google_user with seenOn < date.now - {{maxDays}} days", sqliteDialect, { now, parameters: { maxDays: "a month" } })).toThrow(
      '{{maxDays}} is used as a number of days: give it a number, not "a month"',
    );
    const r = await dm(["query", "find google_user with logins > date.now - {{n}} hours", "--param", "n=1", "--format", "json", "--db", db]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("fills the parameters, repeatable and typed", async () => {
    const r = await dm(["query", QUESTION, "--param", "domain=example.com", "--format", "json", "--db", db]);
    expect(r.code).toBe(0);
    expect(names(r.stdout)).toEqual(["bo"]);
    const both = await dm(
      ["query", "find google_user with name = {{n}} or logins = {{l}}", "--param", "n=bo", "--param", "l=5", "--format", "json", "--db", db],
    );
    // l=5 is the number 5: ana (logins 5) and bo (by name); bo's logins is the string "5"
    expect(names(both.stdout)).toEqual(["ana", "bo"]);
    const quoted = await dm(["query", "find google_user with logins = {{l}}", "--param", 'l="5"', "--format", "json", "--db", db]);
    expect(names(quoted.stdout)).toEqual(["bo"]);
  });

  it("an unfilled parameter exits 2 naming it; a malformed --param is refused", async () => {
    const r = await dm(["query", QUESTION, "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the parameter "domain" has no value');
    const bad = await dm(["query", QUESTION, "--param", "domain", "--db", db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--param must be name=value");
  });

  it("reads values as numbers, booleans or strings", () => {
    expect(parseParams(["a=1.5", "b=true", "c=-2"])).toEqual({ a: 1.5, b: true, c: -2 });
    expect(parseParams(['a="12"', "b=x=y", "c=", "d=false"])).toEqual({ a: "12", b: "x=y", c: "", d: false });
    // the last value of a name wins
    expect(parseParams(["a=1", "a=2"])).toEqual({ a: 2 });
    expect(() => parseParams(["1a=x"])).toThrow(/--param must be name=value/);
  });
});

describe("POST /api/v1/query with parameters", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer("sqlite");
    await t.store.upsert(GRAPH, { now: 1 });
  });
  afterAll(async () => {
    await t.close();
  });

  it("binds the parameters beside the query", async () => {
    const ok = await t.call("POST", "/api/v1/query", {
      token: t.tokens.reader,
      body: { query: QUESTION, parameters: { domain: "example.com" } },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.data.map((i: { properties: { name: string } }) => i.properties.name)).toEqual(["bo"]);
    const missing = await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: QUESTION } });
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe("query_error");
    expect(missing.json.error.message).toContain('"domain"');
    const wrongType = await t.call("POST", "/api/v1/query", {
      token: t.tokens.reader,
      body: { query: QUESTION, parameters: { domain: ["a"] } },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error.code).toBe("bad_input");
  });
});
