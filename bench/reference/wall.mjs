/**
 * Wall-clock times of commands, each run in turn (interleaved, so a change in
 * the machine's speed touches them all alike), from this small process: a
 * shell starting `dm` pays for starting one process, where a spawn from the
 * bench's own process (a gigabyte after the import) pays for copying its
 * memory map too (docs/benchmarks.md).
 *
 *   node bench/reference/wall.mjs '{"runs": 11, "commands": [{"argv": ["node", "-e", "0"], "cwd": ".", "env": {}}]}'
 *
 * Prints {"medians": [ms, ...], "runs": [[ms, ...], ...]} in the order given.
 * A command that exits other than 0 or 1 stops the run with its stderr.
 */
import { spawnSync } from "node:child_process";

const { runs, commands } = JSON.parse(process.argv[2]);
const times = commands.map(() => []);
for (let i = 0; i < runs; i++) {
  commands.forEach((c, j) => {
    const t = performance.now();
    const r = spawnSync(c.argv[0], c.argv.slice(1), { cwd: c.cwd, env: c.env, encoding: "utf8" });
    times[j].push(performance.now() - t);
    if (r.error || (r.status !== 0 && r.status !== 1)) {
      process.stderr.write(`${c.argv.join(" ")}: ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr ?? ""}`);
      process.exit(1);
    }
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(`${JSON.stringify({ medians: times.map(median), runs: times })}\n`);
