/**
 * Setting types the integrations share, so that `timeout: 30s` or
 * `lookahead: 14d` means the same in every `integrations:` entry.
 */
import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** A span such as 500ms, 30s, 1h30m, 14d, 2w: milliseconds, or undefined when it is not one. */
export function parseSpan(text: string): number | undefined {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  return s.length > 0 && end === s.length ? Math.round(total) : undefined;
}

/**
 * A positive duration setting, in milliseconds: a span (`30s`, `14d`) or a
 * number of seconds. `max` (ms) bounds it, named in the message.
 */
export function Duration(examples = "10s, 500ms, 1m", max?: number) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = typeof value === "number" ? value * 1000 : parseSpan(value);
    if (ms === undefined || !(ms > 0)) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a duration (examples: ${examples})` });
      return z.NEVER;
    }
    if (max !== undefined && ms > max) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is too long: at most ${max / 86_400_000}d` });
      return z.NEVER;
    }
    return ms;
  });
}
