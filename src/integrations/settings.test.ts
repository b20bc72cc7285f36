import { describe, expect, it } from "vitest";
import { Duration, parseSpan } from "./settings.js";

describe("duration settings", () => {
  it("read spans and seconds, refuse the rest naming the value", () => {
    expect(parseSpan("1w2d")).toBe(9 * 86_400_000);
    expect(parseSpan("1h30m")).toBe(5_400_000);
    expect(parseSpan("1.5m")).toBe(90_000);
    expect(parseSpan("14 days")).toBeUndefined();
    expect(Duration().parse("500ms")).toBe(500);
    expect(Duration().parse(2)).toBe(2000);
    const bad = Duration("14d, 2w").safeParse("soon");
    expect(bad.success ? "" : bad.error.issues[0]!.message).toBe('"soon" is not a duration (examples: 14d, 2w)');
    expect(Duration().safeParse("0s").success).toBe(false);
    const long = Duration("14d", 90 * 86_400_000).safeParse("91d");
    expect(long.success ? "" : long.error.issues[0]!.message).toBe('"91d" is too long: at most 90d');
  });
});
