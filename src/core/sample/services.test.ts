import { describe, expect, it } from "vitest";
import { dataModelProblemsOf } from "../../../test/data-model.js";
import { DEMO_SIZE, generateOrg } from "./generate-org.js";
import { sampleDirectory, sampleServiceSources } from "./services.js";

const NOW = Date.UTC(2026, 10, 23, 12);

describe("the demo's sample of each service", () => {
  const sources = sampleServiceSources(NOW);

  it("has one source per integration, each with its instance", () => {
    expect(sources.map((s) => s.integration)).toEqual(["github", "gitlab", "bitbucket", "pagerduty", "vault", "kubernetes", "ldap"]);
    expect(new Set(sources.map((s) => s.instance)).size).toBe(sources.length);
    for (const s of sources) expect(s.batch.entities.length, s.instance).toBeGreaterThan(0);
  });

  it("writes only entities that satisfy JupiterOne's data model", () => {
    expect(dataModelProblemsOf(sources.flatMap((s) => s.batch.entities))).toEqual([]);
  });

  it("links only what exists: each relationship's ends are in the sources or in the sample organisation", () => {
    const keys = new Set(sources.flatMap((s) => s.batch.entities.map((e) => e._key)));
    for (const batch of generateOrg({ size: DEMO_SIZE, now: NOW })) for (const e of batch.entities) keys.add(e._key);
    const dangling = sources
      .flatMap((s) => s.batch.relationships)
      .filter((r) => !keys.has(r._fromEntityKey) || !keys.has(r._toEntityKey))
      .map((r) => r._key);
    expect(dangling).toEqual([]);
  });

  it("gives the accounts the sample organisation's emails, so the people step joins them", () => {
    const emails = new Set(sampleDirectory(NOW).people.map((p) => p.email));
    const users = sources.flatMap((s) => s.batch.entities).filter((e) => e._class === "User" && Array.isArray(e.email));
    const matched = users.filter((u) => (u.email as string[]).some((m) => emails.has(m)));
    expect(new Set(matched.map((u) => u._type))).toEqual(new Set(["github_user", "gitlab_user", "pagerduty_user", "hashicorp_vault_user", "ldap_user"]));
  });

  it("is the same for the same now", () => {
    expect(sampleServiceSources(NOW)).toEqual(sources);
  });
});
