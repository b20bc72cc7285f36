import type { QueryResult } from "../../query/run.js";
import { queryJson, runQuery } from "../../query/run.js";
import { InputError } from "../../shared/errors.js";
import { type CommandContext, withStore } from "../context.js";
import { formatCell, outputFormat, renderCsv, renderTable } from "../output.js";
import type { RemoteClient } from "../remote.js";
import type { QueryFlags } from "./query.command.js";

/** The flags of `dm query` (query.command.ts) and the query itself. */
export interface QueryOptions extends QueryFlags {
  query: string;
}

export const QUERY_FORMATS = ["table", "json", "csv"] as const;

/**
 * `dm query`. The result is returned, except with `--format json` on a local
 * database: then it is written as it is read (queryJson: page by page, the
 * same bytes as the whole result serialised) and undefined is returned. If
 * the database fails after the first page was written, stdout ends there (an
 * unfinished JSON document: the `data` array is not closed), the error is on
 * stderr and the exit code is not 0.
 */
export async function queryCommand(ctx: CommandContext, options: QueryOptions): Promise<QueryResult | undefined> {
  const format = outputFormat(options, QUERY_FORMATS);
  if (!QUERY_FORMATS.includes(format)) {
    throw new InputError(`--format ${format} is not known; use table, json or csv`);
  }
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    throw new InputError(`--limit must be a positive whole number, not ${options.limit}`);
  }
  const parameters = options.param === undefined ? undefined : parseParams(options.param);
  const remote = await ctx.remote(options.db);
  // A mistake in the query is named before the database is opened (it may not exist yet).
  if (!remote) (await import("../../query/parser.js")).parseQuery(options.query);
  const runOptions = () => ({
    now: ctx.now(),
    all: options.all,
    cursor: options.cursor,
    pageSize: options.limit,
    includeDeleted: options.includeDeleted,
    ...(parameters === undefined ? {} : { parameters }),
  });
  if (!remote && format === "json") {
    await withStore(
      ctx,
      options.db,
      async (store) => {
        for await (const chunk of queryJson(store, options.query, runOptions())) ctx.stdout.write(chunk);
      },
      { readOnce: true },
    );
    ctx.stdout.write("\n");
    return undefined;
  }
  const result = remote
    ? await remoteQuery(remote, options, parameters)
    : await withStore(ctx, options.db, (store) => runQuery(store, options.query, runOptions()), { readOnce: true });
  printResult(ctx, result, format);
  return result;
}

type ParameterValue = string | number | boolean;

/**
 * The values of `--param name=value` (repeatable): the question parameters
 * `{{name}}`. A number, `true` or `false` is taken as that type; anything
 * else is a string, and `"..."` (JSON) keeps a number-like value a string.
 */
export function parseParams(texts: readonly string[]): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const text of texts) {
    const eq = text.indexOf("=");
    const name = eq < 0 ? text : text.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      throw new InputError(`--param must be name=value with a name of letters, digits, _ . or -, not "${text}"`);
    }
    const raw = text.slice(eq + 1);
    let value: ParameterValue = raw;
    if (/^-?\d+(\.\d+)?$/.test(raw) && Number.isFinite(Number(raw))) value = Number(raw);
    else if (raw === "true" || raw === "false") value = raw === "true";
    else if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (typeof parsed === "string") value = parsed;
      } catch {
        // not JSON: the text as written
      }
    }
    out[name] = value;
  }
  return out;
}

/** The query on the team server: one page, or with --all every page, joined. */
async function remoteQuery(
  remote: RemoteClient,
  options: QueryOptions,
  parameters: Record<string, ParameterValue> | undefined,
): Promise<QueryResult> {
  const page = (cursor: string | undefined) =>
    remote.post<QueryResult>("/api/v1/query", {
      body: {
        query: options.query,
        ...(cursor === undefined ? {} : { cursor }),
        // --all asks for big pages: fewer round trips
        ...(options.limit !== undefined ? { limit: options.limit } : options.all ? { limit: 5000 } : {}),
        ...(options.includeDeleted ? { includeDeleted: true } : {}),
        ...(parameters === undefined ? {} : { parameters }),
      },
      j1ql: options.query,
    });
  let result = await page(options.cursor);
  while (options.all && result.type !== "tree" && result.cursor !== undefined) {
    const next = await page(result.cursor);
    if (next.type !== result.type) break;
    const { cursor, ...rest } = next;
    result = { ...rest, data: [...result.data, ...next.data] } as QueryResult;
    if (cursor !== undefined) result = { ...result, cursor } as QueryResult;
  }
  return result;
}

export function printResult(ctx: CommandContext, result: QueryResult, format: "table" | "json" | "csv"): void {
  if (format === "json") {
    ctx.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const { headers, rows } = tabulate(result);
  if (format === "csv") {
    ctx.stdout.write(renderCsv(headers, rows));
  } else if (rows.length > 0) {
    // a cell is formatted by the property it came from, whatever the column is called (`m.dueDate as due` is a date)
    const sources = result.type === "table" ? new Map((result.columns ?? []).map((c) => [c.name, c.property ?? c.name])) : new Map<string, string>();
    const keys = headers.map((h) => sources.get(h) ?? h);
    ctx.stdout.write(
      renderTable(
        headers,
        rows.map((r) => r.map((v, i) => formatCell(v, keys[i]))),
        ctx.style,
      ),
    );
  }
  const count = result.type === "tree" ? result.data.vertices.length : result.data.length;
  const noun =
    result.type === "list"
      ? count === 1
        ? "entity"
        : "entities"
      : result.type === "tree"
        ? `${count === 1 ? "vertex" : "vertices"}, ${result.data.edges.length} ${result.data.edges.length === 1 ? "edge" : "edges"}`
        : count === 1
          ? "row"
          : "rows";
  let summary = `${count} ${noun}`;
  if (result.type !== "tree" && result.cursor) {
    summary += `; more exist: add --all for every row, or --cursor ${result.cursor} for the next page`;
  }
  ctx.stderr.write(`${ctx.style.dim(summary)}\n`);
}

/** A result as a header row and value rows (list: one row per entity). */
export function tabulate(result: QueryResult): { headers: string[]; rows: unknown[][] } {
  switch (result.type) {
    case "list": {
      // the properties the query filtered on come after the name: what the reader asked about
      const metadata = new Set(["displayName", "_type", "_class", "_key", "_id"]);
      const filtered = (result.filteredOn ?? []).filter((p) => !metadata.has(p) && !p.startsWith("_"));
      return {
        headers: ["displayName", ...filtered, "_type", "_class", "_key", "_id"],
        rows: result.data.map((item) => [
          item.entity.displayName ?? "",
          ...filtered.map((p) => item.properties[p]),
          item.entity._type,
          item.entity._class,
          item.entity._key,
          item.id,
        ]),
      };
    }
    case "table": {
      const headers: string[] = [];
      const seen = new Set<string>();
      for (const row of result.data) {
        for (const key of Object.keys(row)) {
          if (!seen.has(key)) {
            seen.add(key);
            headers.push(key);
          }
        }
      }
      return { headers, rows: result.data.map((row) => headers.map((h) => row[h])) };
    }
    case "tree": {
      const names = new Map(result.data.vertices.map((v) => [v.id, v.entity.displayName ?? v.entity._key]));
      return {
        headers: ["from", "edge", "to"],
        rows: result.data.edges.map((e) => [
          names.get(e.fromVertexId) ?? e.fromVertexId,
          e.relationship._class,
          names.get(e.toVertexId) ?? e.toVertexId,
        ]),
      };
    }
  }
}
