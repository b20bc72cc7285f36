import { describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import { normalisedBatch, normaliseEntity, normaliseRelationship } from "../../store/records.js";
import type { NormalisedBatch } from "../../store/types.js";
import { readBulkBatchesInWorker } from "./bulk-parallel.js";
import { decodeChunks, readBulkBatches } from "./bulk-stream.js";

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, "utf8");
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** What the worker should send: readBulkBatches on this thread, normalised. */
async function expected(text: string, batchSize: number): Promise<NormalisedBatch[]> {
  const out: NormalisedBatch[] = [];
  for await (const b of readBulkBatches(chunksOf(text, 1 << 20), "g.json", batchSize)) {
    out.push(
      normalisedBatch(
        b.entities.map((e) => normaliseEntity(e, null)),
        b.relationships.map((r) => normaliseRelationship(r, null)),
        b.offset,
      ),
    );
  }
  return out;
}

async function inWorker(text: string, chunkSize: number, batchSize: number): Promise<NormalisedBatch[]> {
  const out: NormalisedBatch[] = [];
  for await (const b of readBulkBatchesInWorker(chunksOf(text, chunkSize), "g.json", batchSize)) out.push(b);
  return out;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a refusal");
}

const entity = (i: number) => ({
  _key: `repo:${i}`,
  _type: "git_repo",
  _class: i % 3 === 0 ? ["CodeRepo", "Resource"] : "CodeRepo",
  displayName: `répo ${i} ✓`,
  name: `repo-${i}`,
  ...(i % 5 === 0 ? { _source: "own", tags: ["a", "b"], open: i % 2 === 0, stars: i * 1.5 } : {}),
});
const edge = (i: number, n: number) => ({
  _key: `e:${i}`,
  _type: "repo_uses_repo",
  _class: "uses",
  _fromEntityKey: `repo:${i % n}`,
  _toEntityKey: `repo:${(i * 7) % n}`,
  ...(i % 4 === 0 ? { weight: i } : {}),
});

describe("readBulkBatchesInWorker", () => {
  it("sends the batches readBulkBatches reads, normalised, in order, with their offsets", async () => {
    const n = 2000;
    const doc = {
      entities: Array.from({ length: n }, (_, i) => entity(i)),
      relationships: Array.from({ length: 3 * n }, (_, i) => edge(i, n)),
    };
    const text = JSON.stringify(doc, null, 1);
    // More batches than the worker may run ahead, chunks that split multi-byte characters.
    const want = await expected(text, 250);
    expect(want.length).toBeGreaterThan(20);
    expect(await inWorker(text, 4097, 250)).toEqual(want);
    // Relationships before entities are held back and written last, as on this thread.
    const reversed = `{"relationships": ${JSON.stringify(doc.relationships.slice(0, 10))}, "entities": ${JSON.stringify(doc.entities)}}`;
    expect(await inWorker(reversed, 1000, 500)).toEqual(await expected(reversed, 500));
    // YAML is read whole.
    const yaml = "entities:\n  - _key: a\n    _type: t\n    _class: Resource\n";
    expect(await inWorker(yaml, 7, 10)).toEqual(await expected(yaml, 10));
  });

  it("refuses a bad file with the message readBulkBatches gives (file, line, record)", async () => {
    const good = Array.from({ length: 3000 }, (_, i) => JSON.stringify(entity(i)));
    const cases = [
      `{"entities": [\n${good.join(",\n")},\n{"_key": "x", "_type": "t"}]}`,
      `{"entities": [\n${good.join(",\n")},\n{"_key": tru}]}`,
      `{"entities": [\n${good.join(",\n")}\n`,
      "[1]",
      "",
    ];
    for (const text of cases) {
      const local = await refusal(expected(text, 1000));
      const error = await refusal(inWorker(text, 5000, 1000));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(local.message);
      expect((error as InputError).details).toEqual((local as InputError).details);
    }
    const error = await refusal(inWorker(`{"entities": [\n${good.join(",\n")},\n{"_key": "x", "_type": "t"}]}`, 5000, 1000));
    expect(error.message).toBe("g.json:3002: entities[3000]._class: is missing");
  });

  it("reads ASCII chunks, text cut inside a character and a sequence cut short as the main thread's decoder does", async () => {
    // 'ré✓' cut between every byte, an ASCII chunk after a cut sequence (E2 82, then "x": one U+FFFD)
    const head = Buffer.from('{"entities": [{"_key": "k1", "_type": "t", "_class": "CodeRepo", "name": "r', "utf8");
    const parts = [head, Buffer.from("é✓", "utf8"), Buffer.from([0xe2, 0x82]), Buffer.from('x"}, {"_key": "k2", "_type": "t", "_class": "CodeRepo"}]}', "utf8")];
    const bytes = Buffer.concat(parts);
    async function* cut(): AsyncGenerator<Buffer> {
      let at = 0;
      for (const size of [head.length, 1, 1, 1, 1, 1, 2]) {
        yield bytes.subarray(at, at + size);
        at += size;
      }
      yield bytes.subarray(at);
    }
    const out: NormalisedBatch[] = [];
    for await (const b of readBulkBatchesInWorker(cut(), "g.json", 10)) out.push(b);
    expect(out).toEqual(await expected(new TextDecoder().decode(bytes), 10));
    expect(out[0]!.entities.propsJson[0]).toContain("ré✓\ufffdx");
  });

  it("drops a byte order mark at the start of the file only, whichever way its chunks are read", async () => {
    // a mark, then ASCII; later a U+FEFF inside a name, right after an ASCII chunk: it is data
    const head = '\ufeff{"entities": [{"_key": "k1", "_type": "t", "_class": "CodeRepo", "name": "a';
    const text = `${head}\ufeffb"}]}`;
    const bytes = Buffer.from(text, "utf8");
    const cutAt = Buffer.byteLength(head, "utf8");
    for (const sizes of [[1, 2, cutAt - 3], [3, cutAt - 3], [cutAt]]) {
      async function* cut(): AsyncGenerator<Buffer> {
        let at = 0;
        for (const size of sizes) {
          yield bytes.subarray(at, at + size);
          at += size;
        }
        yield bytes.subarray(at);
      }
      const out: NormalisedBatch[] = [];
      for await (const b of readBulkBatchesInWorker(cut(), "g.json", 10)) out.push(b);
      // as `dm import` reads a small file on the main thread (decodeChunks: TextDecoder drops the leading mark)
      const mainThread: string[] = [];
      for await (const t of decodeChunks(cut())) mainThread.push(t);
      expect(mainThread.join("")).toBe(text.slice(1));
      expect(out).toEqual(await expected(text.slice(1), 10));
      expect(out[0]!.entities.propsJson[0]).toContain("a\ufeffb");
    }
  });

  it("takes over chunks that own their memory instead of copying them, and copies the others", async () => {
    const text = JSON.stringify({ entities: Array.from({ length: 3000 }, (_, i) => entity(i)) });
    const bytes = Buffer.from(text, "utf8");
    const owned: Buffer[] = [];
    const shared: Buffer[] = [];
    async function* mixed(): AsyncGenerator<Buffer> {
      for (let at = 0, i = 0; at < bytes.length; at += 64 * 1024, i++) {
        const part = bytes.subarray(at, at + 64 * 1024);
        if (i % 2 === 0) {
          // a buffer of its own, as a file stream reads
          const own = Buffer.allocUnsafeSlow(part.length);
          part.copy(own);
          owned.push(own);
          yield own;
        } else {
          shared.push(part);
          yield part;
        }
      }
    }
    const out: NormalisedBatch[] = [];
    for await (const b of readBulkBatchesInWorker(mixed(), "g.json", 500)) out.push(b);
    expect(out).toEqual(await expected(text, 500));
    // handed over: detached here; the views into the big buffer were copied and still read
    expect(owned.length).toBeGreaterThan(1);
    for (const b of owned) expect(b.buffer.byteLength).toBe(0);
    expect(Buffer.concat(shared).length).toBe(shared.reduce((n, b) => n + b.length, 0));
    expect(bytes.toString("utf8")).toBe(text);
  });

  it("passes on a failure to read the input, and stops when the reader stops", async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"entities": [');
      throw new InputError("cannot read g.json: permission denied");
    }
    const error = await refusal(
      (async () => {
        for await (const _ of readBulkBatchesInWorker(broken(), "g.json")) {
          // nothing
        }
      })(),
    );
    expect(error.message).toBe("cannot read g.json: permission denied");

    const text = JSON.stringify({ entities: Array.from({ length: 5000 }, (_, i) => entity(i)) });
    let read = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of chunksOf(text, 1000)) {
        read++;
        yield chunk;
      }
    }
    let batches = 0;
    for await (const batch of readBulkBatchesInWorker(counted(), "g.json", 100)) {
      expect(batch.entities.key).toHaveLength(100);
      if (++batches === 2) break;
    }
    // It stopped: the worker ran at most a few batches ahead, and the rest of the file was not read.
    expect(read).toBeLessThan(Math.ceil(Buffer.byteLength(text) / 1000));
  });
});
