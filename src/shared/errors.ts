/**
 * Typed errors. The CLI turns them into exit codes in one place (cli/main.ts)
 * and the server into HTTP statuses in one place.
 */
export abstract class DmError extends Error {
  abstract readonly code: string;
  /** Process exit code for the CLI. */
  abstract readonly exitCode: number;
  /** Extra lines shown under the message (a hint, a caret). */
  readonly details: string[];

  constructor(message: string, options?: { cause?: unknown; details?: string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details ?? [];
  }
}

/** Bad input or usage: exit 2. */
export class InputError extends DmError {
  readonly code = "bad_input";
  readonly exitCode = 2;
}

export class NotFoundError extends DmError {
  readonly code = "not_found";
  readonly exitCode = 2;
}

export class ConflictError extends DmError {
  readonly code = "conflict";
  readonly exitCode = 2;
}

export class AuthError extends DmError {
  readonly code = "unauthorized";
  readonly exitCode = 2;
}

/** An external service or the database is unreachable or failed: exit 3. */
export class ExternalServiceError extends DmError {
  readonly code = "external_service";
  readonly exitCode = 3;
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown; details?: string[] },
  ) {
    super(message, options);
  }
}

/** A check or policy found a problem: exit 1. */
export class CheckFailedError extends DmError {
  readonly code = "check_failed";
  readonly exitCode = 1;
}

export interface SourcePosition {
  /** 0-based offset into the query text. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** Length of the offending token (at least 1 for the caret). */
  length: number;
}

/**
 * A J1QL query that cannot be parsed, compiled or is not supported yet.
 * Always carries the position so the user sees a caret under the mistake.
 */
export class QueryError extends DmError {
  readonly code = "query_error";
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly query: string,
    readonly position: SourcePosition | undefined,
    options?: { cause?: unknown; expected?: string[] },
  ) {
    super(formatQueryMessage(message, position, options?.expected ?? []), {
      cause: options?.cause,
      details: position ? caretLines(query, position) : [],
    });
    this.expected = options?.expected ?? [];
    this.reason = message;
  }
  readonly expected: string[];
  /** The message without the position suffix. */
  readonly reason: string;
}

export function caretLines(text: string, pos: SourcePosition): string[] {
  const line = text.split(/\r?\n/)[pos.line - 1] ?? "";
  const width = Math.max(1, Math.min(pos.length, Math.max(1, line.length - (pos.column - 1))));
  return [`  ${line}`, `  ${" ".repeat(Math.max(0, pos.column - 1))}${"^".repeat(width)}`];
}

/** Compute a SourcePosition from an offset. */
export function positionAt(text: string, offset: number, length = 1): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1, length: Math.max(1, length) };
}

function formatQueryMessage(reason: string, pos: SourcePosition | undefined, expected: string[]): string {
  let text = pos ? `${reason} at line ${pos.line}, column ${pos.column}` : reason;
  if (expected.length > 0) text += `; expected ${listOr(expected)}`;
  return text;
}

/** `a`, `a or b`, `a, b or c` */
export function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/**
 * A statement ran past its time limit and was cancelled (PostgreSQL) or
 * abandoned (SQLite): exit 3, HTTP 504. The database itself is fine.
 */
export class QueryTimeoutError extends ExternalServiceError {
  constructor(
    readonly timeoutMs: number,
    options?: { cause?: unknown; details?: string[] },
  ) {
    super("database", `the query took longer than ${timeoutMs} ms and was stopped`, {
      ...options,
      details: options?.details ?? ["Narrow it (a type, a class, a property filter) or ask for fewer rows."],
    });
  }
}
