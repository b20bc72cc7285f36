import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCheckout } from "./git-checkout.js";

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "dm-checkout-")));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const env = { PATH: process.env.PATH ?? "", HOME: base };
function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], env }).trim() || undefined;
  } catch {
    return undefined;
  }
}
function repo(name: string, remote?: string): string {
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true });
  git(dir, ["init", "-q"]);
  if (remote) git(dir, ["remote", "add", "origin", remote]);
  return dir;
}
/** What git itself says: the top level and the origin URL. */
function byGit(cwd: string) {
  const root = git(cwd, ["rev-parse", "--show-toplevel"]);
  if (!root) return null;
  const remoteUrl = git(cwd, ["config", "--get", "remote.origin.url"]);
  return remoteUrl ? { root, remoteUrl } : { root };
}

describe("readCheckout", () => {
  it("reads what git says from .git: the top level from a subfolder, the origin URL", () => {
    const dir = repo("payments", "git@github.com:acme/payments.git");
    fs.mkdirSync(path.join(dir, "src", "deep"), { recursive: true });
    git(dir, ["remote", "add", "upstream", "https://github.com/other/payments.git"]);
    for (const cwd of [dir, path.join(dir, "src", "deep")]) {
      expect(readCheckout(cwd, env)).toEqual({ root: dir, remoteUrl: "git@github.com:acme/payments.git" });
      expect(readCheckout(cwd, env)).toEqual(byGit(cwd));
    }
    // through a symlink: the physical path, as git prints it
    fs.symlinkSync(dir, path.join(base, "link"));
    expect(readCheckout(path.join(base, "link"), env)).toEqual(byGit(path.join(base, "link")));
  });

  it("a checkout without an origin gives its root only (the caller asks git for the URL); no checkout is null", () => {
    const dir = repo("no-remote");
    expect(readCheckout(dir, env)).toEqual({ root: dir });
    expect(byGit(dir)).toEqual({ root: dir });
    const plain = path.join(base, "plain");
    fs.mkdirSync(plain);
    // the temporary folder is in no checkout (git agrees)
    expect(byGit(plain)).toBeNull();
    expect(readCheckout(plain, env)).toBeNull();
  });

  it("leaves the unusual to git", () => {
    const dir = repo("unusual", "git@github.com:acme/unusual.git");
    expect(readCheckout(dir, { ...env, GIT_DIR: path.join(dir, ".git") })).toBeUndefined();
    expect(readCheckout(dir, { ...env, GIT_CONFIG_COUNT: "1" })).toBeUndefined();
    expect(readCheckout(dir, { ...env, GIT_CEILING_DIRECTORIES: base })).toBeUndefined();
    // variables about transport, not location, change nothing
    expect(readCheckout(dir, { ...env, GIT_SSL_CAINFO: "/etc/ssl/ca.pem" })).toEqual(byGit(dir));
    expect(readCheckout(path.join(dir, ".git"), env)).toBeUndefined();
    const config = path.join(dir, ".git", "config");
    const original = fs.readFileSync(config, "utf8");
    for (const extra of [
      '[include]\n\tpath = other.config\n',
      '[includeIf "gitdir:~/work/"]\n\tpath = work.config\n',
      "[core]\n\tworktree = /elsewhere\n",
      '[remote "origin"]\n\turl = git@github.com:acme/second.git\n',
    ]) {
      fs.writeFileSync(config, original + extra);
      expect(readCheckout(dir, env)).toBeUndefined();
    }
    fs.writeFileSync(config, original.replace("git@github.com:acme/unusual.git", '"git@github.com:acme/unusual.git" # quoted'));
    expect(readCheckout(dir, env)).toBeUndefined();
    fs.writeFileSync(config, original);
    expect(readCheckout(dir, env)).toEqual(byGit(dir));
    // a worktree's .git is a file
    const wt = path.join(base, "wt");
    fs.mkdirSync(wt);
    fs.writeFileSync(path.join(wt, ".git"), `gitdir: ${path.join(dir, ".git")}\n`);
    expect(readCheckout(wt, env)).toBeUndefined();
  });
});
