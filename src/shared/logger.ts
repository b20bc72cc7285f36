import pino from "pino";

/** Values registered here are replaced by *** wherever they appear in log lines. */
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

/** One structured logger, JSON lines to stderr. Secrets are masked before writing. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
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
