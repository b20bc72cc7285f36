import { describe, expect, it } from "vitest";
import { go, isPseudoVersion } from "./go.js";
import { schemeTests } from "./test-helpers.js";

describe("go", () => {
  schemeTests(go, "Go", {
    less: [
      ["v1.2.3", "v1.2.4"],
      ["1.2.3", "v1.2.4"],
      ["v1.2.3", "1.2.4"],
      ["v1.9.0", "v1.10.0"],
      ["v0.0.0", "v0.0.1"],
      ["v1.0.0-rc.1", "v1.0.0"],
      ["v1.0.0-alpha", "v1.0.0-beta"],
      ["v1.0.0-beta.2", "v1.0.0-beta.11"],
      // pseudo-versions with no earlier tag: vX.0.0-timestamp-rev
      ["v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-000000000000"],
      ["v0.0.0-20191109021931-daa7c04131f5", "v0.0.1"],
      ["v0.0.0-20191109021931-daa7c04131f5", "0.1.0"],
      ["0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20191109021932-aaaaaaaaaaaa"],
      // vX.Y.(Z+1)-0.timestamp-rev: after vX.Y.Z, before vX.Y.(Z+1)
      ["v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5"],
      ["v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"],
      ["v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-0.20191109021932-daa7c04131f5"],
      ["v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-alpha"],
      // vX.Y.Z-pre.0.timestamp-rev: after vX.Y.Z-pre
      ["v1.2.4-pre", "v1.2.4-pre.0.20191109021931-daa7c04131f5"],
      ["v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4-pre.1"],
      ["v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4"],
      // +incompatible
      ["v2.0.0+incompatible", "v2.0.1+incompatible"],
      ["v2.0.0+incompatible", "v2.1.0"],
      ["v1.9.9", "v2.0.0+incompatible"],
      ["v2.0.0-20180101000000-abcdefabcdef+incompatible", "v2.0.0+incompatible"],
      ["v4.0.0-20190222235706-ffb98f73852f+incompatible", "v4.0.0-20190222235707-ffb98f73852f+incompatible"],
      // shorthands
      ["v1", "v1.0.1"],
      ["v1.2", "v1.2.1"],
      ["v0.10.0", "v0.11.0"],
    ],
    equal: [
      ["1.2.3", "v1.2.3"],
      ["v1", "v1.0.0"],
      ["v1.2", "1.2.0"],
      ["v2.0.0+incompatible", "v2.0.0"],
      ["0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20191109021931-daa7c04131f5"],
    ],
    chains: [
      [
        "v0.0.0-20191109021931-daa7c04131f5",
        "v0.1.0",
        "v0.1.1-0.20200101000000-0123456789ab",
        "v0.1.1",
        "v1.0.0-rc.1",
        "v1.0.0-rc.1.0.20200101000000-0123456789ab",
        "v1.0.0",
        "v2.0.0+incompatible",
      ],
    ],
    invalid: ["", "garbage", "vx.y.z", "v1.2.3.4", "v01.2.3", "v1.2-pre", "v1.2.3-", "v1.2.3-01", "V1.2.3", "latest", "master"],
  });

  it("recognises pseudo-versions", () => {
    expect(isPseudoVersion("v0.0.0-20191109021931-daa7c04131f5")).toBe(true);
    expect(isPseudoVersion("v1.2.4-0.20191109021931-daa7c04131f5")).toBe(true);
    expect(isPseudoVersion("v1.2.4-pre.0.20191109021931-daa7c04131f5")).toBe(true);
    expect(isPseudoVersion("v2.0.0-20180101000000-abcdefabcdef+incompatible")).toBe(true);
    expect(isPseudoVersion("v1.2.4")).toBe(false);
    expect(isPseudoVersion("v1.2.4-rc.1")).toBe(false);
  });
});
