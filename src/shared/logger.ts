import { createRequire } from "node:module";
import type pino from "pino";

/** Values registered here are replaced by *** wherever they appear in output and log lines. */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("***");
  return out;
}

export type Logger = pino.Logger;

/**
 * One structured logger, JSON lines to stderr, secrets masked before writing.
 * pino is required on first use (synchronously) so that commands which never
 * log do not pay for loading it at start-up.
 */
export function createLogger(level: string, destination: { write(text: string): unknown } = process.stderr): Logger {
  const create = createRequire(import.meta.url)("pino") as typeof pino;
  return create(
    {
      level,
      base: undefined,
      redact: { paths: ["token", "password", "*.token", "*.password", "authorization", "*.authorization"], censor: "***" },
    },
    {
      write(line: string) {
        destination.write(redact(line));
      },
    },
  );
}
