import { describe, expect, it } from "vitest";
import { extractError as extractErrorOf, fixtureInput, reportMedianMs, summary } from "./test-helpers.js";
import type { ExtractError, ExtractInput } from "./types.js";
import { yarnLockExtractor } from "./yarn-lock.js";

const fixture = fixtureInput;

function inline(content: string, packageJson?: unknown): ExtractInput {
  return {
    path: "web/yarn.lock",
    content,
    readSibling: (name) => (name === "package.json" && packageJson ? JSON.stringify(packageJson) : undefined),
  };
}

const extractError = (input: ExtractInput): ExtractError => extractErrorOf(() => yarnLockExtractor.extract(input));

describe("yarn-lock matches()", () => {
  it("takes yarn.lock anywhere in the project but not under node_modules", () => {
    expect(yarnLockExtractor.matches("yarn.lock")).toBe(true);
    expect(yarnLockExtractor.matches("apps/web/yarn.lock")).toBe(true);
    expect(yarnLockExtractor.matches("yarn.lock.orig")).toBe(false);
    expect(yarnLockExtractor.matches("old-yarn.lock")).toBe(false);
    expect(yarnLockExtractor.matches("node_modules/left-pad/yarn.lock")).toBe(false);
    expect(yarnLockExtractor.matches("web/node_modules/@x/y/yarn.lock")).toBe(false);
  });
});

describe("yarn.lock classic (v1)", () => {
  it("lists each resolved package once; package.json gives direct, reachability gives dev", () => {
    const result = yarnLockExtractor.extract(fixture("yarn-lock/classic/yarn.lock"));
    expect(summary(result.packages)).toEqual([
      "@types/lodash@4.17.0 direct dev",
      "ansi-regex@5.0.1",
      "ansi-styles@4.3.0",
      "chalk@4.1.2 direct",
      "color-convert@2.0.1",
      "color-name@1.1.4",
      "emoji-regex@8.0.0",
      // a devDependency that chalk → supports-color needs in production
      "has-flag@4.0.0 direct",
      "is-fullwidth-code-point@3.0.0",
      "lodash@4.17.21 direct",
      // the alias string-width-cjs (direct) and string-width@^4.1.0 (via wrap-ansi, dev) are one package
      "string-width@4.2.3 direct",
      "strip-ansi@6.0.1",
      "supports-color@7.2.0",
      "typescript@5.4.5 direct dev",
      "wrap-ansi@7.0.0 direct dev",
    ]);
    expect(result.warnings).toEqual([]);
    expect(result.packages!.every((p) => p.ecosystem === "npm")).toBe(true);
  });

  it("without package.json nothing is direct or dev", () => {
    const result = yarnLockExtractor.extract(fixture("yarn-lock/classic/yarn.lock", { siblings: false }));
    expect(result.packages).toHaveLength(15);
    expect(result.packages!.some((p) => p.direct || p.devDependency)).toBe(false);
    expect(result.packages![0]).toEqual({
      ecosystem: "npm",
      name: "@types/lodash",
      version: "4.17.0",
      direct: false,
      devDependency: false,
    });
  });

  it("reads quoted and unquoted headers, scoped names, several specifiers and CRLF", () => {
    const lock = [
      "# yarn lockfile v1",
      "",
      '"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.22.13":',
      '  version "7.24.2"',
      "  dependencies:",
      '    "@babel/highlight" "^7.24.2"',
      "",
      '"@babel/highlight@^7.24.2":',
      "  version 7.24.2",
      "",
      'left-pad@^1.3.0, "left-pad@>= 1.0.0 < 2":',
      '  version "1.3.0"',
      "",
      '"my-fork@git+https://github.com/acme/my-fork.git#a1b2c3d":',
      '  version "2.0.0-acme.1"',
      '  resolved "git+https://github.com/acme/my-fork.git#a1b2c3d"',
      "",
    ].join("\r\n");
    const result = yarnLockExtractor.extract(
      inline(lock, { dependencies: { "@babel/code-frame": "^7.22.13", "my-fork": "git+https://github.com/acme/my-fork.git#a1b2c3d" }, devDependencies: { "left-pad": ">= 1.0.0 < 2" } }),
    );
    expect(summary(result.packages)).toEqual([
      "@babel/code-frame@7.24.2 direct",
      "@babel/highlight@7.24.2",
      "left-pad@1.3.0 direct dev",
      "my-fork@2.0.0-acme.1 direct",
    ]);
    expect(result.warnings).toEqual([]);
  });

  it("falls back to the only entry of a name when package.json's range is not in the lockfile", () => {
    const lock = '# yarn lockfile v1\n\n\nlodash@^4.17.15:\n  version "4.17.21"\n';
    const result = yarnLockExtractor.extract(inline(lock, { dependencies: { lodash: "^4.17.21" } }));
    expect(summary(result.packages)).toEqual(["lodash@4.17.21 direct"]);
  });
});

describe("yarn.lock berry", () => {
  it("yarn 4 (v8): skips workspaces and links, counts a patched package once", () => {
    const result = yarnLockExtractor.extract(fixture("yarn-lock/berry/yarn.lock"));
    expect(summary(result.packages)).toEqual([
      "@types/prop-types@15.7.12 dev",
      "@types/react@18.3.1 direct dev",
      "csstype@3.1.3 dev",
      "js-tokens@4.0.0",
      "lodash@4.17.21 direct",
      "loose-envify@1.4.0",
      "react@18.3.1 direct",
      "typescript@5.4.5 direct dev",
      // declared by the packages/shared workspace, recorded in the lockfile
      "zod@3.23.8 direct",
    ]);
    expect(result.warnings).toEqual([]);
  });

  it("without package.json the root workspace entry still tells what is direct; nothing is dev", () => {
    const result = yarnLockExtractor.extract(fixture("yarn-lock/berry/yarn.lock", { siblings: false }));
    expect(summary(result.packages)).toEqual([
      "@types/prop-types@15.7.12",
      "@types/react@18.3.1 direct",
      "csstype@3.1.3",
      "js-tokens@4.0.0",
      "lodash@4.17.21 direct",
      "loose-envify@1.4.0",
      "react@18.3.1 direct",
      "typescript@5.4.5 direct",
      "zod@3.23.8 direct",
    ]);
  });

  it("yarn 3 (v6): bare ranges in dependencies and a ~builtin patch", () => {
    const result = yarnLockExtractor.extract(fixture("yarn-lock/berry-v6/yarn.lock"));
    expect(summary(result.packages)).toEqual([
      "function-bind@1.1.2",
      "hasown@2.0.2",
      "is-core-module@2.13.1",
      "path-parse@1.0.7",
      "resolve@1.22.8 direct",
      "supports-preserve-symlinks-flag@1.0.0",
    ]);
  });

  it("a patch entry without its unpatched entry still counts, and aliases count as their target", () => {
    const lock = [
      "__metadata:",
      "  version: 8",
      "  cacheKey: 10c0",
      "",
      '"left-pad@patch:left-pad@npm%3A1.3.0#~/.yarn/patches/left-pad-npm-1.3.0-abc.patch":',
      "  version: 1.3.0",
      '  resolution: "left-pad@patch:left-pad@npm%3A1.3.0#~/.yarn/patches/left-pad-npm-1.3.0-abc.patch::version=1.3.0&hash=1a2b3c"',
      "  languageName: node",
      "  linkType: hard",
      "",
      '"cjs-width@npm:string-width@^4.2.0":',
      "  version: 4.2.3",
      '  resolution: "string-width@npm:4.2.3"',
      "  languageName: node",
      "  linkType: hard",
      "",
    ].join("\n");
    const result = yarnLockExtractor.extract(
      inline(lock, {
        dependencies: { "left-pad": "patch:left-pad@npm%3A1.3.0#~/.yarn/patches/left-pad-npm-1.3.0-abc.patch" },
        devDependencies: { "cjs-width": "npm:string-width@^4.2.0" },
      }),
    );
    expect(summary(result.packages)).toEqual(["left-pad@1.3.0 direct", "string-width@4.2.3 direct dev"]);
  });
});

describe("yarn.lock bad input", () => {
  it("merge conflict markers throw at their line", () => {
    const error = extractError(fixture("yarn-lock/classic-conflict/yarn.lock"));
    expect(error).toMatchObject({ file: "yarn-lock/classic-conflict/yarn.lock", line: 10 });
    expect(error.message).toMatch(/merge conflict/);
  });

  it("an unknown classic version throws", () => {
    const error = extractError(fixture("yarn-lock/classic-unknown-version/yarn.lock"));
    expect(error).toMatchObject({ file: "yarn-lock/classic-unknown-version/yarn.lock", line: 2 });
    expect(error.message).toMatch(/unknown yarn lockfile version v2/);
  });

  it("something that is not a yarn.lock throws at line 1", () => {
    const error = extractError(fixture("yarn-lock/not-a-lockfile/yarn.lock"));
    expect(error).toMatchObject({ file: "yarn-lock/not-a-lockfile/yarn.lock", line: 1 });
    expect(extractError(inline("  version \"1.0.0\"\n")).line).toBe(1);
  });

  it("berry: invalid YAML throws at the line of the unclosed quote", () => {
    const error = extractError(fixture("yarn-lock/berry-invalid-yaml/yarn.lock"));
    expect(error).toMatchObject({ file: "yarn-lock/berry-invalid-yaml/yarn.lock", line: 17 });
    expect(error.message).toMatch(/^not valid YAML/);
  });

  it("berry: an unknown __metadata version throws at its line", () => {
    const error = extractError(fixture("yarn-lock/berry-unknown-version/yarn.lock"));
    expect(error).toMatchObject({ file: "yarn-lock/berry-unknown-version/yarn.lock", line: 5 });
    expect(error.message).toMatch(/unknown yarn lockfile version "99"/);
    expect(extractError(inline("__metadata: 8\n")).message).toMatch(/__metadata is not a mapping/);
  });

  it("classic: bad entries are skipped with warnings", () => {
    const file = "yarn-lock/classic-bad-entries/yarn.lock";
    const result = yarnLockExtractor.extract(fixture(file));
    expect(summary(result.packages)).toEqual(["chalk@4.1.2", "has-flag@4.0.0"]);
    expect(result.warnings).toEqual([
      { file, line: 12, message: 'entry header "left-pad:" is not a list of name@range; skipped' },
      { file, line: 16, message: 'entry "supports-color@^7.1.0" has no version; skipped' },
    ]);
  });

  it("berry: bad entries are skipped with warnings", () => {
    const file = "yarn-lock/berry-bad-entries/yarn.lock";
    const result = yarnLockExtractor.extract(fixture(file));
    expect(summary(result.packages)).toEqual(["lodash@4.17.21", "zod@3.23.8"]);
    expect(result.warnings).toEqual([
      { file, line: 15, message: 'entry "left-pad@npm:^1.3.0" has no version; skipped' },
      { file, line: 20, message: 'entry "uuid@npm:^9.0.1" is not a mapping; skipped' },
    ]);
  });

  it("a broken package.json is a warning; the lockfile is still read", () => {
    const input = fixture("yarn-lock/classic/yarn.lock", { siblings: false });
    const result = yarnLockExtractor.extract({
      ...input,
      path: "web/yarn.lock",
      readSibling: (name) => (name === "package.json" ? "{ nope" : undefined),
    });
    expect(result.packages).toHaveLength(15);
    expect(result.warnings).toEqual([
      expect.objectContaining({ file: "web/package.json", line: 1, message: expect.stringMatching(/not valid JSON/) }),
    ]);
  });
});

describe("yarn.lock speed", () => {
  const names = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? `@scope${i % 5}/pkg-${i}` : `pkg-${i}`));
  const version = (i: number) => `${1 + (i % 4)}.${i % 13}.${i % 9}`;
  const deps = (i: number) => [1, 7, 31].map((d) => (i + d) % 300).filter((j) => j > i);
  const quote = (name: string) => (name.startsWith("@") ? `"${name}"` : name);
  const manifest = { dependencies: Object.fromEntries(names.slice(0, 30).map((n, i) => [n, `^${version(i)}`])) };

  it("extracts a 300-package classic lockfile (time reported)", () => {
    let lock = "# yarn lockfile v1\n\n\n";
    names.forEach((name, i) => {
      lock += `${quote(`${name}@^${version(i)}`)}:\n  version "${version(i)}"\n`;
      lock += `  resolved "https://registry.yarnpkg.com/${name}/-/x-${version(i)}.tgz#0123abcd"\n  integrity sha512-${"A".repeat(86)}==\n`;
      const d = deps(i);
      if (d.length > 0) lock += `  dependencies:\n${d.map((j) => `    ${quote(names[j]!)} "^${version(j)}"\n`).join("")}`;
      lock += "\n";
    });
    const input = inline(lock, manifest);
    expect(yarnLockExtractor.extract(input).packages).toHaveLength(300);
    reportMedianMs("yarn-lock", () => yarnLockExtractor.extract(input));
  });

  it("extracts a 300-package berry lockfile (time reported)", () => {
    let lock = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n";
    names.forEach((name, i) => {
      lock += `"${name}@npm:^${version(i)}":\n  version: ${version(i)}\n  resolution: "${name}@npm:${version(i)}"\n`;
      const d = deps(i);
      if (d.length > 0) lock += `  dependencies:\n${d.map((j) => `    ${quote(names[j]!)}: "npm:^${version(j)}"\n`).join("")}`;
      lock += `  checksum: 10c0/${"f".repeat(128)}\n  languageName: node\n  linkType: hard\n\n`;
    });
    const input = inline(lock, manifest);
    const result = yarnLockExtractor.extract(input);
    expect(result.packages).toHaveLength(300);
    expect(result.packages!.filter((p) => p.direct)).toHaveLength(30);
    reportMedianMs("yarn-lock", () => yarnLockExtractor.extract(input));
  });
});
