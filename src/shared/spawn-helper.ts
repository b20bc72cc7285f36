/**
 * Commands run from a small helper process instead of from this one.
 *
 * Node starts a child process by forking itself. The fork copies the
 * parent's page tables and makes its memory copy-on-write until the child
 * execs, so its cost grows with the parent's memory: in a sync that holds
 * SQLite's page cache and the batches being written (several hundred MB), a
 * `git log` per repository blocked the event loop about 12 ms, and every
 * page written afterwards faulted again (the first `dm sync git` of 1,000
 * repositories took 45 s, 12 s of it in spawn). The helper is a bare Node
 * process started once, while this one is still small; it runs each command
 * with execFile and answers over IPC, so this process forks once per helper.
 *
 * The answers are execFile's: stdout and stderr as text, and on failure an
 * Error with execFile's fields (`code`, `killed`, `signal`, `stdout`,
 * `stderr`). The helper exits with this process (its IPC channel closes),
 * stopping the commands still running, and does not keep this process alive
 * while no command is running.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface HelperRunOptions {
  /** extra environment variables, over this process's environment */
  env?: Record<string, string>;
  maxBuffer?: number;
  timeout?: number;
}

export interface HelperResult {
  stdout: string;
  stderr: string;
}

interface Request {
  id: number;
  file: string;
  args: string[];
  options: HelperRunOptions;
}

interface Reply {
  id: number;
  stdout: string;
  stderr: string;
  error: { message: string; code?: number | string; killed?: boolean; signal?: string | null } | null;
}

/** The helper's program (plain CommonJS, given to `node -e`: nothing to build or resolve). */
const HELPER_SOURCE = `
const { execFile } = require("node:child_process");
const running = new Set();
process.on("message", (m) => {
  const options = { maxBuffer: m.options.maxBuffer, timeout: m.options.timeout, env: { ...process.env, ...m.options.env } };
  const child = execFile(m.file, m.args, options, (error, stdout, stderr) => {
    running.delete(child);
    const e = error ? { message: error.message, code: error.code, killed: error.killed, signal: error.signal } : null;
    if (process.connected) process.send({ id: m.id, stdout: String(stdout), stderr: String(stderr), error: e });
  });
  running.add(child);
});
process.on("disconnect", () => {
  for (const child of running) child.kill();
  process.exit(0);
});
`;

export class SpawnHelper {
  private child: ChildProcess | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: HelperResult) => void; reject: (e: Error) => void }>();

  /** The helper, started by the first command (a sync's first read comes before it holds much memory). */
  private start(): void {
    if (this.child) return;
    const child = spawn(process.execPath, ["-e", HELPER_SOURCE], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    child.on("message", (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      this.idle();
      if (reply.error === null) {
        waiting.resolve({ stdout: reply.stdout, stderr: reply.stderr });
        return;
      }
      waiting.reject(
        Object.assign(new Error(reply.error.message), {
          code: reply.error.code,
          killed: reply.error.killed,
          signal: reply.error.signal,
          stdout: reply.stdout,
          stderr: reply.stderr,
        }),
      );
    });
    const lost = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.refuseRunning(why);
    };
    child.on("exit", (code, signal) => lost(`stopped (${signal ?? `exit code ${code}`})`));
    child.on("error", (error) => lost(`failed: ${error.message}`));
    this.child = child;
    this.idle();
  }

  /** execFile(file, args) in the helper. */
  run(file: string, args: string[], options: HelperRunOptions = {}): Promise<HelperResult> {
    this.start();
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<HelperResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // a command running keeps this process alive until it answers
      if (this.pending.size === 1) {
        child.ref();
        child.channel?.ref();
      }
      child.send({ id, file, args, options } satisfies Request, (error) => {
        if (!error || !this.pending.delete(id)) return;
        this.idle();
        reject(error);
      });
    });
  }

  /** Stop the helper (a later run() starts another); a command still running is refused. */
  close(): void {
    const child = this.child;
    this.child = undefined;
    this.refuseRunning("was closed");
    if (child?.connected) child.disconnect();
  }

  /** Every command still waiting for its answer fails: the helper stopped, or `why`. */
  private refuseRunning(why: string): void {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.reject(new Error(`the helper process that runs commands ${why}`));
    }
  }

  /** Nothing running: the helper does not keep this process alive. */
  private idle(): void {
    if (this.pending.size > 0 || !this.child) return;
    this.child.unref();
    this.child.channel?.unref();
  }
}
