import { describe, expect, it } from "vitest";
import { gemfileLockExtractor, readGemfile, stripPlatform } from "./gemfile-lock.js";
import type { ExtractResult } from "./types.js";
import { extractError, reportMedianMs, packageOf, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`gemfile-lock/${name}`);

const run = (path: string, content: string, siblings: Record<string, string> = {}): ExtractResult =>
  runExtractor(gemfileLockExtractor, path, content, siblings);

const gem = packageOf("rubygems");

const APP = [
  gem("ast", "2.4.2", { dev: true }),
  gem("bigdecimal", "3.1.4"),
  gem("billing", "0.1.0", { direct: true }),
  gem("concurrent-ruby", "1.2.2"),
  gem("diff-lcs", "1.5.0", { dev: true }),
  gem("i18n", "1.14.1"),
  gem("json", "2.6.3", { dev: true }),
  gem("money", "6.16.0"),
  gem("mustermann", "3.0.0"),
  gem("nio4r", "2.5.9"),
  gem("nokogiri", "1.15.4", { direct: true }),
  gem("parallel", "1.23.0", { dev: true }),
  gem("parser", "3.2.2.4", { dev: true }),
  gem("pg", "1.5.4", { direct: true }),
  gem("puma", "6.4.0", { direct: true }),
  gem("racc", "1.7.1"),
  gem("rack", "2.2.8"),
  gem("rack-protection", "3.1.0"),
  gem("rainbow", "3.1.1", { dev: true }),
  gem("regexp_parser", "2.8.2", { dev: true }),
  gem("rspec", "3.12.0", { direct: true, dev: true }),
  gem("rspec-core", "3.12.2", { dev: true }),
  gem("rspec-expectations", "3.12.3", { dev: true }),
  gem("rspec-mocks", "3.12.6", { dev: true }),
  gem("rspec-support", "3.12.1", { dev: true }),
  gem("rubocop", "1.57.1", { direct: true, dev: true }),
  gem("ruby2_keywords", "0.0.5"),
  gem("sequel", "5.73.0", { direct: true }),
  gem("sinatra", "3.1.0", { direct: true }),
  gem("tilt", "2.3.0"),
  gem("unicode-display_width", "2.5.0", { dev: true }),
];

describe("gemfile-lock: matches", () => {
  it("reads Gemfile.lock and gems.locked outside vendored folders", () => {
    for (const p of ["Gemfile.lock", "apps/web/Gemfile.lock", "gems.locked"]) expect(gemfileLockExtractor.matches(p), p).toBe(true);
    const no = ["Gemfile", "gemfile.lock", "Gemfile.lock.bak", "vendor/bundle/ruby/3.2.0/gems/x/Gemfile.lock", "node_modules/x/Gemfile.lock", "target/Gemfile.lock", ".venv/Gemfile.lock"];
    for (const p of no) expect(gemfileLockExtractor.matches(p), p).toBe(false);
  });
});

describe("gemfile-lock: extract", () => {
  it("reads GEM, GIT and PATH specs; platform variants are one version; direct from DEPENDENCIES; dev from the Gemfile", () => {
    expect(run("Gemfile.lock", fixture("app/Gemfile.lock"), { Gemfile: fixture("app/Gemfile") })).toEqual({ packages: APP, warnings: [] });
  });

  it("cannot tell dev gems without a Gemfile", () => {
    expect(run("Gemfile.lock", fixture("app/Gemfile.lock"))).toEqual({
      packages: APP.map((p) => ({ ...p, devDependency: false })),
      warnings: [],
    });
  });

  it("reads a gem's own lock: the gem itself is skipped, its runtime dependencies are direct, the gemspec's dev dependencies are dev", () => {
    const result = run("Gemfile.lock", fixture("gem/Gemfile.lock"), { Gemfile: fixture("gem/Gemfile") });
    expect(result).toEqual({
      packages: [
        gem("addressable", "2.8.5", { dev: true }),
        gem("base64", "0.1.1"),
        gem("crack", "0.4.5", { dev: true }),
        gem("faraday", "2.7.11", { direct: true }),
        gem("faraday-net_http", "3.0.2"),
        gem("faraday-retry", "2.2.0", { direct: true }),
        gem("hashdiff", "1.0.1", { dev: true }),
        gem("minitest", "5.20.0", { direct: true, dev: true }),
        gem("public_suffix", "5.0.3", { dev: true }),
        gem("rake", "13.0.6", { direct: true }),
        gem("rexml", "3.2.6", { dev: true }),
        gem("ruby2_keywords", "0.0.5"),
        gem("webmock", "3.19.1", { direct: true, dev: true }),
      ],
      warnings: [],
    });
  });

  it("skips bad lines with a warning naming the line", () => {
    const file = "svc/Gemfile.lock";
    expect(run(file, fixture("malformed/Gemfile.lock"))).toEqual({
      packages: [
        gem("nokogiri", "1.15.4", { direct: true }),
        gem("racc", "1.7.1"),
        gem("rack", "2.2.8", { direct: true }),
        gem("rails", "7.1.0.rc1"),
        gem("zeitwerk", "2.6.12"),
      ],
      warnings: [
        { file, line: 5, message: 'not a spec line: "rake 13.0.6"' },
        { file, line: 6, message: 'not a spec line: "thor ()"' },
        { file, line: 7, message: 'a dependency without a spec: "zeitwerk"' },
        { file, line: 8, message: 'unexpected indentation: "   json (2.6.3)"' },
        { file, line: 10, message: 'unexpected indentation: "        oops (1.0)"' },
        { file, line: 22, message: 'not a dependency line: "(broken)"' },
        { file, line: 23, message: 'not a dependency line: "zeitwerk (~> 2.6"' },
        { file, line: 25, message: 'unknown section "FROBNICATE": skipped' },
      ],
    });
  });

  it("cannot read a conflicted file or something that is not a Gemfile.lock", () => {
    expect(extractError(() => run("Gemfile.lock", fixture("conflict/Gemfile.lock")))).toMatchObject({
      file: "Gemfile.lock",
      line: 4,
      message: "merge conflict marker",
    });
    expect(extractError(() => run("Gemfile.lock", 'source "https://rubygems.org"\ngem "rails"\n')).message).toMatch(/not a Gemfile.lock/);
    expect(extractError(() => run("Gemfile.lock", "GEM\0\0")).message).toBe("not a text file");
  });

  it("reads CRLF files", () => {
    const crlf = fixture("gem/Gemfile.lock").replaceAll("\n", "\r\n");
    expect(run("Gemfile.lock", crlf).packages).toHaveLength(13);
    expect(run("Gemfile.lock", crlf).warnings).toEqual([]);
  });

  it("strips platform suffixes, not pre-release tags", () => {
    expect(stripPlatform("1.15.4-x86_64-linux")).toBe("1.15.4");
    expect(stripPlatform("1.15.4-arm64-darwin")).toBe("1.15.4");
    expect(stripPlatform("1.15.4-x64-mingw-ucrt")).toBe("1.15.4");
    expect(stripPlatform("1.15.4-aarch64-linux-musl")).toBe("1.15.4");
    expect(stripPlatform("9.4.3.0-java")).toBe("9.4.3.0");
    expect(stripPlatform("1.0.0-rc1")).toBe("1.0.0-rc1");
    expect(stripPlatform("2.0.0-beta.2")).toBe("2.0.0-beta.2");
    expect(stripPlatform("3.1.0")).toBe("3.1.0");
  });

  it("reads Gemfile groups in their usual shapes", () => {
    const gemfile = readGemfile(
      [
        'gem "rails", "~> 7.1"',
        "group :development do",
        '  gem "web-console"',
        "end",
        "group :test do",
        '  gem "capybara"',
        '  gem "rails"',
        "end",
        "group :docs, optional: true do",
        '  gem "yard"',
        "end",
        "group(:development, :production) do",
        '  gem "dotenv"',
        "end",
        'gem "pry", groups: [:development, :test]',
        'gem "debug", platforms: %i[mri windows], group: %i[development test]',
        'gem "rack-mini-profiler", group: "development"',
        "gemspec path: \"lib\"",
      ].join("\n"),
    );
    expect(Object.fromEntries(gemfile.declared)).toEqual({
      rails: false,
      "web-console": true,
      capybara: true,
      yard: false,
      dotenv: false,
      pry: true,
      debug: true,
      "rack-mini-profiler": true,
    });
    expect(gemfile.gemspec).toBe(true);
  });

  it("reads a 300-gem lock whole (time reported)", () => {
    const lines = ["GEM", "  remote: https://rubygems.org/", "  specs:"];
    for (let i = 0; i < 300; i++) {
      lines.push(`    gem-${String(i).padStart(3, "0")} (1.${i}.0${i % 50 === 0 ? "-x86_64-linux" : ""})`);
      lines.push(`      gem-${String((i * 7 + 1) % 300).padStart(3, "0")} (~> 1.0)`, `      gem-${String((i * 13 + 5) % 300).padStart(3, "0")}`);
    }
    lines.push("", "PLATFORMS", "  ruby", "  x86_64-linux", "", "DEPENDENCIES");
    const gemfile = ['source "https://rubygems.org"', "group :test do"];
    for (let i = 0; i < 300; i += 10) {
      lines.push(`  gem-${String(i).padStart(3, "0")} (~> 1.0)`);
      gemfile.push(`  gem "gem-${String(i).padStart(3, "0")}"`);
    }
    gemfile.push("end");
    lines.push("", "BUNDLED WITH", "   2.4.21", "");
    const content = lines.join("\n");
    const go = () => run("Gemfile.lock", content, { Gemfile: gemfile.join("\n") });
    expect(go().packages).toHaveLength(300);
    reportMedianMs("gemfile-lock", go);
  });
});
