import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/cli.js";
import { loadConfig } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";
import { loadDeputizeConfig, loadOncallConfig, parseDuration } from "./config.js";

const env = loadConfig({ HOME: "/home/x" });

const DEPUTIZE = {
  BaseDN: "dc=spiffy,dc=io",
  GrayLogEnabled: "true",
  GrayLogAddress: "graylog.spiffy.io:12201",
  LDAPServer: "ldap.spiffy.io",
  LDAPPort: 389,
  MailAttribute: "mail",
  MemberAttribute: "memberUid",
  ModUserDN: "cn=deputize,dc=spiffy,dc=io",
  OnCallGroup: "(cn=oncall)",
  OnCallGroupDN: "cn=oncall,ou=groups,dc=spiffy,dc=io",
  OnCallSchedules: ["OnCall1", "OnCall2"],
  RootCAFile: "",
  RunDuration: "1m",
  SlackChan: ["C8821KJSD"],
  SlackEnabled: true,
  TokenPath: "/ramdisk/vault-token",
  UserAttribute: "uid",
  VaultSecretPath: "secret/data/deputize",
  VaultServer: "https://vault.spiffy.io:8200",
  Quiet: true,
  GitlabEnabled: true,
  GitlabServer: "https://gitlab.spiffy.io/",
  GitlabGroup: "SpiffyGitlabGroup",
  GitlabApproverSchedule: "OnCall1",
};

function write(name: string, content: unknown): string {
  const file = path.join(tempDir("dm-oncall-config-"), name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("parseDuration", () => {
  it("reads Go-style durations", () => {
    expect(parseDuration("1m")).toBe(60_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("1d")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
    expect(parseDuration("5")).toBeUndefined();
  });
});

describe("Deputize config.json", () => {
  it("translates every documented key", () => {
    const loaded = loadDeputizeConfig(write("config.json", DEPUTIZE), env);
    const c = loaded.config;
    expect(c.ldap).toMatchObject({
      url: "ldap://ldap.spiffy.io:389",
      startTLS: true,
      caFile: undefined,
      bindDN: "cn=deputize,dc=spiffy,dc=io",
      bindPassword: { vault: "secret/data/deputize#modUserPW" },
      userBase: "dc=spiffy,dc=io",
      mailAttribute: "mail",
      userAttribute: "uid",
      memberAttribute: "memberUid",
      groupDN: "cn=oncall,ou=groups,dc=spiffy,dc=io",
    });
    expect(loaded.tls).toBe("starttls");
    expect(c.pagerduty).toMatchObject({ schedules: ["OnCall1", "OnCall2"], lookahead: 60_000, token: { vault: "secret/data/deputize#pdAuthToken" } });
    expect(c.slack).toMatchObject({ token: { vault: "secret/data/deputize#slackAuthToken" }, channels: ["C8821KJSD"] });
    expect(c.gelf).toEqual({ address: "graylog.spiffy.io:12201", protocol: "udp" });
    expect(c.vault).toMatchObject({ address: "https://vault.spiffy.io:8200", tokenFile: "/ramdisk/vault-token" });
    expect(c.gitlab).toMatchObject({ url: "https://gitlab.spiffy.io/", group: "SpiffyGitlabGroup", schedules: ["OnCall1"], accessLevel: 30 });
    expect(loaded.urls.pagerduty).toBe("https://api.pagerduty.com");
    expect(loaded.secretNames.ldap).toBe("modUserPW (from Vault secret/data/deputize)");
  });

  it("PAGERDUTY_API_URL and SLACK_API_URL override the public endpoints; LDAPS on 636 with RootCAFile", () => {
    const e = loadConfig({ HOME: "/h", PAGERDUTY_API_URL: "http://127.0.0.1:9/pd/", SLACK_API_URL: "http://127.0.0.1:9/slack" });
    const loaded = loadDeputizeConfig(write("config.json", { ...DEPUTIZE, LDAPPort: 636, RootCAFile: "/etc/ca.pem", SlackChan: "C1" }), e);
    expect(loaded.urls).toMatchObject({ pagerduty: "http://127.0.0.1:9/pd", slack: "http://127.0.0.1:9/slack" });
    expect(loaded.tls).toBe("ldaps");
    expect(loaded.config.ldap).toMatchObject({ url: "ldaps://ldap.spiffy.io:636", caFile: "/etc/ca.pem" });
    expect(loaded.config.slack?.channels).toEqual(["C1"]);
  });

  it("DM_LDAP_INSECURE=1 allows plain LDAP on 389 for a test directory", () => {
    const loaded = loadDeputizeConfig(write("config.json", DEPUTIZE), loadConfig({ HOME: "/h", DM_LDAP_INSECURE: "1" }));
    expect(loaded.tls).toBe("none");
  });

  it.each([
    ["LDAPPort", "389", /config\.json: LDAPPort: .*expected number/],
    ["OnCallSchedules", "OnCall1", /config\.json: OnCallSchedules: .*expected array/],
    ["SlackEnabled", "yes", /config\.json: SlackEnabled: /],
    ["LDAPServer", 42, /config\.json: LDAPServer: .*expected string/],
    ["RunDuration", "one minute", /config\.json: RunDuration: "one minute" is not a duration/],
    ["GrayLogAddress", "graylog", /config\.json: GrayLogAddress: "graylog" should be host:port/],
    ["GitlabApproverSchedule", "Other", /config\.json: GitlabApproverSchedule: "Other" is not one of OnCallSchedules/],
  ])("%s of the wrong type or form is an error naming the key", (key, value, message) => {
    const file = write("config.json", { ...DEPUTIZE, [key]: value });
    expect(() => loadDeputizeConfig(file, env)).toThrow(InputError);
    expect(() => loadDeputizeConfig(file, env)).toThrow(message);
  });

  it("a missing key, broken JSON and unknown keys", () => {
    const { BaseDN: _, ...noBase } = DEPUTIZE;
    expect(() => loadDeputizeConfig(write("config.json", noBase), env)).toThrow(/config\.json: BaseDN: /);
    expect(() => loadDeputizeConfig(write("config.json", "{ nope"), env)).toThrow(/config\.json: not valid JSON/);
    expect(() => loadDeputizeConfig(write("config.json", "[]"), env)).toThrow(/a Deputize config is a JSON object/);
    const loaded = loadDeputizeConfig(write("config.json", { ...DEPUTIZE, Extra: 1, GitlabToken: "glpat-x" }), env);
    expect(loaded.warnings.join("\n")).toMatch(/Extra: not a Deputize key; ignored/);
    expect(loaded.warnings.join("\n")).toMatch(/GitlabToken: ignored/);
    expect(loaded.warnings.join("\n")).not.toContain("glpat-x");
  });
});

const NATIVE = `
pagerduty:
  token: { env: PD_TOKEN }
  schedules: [Primary]
ldap:
  url: ldap://ldap.example.org
  caFile: /etc/ca.pem
  bindDN: cn=dm,dc=example,dc=org
  bindPassword: { vault: "secret/dm#ldap" }
  userBase: ou=people,dc=example,dc=org
  groupDN: cn=oncall,ou=groups,dc=example,dc=org
`;

describe("dm-oncall.yaml", () => {
  it("has defaults: StartTLS, 1h look-ahead, mail/uid/memberUid", () => {
    const loaded = loadOncallConfig(write("dm-oncall.yaml", NATIVE), env);
    expect(loaded.tls).toBe("starttls");
    expect(loaded.config.pagerduty.lookahead).toBe(3_600_000);
    expect(loaded.config.ldap).toMatchObject({ mailAttribute: "mail", userAttribute: "uid", memberAttribute: "memberUid" });
    expect(loaded.config.allowEmpty).toBe(false);
    expect(loaded.config.maxChange).toBeUndefined();
  });

  it("refuses plain LDAP without insecure, with the way out", () => {
    const file = write("dm-oncall.yaml", `${NATIVE}  startTLS: false\n`);
    expect(() => loadOncallConfig(file, env)).toThrow(/ldap.startTLS: plain LDAP \(no TLS\) is refused/);
    expect(loadOncallConfig(file, loadConfig({ HOME: "/h", DM_LDAP_INSECURE: "1" })).tls).toBe("none");
    expect(loadOncallConfig(write("dm-oncall.yaml", `${NATIVE}  startTLS: false\n  insecure: true\n`), env).tls).toBe("none");
  });

  it("names the key of a mistake", () => {
    expect(() => loadOncallConfig(write("x.yaml", NATIVE.replace("[Primary]", "Primary")), env)).toThrow(/x\.yaml: pagerduty\.schedules: .*expected array/);
    expect(() => loadOncallConfig(write("x.yaml", NATIVE.replace("{ env: PD_TOKEN }", "plain-token-in-file")), env)).toThrow(
      /x\.yaml: pagerduty\.token: a secret reference/,
    );
    expect(() => loadOncallConfig(write("x.yaml", `${NATIVE}maxChange: -1\n`), env)).toThrow(/x\.yaml: maxChange: /);
    expect(() => loadOncallConfig(write("x.yaml", `${NATIVE}colour: red\n`), env)).toThrow(/x\.yaml: \(top level\): unknown key colour/);
    expect(() => loadOncallConfig(write("x.yaml", `${NATIVE}slack:\n  channels: [C1]\n`), env)).toThrow(/slack: give either token/);
    expect(() => loadOncallConfig(write("x.yaml", "pagerduty: [\n"), env)).toThrow(/x\.yaml:\d+:\d+: /);
    expect(() => loadOncallConfig("/nonexistent/dm-oncall.yaml", env)).toThrow(/cannot read the on-call config \/nonexistent\/dm-oncall.yaml: no such file/);
  });
});
