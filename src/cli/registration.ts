/**
 * What a command's registration is made of. Each `commands/<name>.command.ts`
 * exports one `Registration`: its flags, help and action in one place, typed
 * by @commander-js/extra-typings, and the type of the options its flags
 * parse to, which the implementation (`commands/<name>.ts`) takes. The action
 * loads the implementation with `import()`, so a registration costs `dm
 * --help` no store, query engine or yaml, and returns its promise:
 * `parseAsync` awaits it and `runCli` turns what it throws into an exit code.
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { InputError } from "../shared/errors.js";
import type { CommandContext } from "./context.js";

/** Adds one command (or a group of subcommands) to `program`; its actions run with `ctx`. */
export type Registration = (program: Command, ctx: CommandContext) => void;

/**
 * The options object commander parses for the command `define` declares:
 * what the implementation's options type is made of, so a flag is written
 * once, beside its help text.
 */
export type FlagsOf<D extends (program: Command) => { opts(): unknown }> = ReturnType<ReturnType<D>["opts"]>;

/**
 * Call a command's implementation with the options commander parsed. The
 * options must fit the implementation's parameter, and every key must be one
 * the implementation declares: a flag whose name drifted from the
 * implementation's field is a type error here, not a value silently dropped.
 */
export async function run<T, U extends T>(
  command: (ctx: CommandContext, options: T) => Promise<unknown>,
  ctx: CommandContext,
  options: U & Record<Exclude<keyof U, keyof T>, never>,
): Promise<void> {
  await command(ctx, options);
}

/** An option parser for whole numbers from 1 up, naming the flag when the value is wrong. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InputError(`${flag} must be a positive whole number, not "${value}"`);
    }
    return n;
  };
}

/** `-f, --format <format>` of a command whose output is structured; `--json` is the same as `--format json`. */
export const formatOption = (choices: readonly string[]) =>
  new Option("-f, --format <format>", `output format (--json is --format json)`).choices(choices);

export const dbOption = () =>
  new Option("--db <path-or-url>", "SQLite file, file: URL or postgres:// URL (default: DM_DATABASE_URL, else ~/.deferred-maintenance/dm.db)");

/** `--param name=value`, repeatable: the raw texts; the command types them (query.ts parseParams). */
export const paramOption = () =>
  new Option(
    "--param <name=value>",
    'fill the question parameter {{name}} (repeatable); numbers and true/false are typed, "..." keeps a string',
  ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);

/** `--id <maintenance-id>`: every command that takes an item takes it as an argument or as --id. */
export const idOption = () => new Option("--id <maintenance-id>", "the item (8 hex digits, as dm open printed); the same as giving it as the argument");

/** The item a command names by its argument or --id (one of them, or both the same), or undefined. */
export function oneItemId(argument: string | undefined, option: string | undefined): string | undefined {
  if (argument !== undefined && option !== undefined && argument !== option) {
    throw new InputError(`two ids: ${argument} (the argument) and --id ${option}; give one`);
  }
  return option ?? argument;
}
