import { describe, expect, it } from "vitest";
import { composerLockExtractor, composerVersion } from "./composer-lock.js";
import type { ExtractResult } from "./types.js";
import { extractError, reportMedianMs, packageOf, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`composer-lock/${name}`);

const run = (path: string, content: string, siblings: Record<string, string> = {}): ExtractResult =>
  runExtractor(composerLockExtractor, path, content, siblings);

const php = packageOf("packagist");

const STOREFRONT = [
  php("guzzlehttp/guzzle", "7.8.0", { direct: true }),
  php("guzzlehttp/promises", "2.0.1"),
  php("guzzlehttp/psr7", "2.6.1"),
  php("hamcrest/hamcrest-php", "2.0.1", { dev: true }),
  php("mockery/mockery", "1.6.6", { direct: true, dev: true }),
  php("monolog/monolog", "3.4.0", { direct: true }),
  php("myclabs/deep-copy", "1.11.1", { dev: true }),
  php("phpunit/php-code-coverage", "10.1.7", { dev: true }),
  php("phpunit/phpunit", "10.3.5", { direct: true, dev: true }),
  php("psr/container", "2.0.2"),
  php("psr/http-client", "1.0.3"),
  php("psr/http-factory", "1.0.2"),
  php("psr/http-message", "2.0"),
  php("psr/log", "3.0.0"),
  php("ralouphie/getallheaders", "3.0.3"),
  php("sebastian/diff", "5.0.3", { dev: true }),
  php("symfony/console", "6.3.4", { direct: true }),
  php("symfony/deprecation-contracts", "3.3.0"),
  php("symfony/polyfill-ctype", "1.28.0"),
  php("symfony/polyfill-intl-grapheme", "1.28.0"),
  php("symfony/polyfill-intl-normalizer", "1.28.0"),
  php("symfony/polyfill-mbstring", "1.28.0"),
  php("symfony/service-contracts", "3.3.0"),
  php("symfony/string", "6.3.5"),
];

describe("composer-lock: matches", () => {
  it("reads composer.lock outside vendored folders", () => {
    for (const p of ["composer.lock", "apps/shop/composer.lock"]) expect(composerLockExtractor.matches(p), p).toBe(true);
    const no = ["composer.json", "Composer.lock", "vendor/symfony/console/composer.lock", "a/vendor/b/composer.lock", "node_modules/x/composer.lock", "target/composer.lock", ".venv/composer.lock"];
    for (const p of no) expect(composerLockExtractor.matches(p), p).toBe(false);
  });
});

describe("composer-lock: extract", () => {
  it("reads packages and packages-dev; direct from composer.json without platform requirements; path packages skipped", () => {
    const result = run("composer.lock", fixture("healthy/composer.lock"), { "composer.json": fixture("healthy/composer.json") });
    expect(result).toEqual({ packages: STOREFRONT, warnings: [] });
  });

  it("without composer.json, the lock's roots are direct", () => {
    expect(run("composer.lock", fixture("healthy/composer.lock"))).toEqual({ packages: STOREFRONT, warnings: [] });
  });

  it("falls back to the lock's roots when composer.json is broken", () => {
    const result = run("shop/composer.lock", fixture("healthy/composer.lock"), { "composer.json": '{\n  "require": {\n    "php": "^8.1",\n  }\n}' });
    expect(result.packages).toEqual(STOREFRONT);
    expect(result.warnings).toEqual([
      { file: "shop/composer.json", line: 4, message: expect.stringMatching(/^not valid JSON \(direct dependencies from the lock's roots\): /) },
    ]);
  });

  it("skips bad entries with a warning", () => {
    const file = "composer.lock";
    expect(run(file, fixture("malformed/composer.lock"))).toEqual({
      packages: [php("psr/clock", "1.0.0", { direct: true }), php("psr/log", "3.0.0", { direct: true })],
      warnings: [
        { file, line: 35, message: "psr/container: no version: skipped" },
        { file, message: "packages[2]: not an object: skipped" },
        { file, message: "packages[3]: no name: skipped" },
        { file, line: 69, message: "psr/link: version 2 is not a string: skipped" },
      ],
    });
  });

  it("cannot read truncated JSON or another JSON file", () => {
    const truncated = fixture("truncated/composer.lock");
    expect(extractError(() => run("composer.lock", truncated))).toMatchObject({
      file: "composer.lock",
      line: truncated.split("\n").length,
      message: expect.stringMatching(/^not valid JSON: /),
    });
    expect(extractError(() => run("composer.lock", '{"name": "acme/x", "require": {}}')).message).toBe('not a composer.lock: no "packages"');
    expect(extractError(() => run("composer.lock", '{\n"packages": {}\n}'))).toMatchObject({ line: 2, message: 'not a composer.lock: "packages" is not an array' });
    expect(extractError(() => run("composer.lock", "null")).message).toMatch(/not a JSON object/);
  });

  it("strips a leading v before a digit only", () => {
    expect(composerVersion("v6.3.4")).toBe("6.3.4");
    expect(composerVersion("V1.0")).toBe("1.0");
    expect(composerVersion("6.3.4")).toBe("6.3.4");
    expect(composerVersion("dev-main")).toBe("dev-main");
    expect(composerVersion("2.x-dev")).toBe("2.x-dev");
    expect(composerVersion("vendor-fork")).toBe("vendor-fork");
  });

  it("reads a 300-package lock whole (time reported)", () => {
    const entry = (i: number) => ({
      name: `vendor${i % 20}/package-${i}`,
      version: `v1.${i}.0`,
      source: { type: "git", url: `https://github.com/vendor${i % 20}/package-${i}.git`, reference: "0".repeat(40) },
      dist: { type: "zip", url: `https://api.github.com/repos/vendor${i % 20}/package-${i}/zipball/${"0".repeat(40)}`, reference: "0".repeat(40), shasum: "" },
      require: { php: ">=8.1", [`vendor${(i * 7) % 20}/package-${(i * 7 + 1) % 300}`]: "^1.0" },
      type: "library",
      license: ["MIT"],
      description: `Package ${i}`,
    });
    const content = JSON.stringify(
      { packages: Array.from({ length: 250 }, (_, i) => entry(i)), "packages-dev": Array.from({ length: 50 }, (_, i) => entry(250 + i)) },
      null,
      4,
    );
    const manifest = JSON.stringify({ require: { php: "^8.1", "vendor0/package-0": "^1.0" }, "require-dev": { "vendor10/package-250": "^1.0" } });
    const go = () => run("composer.lock", content, { "composer.json": manifest });
    expect(go().packages).toHaveLength(300);
    reportMedianMs("composer-lock", go);
  });
});
