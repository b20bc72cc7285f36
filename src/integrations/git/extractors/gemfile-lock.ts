/**
 * Gemfile.lock (Bundler): the specs of the GEM, GIT, PATH and PLUGIN SOURCE
 * sections (4-space `name (version)` lines; the 6-space lines under one are
 * its dependencies). A platform suffix is not part of the version
 * (`nokogiri (1.15.4-x86_64-linux)` is 1.15.4; the variants of one version
 * are one package). The gem the repository builds itself (a PATH section with
 * `remote: .`, from `gemspec`) is not reported, like a Cargo workspace crate;
 * its runtime dependencies are direct. Other PATH gems (engines, vendored
 * gems) are reported.
 *
 * Direct: the DEPENDENCIES section (`name`, `name (~> 1.0)`, `name!`).
 *
 * Development: Gemfile.lock does not record groups, so they come from the
 * sibling Gemfile when there is one: a gem declared only in `:development`
 * or `:test` groups (a `group ... do` block or a `group:`/`groups:` option),
 * or, with `gemspec`, a DEPENDENCIES entry the Gemfile does not name (the
 * gemspec's development dependencies) is a dev root; a package reached only
 * from dev roots is a devDependency. The Gemfile is Ruby: only the usual
 * shapes are read, and what is not understood counts as needed (not dev).
 */

import { isBlank, matchesBaseName, PackageCollector, reachable } from "./common.js";
import {
  baseName,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

// gems.locked is Bundler's other name for it
const matches = matchesBaseName("Gemfile.lock", "gems.locked");

const SOURCE_SECTIONS = new Set(["GEM", "GIT", "PATH", "PLUGIN SOURCE"]);
const OTHER_SECTIONS = new Set(["PLATFORMS", "DEPENDENCIES", "RUBY VERSION", "BUNDLED WITH", "CHECKSUMS"]);
const DEV_GROUPS = new Set(["development", "test", "dev", "ci"]);

const SPEC = /^ {4}([^\s()]+) \(([^()\s]+)\)$/;
const SPEC_DEPENDENCY = /^ {6}([^\s()]+)(?: \(([^()]*)\))?$/;
const DEPENDENCY = /^ {2}([^\s()!]+)(?: \(([^()]*)\))?(!)?$/;
/** What a platform suffix starts with (`x86_64-linux`, `arm64-darwin`, `java`, `x64-mingw-ucrt`). */
const PLATFORM =
  /^(?:x86|x64|i[3-6]86|amd64|arm|aarch64|universal|java|jruby|dalvik|mswin|mingw|ppc|powerpc|s390|sparc|riscv|wasm|loongarch|mips)|-(?:linux|darwin|mingw|mswin|freebsd|openbsd|netbsd|solaris|aix|cygwin)/;

/** `1.15.4-x86_64-linux` is 1.15.4; `1.0.0-rc1` stays as it is. */
export function stripPlatform(version: string): string {
  const dash = version.indexOf("-");
  if (dash <= 0) return version;
  return PLATFORM.test(version.slice(dash + 1)) ? version.slice(0, dash) : version;
}

interface Spec {
  name: string;
  version: string;
  dependencies: string[];
  /** the project's own gem (PATH `remote: .`) */
  own: boolean;
}

interface Gemfile {
  /** gems the Gemfile names, and whether every declaration is in dev groups */
  declared: Map<string, boolean>;
  gemspec: boolean;
}

function groupNames(text: string): string[] {
  return [...text.matchAll(/:["']?(\w+)|["'](\w+)["']|%i\[([^\]]*)\]/g)].flatMap((m) => (m[3] !== undefined ? m[3].trim().split(/\s+/) : [m[1] ?? m[2]!]));
}

/** The usual shapes of a Gemfile: `gem "x"`, `group :a, :b do ... end`, `group: :test`, `gemspec`. */
export function readGemfile(content: string): Gemfile {
  const declared = new Map<string, boolean>();
  let gemspec = false;
  const groups: { indent: number; dev: boolean }[] = [];
  for (const raw of content.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const indent = line.length - line.trimStart().length;
    const top = groups[groups.length - 1];
    if (top && indent <= top.indent && /^end\b/.test(trimmed)) {
      groups.pop();
      continue;
    }
    const group = /^group\s*\(?\s*(.+?)\s*\)?\s+do\b/.exec(trimmed);
    if (group) {
      // Options such as `optional: true` are not groups.
      const names = groupNames(group[1]!.replace(/\b\w+:\s*\S+/g, ""));
      groups.push({ indent, dev: names.length > 0 && names.every((n) => DEV_GROUPS.has(n)) });
      continue;
    }
    if (/^gemspec\b/.test(trimmed)) {
      gemspec = true;
      continue;
    }
    const gem = /^gem\s*\(?\s*["']([^"']+)["'](.*)$/.exec(trimmed);
    if (!gem) continue;
    const option = /\bgroups?:\s*(\[[^\]]*\]|%i\[[^\]]*\]|:\w+|["']\w+["'])/.exec(gem[2]!);
    let dev: boolean;
    if (option) {
      const names = groupNames(option[1]!.startsWith("[") ? option[1]!.replace(/^\[|\]$/g, "") : option[1]!);
      dev = names.length > 0 && names.every((n) => DEV_GROUPS.has(n));
    } else {
      dev = groups.length > 0 && groups.some((g) => g.dev);
    }
    const name = gem[1]!;
    declared.set(name, (declared.get(name) ?? true) && dev);
  }
  return { declared, gemspec };
}

function extract(input: ExtractInput): ExtractResult {
  const { path } = input;
  const content = input.content.replace(/^\uFEFF/, "");
  if (isBlank(content)) return { packages: [], warnings: [] };
  if (content.includes("\0")) throw new ExtractError(path, "not a text file");
  const warnings: ExtractWarning[] = [];
  const warn = (line: number, message: string) => {
    warnings.push({ file: path, line, message });
  };

  const specs: Spec[] = [];
  const direct = new Set<string>();
  let section: string | undefined;
  let known = false;
  let remote: string | undefined;
  let inSpecs = false;
  let current: Spec | undefined;
  const lines = content.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const n = i + 1;
    if (line.startsWith("<<<<<<<")) throw new ExtractError(path, "merge conflict marker", n);
    if (line.trim() === "") continue;
    if (!line.startsWith(" ")) {
      section = line.trim();
      remote = undefined;
      inSpecs = false;
      current = undefined;
      if (SOURCE_SECTIONS.has(section) || OTHER_SECTIONS.has(section)) known = true;
      else warn(n, `unknown section ${JSON.stringify(section)}: skipped`);
      continue;
    }
    if (section === undefined) {
      warn(n, "a line before any section: skipped");
      continue;
    }
    if (SOURCE_SECTIONS.has(section)) {
      if (/^ {2}\S/.test(line)) {
        const m = /^ {2}([\w-]+):\s*(.*)$/.exec(line);
        if (!m) warn(n, `not a source option: ${JSON.stringify(line.trim())}`);
        else if (m[1] === "remote") remote = m[2]!.trim();
        else if (m[1] === "specs") inSpecs = true;
        continue;
      }
      if (!inSpecs) {
        warn(n, `unexpected line before specs: ${JSON.stringify(line.trim())}`);
        continue;
      }
      if (/^ {4}\S/.test(line)) {
        const m = SPEC.exec(line);
        current = undefined;
        if (!m) {
          warn(n, `not a spec line: ${JSON.stringify(line.trim())}`);
          continue;
        }
        current = { name: m[1]!, version: stripPlatform(m[2]!), dependencies: [], own: section === "PATH" && (remote === "." || remote === "./") };
        specs.push(current);
        continue;
      }
      if (/^ {6}\S/.test(line)) {
        const m = SPEC_DEPENDENCY.exec(line);
        if (!m) warn(n, `not a dependency line: ${JSON.stringify(line.trim())}`);
        else if (!current) warn(n, `a dependency without a spec: ${JSON.stringify(line.trim())}`);
        else current.dependencies.push(m[1]!);
        continue;
      }
      warn(n, `unexpected indentation: ${JSON.stringify(line)}`);
      continue;
    }
    if (section === "DEPENDENCIES") {
      const m = DEPENDENCY.exec(line);
      if (!m) warn(n, `not a dependency line: ${JSON.stringify(line.trim())}`);
      else direct.add(m[1]!);
    }
    // PLATFORMS, RUBY VERSION, BUNDLED WITH, CHECKSUMS and unknown sections: nothing to read.
  }
  if (!known) throw new ExtractError(path, "not a Gemfile.lock: no GEM, GIT, PATH or DEPENDENCIES section");

  // The project's own gem: not reported; its runtime dependencies are direct.
  const own = new Set<string>();
  for (const s of specs) {
    if (!s.own) continue;
    own.add(s.name);
    for (const d of s.dependencies) direct.add(d);
  }

  // Dev: from the Gemfile's groups, through the specs' dependencies.
  let devOnly: Set<string> | undefined;
  const gemfileText = input.readSibling(baseName(path) === "gems.locked" ? "gems.rb" : "Gemfile");
  if (gemfileText !== undefined) {
    const gemfile = readGemfile(gemfileText);
    const normalRoots: string[] = [];
    const devRoots: string[] = [];
    for (const name of direct) {
      if (own.has(name)) continue;
      const dev = gemfile.declared.get(name);
      if (dev === true) devRoots.push(name);
      else if (dev === undefined && gemfile.gemspec && !specs.some((s) => s.own && s.dependencies.includes(name))) devRoots.push(name);
      else normalRoots.push(name);
    }
    if (devRoots.length > 0) {
      const needs = new Map<string, string[]>();
      for (const s of specs) needs.set(s.name, [...(needs.get(s.name) ?? []), ...s.dependencies]);
      const reach = (roots: string[]) => reachable(roots, (name) => needs.get(name) ?? []);
      const needed = reach(normalRoots);
      devOnly = new Set([...reach(devRoots)].filter((name) => !needed.has(name)));
    }
  }

  // Direct and dev depend on the name alone: the variants of one version agree.
  const collector = new PackageCollector("rubygems");
  for (const s of specs) if (!s.own) collector.add(s.name, s.version, direct.has(s.name), devOnly?.has(s.name) === true);
  return { packages: collector.list(), warnings };
}

export const gemfileLockExtractor: Extractor = { id: "gemfile-lock", matches, extract };
