/**
 * Finding git repositories under a folder and reading what git knows about
 * each one. Git is asked as little as possible (one command per repository,
 * two when it had no commit in 90 days); the rest is read from the
 * repository's own files.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { SpawnHelper } from "../../shared/spawn-helper.js";

export interface FoundRepo {
  /** the working tree (or the bare repository itself) */
  dir: string;
  /** the git directory */
  gitDir: string;
  bare: boolean;
}

/** Folders that never hold the repositories we are after. */
const SKIP = new Set(["node_modules", ".terraform", "vendor", ".venv", "target", "dist", "build"]);

async function isBareRepo(dir: string): Promise<boolean> {
  try {
    const [head, objects, refs] = await Promise.all([
      fs.stat(path.join(dir, "HEAD")),
      fs.stat(path.join(dir, "objects")),
      fs.stat(path.join(dir, "refs")),
    ]);
    return head.isFile() && objects.isDirectory() && refs.isDirectory();
  } catch {
    return false;
  }
}

/**
 * Every repository under `root`, in path order. Symbolic links are not
 * followed (a link could lead out of the tree, or in a circle); a repository
 * is not searched for nested repositories (submodules belong to it).
 */
export async function findRepos(root: string, onWarning: (file: string, message: string) => void): Promise<FoundRepo[]> {
  const found: FoundRepo[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      onWarning(dir, `cannot read the folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return;
    }
    const dotGit = entries.find((e) => e.name === ".git");
    if (dotGit?.isDirectory()) {
      found.push({ dir, gitDir: path.join(dir, ".git"), bare: false });
      return;
    }
    if (dotGit?.isFile()) {
      // a worktree or submodule checkout: `.git` is a file pointing at the git dir
      found.push({ dir, gitDir: path.join(dir, ".git"), bare: false });
      return;
    }
    if (await isBareRepo(dir)) {
      found.push({ dir, gitDir: dir, bare: true });
      return;
    }
    const subdirs = entries
      .filter((e) => e.isDirectory() && !e.isSymbolicLink() && !SKIP.has(e.name) && e.name !== ".git")
      .map((e) => e.name)
      .sort();
    for (const name of subdirs) await visit(path.join(dir, name));
  };
  await visit(root);
  return found;
}

/**
 * The files of a working tree, repository-relative and sorted, read from the
 * disk rather than asked of git (one process fewer per repository: at a
 * thousand repositories the spawns dominated the sync). Folders that are
 * never the project's own (dependencies, build output) and nested
 * repositories are left out; symbolic links are not followed.
 */
export async function workingFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(rel ? path.join(dir, rel) : dir, { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs: string[] = [];
    for (const e of entries) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isFile()) out.push(name);
      else if (e.isDirectory() && e.name !== ".git" && !SKIP.has(e.name)) subdirs.push(name);
    }
    // a nested repository (a submodule or a stray clone) is not this one's
    await Promise.all(
      subdirs.map(async (sub) => {
        const nested = await fs.stat(path.join(dir, sub, ".git")).then(
          () => true,
          () => false,
        );
        if (!nested) await visit(sub);
      }),
    );
  };
  await visit("");
  return out.sort();
}

export interface RepoFacts {
  remoteUrl?: string;
  defaultBranch?: string;
  lastCommitOn?: number;
  lastCommitAuthor?: string;
  commitsLast90Days: number;
  /** the oldest of those commits (epoch ms) */
  oldestRecentCommitOn?: number;
  /** the working tree's files, repository-relative, `/`-separated */
  files: string[];
  archived: boolean;
}

/** `[remote "origin"] url = ...` from a git config file. */
export function originUrl(config: string): string | undefined {
  let inOrigin = false;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      inOrigin = /^\[remote\s+"origin"\]$/.test(line);
      continue;
    }
    const m = inOrigin ? /^url\s*=\s*(.+)$/.exec(line) : null;
    if (m) return m[1]!.trim();
  }
  return undefined;
}

/** A remote URL without credentials (`https://user:token@host/x` -> `https://host/x`). */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

async function git(commands: SpawnHelper, repo: FoundRepo, args: string[]): Promise<string> {
  const { stdout } = await commands.run("git", ["--git-dir", repo.gitDir, ...(repo.bare ? [] : ["--work-tree", repo.dir]), ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
    env: { GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" },
  });
  return stdout;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The cut-off of commitsLast90Days, in epoch seconds (git log --since). */
export function recentSince(now: number): number {
  return Math.floor((now - 90 * 86_400_000) / 1000);
}

/**
 * What git says about one repository (`files`: its working files when
 * already listed). Throws when git cannot read it. git runs in `commands`, a
 * helper process a sync starts before it holds much memory (spawn-helper.ts).
 */
export async function repoFacts(commands: SpawnHelper, repo: FoundRepo, now: number, files?: string[]): Promise<RepoFacts> {
  let gitDir = repo.gitDir;
  const dotGit = await fs.stat(gitDir);
  if (dotGit.isFile()) {
    const pointer = /^gitdir:\s*(.+)$/m.exec((await readText(gitDir)) ?? "");
    if (pointer) gitDir = path.resolve(repo.dir, pointer[1]!.trim());
  }
  const config = (await readText(path.join(gitDir, "config"))) ?? "";
  const head = (await readText(path.join(gitDir, "HEAD")))?.trim() ?? "";
  const branch = /^ref:\s*refs\/heads\/(.+)$/.exec(head)?.[1];
  const since = recentSince(now);
  // One command for the history: the last commit, and how many since the cut-off.
  let log = "";
  try {
    log = await git(commands, { ...repo, gitDir }, ["log", "--format=%ct%x09%ae", `--since=${since}`, "HEAD"]);
  } catch (error) {
    // an empty repository has no HEAD yet: no commits, not an error
    if (!/does not have any commits|unknown revision|bad default revision/i.test(String((error as { stderr?: string }).stderr))) {
      throw error;
    }
  }
  const recent = log.split("\n").filter(Boolean);
  let last = recent[0];
  if (!last) {
    try {
      last = (await git(commands, { ...repo, gitDir }, ["log", "-1", "--format=%ct%x09%ae", "HEAD"])).trim() || undefined;
    } catch {
      last = undefined;
    }
  }
  files ??= repo.bare ? [] : await workingFiles(repo.dir);
  // the window's oldest commit by date (git lists by date, but clocks may disagree)
  const oldest = recent.length > 0 ? recent.reduce((min, line) => Math.min(min, Number(line.split("\t")[0])), Infinity) * 1000 : undefined;
  const [seconds, author] = last ? last.split("\t") : [];
  const remote = originUrl(config);
  return {
    remoteUrl: remote === undefined ? undefined : withoutCredentials(remote),
    defaultBranch: branch,
    lastCommitOn: seconds ? Number(seconds) * 1000 : undefined,
    lastCommitAuthor: author,
    commitsLast90Days: recent.length,
    ...(oldest !== undefined && Number.isFinite(oldest) ? { oldestRecentCommitOn: oldest } : {}),
    files,
    archived: /^\s*archived\s*=\s*true\s*$/im.test(config) || files.includes(".archived"),
  };
}

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  ts: "TypeScript",
  tsx: "TypeScript",
  js: "JavaScript",
  jsx: "JavaScript",
  mjs: "JavaScript",
  cjs: "JavaScript",
  py: "Python",
  go: "Go",
  rs: "Rust",
  rb: "Ruby",
  php: "PHP",
  java: "Java",
  kt: "Kotlin",
  cs: "C#",
  c: "C",
  h: "C",
  cpp: "C++",
  cc: "C++",
  swift: "Swift",
  scala: "Scala",
  tf: "HCL",
  hcl: "HCL",
  sh: "Shell",
  sql: "SQL",
};

/** Source files per language, and the language with the most files. */
export function languagesOf(files: readonly string[]): { languages: Record<string, number>; language?: string } {
  const languages: Record<string, number> = {};
  for (const file of files) {
    const dot = file.lastIndexOf(".");
    if (dot < 0 || file.lastIndexOf("/") > dot) continue;
    const language = LANGUAGE_BY_EXTENSION[file.slice(dot + 1).toLowerCase()];
    if (language) languages[language] = (languages[language] ?? 0) + 1;
  }
  let language: string | undefined;
  for (const [name, count] of Object.entries(languages)) {
    if (language === undefined || count > (languages[language] ?? 0)) language = name;
  }
  return { languages, language };
}
