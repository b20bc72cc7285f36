/**
 * The git checkout around a directory, read from `.git` directly when that
 * is certain to give what `git rev-parse --show-toplevel` and `git config
 * --get remote.origin.url` would: starting `git` twice costs more than the
 * rest of `dm`'s repo report on a busy machine. Anything unusual (GIT_*
 * variables, a `.git` file of a worktree or submodule, a repository owned by
 * someone else, a config with includes, core.worktree or a quoted or repeated
 * url, another filesystem on the way up) is left to git: `undefined` here.
 */
import fs from "node:fs";
import path from "node:path";

/** Environment variables that move the repository, the work tree or the config git reads (GIT_SSL_CAINFO and the like do not). */
const GIT_LOCATING = /^GIT_(DIR|WORK_TREE|IMPLICIT_WORK_TREE|COMMON_DIR|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM|CONFIG\w*|NAMESPACE|PREFIX|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|INDEX_FILE|TEST_\w*)$/;

export interface CheckoutRead {
  /** the working tree's top-level directory (physical path, as git prints it) */
  root: string;
  /** `remote.origin.url` of the repository's own config; undefined: ask git (none there, or unsure) */
  remoteUrl?: string;
}

/**
 * `null`: certainly not inside a checkout. `undefined`: ask git. Otherwise
 * the top level, and the origin URL when the repository's config has one.
 */
export function readCheckout(cwd: string, env: NodeJS.ProcessEnv = process.env): CheckoutRead | null | undefined {
  if (Object.keys(env).some((k) => GIT_LOCATING.test(k))) return undefined;
  let dir: string;
  try {
    dir = fs.realpathSync(cwd);
  } catch {
    return undefined;
  }
  if (dir.split(path.sep).includes(".git")) return undefined;
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  let device: number | undefined;
  for (;;) {
    let here: fs.Stats;
    try {
      here = fs.statSync(dir);
    } catch {
      return undefined;
    }
    // git stops its search at a filesystem boundary (GIT_DISCOVERY_ACROSS_FILESYSTEM)
    if (device !== undefined && here.dev !== device) return undefined;
    device = here.dev;
    const dotGit = path.join(dir, ".git");
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(dotGit);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return undefined;
    }
    if (st !== undefined) {
      if (!st.isDirectory()) return undefined;
      // safe.directory: git refuses a repository another user owns
      if (uid !== undefined && st.uid !== uid) return undefined;
      return readRepository(dir, dotGit);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function readRepository(root: string, gitDir: string): CheckoutRead | undefined {
  let config: string;
  try {
    if (!fs.statSync(path.join(gitDir, "HEAD")).isFile()) return undefined;
    config = fs.readFileSync(path.join(gitDir, "config"), "utf8");
  } catch {
    return undefined;
  }
  let section = "";
  const urls: string[] = [];
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      const m = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]$/.exec(line);
      if (!m) return undefined;
      const name = m[1]!.toLowerCase();
      if (name === "include" || name === "includeif") return undefined;
      section = m[2] === undefined ? name : `${name} ${m[2]}`;
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!kv) return undefined;
    const key = kv[1]!.toLowerCase();
    const value = kv[2] ?? "";
    if (section === "core" && (key === "worktree" || (key === "bare" && value.toLowerCase() !== "false"))) return undefined;
    if (section === "remote origin" && key === "url") {
      // quotes, escapes, comments and continuations: git's parser knows them
      if (/["\\#;]/.test(value) || value === "") return undefined;
      urls.push(value.trim());
    }
  }
  if (urls.length > 1) return undefined;
  return urls.length === 1 ? { root, remoteUrl: urls[0]! } : { root };
}
