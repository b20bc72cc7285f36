/**
 * pip requirements files: `requirements.txt`, `requirements-*.txt`,
 * `*-requirements.txt` (also with `_`) and the `.txt` files of a
 * `requirements/` folder. Only pinned lines (`name==1.2.3`, `name===1.2.3`)
 * say which version is used; everything in the file is declared by the
 * project, so every package is direct.
 *
 * What the reader understands: comments, `\` line continuations (the
 * `--hash=...` lines pip-compile writes), extras (`name[socks]==1`),
 * environment markers (`; python_version < "3.8"`, kept: the line is still a
 * declaration), per-requirement options after the specifier (`--hash=...`,
 * `--config-settings=k=v`, `-C k=v`, `--global-option=...`: as pip reads a
 * line, they start at the first space-separated token that starts with `-`). Skipped without
 * a warning: options (`-r`, `-c`, `-e`, `-i`, `--index-url`, ...), direct
 * references (`name @ https://...`, `git+https://...`, local paths). Skipped
 * with a warning: lines that are not pinned (`flask>=2`, `flask`,
 * `flask==2.*`) and lines that are not requirements at all.
 *
 * Development files: a file whose name (or, in a `requirements/` folder, whose
 * own name) has a `dev`/`test` word (`requirements-dev.txt`,
 * `dev-requirements.txt`, `requirements/test.txt`, `test_requirements.txt`)
 * declares devDependencies.
 */

import { inForeignDir, PackageCollector } from "./common.js";
import {
  baseName,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

/** PEP 503: lower-case, runs of `-`, `_`, `.` become one `-`. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

function matches(path: string): boolean {
  if (inForeignDir(path)) return false;
  const base = baseName(path).toLowerCase();
  if (!base.endsWith(".txt")) return false;
  if (base === "requirements.txt") return true;
  if (/^requirements[-_.].+\.txt$/.test(base) || /^.+[-_.]requirements\.txt$/.test(base)) return true;
  const parts = path.split("/");
  return parts.length >= 2 && parts[parts.length - 2]!.toLowerCase() === "requirements";
}

const DEV_WORDS = new Set(["dev", "devel", "develop", "development", "test", "tests", "testing"]);

function isDevFile(path: string): boolean {
  const stem = baseName(path).toLowerCase().replace(/\.txt$/, "");
  return stem.split(/[-_.]+/).some((w) => DEV_WORDS.has(w));
}

/** PEP 508 names: letters and digits, with `.`, `-`, `_` inside. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const VERSION = /^[A-Za-z0-9!+._-]+$/;
/** A direct reference or a local path instead of a name. */
const NOT_A_NAME = /^(?:[a-z][a-z0-9+.-]*:\/\/|git\+|hg\+|svn\+|bzr\+|file:|\.{0,2}\/|~|[A-Za-z]:[\\/])/i;

/** One logical line: continuations joined, comments removed. */
interface LogicalLine {
  text: string;
  /** 1-based line where it starts */
  line: number;
}

function logicalLines(path: string, content: string): LogicalLine[] {
  const lines = content.split("\n");
  const out: LogicalLine[] = [];
  let text = "";
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i]!;
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    if (raw.startsWith("<<<<<<<")) throw new ExtractError(path, "merge conflict marker", i + 1);
    // A comment runs from a `#` at the start or after whitespace (a URL's `#egg=` stays).
    const hash = raw.search(/(?:^|\s)#/);
    const comment = hash >= 0;
    if (comment) raw = raw.slice(0, hash);
    if (text === "") start = i + 1;
    if (!comment && raw.endsWith("\\")) {
      text += `${raw.slice(0, -1)} `;
      continue;
    }
    text += raw;
    const trimmed = text.trim();
    if (trimmed !== "") out.push({ text: trimmed, line: start });
    text = "";
  }
  const trimmed = text.trim();
  if (trimmed !== "") out.push({ text: trimmed, line: start });
  return out;
}

type Parsed =
  | { kind: "package"; name: string; version: string }
  | { kind: "skip" }
  | { kind: "warn"; message: string; notice?: boolean };

/** Reads one requirement line. */
export function parseRequirement(text: string): Parsed {
  if (text.startsWith("-")) return { kind: "skip" };
  if (NOT_A_NAME.test(text)) return { kind: "skip" };
  const m = NAME.exec(text);
  if (!m) return { kind: "warn", message: `not a requirement: ${JSON.stringify(text)}` };
  const name = m[0];
  let rest = text.slice(name.length).trimStart();
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return { kind: "warn", message: `${name}: unclosed extras` };
    rest = rest.slice(close + 1).trimStart();
  }
  // Per-requirement options and the environment marker are not the version. As pip's
  // break_args_options() reads a line: the options start at the first space-separated
  // token that starts with `-` (`--hash=...`, `--config-settings=k=v`, `-C k=v`).
  const option = rest.search(/(?:^|\s)-/);
  if (option >= 0) rest = rest.slice(0, option);
  const semicolon = rest.indexOf(";");
  if (semicolon >= 0) rest = rest.slice(0, semicolon);
  rest = rest.trim();
  if (rest.startsWith("@")) return { kind: "skip" };
  if (rest === "") return { kind: "warn", message: `${name}: not pinned (no version)`, notice: true };
  if (rest.startsWith("(") && rest.endsWith(")")) rest = rest.slice(1, -1).trim();
  let version: string | undefined;
  for (const spec of rest.split(",")) {
    const s = spec.trim();
    const op = /^(===|==|~=|!=|<=|>=|<|>)\s*(.*)$/.exec(s);
    if (!op) return { kind: "warn", message: `not a requirement: ${JSON.stringify(text)}` };
    const value = op[2]!.trim();
    if ((op[1] === "==" || op[1] === "===") && !value.includes("*")) {
      if (value === "") return { kind: "warn", message: `${name}: ${op[1]} with no version after it` };
      if (!VERSION.test(value)) return { kind: "warn", message: `${name}: bad version ${JSON.stringify(value)}` };
      version = value;
    }
  }
  if (version === undefined) return { kind: "warn", message: `${name}: not pinned (${rest})`, notice: true };
  return { kind: "package", name: normalizePythonName(name), version };
}

function extract(input: ExtractInput): ExtractResult {
  const { path, content } = input;
  if (content.includes("\0")) throw new ExtractError(path, "not a text file");
  const lines = logicalLines(path, content.replace(/^\uFEFF/, ""));
  const dev = isDevFile(path);
  const warnings: ExtractWarning[] = [];
  const collector = new PackageCollector("pypi");
  for (const { text, line } of lines) {
    const parsed = parseRequirement(text);
    if (parsed.kind === "skip") continue;
    if (parsed.kind === "warn") {
      warnings.push({ file: path, line, message: parsed.message, ...(parsed.notice ? { notice: true } : {}) });
      continue;
    }
    collector.add(parsed.name, parsed.version, true, dev);
  }
  return { packages: collector.list(), warnings };
}

export const requirementsExtractor: Extractor = { id: "requirements-txt", matches, extract };
