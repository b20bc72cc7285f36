/**
 * Directory entries -> `ldap_user` (User) and `ldap_group` (UserGroup), and
 * `ldap_group -HAS-> ldap_user` from a posixGroup's `memberUid` (user names)
 * and a groupOfNames' `member` / groupOfUniqueNames' `uniqueMember` (DNs);
 * a member DN that is a group read too is `ldap_group -HAS-> ldap_group`.
 *
 * JupiterOne has no LDAP integration of its own; the types follow its
 * naming (`<source>_user`, `<source>_group`, `<from>_has_<to>`) and its User
 * class (email, username, shortLoginId as lists). Pure: entries in, records
 * out; a member that names nobody read is reported, not linked.
 */
import { normaliseDn } from "../../core/oncall/ldap.js";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";

/** One entry as ldapts gives it: attribute -> string or strings (Buffers already decoded). */
export interface LdapEntry {
  dn: string;
  [attribute: string]: string | string[];
}

/** The values of an attribute, whatever the case of its name. */
export function values(entry: LdapEntry, attribute: string): string[] {
  const want = attribute.toLowerCase();
  for (const [k, v] of Object.entries(entry)) {
    if (k.toLowerCase() === want && k !== "dn") return (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== "");
  }
  return [];
}

const first = (entry: LdapEntry, attribute: string) => values(entry, attribute)[0];

export const userKey = (dn: string) => `ldap_user:${normaliseDn(dn)}`;
export const groupKey = (dn: string) => `ldap_group:${normaliseDn(dn)}`;

/** LDAP GeneralizedTime (20261123120000Z, 20261123120000.5Z) -> epoch ms. */
export function generalizedTime(value: string | undefined): number | undefined {
  const m = value && /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,]\d+)?Z$/.exec(value);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5] ?? 0), Number(m[6] ?? 0));
}

function defined<T extends Record<string, unknown>>(props: T): T {
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as T;
}

function integer(value: string | undefined): number | undefined {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : undefined;
}

export function userEntity(entry: LdapEntry): EntityRecord {
  const uid = first(entry, "uid");
  const cn = first(entry, "cn");
  const name = first(entry, "displayName") ?? cn ?? uid ?? entry.dn;
  const emails = [...new Set(values(entry, "mail").map((m) => m.trim().toLowerCase()))];
  return defined({
    _key: userKey(entry.dn),
    _type: "ldap_user",
    _class: "User",
    name,
    displayName: name,
    dn: entry.dn,
    uid,
    // JupiterOne's User class holds these as lists
    email: emails.length > 0 ? emails : null,
    username: uid ? [uid] : null,
    shortLoginId: uid ? [uid] : null,
    firstName: first(entry, "givenName") ?? null,
    lastName: first(entry, "sn") ?? null,
    uidNumber: integer(first(entry, "uidNumber")),
    gidNumber: integer(first(entry, "gidNumber")),
    homeDirectory: first(entry, "homeDirectory"),
    loginShell: first(entry, "loginShell"),
    title: first(entry, "title"),
    objectClasses: values(entry, "objectClass"),
    createdOn: generalizedTime(first(entry, "createTimestamp")),
    updatedOn: generalizedTime(first(entry, "modifyTimestamp")),
  });
}

export function groupEntity(entry: LdapEntry): EntityRecord {
  const cn = first(entry, "cn") ?? entry.dn;
  const classes = values(entry, "objectClass").map((c) => c.toLowerCase());
  return defined({
    _key: groupKey(entry.dn),
    _type: "ldap_group",
    _class: "UserGroup",
    name: cn,
    displayName: cn,
    dn: entry.dn,
    description: first(entry, "description"),
    gidNumber: integer(first(entry, "gidNumber")),
    groupType: classes.includes("posixgroup")
      ? "posixGroup"
      : classes.includes("groupofuniquenames")
        ? "groupOfUniqueNames"
        : classes.includes("groupofnames")
          ? "groupOfNames"
          : undefined,
    createdOn: generalizedTime(first(entry, "createTimestamp")),
    updatedOn: generalizedTime(first(entry, "modifyTimestamp")),
  });
}

export interface DirectoryGraph {
  entities: EntityRecord[];
  relationships: RelationshipRecord[];
  /** members that name no user or group that was read: "cn=x: memberUid zed" */
  unresolved: string[];
}

/** uniqueMember may carry an optional unique identifier: `uid=a,dc=x#'0101'B`. */
const stripUniqueId = (dn: string) => dn.replace(/#'[01]*'B$/, "");

export function mapDirectory(users: LdapEntry[], groups: LdapEntry[]): DirectoryGraph {
  const entities: EntityRecord[] = [];
  const relationships = new Map<string, RelationshipRecord>();
  const unresolved: string[] = [];
  const byDn = new Map<string, string>();
  const byUid = new Map<string, string>();
  for (const u of users) {
    const e = userEntity(u);
    if (byDn.has(normaliseDn(u.dn))) continue;
    entities.push(e);
    byDn.set(normaliseDn(u.dn), e._key);
    // uid matches case-insensitively (its schema's equality rule is caseIgnoreMatch)
    for (const uid of values(u, "uid")) if (!byUid.has(uid.toLowerCase())) byUid.set(uid.toLowerCase(), e._key);
  }
  for (const g of groups) {
    const dn = normaliseDn(g.dn);
    if (byDn.has(dn)) continue;
    byDn.set(dn, groupKey(g.dn));
    entities.push(groupEntity(g));
  }
  const has = (from: string, to: string, via: string) => {
    const toType = to.startsWith("ldap_group:") ? "group" : "user";
    const key = `${from}|has|${to}`;
    if (!relationships.has(key)) {
      relationships.set(key, { _key: key, _type: `ldap_group_has_${toType}`, _class: "HAS", _fromEntityKey: from, _toEntityKey: to, memberAttribute: via });
    }
  };
  for (const g of groups) {
    const from = groupKey(g.dn);
    const label = first(g, "cn") ?? g.dn;
    for (const uid of values(g, "memberUid")) {
      const to = byUid.get(uid.toLowerCase());
      if (to) has(from, to, "memberUid");
      else unresolved.push(`${label}: memberUid ${uid}`);
    }
    for (const attr of ["member", "uniqueMember"]) {
      for (const raw of values(g, attr)) {
        const to = byDn.get(normaliseDn(stripUniqueId(raw)));
        if (to && to !== from) has(from, to, attr);
        else if (!to) unresolved.push(`${label}: ${attr} ${raw}`);
      }
    }
  }
  return { entities, relationships: [...relationships.values()], unresolved };
}
