/**
 * A bulk file read on a worker thread: scanning, JSON.parse, validation and
 * normalisation (most of an import's JavaScript) run there while the main
 * thread writes the previous batch, so the two overlap on two cores. The
 * batches, their order, offsets and every error are those of
 * readBulkBatches (the worker runs it); the records arrive normalised
 * (NormalisedBatch), ready for upsertMany.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError } from "../../shared/errors.js";
import type { NormalisedBatch } from "../../store/types.js";
import type { FromWorker, ToWorker } from "./bulk-worker.js";

let bundled: string | undefined;

/**
 * The worker: the built JavaScript next to this module or, run from source
 * (tests, the bench), the TypeScript bundled once per process with esbuild
 * (a dev dependency; a worker's entry does not go through tsx's hooks).
 */
function startWorker(workerData: unknown): Worker {
  const js = new URL("./bulk-worker.js", import.meta.url);
  if (fs.existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  if (!bundled) {
    const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
    const { outputFiles } = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL("./bulk-worker.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      write: false,
      logLevel: "silent",
    });
    const code = outputFiles[0]!.text;
    // Under node_modules, so that the bundle's packages resolve as the source's
    // do; named by its content, so processes share it and nothing piles up.
    const dir = fileURLToPath(new URL("../../../node_modules/.cache/dm-bulk-worker", import.meta.url));
    const file = path.join(dir, `bulk-worker-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dir, { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, code);
      fs.renameSync(temp, file);
    }
    bundled = file;
  }
  return new Worker(bundled, { workerData });
}

/**
 * The memory a chunk can hand over to the worker rather than have copied: a
 * buffer that is the whole of its own ArrayBuffer (as a file stream's 4 MiB
 * reads are). Copying them cost the main thread about 1 ms per MiB, time it
 * should spend writing. A string, or a view into memory shared with other
 * buffers (Node's pool, a slice), is copied.
 */
function transferable(data: string | Uint8Array): ArrayBuffer[] {
  if (typeof data === "string") return [];
  const memory = data.buffer;
  return memory instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === memory.byteLength ? [memory] : [];
}

export async function* readBulkBatchesInWorker(
  chunks: AsyncIterable<string | Buffer>,
  name: string,
  batchSize = 10_000,
): AsyncGenerator<NormalisedBatch> {
  const worker = startWorker({ name, batchSize });
  const input = chunks[Symbol.asyncIterator]();
  const batches: NormalisedBatch[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    notify();
  };
  const send = (message: ToWorker) => worker.postMessage(message, message.type === "chunk" ? transferable(message.data) : []);
  let ended = false;
  /** Reads run one at a time, in order. */
  let reading: Promise<void> = Promise.resolve();
  const readOne = async () => {
    if (ended || failure) return;
    try {
      const next = await input.next();
      if (next.done) {
        ended = true;
        send({ type: "end" });
      } else {
        send({ type: "chunk", data: next.value });
      }
    } catch (error) {
      fail(error);
    }
  };
  worker.on("message", (message: FromWorker) => {
    switch (message.type) {
      case "more":
        reading = reading.then(readOne);
        return;
      case "batch":
        batches.push(message.batch);
        notify();
        return;
      case "done":
        finished = true;
        notify();
        return;
      case "error":
        fail(
          message.input
            ? new InputError(message.message, { details: message.details })
            : new Error(`reading ${name} failed: ${message.message}`),
        );
    }
  });
  worker.on("error", fail);
  worker.on("exit", (code) => {
    if (!finished) fail(new Error(`reading ${name} failed: the worker thread stopped (exit code ${code})`));
  });
  try {
    for (;;) {
      if (failure) throw failure.error;
      const batch = batches.shift();
      if (batch) {
        yield batch;
        // Taken and written: the worker may post another.
        send({ type: "credit" });
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    await worker.terminate();
    if (!ended) await input.return?.();
  }
}
