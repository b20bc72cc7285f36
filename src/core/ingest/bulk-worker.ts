/**
 * The worker thread of readBulkBatchesInWorker (bulk-parallel.ts): it asks
 * for the file's text chunk by chunk, scans, parses, validates and
 * normalises the records, and posts each batch back as lists of strings,
 * one per column (cheap to copy between threads, unlike objects). It runs at most WINDOW batches ahead of the
 * writer, so memory stays bounded whatever the file's size.
 */
import { Buffer, isAscii } from "node:buffer";
import { parentPort, workerData } from "node:worker_threads";
import { DmError } from "../../shared/errors.js";
import { normalisedBatch, normaliseEntity, normaliseRelationship } from "../../store/records.js";
import { readBulkBatches } from "./bulk-stream.js";

/** What the main thread sends. */
export type ToWorker = { type: "chunk"; data: string | Uint8Array } | { type: "end" } | { type: "credit" };
/** What the worker sends. */
export type FromWorker =
  | { type: "more" }
  | { type: "batch"; batch: import("../../store/types.js").NormalisedBatch }
  | { type: "error"; message: string; details: string[]; input: boolean }
  | { type: "done" };

/** Batches posted ahead of the writer, at most. */
export const WINDOW = 3;

const port = parentPort!;
const { name, batchSize } = workerData as { name: string; batchSize: number };

/** Chunks and the end of input, in order; credits are only counted. */
const inbox: ToWorker[] = [];
let credits = WINDOW;
let wake: (() => void) | undefined;
port.on("message", (message: ToWorker) => {
  if (message.type === "credit") credits++;
  else inbox.push(message);
  const w = wake;
  wake = undefined;
  w?.();
});

function message(): Promise<void> {
  return new Promise<void>((resolve) => {
    wake = resolve;
  });
}

async function next(): Promise<ToWorker> {
  while (inbox.length === 0) await message();
  return inbox.shift()!;
}

/** Wait until the writer has taken a batch, when WINDOW are out. */
async function credit(): Promise<void> {
  while (credits === 0) await message();
  credits--;
}

/**
 * Chunks of UTF-8 as text, exactly as one streaming TextDecoder makes them
 * (a byte order mark dropped at the start of the file only, a sequence cut
 * between chunks joined, a bad one U+FFFD). A chunk of ASCII only (most bulk
 * files, where anything else is escaped) is read as Latin-1, the same text at
 * a tenth of the cost of validating UTF-8 (0.3-0.9 s of the worker at 165
 * MB), unless the decoder holds the start of a sequence the previous chunk
 * cut: then it goes through the decoder too.
 */
class ChunkDecoder {
  // the mark is dropped here, at the start of the text only, whichever way the first chunk was read
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  private started = false;
  /** the stream's last bytes (at most 4): whether the decoder may hold an unfinished sequence */
  private tail: number[] = [];

  decode(data: Uint8Array): string {
    let text =
      !this.unfinished() && isAscii(data)
        ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1")
        : this.decoder.decode(data, { stream: true });
    this.tail = [...this.tail, ...data.subarray(Math.max(0, data.length - 4))].slice(-4);
    if (!this.started && text !== "") {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }

  end(): string {
    const rest = this.decoder.decode();
    return this.started || rest.charCodeAt(0) !== 0xfeff ? rest : rest.slice(1);
  }

  /**
   * The last lead byte of the stream starts a sequence longer than what
   * follows it. Saying so of a bad lead byte only sends a chunk the slow way;
   * a real unfinished sequence always ends within the last 4 bytes.
   */
  private unfinished(): boolean {
    for (let i = this.tail.length - 1; i >= 0; i--) {
      const c = this.tail[i]!;
      if ((c & 0xc0) === 0x80) continue; // a continuation byte
      const length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      return length > this.tail.length - i;
    }
    return this.tail.length > 0;
  }
}

/** The text, asked for one chunk ahead so that reading overlaps parsing. */
async function* chunks(): AsyncGenerator<string> {
  const decoder = new ChunkDecoder();
  port.postMessage({ type: "more" } satisfies FromWorker);
  port.postMessage({ type: "more" } satisfies FromWorker);
  for (;;) {
    const message = await next();
    if (message.type !== "chunk") break;
    port.postMessage({ type: "more" } satisfies FromWorker);
    const text = typeof message.data === "string" ? message.data : decoder.decode(message.data);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

try {
  for await (const batch of readBulkBatches(chunks(), name, batchSize)) {
    await credit();
    const message: FromWorker = {
      type: "batch",
      // Normalised with no default source (null): the upsert fills in its own.
      batch: normalisedBatch(
        batch.entities.map((record) => normaliseEntity(record, null)),
        batch.relationships.map((record) => normaliseRelationship(record, null)),
        batch.offset,
      ),
    };
    port.postMessage(message);
  }
  port.postMessage({ type: "done" } satisfies FromWorker);
} catch (error) {
  const e = error as Error;
  port.postMessage({
    type: "error",
    message: e.message ?? String(error),
    details: error instanceof DmError ? error.details : [],
    input: error instanceof DmError && error.code === "bad_input",
  } satisfies FromWorker);
}
