/**
 * Reading a bulk file as a stream: a JSON bulk file of a million entities is
 * larger than the longest string V8 can hold (512 MiB), so it cannot be read
 * whole. The scanner below walks the top-level object
 * `{"entities": [...], "relationships": [...]}` character by character, cuts
 * out each array element, and hands it to JSON.parse on its own. Memory stays
 * at one element plus one read chunk, and every error carries the line.
 *
 * YAML files (written by people, small) are read whole.
 */
import { Buffer, isAscii } from "node:buffer";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";
import { parseBulkText, validateEntity, validateRelationship } from "./bulk-file.js";

type Section = "entities" | "relationships";

export interface ScannedRecord {
  section: Section;
  /** index within its section */
  index: number;
  /** line where the record starts (1-based) */
  line: number;
  value: unknown;
  /** the entities list had ended before this record (so its ends are all written) */
  afterEntities: boolean;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** A YAML file is read whole; past this size it must be JSON. */
const MAX_YAML_BYTES = 256 * 1024 * 1024;

type State = "start" | "key" | "colon" | "value" | "arrayStart" | "element" | "afterElement" | "afterValue" | "end";

/** Incremental scanner over the text of a JSON bulk file. */
export class BulkJsonScanner {
  private buf = "";
  private pos = 0;
  private line = 1;
  /** absolute offset of the start of the current line, minus the consumed text */
  private lineStart = 0;
  private state: State = "start";
  private key = "";
  private section: Section | undefined;
  private readonly seen = new Set<string>();
  private readonly counts = { entities: 0, relationships: 0 };
  private entitiesClosed = false;
  // The element being cut out.
  private elementStart = -1;
  private elementLine = 0;
  private elementColumn = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly name: string) {}

  private fail(message: string, line = this.line, column = this.pos - this.lineStart + 1): never {
    throw new InputError(`${this.name}:${line}:${column}: ${message}`, {
      details: ['A bulk file is { "entities": [ ... ], "relationships": [ ... ] }.'],
    });
  }

  private describe(code: number): string {
    return Number.isNaN(code) ? "end of file" : JSON.stringify(String.fromCharCode(code));
  }

  /** Skip whitespace; false when the buffer ran out. */
  private skipSpace(): boolean {
    const buf = this.buf;
    while (this.pos < buf.length) {
      const c = buf.charCodeAt(this.pos);
      if (!WS.has(c)) return true;
      if (c === 0x0a) {
        this.line++;
        this.lineStart = this.pos + 1;
      }
      this.pos++;
    }
    return false;
  }

  /** Feed the next piece of text; returns the records completed in it. */
  feed(chunk: string): ScannedRecord[] {
    // Drop what has been consumed, keeping the element being cut out.
    const keep =
      this.elementStart >= 0 ? this.elementStart : this.state === "key" && this.keyStart >= 0 ? this.keyStart : this.pos;
    if (keep > 0) {
      this.buf = this.buf.slice(keep);
      this.pos -= keep;
      this.lineStart -= keep;
      if (this.elementStart >= 0) this.elementStart -= keep;
      if (this.keyStart >= 0) this.keyStart -= keep;
    }
    this.buf += chunk;
    const out: ScannedRecord[] = [];
    this.run(out, false);
    return out;
  }

  /** End of input: the file must be complete. */
  finish(): ScannedRecord[] {
    const out: ScannedRecord[] = [];
    this.run(out, true);
    if (this.state !== "end") {
      if (this.state === "start") this.fail("the file is empty");
      this.fail("unexpected end of file: the JSON is cut short");
    }
    return out;
  }

  private keyStart = -1;

  private run(out: ScannedRecord[], atEnd: boolean): void {
    const buf = this.buf;
    for (;;) {
      switch (this.state) {
        case "start": {
          if (!this.skipSpace()) return;
          const c = buf.charCodeAt(this.pos);
          if (c !== 0x7b /* { */) {
            this.fail(
              c === 0x5b
                ? "the file must be an object with \"entities\" and/or \"relationships\" lists, not a list"
                : `expected "{" but found ${this.describe(c)}`,
            );
          }
          this.pos++;
          this.state = "key";
          this.keyStart = -1;
          break;
        }
        case "key": {
          if (this.keyStart < 0) {
            if (!this.skipSpace()) return;
            const c = buf.charCodeAt(this.pos);
            if (c === 0x7d /* } */ && this.seen.size === 0) {
              this.pos++;
              this.state = "end";
              break;
            }
            if (c !== 0x22 /* " */) this.fail(`expected a key in double quotes but found ${this.describe(c)}`);
            this.keyStart = this.pos;
            this.pos++;
            this.escaped = false;
          }
          // Scan to the closing quote.
          let closed = false;
          while (this.pos < buf.length) {
            const c = buf.charCodeAt(this.pos++);
            if (this.escaped) this.escaped = false;
            else if (c === 0x5c) this.escaped = true;
            else if (c === 0x22) {
              closed = true;
              break;
            }
          }
          if (!closed) {
            if (atEnd) this.fail("unexpected end of file inside a key");
            return;
          }
          this.key = JSON.parse(buf.slice(this.keyStart, this.pos)) as string;
          this.keyStart = -1;
          if (this.key !== "entities" && this.key !== "relationships") {
            this.fail(`unknown top-level key "${this.key}"; only "entities" and "relationships" are read`);
          }
          if (this.seen.has(this.key)) this.fail(`"${this.key}" appears twice`);
          this.seen.add(this.key);
          this.state = "colon";
          break;
        }
        case "colon": {
          if (!this.skipSpace()) return;
          const c = buf.charCodeAt(this.pos);
          if (c !== 0x3a /* : */) this.fail(`expected ":" after "${this.key}" but found ${this.describe(c)}`);
          this.pos++;
          this.state = "value";
          break;
        }
        case "value": {
          if (!this.skipSpace()) return;
          const c = buf.charCodeAt(this.pos);
          if (c === 0x6e /* n */) {
            // null: the same as an empty list
            if (buf.length - this.pos < 4) {
              if (atEnd) this.fail(`"${this.key}" must be a list`);
              return;
            }
            if (buf.slice(this.pos, this.pos + 4) !== "null") this.fail(`"${this.key}" must be a list`);
            this.pos += 4;
            this.state = "afterValue";
            break;
          }
          if (c !== 0x5b /* [ */) this.fail(`"${this.key}" must be a list`);
          this.pos++;
          this.section = this.key as Section;
          this.state = "arrayStart";
          break;
        }
        case "arrayStart": {
          if (!this.skipSpace()) return;
          if (buf.charCodeAt(this.pos) === 0x5d /* ] */) {
            this.pos++;
            this.closeList();
            break;
          }
          this.state = "element";
          break;
        }
        case "element": {
          if (this.elementStart < 0) {
            if (!this.skipSpace()) return;
            this.elementStart = this.pos;
            this.elementLine = this.line;
            this.elementColumn = this.pos - this.lineStart + 1;
            this.depth = 0;
            this.inString = false;
            this.escaped = false;
          }
          if (!this.scanElement(atEnd)) return;
          const text = buf.slice(this.elementStart, this.pos);
          out.push(this.parseElement(text));
          this.elementStart = -1;
          this.state = "afterElement";
          break;
        }
        case "afterElement": {
          if (!this.skipSpace()) return;
          const c = buf.charCodeAt(this.pos);
          this.pos++;
          if (c === 0x2c /* , */) this.state = "element";
          else if (c === 0x5d /* ] */) this.closeList();
          else {
            this.pos--;
            this.fail(`expected "," or "]" in the ${this.section} list but found ${this.describe(c)}`);
          }
          break;
        }
        case "afterValue": {
          if (!this.skipSpace()) return;
          const c = buf.charCodeAt(this.pos);
          this.pos++;
          if (c === 0x2c /* , */) {
            this.state = "key";
            this.keyStart = -1;
          } else if (c === 0x7d /* } */) this.state = "end";
          else {
            this.pos--;
            this.fail(`expected "," or "}" but found ${this.describe(c)}`);
          }
          break;
        }
        case "end": {
          if (!this.skipSpace()) return;
          this.fail(`unexpected ${this.describe(buf.charCodeAt(this.pos))} after the end of the JSON`);
        }
      }
    }
  }

  private closeList(): void {
    if (this.section === "entities") this.entitiesClosed = true;
    this.section = undefined;
    this.state = "afterValue";
  }

  /** Advance to the end of the element; false when more text is needed. */
  private scanElement(atEnd: boolean): boolean {
    const buf = this.buf;
    let { pos, depth, inString, escaped, line, lineStart } = this;
    let done = false;
    while (pos < buf.length) {
      const c = buf.charCodeAt(pos);
      if (c === 0x0a) {
        line++;
        lineStart = pos + 1;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        pos++;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) {
          done = true; // the list's own "]" (or a stray "}") ends a primitive element
          break;
        }
        depth--;
        if (depth === 0) {
          pos++;
          done = true;
          break;
        }
      } else if (c === 0x2c && depth === 0) {
        done = true;
        break;
      }
      pos++;
    }
    this.pos = pos;
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.line = line;
    this.lineStart = lineStart;
    if (!done && atEnd) this.fail("unexpected end of file inside a record", this.elementLine, this.elementColumn);
    return done;
  }

  private parseElement(text: string): ScannedRecord {
    const section = this.section!;
    const index = this.counts[section]++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const at = /position (\d+)/.exec((error as Error).message);
      let line = this.elementLine;
      let column = this.elementColumn;
      if (at) {
        const offset = Number(at[1]);
        for (let i = 0; i < offset && i < text.length; i++) {
          if (text.charCodeAt(i) === 0x0a) {
            line++;
            column = 1;
          } else column++;
        }
      }
      const reason = (error as Error).message.replace(/ in JSON at position \d+.*$/s, "").replace(/^Unexpected/, "unexpected");
      throw new InputError(`${this.name}:${line}:${column}: ${section}[${index}] is not valid JSON (${reason})`, {
        cause: error,
      });
    }
    return { section, index, line: this.elementLine, value, afterEntities: this.entitiesClosed };
  }
}

/**
 * Read, validate and batch a bulk file given as text chunks. Entities come
 * before relationships in every batch; relationships that precede the
 * entities in the file are held back until the entities are done.
 */
export async function* readBulkBatches(
  chunks: AsyncIterable<string | Buffer>,
  name: string,
  batchSize = 10_000,
): AsyncGenerator<GraphBatch> {
  const iterator = chunks[Symbol.asyncIterator]();
  let first = "";
  // Sniff the first non-blank character: JSON streams, YAML is read whole.
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    first += typeof next.value === "string" ? next.value : next.value.toString("utf8");
    if (first.trim().length > 0) break;
  }
  const lead = first.trimStart()[0];
  if (lead === undefined) throw new InputError(`${name}: is empty`, { details: ['A bulk file is { "entities": [...], "relationships": [...] }.'] });
  if (lead !== "{" && lead !== "[") {
    let text = first;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      text += typeof next.value === "string" ? next.value : next.value.toString("utf8");
      if (text.length > MAX_YAML_BYTES) {
        throw new InputError(`${name}: a YAML bulk file may be at most 256 MiB; write large graphs as JSON`);
      }
    }
    yield parseBulkText(text, name);
    return;
  }

  const scanner = new BulkJsonScanner(name);
  let entities: EntityRecord[] = [];
  let relationships: RelationshipRecord[] = [];
  /** relationships read before the entities list ended: written last */
  const held: RelationshipRecord[] = [];
  let offset = { entities: 0, relationships: 0 };

  const take = (): GraphBatch => {
    const batch: GraphBatch = { entities, relationships, offset };
    offset = { entities: offset.entities + entities.length, relationships: offset.relationships + relationships.length };
    entities = [];
    relationships = [];
    return batch;
  };
  function* accept(records: ScannedRecord[]): Generator<GraphBatch> {
    for (const r of records) {
      try {
        if (r.section === "entities") entities.push(validateEntity(r.value, r.index));
        else (r.afterEntities ? relationships : held).push(validateRelationship(r.value, r.index));
      } catch (error) {
        if (error instanceof InputError) {
          throw new InputError(`${name}:${r.line}: ${error.message}`, { cause: error, details: error.details });
        }
        throw error;
      }
      if (entities.length + relationships.length >= batchSize) yield take();
    }
  }

  let text = first;
  for (;;) {
    yield* accept(scanner.feed(text));
    const next = await iterator.next();
    if (next.done) break;
    text = typeof next.value === "string" ? next.value : next.value.toString("utf8");
  }
  yield* accept(scanner.finish());
  if (held.length > 0) {
    // Their offsets: held relationships came first in the file.
    if (entities.length > 0 || relationships.length > 0) yield take();
    yield { entities: [], relationships: held, offset: { entities: offset.entities, relationships: 0 } };
    return;
  }
  if (entities.length > 0 || relationships.length > 0) yield take();
}

/**
 * Chunks of UTF-8 as text (both import paths: decodeChunks here, the
 * worker's in bulk-worker.ts), exactly as one streaming TextDecoder makes them
 * (a byte order mark dropped at the start of the file only, a sequence cut
 * between chunks joined, a bad one U+FFFD). A chunk of ASCII only (most bulk
 * files, where anything else is escaped) is read as Latin-1, the same text at
 * a tenth of the cost of validating UTF-8 (0.3-0.9 s of the worker at 165
 * MB), unless the decoder holds the start of a sequence the previous chunk
 * cut: then it goes through the decoder too.
 */
export class Utf8Chunks {
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

/** Text chunks of a byte stream, never splitting a multi-byte character. */
export async function* decodeChunks(stream: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  const decoder = new Utf8Chunks();
  for await (const chunk of stream) {
    if (typeof chunk === "string") yield chunk;
    else yield decoder.decode(chunk);
  }
  const rest = decoder.end();
  if (rest) yield rest;
}
