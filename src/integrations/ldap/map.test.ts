import { describe, expect, it } from "vitest";
import { dataModelProblemsOf } from "../../../test/data-model.js";
import { generalizedTime, type LdapEntry, mapDirectory } from "./map.js";

const users: LdapEntry[] = [
  {
    dn: "uid=frank,ou=people,dc=example,dc=org",
    objectClass: ["inetOrgPerson", "posixAccount"],
    uid: "frank",
    cn: "Frank Miller",
    givenName: "Frank",
    sn: "Miller",
    mail: ["Frank.Miller@Example.ORG", "frank@example.org"],
    uidNumber: "10001",
    gidNumber: "10000",
    homeDirectory: "/home/frank",
    createTimestamp: "20261101093000Z",
  },
  { dn: "UID=Alice, OU=People, DC=example, DC=org", objectClass: "inetOrgPerson", uid: "alice", cn: "alice", sn: "alice", mail: "alice@example.org" },
];
const groups: LdapEntry[] = [
  { dn: "cn=oncall,ou=groups,dc=example,dc=org", objectClass: "posixGroup", cn: "oncall", gidNumber: "5000", memberUid: ["ALICE", "zed"] },
  {
    dn: "cn=admins,ou=groups,dc=example,dc=org",
    objectClass: ["top", "groupOfUniqueNames"],
    cn: "admins",
    uniqueMember: ["uid=frank,ou=people,dc=example,dc=org#'0101'B", "uid=alice,ou=people,dc=example,dc=org"],
  },
  { dn: "cn=platform,ou=groups,dc=example,dc=org", objectClass: "groupOfNames", cn: "platform", member: ["cn=admins,ou=groups,dc=example,dc=org", "cn=platform,ou=groups,dc=example,dc=org"] },
];

describe("ldap map", () => {
  it("makes users with lowercased emails and groups with their members", () => {
    const g = mapDirectory(users, groups);
    expect(g.entities.find((e) => e._type === "ldap_user" && e.uid === "frank")).toMatchObject({
      _key: "ldap_user:uid=frank,ou=people,dc=example,dc=org",
      _class: "User",
      name: "Frank Miller",
      email: ["frank.miller@example.org", "frank@example.org"],
      username: ["frank"],
      firstName: "Frank",
      lastName: "Miller",
      uidNumber: 10001,
      createdOn: Date.UTC(2026, 10, 1, 9, 30),
    });
    expect(g.entities.find((e) => e.name === "admins")).toMatchObject({ _type: "ldap_group", _class: "UserGroup", groupType: "groupOfUniqueNames" });
    expect(g.relationships.map((r) => [r._fromEntityKey.split(",")[0], r._type, r._toEntityKey.split(",")[0], r.memberAttribute])).toEqual([
      ["ldap_group:cn=oncall", "ldap_group_has_user", "ldap_user:uid=alice", "memberUid"],
      ["ldap_group:cn=admins", "ldap_group_has_user", "ldap_user:uid=frank", "uniqueMember"],
      ["ldap_group:cn=admins", "ldap_group_has_user", "ldap_user:uid=alice", "uniqueMember"],
      ["ldap_group:cn=platform", "ldap_group_has_group", "ldap_group:cn=admins", "member"],
    ]);
    expect(g.unresolved).toEqual(["oncall: memberUid zed"]);
  });

  it("writes only entities valid in JupiterOne's data model", () => {
    expect(dataModelProblemsOf(mapDirectory(users, groups).entities)).toEqual([]);
  });

  it("reads GeneralizedTime", () => {
    expect(generalizedTime("20261123120000Z")).toBe(Date.UTC(2026, 10, 23, 12));
    expect(generalizedTime("2026112312Z")).toBe(Date.UTC(2026, 10, 23, 12));
    expect(generalizedTime("yesterday")).toBeUndefined();
  });
});
