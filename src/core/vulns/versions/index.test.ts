import { describe, expect, it } from "vitest";
import { cratesIo, debian, go, InvalidVersionError, maven, npm, packagist, pypi, rubygems, schemeFor, ubuntu } from "./index.js";

describe("schemeFor", () => {
  it.each([
    ["npm", npm],
    ["PyPI", pypi],
    ["Go", go],
    ["crates.io", cratesIo],
    ["RubyGems", rubygems],
    ["Packagist", packagist],
    ["Maven", maven],
    ["Debian", debian],
    ["Debian:12", debian],
    ["Debian:11", debian],
    ["Ubuntu", ubuntu],
    ["Ubuntu:22.04:LTS", ubuntu],
    ["pypi", pypi],
  ] as const)("%s", (name, scheme) => {
    expect(schemeFor(name)).toBe(scheme);
  });

  it("has none for other ecosystems", () => {
    expect(schemeFor("Hackage")).toBeUndefined();
    expect(schemeFor("")).toBeUndefined();
    expect(schemeFor("GIT")).toBeUndefined();
  });

  it("names the ecosystem in errors", () => {
    expect(() => schemeFor("Debian:12")!.compare("1.0", "not a version")).toThrow(InvalidVersionError);
    expect(() => schemeFor("Ubuntu:22.04:LTS")!.compare("!", "1.0")).toThrow('"!" is not a Ubuntu version');
    expect(() => schemeFor("crates.io")!.compare("1.0", "1.0.0")).toThrow('"1.0" is not a crates.io version');
  });

  it("orders the same strings differently per ecosystem", () => {
    expect(Math.sign(schemeFor("Maven")!.compare("1.0-rc1", "1.0"))).toBe(-1);
    expect(Math.sign(schemeFor("Debian")!.compare("1.0-rc1", "1.0"))).toBe(1);
    expect(schemeFor("PyPI")!.compare("1.0", "1.0.0")).toBe(0);
    expect(schemeFor("npm")!.valid("1.0")).toBe(false);
  });
});
