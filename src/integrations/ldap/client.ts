/**
 * Reads users and groups with paged searches (RFC 2696, ldapts `paged`),
 * over the connection the on-call feature opens (core/oncall/ldap.ts:
 * ldaps:// or StartTLS verified against the CA file, then a simple bind).
 */
import { connectLdap, type LdapConnection } from "../../core/oncall/ldap.js";
import { ExternalServiceError, InputError } from "../../shared/errors.js";
import type { LdapEntry } from "./map.js";

export const USER_ATTRIBUTES = [
  "uid", "cn", "sn", "givenName", "displayName", "mail", "uidNumber", "gidNumber", "homeDirectory", "loginShell", "title",
  "objectClass", "createTimestamp", "modifyTimestamp",
];
export const GROUP_ATTRIBUTES = ["cn", "description", "gidNumber", "memberUid", "member", "uniqueMember", "objectClass", "createTimestamp", "modifyTimestamp"];

export const DEFAULT_USER_FILTER = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))";
export const DEFAULT_GROUP_FILTER = "(|(objectClass=posixGroup)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))";

export interface DirectoryReader {
  search(filter: string, attributes: string[], what: string): Promise<LdapEntry[]>;
  close(): Promise<void>;
}

function text(value: unknown): string | string[] {
  if (Array.isArray(value)) return value.map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : String(v)));
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

export async function openDirectory(
  connection: LdapConnection,
  baseDn: string,
  names: { caFile: string; password: string; insecure: string },
  pageSize = 500,
): Promise<DirectoryReader> {
  const { client, ldapts } = await connectLdap(connection, { ...names, caFileAlias: "" });
  return {
    async search(filter, attributes, what) {
      try {
        const { searchEntries } = await client.search(baseDn, { scope: "sub", filter, attributes, paged: { pageSize } });
        return searchEntries.map((e) => {
          const entry: LdapEntry = { dn: e.dn };
          for (const [k, v] of Object.entries(e)) if (k !== "dn") entry[k] = text(v);
          return entry;
        });
      } catch (error) {
        if (error instanceof ldapts.NoSuchObjectError) {
          throw new InputError(`baseDn: the directory has no entry ${baseDn}`, { cause: error });
        }
        const e = error as { message?: string; code?: unknown };
        const filterProblem = /filter/i.test(e.message ?? "");
        throw new ExternalServiceError("LDAP", `LDAP ${connection.url}: searching ${baseDn} for ${what} (${filter}) failed: ${e.message ?? String(error)}`, {
          cause: error,
          details: [filterProblem ? "Check the filter's syntax (RFC 4515)." : "Check that the bind DN may search the base DN, and that the server is reachable."],
        });
      }
    },
    async close() {
      await client.unbind().catch(() => undefined);
    },
  };
}
