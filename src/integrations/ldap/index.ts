/**
 * `ldap`: the users and groups of a directory (OpenLDAP, 389-ds, Active
 * Directory's LDAP), with group membership. ldaps://, or ldap:// with
 * StartTLS, verified against `caFile` (else the system's CAs); plain
 * ldap:// only with `insecure: true`.
 */
import { z } from "zod";
import { Duration } from "../settings.js";
import { InputError } from "../../shared/errors.js";
import { CredentialRef } from "../credentials.js";
import { resolveFile } from "../file-source.js";
import type { Integration, SyncContext } from "../types.js";
import { DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER, GROUP_ATTRIBUTES, openDirectory, USER_ATTRIBUTES } from "./client.js";
import { mapDirectory } from "./map.js";


export const LdapConfig = z
  .object({
    url: z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/i, "write ldaps://host[:port] (or ldap://host[:port] with starttls: true)"),
    bindDn: z.string().min(1, "bindDn must name the account dm binds as"),
    password: CredentialRef,
    baseDn: z.string().min(1, "baseDn must name where users and groups are searched"),
    caFile: z.string().min(1).optional(),
    /** plain ldap:// without TLS: a local test directory only */
    insecure: z.boolean().optional(),
    starttls: z.boolean().optional(),
    userFilter: z.string().min(1).optional(),
    groupFilter: z.string().min(1).optional(),
    /** per request (default 10s) */
    timeout: Duration("5s, 30s, 1m").optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const ldaps = /^ldaps:/i.test(c.url);
    if (ldaps && c.starttls) ctx.addIssue({ code: "custom", path: ["starttls"], message: "ldaps:// is TLS already; starttls is for ldap:// URLs" });
    if (!ldaps && !c.starttls && !c.insecure) {
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message: "ldap:// would send the password in clear: use ldaps://, or starttls: true, or (a local test directory only) insecure: true",
      });
    }
    if (c.insecure && (ldaps || c.starttls)) ctx.addIssue({ code: "custom", path: ["insecure"], message: "insecure: true is for plain ldap:// without StartTLS" });
    if (c.insecure && c.caFile) ctx.addIssue({ code: "custom", path: ["caFile"], message: "a caFile is for TLS; insecure: true has none" });
  });
export type LdapConfig = z.infer<typeof LdapConfig>;

async function* syncDirectory(ctx: SyncContext<LdapConfig>) {
  const c = ctx.config;
  const { FilterParser } = await import("ldapts");
  const userFilter = c.userFilter ?? DEFAULT_USER_FILTER;
  const groupFilter = c.groupFilter ?? DEFAULT_GROUP_FILTER;
  for (const [key, filter] of [["userFilter", userFilter], ["groupFilter", groupFilter]] as const) {
    try {
      FilterParser.parseString(filter);
    } catch (error) {
      throw new InputError(`${key}: ${filter} is not an LDAP filter (RFC 4515): ${(error as Error).message}`, { cause: error });
    }
  }
  const password = await ctx.secret(c.password, "password");
  const directory = await openDirectory(
    {
      url: c.url,
      tls: /^ldaps:/i.test(c.url) ? "ldaps" : c.starttls ? "starttls" : "none",
      ...(c.caFile ? { caFile: resolveFile(ctx.cwd, c.caFile) } : {}),
      bindDN: c.bindDn,
      bindPassword: password,
      timeoutMs: c.timeout ?? 10_000,
    },
    c.baseDn,
    { caFile: "caFile", password: "bindDn, password", insecure: "insecure: true" },
  );
  try {
    const users = await directory.search(userFilter, USER_ATTRIBUTES, "users");
    ctx.progress(1, 2, "searches");
    const groups = await directory.search(groupFilter, GROUP_ATTRIBUTES, "groups");
    ctx.progress(2, 2, "searches");
    const graph = mapDirectory(users, groups);
    // a member naming no user that was read (outside baseDn or the filter, or deleted) is worth knowing, not a failure
    for (const u of graph.unresolved.slice(0, 20)) ctx.note({ file: c.baseDn, message: `group member not among the users read: ${u}` });
    if (graph.unresolved.length > 20) ctx.note({ file: c.baseDn, message: `… and ${graph.unresolved.length - 20} more group members not among the users read` });
    yield { entities: graph.entities, relationships: graph.relationships };
  } finally {
    await directory.close();
  }
}

export const ldapIntegration: Integration<LdapConfig> = {
  id: "ldap",
  description: "users and groups (with membership) of an LDAP directory",
  configSchema: LdapConfig,
  instanceName: (config) => `ldap:${config.url.replace(/\/+$/, "").toLowerCase()}/${config.baseDn}`,
  sync: syncDirectory,
};
