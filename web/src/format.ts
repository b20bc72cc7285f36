/** Dates, numbers and CSV as the dashboard shows them. Dates are UTC days, as in the CLI. */
export const DAY_MS = 86_400_000;

export function isoDate(ms: number | null | undefined): string {
  if (!ms) return "";
  return new Date(ms).toISOString().slice(0, 10);
}

export function isoTime(ms: number | null | undefined): string {
  if (!ms) return "";
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** "in 6 days", "due today", "12 days overdue" (as `dm` prints them). */
export function dueText(due: number, now: number): string {
  if (due >= now) {
    const days = Math.floor((due - now) / DAY_MS);
    return days === 0 ? "due today" : days === 1 ? "in 1 day" : `in ${days} days`;
  }
  const late = Math.floor((now - due) / DAY_MS);
  return late === 0 ? "due today" : late === 1 ? "1 day overdue" : `${late} days overdue`;
}

// one rounding for the CLI (dm stats) and the dashboard: whole percent, rounded down
export { percent, wholePercent } from "../../src/shared/percent";

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

const STATUS_LABELS: Record<string, string> = {
  open: "open",
  overdue: "overdue",
  COMPLETE: "complete",
  ERROR: "error",
  RISK_ACCEPTED: "risk accepted",
  closed: "closed",
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/** One CSV field (RFC 4180), with formula-looking text defused for spreadsheets. */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export function download(filename: string, text: string, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A property value as text for a table cell. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Properties that hold epoch-ms dates by the graph's conventions. */
export function looksLikeDate(name: string, value: unknown): value is number {
  return typeof value === "number" && value > 946_684_800_000 && value < 4_102_444_800_000 && /(On|Date|Until|since|At)$/i.test(name);
}
