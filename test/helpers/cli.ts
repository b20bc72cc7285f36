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

/** A printed command line as argv (after its leading `dm`): words, "double" and 'single' quotes, as a POSIX shell reads them. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = "";
      for (i++; line[i] !== '"'; i++) text += line[i] === "\\" ? line[++i] : line[i];
      word = (word ?? "") + text;
    } else if (c === "\\") {
      word = (word ?? "") + line[++i];
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  if (words[0] !== "dm") throw new Error(`not a dm command: ${line}`);
  return words.slice(1);
}

/** The `dm ...` command a line of output suggests, from its "dm " on, with placeholders like <pull request URL> filled in. */
export function hintedCommand(output: string, marker: string, fill: Record<string, string> = {}): string[] {
  const line = output.split("\n").find((l) => l.includes(marker));
  if (line === undefined) throw new Error(`no line with ${JSON.stringify(marker)} in:\n${output}`);
  let command = line.slice(line.indexOf("dm ", line.indexOf(marker)));
  for (const [placeholder, value] of Object.entries(fill)) command = command.replaceAll(placeholder, value);
  if (/<[^>]+>/.test(command)) throw new Error(`a placeholder is left in: ${command}`);
  return shellWords(command.trim());
}
