import { describe, expect, it } from "vitest";
import { normalizeComposer, packagist } from "./packagist.js";
import { schemeTests } from "./test-helpers.js";

describe("packagist", () => {
  schemeTests(packagist, "Packagist", {
    less: [
      ["1.0.0", "1.0.1"],
      ["1.9.0", "1.10.0"],
      ["1.0", "1.0.0.1"],
      ["1.0.0-dev", "1.0.0-alpha"],
      ["1.0.0-alpha", "1.0.0-alpha2"],
      ["1.0.0-alpha2", "1.0.0-beta"],
      ["1.0.0-beta1", "1.0.0-beta2"],
      ["1.0.0-beta2", "1.0.0-beta10"],
      ["1.0.0-beta2", "1.0.0-RC1"],
      ["1.0.0-RC1", "1.0.0-RC2"],
      ["1.0.0-RC2", "1.0.0"],
      ["1.0.0", "1.0.0-patch1"],
      ["1.0.0-p1", "1.0.0-pl2"],
      ["1.0.0-patch1", "1.0.1"],
      ["1.0.0-alpha1-dev", "1.0.0-alpha1"],
      ["v1.0.0-beta", "v1.0.0"],
      ["1.0.0-a1", "1.0.0-b1"],
      ["1.0.0-b1", "1.0.0-rc1"],
      ["1.0.0.beta3", "1.0.0"],
      ["5.4.0-RC1", "5.4.0"],
      ["4.4.49", "4.4.50"],
      ["2.9.9", "3.0.0-alpha"],
      ["1.0.0-dev", "1.0.0"],
      ["20100101", "20100102"],
      ["2010-01-02", "2010-01-03"],
      ["20100102", "20100102.1"],
      ["1.0.0+build5", "1.0.1"],
    ],
    equal: [
      ["1.0", "1.0.0.0"],
      ["1", "1.0.0"],
      ["v1.0.0", "1.0.0"],
      ["1.0.0-stable", "1.0.0"],
      ["1.0.0-RC1", "1.0.0-rc1"],
      ["1.0.0-rc.1", "1.0.0-RC1"],
      ["1.0.0-b2", "1.0.0-beta2"],
      ["1.0.0-alpha.1", "1.0.0-a1"],
      ["1.0.0-pl1", "1.0.0-patch1"],
      ["1.0.0-p1", "1.0.0-patch1"],
      ["1.0.0+build1", "1.0.0"],
    ],
    chains: [["1.0.0-dev", "1.0.0-alpha1", "1.0.0-beta1", "1.0.0-beta2", "1.0.0-RC1", "1.0.0", "1.0.0-patch1", "1.0.1-dev", "1.0.1"]],
    invalid: ["", "garbage", "dev-master", "1.x-dev", "1.0.0-gamma", "1.0.0.0.0", "^1.0", ">=1.0", "1.*", "1.0.0-beta-rc", "1.0 || 2.0"],
  });

  it("normalises as composer/semver does", () => {
    expect(normalizeComposer("1.0")).toBe("1.0.0.0");
    expect(normalizeComposer("v2.1.3-RC2")).toBe("2.1.3.0-RC2");
    expect(normalizeComposer("1.0.0-b.5")).toBe("1.0.0.0-beta5");
    expect(normalizeComposer("1.0.0-alpha3-dev")).toBe("1.0.0.0-alpha3-dev");
    expect(normalizeComposer("1.0.0-stable")).toBe("1.0.0.0");
    expect(normalizeComposer("2010-01-02")).toBe("2010.01.02");
    expect(normalizeComposer("1.0.0 as 1.1.x-dev")).toBe("1.0.0.0");
  });
});
