/**
 * Issue 18's row "`dm query --all --format json` for the overdue question"
 * against its plain reference, bench/reference/overdue.py (the same entities
 * by hand-written SQL, shaped into the same J1QL list objects and serialised
 * in Python), on the same SQLite database in the same run.
 *
 * How it is timed (process start excluded): each program runs as its own
 * fresh process with stdout to a file, and reports its own time from the
 * start of its work (the interpreter started and the entry module loaded:
 * bench/reference/dm-timed.mjs for dm, main() for Python) to the last byte
 * written, and the CPU time over that span. The two alternate, run after
 * run, and the medians are compared. As a cross-check the wall time of each
 * process is also recorded, with `node -e 0` and `python3 -c 0` measured in
 * the same run (wall minus empty start). Both outputs are compared byte for
 * byte. Needs `npm run build` (dm-timed loads dist/cjs/, as bin/dm does) and python3.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface OverdueCliBench {
  method: string;
  runs: number;
  rows: number;
  /** dm's and the reference's output are the same bytes */
  identical: boolean;
  dmMs: number;
  dmCpuMs: number;
  referenceMs: number;
  referenceCpuMs: number;
  /** dmMs / referenceMs: the row's measure (target ≤ 1.0) */
  ratio: number;
  ratioCpu: number;
  dmWallMs: number;
  referenceWallMs: number;
  /** the Python interpreter run (python3's sys.executable) */
  python: string;
  nodeStartMs: number;
  pythonStartMs: number;
  /** (dmWallMs - nodeStartMs) / (referenceWallMs - pythonStartMs) */
  ratioWallMinusStart: number;
  loadAverage: number[];
}

const root = path.resolve(import.meta.dirname, "..");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Run a program with stdout to `out`; its wall time and the JSON line it printed last on stderr. */
function timed(command: string, args: string[], out: string): { wallMs: number; report: { ms: number; cpuMs: number; rows?: number } } {
  const fd = fs.openSync(out, "w");
  const t = performance.now();
  const r = spawnSync(command, args, { stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
  const wallMs = performance.now() - t;
  fs.closeSync(fd);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  return { wallMs, report: JSON.parse(last) };
}

function startMs(command: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    spawnSync(command, args);
    times.push(performance.now() - t);
  }
  return median(times);
}

/** The row on the SQLite database `db` (undefined, with the reason logged, when python3 is missing). */
export function benchOverdueCli(db: string, query: string, runs: number, log: (text: string) => void): OverdueCliBench | undefined {
  // The interpreter itself, not a launcher (a pyenv shim is a shell script that costs a second per start).
  const found = spawnSync("python3", ["-c", "import sqlite3, sys; print(sys.executable)"], { encoding: "utf8" });
  const python = found.status === 0 ? found.stdout.trim() : "";
  if (python === "") {
    log("  python3 with sqlite3 not found: the overdue reference is not measured");
    return undefined;
  }
  if (!fs.existsSync(path.join(root, "dist", "cjs", "cli", "main.js"))) {
    log("  dist/cjs/ not built (npm run build): the overdue row through dm is not measured");
    return undefined;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dm-overdue-cli-"));
  try {
    const dmOut = path.join(dir, "dm.json");
    const refOut = path.join(dir, "reference.json");
    const dmArgs = [path.join(root, "bench", "reference", "dm-timed.mjs"), "query", query, "--all", "--format", "json", "--db", db];
    const refArgs = [path.join(root, "bench", "reference", "overdue.py"), db];
    const dm: ReturnType<typeof timed>[] = [];
    const ref: ReturnType<typeof timed>[] = [];
    let identical = true;
    // one unmeasured run of each first (the OS file cache), then alternate
    timed(process.execPath, dmArgs, dmOut);
    timed(python, refArgs, refOut);
    for (let i = 0; i < runs; i++) {
      dm.push(timed(process.execPath, dmArgs, dmOut));
      ref.push(timed(python, refArgs, refOut));
      identical &&= fs.readFileSync(dmOut).equals(fs.readFileSync(refOut));
    }
    const nodeStartMs = startMs(process.execPath, ["-e", "0"], runs);
    const pythonStartMs = startMs(python, ["-c", "0"], runs);
    const dmMs = median(dm.map((r) => r.report.ms));
    const referenceMs = median(ref.map((r) => r.report.ms));
    const dmCpuMs = median(dm.map((r) => r.report.cpuMs));
    const referenceCpuMs = median(ref.map((r) => r.report.cpuMs));
    const dmWallMs = median(dm.map((r) => r.wallMs));
    const referenceWallMs = median(ref.map((r) => r.wallMs));
    return {
      method:
        "fresh processes, alternating; each reports its time from the start of its work (interpreter started, entry module loaded) to the last byte written to a file; medians",
      runs,
      rows: ref[0]?.report.rows ?? 0,
      identical,
      dmMs,
      dmCpuMs,
      referenceMs,
      referenceCpuMs,
      ratio: dmMs / referenceMs,
      ratioCpu: dmCpuMs / referenceCpuMs,
      dmWallMs,
      referenceWallMs,
      python,
      nodeStartMs,
      pythonStartMs,
      ratioWallMinusStart: (dmWallMs - nodeStartMs) / (referenceWallMs - pythonStartMs),
      loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
