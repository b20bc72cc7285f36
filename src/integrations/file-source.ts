/**
 * What the file-based integrations share: read one file (a path relative to
 * where dm runs), parse it, yield one batch, pass warnings on. A file that
 * cannot be read or parsed at all fails the run (nothing changes); a bad row
 * is a warning (the run is partial, nothing is deleted).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { InputError } from "../shared/errors.js";
import type { GraphBatch } from "../store/types.js";
import type { ParseResult } from "./hosts/parse.js";
import type { SyncContext } from "./types.js";

export function resolveFile(cwd: string, file: string): string {
  const expanded = file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
  return path.resolve(cwd, expanded);
}

export async function* fileBatch<C extends { file: string }>(
  ctx: SyncContext<C>,
  parse: (text: string, name: string) => ParseResult,
): AsyncGenerator<GraphBatch> {
  const full = resolveFile(ctx.cwd, ctx.config.file);
  let text: string;
  try {
    text = await fs.readFile(full, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? (error as Error).message);
    throw new InputError(`cannot read ${ctx.config.file}: ${why}`, {
      cause: error,
    });
  }
  const result = parse(text, ctx.config.file);
  for (const w of result.warnings) ctx.warn(w);
  ctx.progress(1, 1, "files");
  yield { entities: result.entities, relationships: result.relationships };
}
