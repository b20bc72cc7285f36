/** `dm token create|list|revoke`: API tokens for `dm serve`. */
import { isoDate } from "../../core/maintenance/due.js";
import { createToken, listTokens, parseExpiry, parseRole, revokeToken, tokenProblem } from "../../core/tokens/tokens.js";
import type { ApiToken } from "../../store/types.js";
import { type CommandContext, withStore } from "../context.js";
import { renderTable } from "../output.js";
import type { TokenCreateFlags, TokenListFlags, TokenRevokeFlags } from "./token.command.js";
import { wantsJson } from "../output.js";

export type TokenCreateOptions = TokenCreateFlags;

export async function tokenCreateCommand(ctx: CommandContext, options: TokenCreateOptions) {
  const now = ctx.now();
  const role = parseRole(options.role);
  const expiresOn = options.expires === undefined ? null : parseExpiry(options.expires, now);
  const remote = await ctx.remote(options.db);
  const created = remote
    ? await remote
        .post<{ token: string } & ApiToken>("/api/v1/tokens", {
          body: {
            name: options.name,
            role,
            ...(options.expires === undefined ? {} : { expires: options.expires }),
            ...(options.owner === undefined ? {} : { owner: options.owner }),
          },
        })
        .then(({ token, ...info }) => ({ token, info: info as ApiToken }))
    : await withStore(ctx, options.db, (store) => createToken(store, { name: options.name, role, expiresOn, owner: options.owner ?? null }, { now, actor: ctx.actor() }), { create: true });
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify({ token: created.token, ...created.info })}\n`);
  } else {
    const until = created.info.expiresOn === null ? "never expires" : `expires ${isoDate(created.info.expiresOn)}`;
    ctx.stdout.write(`${created.token}\n`);
    ctx.stderr.write(
      `${ctx.style.bold(`Token "${created.info.name}" (${role}, ${until}${created.info.owner === null ? "" : `, for ${created.info.owner}`})`)}: shown once, only its hash is kept.\n` +
        ctx.style.dim(`Use it:  curl -H "Authorization: Bearer $DM_TOKEN" http://127.0.0.1:8080/api/v1/stats\n`),
    );
  }
  return created;
}

function statusOf(t: ApiToken, now: number): string {
  return tokenProblem(t, now) ?? "active";
}

export async function tokenListCommand(ctx: CommandContext, options: TokenListFlags): Promise<ApiToken[]> {
  const now = ctx.now();
  const remote = await ctx.remote(options.db);
  const tokens = remote
    ? (await remote.get<{ tokens: (ApiToken & { status?: string })[] }>("/api/v1/tokens")).tokens.map(({ status: _status, ...t }) => t)
    : await withStore(ctx, options.db, (store) => listTokens(store));
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify(tokens.map((t) => ({ ...t, status: statusOf(t, now) })))}\n`);
  } else if (tokens.length === 0) {
    ctx.stdout.write("No tokens yet: dm token create --name NAME --role reader|maintainer|admin\n");
  } else {
    const day = (ms: number | null) => (ms === null ? "" : isoDate(ms));
    ctx.stdout.write(
      renderTable(
        ["NAME", "ROLE", "OWNER", "STATUS", "CREATED", "LAST USED", "EXPIRES"],
        tokens.map((t) => [t.name, t.role, t.owner ?? "", statusOf(t, now), day(t.createdOn), day(t.lastUsedOn), day(t.expiresOn)]),
        ctx.style,
      ),
    );
  }
  return tokens;
}

export async function tokenRevokeCommand(ctx: CommandContext, options: TokenRevokeFlags & { name: string }) {
  const now = ctx.now();
  const remote = await ctx.remote(options.db);
  const token = remote
    ? await remote.request<ApiToken>("DELETE", `/api/v1/tokens/${encodeURIComponent(options.name)}`)
    : await withStore(ctx, options.db, (store) => revokeToken(store, options.name, { now, actor: ctx.actor() }));
  if (wantsJson(options)) ctx.stdout.write(`${JSON.stringify(token)}\n`);
  else ctx.stdout.write(`Revoked "${token.name}": it is refused from now on.\n`);
  return token;
}
