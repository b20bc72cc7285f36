/**
 * The worker thread of readBulkBatchesInWorker (bulk-parallel.ts): it asks
 * for the file's text chunk by chunk, scans, parses, validates and
 * normalises the records, and posts each batch back as lists of strings,
 * one per column (cheap to copy between threads, unlike objects). It runs at most WINDOW batches ahead of the
 * writer, so memory stays bounded whatever the file's size.
 */
import { parentPort, workerData } from "node:worker_threads";
import { DmError } from "../../shared/errors.js";
import { normalisedBatch, normaliseEntity, normaliseRelationship } from "../../store/records.js";
import { readBulkBatches, Utf8Chunks } from "./bulk-stream.js";

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

/** The text, asked for one chunk ahead so that reading overlaps parsing. */
async function* chunks(): AsyncGenerator<string> {
  const decoder = new Utf8Chunks();
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
