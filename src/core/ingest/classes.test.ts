import * as dataModel from "@jupiterone/data-model";
import { describe, expect, it } from "vitest";
import { classProblem, entityClassNames } from "./classes.js";

describe("entity classes", () => {
  it("are exactly the published package's entityClasses", () => {
    expect(entityClassNames().sort()).toEqual([...dataModel.entityClasses].sort());
  });

  it("accept a class, suggest the class for a mis-cased or misspelt one, and nothing for a stranger", () => {
    expect(classProblem("CodeRepo")).toBeUndefined();
    expect(classProblem("coderepo")).toBe("CodeRepo");
    expect(classProblem("UserGroups")).toBe("UserGroup");
    expect(classProblem("Secrte")).toBe("Secret");
    expect(classProblem("Widget")).toBeNull();
    expect(classProblem("C")).toBeNull();
  });
});
