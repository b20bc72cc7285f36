import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuery } from "./parser.js";
import { j1qlString } from "./quote.js";

describe("j1qlString", () => {
  it("round-trips any string through the parser", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        const q = parseQuery(`Find CodeRepo with name = ${j1qlString(value)}`);
        const filter = q.start.filter;
        expect(filter?.kind === "compare" && filter.right.kind === "string" && filter.right.value).toBe(value);
      }),
      { numRuns: 500 },
    );
    expect(j1qlString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });
});
