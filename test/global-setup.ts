/**
 * Vitest global setup: one throwaway PostgreSQL server for the whole run.
 * Tests create their own databases on it (test/helpers/pg.ts), so they are
 * isolated without paying for a server each.
 *
 * If the server cannot start we provide an empty URL and say why on stderr;
 * the PostgreSQL tests then fail with that hint instead of being skipped, so
 * a broken setup is never mistaken for a green run.
 */
import type { TestProject } from "vitest/node";
import { type RunningPostgres, startEmbeddedPostgres } from "./helpers/embedded-postgres.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: RunningPostgres | undefined;
  /**
   * Ctrl-C, or the process exiting without teardown: vitest calls
   * process.exit() a millisecond after SIGINT, so nothing asynchronous would
   * finish. Kill the server synchronously and remove its data.
   */
  const killNow = (): void => server?.killNow();
  process.once("SIGINT", killNow);
  process.once("exit", killNow);
  try {
    server = await startEmbeddedPostgres({ durable: false });
    project.provide("pgUrl", server.url);
  } catch (error) {
    process.stderr.write(
      [
        "",
        "[global-setup] could not start the embedded PostgreSQL server; PostgreSQL tests will fail.",
        `[global-setup] reason: ${error instanceof Error ? error.message : String(error)}`,
        "",
      ].join("\n"),
    );
    project.provide("pgUrl", "");
  }
  return async () => {
    process.off("SIGINT", killNow);
    process.off("exit", killNow);
    await server?.stop();
  };
}
