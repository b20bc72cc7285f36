import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Advisory, AdvisoryError, affectedVersions, isAffected, isWithdrawn, parseAdvisory } from "./osv.js";
import { InvalidVersionError, type VersionScheme } from "./versions/types.js";

/**
 * A tiny test scheme: dotted numbers with an optional a/b/rc pre-release
 * ("3.2a1" < "3.2" = "3.2.0"), no `v`. Enough for these fixtures; the real
 * per-ecosystem schemes live elsewhere.
 */
const PATTERN = /^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?$/;
const PRE: Record<string, number> = { a: 0, b: 1, rc: 2 };
const dotted: VersionScheme = {
  ecosystems: ["test"],
  valid: (v) => PATTERN.test(v),
  compare(a, b) {
    const pa = PATTERN.exec(a);
    const pb = PATTERN.exec(b);
    if (!pa) throw new InvalidVersionError("test", a);
    if (!pb) throw new InvalidVersionError("test", b);
    const na = pa[1]!.split(".").map(Number);
    const nb = pb[1]!.split(".").map(Number);
    for (let i = 0; i < Math.max(na.length, nb.length); i++) {
      const d = (na[i] ?? 0) - (nb[i] ?? 0);
      if (d !== 0) return d;
    }
    const ra = pa[2] === undefined ? [3, 0] : [PRE[pa[2]]!, Number(pa[3])];
    const rb = pb[2] === undefined ? [3, 0] : [PRE[pb[2]]!, Number(pb[3])];
    return ra[0]! - rb[0]! || ra[1]! - rb[1]!;
  },
};

function fixture(name: string): Advisory {
  const file = `fixtures/${name}`;
  return parseAdvisory(JSON.parse(readFileSync(new URL(`./${file}`, import.meta.url), "utf8")), file);
}

function check(advisory: Advisory, ecosystem: string, name: string, version: string) {
  const entries = affectedVersions(advisory, ecosystem, name);
  expect(entries).toHaveLength(1);
  return isAffected(entries[0]!, version, dotted);
}

describe("parseAdvisory", () => {
  it("reads the real fixtures", () => {
    const lodash = fixture("GHSA-35jh-r3h4-6jhm.json");
    expect(lodash.id).toBe("GHSA-35jh-r3h4-6jhm");
    expect(lodash.aliases).toEqual(["CVE-2021-23337"]);
    expect(lodash.severity).toEqual([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H" }]);
    expect(lodash.affected.map((a) => a.package.name)).toEqual(["lodash", "lodash-es"]);
    const decode = fixture("GHSA-w573-4hg7-7wgq.json");
    expect(decode.severity).toBeUndefined();
    expect(decode.database_specific?.severity).toBe("HIGH");
    expect(isWithdrawn(decode)).toBe(false);
  });

  it.each([
    [{ modified: "2021-01-01T00:00:00Z", affected: [] }, "$.id"],
    [{ id: "X-1", modified: "yesterday" }, "$.modified"],
    [{ id: "X-1", modified: "2021-01-01T00:00:00Z", affected: [{ package: { ecosystem: "npm" } }] }, "$.affected[0].package.name"],
    [
      {
        id: "X-1",
        modified: "2021-01-01T00:00:00Z",
        affected: [{ package: { ecosystem: "npm", name: "a" }, ranges: [{ type: "SEMVER", events: [] }] }],
      },
      "$.affected[0].ranges[0].events",
    ],
    [
      {
        id: "X-1",
        modified: "2021-01-01T00:00:00Z",
        affected: [{ package: { ecosystem: "npm", name: "a" }, ranges: [{ type: "RANGE", events: [{ introduced: "0" }] }] }],
      },
      "$.affected[0].ranges[0].type",
    ],
    [{ id: "X-1", modified: "2021-01-01T00:00:00Z", severity: [{ type: "CVSS_V3" }] }, "$.severity[0].score"],
    ["not an object", "$"],
  ])("rejects %j at %s", (json, path) => {
    let error: unknown;
    try {
      parseAdvisory(json, "advisories/x.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdvisoryError);
    expect((error as AdvisoryError).file).toBe("advisories/x.json");
    expect((error as AdvisoryError).path).toBe(path);
    expect((error as Error).message).toContain("advisories/x.json");
  });

  it("rejects an event with two kinds, naming the file and the event", () => {
    expect(() => fixture("malformed-event.json")).toThrow(
      expect.objectContaining({ file: "fixtures/malformed-event.json", path: "$.affected[0].ranges[0].events[1]" }),
    );
  });
});

describe("GHSA-w573-4hg7-7wgq: decode-uri-component, last_affected 0.2.0", () => {
  const advisory = fixture("GHSA-w573-4hg7-7wgq.json");
  it.each([
    ["0.0.1", true],
    ["0.1.9", true],
    ["0.2.0", true], // last_affected itself is affected
    ["0.2.1", false],
    ["0.2.2", false],
    ["1.0.0", false],
  ])("%s affected: %s", (version, affected) => {
    const result = check(advisory, "npm", "decode-uri-component", version);
    expect(result).toEqual({ affected }); // no fixed event, so no fixed version
  });

  it("stops matching once withdrawn", () => {
    const withdrawn = fixture("withdrawn.json");
    expect(isWithdrawn(withdrawn)).toBe(true);
    expect(affectedVersions(withdrawn, "npm", "decode-uri-component")).toEqual([]);
  });
});

describe("GHSA-35jh-r3h4-6jhm: lodash and lodash-es, fixed 4.17.21", () => {
  const advisory = fixture("GHSA-35jh-r3h4-6jhm.json");
  it.each(["lodash", "lodash-es"])("%s", (name) => {
    expect(check(advisory, "npm", name, "0.1.0")).toEqual({ affected: true, fixed: "4.17.21" });
    expect(check(advisory, "npm", name, "4.17.20")).toEqual({ affected: true, fixed: "4.17.21" });
    expect(check(advisory, "npm", name, "4.17.21")).toEqual({ affected: false }); // the fix itself
    expect(check(advisory, "npm", name, "4.17.22")).toEqual({ affected: false });
  });

  it("matches npm names exactly and only in npm", () => {
    expect(affectedVersions(advisory, "npm", "Lodash")).toEqual([]);
    expect(affectedVersions(advisory, "npm", "lodash.template")).toEqual([]);
    expect(affectedVersions(advisory, "PyPI", "lodash")).toEqual([]);
  });
});

describe("GHSA-jh3w-4vvf-mjgr: Django, several ranges", () => {
  const advisory = fixture("GHSA-jh3w-4vvf-mjgr.json");
  it.each([
    ["3.1.14", false, undefined],
    ["3.2a1", true, "3.2.20"], // introduced is inclusive
    ["3.2", true, "3.2.20"],
    ["3.2.19", true, "3.2.20"],
    ["3.2.20", false, undefined],
    ["3.2.25", false, undefined],
    ["4.0", true, "4.1.10"],
    ["4.1.9", true, "4.1.10"],
    ["4.1.10", false, undefined],
    ["4.2rc1", true, "4.2.3"],
    ["4.2.2", true, "4.2.3"],
    ["4.2.3", false, undefined],
    ["5.0", false, undefined],
  ])("%s affected: %s, fixed %s", (version, affected, fixed) => {
    expect(check(advisory, "PyPI", "Django", version)).toEqual(fixed ? { affected, fixed } : { affected });
  });

  it("normalises PyPI names per PEP 503", () => {
    expect(affectedVersions(advisory, "PyPI", "django")).toHaveLength(1);
    expect(affectedVersions(advisory, "PyPI", "DJANGO")).toHaveLength(1);
    expect(affectedVersions(advisory, "PyPI", "djang-o")).toEqual([]);
  });
});

describe("GO-2020-0036: SEMVER events without `v`, go.mod versions with it", () => {
  const advisory = fixture("GO-2020-0036.json");
  it.each([
    ["v2.2.7", true],
    ["2.2.7", true],
    ["v2.2.8", false],
    ["v2.4.0", false],
  ])("%s affected: %s", (version, affected) => {
    expect(check(advisory, "Go", "gopkg.in/yaml.v2", version)).toEqual(
      affected ? { affected, fixed: "2.2.8" } : { affected },
    );
  });
});

describe("isAffected, the OSV evaluation", () => {
  const entry = (ranges: unknown, versions?: string[]) =>
    parseAdvisory(
      { id: "TEST-1", modified: "2024-01-01T00:00:00Z", affected: [{ package: { ecosystem: "npm", name: "p" }, ranges, versions }] },
      "inline.json",
    ).affected[0]!;

  it("sorts events by version before evaluating", () => {
    const a = entry([{ type: "SEMVER", events: [{ fixed: "2.0.0" }, { introduced: "1.5.0" }, { fixed: "1.2.0" }, { introduced: "0" }] }]);
    expect(isAffected(a, "1.1.0", dotted)).toEqual({ affected: true, fixed: "1.2.0" });
    expect(isAffected(a, "1.2.0", dotted)).toEqual({ affected: false });
    expect(isAffected(a, "1.4.9", dotted)).toEqual({ affected: false });
    expect(isAffected(a, "1.5.0", dotted)).toEqual({ affected: true, fixed: "2.0.0" });
    expect(isAffected(a, "2.0.0", dotted)).toEqual({ affected: false });
  });

  it("honours limit, the explicit versions list, and ignores GIT ranges", () => {
    const limited = entry([{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { limit: "3.0.0" }] }]);
    expect(isAffected(limited, "2.9.9", dotted).affected).toBe(true);
    expect(isAffected(limited, "3.0.0", dotted).affected).toBe(false);

    const listed = entry(undefined, ["1.0.0", "1.0.3"]);
    expect(isAffected(listed, "1.0.3", dotted)).toEqual({ affected: true });
    expect(isAffected(listed, "1.0.2", dotted)).toEqual({ affected: false });

    const git = entry([{ type: "GIT", repo: "https://example.invalid/r", events: [{ introduced: "0" }, { fixed: "abc123" }] }]);
    expect(isAffected(git, "1.0.0", dotted)).toEqual({ affected: false });
  });

  it("gives the smallest fix above the installed version that is not itself affected", () => {
    const a = entry([
      { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.5.0" }] },
      { type: "ECOSYSTEM", events: [{ introduced: "1.4.0" }, { fixed: "1.6.0" }] },
      { type: "ECOSYSTEM", events: [{ introduced: "2.0.0" }, { fixed: "2.1.0" }] },
    ]);
    expect(isAffected(a, "1.0.0", dotted)).toEqual({ affected: true, fixed: "1.6.0" });
    expect(isAffected(a, "2.0.5", dotted)).toEqual({ affected: true, fixed: "2.1.0" });
  });

  it("passes over a range or version the scheme cannot order", () => {
    const a = entry([
      { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "not-a-version" }] },
      { type: "ECOSYSTEM", events: [{ introduced: "5.0.0" }, { fixed: "5.1.0" }] },
    ]);
    expect(isAffected(a, "1.0.0", dotted)).toEqual({ affected: false });
    expect(isAffected(a, "5.0.1", dotted)).toEqual({ affected: true, fixed: "5.1.0" });
    expect(isAffected(a, "garbage", dotted)).toEqual({ affected: false });
  });
});
