/**
 * The constructs of JupiterOne's managed questions (issue 13) on both
 * stores, against the small graph below. Expected rows are derived by hand
 * from the graph's comments and docs/query-language.md.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../test/helpers/pg.js";
import { QueryError } from "../shared/errors.js";
import type { EntityRecord, GraphBatch, GraphStore, RelationshipRecord } from "../store/types.js";
import { type QueryResult, type RunQueryOptions, runQuery } from "./run.js";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const LOADED_AT = NOW - 1000;

const entity = (key: string, type: string, cls: string, props: Record<string, unknown> = {}): EntityRecord => ({
  _key: key,
  _type: type,
  _class: cls,
  displayName: key,
  name: key,
  ...props,
});
const rel = (from: string, verb: string, to: string): RelationshipRecord => ({
  _key: `${from}|${verb}|${to}`,
  _type: `x_${verb.toLowerCase()}`,
  _class: verb,
  _fromEntityKey: from,
  _toEntityKey: to,
});

/**
 * Users: ana IS Person pat, who OWNS laptop; bo OWNS phone; cy owns nothing
 * and is ASSIGNED the AccessPolicy direct-pol and the AccessRole admins,
 * which is ASSIGNED role-pol.
 *
 * Service accounts (the managed question of item 3):
 * - sa-a (…gserviceaccount.com) <-ASSIGNED- pol-a -ALLOWS-> bucket-a
 * - sa-b (…gserviceaccount.com) -USES-> role-b <-ASSIGNED- pol-b -ALLOWS-> bucket-b
 * - sa-c (…gserviceaccount.com) <-ASSIGNED- pol-c, which ALLOWS nothing
 * - sa-x (example.com) <-ASSIGNED- pol-a: filtered out by its email
 */
const GRAPH: GraphBatch = {
  entities: [
    entity("ana", "user", "User", { email: "ana@example.com" }),
    entity("bo", "user", "User", { email: "bo@corp.example" }),
    entity("cy", "user", "User", { email: "cy@example.com" }),
    entity("pat", "person", "Person"),
    entity("laptop", "device", "Device"),
    entity("phone", "device", "Device"),
    entity("admins", "role", "AccessRole"),
    entity("direct-pol", "policy", "AccessPolicy"),
    entity("role-pol", "policy", "AccessPolicy"),
    entity("sa-a", "google_iam_service_account", "User", { email: "a@p.iam.gserviceaccount.com" }),
    entity("sa-b", "google_iam_service_account", "User", { email: "b@p.iam.gserviceaccount.com" }),
    entity("sa-c", "google_iam_service_account", "User", { email: "c@p.iam.gserviceaccount.com" }),
    entity("sa-x", "google_iam_service_account", "User", { email: "x@example.com" }),
    entity("pol-a", "google_iam_binding", "AccessPolicy"),
    entity("pol-b", "google_iam_binding", "AccessPolicy"),
    entity("pol-c", "google_iam_binding", "AccessPolicy"),
    entity("role-b", "google_iam_role", "AccessRole"),
    entity("bucket-a", "google_storage_bucket", "DataStore"),
    entity("bucket-b", "google_storage_bucket", "DataStore"),
  ],
  relationships: [
    rel("ana", "IS", "pat"),
    rel("pat", "OWNS", "laptop"),
    rel("bo", "OWNS", "phone"),
    rel("cy", "ASSIGNED", "direct-pol"),
    rel("cy", "ASSIGNED", "admins"),
    rel("admins", "ASSIGNED", "role-pol"),
    rel("pol-a", "ASSIGNED", "sa-a"),
    rel("pol-a", "ALLOWS", "bucket-a"),
    rel("sa-b", "USES", "role-b"),
    rel("pol-b", "ASSIGNED", "role-b"),
    rel("pol-b", "ALLOWS", "bucket-b"),
    rel("pol-c", "ASSIGNED", "sa-c"),
    rel("pol-a", "ASSIGNED", "sa-x"),
  ],
};

const MANAGED_QUESTION =
  'FIND google_iam_service_account WITH email $= "gserviceaccount.com" as s (THAT ASSIGNED << AccessPolicy)? ' +
  "(THAT USES AccessRole)? THAT ASSIGNED << AccessPolicy AS p THAT ALLOWS >> * RETURN s.email, p.name";

function sorted<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

describe.each(BACKENDS)("managed-question constructs on %s", (backend) => {
  let store: GraphStore;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(backend));
    await store.upsert(GRAPH, { now: LOADED_AT, source: "hosts:/srv/inventory.csv" });
    // written by an import (a source without an integration prefix), then changed
    const widget = entity("w1", "widget", "Widget", { color: "red" });
    await store.upsert({ entities: [widget], relationships: [] }, { now: LOADED_AT, source: "import" });
    await store.upsert({ entities: [{ ...widget, color: "blue" }], relationships: [] }, { now: NOW - 10, source: "import" });
  });
  afterAll(async () => {
    await close();
  });

  const run = (text: string, options: Partial<RunQueryOptions> = {}): Promise<QueryResult> =>
    runQuery(store, text, { now: NOW, ...options });
  const table = async (text: string, options: Partial<RunQueryOptions> = {}) => {
    const result = await run(text, options);
    if (result.type !== "table") throw new Error(`expected a table, got ${result.type}`);
    return result.data;
  };
  const keys = async (text: string, options: Partial<RunQueryOptions> = {}) => {
    const result = await run(text, options);
    if (result.type !== "list") throw new Error(`expected a list, got ${result.type}`);
    return result.data.map((item) => item.entity._key);
  };
  const queryError = async (text: string, options: Partial<RunQueryOptions> = {}): Promise<QueryError> => {
    try {
      await run(text, options);
    } catch (error) {
      expect(error).toBeInstanceOf(QueryError);
      return error as QueryError;
    }
    throw new Error(`expected a QueryError for: ${text}`);
  };

  describe("quoted column names after AS", () => {
    it("names columns with spaces and symbols, and ORDER BY names them", async () => {
      expect(
        await table(
          "FIND user AS h RETURN h._type AS 'Host Type', count(h) AS 'Number of Hosts' ORDER BY 'Number of Hosts' DESC",
        ),
      ).toEqual([{ "Host Type": "user", "Number of Hosts": 3 }]);
      expect(
        await table(`FIND user AS te RETURN te.name as "OS", te.email as "# of Assets" ORDER BY "OS" DESC`),
      ).toEqual([
        { OS: "cy", "# of Assets": "cy@example.com" },
        { OS: "bo", "# of Assets": "bo@corp.example" },
        { OS: "ana", "# of Assets": "ana@example.com" },
      ]);
    });

    it("keeps SQL out of a column name", async () => {
      const name = `x"; DROP TABLE entities; -- 'y' \\ z`;
      const text = `FIND user WITH name = 'ana' AS u RETURN u.name AS "${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
      expect(await table(text)).toEqual([{ [name]: "ana" }]);
      expect(await keys("FIND user")).toHaveLength(3);
    });

    it("a quoted ORDER BY key must name a RETURN column", async () => {
      const err = await queryError("FIND user AS u RETURN u.name AS 'Name' ORDER BY 'u.name'");
      expect(err.reason).toBe('ORDER BY "u.name" is not a RETURN column');
      expect(err.position?.column).toBe("FIND user AS u RETURN u.name AS 'Name' ORDER BY ".length + 1);
      expect((await queryError("FIND user ORDER BY 'name'")).reason).toMatch(/has no RETURN/);
    });
  });

  describe("the same item returned twice", () => {
    it("is one column", async () => {
      expect(sorted(await table("FIND user AS u RETURN u.name, u.name, u.name AS 'n', u.name AS n"))).toEqual([
        { "u.name": "ana", n: "ana" },
        { "u.name": "bo", n: "bo" },
        { "u.name": "cy", n: "cy" },
      ]);
    });

    it("two different items under one name are refused", async () => {
      const err = await queryError("FIND user AS u RETURN u.name AS n, u.email AS 'n'");
      expect(err.reason).toBe('two RETURN columns are named "n"; rename one with AS');
    });
  });

  describe("optional traversals", () => {
    it("widen, never narrow: a path takes the traversal or skips it", async () => {
      // ana has a Person; every user has the path that skips the traversal.
      expect(sorted(await table("FIND user AS u (THAT IS Person AS p)? RETURN u.name, p.name"))).toEqual(
        sorted([
          { "u.name": "ana", "p.name": null },
          { "u.name": "ana", "p.name": "pat" },
          { "u.name": "bo", "p.name": null },
          { "u.name": "cy", "p.name": null },
        ]),
      );
      expect(await keys("FIND user (THAT IS Person)?")).toEqual(["ana", "bo", "cy"]);
    });

    it("later steps continue from the optional entity and from the one before it", async () => {
      // ana's laptop is owned through her Person; bo owns his phone himself.
      expect(
        sorted(await table("FIND user AS u (THAT IS Person AS p)? THAT OWNS Device AS d RETURN u.name, p.name, d.name")),
      ).toEqual([
        { "u.name": "ana", "p.name": "pat", "d.name": "laptop" },
        { "u.name": "bo", "p.name": null, "d.name": "phone" },
      ]);
      expect(await keys("FIND user (THAT IS Person)? THAT OWNS Device")).toEqual(["ana", "bo"]);
      // Both ways at once (JupiterOne: "processed on the combined results"):
      // cy's direct policy and the one through the role.
      expect(
        sorted(
          await table("FIND user AS u (THAT ASSIGNED AccessRole)? THAT ASSIGNED AccessPolicy AS p RETURN u.name, p.name"),
        ),
      ).toEqual([
        { "u.name": "cy", "p.name": "direct-pol" },
        { "u.name": "cy", "p.name": "role-pol" },
      ]);
    });

    it("answers the managed question: chained, with directions, before required steps", async () => {
      expect(sorted(await table(MANAGED_QUESTION))).toEqual([
        { "s.email": "a@p.iam.gserviceaccount.com", "p.name": "pol-a" },
        { "s.email": "b@p.iam.gserviceaccount.com", "p.name": "pol-b" },
      ]);
      expect(await keys(MANAGED_QUESTION.replace(/ RETURN .*/, ""))).toEqual(["sa-a", "sa-b"]);
      // the direction is kept: role-b does not USES << anything
      expect(await table("FIND google_iam_service_account AS s (THAT USES << AccessRole AS r)? RETURN s.name, r.name ORDER BY s.name")).toEqual([
        { "s.name": "sa-a", "r.name": null },
        { "s.name": "sa-b", "r.name": null },
        { "s.name": "sa-c", "r.name": null },
        { "s.name": "sa-x", "r.name": null },
      ]);
    });

    it("a group of several steps is taken whole or not at all", async () => {
      // ana -IS-> pat -OWNS-> laptop is the only full path through the group.
      expect(
        sorted(await table("FIND user AS u (THAT IS Person THAT OWNS Device AS d)? WHERE d.name = 'laptop' OR u.name = 'bo' RETURN u.name, d.name")),
      ).toEqual([
        { "u.name": "ana", "d.name": "laptop" },
        { "u.name": "bo", "d.name": null },
      ]);
      // WHERE on a skipped alias reads it as missing
      expect(await keys("FIND user AS u (THAT IS Person AS p)? WHERE p.name = undefined")).toEqual(["ana", "bo", "cy"]);
      expect(await keys("FIND user AS u (THAT IS Person AS p)? WHERE p.name = 'pat'")).toEqual(["ana"]);
    });

    it("RETURN TREE holds the vertices and edges of every path", async () => {
      const result = await run("FIND user WITH name = ('ana' or 'bo') (THAT IS Person)? RETURN TREE");
      if (result.type !== "tree") throw new Error("expected a tree");
      const byId = new Map(result.data.vertices.map((v) => [v.id, v.entity._key]));
      expect(result.data.vertices.map((v) => v.entity._key).sort()).toEqual(["ana", "bo", "pat"]);
      expect(result.data.edges.map((e) => [byId.get(e.fromVertexId), e.relationship._class, byId.get(e.toVertexId)])).toEqual([
        ["ana", "IS", "pat"],
      ]);
      const managed = await run(MANAGED_QUESTION.replace(/RETURN .*/, "RETURN TREE"));
      if (managed.type !== "tree") throw new Error("expected a tree");
      expect(managed.data.vertices.map((v) => v.entity._key).sort()).toEqual(
        ["bucket-a", "bucket-b", "pol-a", "pol-b", "role-b", "sa-a", "sa-b"].sort(),
      );
      expect(managed.data.edges).toHaveLength(5);
    });

    it("refuses a query with too many ways through, before it reaches the database", async () => {
      const groups = (n: number) => Array.from({ length: n }, () => "(THAT RELATES TO *)?").join(" ");
      // each group may be taken or skipped and each taken step goes either way: 3^4 = 81 arms
      const err = await queryError(`FIND user ${groups(4)} RETURN user.name`);
      expect(err.reason).toMatch(/too many combinations of optional traversals .* \(81, at most 32\)/);
      expect(err.position?.column).toBe("FIND user ".length + 1);
      expect((await queryError(`FIND user ${groups(4)}`)).reason).toMatch(/too many combinations/);
      // 3^3 = 27 arms run
      expect(await keys(`FIND user ${groups(3)}`)).toEqual(["ana", "bo", "cy"]);
    });

    it("refuses what is left for later, with its position", async () => {
      const negated = await queryError("FIND user (THAT !IS Person)?");
      expect(negated.reason).toMatch(/negated step .* inside an optional traversal is not supported yet/);
      expect(negated.position?.column).toBe(12);
      const after = await queryError("FIND user THAT !OWNS Device (THAT IS Person)?");
      expect(after.reason).toMatch(/optional traversal after a negated step/);
      expect(after.position?.column).toBe(29);
    });
  });

  describe("question parameters {{name}}", () => {
    const QUESTION = 'find user with email !$= "@{{domain}}"';

    it("fills a parameter inside a string", async () => {
      expect(await keys(QUESTION, { parameters: { domain: "example.com" } })).toEqual(["bo"]);
      expect(await keys(QUESTION, { parameters: { domain: "corp.example" } })).toEqual(["ana", "cy"]);
      expect(await keys("find user with email = '{{who}}@{{ domain }}'", { parameters: { who: "cy", domain: "example.com" } })).toEqual([
        "cy",
      ]);
      // a number is written as its text inside a string
      expect(await keys("find user with email ^= 'an{{n}}'", { parameters: { n: 1 } })).toEqual([]);
    });

    it("fills a whole value with the parameter's type", async () => {
      expect(await keys("find user with name = {{n}}", { parameters: { n: "ana" } })).toEqual(["ana"]);
      // type-sensitive, as a literal would be
      expect(await keys("find user with name = {{n}}", { parameters: { n: 5 } })).toEqual([]);
      expect(await keys("find user with name = ('bo' or {{n}})", { parameters: { n: "cy" } })).toEqual(["bo", "cy"]);
      expect(
        await table("find user as u that IS Person as p where u.name = {{n}} return p.name", { parameters: { n: "ana" } }),
      ).toEqual([{ "p.name": "pat" }]);
    });

    it("binds the value: SQL in a parameter is only text", async () => {
      const hostile = "x' OR '1'='1";
      expect(await keys("find user with name = {{n}}", { parameters: { n: hostile } })).toEqual([]);
      expect(await keys(QUESTION, { parameters: { domain: hostile } })).toEqual(["ana", "bo", "cy"]);
    });

    it("an unfilled parameter is a QueryError naming it, at its place", async () => {
      const err = await queryError(QUESTION);
      expect(err.reason).toBe('the parameter "domain" has no value; give it with --param domain=... (API: "parameters")');
      expect(err.position).toMatchObject({ line: 1, column: QUESTION.indexOf("{{") + 1, length: "{{domain}}".length });
      expect((await queryError("find user with name = {{n}}", { parameters: { m: 1 } })).reason).toMatch(/"n" has no value/);
    });

    it("an escaped \\{{ is a literal", async () => {
      expect(await keys("find user with email !$= '\\{{domain}}'")).toEqual(["ana", "bo", "cy"]);
    });

    it("a cursor belongs to the parameter values it was made with", async () => {
      const options = { pageSize: 1, parameters: { domain: "corp.example" } };
      const first = await run(QUESTION, options);
      expect(first.type === "list" && first.cursor).toBeTruthy();
      const cursor = first.type === "list" ? first.cursor : undefined;
      const second = await run(QUESTION, { ...options, cursor });
      expect(second.type === "list" && second.data.map((i) => i.entity._key)).toEqual(["cy"]);
      await expect(run(QUESTION, { pageSize: 1, parameters: { domain: "example.com" }, cursor })).rejects.toThrow(
        /belongs to another query/,
      );
    });
  });

  describe("JupiterOne metadata properties", () => {
    it("come from the record's source, not its properties", async () => {
      expect(
        await table(
          "FIND (user|widget) WITH name = ('ana' or 'w1') AS x RETURN x.name, x._integrationType, x._integrationName, " +
            "x._integrationInstanceId, x._source ORDER BY x._integrationType",
        ),
      ).toEqual([
        {
          "x.name": "ana",
          "x._integrationType": "hosts",
          "x._integrationName": "hosts:/srv/inventory.csv",
          "x._integrationInstanceId": "hosts:/srv/inventory.csv",
          "x._source": "hosts:/srv/inventory.csv",
        },
        {
          "x.name": "w1",
          "x._integrationType": "import",
          "x._integrationName": "import",
          "x._integrationInstanceId": "import",
          "x._source": "import",
        },
      ]);
      expect(await keys("FIND * WITH _integrationType = 'import'")).toEqual(["w1"]);
      expect(await keys("FIND Widget WITH _integrationType != 'hosts' AND _integrationInstanceId ^= 'imp'")).toEqual(["w1"]);
      expect(await keys("FIND user AS u WHERE u._integrationName = 'hosts:/srv/inventory.csv'")).toEqual(["ana", "bo", "cy"]);
      expect(await table("FIND user AS u THAT IS AS e Person RETURN e._integrationType, COUNT(u) AS n")).toEqual([
        { "e._integrationType": "hosts", n: 1 },
      ]);
      // a property of that name in the data is not what is read
      expect(await keys("FIND * WITH _integrationType = undefined")).toEqual([]);
    });

    it("_createdOn, _beginOn, _version and _deleted are the record's versioning", async () => {
      expect(await table("FIND widget AS w RETURN w._createdOn, w._beginOn, w._version, w._deleted, w.color")).toEqual([
        { "w._createdOn": LOADED_AT, "w._beginOn": NOW - 10, "w._version": 2, "w._deleted": false, "w.color": "blue" },
      ]);
      expect(await keys("FIND * AS x WHERE x._version > 1 AND x._beginOn > x._createdOn")).toEqual(["w1"]);
      expect(await keys("FIND * WITH _version > 1 AND _deleted = false")).toEqual(["w1"]);
    });
  });

  describe("the alias of a negated step in RETURN", () => {
    it("reads as null", async () => {
      expect(
        await table(
          "FIND user as u THAT !IS Person WITH name = 'pat' as p RETURN p.name, u.name, p, COUNT(p) AS n ORDER BY u.name",
        ),
      ).toEqual([
        { "p.name": null, "u.name": "bo", p: null, n: 0 },
        { "p.name": null, "u.name": "cy", p: null, n: 0 },
      ]);
      expect(await table("FIND user as u THAT !OWNS Device as d RETURN u.name, d.name ORDER BY d.name, u.name")).toEqual([
        { "u.name": "ana", "d.name": null },
        { "u.name": "cy", "d.name": null },
      ]);
    });

    it("stays refused in WHERE", async () => {
      const err = await queryError("FIND user as u THAT !OWNS Device as d WHERE d.name = 'x'");
      expect(err.reason).toMatch(/inside a negated step/);
    });
  });
});
