import { describe, expect, it } from "vitest";
import { CvssError, roundup, scoreCvss3, scoreCvss4, severityFrom } from "./cvss.js";

describe("scoreCvss3", () => {
  // published NVD/GitHub base scores
  it.each([
    ["CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "high"], // CVE-2021-23337 lodash
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10, "critical"],
    ["CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N", 2.2, "low"], // 6.42*0.22 + 8.22*.55*.44*.62*.62 = 2.177 -> 2.2
    ["CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"], // the classic reflected XSS
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"], // CVE-2023-36053 Django
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"], // CVE-2021-44228 class
    ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "critical"], // PR:L weighs 0.68 when scope changes
    ["CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N", 2.6, "low"],
    ["CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0, "none"],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U", 9.8, "critical"], // temporal metrics ignored
  ])("%s = %s", (vector, score, severity) => {
    expect(scoreCvss3(vector)).toEqual({ score, severity });
  });

  it("rounds up as in CVSS v3.1 Appendix A, without floating-point noise", () => {
    expect(roundup(4.000000000000001)).toBe(4.0);
    expect(roundup(4.02)).toBe(4.1);
    expect(roundup(4)).toBe(4);
  });

  it.each([
    ["CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV"],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "A"],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L", "A"],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H", "S"],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/QQ:1", "QQ"],
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", undefined],
    ["CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", undefined],
    ["AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", undefined],
    ["", undefined],
  ])("rejects %s naming %s", (vector, metric) => {
    let error: unknown;
    try {
      scoreCvss3(vector);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CvssError);
    expect((error as CvssError).metric).toBe(metric);
    if (metric) expect((error as Error).message).toContain(metric);
  });
});

describe("scoreCvss4 (FIRST's v4.0 scoring, through ae-cvss-calculator)", () => {
  // the scores FIRST publishes for its CVSS v4.0 examples (https://www.first.org/cvss/v4.0/examples)
  it.each([
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "critical"],
    ["CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.3, "high"],
    ["CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.7, "high"],
    ["CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 5.2, "medium"], // threat metric lowers it
    ["CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 4.6, "medium"],
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 7.1, "high"],
    ["CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 5.4, "medium"],
    ["CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P", 9.7, "critical"], // environmental raises it
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0, "none"],
  ])("%s = %s", (vector, score, severity) => {
    expect(scoreCvss4(vector)).toEqual({ score, severity });
    // a second time from the cache, the same answer
    expect(scoreCvss4(vector)).toEqual({ score, severity });
  });

  it("rejects malformed vectors naming the metric", () => {
    expect(() => scoreCvss4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N")).toThrow(/missing base metric SA/);
    expect(() => scoreCvss4("CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")).toThrow(/invalid value "Q" for metric AV/);
    expect(() => scoreCvss4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:1")).toThrow(/unknown metric ZZ/);
    expect(() => scoreCvss4("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H")).toThrow(CvssError);
  });
});

describe("severityFrom", () => {
  const v3 = { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H" };
  const v4 = { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" };

  it("prefers the v3 score, then v4, then the database's word", () => {
    expect(severityFrom([v4, v3], "LOW")).toEqual({ severity: "high", score: 7.2, source: "CVSS_V3", vector: v3.score });
    expect(severityFrom([v4], "LOW")).toEqual({ severity: "critical", score: 9.3, source: "CVSS_V4", vector: v4.score });
    expect(severityFrom(undefined, "MODERATE")).toEqual({ severity: "medium", source: "database_specific" });
    expect(severityFrom([], "critical")).toEqual({ severity: "critical", source: "database_specific" });
    expect(severityFrom([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N" }], "HIGH")).toEqual({
      severity: "high",
      source: "database_specific",
    });
    expect(severityFrom([{ type: "Ubuntu", score: "medium" }])).toBeUndefined();
    expect(severityFrom([], "UNKNOWN")).toBeUndefined();
  });
});

describe("severityFrom with a v4.0 vector: the exact score decides", () => {
  // The v3.1 approximation used before rated these differently (medium, low, high).
  it.each([
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 7.1, "high"],
    ["CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 4.6, "medium"],
    ["CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 5.2, "medium"],
  ])("%s is %s (%s)", (vector, score, severity) => {
    expect(severityFrom([{ type: "CVSS_V4", score: vector }], "LOW")).toEqual({ severity, score, source: "CVSS_V4", vector });
  });

  it("an unscorable v4.0 vector falls back to the database's word", () => {
    expect(severityFrom([{ type: "CVSS_V4", score: "CVSS:4.0/AV:N" }], "MODERATE")).toEqual({ severity: "medium", source: "database_specific" });
  });
});
