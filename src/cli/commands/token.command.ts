import { type Command, Option } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, type Registration, run, formatOption } from "../registration.js";

const defineCreate = (token: Command) =>
  token
    .command("create")
    .description("Make a token; it is printed once, only its SHA-256 is stored")
    .requiredOption("--name <name>", "who or what uses it: ci-payments, alice@example.com")
    .addOption(
      new Option("--role <role>", "reader: query and read · maintainer: also open, close, reconcile · admin: also tokens, imports, syncs")
        .choices(["reader", "maintainer", "admin"])
        .makeOptionMandatory(),
    )
    .option("--expires <lifetime>", "90d, 12w (default: never)")
    .option("--owner <name>", "the person or team it stands for, as findings name their owner: the dashboard's My items shows theirs")
    .option("--json", "print the token and its record as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

const defineList = (token: Command) =>
  token
    .command("list")
    .description("Tokens with role, status, created, last used, expiry (never the token)")
    .option("--json", "print them as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

const defineRevoke = (token: Command) =>
  token
    .command("revoke")
    .description("Refuse a token from now on (its name stays taken)")
    .argument("<name>", "the token's name")
    .option("--json", "print the revoked token's record as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

/** What `dm token create`, `list` and `revoke` parse from their flags. */
export type TokenCreateFlags = FlagsOf<typeof defineCreate>;
export type TokenListFlags = FlagsOf<typeof defineList>;
export type TokenRevokeFlags = FlagsOf<typeof defineRevoke>;

export const tokenRegistration: Registration = (program, ctx) => {
  const token = program.command("token").description("API tokens for dm serve: create (shown once), list, revoke");
  defineCreate(token).action(async (o) => run((await import("./token.js")).tokenCreateCommand, ctx, o));
  defineList(token).action(async (o) => run((await import("./token.js")).tokenListCommand, ctx, o));
  defineRevoke(token).action(async (name, o) => run((await import("./token.js")).tokenRevokeCommand, ctx, { name, ...o }));
};
