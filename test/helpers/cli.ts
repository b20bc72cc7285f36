import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { runCli } from "../../src/cli/main.js";
import { scriptedPrompter } from "../../src/cli/prompt.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** the questions asked, in order (with `answers`) */
  asked?: string[];
}

/** A fresh temporary directory, removed by the caller's afterAll/afterEach if wanted. */
export function tempDir(prefix = "dm-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Run `dm` in-process with captured output, a pinned clock and an isolated HOME. */
export async function dm(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    stdin?: string;
    cwd?: string;
    now?: number;
    tty?: boolean;
    /** answers to interactive questions, in order */
    answers?: string[];
  } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const home = options.env?.HOME ?? tempDir("dm-home-");
  const prompter = options.answers ? scriptedPrompter(options.answers) : undefined;
  const code = await runCli(args, {
    stdout: {
      write: (s: string) => {
        stdout += s;
      },
      isTTY: options.tty,
    },
    stderr: {
      write: (s: string) => {
        stderr += s;
      },
      isTTY: options.tty,
    },
    stdin: Readable.from([options.stdin ?? ""]),
    env: { HOME: home, DM_USER: "tester@example.com", ...options.env },
    cwd: options.cwd ?? process.cwd(),
    now: () => options.now ?? Date.UTC(2026, 10, 23, 12),
    prompter,
  });
  return prompter ? { code, stdout, stderr, asked: prompter.asked } : { code, stdout, stderr };
}
