/**
 * The `dm close` command line that does what the dashboard's close form
 * does, for a reader to copy (and run with a maintainer's rights). Imports
 * only the J1QL quoting: the dashboard bundles it.
 */
import { j1qlString } from "../query/quote.js";

/** One shell word: bare when safe, else quoted (double quotes when that needs no escapes). */
export function shellArg(text: string): string {
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  if (!/["$`\\!]/.test(text)) return `"${text}"`;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The J1QL that selects an item's findings on these assets (by the finding's entityKey). */
export function findingsOnQuery(entityKeys: readonly string[]): string {
  const keys = [...new Set(entityKeys)];
  const value = keys.length === 1 ? j1qlString(keys[0]!) : `(${keys.map(j1qlString).join(" or ")})`;
  return `Find deferred_maintenance with entityKey = ${value}`;
}

export interface CloseCommandInput {
  maintenanceId: string;
  /** the assets whose findings of the item close */
  entityKeys: readonly string[];
  reason: "COMPLETE" | "ERROR" | "RISK_ACCEPTED";
  link?: string;
  /** RISK_ACCEPTED: 2027-03-31 or 90d */
  until?: string;
}

/** `dm close --id 9c3e21a0 --query "..." --reason COMPLETE --link https://... --yes`; a missing value is a <placeholder>. */
export function closeCommandLine(input: CloseCommandInput): string {
  const words = ["dm close", `--id ${shellArg(input.maintenanceId)}`, `--query ${shellArg(findingsOnQuery(input.entityKeys))}`, `--reason ${input.reason}`];
  const link = input.link?.trim();
  if (input.reason !== "ERROR" || link) {
    words.push(`--link ${link ? shellArg(link) : input.reason === "COMPLETE" ? "<pull request URL>" : "<decision record URL>"}`);
  }
  if (input.reason === "RISK_ACCEPTED") {
    const until = input.until?.trim();
    words.push(`--until ${until ? shellArg(until) : "<YYYY-MM-DD>"}`);
  }
  words.push("--yes");
  return words.join(" ");
}
