/**
 * `dm sync ldap` against a real OpenLDAP slapd on 127.0.0.1 (the on-call
 * tests' helper, with posix accounts and more kinds of groups added):
 * StartTLS and LDAPS verified against a throwaway CA, paged searches, and
 * the refusals (plain ldap://, a wrong password, a CA that did not sign).
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ldapIntegration } from "../src/integrations/ldap/index.js";
import { openDirectory, DEFAULT_USER_FILTER, USER_ATTRIBUTES } from "../src/integrations/ldap/client.js";
import type { EntityRecord } from "../src/store/types.js";
import { dataModelProblemsOf } from "./data-model.js";
import { answerOf } from "./helpers/graph.js";
import { dm, tempDir } from "./helpers/cli.js";
import { BASE_DN, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, type Slapd, startSlapd } from "./helpers/slapd.js";

const NOW = Date.UTC(2026, 10, 23, 12);

const EXTRA = `
dn: uid=frank,${PEOPLE}
objectClass: inetOrgPerson
objectClass: posixAccount
uid: frank
cn: Frank Miller
givenName: Frank
sn: Miller
mail: Frank.Miller@Example.ORG
uidNumber: 10001
gidNumber: 10000
homeDirectory: /home/frank
loginShell: /bin/bash

dn: cn=admins,ou=groups,${BASE_DN}
objectClass: groupOfUniqueNames
cn: admins
description: Directory administrators
uniqueMember: uid=frank,${PEOPLE}
uniqueMember: uid=alice,${PEOPLE}

dn: cn=platform,ou=groups,${BASE_DN}
objectClass: groupOfNames
cn: platform
member: cn=admins,ou=groups,${BASE_DN}
member: uid=carol,${PEOPLE}
member: uid=ghost,${PEOPLE}
`;

let slapd: Slapd;

beforeAll(async () => {
  slapd = await startSlapd({ tls: true, extraLdif: EXTRA });
}, 60_000);

afterAll(async () => {
  await slapd?.stop();
});

function setup(settings: Record<string, string | boolean>): { cwd: string; db: string } {
  const cwd = tempDir("dm-ldap-");
  const lines = Object.entries({ bindDn: SERVICE_DN, password: "env:LDAP_PASSWORD", baseDn: BASE_DN, ...settings }).map(([k, v]) => `    ${k}: ${typeof v === "string" && v.includes(",") ? JSON.stringify(v) : v}`);
  fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: ldap\n${lines.join("\n")}\n`);
  return { cwd, db: path.join(cwd, "dm.db") };
}

const env = { LDAP_PASSWORD: SERVICE_PASSWORD };

const query = (db: string, q: string) => answerOf(db, q, NOW);

describe("dm sync ldap", () => {
  it("StartTLS with the CA: users (emails lowercased) and groups with their members; a second run changes nothing", async () => {
    const { cwd, db } = setup({ url: slapd.url, starttls: true, caFile: slapd.certs!.caFile });
    const r = await dm(["sync", "ldap", "--db", db, "--json"], { cwd, env, now: NOW });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ integration: "ldap", instance: `ldap:${slapd.url}/${BASE_DN}`, status: "succeeded" });
    // a member naming nobody is a notice: the run still succeeds
    expect(summary.notices).toEqual([{ file: BASE_DN, message: `group member not among the users read: platform: member uid=ghost,${PEOPLE}` }]);
    expect(await query(db, "Find ldap_user as u return count(u) as n")).toEqual([{ n: 9 }]);
    expect(await query(db, "Find ldap_user with uid='frank' as u return u.email, u.uidNumber, u.firstName, u.lastName, u.loginShell")).toEqual([
      { "u.email": ["frank.miller@example.org"], "u.uidNumber": 10001, "u.firstName": "Frank", "u.lastName": "Miller", "u.loginShell": "/bin/bash" },
    ]);
    expect(await query(db, "Find ldap_group as g that HAS ldap_user as u return g.name, g.groupType, u.uid order by g.name, u.uid")).toEqual([
      { "g.name": "admins", "g.groupType": "groupOfUniqueNames", "u.uid": "alice" },
      { "g.name": "admins", "g.groupType": "groupOfUniqueNames", "u.uid": "frank" },
      { "g.name": "oncall", "g.groupType": "posixGroup", "u.uid": "alice" },
      { "g.name": "oncall", "g.groupType": "posixGroup", "u.uid": "bob" },
      { "g.name": "oncall-names", "g.groupType": "groupOfNames", "u.uid": "alice" },
      { "g.name": "oncall-names", "g.groupType": "groupOfNames", "u.uid": "bob" },
      { "g.name": "platform", "g.groupType": "groupOfNames", "u.uid": "carol" },
    ]);
    expect(await query(db, "Find ldap_group with name='platform' that HAS ldap_group as g return g.name")).toEqual([{ "g.name": "admins" }]);
    // the sample query of docs/integrations.md
    expect(await query(db, "FIND ldap_user AS u THAT !HAS ldap_group RETURN u.uid ORDER BY u.uid")).toEqual(
      ["dave", "erin", "root-admin", "twin1", "twin2"].map((uid) => ({ "u.uid": uid })),
    );
    expect(fs.readFileSync(db).includes(Buffer.from(SERVICE_PASSWORD))).toBe(false);
    const again = JSON.parse((await dm(["sync", "ldap", "--db", db, "--json"], { cwd, env, now: NOW + 1000 })).stdout);
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
  });

  it("LDAPS with the CA", async () => {
    const { cwd, db } = setup({ url: slapd.ldapsUrl!, caFile: slapd.certs!.caFile });
    const r = await dm(["sync", "ldap", "--db", db, "--json"], { cwd, env, now: NOW });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(await query(db, "Find ldap_group as g return count(g) as n")).toEqual([{ n: 4 }]);
  });

  it("every entity it writes is valid in JupiterOne's data model", async () => {
    const cwd = tempDir();
    const config = ldapIntegration.configSchema.parse({ url: slapd.url, insecure: true, bindDn: SERVICE_DN, password: "env:X", baseDn: BASE_DN });
    const entities: EntityRecord[] = [];
    for await (const batch of ldapIntegration.sync({
      config,
      instance: "ldap:test",
      now: NOW,
      cwd,
      warn: () => undefined,
      note: () => undefined,
      progress: () => undefined,
      secret: async () => SERVICE_PASSWORD,
      env: () => undefined,
      cache: { get: () => undefined, set: () => undefined },
      seen: () => undefined,
    })) {
      entities.push(...batch.entities);
    }
    expect(entities).toHaveLength(13);
    expect(dataModelProblemsOf(entities)).toEqual([]);
  });

  it("searches in pages", async () => {
    const before = (slapd.log().match(/SRCH base="dc=example,dc=org" scope=2 deref=0 filter="\(\|\(objectClass=inetOrgPerson\)/g) ?? []).length;
    const dir = await openDirectory(
      { url: slapd.url, tls: "none", bindDN: SERVICE_DN, bindPassword: SERVICE_PASSWORD, timeoutMs: 5000 },
      BASE_DN,
      { caFile: "caFile", password: "password", insecure: "insecure: true" },
      2,
    );
    try {
      const users = await dir.search(DEFAULT_USER_FILTER, USER_ATTRIBUTES, "users");
      expect(users.map((u) => u.uid).sort()).toEqual(["alice", "bob", "carol", "dave", "erin", "frank", "root-admin", "twin1", "twin2"]);
    } finally {
      await dir.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    const after = (slapd.log().match(/SRCH base="dc=example,dc=org" scope=2 deref=0 filter="\(\|\(objectClass=inetOrgPerson\)/g) ?? []).length;
    // 9 users, 2 a page: 5 requests
    expect(after - before).toBe(5);
  });

  it("refuses plain ldap:// without insecure (exit 2), and allows it with insecure: true", async () => {
    const refused = setup({ url: slapd.url });
    const r = await dm(["sync", "ldap", "--db", refused.db], { cwd: refused.cwd, env, now: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("integrations[0].url: ldap:// would send the password in clear: use ldaps://, or starttls: true");
    const plain = setup({ url: slapd.url, insecure: true });
    expect(JSON.parse((await dm(["sync", "ldap", "--db", plain.db, "--json"], { cwd: plain.cwd, env, now: NOW })).stdout).status).toBe("succeeded");
  });

  it("a wrong password: exit 3 naming LDAP, the step and what to check; the graph is intact; the password never shown", async () => {
    const { cwd, db } = setup({ url: slapd.url, starttls: true, caFile: slapd.certs!.caFile });
    expect((await dm(["sync", "ldap", "--db", db], { cwd, env, now: NOW })).code).toBe(0);
    const wrong = "not-the-password-4417";
    const r = await dm(["sync", "ldap", "--db", db], { cwd, env: { LDAP_PASSWORD: wrong }, now: NOW + 1000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`LDAP ${slapd.url}: bind as ${SERVICE_DN} failed: invalid credentials`);
    expect(r.stderr).toContain("Check the bind DN and its password (bindDn, password)");
    expect(r.stderr + r.stdout).not.toContain(wrong);
    expect(await query(db, "Find ldap_user as u return count(u) as n")).toEqual([{ n: 9 }]);
  });

  it("a CA that did not sign the server's certificate fails StartTLS (exit 3)", async () => {
    const { cwd, db } = setup({ url: slapd.url, starttls: true, caFile: slapd.certs!.otherCaFile });
    const r = await dm(["sync", "ldap", "--db", db], { cwd, env, now: NOW });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`LDAP ${slapd.url}: StartTLS failed`);
    expect(r.stderr).toContain(`Check that ${slapd.certs!.otherCaFile} holds the CA that signed the server's certificate`);
  });

  it("a server that does not answer times out with a clear error (exit 3)", async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const { cwd, db } = setup({ url: `ldap://127.0.0.1:${port}`, insecure: true, timeout: "1s" });
      const started = Date.now();
      const r = await dm(["sync", "ldap", "--db", db], { cwd, env, now: NOW });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`LDAP ldap://127\\.0\\.0\\.1:${port}: bind as ${SERVICE_DN} failed: .*(time|Timeout)`, "i"));
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      silent.close();
    }
  });

  it("refuses an unknown key and a filter that is not one, naming them", async () => {
    const typo = setup({ url: slapd.ldapsUrl!, caFile: slapd.certs!.caFile, userfilter: "(uid=*)" });
    const r = await dm(["sync", "ldap", "--db", typo.db], { cwd: typo.cwd, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("integrations[0].userfilter: not a setting of the ldap integration");
    const bad = setup({ url: slapd.ldapsUrl!, caFile: slapd.certs!.caFile, userFilter: '"(uid=*"' });
    const b = await dm(["sync", "ldap", "--db", bad.db], { cwd: bad.cwd, env });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("userFilter: (uid=* is not an LDAP filter");
  });
});
