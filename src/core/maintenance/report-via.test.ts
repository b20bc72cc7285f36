/**
 * The feedback loop on both stores: a repo's report includes the open
 * findings of the assets it deploys or builds (hosts, functions, images, the
 * Kubernetes workloads running its image), marked `via`, each once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "../../../test/helpers/pg.js";
import { referenceReportByName } from "../../../test/helpers/report-reference.js";
import { VIA_ASSETS, VIA_ITEMS, VIA_NOW, viaGraph } from "../../../test/helpers/via-graph.js";
import { markDeleted } from "../../query/fixtures/graph.js";
import { PostgresStore } from "../../store/postgres/postgres-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { GraphStore } from "../../store/types.js";
import { DAY_MS } from "./due.js";
import { deployedFindings, findRepo, repoReport, repoReportByName } from "./report.js";

const I = VIA_ITEMS;
const A = VIA_ASSETS;

const opened: GraphStore[] = [];
const pgUrls: string[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  for (const url of pgUrls) await dropTestDatabase(url);
});

describe.each(["sqlite", "postgres"] as const)("repo reports follow what the repo deploys, on %s", (backend) => {
  let store: GraphStore;
  beforeAll(async () => {
    if (backend === "sqlite") {
      store = SqliteStore.open(":memory:");
    } else {
      const url = await createTestDatabase();
      pgUrls.push(url);
      store = await PostgresStore.open(url);
    }
    opened.push(store);
    const { deletedEdge, ...graph } = viaGraph();
    await store.upsert(graph, { now: VIA_NOW - 40 * DAY_MS });
    await markDeleted(store, "relationships", deletedEdge);
  });

  const report = async (name: string) => repoReport(store, (await findRepo(store, { name, now: VIA_NOW }))!, { now: VIA_NOW });

  it("lists the repo's own findings and those of its host, function, image, container spec and workload, by due date", async () => {
    const r = await report("shop");
    expect(r.findings.map((f) => [f.maintenanceId, f.via?.key ?? null])).toEqual([
      [I.TF.id, null],
      [I.K8S.id, A.workload.key],
      [I.SSL.id, A.host.key],
      [I.SPEC.id, A.spec.key],
      [I.BOTH.id, null],
      [I.FN.id, A.fn.key],
      [I.IMG.id, A.image.key],
    ]);
    expect(r.open).toBe(7);
    expect(r.overdue).toBe(4);
    expect(r.viaDeployed).toEqual({ open: 5, overdue: 3 });
  });

  it("names the asset: key, type and display name", async () => {
    const r = await report("shop");
    expect(r.findings.find((f) => f.maintenanceId === I.K8S.id)!.via).toEqual({ key: "uid-1", type: "kube_deployment", name: "shop-web" });
    expect(r.findings.find((f) => f.maintenanceId === I.SSL.id)).toMatchObject({
      via: { key: "host:shop-1", type: "host", name: "shop-1" },
      entityKey: "host:shop-1",
      key: `deferred_maintenance:${I.SSL.id}:host:shop-1`,
    });
  });

  it("reports a finding reached by several paths once, and the repo's own finding as its own", async () => {
    const r = await report("shop");
    expect(new Set(r.findings.map((f) => f.id)).size).toBe(r.findings.length);
    // the host is DEPLOYED, DEPLOYS and runs the built image: SSL once
    expect(r.findings.filter((f) => f.maintenanceId === I.SSL.id)).toHaveLength(1);
    // linked to the repo and to the host: the repo's, no via
    expect(r.findings.filter((f) => f.maintenanceId === I.BOTH.id)).toEqual([expect.not.objectContaining({ via: expect.anything() })]);
  });

  it("leaves out closed findings, deleted edges, and repos that only build FROM the image", async () => {
    const ids = (await report("shop")).findings.map((f) => f.maintenanceId);
    expect(ids).not.toContain(I.ROT.id);
    expect(ids).not.toContain(I.RET.id);
    expect(ids).not.toContain(I.LIB.id);
    // lib's Dockerfile uses shop's image: that does not make the image, or its users, lib's
    const lib = await report("lib");
    expect(lib.findings.map((f) => f.maintenanceId)).toEqual([I.LIB.id]);
    expect(lib.viaDeployed).toEqual({ open: 0, overdue: 0 });
  });

  it("gives a repo that only deploys a host that host's findings, all via it", async () => {
    const quiet = await report("quiet");
    expect(quiet.findings.map((f) => [f.maintenanceId, f.via?.name])).toEqual([
      [I.SSL.id, "shop-1"],
      [I.BOTH.id, "shop-1"],
    ]);
    expect(quiet).toMatchObject({ open: 2, overdue: 1, viaDeployed: { open: 2, overdue: 1 } });
  });

  it("gives the same reports in one statement as findRepo, the J1QL report query and deployedFindings did", async () => {
    const names = await store.select(
      "SELECT key FROM entities WHERE id IN (SELECT entity_id FROM entity_classes WHERE class = 'CodeRepo') ORDER BY key",
      [],
    );
    expect(names.length).toBeGreaterThan(2);
    let withVia = 0;
    for (const { key } of names) {
      const repo = (await findRepo(store, { name: String(key), now: VIA_NOW }))!;
      for (const name of [repo.name, String(key)]) {
        const expected = await referenceReportByName(store, name, VIA_NOW);
        expect(await repoReportByName(store, name, { now: VIA_NOW })).toEqual(expected);
        expect(await repoReport(store, expected!.repo, { now: VIA_NOW })).toEqual(expected);
        if (expected!.viaDeployed.open > 0) withVia++;
      }
    }
    expect(withVia).toBeGreaterThan(0);
    expect(await repoReportByName(store, "nope", { now: VIA_NOW })).toBeUndefined();
  });

  it("deployedFindings of an unknown repo is empty", async () => {
    expect(await deployedFindings(store, "repo:nope")).toEqual([]);
    expect(await deployedFindings(store, "x' or 1=1 --")).toEqual([]);
  });

  // SQLite's plan is deterministic on a tiny graph: every hop on an index, from the repo outwards.
  if (backend === "sqlite") it("starts from the repo's key and walks edge indexes: no scan of a table", async () => {
    const sqlite = store as SqliteStore;
    const statements: { sql: string; params: readonly unknown[] }[] = [];
    const spy = Object.create(sqlite) as SqliteStore;
    spy.select = async (sql, params) => {
      statements.push({ sql, params });
      return sqlite.select(sql, params);
    };
    await deployedFindings(spy, "repo:shop");
    expect(statements).toHaveLength(1);
    const plan = sqlite.explain(statements[0]!.sql, statements[0]!.params).join("\n");
    expect(plan).not.toMatch(/SCAN (entities|relationships|entity_classes|a|m|h|r|s|ic|c)\b/);
    expect(plan).toMatch(/sqlite_autoindex_entities_\d \(key=\?\)/);
    expect(plan).toMatch(/relationships_from/);
    expect(plan).toMatch(/relationships_to/);
    // every value bound: no key, class or type written into the statement
    expect(statements[0]!.sql).not.toMatch(/repo:shop|'DEPLOYS'|'HAS'|'Image'|deferred_maintenance/);
  });
});
