/**
 * Interactive questions on a terminal. Commands take a Prompter so tests can
 * answer without a TTY.
 */
import { createRequire } from "node:module";
import { InputError } from "../shared/errors.js";

// readline is required when a prompt is made: `dm` loads this module on every run, and most runs ask nothing.
const require = createRequire(import.meta.url);

export interface Prompter {
  /** Free text; `validate` returns an error message to ask again, or undefined. */
  text(question: string, options?: { default?: string; validate?: (answer: string) => string | undefined }): Promise<string>;
  /** One of `choices` (by number or by label). */
  choose<T extends string>(question: string, choices: readonly T[], defaultIndex?: number): Promise<T>;
  confirm(question: string, defaultYes?: boolean): Promise<boolean>;
  close(): void;
}

export function terminalPrompter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Prompter {
  const { createInterface } = require("node:readline/promises") as typeof import("node:readline/promises");
  const rl = createInterface({ input, output, terminal: true });
  const cancelled = (cause?: unknown) =>
    new InputError("cancelled at the question; nothing was written", cause === undefined ? undefined : { cause });
  // The input ending (Ctrl+D, a closed pipe) closes the interface without
  // settling the pending question: turn that into a cancellation too.
  let closed = false;
  let onClose: (() => void) | undefined;
  rl.on("close", () => {
    closed = true;
    onClose?.();
  });
  const ask = async (q: string) => {
    if (closed) throw cancelled();
    try {
      return await new Promise<string>((resolve, reject) => {
        onClose = () => reject(cancelled());
        rl.question(q).then((answer) => resolve(answer.trim()), reject);
      });
    } catch (error) {
      // Ctrl+C at a question: the person stopped, not a bug.
      const e = error as { name?: string; code?: string };
      if (e?.name === "AbortError" || e?.code === "ABORT_ERR") throw cancelled(error);
      throw error;
    } finally {
      onClose = undefined;
    }
  };
  return {
    async text(question, options) {
      for (;;) {
        const suffix = options?.default ? ` (${options.default})` : "";
        const answer = (await ask(`◆ ${question}${suffix}: `)) || options?.default || "";
        const problem = options?.validate?.(answer);
        if (!problem) return answer;
        output.write(`  ${problem}\n`);
      }
    },
    async choose(question, choices, defaultIndex = 0) {
      const list = choices.map((c, i) => `${i === defaultIndex ? "●" : "○"} ${i + 1}) ${c}`).join("  ");
      for (;;) {
        const answer = await ask(`◆ ${question}\n  ${list}\n  choice [${defaultIndex + 1}]: `);
        if (answer === "") return choices[defaultIndex]!;
        const n = Number(answer);
        if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1]!;
        const byLabel = choices.find((c) => c.toLowerCase() === answer.toLowerCase());
        if (byLabel) return byLabel;
        output.write(`  pick 1 to ${choices.length}\n`);
      }
    },
    async confirm(question, defaultYes = false) {
      const answer = (await ask(`◇ ${question} ${defaultYes ? "[Y/n]" : "[y/N]"} `)).toLowerCase();
      if (answer === "") return defaultYes;
      return answer === "y" || answer === "yes";
    },
    close() {
      rl.close();
    },
  };
}

/** A Prompter that answers from a script (tests). Throws when asked more than it has. */
export function scriptedPrompter(answers: string[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = (q: string) => {
    asked.push(q);
    const a = answers.shift();
    if (a === undefined) throw new Error(`no scripted answer for: ${q}`);
    return a;
  };
  return {
    asked,
    async text(question, options) {
      for (;;) {
        const answer = next(question) || options?.default || "";
        if (!options?.validate?.(answer)) return answer;
      }
    },
    async choose(question, choices, defaultIndex = 0) {
      const a = next(question);
      if (a === "") return choices[defaultIndex]!;
      const n = Number(a);
      return (Number.isInteger(n) ? choices[n - 1] : choices.find((c) => c === a)) ?? choices[defaultIndex]!;
    },
    async confirm(question) {
      return /^y(es)?$/i.test(next(question));
    },
    close() {},
  };
}
