/**
 * `dm` as bin/dm runs it, timed from inside: from the start of the work
 * (after Node has started and loaded dm's entry module, dist/cjs/cli/main.js,
 * as bin/dm does) to the last byte written to stdout, reported on stderr as
 * one JSON line after dm's own output: {"ms": ..., "cpuMs": ..., "code": ...}.
 * The modules a command loads on demand (the command, the store,
 * better-sqlite3) count.
 * bench/reference/overdue.py times the Python reference the same way.
 *
 *   npm run build && node bench/reference/dm-timed.mjs query "Find ..." --all --format json --db DB > out.json
 */
import { createRequire } from "node:module";
import path from "node:path";

const { runCli } = createRequire(import.meta.url)(path.join(import.meta.dirname, "..", "..", "dist", "cjs", "cli", "main.js"));
const start = performance.now();
const cpu = process.cpuUsage();
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  stdinIsTTY: process.stdin.isTTY,
  env: process.env,
  cwd: process.cwd(),
});
// stdout to a file or a pipe is written synchronously on Linux; wait anyway if something is buffered.
await new Promise((resolve) => {
  if (process.stdout.writableLength === 0) resolve();
  else process.stdout.once("drain", resolve);
});
const used = process.cpuUsage(cpu);
process.stderr.write(`${JSON.stringify({ ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, code })}\n`);
process.exit(code);
