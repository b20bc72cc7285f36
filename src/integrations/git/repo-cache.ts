/**
 * The per-repository cache of `dm sync git`: a stamp of everything a
 * repository's records were made from, and what they were. A repository
 * whose stamp is the one its last read left is not read again: no git
 * process, no lockfile parsed; its records are vouched for (ctx.seen) and
 * stay seen.
 *
 * The stamp: this integration's own code (a changed extractor reads every
 * repository again), the git state (HEAD and the commit it names, read from
 * the ref files without spawning git; `config` and `shallow`), the list of
 * the working tree's files (an added lockfile is noticed), and size, mtime,
 * ctime and inode of every file the last read opened (lockfiles, their
 * sibling manifests, CODEOWNERS, Dockerfiles, Terraform). A repository whose
 * commit cannot be read this way (reftable) is always read.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, type Stats, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { EntityRecord } from "../../store/types.js";
import type { SyncWarning } from "../types.js";
import type { FoundRepo } from "./repos.js";

/** What a repository's last read made, kept as the cache entry's body. */
export interface CachedRepo {
  v: typeof CACHE_FORMAT;
  /** the CodeRepo entity */
  repo: EntityRecord;
  /**
   * the keys of every shared entity the repository names (packages, images,
   * providers, owners): vouched for, not written again (the records were
   * a third of the cache and of a cached sync's time)
   */
  shared: string[];
  /**
   * its relationships, when they are the usual ones: the owners (OWNS the
   * repository) among `shared`; every other shared entity is USED by it
   */
  owners?: string[];
  /** else the keys of its relationships */
  edges?: string[];
  notices: SyncWarning[];
  /** the files the read opened (or looked for), repository-relative */
  read: string[];
  /** the oldest commit counted in commitsLast90Days (epoch ms): once it leaves the window, read again */
  oldestRecent?: number;
}

export const CACHE_FORMAT = 2;

export const cacheKey = (repo: FoundRepo): string => `repo:${repo.dir}`;

export function decodeCachedRepo(body: string): CachedRepo | undefined {
  try {
    const parsed = JSON.parse(body) as CachedRepo;
    return parsed?.v === CACHE_FORMAT && parsed.repo && Array.isArray(parsed.read) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

let fingerprint: string | undefined;

/** This integration's code (its folder, extractors included): a new dm reads every repository again. */
function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash("sha1").update(`format ${CACHE_FORMAT}\n`);
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "fixtures") visit(full);
      } else if (/\.(js|ts)$/.test(e.name) && !/\.test\.(js|ts)$/.test(e.name)) {
        hash.update(`${e.name}\n`).update(readFileSync(full));
      }
    }
  };
  visit(path.dirname(fileURLToPath(import.meta.url)));
  fingerprint = hash.digest("hex");
  return fingerprint;
}

/*
 * The stamps are read synchronously: a handful of small files and stats per
 * repository, where a promise per open, read and close cost more than the
 * reading (a third of a cached sync of 1,000 repositories).
 */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The git state a read depends on, without a git process: HEAD, the commit
 * it resolves to (loose ref, else packed-refs), `config` and `shallow`.
 * Undefined when the commit cannot be read this way (the repository is read).
 */
export function gitState(repo: FoundRepo): string | undefined {
  let gitDir = repo.gitDir;
  const stat = statSync(gitDir, { throwIfNoEntry: false });
  if (!stat) return undefined;
  if (stat.isFile()) {
    const pointer = /^gitdir:\s*(.+)$/m.exec(readText(gitDir) ?? "");
    if (!pointer) return undefined;
    gitDir = path.resolve(repo.dir, pointer[1]!.trim());
  }
  const commonDir = readText(path.join(gitDir, "commondir"))?.trim();
  const common = commonDir ? path.resolve(gitDir, commonDir) : gitDir;
  const head = readText(path.join(gitDir, "HEAD"));
  const config = readText(path.join(gitDir, "config"));
  const commonConfig = common === gitDir ? undefined : readText(path.join(common, "config"));
  const shallow = readText(path.join(common, "shallow"));
  const reftable = statSync(path.join(common, "reftable"), { throwIfNoEntry: false }) !== undefined;
  if (head === undefined || reftable) return undefined;
  let packed: string | undefined;
  let ref = head.trim();
  // follow symbolic refs to a commit (or to a branch with no commit yet)
  for (let hops = 0; hops < 5; hops++) {
    const name = /^ref:\s*(\S+)$/.exec(ref)?.[1];
    if (!name) break;
    if (!/^refs\/[^\0]+$/.test(name) || name.includes("..")) return undefined;
    // branches live in the common dir; a worktree's own refs (refs/worktree, refs/bisect) in its git dir
    const loose = readText(path.join(common, name)) ?? (common === gitDir ? undefined : readText(path.join(gitDir, name)));
    if (loose !== undefined) {
      ref = loose.trim();
      continue;
    }
    packed ??= readText(path.join(common, "packed-refs")) ?? "";
    const line = packed.split("\n").find((l) => l.endsWith(` ${name}`) && !l.startsWith("#") && !l.startsWith("^"));
    ref = line ? line.slice(0, line.indexOf(" ")) : "unborn";
    break;
  }
  if (!/^([0-9a-f]{40}|[0-9a-f]{64}|unborn)$/.test(ref)) return undefined;
  const digest = (text: string | undefined) => (text === undefined ? "-" : createHash("sha1").update(text).digest("hex"));
  return [head.trim(), ref, digest(config), digest(commonConfig), digest(shallow)].join("\t");
}

/** One file's stamp: what changes when it is written, replaced or removed. */
export function fileStamp(file: string, stat: Stats | undefined): string {
  return stat ? `${file}\t${stat.size}\t${stat.mtimeMs}\t${stat.ctimeMs}\t${stat.ino}` : `${file}\t-`;
}

/** The stamps of `files` (repository-relative) as they are on disk now. */
export function fileStamps(dir: string, files: readonly string[]): string[] {
  return files.map((file) => {
    let stat: Stats | undefined;
    try {
      stat = statSync(path.join(dir, file), { throwIfNoEntry: false });
    } catch {
      stat = undefined;
    }
    return fileStamp(file, stat);
  });
}

/** The cache entry's ETag: the code, the git state, the file list and the stamps of the files read. */
export function repoStamp(git: string, files: readonly string[], stamps: readonly string[]): string {
  return createHash("sha1")
    .update(`${codeFingerprint()}\n${git}\n`)
    .update(createHash("sha1").update(files.join("\n")).digest("hex"))
    .update(`\n${[...stamps].sort().join("\n")}`)
    .digest("hex");
}

/** The relationship keys of a repository as `repoBatch` makes them: one per shared entity. */
export function derivedEdges(repoKey: string, shared: readonly string[], owners: ReadonlySet<string>): string[] {
  return shared.map((key) => (owners.has(key) ? `${key}|owns|${repoKey}` : `${repoKey}|uses|${key}`));
}

/** The relationships of a cached repository. */
export function edgesOf(cached: CachedRepo): string[] {
  return cached.edges ?? derivedEdges(cached.repo._key, cached.shared, new Set(cached.owners));
}
