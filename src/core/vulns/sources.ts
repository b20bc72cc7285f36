/**
 * Where advisories are imported from: a folder (the GitHub Advisory Database
 * repository, an unpacked osv.dev export: every `*.json` below it), a zip
 * (osv.dev's `<ecosystem>/all.zip`), or one JSON file holding an advisory or
 * an array of them.
 */
import fs from "node:fs";
import path from "node:path";
import { InputError } from "../../shared/errors.js";
import type { AdvisoryText } from "./db.js";

/** Folders never read: version control and installed packages. */
const SKIPPED_DIRS = new Set([".git", "node_modules"]);

function* jsonFilesUnder(dir: string): Generator<string> {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* jsonFilesUnder(full);
    } else if (entry.isFile() && entry.name.endsWith(".json")) {
      yield full;
    }
  }
}

function isZip(file: string): boolean {
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(4);
    const n = fs.readSync(fd, head, 0, 4, 0);
    return n === 4 && head.readUInt32LE(0) === 0x04034b50;
  } finally {
    fs.closeSync(fd);
  }
}

async function* zipEntries(file: string): AsyncGenerator<AdvisoryText> {
  const yauzl = (await import("yauzl")).default;
  const zip = await new Promise<import("yauzl").ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (error, z) => (error ? reject(error) : resolve(z))),
  ).catch((error: Error) => {
    throw new InputError(`${file}: not a readable zip archive: ${error.message}`, { cause: error });
  });
  type Next = { entry: import("yauzl").Entry } | { done: true } | { error: Error };
  let waiting: ((next: Next) => void) | undefined;
  const queue: Next[] = [];
  const push = (next: Next) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(next);
    } else queue.push(next);
  };
  zip.on("entry", (entry: import("yauzl").Entry) => push({ entry }));
  zip.on("end", () => push({ done: true }));
  zip.on("error", (error: Error) => push({ error }));
  const next = () =>
    new Promise<Next>((resolve) => {
      if (queue.length > 0) resolve(queue.shift()!);
      else waiting = resolve;
    });

  zip.readEntry();
  for (;;) {
    const item = await next();
    if ("done" in item) return;
    if ("error" in item) throw new InputError(`${file}: the zip archive is damaged: ${item.error.message}`, { cause: item.error });
    const entry = item.entry;
    if (entry.fileName.endsWith("/") || !entry.fileName.endsWith(".json")) {
      zip.readEntry();
      continue;
    }
    const text = await new Promise<string>((resolve, reject) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        stream.on("error", reject);
      });
    }).catch((error: Error) => {
      throw new InputError(`${file}!/${entry.fileName}: cannot be read from the archive: ${error.message}`, { cause: error });
    });
    yield { file: `${file}!/${entry.fileName}`, text };
    zip.readEntry();
  }
}

/**
 * The advisory texts at `source` (a folder, a zip or a JSON file), one per
 * file; a file holding an array is one text (the importer splits it).
 * A source that does not exist is an InputError.
 */
export async function* advisoryTexts(source: string): AsyncGenerator<AdvisoryText> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch (error) {
    throw new InputError(`${source}: no such file or folder`, {
      cause: error,
      details: ["Give a folder of OSV JSON files, an osv.dev all.zip, or one JSON file."],
    });
  }
  if (stat.isDirectory()) {
    for (const file of jsonFilesUnder(source)) yield { file, text: fs.readFileSync(file, "utf8") };
    return;
  }
  if (isZip(source)) {
    yield* zipEntries(source);
    return;
  }
  yield { file: source, text: fs.readFileSync(source, "utf8") };
}
