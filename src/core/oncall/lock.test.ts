import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/cli.js";
import { acquireLock } from "./lock.js";

const now = () => Date.UTC(2026, 10, 23, 12);

describe("acquireLock", () => {
  it("a second taker skips at once with waitMs 0, and names the holder", async () => {
    const file = path.join(tempDir(), "locks", "a.lock");
    const first = await acquireLock(file, { waitMs: 0, now });
    expect("lock" in first).toBe(true);
    const second = await acquireLock(file, { waitMs: 0, now });
    expect(second).toEqual({ holder: { pid: process.pid, host: os.hostname(), since: now() } });
    if ("lock" in first) first.lock.release();
    expect("lock" in (await acquireLock(file, { waitMs: 0, now }))).toBe(true);
  });

  it("a second taker waits for the first to release", async () => {
    const file = path.join(tempDir(), "b.lock");
    const first = await acquireLock(file, { waitMs: 0, now });
    if (!("lock" in first)) throw new Error("no lock");
    setTimeout(() => first.lock.release(), 300);
    const started = Date.now();
    const second = await acquireLock(file, { waitMs: 5000, now, pollMs: 20 });
    expect("lock" in second).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("takes over a lock left by a process that is gone", async () => {
    const file = path.join(tempDir(), "c.lock");
    // a pid that is not running: the largest possible is never in use here
    fs.writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 17, host: os.hostname(), since: 0 }));
    expect("lock" in (await acquireLock(file, { waitMs: 0, now }))).toBe(true);
    // a lock of another host is never taken over
    const other = path.join(tempDir(), "d.lock");
    fs.writeFileSync(other, JSON.stringify({ pid: 2 ** 22 + 17, host: "elsewhere", since: 0 }));
    expect("holder" in (await acquireLock(other, { waitMs: 0, now }))).toBe(true);
  });
});
