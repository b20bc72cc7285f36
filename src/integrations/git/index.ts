/**
 * `git`: every repository under a folder becomes a CodeRepo, with what git
 * knows about it, its owners from CODEOWNERS, and what its lockfiles,
 * Dockerfiles and Terraform declare (the extractors).
 */
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";
import type { Integration, SyncContext } from "../types.js";
import { codeownersOf, parseCodeowners } from "./codeowners.js";
import { EXTRACTORS } from "./extractors/index.js";
import { type ExtractResult, ExtractError } from "./extractors/types.js";
import { type FoundRepo, findRepos, languagesOf, type RepoFacts, repoFacts } from "./repos.js";

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
  const window: Promise<{ repo: FoundRepo; facts?: RepoFacts; error?: unknown }>[] = [];
  const start = (repo: FoundRepo) =>
    repoFacts(repo, ctx.now).then(
      (facts) => ({ repo, facts }),
      (error: unknown) => ({ repo, error }),
    );
  let next = 0;
  while (next < repos.length && window.length < ctx.config.concurrency) window.push(start(repos[next++]!));
  while (window.length > 0) {
    const { repo, facts, error } = await window.shift()!;
    if (next < repos.length) window.push(start(repos[next++]!));
    const relative = path.relative(root, repo.dir) || path.basename(repo.dir);
    if (!facts) {
      const stderr = (error as { stderr?: string })?.stderr?.trim();
      ctx.warn({ file: relative, message: `git cannot read this repository: ${stderr || (error as Error)?.message}` });
    } else if (written.has(repoKeyOf(repo, facts))) {
      // two clones of one remote: the first (in path order) stands for it
      ctx.warn({ file: relative, message: `another clone of ${facts.remoteUrl}: skipped` });
    } else {
      yield await repoBatch(ctx, repo, relative, facts, written);
    }
    ctx.progress(++done, total, "repos");
  }
}

/** A repository is known by its remote; one without a remote by where it is. */
function repoKeyOf(repo: FoundRepo, facts: RepoFacts): string {
  return `git_repo:${facts.remoteUrl ?? repo.dir}`;
}

async function repoBatch(
  ctx: SyncContext<GitConfig>,
  repo: FoundRepo,
  relative: string,
  facts: RepoFacts,
  written: Set<string>,
): Promise<GraphBatch> {
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

  const shared = (record: EntityRecord) => {
    if (written.has(record._key)) return;
    written.add(record._key);
    entities.push(record);
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
      const stat = await fs.stat(full);
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
  return { entities, relationships };
}
