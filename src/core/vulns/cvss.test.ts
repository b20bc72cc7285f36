import { describe, expect, it } from "vitest";
import { CvssError, roundup, scoreCvss3, severityCvss4, severityFrom } from "./cvss.js";

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

describe("CVSS v4.0 severity (approximated through v3.1)", () => {
  // severities as FIRST's reference calculator gives them for these vectors
  it.each([
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "critical"],
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "critical"],
    ["CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "high"],
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "high"],
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "none"],
  ])("%s is %s", (vector, severity) => {
    expect(severityCvss4(vector)).toBe(severity);
  });

  it("is lower when the attack needs more", () => {
    const order = ["none", "low", "medium", "high", "critical"];
    const easy = severityCvss4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N");
    const hard = severityCvss4("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N");
    expect(order.indexOf(hard)).toBeLessThan(order.indexOf(easy));
  });

  it("rejects malformed vectors naming the metric", () => {
    expect(() => severityCvss4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N")).toThrow(/SA/);
    expect(() => severityCvss4("CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")).toThrow(/AV/);
    expect(() => severityCvss4("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H")).toThrow(CvssError);
  });
});

describe("severityFrom", () => {
  const v3 = { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H" };
  const v4 = { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" };

  it("prefers the v3 score, then v4, then the database's word", () => {
    expect(severityFrom([v4, v3], "LOW")).toEqual({ severity: "high", score: 7.2, source: "CVSS_V3", vector: v3.score });
    expect(severityFrom([v4], "LOW")).toEqual({ severity: "critical", source: "CVSS_V4", vector: v4.score });
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
