import fs from "node:fs/promises";
import path from "node:path";
import { readBulkBatchesInWorker } from "../../core/ingest/bulk-parallel.js";
import { decodeChunks, readBulkBatches } from "../../core/ingest/bulk-stream.js";
import { batchRecords } from "../../store/records.js";
import { InputError } from "../../shared/errors.js";
import type { GraphBatch, UpsertResult } from "../../store/types.js";
import { type CommandContext, withStore } from "../context.js";
import { readFileChunks } from "../files.js";
import type { RemoteClient } from "../remote.js";
import type { ImportFlags } from "./import.command.js";
import { wantsJson } from "../output.js";

/** The flags of `dm import` (import.command.ts) and the file. */
export interface ImportOptions extends ImportFlags {
  file: string;
}

export interface ImportSummary extends UpsertResult {
  file: string;
}

/** Past this many records, planner statistics are refreshed after the import. */
const ANALYZE_AFTER = 10_000;

/**
 * From this size a local import parses on a worker thread while the main
 * thread writes (bulk-parallel.ts); below it starting the worker costs more
 * than it saves. Standard input is read on the main thread.
 */
export const PARALLEL_IMPORT_BYTES = 1024 * 1024;

async function openInput(
  ctx: CommandContext,
  file: string,
): Promise<{ chunks: AsyncIterable<string>; bytes: AsyncIterable<Buffer> | undefined; name: string }> {
  if (file === "-") return { chunks: decodeChunks(ctx.stdin as AsyncIterable<Buffer>), bytes: undefined, name: "stdin" };
  const full = path.resolve(ctx.cwd, file);
  let size = 0;
  try {
    const stat = await fs.stat(full);
    if (stat.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    size = stat.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    throw new InputError(`cannot read ${file}: ${why}`, { cause: error });
  }
  // One read of the file: bytes for the worker, or text chunks here (lazily: a generator reads nothing until asked).
  const bytes = readFileChunks(full, file);
  return { chunks: decodeChunks(bytes), bytes: size >= PARALLEL_IMPORT_BYTES ? bytes : undefined, name: file };
}

/**
 * Stream the file through validation into one transaction: a bad record
 * anywhere (or an edge to an unknown key) leaves the database untouched.
 */
export async function importCommand(ctx: CommandContext, options: ImportOptions): Promise<ImportSummary> {
  const { chunks, bytes, name } = await openInput(ctx, options.file);
  const now = ctx.now();
  const progress = ctx.stderrIsTTY ? new Progress(ctx) : undefined;
  const remote = await ctx.remote(options.db);
  const result = remote ? await remoteImport(remote, chunks, name, options.source) : await withStore(ctx, options.db, async (store) => {
    let records = 0;
    async function* counted() {
      for await (const batch of bytes ? readBulkBatchesInWorker(bytes, name) : readBulkBatches(chunks, name)) {
        records += batchRecords(batch);
        progress?.update(records);
        yield batch;
      }
    }
    // The records and the audit entry that records them: one transaction.
    const counts = await store.upsertMany(counted(), {
      now,
      source: options.source ?? "import",
      audit: (result) => ({ at: now, actor: ctx.config.user ?? "cli", action: "import", subject: name, details: { ...result } }),
    });
    progress?.done();
    if (records >= ANALYZE_AFTER) await store.analyze();
    return counts;
  }, { create: true });
  const summary: ImportSummary = { file: name, ...result };
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const line = (what: string, c: UpsertResult["entities"]) =>
      `  ${what}: ${c.created + c.updated + c.unchanged} (created ${c.created} · updated ${c.updated} · unchanged ${c.unchanged})`;
    ctx.stdout.write(
      `Imported ${name}\n${line("entities", result.entities)}\n${line("relationships", result.relationships)}\n`,
    );
  }
  return summary;
}

/**
 * On a team server: the file is read and checked here (errors name the line,
 * as locally), then sent whole; the server writes it in one transaction.
 */
async function remoteImport(remote: RemoteClient, chunks: AsyncIterable<string>, name: string, source: string | undefined): Promise<UpsertResult> {
  const batch: GraphBatch = { entities: [], relationships: [] };
  for await (const b of readBulkBatches(chunks, name)) {
    (batch.entities as unknown[]).push(...b.entities);
    (batch.relationships as unknown[]).push(...b.relationships);
  }
  return remote.post<UpsertResult>("/api/v1/graph", {
    body: { entities: batch.entities, relationships: batch.relationships },
    query: { source: source ?? "import" },
  });
}

/** Records read so far and the rate, on one stderr line, at most ten times a second. */
class Progress {
  private readonly started = performance.now();
  private last = 0;
  constructor(private readonly ctx: CommandContext) {}
  update(records: number): void {
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(records / seconds) : 0;
    this.ctx.stderr.write(`\rimporting: ${records.toLocaleString("en")} records  ${rate.toLocaleString("en")}/s  ${seconds.toFixed(0)} s`);
  }
  done(): void {
    if (this.last > 0) this.ctx.stderr.write("\n");
  }
}
