/**
 * What the extractor tests share: fixtures, running an extractor on inline
 * text, the expected-package builders, and the timing check. Only the tests
 * import this file.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Ecosystem,
  type ExtractedPackage,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
} from "./types.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/** The text of a fixture, by its path under fixtures/. */
export function readFixture(path: string): string {
  return readFileSync(join(FIXTURES, path), "utf8");
}

/** A fixture as the git integration would hand it over; `siblings: false` hides the other files of its folder. */
export function fixtureInput(path: string, { siblings = true } = {}): ExtractInput {
  const dir = dirname(join(FIXTURES, path));
  return {
    path,
    content: readFixture(path),
    readSibling: (name) => (siblings && existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : undefined),
  };
}

/** Runs an extractor on inline text; `siblings` are the other files of its folder. */
export function runExtractor(
  extractor: Extractor,
  path: string,
  content: string,
  siblings: Record<string, string> = {},
): ExtractResult {
  return extractor.extract({ path, content, readSibling: (name) => siblings[name] });
}

/** A builder of expected packages of one ecosystem: not direct and not dev unless the flags say so. */
export function packageOf(ecosystem: Ecosystem) {
  return (name: string, version: string, flags: { direct?: boolean; dev?: boolean } = {}) => ({
    ecosystem,
    name,
    version,
    direct: flags.direct ?? false,
    devDependency: flags.dev ?? false,
  });
}

/** `name@version`, then ` direct` and ` dev` when set: one line per package, in output order. */
export function summary(packages: ExtractedPackage[] | undefined): string[] {
  return (packages ?? []).map(
    (p) => `${p.name}@${p.version}${p.direct ? " direct" : ""}${p.devDependency ? " dev" : ""}`,
  );
}

/** The ExtractError that `fn` throws (anything else it throws is rethrown; not throwing is an error). */
export function extractError(fn: () => unknown): ExtractError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExtractError) return e;
    throw e;
  }
  throw new Error("expected an ExtractError");
}

/**
 * Prints the median time of `run` (a 300-entry file is meant to take well
 * under 5 ms). Reported, not asserted: timing belongs to benchmarks, and a
 * loaded machine would make such an assertion fail at random.
 */
export function reportMedianMs(label: string, run: () => unknown): void {
  console.log(`[${label}] median ${medianMs(run).toFixed(2)} ms`);
}

/** The median time of `run` in milliseconds, after warming up (the JIT, caches) so one slow run does not decide. */
export function medianMs(run: () => unknown): number {
  for (let i = 0; i < 20; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 41; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[20]!;
}
