import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CronError, parseCron } from "./cron.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace(":00.000Z", "Z");

function nextN(expr: string, from: string, n: number): string[] {
  const cron = parseCron(expr);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    t = cron.next(t);
    out.push(iso(t));
  }
  return out;
}

describe("cron", () => {
  it("steps through every minute, every hour, and a daily time", () => {
    expect(nextN("* * * * *", "2026-03-01T10:00:30Z", 3)).toEqual(["2026-03-01T10:01Z", "2026-03-01T10:02Z", "2026-03-01T10:03Z"]);
    expect(nextN("0 * * * *", "2026-03-01T10:00:00Z", 2)).toEqual(["2026-03-01T11:00Z", "2026-03-01T12:00Z"]);
    expect(nextN("30 2 * * *", "2026-03-01T03:00:00Z", 2)).toEqual(["2026-03-02T02:30Z", "2026-03-03T02:30Z"]);
  });

  it("is strictly after the given time, even on a due minute", () => {
    expect(iso(parseCron("*/15 * * * *").next(at("2026-03-01T10:15:00Z")))).toBe("2026-03-01T10:30Z");
    expect(iso(parseCron("*/15 * * * *").next(at("2026-03-01T10:14:59.999Z")))).toBe("2026-03-01T10:15Z");
  });

  it("reads ranges, lists, steps, names, and day-of-week 7 as Sunday", () => {
    expect(nextN("0,20-22,50/5 9 * * *", "2026-03-01T00:00:00Z", 6)).toEqual([
      "2026-03-01T09:00Z",
      "2026-03-01T09:20Z",
      "2026-03-01T09:21Z",
      "2026-03-01T09:22Z",
      "2026-03-01T09:50Z",
      "2026-03-01T09:55Z",
    ]);
    expect(nextN("0 8-18/5 * * *", "2026-03-01T00:00:00Z", 3)).toEqual(["2026-03-01T08:00Z", "2026-03-01T13:00Z", "2026-03-01T18:00Z"]);
    // 2026-03-01 is a Sunday
    expect(nextN("0 9 * * mon-fri", "2026-02-27T12:00:00Z", 2)).toEqual(["2026-03-02T09:00Z", "2026-03-03T09:00Z"]);
    expect(nextN("0 0 * * 7", "2026-02-27T00:00:00Z", 1)).toEqual(["2026-03-01T00:00Z"]);
    expect(nextN("0 0 1 jan,JUL *", "2026-02-01T00:00:00Z", 2)).toEqual(["2026-07-01T00:00Z", "2027-01-01T00:00Z"]);
  });

  it("fires on either day when day-of-month and day-of-week are both restricted (Vixie cron)", () => {
    // the 13th, and every Friday
    expect(nextN("0 0 13 * fri", "2026-03-01T00:00:00Z", 4)).toEqual([
      "2026-03-06T00:00Z",
      "2026-03-13T00:00Z",
      "2026-03-20T00:00Z",
      "2026-03-27T00:00Z",
    ]);
  });

  it("finds February 29th and skips months without a 31st", () => {
    expect(nextN("0 0 29 2 *", "2026-03-01T00:00:00Z", 1)).toEqual(["2028-02-29T00:00Z"]);
    expect(nextN("0 0 31 * *", "2026-03-31T12:00:00Z", 2)).toEqual(["2026-05-31T00:00Z", "2026-07-31T00:00Z"]);
  });

  it("accepts the @ macros", () => {
    expect(nextN("@hourly", "2026-03-01T10:10:00Z", 1)).toEqual(["2026-03-01T11:00Z"]);
    expect(nextN("@weekly", "2026-03-02T00:00:00Z", 1)).toEqual(["2026-03-08T00:00Z"]);
    expect(parseCron(" @daily ").source).toBe("@daily");
  });

  it("says what is wrong with a bad expression", () => {
    const problem = (expr: string) => {
      try {
        parseCron(expr);
      } catch (error) {
        expect(error).toBeInstanceOf(CronError);
        return (error as Error).message;
      }
      return "no error";
    };
    expect(problem("* * * *")).toContain("has 4 fields; expected 5");
    expect(problem("60 * * * *")).toBe("minute: 60 is outside 0-59");
    expect(problem("*/0 * * * *")).toContain("step");
    expect(problem("5-1 * * * *")).toContain("runs backwards");
    expect(problem("* * * foo *")).toBe('month: "foo" is not a number or a name');
    expect(problem("1,,2 * * * *")).toContain("empty item");
    expect(problem("0 0 30 2 *")).toContain("never matches");
    expect(problem("@often")).toContain("unknown macro");
  });

  it("agrees with a minute-by-minute search (property)", () => {
    const field = (min: number, max: number) =>
      fc.oneof(
        fc.constant("*"),
        fc.integer({ min, max }).map(String),
        fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.integer({ min: 1, max: 7 }).map((s) => `*/${s}`),
        fc.array(fc.integer({ min, max }), { minLength: 1, maxLength: 3 }).map((xs) => xs.join(",")),
      );
    const expr = fc
      .tuple(field(0, 59), field(0, 23), field(1, 28), field(1, 12), field(0, 6))
      .map((f) => f.join(" "));
    fc.assert(
      fc.property(expr, fc.integer({ min: at("2025-01-01T00:00:00Z"), max: at("2027-01-01T00:00:00Z") }), (e, from) => {
        const cron = parseCron(e);
        const got = cron.next(from);
        expect(got).toBeGreaterThan(from);
        expect(cron.matches(got)).toBe(true);
        // nothing due in between (checked over at most two days of minutes)
        const stop = Math.min(got, from + 2 * 86_400_000);
        for (let t = Math.floor(from / 60_000) * 60_000 + 60_000; t < stop; t += 60_000) {
          if (cron.matches(t)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
