/** `dm serve`: the team server, until SIGTERM or Ctrl-C. */
import { secretSourcesOf } from "../../integrations/credentials.js";
import { startServer } from "../../server/serve.js";
import { dataDir } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import { packageVersion } from "../../shared/version.js";
import type { CommandContext } from "../context.js";
import { scheduledJobs } from "./serve-jobs.js";
import { osvDbPath, vulnsSettings } from "./vulns.js";
import type { ServeFlags } from "./serve.command.js";

export type ServeOptions = ServeFlags;

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new InputError(`--port must be 0-65535, not "${text}"`);
  return n;
}

export async function serveCommand(ctx: CommandContext, options: ServeOptions): Promise<void> {
  const port = parsePort(options.port ?? "8080");
  const host = options.host ?? "127.0.0.1";
  // A mistake in the schedule stops the server before it starts, naming the file and key.
  const schedule = scheduledJobs(ctx, { config: options.config });
  const store = await ctx.openStore(options.db, { create: true });
  const version = packageVersion();
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer({
      store,
      logger: ctx.logger,
      now: ctx.now,
      cwd: ctx.cwd,
      dataDir: dataDir(ctx.config),
      secrets: secretSourcesOf(ctx.config),
      // the advisory database and SLA as dm vulns scan finds them (DM_OSV_DB, the config's vulns: section)
      vulns: (() => {
        const settings = vulnsSettings(ctx, { ...(options.config === undefined ? {} : { config: options.config }) });
        return { osvDb: osvDbPath(ctx, {}, settings), config: settings };
      })(),
      version,
      host,
      port,
      jobs: schedule.jobs,
      limits: {
        ...(options.queryTimeout === undefined ? {} : { queryTimeoutMs: options.queryTimeout }),
        ...(options.queryQueue === undefined ? {} : { queryQueue: options.queryQueue }),
        ...(options.queryQueueWait === undefined ? {} : { queryQueueWaitMs: options.queryQueueWait }),
        ...(options.maxBody === undefined ? {} : { maxBodyBytes: options.maxBody }),
        ...(options.rateLimit === undefined ? {} : { rateLimitPerMinute: options.rateLimit }),
      },
    });
  } catch (error) {
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new InputError(`cannot listen on ${host}:${port}: ${code}`, {
        cause: error,
        details: ["Pick another --port (or --port 0 for any free one) or --host."],
      });
    }
    throw error;
  }
  // One write: whoever reads up to "listening on" (a supervisor, a test) also has the dashboard line.
  ctx.stderr.write(
    `dm serve: listening on ${running.url} (${store.kind}: ${store.location})\n` +
      `dm serve: dashboard at ${running.url}/ (sign in with a token: dm token create --name you@example.com --role reader)\n`,
  );
  if (schedule.jobs.length > 0) {
    ctx.stderr.write(`dm serve: ${schedule.jobs.length} scheduled job(s) from ${schedule.file}: ${schedule.jobs.map((j) => `${j.name} (${j.schedule.source})`).join(", ")}\n`);
  }
  let signal = "";
  await new Promise<void>((resolve) => {
    const stop = (name: string) => () => {
      signal = name;
      resolve();
    };
    const onTerm = stop("SIGTERM");
    const onInt = stop("SIGINT");
    process.once("SIGTERM", onTerm);
    process.once("SIGINT", onInt);
    running.server.once("close", () => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
    });
  });
  ctx.stderr.write(`dm serve: ${signal || "stop"}: finishing ${running.app.inFlight()} requests in flight\n`);
  await running.stop();
  ctx.stderr.write("dm serve: stopped\n");
}
