/**
 * Dockerfiles: every `FROM` that names an image (not `scratch`, not an earlier
 * stage) becomes an ExtractedImage with how well it is pinned.
 *
 * What the reader understands: the `# escape=` parser directive, line
 * continuations, comment lines (also inside a continued instruction), BuildKit
 * heredocs (`RUN <<EOF ... EOF`, skipped), flags such as `--platform=`, `AS
 * name`, and global build arguments (`ARG` before the first `FROM`) with their
 * defaults, used as `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME:+alt}`.
 * Build arguments given on the command line are unknown here, so the defaults
 * are what we report.
 */

import { inDir } from "./common.js";
import { type ExtractedImage, type ExtractInput, type ExtractResult, type Extractor, type ExtractWarning, baseName } from "./types.js";

const SKIPPED_DIRS = new Set(["node_modules", "vendor"]);

function matches(path: string): boolean {
  if (inDir(path, SKIPPED_DIRS)) return false;
  const base = baseName(path);
  // BuildKit reads `<Dockerfile>.dockerignore` beside a Dockerfile: not a Dockerfile.
  if (base.toLowerCase().endsWith(".dockerignore")) return false;
  if (base === "Dockerfile" || base === "dockerfile") return true;
  if (/\.dockerfile$/i.test(base) && base.length > ".dockerfile".length) return true;
  return base.startsWith("Dockerfile.") && base.length > "Dockerfile.".length;
}

/** One instruction, its continuation lines joined. */
interface Instruction {
  keyword: string;
  /** the text after the keyword */
  args: string;
  /** 1-based line where the instruction starts */
  line: number;
}

const DIRECTIVE = /^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/;
const HEREDOC = /<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g;

/** Split a Dockerfile into instructions. */
export function readInstructions(content: string): Instruction[] {
  const lines = content.replace(/^\uFEFF/, "").split(/\r?\n/);
  let escapeChar = "\\";
  let i = 0;
  // Parser directives: `# name=value` lines at the very top.
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    if (m[1]!.toLowerCase() === "escape" && (m[2] === "`" || m[2] === "\\")) escapeChar = m[2];
  }
  const out: Instruction[] = [];
  while (i < lines.length) {
    const first = lines[i]!;
    const trimmed = first.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      i++;
      continue;
    }
    const line = i + 1;
    let text = "";
    for (;;) {
      const body = lines[i]!.replace(/\s+$/, "");
      if (!body.endsWith(escapeChar)) {
        text += lines[i]!;
        i++;
        break;
      }
      text += body.slice(0, -escapeChar.length);
      i++;
      // Comment and empty lines inside a continued instruction are dropped.
      while (i < lines.length && /^\s*(#.*)?$/.test(lines[i]!)) i++;
      if (i >= lines.length) break;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(text);
    if (!m) continue; // a lone continuation at the end of the file
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    out.push({ keyword, args, line });
    // A heredoc's body (BuildKit: RUN, COPY, ADD) is data, never instructions.
    if (keyword === "RUN" || keyword === "COPY" || keyword === "ADD") {
      for (const h of args.matchAll(HEREDOC)) {
        const word = h[2]!;
        const strip = h[0].startsWith("<<-");
        let end = i;
        while (end < lines.length && (strip ? lines[end]!.replace(/^\t+/, "") : lines[end]!) !== word) end++;
        // No terminator: not a heredoc after all; read on.
        if (end < lines.length) i = end + 1;
      }
    }
  }
  return out;
}

/** A `$VAR` that cannot be resolved. */
class Unresolved extends Error {}

/**
 * Expand `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}` (and the forms
 * without the colon). `\$` is a literal dollar sign.
 */
function expand(text: string, vars: ReadonlyMap<string, string | undefined>): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\" && text[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    if (text[i + 1] === "{") {
      const close = findClose(text, i + 2);
      if (close < 0) throw new Unresolved(`unclosed "\${" in "${text}"`);
      const inner = text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(inner);
      if (!m) throw new Unresolved(`unsupported substitution "\${${inner}}"`);
      const name = m[1]!;
      const op = m[2];
      const value = vars.get(name);
      if (op === undefined) {
        if (value === undefined) throw unresolved(name, vars);
        out += value;
      } else {
        const word = m[3]!;
        const set = op.startsWith(":") ? value !== undefined && value !== "" : value !== undefined;
        if (op.endsWith("-")) out += set ? value! : expand(word, vars);
        else out += set ? expand(word, vars) : "";
      }
      i = close + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += c;
      i++;
      continue;
    }
    const value = vars.get(m[0]);
    if (value === undefined) throw unresolved(m[0], vars);
    out += value;
    i += 1 + m[0].length;
  }
  return out;
}

function unresolved(name: string, vars: ReadonlyMap<string, string | undefined>): Unresolved {
  return new Unresolved(
    vars.has(name) ? `build argument ${name} has no default value` : `build argument ${name} is not declared before the first FROM`,
  );
}

function findClose(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "{") depth++;
    else if (text[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
    return value.slice(1, -1);
  }
  return value;
}

/** `ARG A=1 B="x y" C` -> [name, raw default?] pairs. */
function argDeclarations(args: string): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/gy;
  let rest = args.trim();
  while (rest !== "") {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) break;
    out.push([m[1]!, m[2] === undefined ? undefined : unquote(m[2])]);
    rest = rest.slice(m[0].length).trimStart();
  }
  return out;
}

// A reference as the distribution spec allows it: [host[:port]/]path[:tag][@digest].
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const HOST = "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]+)?";
const HOST_RE = new RegExp(`^${HOST}$`);
const PATH_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** Parse an image reference; undefined when it is not one. */
export function parseImageReference(ref: string): Omit<ExtractedImage, "line" | "stage"> | undefined {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) return undefined;
  }
  // As Docker reads it: the first component is a registry host only when it
  // has a dot or a port, or is `localhost`.
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  const isHost = first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[");
  const host = isHost ? first : undefined;
  const repoPath = isHost ? rest.slice(slash + 1) : rest;
  if ((host !== undefined && !HOST_RE.test(host)) || !PATH_RE.test(repoPath)) return undefined;
  const name = normaliseName(host, repoPath);
  if (digest !== undefined) return tag === undefined ? { name, digest, pinning: "digest" } : { name, tag, digest, pinning: "digest" };
  if (tag === undefined) return { name, tag: "latest", pinning: "latest" };
  return { name, tag, pinning: tag === "latest" ? "latest" : "tag" };
}

/**
 * One spelling per Docker Hub image, so that `docker.io/library/node`,
 * `library/node` and `node` are the same image.
 */
function normaliseName(host: string | undefined, path: string): string {
  const hub = host === undefined || host === "docker.io" || host === "index.docker.io" || host === "registry-1.docker.io";
  if (!hub) return `${host!.toLowerCase()}/${path}`;
  return path.startsWith("library/") && path.indexOf("/", 8) < 0 ? path.slice(8) : path;
}

function extract({ path, content }: ExtractInput): ExtractResult {
  const images: ExtractedImage[] = [];
  const warnings: ExtractWarning[] = [];
  const globals = new Map<string, string | undefined>();
  const stages = new Set<string>();
  let seenFrom = false;
  for (const ins of readInstructions(content)) {
    if (ins.keyword === "ARG" && !seenFrom) {
      for (const [name, raw] of argDeclarations(ins.args)) {
        if (raw === undefined) {
          if (!globals.has(name)) globals.set(name, undefined);
          continue;
        }
        try {
          globals.set(name, expand(raw, globals));
        } catch (e) {
          if (!(e instanceof Unresolved)) throw e;
          globals.set(name, undefined);
        }
      }
      continue;
    }
    if (ins.keyword !== "FROM") continue;
    seenFrom = true;
    const words = ins.args.split(/\s+/).filter((w) => w !== "");
    while (words.length > 0 && words[0]!.startsWith("--")) words.shift();
    const rawRef = words[0];
    let stage: string | undefined;
    if (words.length >= 3 && words[1]!.toUpperCase() === "AS") stage = words[2];
    if (rawRef === undefined) {
      warnings.push({ file: path, line: ins.line, message: "FROM without an image" });
      continue;
    }
    let ref: string;
    try {
      ref = expand(rawRef, globals);
    } catch (e) {
      if (!(e instanceof Unresolved)) throw e;
      warnings.push({ file: path, line: ins.line, message: `cannot resolve image "${rawRef}": ${e.message}` });
      if (stage !== undefined) stages.add(stage.toLowerCase());
      continue;
    }
    const isStage = stages.has(ref.toLowerCase());
    if (stage !== undefined) stages.add(stage.toLowerCase());
    if (isStage || ref.toLowerCase() === "scratch") continue;
    const image = parseImageReference(ref);
    if (image === undefined) {
      warnings.push({ file: path, line: ins.line, message: `not an image reference: "${ref}"` });
      continue;
    }
    images.push(stage === undefined ? { ...image, line: ins.line } : { ...image, line: ins.line, stage });
  }
  return { images, warnings };
}

export const dockerfileExtractor: Extractor = { id: "dockerfile", matches, extract };
