/**
 * Go modules: go.mod, or go.sum when there is no go.mod beside it.
 *
 * go.mod: `require` lines and blocks (`// indirect` marks a module the project
 * does not import itself); `replace` directives are applied, so a replaced
 * module is reported as what is built: `a => b v1.2.3` gives `b v1.2.3`, a
 * replacement by a local directory (`=> ../fork`) is the project's own code
 * and is not reported; a versioned replace (`a v1.0.0 => ...`) only applies to
 * that version. `exclude`, `retract` and the other directives are ignored.
 * Versions are kept as Go writes them (`v1.2.3`, `v0.0.0-2023...-abcdef`,
 * `v2.0.0+incompatible`).
 *
 * go.sum alone: every module version with a content hash (`h1:`); its
 * `/go.mod` line is the same module and is folded in. A version that only has
 * a `/go.mod` line was read during version selection but not built (the pruned
 * module graph keeps many of those), so it is not reported. Nothing is direct:
 * go.sum does not say.
 */

import { matchesBaseName, PackageCollector } from "./common.js";
import {
  baseName,
  ExtractError,
  type ExtractInput,
  type ExtractResult,
  type Extractor,
  type ExtractWarning,
} from "./types.js";

const matches = matchesBaseName("go.mod", "go.sum");

/** Semantic versions as Go modules use them, pseudo-versions and `+incompatible` included. */
const VERSION = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
/** A module path: no spaces or quotes, at least one character that is not a dot. */
const MODULE_PATH = /^[A-Za-z0-9][A-Za-z0-9._~/+-]*$/;
const KNOWN_DIRECTIVES = new Set(["module", "go", "toolchain", "godebug", "require", "replace", "exclude", "retract", "tool", "ignore"]);

interface Line {
  tokens: string[];
  comment: string;
  /** 1-based */
  line: number;
}

/** The tokens and the comment of one line; quoted strings become plain tokens. */
function tokenize(text: string, line: number): Line {
  const tokens: string[] = [];
  let comment = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      comment = text.slice(i + 2).trim();
      break;
    } else if (c === '"' || c === "`") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) {
        tokens.push(text.slice(i));
        break;
      }
      tokens.push(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === "(" || c === ")") {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < text.length && !" \t\r()".includes(text[j]!) && !(text[j] === "/" && text[j + 1] === "/")) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return { tokens, comment, line };
}

interface Requirement {
  path: string;
  version: string;
  indirect: boolean;
  line: number;
}

interface Replacement {
  oldVersion?: string;
  newPath: string;
  /** undefined: a local directory */
  newVersion?: string;
}

/** Reads go.mod: its requirements and replacements. */
function readGoMod(file: string, content: string, warnings: ExtractWarning[]): { requires: Requirement[]; replaces: Map<string, Replacement[]> } {
  const requires: Requirement[] = [];
  const replaces = new Map<string, Replacement[]>();
  const warn = (line: number, message: string): void => {
    warnings.push({ file, line, message });
  };

  const directive = (verb: string, l: Line): void => {
    const t = l.tokens;
    if (verb === "require") {
      if (t.length !== 2) {
        warn(l.line, `require: expected a module path and a version, found ${JSON.stringify(t.join(" "))}`);
        return;
      }
      const [path, version] = t as [string, string];
      if (!MODULE_PATH.test(path)) {
        warn(l.line, `require: bad module path ${JSON.stringify(path)}`);
        return;
      }
      if (!VERSION.test(version)) {
        warn(l.line, `require ${path}: bad version ${JSON.stringify(version)}`);
        return;
      }
      requires.push({ path, version, indirect: /^indirect(?:;|$)/.test(l.comment), line: l.line });
    } else if (verb === "replace") {
      const arrow = t.indexOf("=>");
      const left = t.slice(0, Math.max(arrow, 0));
      const right = t.slice(arrow + 1);
      if (arrow < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
        warn(l.line, `replace: expected "module [version] => module version" or "=> directory", found ${JSON.stringify(t.join(" "))}`);
        return;
      }
      const [oldPath, oldVersion] = left as [string, string | undefined];
      const [newPath, newVersion] = right as [string, string | undefined];
      if (oldVersion !== undefined && !VERSION.test(oldVersion)) {
        warn(l.line, `replace ${oldPath}: bad version ${JSON.stringify(oldVersion)}`);
        return;
      }
      if (newVersion !== undefined && !VERSION.test(newVersion)) {
        warn(l.line, `replace ${oldPath}: bad version ${JSON.stringify(newVersion)}`);
        return;
      }
      const list = replaces.get(oldPath) ?? [];
      list.push({ oldVersion, newPath, newVersion });
      replaces.set(oldPath, list);
    } else if (!KNOWN_DIRECTIVES.has(verb)) {
      warn(l.line, `unknown directive ${JSON.stringify(verb)}`);
    }
  };

  const lines = content.split("\n");
  let block: { verb: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.startsWith("<<<<<<<")) throw new ExtractError(file, "merge conflict marker", i + 1);
    const l = tokenize(text, i + 1);
    const t = l.tokens;
    if (t.length === 0) continue;
    if (block) {
      if (t.length === 1 && t[0] === ")") {
        block = undefined;
        continue;
      }
      directive(block.verb, l);
      continue;
    }
    const verb = t[0]!;
    if (t[1] === "(") {
      if (t.length === 2) {
        block = { verb, line: i + 1 };
      } else if (t.length === 3 && t[2] === ")") {
        // `require ()`: an empty block
      } else {
        warn(i + 1, `${verb}: unexpected text after "("`);
      }
      continue;
    }
    directive(verb, { ...l, tokens: t.slice(1) });
  }
  if (block) throw new ExtractError(file, `unterminated ${block.verb} block`, block.line);
  return { requires, replaces };
}

function readGoSum(file: string, content: string, warnings: ExtractWarning[]): PackageCollector {
  const out = new PackageCollector("go");
  const lines = content.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (text === "") continue;
    if (text.startsWith("<<<<<<<")) throw new ExtractError(file, "merge conflict marker", i + 1);
    const t = text.split(/\s+/);
    if (t.length !== 3 || !/^h\d+:/.test(t[2]!)) {
      warnings.push({ file, line: i + 1, message: `not a go.sum line: ${JSON.stringify(text.slice(0, 120))}` });
      continue;
    }
    const [path, rawVersion] = t as [string, string];
    const goModOnly = rawVersion.endsWith("/go.mod");
    const version = goModOnly ? rawVersion.slice(0, -"/go.mod".length) : rawVersion;
    if (!MODULE_PATH.test(path) || !VERSION.test(version)) {
      warnings.push({ file, line: i + 1, message: `bad module path or version: ${JSON.stringify(`${path} ${rawVersion}`)}` });
      continue;
    }
    if (goModOnly) continue;
    out.add(path, version, false, false);
  }
  return out;
}

function extract(input: ExtractInput): ExtractResult {
  const { path, content } = input;
  if (content.includes("\0")) throw new ExtractError(path, "not a text file");
  const warnings: ExtractWarning[] = [];
  if (baseName(path) === "go.sum") {
    // go.mod says more (direct, replacements): it is read instead.
    if (input.readSibling("go.mod") !== undefined) return { packages: [], warnings };
    return { packages: readGoSum(path, content, warnings).list(), warnings };
  }
  const { requires, replaces } = readGoMod(path, content.replace(/^\uFEFF/, ""), warnings);
  const collector = new PackageCollector("go");
  for (const r of requires) {
    const candidates = replaces.get(r.path);
    const replacement = candidates?.find((x) => x.oldVersion === r.version) ?? candidates?.find((x) => x.oldVersion === undefined);
    let name = r.path;
    let version = r.version;
    if (replacement) {
      if (replacement.newVersion === undefined) continue; // a local directory: the project's own code
      name = replacement.newPath;
      version = replacement.newVersion;
    }
    collector.add(name, version, !r.indirect, false);
  }
  return { packages: collector.list(), warnings };
}

export const goModExtractor: Extractor = { id: "go-mod", matches, extract };
