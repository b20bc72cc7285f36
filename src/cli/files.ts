/**
 * Files a command reads or writes, with their failures as typed errors: a
 * path that is missing, a folder, or not ours to read or write is bad input
 * (exit 2) naming the file; a failing disk is exit 3. Outputs are written
 * beside the target and renamed at the end, never left half-written.
 */
import fs from "node:fs";
import path from "node:path";
import { finished } from "node:stream/promises";
import { type DmError, ExternalServiceError, InputError } from "../shared/errors.js";

const WHY: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENAMETOOLONG: "the name is too long",
};

/** A file-system failure as a typed error naming the file. */
export function fileFailure(error: unknown, action: "read" | "write", file: string): DmError {
  if (error instanceof InputError || error instanceof ExternalServiceError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const why = WHY[code];
  if (why) return new InputError(`cannot ${action} ${file}: ${why}`, { cause: error });
  return new ExternalServiceError("file", `cannot ${action} ${file}: ${(error as Error).message}`, {
    cause: error,
    details: code === "ENOSPC" ? ["The disk is full: free some space and try again."] : ["Check the disk and try again."],
  });
}

/** A file's bytes as a stream whose failures (at open or while reading) are typed errors. */
export async function* readFileChunks(full: string, name: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of fs.createReadStream(full, { highWaterMark: 4 * 1024 * 1024 })) yield chunk as Buffer;
  } catch (error) {
    throw fileFailure(error, "read", name);
  }
}

/**
 * The absolute path of an output file, refused before any work when its
 * folder does not exist or it names a folder.
 */
export function outputPath(cwd: string, out: string): string {
  const target = path.resolve(cwd, out);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) throw new InputError(`cannot write ${out}: the directory ${dir} does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new InputError(`cannot write ${out}: ${dir} is not a directory`);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    throw new InputError(`cannot write ${out}: it is a directory`, { details: ["Name a file, e.g. --out backup.json"] });
  }
  return target;
}

/**
 * Write `target` through `produce` into a temporary file beside it, renamed
 * over the target at the end; on any failure the temporary file is removed
 * and the target is left as it was.
 */
export async function writeAtomically<T>(
  target: string,
  name: string,
  produce: (write: (text: string) => Promise<void> | undefined) => Promise<T>,
): Promise<T> {
  const temp = `${target}.${process.pid}.tmp`;
  const stream = fs.createWriteStream(temp, { encoding: "utf8" });
  let failure: unknown;
  stream.on("error", (error) => {
    failure ??= error;
  });
  const write = (text: string) => {
    if (failure) throw fileFailure(failure, "write", name);
    return stream.write(text) ? undefined : new Promise<void>((resolve) => stream.once("drain", () => resolve()));
  };
  try {
    const result = await produce(write);
    stream.end();
    await finished(stream);
    fs.renameSync(temp, target);
    return result;
  } catch (error) {
    stream.destroy();
    fs.rmSync(temp, { force: true });
    throw fileFailure(failure ?? error, "write", name);
  }
}
