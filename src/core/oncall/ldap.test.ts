/** Against a real OpenLDAP slapd on 127.0.0.1 (test/helpers/slapd.ts). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalServiceError } from "../../shared/errors.js";
import { GROUP_DN, GROUP_OF_NAMES_DN, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, type Slapd, startSlapd } from "../../../test/helpers/slapd.js";
import { equalityFilter, escapeFilterValue, LdapDirectory, type LdapSettings } from "./ldap.js";

describe("escapeFilterValue (RFC 4515)", () => {
  it("escapes * ( ) \\ and NUL, and nothing else", () => {
    expect(escapeFilterValue("a*b(c)d\\e\u0000f")).toBe("a\\2ab\\28c\\29d\\5ce\\00f");
    expect(escapeFilterValue("jörg.o'neil+ops@example.org")).toBe("jörg.o'neil+ops@example.org");
    expect(equalityFilter("mail", "a*)(uid=*")).toBe("(mail=a\\2a\\29\\28uid=\\2a)");
  });
});

describe("LdapDirectory against slapd", () => {
  let slapd: Slapd;
  let settings: LdapSettings;

  beforeAll(async () => {
    slapd = await startSlapd({ tls: true, members: ["alice", "bob"] });
    settings = {
      url: slapd.url,
      tls: "starttls",
      caFile: slapd.certs!.caFile,
      bindDN: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      userBase: PEOPLE,
      mailAttribute: "mail",
      userAttribute: "uid",
      groupDN: GROUP_DN,
      memberAttribute: "memberUid",
      memberValue: "user",
      timeoutMs: 5000,
    };
  });
  afterAll(async () => {
    await slapd?.stop();
  });

  it("an email full of filter syntax matches nobody (not every user)", async () => {
    const dir = await LdapDirectory.open(settings);
    try {
      expect(await dir.findByEmail("a*)(uid=*")).toEqual([]);
      expect(await dir.findByEmail("*")).toEqual([]);
      expect(await dir.findByEmail("alice@example.org)(|(mail=*")).toEqual([]);
      expect(await dir.findByEmail("\\2a")).toEqual([]);
      expect((await dir.findByEmail("alice@example.org")).map((u) => u.name)).toEqual(["alice"]);
      expect((await dir.findByEmail("twins@example.org")).map((u) => u.name).sort()).toEqual(["twin1", "twin2"]);
    } finally {
      await dir.close();
    }
  });

  it("StartTLS and LDAPS with the CA file work; a CA that did not sign the certificate is refused", async () => {
    for (const s of [settings, { ...settings, url: slapd.ldapsUrl!, tls: "ldaps" as const }]) {
      const dir = await LdapDirectory.open(s);
      expect(await dir.readGroup()).toEqual(expect.arrayContaining(["alice"]));
      await dir.close();
      const wrong = await LdapDirectory.open({ ...s, caFile: slapd.certs!.otherCaFile }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(ExternalServiceError);
      expect((wrong as Error).message).toMatch(/(StartTLS|bind).*failed.*(SELF_SIGNED|certificate)/i);
    }
  });

  it("a wrong bind password is an ExternalServiceError that does not show the password", async () => {
    const error = await LdapDirectory.open({ ...settings, bindPassword: "wrong-pass-91" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as Error).message).toContain(`bind as ${SERVICE_DN} failed: invalid credentials`);
    expect(JSON.stringify({ m: (error as Error).message, d: (error as ExternalServiceError).details })).not.toContain("wrong-pass-91");
  });

  it("adds and deletes in ONE modify request, then the directory holds the new members", async () => {
    slapd.setAttribute(GROUP_DN, "memberUid", ["alice", "bob"]);
    const before = await slapd.modifyCount(GROUP_DN);
    const dir = await LdapDirectory.open(settings);
    try {
      await dir.modifyGroup(["carol", "dave"], ["bob"]);
    } finally {
      await dir.close();
    }
    expect((await slapd.modifyCount(GROUP_DN)) - before).toBe(1);
    expect(slapd.attribute(GROUP_DN, "memberUid")).toEqual(["alice", "carol", "dave"]);
  });

  it("a group changed meanwhile makes the whole request fail and nothing is written", async () => {
    slapd.setAttribute(GROUP_DN, "memberUid", ["alice"]);
    const dir = await LdapDirectory.open(settings);
    try {
      // bob is no longer there: the delete fails, so the add of carol must not happen either
      const error = await dir.modifyGroup(["carol"], ["bob"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExternalServiceError);
      expect((error as ExternalServiceError).details.join(" ")).toMatch(/changed while dm was running/);
    } finally {
      await dir.close();
    }
    expect(slapd.attribute(GROUP_DN, "memberUid")).toEqual(["alice"]);
  });

  it("works with a groupOfNames: member DNs", async () => {
    const dir = await LdapDirectory.open({ ...settings, groupDN: GROUP_OF_NAMES_DN, memberAttribute: "member", memberValue: "dn" });
    try {
      const [carol] = await dir.findByEmail("carol@example.org");
      expect(carol!.memberValue).toBe(`uid=carol,${PEOPLE}`);
      const current = await dir.readGroup();
      await dir.modifyGroup([carol!.memberValue], current);
    } finally {
      await dir.close();
    }
    expect(slapd.attribute(GROUP_OF_NAMES_DN, "member")).toEqual([`uid=carol,${PEOPLE}`]);
  });

  it("a missing group is a config error naming ldap.groupDN", async () => {
    const dir = await LdapDirectory.open({ ...settings, groupDN: `cn=nope,ou=groups,dc=example,dc=org` });
    try {
      await expect(dir.readGroup()).rejects.toThrow(/ldap.groupDN: the directory has no entry cn=nope/);
    } finally {
      await dir.close();
    }
  });
});
