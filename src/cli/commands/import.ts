import fs from "node:fs/promises";
import path from "node:path";
import { parseBulkText } from "../../core/ingest/bulk-file.js";
import { InputError } from "../../shared/errors.js";
import type { UpsertResult } from "../../store/types.js";
import { type CommandContext, withStore } from "../context.js";

export interface ImportOptions {
  file: string;
  /** `_source` stamped on records that do not name one */
  source?: string;
  json?: boolean;
  db?: string;
  actor?: string;
}

export interface ImportSummary extends UpsertResult {
  file: string;
}

/** Past this many records, planner statistics are refreshed after the import. */
const ANALYZE_AFTER = 10_000;

async function readInput(ctx: CommandContext, file: string): Promise<{ text: string; name: string }> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return { text: Buffer.concat(chunks).toString("utf8"), name: "stdin" };
  }
  const full = path.resolve(ctx.cwd, file);
  try {
    return { text: await fs.readFile(full, "utf8"), name: file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    throw new InputError(`cannot read ${file}: ${why}`, { cause: error });
  }
}

/** Parse and validate the whole file first, then upsert it in one transaction. */
export async function importCommand(ctx: CommandContext, options: ImportOptions): Promise<ImportSummary> {
  const { text, name } = await readInput(ctx, options.file);
  const batch = parseBulkText(text, name);
  const now = ctx.now();
  const result = await withStore(ctx, options.db, async (store) => {
    const counts = await store.upsert(batch, { now, source: options.source ?? "import" });
    await store.audit({
      at: now,
      actor: options.actor ?? "cli",
      action: "import",
      subject: name,
      details: { ...counts },
    });
    if (batch.entities.length + batch.relationships.length >= ANALYZE_AFTER) await store.analyze();
    return counts;
  });
  const summary: ImportSummary = { file: name, ...result };
  if (options.json) {
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
