import type { Command } from "@commander-js/extra-typings";
import { dbOption, positiveInt, type FlagsOf, type Registration, run } from "../registration.js";

const define = (program: Command) =>
  program
    .command("serve")
    .description("Serve the graph over HTTP: a JSON API with tokens and roles, /metrics, /healthz, /readyz")
    .option("-p, --port <port>", "TCP port (0: any free port)", "8080")
    .option("--host <host>", "address to listen on (0.0.0.0 for every interface)", "127.0.0.1")
    .option("--query-timeout <ms>", "stop a J1QL query after this long (504)", positiveInt("--query-timeout"))
    .option("--query-queue <n>", "J1QL queries that may wait for a free slot (beyond: 503); default 256", positiveInt("--query-queue"))
    .option("--query-queue-wait <ms>", "how long a J1QL query may wait for a slot (beyond: 503); default 10000", positiveInt("--query-queue-wait"))
    .option("--max-body <bytes>", "largest request body accepted (413)", positiveInt("--max-body"))
    .option("--rate-limit <n>", "requests per minute per token (429)", positiveInt("--rate-limit"))
    .option("--config <file>", "dm.config.yaml whose schedule: section lists the jobs to run (default: here, then ~/.deferred-maintenance/)")
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Every /api/v1 route needs Authorization: Bearer <token> (dm token create).
SIGTERM or Ctrl-C stops taking requests, finishes the ones in flight (8 s at most), exits 0 within 10 s.
See docs/server.md; the routes are described at /api/openapi.json.

Examples:
  dm serve
  DM_DATABASE_URL=postgres://dm@db/dm dm serve --host 0.0.0.0 --port 8080`,
    );

/** What `dm serve` parses from its flags. */
export type ServeFlags = FlagsOf<typeof define>;

export const serveRegistration: Registration = (program, ctx) => {
  define(program).action(async (o) => run((await import("./serve.js")).serveCommand, ctx, o));
};
