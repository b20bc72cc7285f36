/**
 * JSON for the extractors: parsing with the line of a syntax error, and
 * finding the line of a key without building a position map (the lines are
 * only wanted for warnings, so good files pay nothing for them).
 */
import { lineAt } from "./common.js";
import { ExtractError } from "./types.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isJsonObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON.parse, turning a syntax error into an ExtractError with the line when V8 says where. */
export function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    let line: number | undefined;
    const lineColumn = /\(line (\d+) column \d+\)/.exec(message);
    const position = /at position (\d+)/.exec(message);
    if (lineColumn) line = Number(lineColumn[1]);
    else if (position) line = lineAt(text, Number(position[1]));
    else if (/end of JSON input/.test(message)) line = lineAt(text, text.length);
    throw new ExtractError(file, `not valid JSON: ${message}`, line, { cause: error });
  }
}

/**
 * JSON.parse; on a syntax error the line comes from scanning the text for
 * where it stops being JSON (V8's message does not always say), and the
 * message is the first line of V8's, at most 120 characters.
 */
export function parseJsonLocated(file: string, text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    const { line, message } = describeJsonError(text, error);
    throw new ExtractError(file, `not valid JSON: ${message}`, line, { cause: error });
  }
}

/** For a JSON.parse error on `text`: the line where the text stops being JSON and the first line of the message (at most 120 characters). */
export function describeJsonError(text: string, error: unknown): { line: number; message: string } {
  const at = Math.min(jsonErrorOffset(text), text.length);
  return { line: lineAt(text, at), message: (error as Error).message.split("\n")[0]!.slice(0, 120) };
}

class JsonStop {
  constructor(readonly offset: number) {}
}

/** Where JSON.parse gives up: V8 does not always say (`Unexpected token ...`). */
export function jsonErrorOffset(s: string): number {
  let i = 0;
  const stop = (): never => {
    throw new JsonStop(i);
  };
  const ws = () => {
    while (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r") i++;
  };
  const str = () => {
    i++;
    for (;;) {
      const c = s.charCodeAt(i);
      if (i >= s.length || c < 0x20) stop();
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        const e = s[i + 1] ?? "";
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) i += 6;
        else if (e !== "" && '"\\/bfnrt'.includes(e)) i += 2;
        else stop();
      } else i++;
    }
  };
  const scalar = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (s[i] === close) {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (close === "}") {
          if (s[i] !== '"') stop();
          str();
          ws();
          if (s[i] !== ":") stop();
          i++;
        }
        value();
        ws();
        if (s[i] === ",") i++;
        else if (s[i] === close) {
          i++;
          return;
        } else stop();
      }
    }
    if (c === '"') {
      str();
      return;
    }
    scalar.lastIndex = i;
    const m = scalar.exec(s);
    if (!m) stop();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < s.length) stop();
    return s.length;
  } catch (e) {
    if (e instanceof JsonStop) return e.offset;
    throw e;
  }
}

/**
 * 1-based line where the object key at `path` (keys from the top-level
 * object down) is written, by scanning the JSON text without building values.
 * Only called for warnings, so the linear scan costs nothing on good files.
 */
export function jsonKeyLine(text: string, path: readonly string[]): number | undefined {
  if (path.length === 0) return undefined;
  // For each open container: does it sit exactly at path[0..depth)?
  const onPath: boolean[] = [];
  const isObject: boolean[] = [];
  let expectKey = false;
  let nextOnPath = true; // the top-level value
  let line = 1;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
    } else if (c === 34) {
      // string
      const start = i + 1;
      let escaped = false;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92) {
          escaped = true;
          i += 2;
          continue;
        }
        if (d === 34 || d === 10) break;
        i++;
      }
      if (i >= n || text.charCodeAt(i) === 10) return undefined; // broken JSON
      const depth = onPath.length - 1;
      if (expectKey && depth >= 0 && onPath[depth] && depth < path.length) {
        let key = text.slice(start, i);
        if (escaped) {
          try {
            key = JSON.parse(`"${key}"`) as string;
          } catch {
            return undefined;
          }
        }
        if (key === path[depth]) {
          if (depth === path.length - 1) return line;
          nextOnPath = true;
        } else {
          nextOnPath = false;
        }
      } else if (expectKey) {
        nextOnPath = false;
      }
      expectKey = false;
    } else if (c === 123 || c === 91) {
      // { or [
      onPath.push(nextOnPath);
      isObject.push(c === 123);
      expectKey = c === 123;
      nextOnPath = false;
    } else if (c === 125 || c === 93) {
      onPath.pop();
      isObject.pop();
      expectKey = false;
      nextOnPath = false;
    } else if (c === 44) {
      // ,
      expectKey = isObject[isObject.length - 1] === true;
      nextOnPath = false;
    }
  }
  return undefined;
}
