import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SpawnHelper } from "./spawn-helper.js";

const node = process.execPath;
const helpers: SpawnHelper[] = [];
afterEach(() => {
  for (const h of helpers.splice(0)) h.close();
});
function helper(): SpawnHelper {
  const h = new SpawnHelper();
  helpers.push(h);
  return h;
}

/** Whether a process id is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("SpawnHelper", () => {
  it("runs commands as execFile does: stdout, stderr, extra environment, several at once", async () => {
    const h = helper();
    const script = "process.stdout.write(process.argv[1] + ':' + process.env.DM_HELPER_TEST); process.stderr.write('note')";
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((word) => h.run(node, ["-e", script, word], { env: { DM_HELPER_TEST: word.toUpperCase() } })),
    );
    expect(results.map((r) => r.stdout)).toEqual(["a:A", "b:B", "c:C", "d:D"]);
    expect(results.every((r) => r.stderr === "note")).toBe(true);
  });

  it("fails as execFile does: the exit code and stderr, a timeout, a command that does not exist", async () => {
    const h = helper();
    const failed = await h.run(node, ["-e", "process.stderr.write('fatal: no HEAD'); process.exit(3)"]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(failed).toMatchObject({ code: 3, stderr: "fatal: no HEAD", killed: false });
    const slow = await h.run(node, ["-e", "setTimeout(() => {}, 10000)"], { timeout: 200 }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ killed: true, signal: "SIGTERM" });
    const missing = await h.run("dm-no-such-command-here", []).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: "ENOENT" });
    // still serving after the failures
    expect((await h.run(node, ["-e", "process.stdout.write('ok')"])).stdout).toBe("ok");
  });

  it("refuses and stops what is running when closed, and starts again on the next command", async () => {
    const h = helper();
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dm-spawn-helper-")), "pid");
    const running = h
      .run(node, ["-e", `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 10000)`])
      .catch((e: unknown) => e);
    for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    h.close();
    expect(await running).toMatchObject({ message: "the helper process that runs commands was closed" });
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
    expect((await h.run(node, ["-e", "process.stdout.write('again')"])).stdout).toBe("again");
  });

  it("does not keep its process alive when idle, and exits with it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-spawn-helper-"));
    const script = path.join(dir, "use.mjs");
    const module = new URL("./spawn-helper.ts", import.meta.url).href;
    fs.writeFileSync(
      script,
      `import { SpawnHelper } from ${JSON.stringify(module)};
const h = new SpawnHelper();
const { stdout } = await h.run(process.execPath, ["-e", "process.stdout.write(String(process.ppid))"]);
process.stdout.write(stdout);
// not closed: the process must still end on its own
`,
    );
    const t = performance.now();
    const helperPid = Number(execFileSync(node, ["--import", "tsx", script], { encoding: "utf8", timeout: 20_000 }));
    expect(performance.now() - t).toBeLessThan(20_000);
    // the helper (the command's parent) went with it
    expect(helperPid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && alive(helperPid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(helperPid)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
