/**
 * One on-call sync at a time per group: a lock file created with O_EXCL.
 * A second run waits up to `waitMs` for the first, then skips; it never
 * interleaves. A lock left by a process that no longer exists (same host) is
 * taken over, so a crash does not block cron forever.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface LockHolder {
  pid: number;
  host: string;
  since: number;
}

export interface Lock {
  file: string;
  release(): void;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryCreate(file: string, now: number): boolean {
  try {
    const fd = fs.openSync(file, "wx", 0o600);
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: now } satisfies LockHolder));
    fs.closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Remove a lock left by a crashed run. Takers go one at a time (a second
 * O_EXCL file) and check again that the lock is still the dead one, so one
 * taker never removes the fresh lock of another.
 */
function takeOver(file: string, stale: LockHolder): boolean {
  const guard = `${file}.takeover`;
  try {
    const st = fs.statSync(guard);
    if (Date.now() - st.mtimeMs > 10_000) fs.rmSync(guard, { force: true });
  } catch {
    // no guard: fine
  }
  let fd: number;
  try {
    fd = fs.openSync(guard, "wx", 0o600);
  } catch {
    return false;
  }
  try {
    const again = readHolder(file);
    if (again && again.pid === stale.pid && again.since === stale.since && again.host === stale.host) fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(guard, { force: true });
  }
}

/**
 * Take the lock, waiting up to waitMs. Returns the lock, or the holder when
 * the wait ran out.
 */
export async function acquireLock(
  file: string,
  options: { waitMs: number; now: () => number; pollMs?: number },
): Promise<{ lock: Lock } | { holder: LockHolder | undefined }> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    if (tryCreate(file, options.now())) {
      let released = false;
      return {
        lock: {
          file,
          release() {
            if (released) return;
            released = true;
            fs.rmSync(file, { force: true });
          },
        },
      };
    }
    const holder = readHolder(file);
    if (holder && holder.host === os.hostname() && !alive(holder.pid) && takeOver(file, holder)) continue;
    if (Date.now() >= deadline) return { holder };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
  }
}
