/**
 * Terraform: the version constraints a configuration declares (`*.tf`:
 * `terraform { required_version, required_providers }`, and the legacy
 * `provider "x" { version = "..." }`) and the provider versions its lock file
 * (`.terraform.lock.hcl`) pins.
 *
 * A light HCL reader: it tokenises the whole native syntax (strings with
 * `${...}` templates, heredocs, comments `#` `//` `/* *\/`, numbers,
 * operators) and parses bodies into blocks and attributes, but only evaluates
 * literal strings and object constructors; any other expression is skipped.
 */

import { inDir } from "./common.js";
import {
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
  type TerraformProvider,
  baseName,
} from "./types.js";

const LOCK_FILE = ".terraform.lock.hcl";

/** Terraform's own working folder: downloaded modules and providers. */
const SKIPPED_DIRS = new Set([".terraform"]);

function matches(path: string): boolean {
  if (inDir(path, SKIPPED_DIRS)) return false;
  const base = baseName(path);
  return base === LOCK_FILE || (base.endsWith(".tf") && base.length > 3);
}

// ---------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: "ident"; text: string; line: number }
  /** value is undefined for a template (`"${var.x}"`) */
  | { kind: "string"; value: string | undefined; line: number }
  | { kind: "other"; text: string; line: number }
  | { kind: "punct"; text: string; line: number }
  | { kind: "newline"; line: number }
  | { kind: "eof"; line: number };

const OPERATORS = ["...", "==", "!=", "<=", ">=", "=>", "&&", "||"];
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

export function tokenize(text: string, file: string): Token[] {
  const src = text.replace(/^\uFEFF/, "");
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (message: string, at = line): never => {
    throw new ExtractError(file, message, at);
  };

  /** Scan a quoted string starting at `src[i] === '"'`; returns its value (undefined for a template). */
  const scanString = (): string | undefined => {
    const start = line;
    i++;
    let value = "";
    let template = false;
    while (i < src.length) {
      const c = src[i]!;
      if (c === '"') {
        i++;
        return template ? undefined : value;
      }
      if (c === "\n") fail("unterminated string", start);
      if (c === "\\") {
        const e = src[i + 1];
        if (e === "u" || e === "U") {
          const len = e === "u" ? 4 : 8;
          const hex = src.slice(i + 2, i + 2 + len);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) fail("bad unicode escape in string");
          value += String.fromCodePoint(Number.parseInt(hex, 16));
          i += 2 + len;
          continue;
        }
        if (e === undefined || ESCAPES[e] === undefined) fail(`bad escape "\\${e ?? ""}" in string`);
        value += ESCAPES[e!];
        i += 2;
        continue;
      }
      if ((c === "$" || c === "%") && src[i + 1] === c && src[i + 2] === "{") {
        value += `${c}{`;
        i += 3;
        continue;
      }
      if ((c === "$" || c === "%") && src[i + 1] === "{") {
        template = true;
        i += 2;
        scanInterpolation();
        continue;
      }
      value += c;
      i++;
    }
    return fail("unterminated string", start);
  };

  /** Skip to the `}` closing an interpolation (strings inside it may hold braces). */
  const scanInterpolation = () => {
    const start = line;
    let depth = 1;
    while (i < src.length) {
      const c = src[i]!;
      if (c === '"') {
        scanString();
        continue;
      }
      if (c === "\n") line++;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) {
        i++;
        return;
      }
      i++;
    }
    fail("unterminated template interpolation", start);
  };

  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") {
      tokens.push({ kind: "newline", line });
      line++;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#" || (c === "/" && src[i + 1] === "/")) {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const start = line;
      const end = src.indexOf("*/", i + 2);
      if (end < 0) fail("unterminated comment", start);
      for (let j = i; j < end; j++) if (src[j] === "\n") line++;
      i = end + 2;
      continue;
    }
    if (c === '"') {
      const at = line;
      tokens.push({ kind: "string", value: scanString(), line: at });
      continue;
    }
    const heredoc = c === "<" ? /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(src.slice(i, i + 200)) : null;
    if (heredoc) {
      const at = line;
      const word = heredoc[2]!;
      i += heredoc[0].length;
      line++;
      for (;;) {
        if (i >= src.length) fail(`unterminated heredoc <<${word}`, at);
        let end = src.indexOf("\n", i);
        if (end < 0) end = src.length;
        const body = src.slice(i, end).replace(/\r$/, "");
        i = end;
        if (body.trim() === word) break;
        i++;
        line++;
      }
      tokens.push({ kind: "other", text: "<<heredoc", line: at });
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i, i + 256));
    if (ident) {
      tokens.push({ kind: "ident", text: ident[0], line });
      i += ident[0].length;
      continue;
    }
    const num = /^[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 64));
    if (num) {
      tokens.push({ kind: "other", text: num[0], line });
      i += num[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i)) ?? c;
    tokens.push({ kind: "punct", text: op, line });
    i += op.length;
  }
  tokens.push({ kind: "eof", line });
  return tokens;
}

// ---------------------------------------------------------------------------
// Bodies and expressions

export type Expr =
  | { kind: "string"; value: string; line: number }
  | { kind: "object"; items: Array<{ key: string; value: Expr; line: number }>; line: number }
  /** anything we do not evaluate (references, function calls, templates, lists...) */
  | { kind: "other"; line: number };

export type BodyItem =
  | { kind: "attribute"; name: string; value: Expr; line: number }
  | { kind: "block"; type: string; labels: string[]; body: BodyItem[]; line: number };

const OPEN: Record<string, string> = { "{": "}", "[": "]", "(": ")" };
const CLOSERS = new Set(["}", "]", ")"]);

export function parseHcl(text: string, file: string): BodyItem[] {
  const tokens = tokenize(text, file);
  let p = 0;
  const peek = (ahead = 0) => tokens[Math.min(p + ahead, tokens.length - 1)]!;
  const isPunct = (t: Token, s: string) => t.kind === "punct" && t.text === s;
  const describe = (t: Token) =>
    t.kind === "eof" ? "end of file" : t.kind === "newline" ? "end of line" : t.kind === "string" ? "a string" : `"${t.text}"`;
  const fail = (t: Token, message: string): never => {
    throw new ExtractError(file, message, t.line);
  };
  const skipNewlines = () => {
    while (peek().kind === "newline") p++;
  };

  /** Skip one expression (or what is left of it) up to a terminator at depth 0. */
  const skipExpression = (line: number): Expr => {
    const stack: Array<{ close: string; open: Token }> = [];
    for (;;) {
      const t = peek();
      if (t.kind === "eof") {
        const open = stack.pop();
        if (open !== undefined) fail(open.open, `"${(open.open as { text: string }).text}" is never closed`);
        return { kind: "other", line };
      }
      if (stack.length === 0 && (t.kind === "newline" || isPunct(t, ",") || (t.kind === "punct" && CLOSERS.has(t.text)))) {
        return { kind: "other", line };
      }
      p++;
      if (t.kind !== "punct") continue;
      const close = OPEN[t.text];
      if (close !== undefined) stack.push({ close, open: t });
      else if (CLOSERS.has(t.text)) {
        if (stack.pop()?.close !== t.text) fail(t, `unexpected "${t.text}"`);
      }
    }
  };

  const atEnd = (t: Token) => t.kind === "newline" || t.kind === "eof" || isPunct(t, ",") || (t.kind === "punct" && CLOSERS.has(t.text));

  const parseExpression = (): Expr => {
    const start = p;
    const t = peek();
    if (t.kind === "string" && t.value !== undefined && atEnd(peek(1))) {
      p++;
      return { kind: "string", value: t.value, line: t.line };
    }
    if (isPunct(t, "{")) {
      const obj = tryObject();
      if (obj !== undefined && atEnd(peek())) return obj;
      p = start;
    }
    return skipExpression(t.line);
  };

  /** An object constructor `{ key = value, ... }`; undefined (nothing consumed) when it is something else (a for expression). */
  const tryObject = (): Expr | undefined => {
    const start = p;
    const line = peek().line;
    p++;
    const items: Array<{ key: string; value: Expr; line: number }> = [];
    for (;;) {
      skipNewlines();
      const k = peek();
      if (isPunct(k, "}")) {
        p++;
        return { kind: "object", items, line };
      }
      const key = k.kind === "ident" ? k.text : k.kind === "string" && k.value !== undefined ? k.value : undefined;
      const sep = peek(1);
      if (key === undefined || !(isPunct(sep, "=") || isPunct(sep, ":"))) {
        p = start;
        return undefined;
      }
      p += 2;
      const value = parseExpression();
      items.push({ key, value, line: k.line });
      if (isPunct(peek(), ",")) p++;
      else if (!(peek().kind === "newline" || isPunct(peek(), "}"))) {
        p = start;
        return undefined;
      }
    }
  };

  const parseBody = (closing: Token | undefined): BodyItem[] => {
    const items: BodyItem[] = [];
    for (;;) {
      skipNewlines();
      const t = peek();
      if (t.kind === "eof") {
        if (closing !== undefined) fail(closing, 'block "{" is never closed');
        return items;
      }
      if (isPunct(t, "}")) {
        if (closing === undefined) fail(t, 'unexpected "}"');
        p++;
        return items;
      }
      if (t.kind !== "ident") fail(t, `expected an attribute or a block, found ${describe(t)}`);
      const name = (t as { text: string }).text;
      p++;
      if (isPunct(peek(), "=")) {
        p++;
        items.push({ kind: "attribute", name, value: parseExpression(), line: t.line });
      } else {
        const labels: string[] = [];
        for (;;) {
          const l = peek();
          if (l.kind === "ident") labels.push(l.text);
          else if (l.kind === "string") labels.push(l.value ?? "");
          else break;
          p++;
        }
        const open = peek();
        if (!isPunct(open, "{")) fail(open, `expected "{" or "=" after "${name}", found ${describe(open)}`);
        p++;
        items.push({ kind: "block", type: name, labels, body: parseBody(open), line: t.line });
      }
      const end = peek();
      if (!(end.kind === "newline" || end.kind === "eof" || isPunct(end, "}"))) {
        fail(end, end.kind === "punct" && CLOSERS.has(end.text) ? `unexpected "${end.text}"` : `expected a new line, found ${describe(end)}`);
      }
    }
  };

  return parseBody(undefined);
}

// ---------------------------------------------------------------------------
// What Terraform declares

/** `registry.terraform.io/hashicorp/aws` and `Hashicorp/AWS` -> `hashicorp/aws`. */
export function normaliseProviderSource(source: string): string {
  const s = source.trim().toLowerCase();
  return s.startsWith("registry.terraform.io/") ? s.slice("registry.terraform.io/".length) : s;
}

function extractConfiguration(path: string, body: BodyItem[], warnings: ExtractWarning[]): ExtractResult {
  let requiredVersion: string | undefined;
  let sawTerraform = false;
  const providers = new Map<string, TerraformProvider>();
  const add = (p: TerraformProvider) => {
    const prev = providers.get(p.source);
    if (prev === undefined) providers.set(p.source, p);
    else if (prev.constraint === undefined && p.constraint !== undefined) prev.constraint = p.constraint;
  };
  const notLiteral = (line: number, what: string) =>
    warnings.push({ file: path, line, message: `${what} is not a literal string; skipped` });

  for (const item of body) {
    if (item.kind !== "block") continue;
    if (item.type === "terraform") {
      sawTerraform = true;
      for (const inner of item.body) {
        if (inner.kind === "attribute" && inner.name === "required_version") {
          if (inner.value.kind === "string") requiredVersion ??= inner.value.value;
          else notLiteral(inner.line, "required_version");
        }
        if (inner.kind !== "block" || inner.type !== "required_providers") continue;
        for (const req of inner.body) {
          if (req.kind !== "attribute") continue;
          if (req.value.kind === "string") {
            // Terraform 0.12 form: `aws = "~> 3.0"`.
            add({ source: req.name, constraint: req.value.value });
            continue;
          }
          if (req.value.kind !== "object") {
            notLiteral(req.line, `required_providers.${req.name}`);
            continue;
          }
          let source: string | undefined;
          let constraint: string | undefined;
          for (const field of req.value.items) {
            if (field.key !== "source" && field.key !== "version") continue;
            if (field.value.kind !== "string") {
              notLiteral(field.line, `required_providers.${req.name}.${field.key}`);
              continue;
            }
            if (field.key === "source") source = normaliseProviderSource(field.value.value);
            else constraint = field.value.value;
          }
          const provider: TerraformProvider = { source: source ?? req.name };
          if (constraint !== undefined) provider.constraint = constraint;
          add(provider);
        }
      }
    } else if (item.type === "provider" && item.labels.length === 1) {
      // Before Terraform 0.13: `provider "aws" { version = "~> 2.0" }`.
      for (const inner of item.body) {
        if (inner.kind !== "attribute" || inner.name !== "version") continue;
        if (inner.value.kind === "string") add({ source: item.labels[0]!, constraint: inner.value.value });
        else notLiteral(inner.line, `provider "${item.labels[0]}" version`);
      }
    }
  }
  if (!sawTerraform && providers.size === 0) return { warnings };
  const terraform: NonNullable<ExtractResult["terraform"]> = { providers: [...providers.values()] };
  if (requiredVersion !== undefined) terraform.requiredVersion = requiredVersion;
  return { terraform, warnings };
}

function extractLockFile(path: string, body: BodyItem[], warnings: ExtractWarning[]): ExtractResult {
  const providers: TerraformProvider[] = [];
  for (const item of body) {
    if (item.kind !== "block" || item.type !== "provider") continue;
    const address = item.labels[0];
    if (address === undefined || address === "" || item.labels.length !== 1) {
      warnings.push({ file: path, line: item.line, message: "provider block without a source address; skipped" });
      continue;
    }
    let version: string | undefined;
    let constraint: string | undefined;
    for (const inner of item.body) {
      if (inner.kind !== "attribute" || (inner.name !== "version" && inner.name !== "constraints")) continue;
      if (inner.value.kind !== "string") continue;
      if (inner.name === "version") version = inner.value.value;
      else constraint = inner.value.value;
    }
    if (version === undefined) {
      warnings.push({ file: path, line: item.line, message: `provider "${address}" has no version; skipped` });
      continue;
    }
    const provider: TerraformProvider = { source: normaliseProviderSource(address) };
    if (constraint !== undefined) provider.constraint = constraint;
    provider.version = version;
    providers.push(provider);
  }
  return { terraform: { providers }, warnings };
}

function extract({ path, content }: ExtractInput): ExtractResult {
  const body = parseHcl(content, path);
  const warnings: ExtractWarning[] = [];
  return baseName(path) === LOCK_FILE ? extractLockFile(path, body, warnings) : extractConfiguration(path, body, warnings);
}

export const terraformExtractor: Extractor = { id: "terraform", matches, extract };
