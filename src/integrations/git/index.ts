/**
 * `git`: every repository under a folder becomes a CodeRepo, with what git
 * knows about it, its owners from CODEOWNERS, and what its lockfiles,
 * Dockerfiles and Terraform declare (the extractors).
 */
import { readFileSync, type Stats, statSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { SpawnHelper } from "../../shared/spawn-helper.js";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, RelationshipRecord, SyncCacheEntry } from "../../store/types.js";
import type { Integration, SyncContext, SyncWarning } from "../types.js";
import { LOCATIONS as CODEOWNERS_LOCATIONS, codeownersOf, parseCodeowners } from "./codeowners.js";
import { EXTRACTORS } from "./extractors/index.js";
import { type ExtractResult, ExtractError } from "./extractors/types.js";
import { CACHE_FORMAT, type CachedRepo, cacheKey, decodeCachedRepo, derivedEdges, edgesOf, fileStamp, fileStamps, gitState, repoStamp } from "./repo-cache.js";
import { type FoundRepo, findRepos, languagesOf, type RepoFacts, recentSince, repoFacts, workingFiles } from "./repos.js";

export const GitConfig = z.object({
  /** the folder holding the clones */
  path: z.string().min(1, "path must name a folder").describe("the folder that holds your clones"),
  /** repositories read at once (git processes) */
  concurrency: z.number().int().min(1).max(32).default(4),
}).strict();
export type GitConfig = z.infer<typeof GitConfig>;

/** Files larger than this are not read by extractors (a lockfile is far smaller). */
const MAX_FILE_BYTES = 32 * 1024 * 1024;

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** The repository's name: from its remote (`acme/payments.git` -> `payments`), else its folder. */
export function repoName(remoteUrl: string | undefined, dir: string): string {
  const fromRemote = remoteUrl?.replace(/\/+$/, "").replace(/\.git$/, "").split(/[/:]/).pop();
  return fromRemote || path.basename(dir).replace(/\.git$/, "");
}

export const gitIntegration: Integration<GitConfig> = {
  id: "git",
  description: "git repositories under a folder: repos, owners, packages, images, Terraform",
  configSchema: GitConfig,
  instanceName: (config, cwd) => `git:${path.resolve(cwd, expandHome(config.path))}`,
  sync: (ctx) => syncGit(ctx),
};

async function* syncGit(ctx: SyncContext<GitConfig>): AsyncGenerator<GraphBatch> {
  // git runs from a helper process, started by the first repository read (a sync that skips every
  // repository starts none); in a first sync that is the first one, before the sync holds much memory
  const commands = new SpawnHelper();
  try {
    yield* readRepos(ctx, commands);
  } finally {
    commands.close();
  }
}

async function* readRepos(ctx: SyncContext<GitConfig>, commands: SpawnHelper): AsyncGenerator<GraphBatch> {
  const root = path.resolve(ctx.cwd, expandHome(ctx.config.path));
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new InputError(`--path ${ctx.config.path} is not a folder`, {
      details: ["Give the folder that holds your clones, e.g. dm sync git --path ~/src. Nothing was changed."],
    });
  }
  const repos = await findRepos(root, (file, message) => ctx.warn({ file, message }));
  /** shared entities (packages, images, teams...) written once per run */
  const written = new Set<string>();
  const total = repos.length;
  let done = 0;
  ctx.progress(0, total, "repos");

  // A window of repositories read at once; batches still come out in path order.
  type Read = { repo: FoundRepo; facts?: RepoFacts; error?: unknown; git?: string; cached?: { body: CachedRepo; entry: SyncCacheEntry } };
  const since = recentSince(ctx.now);
  const start = async (repo: FoundRepo): Promise<Read> => {
    try {
      const files = repo.bare ? [] : await workingFiles(repo.dir);
      const git = gitState(repo);
      const entry = git === undefined ? undefined : ctx.cache.get(cacheKey(repo));
      const body = entry ? decodeCachedRepo(entry.body) : undefined;
      // unchanged, and no commit counted last time has left the 90-day window since: not read again
      if (entry && body && git && (body.oldestRecent === undefined || body.oldestRecent / 1000 >= since)) {
        if (repoStamp(git, files, fileStamps(repo.dir, body.read)) === entry.etag) return { repo, cached: { body, entry } };
      }
      return { repo, git, facts: await repoFacts(commands, repo, ctx.now, files) };
    } catch (error) {
      return { repo, error };
    }
  };
  const window: Promise<Read>[] = [];
  let next = 0;
  let skipped = 0;
  while (next < repos.length && window.length < ctx.config.concurrency) window.push(start(repos[next++]!));
  while (window.length > 0) {
    const { repo, facts, error, git, cached } = await window.shift()!;
    if (next < repos.length) window.push(start(repos[next++]!));
    const relative = path.relative(root, repo.dir) || path.basename(repo.dir);
    if (cached && written.has(cached.body.repo._key)) {
      // an earlier clone (in path order) of its remote appeared: it stands for it
      ctx.warn({ file: relative, message: `another clone of ${String(cached.body.repo.remoteUrl)}: skipped` });
    } else if (cached) {
      skipped++;
      ctx.cache.set(cacheKey(repo), cached.entry);
      yield cachedBatch(ctx, cached.body, written);
    } else if (!facts) {
      const stderr = (error as { stderr?: string })?.stderr?.trim();
      ctx.warn({ file: relative, message: `git cannot read this repository: ${stderr || (error as Error)?.message}` });
    } else if (written.has(repoKeyOf(repo, facts))) {
      // two clones of one remote: the first (in path order) stands for it
      ctx.warn({ file: relative, message: `another clone of ${facts.remoteUrl}: skipped` });
    } else {
      const { batch, record } = await repoBatch(ctx, repo, relative, facts, written);
      // a repository read with warnings is read again next time (the problem may be fixed without a file changing)
      if (git && record.warnings === 0) {
        const edges = batch.relationships.map((r) => r._key);
        const owners = batch.relationships.filter((r) => r._class === "OWNS").map((r) => r._fromEntityKey);
        const derived = derivedEdges(repoKeyOf(repo, facts), [...record.shared.keys()], new Set(owners));
        const known = new Set(edges);
        const same = derived.length === known.size && new Set(derived).size === known.size && derived.every((k) => known.has(k));
        ctx.cache.set(cacheKey(repo), {
          etag: repoStamp(git, facts.files, [...record.stamps.values()]),
          body: JSON.stringify({
            v: CACHE_FORMAT,
            repo: batch.entities[0]!,
            shared: [...record.shared.keys()],
            ...(same ? { owners } : { edges }),
            notices: record.notices,
            read: [...record.stamps.keys()],
            ...(facts.oldestRecentCommitOn !== undefined ? { oldestRecent: facts.oldestRecentCommitOn } : {}),
          } satisfies CachedRepo),
        });
      }
      yield batch;
    }
    ctx.progress(++done, total, "repos");
  }
  if (skipped > 0) {
    ctx.note({
      message: `${skipped} of ${total} repositor${total === 1 ? "y" : "ies"} unchanged since the last sync: not read again (--full reads every one)`,
    });
  }
}

/**
 * An unchanged repository from the cache: its CodeRepo is written; the
 * shared entities it names and its relationships are vouched for, not
 * written (a shared entity named by an earlier repository of this run is
 * that one's).
 */
function cachedBatch(ctx: SyncContext<GitConfig>, cached: CachedRepo, written: Set<string>): GraphBatch {
  written.add(cached.repo._key);
  const shared: string[] = [];
  for (const key of cached.shared) {
    if (written.has(key)) continue;
    written.add(key);
    shared.push(key);
  }
  for (const n of cached.notices) ctx.note(n);
  ctx.seen({ entities: shared, relationships: edgesOf(cached) });
  return { entities: [cached.repo], relationships: [] };
}

/** A repository is known by its remote; one without a remote by where it is. */
function repoKeyOf(repo: FoundRepo, facts: RepoFacts): string {
  return `git_repo:${facts.remoteUrl ?? repo.dir}`;
}

/** What a read of one repository opened and named, for its cache entry. */
interface ReadRecord {
  /** file -> its stamp, taken before it was read */
  stamps: Map<string, string>;
  /** every shared entity it names, first one per key */
  shared: Map<string, EntityRecord>;
  notices: SyncWarning[];
  warnings: number;
}

async function repoBatch(
  outer: SyncContext<GitConfig>,
  repo: FoundRepo,
  relative: string,
  facts: RepoFacts,
  written: Set<string>,
): Promise<{ batch: GraphBatch; record: ReadRecord }> {
  const record: ReadRecord = { stamps: new Map(), shared: new Map(), notices: [], warnings: 0 };
  const ctx: SyncContext<GitConfig> = {
    ...outer,
    warn: (w) => {
      record.warnings++;
      outer.warn(w);
    },
    note: (n) => {
      record.notices.push(n);
      outer.note(n);
    },
  };
  const stamp = (file: string, stat: Stats | undefined) => {
    if (!record.stamps.has(file)) record.stamps.set(file, fileStamp(file, stat));
  };
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  const name = repoName(facts.remoteUrl, repo.dir);
  const repoKey = repoKeyOf(repo, facts);
  written.add(repoKey);
  const { languages, language } = languagesOf(facts.files);
  const repoEntity: EntityRecord = {
    _key: repoKey,
    _type: "git_repo",
    _class: "CodeRepo",
    displayName: name,
    name,
    path: repo.dir,
    bare: repo.bare,
    archived: facts.archived,
    commitsLast90Days: facts.commitsLast90Days,
    languages: Object.keys(languages).sort(),
  };
  for (const [lang, count] of Object.entries(languages)) repoEntity[`files.${lang}`] = count;
  if (language) repoEntity.language = language;
  if (facts.remoteUrl) repoEntity.remoteUrl = facts.remoteUrl;
  if (facts.defaultBranch) repoEntity.defaultBranch = facts.defaultBranch;
  if (facts.lastCommitOn !== undefined) repoEntity.lastCommitOn = facts.lastCommitOn;
  if (facts.lastCommitAuthor) repoEntity.lastCommitAuthor = facts.lastCommitAuthor;
  entities.push(repoEntity);

  const shared = (entity: EntityRecord) => {
    if (!record.shared.has(entity._key)) record.shared.set(entity._key, entity);
    if (written.has(entity._key)) return;
    written.add(entity._key);
    entities.push(entity);
  };
  const edge = (verb: "USES" | "OWNS", from: string, to: string, type: string, props: Record<string, unknown> = {}) => {
    relationships.push({
      _key: `${from}|${verb.toLowerCase()}|${to}`,
      _type: type,
      _class: verb,
      _fromEntityKey: from,
      _toEntityKey: to,
      ...props,
    });
  };

  // Owners: the CODEOWNERS rule for the whole repository (`*`), else every owner named.
  for (const location of CODEOWNERS_LOCATIONS) {
    if (facts.files.includes(location)) stamp(location, await fs.stat(path.join(repo.dir, location)).catch(() => undefined));
  }
  const codeowners = await codeownersOf(repo.dir, facts.files);
  if (codeowners) {
    const parsed = parseCodeowners(codeowners.text);
    for (const w of parsed.warnings) ctx.warn({ file: `${relative}/${codeowners.path}`, line: w.line, message: w.message });
    for (const owner of parsed.owners) {
      shared(owner.entity);
      edge("OWNS", owner.entity._key, repoKey, `${owner.entity._type}_owns_git_repo`);
    }
  }

  const packages = new Map<string, { record: EntityRecord; direct: boolean; dev: boolean; manifest: string }>();
  const terraformProviders: string[] = [];
  let terraformVersion: string | undefined;
  const byPath = new Set(facts.files);
  for (const file of facts.files) {
    const extractor = EXTRACTORS.find((x) => x.matches(file));
    if (!extractor) continue;
    const full = path.join(repo.dir, file);
    let result: ExtractResult;
    try {
      const stat = await fs.stat(full).catch((error: unknown) => {
        stamp(file, undefined);
        throw error;
      });
      stamp(file, stat);
      if (stat.size > MAX_FILE_BYTES) {
        ctx.warn({ file: `${relative}/${file}`, message: `skipped: larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` });
        continue;
      }
      const content = await fs.readFile(full, "utf8");
      const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
      const siblings = new Map<string, string | undefined>();
      result = extractor.extract({
        path: file,
        content,
        readSibling: (sibling) => {
          const rel = `${dir}${sibling}`;
          if (!byPath.has(rel)) return undefined;
          if (!siblings.has(rel)) {
            try {
              // synchronous: extractors are, and a sibling manifest is small
              stamp(rel, statSync(path.join(repo.dir, rel), { throwIfNoEntry: false }));
              siblings.set(rel, readFileSync(path.join(repo.dir, rel), "utf8"));
            } catch {
              siblings.set(rel, undefined);
            }
          }
          return siblings.get(rel);
        },
      });
    } catch (error) {
      if (error instanceof ExtractError) {
        ctx.warn({ file: `${relative}/${error.file}`, line: error.line, message: error.message });
      } else if ((error as NodeJS.ErrnoException).code) {
        ctx.warn({ file: `${relative}/${file}`, message: `cannot read: ${(error as NodeJS.ErrnoException).code}` });
      } else {
        ctx.warn({ file: `${relative}/${file}`, message: `${extractor.id} failed: ${(error as Error).message}` });
      }
      continue;
    }
    for (const w of result.warnings) {
      const where = { file: `${relative}/${w.file}`, line: w.line, message: w.message };
      if (w.notice) ctx.note(where);
      else ctx.warn(where);
    }
    for (const p of result.packages ?? []) {
      const key = `${p.ecosystem}:${p.name}@${p.version}`;
      const seen = packages.get(key);
      if (seen) {
        seen.direct ||= p.direct;
        seen.dev &&= p.devDependency;
        continue;
      }
      packages.set(key, {
        record: {
          _key: key,
          _type: `${p.ecosystem}_package`,
          _class: "CodeModule",
          displayName: `${p.name}@${p.version}`,
          name: p.name,
          version: p.version,
          ecosystem: p.ecosystem,
        },
        direct: p.direct,
        dev: p.devDependency,
        manifest: file,
      });
    }
    for (const image of result.images ?? []) {
      const ref = `${image.name}${image.tag ? `:${image.tag}` : ""}${image.digest ? `@${image.digest}` : ""}`;
      const key = `docker_image:${ref}`;
      shared({
        _key: key,
        _type: "docker_image",
        _class: "Image",
        displayName: ref,
        name: image.name,
        ...(image.tag ? { tag: image.tag } : {}),
        ...(image.digest ? { digest: image.digest } : {}),
        pinning: image.pinning,
      });
      const edgeKey = `${repoKey}|uses|${key}`;
      if (!relationships.some((r) => r._key === edgeKey)) {
        edge("USES", repoKey, key, "git_repo_uses_docker_image", {
          dockerfile: file,
          line: image.line,
          ...(image.stage ? { stage: image.stage } : {}),
        });
      }
    }
    if (result.terraform) {
      terraformVersion ??= result.terraform.requiredVersion;
      for (const provider of result.terraform.providers) {
        const version = provider.version ?? provider.constraint ?? "unknown";
        const key = `terraform_provider:${provider.source}@${version}`;
        shared({
          _key: key,
          _type: "terraform_provider",
          _class: "CodeModule",
          displayName: `${provider.source}@${version}`,
          name: provider.source,
          ...(provider.version ? { version: provider.version } : {}),
          ...(provider.constraint ? { constraint: provider.constraint } : {}),
        });
        terraformProviders.push(`${provider.source}${provider.constraint ? ` ${provider.constraint}` : ""}`);
        const edgeKey = `${repoKey}|uses|${key}`;
        if (!relationships.some((r) => r._key === edgeKey)) edge("USES", repoKey, key, "git_repo_uses_terraform_provider", { manifest: file });
      }
    }
  }
  for (const [key, p] of packages) {
    shared(p.record);
    edge("USES", repoKey, key, `git_repo_uses_${p.record._type}`, {
      direct: p.direct,
      devDependency: p.dev,
      manifest: p.manifest,
    });
  }
  if (terraformVersion) repoEntity.terraformVersion = terraformVersion;
  if (terraformProviders.length > 0) repoEntity.terraformProviders = [...new Set(terraformProviders)].sort();
  return { batch: { entities, relationships }, record };
}
