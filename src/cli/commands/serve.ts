/** `dm serve`: the team server, until SIGTERM or Ctrl-C. */
import { readFileSync } from "node:fs";
import { startServer } from "../../server/serve.js";
import { dataDir } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import type { CommandContext } from "../context.js";

export interface ServeOptions {
  port?: string;
  host?: string;
  queryTimeoutMs?: number;
  maxBodyBytes?: number;
  rateLimit?: number;
  db?: string;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new InputError(`--port must be 0-65535, not "${text}"`);
  return n;
}

export async function serveCommand(ctx: CommandContext, options: ServeOptions): Promise<void> {
  const port = parsePort(options.port ?? "8080");
  const host = options.host ?? "127.0.0.1";
  const store = await ctx.openStore(options.db);
  const version = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer({
      store,
      logger: ctx.logger,
      now: ctx.now,
      cwd: ctx.cwd,
      dataDir: dataDir(ctx.config),
      version,
      host,
      port,
      limits: {
        ...(options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs }),
        ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
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
  ctx.stderr.write(`dm serve: listening on ${running.url} (${store.kind}: ${store.location})\n`);
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
