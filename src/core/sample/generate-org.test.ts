import { describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";
import {
  DEMO_SIZE,
  describeCampaigns,
  estimateCounts,
  generateOrg,
  type OrgSize,
  sampleRepoName,
  sizeForEntities,
} from "./generate-org.js";

const NOW = Date.UTC(2025, 0, 15, 12);
const DAY = 86_400_000;

function collect(options: Parameters<typeof generateOrg>[0]) {
  const batches: GraphBatch[] = [...generateOrg(options)];
  const entities: EntityRecord[] = batches.flatMap((b) => b.entities);
  const relationships: RelationshipRecord[] = batches.flatMap((b) => b.relationships);
  return { batches, entities, relationships };
}

const small = sizeForEntities(10_000);
const smallOrg = collect({ size: small, seed: 7, now: NOW, chunkSize: 500 });
const findings = smallOrg.entities.filter((e) => e._type === "deferred_maintenance");

describe("generateOrg", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const a = collect({ size: DEMO_SIZE, seed: 42, now: NOW });
    const b = collect({ size: DEMO_SIZE, seed: 42, now: NOW });
    const c = collect({ size: DEMO_SIZE, seed: 43, now: NOW });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    // The batch boundaries do not change the content.
    const d = collect({ size: DEMO_SIZE, seed: 42, now: NOW, chunkSize: 7 });
    expect(JSON.stringify(d.entities)).toBe(JSON.stringify(a.entities));
    expect(JSON.stringify(d.relationships)).toBe(JSON.stringify(a.relationships));
  });

  it("hits the target size with about twice as many relationships", () => {
    const { entities, relationships } = smallOrg;
    expect(entities.length).toBeGreaterThanOrEqual(9_000);
    expect(entities.length).toBeLessThanOrEqual(11_000);
    expect(relationships.length).toBeGreaterThanOrEqual(1.6 * entities.length);
    expect(relationships.length).toBeLessThanOrEqual(2.4 * entities.length);

    const estimate = estimateCounts(small);
    expect(Math.abs(entities.length - estimate.entities)).toBeLessThan(0.05 * estimate.entities);
    expect(Math.abs(relationships.length - estimate.relationships)).toBeLessThan(0.05 * estimate.relationships);

    const byType = new Map<string, number>();
    for (const e of entities) byType.set(e._type, (byType.get(e._type) ?? 0) + 1);
    expect(byType.get("team")).toBe(small.teams);
    expect(byType.get("person")).toBe(small.people);
    expect(byType.get("git_repo")).toBe(small.repos);
    expect(byType.get("host")).toBe(small.hosts);
    expect(byType.get("docker_image")).toBe(small.images);
    expect((byType.get("npm_package") ?? 0) + (byType.get("pypi_package") ?? 0)).toBe(small.packages);
  });

  it("picks proportions for 1,000,000 entities and 2,000,000 relationships", () => {
    const size = sizeForEntities(1_000_000);
    const estimate = estimateCounts(size);
    expect(estimate.entities).toBeGreaterThan(950_000);
    expect(estimate.entities).toBeLessThan(1_050_000);
    expect(estimate.relationships).toBeGreaterThan(1_900_000);
    expect(estimate.relationships).toBeLessThan(2_100_000);
    // The package pool is shared: each package version has several users on average.
    expect((size.repos * size.packagesPerRepo) / size.packages).toBeGreaterThan(3);
  });

  it("yields batches of chunkSize entities whose relationships point at entities already yielded", () => {
    const seen = new Set<string>();
    const relKeys = new Set<string>();
    const problems: string[] = [];
    for (const [i, batch] of smallOrg.batches.entries()) {
      expect(batch.entities.length).toBeLessThanOrEqual(500);
      if (i < smallOrg.batches.length - 1) expect(batch.entities.length).toBe(500);
      for (const e of batch.entities) {
        if (seen.has(e._key)) problems.push(`duplicate entity key ${e._key}`);
        seen.add(e._key);
      }
      for (const r of batch.relationships) {
        if (!seen.has(r._fromEntityKey)) problems.push(`${r._key}: from end not yet yielded`);
        if (!seen.has(r._toEntityKey)) problems.push(`${r._key}: to end not yet yielded`);
        if (relKeys.has(r._key)) problems.push(`duplicate relationship key ${r._key}`);
        relKeys.add(r._key);
      }
    }
    expect(problems).toEqual([]);
    expect(smallOrg.batches.length).toBe(Math.ceil(smallOrg.entities.length / 500));
    const tiny = collect({ size: DEMO_SIZE, now: NOW, chunkSize: 1 });
    const tinySeen = new Set<string>();
    for (const batch of tiny.batches) {
      expect(batch.entities.length).toBeLessThanOrEqual(1);
      for (const e of batch.entities) tinySeen.add(e._key);
      for (const r of batch.relationships) {
        expect(tinySeen.has(r._fromEntityKey) && tinySeen.has(r._toEntityKey)).toBe(true);
      }
    }
  });

  it("writes records in the bulk format with flat properties and stable keys", () => {
    const { entities, relationships } = smallOrg;
    const flat = (value: unknown) =>
      Array.isArray(value) ? value.every((v) => typeof v === "string") : value === null || typeof value !== "object";
    expect(entities.filter((e) => !/^[a-z][a-z0-9_]*$/.test(e._type) || !Object.values(e).every(flat))).toEqual([]);
    const verbs = new Set(relationships.map((r) => r._class));
    expect([...verbs].sort()).toEqual(["DEPLOYED", "HAS", "OWNS", "USES"]);
    // the feedback loop: a repo records the hosts it deploys (CodeRepo -DEPLOYED-> Host)
    const deployed = relationships.filter((r) => r._class === "DEPLOYED");
    expect(deployed.length).toBeGreaterThan(0);
    expect(deployed.every((r) => r._fromEntityKey.startsWith("repo:") && r._toEntityKey.startsWith("host:"))).toBe(true);
    expect(
      relationships.filter((r) => r._key !== `${r._fromEntityKey}|${r._class.toLowerCase()}|${r._toEntityKey}`),
    ).toEqual([]);

    const repos = entities.filter((e) => e._type === "git_repo");
    for (const repo of repos) {
      expect(repo._key).toBe(`repo:${repo.name}`);
      expect(repo.displayName).toBe(repo.name);
      expect(repo.name).toMatch(/^[a-z]+(-[a-z]+)+(-\d+)?$/);
    }
    const share = (items: EntityRecord[], test: (e: EntityRecord) => boolean) => items.filter(test).length / items.length;
    expect(share(repos, (r) => r.public === true)).toBeGreaterThan(0.01);
    expect(share(repos, (r) => r.public === true)).toBeLessThan(0.12);
    expect(share(repos, (r) => typeof r.terraformVersion === "string")).toBeGreaterThan(0.2);
    expect(share(repos, (r) => typeof r.terraformVersion === "string")).toBeLessThan(0.45);

    const people = entities.filter((e) => e._type === "person");
    for (const p of people) {
      expect(p._class).toEqual(["Person", "User"]);
      expect(p._key).toBe(`person:${p.username}`);
      expect(p.email).toBe(`${p.username}@example.com`);
      expect(typeof p.mfaEnabled).toBe("boolean");
    }
    for (const h of entities.filter((e) => e._type === "host")) {
      expect(h._key).toMatch(/^host:ip-10-\d+-\d+-\d+$/);
      expect(["immutable-container", "mutable-vm", "bare-metal"]).toContain(h.deployment);
      expect(h.lastSeenOn as number).toBeLessThanOrEqual(NOW);
      expect(typeof h["tag.Production"]).toBe("boolean");
    }
    const images = entities.filter((e) => e._type === "docker_image");
    expect(share(images, (i) => (i.createdOn as number) < NOW - 182 * DAY)).toBeGreaterThan(0.1);

    const packages = entities.filter((e) => e._class === "CodeModule");
    expect(packages.filter((p) => p._key !== `${p.ecosystem}:${p.name}@${p.version}`)).toEqual([]);
    const usesPackage = relationships.filter((r) => r._type.endsWith("_package"));
    expect(usesPackage.filter((r) => typeof r.direct !== "boolean" || typeof r.devDependency !== "boolean")).toEqual([]);
    const users = new Map<string, number>();
    for (const r of usesPackage) users.set(r._toEntityKey, (users.get(r._toEntityKey) ?? 0) + 1);
    // Every package is used, and popular ones by many repos.
    expect(users.size).toBe(packages.length);
    expect(Math.max(...users.values())).toBeGreaterThan(small.repos / 4);
  });

  it("gives every finding the deferred-maintenance properties", () => {
    const base = [
      "maintenanceId", "shortDescription", "description", "webLink", "dueDate", "status",
      "closed", "createdBy", "createdOn",
    ];
    const onClose = ["closedOn", "closedBy", "closeReason", "maintenanceLink"];
    const hasEdges = new Map<string, RelationshipRecord[]>();
    for (const r of smallOrg.relationships) {
      if (r._toEntityKey.startsWith("finding:")) hasEdges.set(r._toEntityKey, [...(hasEdges.get(r._toEntityKey) ?? []), r]);
    }
    const campaigns = new Set<string>();
    expect(findings.length).toBeGreaterThan(500);
    for (const f of findings) {
      expect(f._class).toBe("Finding");
      for (const name of base) expect(f, `${f._key} lacks ${name}`).toHaveProperty([name]);
      expect(f.maintenanceId).toMatch(/^[0-9a-f]{8}$/);
      campaigns.add(f.maintenanceId as string);
      expect((f.shortDescription as string).length).toBeLessThanOrEqual(50);
      expect(f.displayName).toBe(f.shortDescription);
      expect(f.webLink).toMatch(/^https:\/\/wiki\.example\.com\//);
      expect(typeof f.dueDate).toBe("number");
      expect(f.createdBy).toMatch(/@example\.com$/);
      expect(f.status).toBe(f.closed ? "closed" : "open");
      if (f.closed === true) {
        for (const name of onClose) expect(f, `${f._key} lacks ${name}`).toHaveProperty([name]);
        expect(["COMPLETE", "ERROR", "RISK_ACCEPTED"]).toContain(f.closeReason);
        expect(f.maintenanceLink).toMatch(/^https:\/\/git\.example\.com\/[a-z0-9-]+\/pull\/\d+$/);
        expect(f.closedOn as number).toBeGreaterThanOrEqual(f.createdOn as number);
        expect(f.closedOn as number).toBeLessThanOrEqual(NOW);
      } else {
        expect(f.closed).toBe(false);
        for (const name of onClose) expect(f).not.toHaveProperty([name]);
      }
      const edges = hasEdges.get(f._key) ?? [];
      expect(edges).toHaveLength(1);
      const edge = edges[0]!;
      expect(edge._class).toBe("HAS");
      expect(f._key).toBe(`finding:${f.maintenanceId}:${edge._fromEntityKey}`);
      expect(edge._type).toBe(
        edge._fromEntityKey.startsWith("repo:") ? "git_repo_has_deferred_maintenance" : "host_has_deferred_maintenance",
      );
    }
    expect(campaigns.size).toBe(20);
    expect(findings.some((f) => f._key.includes(":host:"))).toBe(true);
    // Findings of one campaign share its description, due date and author.
    const byCampaign = new Map<string, EntityRecord>();
    for (const f of findings) {
      const first = byCampaign.get(f.maintenanceId as string) ?? f;
      byCampaign.set(f.maintenanceId as string, first);
      expect([f.shortDescription, f.dueDate, f.createdBy]).toEqual([first.shortDescription, first.dueDate, first.createdBy]);
    }
    expect(describeCampaigns({ size: small, seed: 7, now: NOW }).map((c) => c.maintenanceId).sort()).toEqual(
      [...campaigns].sort(),
    );
  });

  it("leaves a substantial share of findings open and overdue by more than a week", () => {
    const share = (test: (f: EntityRecord) => boolean) => findings.filter(test).length / findings.length;
    const overdue = share((f) => f.closed === false && (f.dueDate as number) < NOW - 7 * DAY);
    expect(overdue).toBeGreaterThan(0.25);
    expect(overdue).toBeLessThan(0.45);
    expect(share((f) => f.closed === true)).toBeGreaterThan(0.25);
    expect(share((f) => (f.dueDate as number) > NOW)).toBeGreaterThan(0.2);
    expect(share((f) => (f.dueDate as number) < NOW - 365 * DAY)).toBeGreaterThan(0.01);
    expect(new Set(findings.filter((f) => f.closed).map((f) => f.closeReason)).size).toBe(3);

    const demo = collect({ size: DEMO_SIZE, now: NOW }).entities.filter((e) => e._type === "deferred_maintenance");
    expect(demo.filter((f) => f.closed === false && (f.dueDate as number) < NOW - 7 * DAY).length).toBeGreaterThan(10);
    expect(new Set(demo.map((f) => f.maintenanceId)).size).toBe(DEMO_SIZE.campaigns);
  });

  it("rejects impossible sizes and options", () => {
    const bad = (size: Partial<OrgSize>, chunkSize?: number) => () => [
      ...generateOrg({ size: { ...DEMO_SIZE, ...size }, now: NOW, ...(chunkSize === undefined ? {} : { chunkSize }) }),
    ];
    expect(bad({ repos: -1 })).toThrow(InputError);
    expect(bad({ teams: 0 })).toThrow(InputError);
    expect(bad({ campaigns: 21 })).toThrow(InputError);
    expect(bad({ findingsPerRepo: Number.NaN })).toThrow(InputError);
    expect(bad({}, 0)).toThrow(InputError);
    expect(() => sizeForEntities(0)).toThrow(InputError);
  });
});

describe("sampleRepoName", () => {
  function openFindingRepos(org: ReturnType<typeof collect>) {
    const open = new Set(org.entities.filter((e) => e._type === "deferred_maintenance" && e.closed === false).map((e) => e._key));
    return new Set(
      org.relationships
        .filter((r) => r._class === "HAS" && r._fromEntityKey.startsWith("repo:") && open.has(r._toEntityKey))
        .map((r) => r._fromEntityKey),
    );
  }

  it("names a generated repo with an open finding", () => {
    const withOpen = openFindingRepos(smallOrg);
    const names = new Set<string>();
    for (let index = 0; index < 10; index++) {
      const name = sampleRepoName(small, 7, index);
      expect(withOpen.has(`repo:${name}`), name).toBe(true);
      names.add(name);
    }
    expect(names.size).toBeGreaterThan(5);
    expect(sampleRepoName(small, 7, 3)).toBe(sampleRepoName(small, 7, 3));

    const demo = collect({ size: DEMO_SIZE, now: NOW });
    expect(openFindingRepos(demo).has(`repo:${sampleRepoName(DEMO_SIZE)}`)).toBe(true);
  });

  it("fails clearly when no repo can have a finding", () => {
    expect(() => sampleRepoName({ ...DEMO_SIZE, findingsPerRepo: 0 })).toThrow(InputError);
  });
});
