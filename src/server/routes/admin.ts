/** The audit log and token management. */
import { z } from "zod";
import { createToken, listTokens, parseExpiry, revokeToken, tokenProblem } from "../../core/tokens/tokens.js";
import { TOKEN_ROLES } from "../../store/types.js";
import { defineRoute, type Route } from "../route.js";
import { apiToken, auditLog, createdToken, tokenList } from "../schemas.js";

const auditQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, "a whole number")
    .optional()
    .describe("newest first, this many (default 100, at most 1000)"),
});

const tokenBody = z.strictObject({
  name: z.string().min(1),
  role: z.enum(TOKEN_ROLES),
  expires: z.string().optional().describe("lifetime: 90d, 12w (default: never)"),
  owner: z.string().max(200).optional().describe("the person or team the token stands for (the dashboard's My items)"),
});

export const adminRoutes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/api/v1/audit",
    role: "reader",
    summary: "The audit log, newest first: every write, who (the token's name) and what",
    query: auditQuery,
    response: auditLog,
    async handle(ctx) {
      const limit = Math.min(1000, Math.max(1, Number(ctx.query.limit ?? 100)));
      return { entries: await ctx.store.auditLog({ limit }) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/tokens",
    role: "admin",
    summary: "Every token with role and status (never the token or its hash)",
    response: tokenList,
    async handle(ctx) {
      const tokens = await listTokens(ctx.store);
      return { tokens: tokens.map((t) => ({ ...t, status: tokenProblem(t, ctx.now) ?? "active" })) };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/v1/tokens",
    role: "admin",
    writes: true,
    status: 201,
    summary: "Make a token; the response is the only time it is shown",
    body: tokenBody,
    response: createdToken,
    async handle(ctx) {
      const b = ctx.body;
      const expiresOn = b.expires === undefined ? null : parseExpiry(b.expires, ctx.now);
      const created = await createToken(ctx.store, { name: b.name, role: b.role, expiresOn, owner: b.owner ?? null }, { now: ctx.now, actor: ctx.actor });
      return { token: created.token, ...created.info };
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/api/v1/tokens/{name}",
    role: "admin",
    writes: true,
    summary: "Revoke a token: refused from now on (its name stays taken)",
    params: z.object({ name: z.string().describe("the token's name") }),
    response: apiToken,
    async handle(ctx) {
      return revokeToken(ctx.store, ctx.params.name, { now: ctx.now, actor: ctx.actor });
    },
  }),
];
