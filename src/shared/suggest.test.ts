import { describe, expect, it } from "vitest";
import { closestNames, didYouMean, editDistance } from "./suggest.js";

describe("did you mean", () => {
  it("finds prefixes, substrings and near misses, case-insensitively, best first", () => {
    const known = ["payments", "payments-api", "website", "Identity", "identity-infra", "billing-cron"];
    expect(closestNames("paymnets", known)).toEqual(["payments"]);
    expect(closestNames("pay", known)).toEqual(["payments", "payments-api"]);
    expect(closestNames("IDENTITY", known)).toEqual(["Identity", "identity-infra"]);
    expect(closestNames("zzz", known)).toEqual([]);
    expect(didYouMean("billing", known)).toBe('did you mean "billing-cron"?');
    expect(didYouMean("identiy", known)).toBe('did you mean "Identity"?');
    expect(didYouMean("payment", known)).toBe('did you mean "payments" or "payments-api"?');
    expect(didYouMean("", known)).toBe("");
  });
  it("counts edits", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});
