/** Dates and durations: every path checks the range before anything is written. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import { assertFutureDate, DAY_MS, isoDate, MAX_DATE, MAX_DURATION_MS, parseDue, parseDuration } from "./due.js";

const NOW = Date.UTC(2026, 10, 23, 12);

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error("expected an InputError");
}

describe("parseDue", () => {
  it("takes days, weeks and dates up to the end of 9999", () => {
    expect(parseDue("30d", NOW)).toBe(NOW + 30 * DAY_MS);
    expect(parseDue("2w", NOW)).toBe(NOW + 14 * DAY_MS);
    expect(parseDue("9999-12-31", NOW)).toBe(MAX_DATE);
  });

  it("refuses a relative due date past 9999 instead of writing an impossible date", () => {
    expect(inputError(() => parseDue("99999999999d", NOW, "--due")).message).toBe(
      "--due 99999999999d is too far ahead: dates run up to 9999-12-31",
    );
    expect(() => parseDue("3000000d", NOW)).toThrow(/too far ahead/);
  });

  it("never returns a date it could not print, whatever the number of days", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (n) => {
        try {
          const due = parseDue(`${n}d`, NOW);
          expect(due).toBeLessThanOrEqual(MAX_DATE);
          expect(isoDate(due)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
    );
  });
});

describe("assertFutureDate (epoch ms from the API or a file)", () => {
  it("accepts a whole number of ms in the future up to 9999-12-31", () => {
    expect(assertFutureDate(NOW + 1, NOW, "due")).toBe(NOW + 1);
    expect(assertFutureDate(MAX_DATE, NOW, "due")).toBe(MAX_DATE);
  });

  it("refuses past, fractional, unsafe and out-of-range values, naming the field", () => {
    expect(inputError(() => assertFutureDate(8640001796307471000, NOW, "due")).message).toMatch(/^due 8640001796307471000 is not a usable date: dates run up to 9999-12-31/);
    expect(() => assertFutureDate(MAX_DATE + 1, NOW, "due")).toThrow(/not a usable date/);
    expect(() => assertFutureDate(NOW + 0.5, NOW, "due")).toThrow(/not a usable date/);
    expect(() => assertFutureDate(Number.NaN, NOW, "due")).toThrow(/not a usable date/);
    expect(() => assertFutureDate(NOW - DAY_MS, NOW, "--until")).toThrow(/^--until 2026-11-22 is not in the future/);
  });
});

describe("parseDuration", () => {
  it("takes hours, days and weeks up to 100 years", () => {
    expect(parseDuration("12h", "--grace")).toBe(12 * 3_600_000);
    expect(parseDuration("36500d", "--grace")).toBe(MAX_DURATION_MS);
  });

  it("refuses longer durations", () => {
    expect(inputError(() => parseDuration("99999999w", "--grace")).message).toBe('--grace "99999999w" is too long: at most 100 years (36500d)');
  });
});

describe("isoDate", () => {
  it("prints a value stored before dates were checked instead of failing", () => {
    expect(isoDate(8640001796307471000)).toBe("8640001796307471000");
    expect(isoDate(Date.UTC(2027, 2, 31))).toBe("2027-03-31");
  });
});
