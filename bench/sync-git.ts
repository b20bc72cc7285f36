/**
 * Benchmark of `dm sync git`: N local repositories with one package-lock.json
 * each (about 300 packages drawn from a shared pool), synced twice through
 * the real binary, then a third time after one lockfile changed (that one
 * repository is read again, the others are skipped by the per-repository
 * cache). Results in bench/results/sync-git-<N>.json.
 *
 *   npm run bench:sync                 # 1,000 repositories
 *   npm run bench:sync -- --repos 200
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { rng } from "./rng.js";

const { values: args } = parseArgs({
  options: {
    repos: { type: "string", default: "1000" },
    packages: { type: "string", default: "300" },
    out: { type: "string", default: path.join(import.meta.dirname, "results") },
  },
});
const REPOS = Number(args.repos);
const PACKAGES = Number(args.packages);
const root = path.resolve(import.meta.dirname, "..");

function lockfile(index: number): string {
  const next = rng(index + 1);
  const packages: Record<string, unknown> = {
    "": { name: `service-${index}`, version: "1.0.0", dependencies: {} as Record<string, string>, devDependencies: {} },
  };
  const root = packages[""] as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  for (let i = 0; i < PACKAGES; i++) {
    // a pool of 3,000 names, popular ones far more often; versions vary a little
    const n = Math.floor(3000 * next() ** 2);
    const name = n % 7 === 0 ? `@acme/lib-${n}` : `pkg-${n}`;
    const version = `1.${n % 5}.${Math.floor(next() * 3)}`;
    const dev = next() < 0.2;
    packages[`node_modules/${name}`] = { version, resolved: `https://registry.npmjs.org/${name}/-/x-${version}.tgz`, ...(dev ? { dev: true } : {}) };
    if (i < 30) (dev ? root.devDependencies : root.dependencies)[name] = `^${version}`;
  }
  return JSON.stringify({ name: `service-${index}`, version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2);
}

function git(cwd: string, ...a: string[]) {
  execFileSync("git", a, {
    cwd,
    env: { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@example.com", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@example.com" },
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-bench-sync-"));
try {
  const src = path.join(dir, "src");
  process.stderr.write(`creating ${REPOS} repositories …\n`);
  const template = path.join(dir, "template");
  fs.mkdirSync(template);
  git(template, "init", "-q", "-b", "main");
  fs.writeFileSync(path.join(template, "index.js"), "module.exports = {};\n");
  fs.writeFileSync(path.join(template, "package.json"), "{}\n");
  fs.writeFileSync(path.join(template, "package-lock.json"), "{}\n");
  git(template, "add", ".");
  git(template, "commit", "-q", "-m", "init");
  for (let i = 0; i < REPOS; i++) {
    const repo = path.join(src, `team-${i % 20}`, `service-${i}`);
    fs.mkdirSync(path.dirname(repo), { recursive: true });
    fs.cpSync(template, repo, { recursive: true });
    fs.appendFileSync(path.join(repo, ".git", "config"), `[remote "origin"]\n\turl = git@git.example.com:acme/service-${i}.git\n`);
    // the lockfile differs per repo; git ls-files still lists it (it is tracked)
    fs.writeFileSync(path.join(repo, "package-lock.json"), lockfile(i));
  }
  const db = path.join(dir, "dm.db");
  const bin = path.join(root, "bin", "dm");
  const sync = (...flags: string[]) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [bin, "sync", "git", "--path", src, "--db", db, "--json", ...flags], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`dm sync failed: ${r.stderr}`);
    return { seconds: (performance.now() - t) / 1000, summary: JSON.parse(r.stdout) };
  };
  process.stderr.write("first sync …\n");
  const first = sync();
  process.stderr.write("second sync (nothing changed) …\n");
  const second = sync();
  process.stderr.write("third sync (one lockfile changed: a package added, one removed) …\n");
  const changedLock = path.join(src, "team-0", "service-0", "package-lock.json");
  const lock = JSON.parse(fs.readFileSync(changedLock, "utf8")) as { packages: Record<string, unknown> };
  const removed = Object.keys(lock.packages).find((k) => k.startsWith("node_modules/"))!;
  delete lock.packages[removed];
  lock.packages["node_modules/bench-changed"] = { version: "1.0.0" };
  fs.writeFileSync(changedLock, JSON.stringify(lock, null, 2));
  const third = sync();
  const skipped = (s: { notices: { message: string }[] }) =>
    Number(/^(\d+) of \d+ repositor/.exec(s.notices.find((n) => /unchanged since the last sync/.test(n.message))?.message ?? "")?.[1] ?? 0);
  // the second run skipped every repository and kept every record; the third read the changed one again:
  // its new package and edge are created, the removed package's edge is deleted
  const checks = {
    secondSkippedAll: skipped(second.summary) === REPOS && second.summary.unchanged === first.summary.created && second.summary.deleted === 0,
    thirdReadOne: skipped(third.summary) === REPOS - 1 && third.summary.created === 2 && third.summary.deleted >= 1,
  };
  if (!checks.secondSkippedAll || !checks.thirdReadOne) {
    throw new Error(`unexpected counts: ${JSON.stringify({ second: second.summary, third: third.summary })}`);
  }
  const counts = spawnSync(process.execPath, [bin, "query", "Find CodeModule as p return count(p) as n", "--db", db, "--format", "json"], {
    encoding: "utf8",
  });
  const packages = JSON.parse(counts.stdout).data[0].n;
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    repos: REPOS,
    packagesPerLockfile: PACKAGES,
    distinctPackages: packages,
    first: { seconds: first.seconds, status: first.summary.status, created: first.summary.created, warnings: first.summary.warnings.length },
    second: {
      seconds: second.seconds,
      status: second.summary.status,
      created: second.summary.created,
      unchanged: second.summary.unchanged,
      deleted: second.summary.deleted,
      skippedRepos: skipped(second.summary),
    },
    thirdOneLockfileChanged: {
      seconds: third.seconds,
      status: third.summary.status,
      created: third.summary.created,
      deleted: third.summary.deleted,
      unchanged: third.summary.unchanged,
      skippedRepos: skipped(third.summary),
    },
    checks,
    load: os.loadavg(),
    reposPerSecond: REPOS / first.seconds,
  };
  fs.mkdirSync(args.out!, { recursive: true });
  fs.writeFileSync(path.join(args.out!, `sync-git-${REPOS}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `sync git: ${REPOS} repos × ${PACKAGES} packages (${packages} distinct)\n` +
      `  first sync  ${first.seconds.toFixed(1)} s (${result.reposPerSecond.toFixed(0)} repos/s), ${first.summary.created.toLocaleString("en")} records created, ${first.summary.status}\n` +
      `  second sync ${second.seconds.toFixed(1)} s, created ${second.summary.created}, unchanged ${second.summary.unchanged.toLocaleString("en")}, ${skipped(second.summary)} repos skipped\n` +
      `  third sync  ${third.seconds.toFixed(1)} s (one lockfile changed), created ${third.summary.created}, deleted ${third.summary.deleted}, ${skipped(third.summary)} repos skipped\n` +
      `  load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores\n`,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
