import { expect, it } from "vitest";
import { InvalidVersionError, type VersionScheme } from "./types.js";

export interface SchemeTable {
  /** [lower, higher] pairs */
  less: readonly (readonly [string, string])[];
  /** pairs that are the same version */
  equal: readonly (readonly [string, string])[];
  /** ascending chains: every earlier element is below every later one */
  chains?: readonly (readonly string[])[];
  invalid: readonly string[];
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Registers table-driven tests asserting the sign of compare() both ways, equality and valid(). */
export function schemeTests(scheme: VersionScheme, ecosystem: string, table: SchemeTable): void {
  it.each(table.less)("%s < %s", (a, b) => {
    expect(scheme.valid(a), a).toBe(true);
    expect(scheme.valid(b), b).toBe(true);
    expect(sign(scheme.compare(a, b))).toBe(-1);
    expect(sign(scheme.compare(b, a))).toBe(1);
  });

  it.each(table.equal)("%s == %s", (a, b) => {
    expect(scheme.compare(a, b)).toBe(0);
    expect(scheme.compare(b, a)).toBe(0);
    expect(scheme.compare(a, a)).toBe(0);
  });

  if (table.chains) {
    it.each(table.chains.map((c) => [c.join(" < "), c] as const))("chain %s", (_name, chain) => {
      for (let i = 0; i < chain.length; i++) {
        for (let j = 0; j < chain.length; j++) {
          expect(sign(scheme.compare(chain[i]!, chain[j]!)), `${chain[i]} vs ${chain[j]}`).toBe(sign(i - j));
        }
      }
    });
  }

  it.each(table.invalid.map((v) => [v]))("rejects %j", (v) => {
    expect(scheme.valid(v)).toBe(false);
    const good = table.less[0]![0];
    for (const call of [() => scheme.compare(v, good), () => scheme.compare(good, v)]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidVersionError);
      expect(err).toMatchObject({ ecosystem, version: v });
    }
  });

  it("serves its ecosystem", () => {
    expect(scheme.ecosystems).toContain(ecosystem);
  });
}
