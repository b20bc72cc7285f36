import type { Config } from "../shared/config.js";
import type { Logger } from "../shared/logger.js";
import type { GraphStore } from "../store/types.js";
import type { Out, Style } from "./output.js";
import type { Prompter } from "./prompt.js";
import type { RemoteClient } from "./remote.js";

/** What every command gets: where to write, the clock, config and the store. */
export interface CommandContext {
  stdout: Out;
  stderr: Out;
  stdin: NodeJS.ReadableStream;
  /** stdout is a terminal */
  isTTY: boolean;
  /** stderr is a terminal (progress goes there) */
  stderrIsTTY: boolean;
  /** a person can answer questions (stdin and stdout are terminals, or a test scripted the answers) */
  interactive: boolean;
  /** Ask questions; only when `interactive`. */
  prompter(): Prompter;
  /** who is acting: DM_USER, else git user.email, else the OS user */
  actor(): string;
  cwd: string;
  config: Config;
  style: Style;
  logger: Logger;
  now(): number;
  /**
   * Open the store named by --db, else DM_DATABASE_URL, else the default
   * file. A missing SQLite file is refused (exit 2: a mistyped --db is not a
   * new database) unless the command writes and says `create: true`; then it
   * is created and the user is told so once.
   */
  openStore(db?: string, access?: StoreAccess): Promise<GraphStore>;
  /** The team server's client when DM_SERVER is set and no --db was given (remote mode), else undefined. */
  remote(db?: string): Promise<RemoteClient | undefined>;
}

/** `create`: the command writes and may start a new database. */
export interface StoreAccess {
  /** one short read pass and exit (OpenStoreOptions.readOnce) */
  readOnce?: boolean;
  create?: boolean;
}

/** Run `fn` with an open store and close it whatever happens. */
export async function withStore<T>(
  ctx: CommandContext,
  db: string | undefined,
  fn: (store: GraphStore) => Promise<T>,
  access?: StoreAccess,
): Promise<T> {
  const store = await ctx.openStore(db, access);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
