/**
 * The SQLite select processes a server started (src/store/sqlite/select-workers.ts), found in /proc:
 * children of `parent` whose command line is the select child's source. Linux only.
 */
import fs from "node:fs";

export interface ProcessInfo {
  pid: number;
  /** R running, S sleeping, Z exited and not yet reaped, ... */
  state: string;
  /** user + system CPU time in clock ticks */
  cpuTicks: number;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // pid (comm) state ppid ... utime(14) stime(15): comm may hold spaces, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pid, state: fields[0]!, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** Live (not exited) select processes whose parent is `parent`. */
export function selectProcesses(parent: number): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (parentOf(pid) !== parent) continue;
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes("DM_SELECT_DRIVER")) continue;
    const info = processInfo(pid);
    if (info && info.state !== "Z") found.push(info);
  }
  return found;
}

/** Whether the process is gone (or exited and only waiting to be reaped: it uses no CPU). */
export function isGone(pid: number): boolean {
  const info = processInfo(pid);
  return info === undefined || info.state === "Z";
}

export async function waitFor(check: () => boolean, ms: number, step = 20): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, step));
  }
  return check();
}
