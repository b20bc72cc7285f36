/** Human output: tables, CSV, colours (only on a TTY and never with NO_COLOR). */
import { InputError } from "../shared/errors.js";

export type OutputFormat = "table" | "json" | "csv";

/**
 * The format a command prints in, from `--format` and `--json` (one
 * spelling each, accepted everywhere output is structured): `--json` is
 * `--format json`; the two disagreeing is refused.
 */
export function outputFormat(options: { json?: boolean; format?: string }, allowed: readonly OutputFormat[] = ["table", "json"]): OutputFormat {
  // a `--format` that defaults to table cannot tell a typed "table" from none: --json then wins
  const format = options.json && (options.format === undefined || options.format === "table") ? "json" : (options.format ?? "table");
  if (options.json && format !== "json") throw new InputError(`--json and --format ${format} disagree: give one of them`);
  if (!(allowed as readonly string[]).includes(format)) {
    throw new InputError(`--format ${format} is not available here; use ${allowed.join(", ")}`);
  }
  return format as OutputFormat;
}

/** `--json`, or `--format json`: a command whose output is a table or JSON. */
export function wantsJson(options: { json?: boolean; format?: string }): boolean {
  return outputFormat(options) === "json";
}

export interface Out {
  write(text: string): void;
}

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    const id = (t: string) => t;
    return { bold: id, dim: id, red: id, green: id, yellow: id };
  }
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39) };
}

const EPOCH_KEY = /(On|Date|Until)$/;
/** 2001-09-09 in epoch ms: smaller numbers are not taken for dates. */
const MIN_EPOCH_MS = 1_000_000_000_000;

/** One cell as text for a human: dates as ISO, lists joined, entities by name. */
export function formatCell(value: unknown, key = ""): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && EPOCH_KEY.test(key) && value >= MIN_EPOCH_MS && value < 10 * MIN_EPOCH_MS) {
    const iso = new Date(value).toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : `${iso.slice(0, 16).replace("T", " ")}Z`;
  }
  if (Array.isArray(value)) return value.map((v) => formatCell(v)).join(", ");
  if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.displayName === "string") return o.displayName;
    if (typeof o._key === "string") return o._key;
    return JSON.stringify(value);
  }
  return String(value);
}

/** Display width, ignoring colour escapes. */
function width(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  return [...text.replace(/\u001b\[[0-9;]*m/g, "")].length;
}

function truncate(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, " ")];
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("")}…`;
}

export function renderTable(headers: string[], rows: string[][], style: Style, maxCell = 60): string {
  const cells = rows.map((r) => r.map((c) => truncate(c, maxCell)));
  const widths = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i] ?? ""))));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + " ".repeat(widths[i]! - width(c))))
      .join("  ")
      .trimEnd();
  return [style.bold(line(headers)), ...cells.map(line)].join("\n") + "\n";
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with '. */
/** `1 finding`, `2 findings` (`many` for irregular plurals: entity, entities). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function csvCell(value: unknown): string {
  // a list of plain values (classes, tags) reads as `CodeRepo;Service`; other objects as JSON
  let text =
    value === null || value === undefined
      ? ""
      : Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")
        ? value.map((v) => (v === null ? "" : String(v))).join(";")
        : typeof value === "object"
          ? JSON.stringify(value)
          : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(headers: string[], rows: unknown[][]): string {
  return [headers, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
