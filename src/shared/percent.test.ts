import { describe, expect, it } from "vitest";
import { percent, wholePercent } from "./percent.js";

describe("percent (dm stats and the dashboard)", () => {
  it("rounds down to whole percent, 100% only when all is done, and is not fooled by floating point", () => {
    expect(percent(8 / 29)).toBe("27%");
    expect(percent(28 / 29)).toBe("96%");
    expect(percent(0.999)).toBe("99%");
    expect(percent(1)).toBe("100%");
    expect(percent(0)).toBe("0%");
    // 0.29 * 100 is 28.999999999999996
    expect(wholePercent(29 / 100)).toBe(29);
    expect(wholePercent(57 / 100)).toBe(57);
    expect(wholePercent(Number.NaN)).toBe(0);
  });
});
