/**
 * The real `dm serve` binary on a free port: started, its URL read from the
 * "listening on" line, its stderr collected, its exit awaited.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const bin = path.resolve(import.meta.dirname, "..", "..", "bin", "dm");

export interface SpawnedServer {
  child: ChildProcess;
  /** http://127.0.0.1:port; undefined when it did not start in time (see stderr) */
  url: string | undefined;
  /** what it wrote to stderr so far */
  stderr(): string;
  /** its exit code, once it exits */
  exited: Promise<number | null>;
}

/** Start `dm serve --port 0 ...args` and wait (at most 20 s) until it says where it listens. */
export async function spawnServe(args: string[], options: { env: Record<string, string>; cwd?: string }): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", ...args], {
    env: { PATH: process.env.PATH ?? "", ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, stderr: () => stderr, exited };
}
