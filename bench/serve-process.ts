/**
 * `dm serve` as a real process for the server benches: on a free 127.0.0.1
 * port, the rate limit raised (a load test is one token making thousands of
 * requests a minute), logs at warn. Resolves with its URL once it listens.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

export async function startServe(bin: string, target: string, home: string, nodeArgs: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, bin, "serve", "--port", "0", "--db", target, "--rate-limit", "100000000"], {
    env: { PATH: process.env.PATH ?? "", HOME: home, DM_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dm serve did not start: ${stderr}`)), 60_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dm serve exited ${code}: ${stderr}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  };
  return { url, child, stop };
}
