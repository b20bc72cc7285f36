import type { CommandContext } from "./context.js";

/**
 * Progress on stderr: on a terminal one line redrawn (bar, counts, rate,
 * elapsed); otherwise (CI logs) a plain line at every tenth of the work.
 */
export function progressReporter(ctx: CommandContext, label: string) {
  if (!ctx.stderrIsTTY) {
    let lastTenth = 0;
    const started = performance.now();
    return {
      update(done: number, total?: number, unit = "items") {
        if (!total || total < 50) return;
        const tenth = Math.floor((done / total) * 10);
        if (tenth <= lastTenth) return;
        lastTenth = tenth;
        ctx.stderr.write(`${label}: ${done}/${total} ${unit} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
      },
      done: () => undefined,
    };
  }
  const started = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(done: number, total?: number, unit = "items") {
      const now = performance.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      shown = true;
      const seconds = (now - started) / 1000;
      const width = 20;
      const bar =
        total && total > 0 ? `${"█".repeat(Math.round((done / total) * width)).padEnd(width, "░")}  ${done}/${total}` : `${done}`;
      const rate = seconds > 0 ? `${Math.round(done / seconds)}/s` : "";
      const clock = `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;
      ctx.stderr.write(`\r${label}  ${bar} ${unit}  ${rate}  ${clock}\u001b[K`);
    },
    done() {
      if (shown) ctx.stderr.write("\n");
    },
  };
}
