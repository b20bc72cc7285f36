/**
 * End-to-end: the real `dm oncall sync` / `dm oncall status` commands against
 * a real OpenLDAP slapd (StartTLS with a throwaway CA) and fakes on
 * 127.0.0.1 for PagerDuty, Vault, Slack, GitLab and a Graylog GELF input,
 * through a rotation change, an override, an empty schedule, outages and
 * dry runs. Each step checks the directory itself afterwards.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { type FakeGitlab, startFakeGitlab } from "./fakes/gitlab.js";
import { type GelfListener, startGelfListener } from "./fakes/gelf-listener.js";
import { type FakePagerDuty, startFakePagerDuty } from "./fakes/pagerduty.js";
import { type FakeSlack, startFakeSlack } from "./fakes/slack.js";
import { type FakeVault, startFakeVault } from "./fakes/vault.js";
import { type CliRun, dm, tempDir } from "./helpers/cli.js";
import { BASE_DN, GROUP_DN, GROUP_OF_NAMES_DN, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, type Slapd, startSlapd } from "./helpers/slapd.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const PD_TOKEN = "pd-secret-token-e2e-41f0";
const VAULT_TOKEN = "hvs.vault-e2e-token-77aa";
const SLACK_TOKEN = "xoxb-slack-e2e-token-19c3";
const GITLAB_TOKEN = "glpat-e2e-token-0d0d";
const SECRETS = [PD_TOKEN, VAULT_TOKEN, SLACK_TOKEN, GITLAB_TOKEN, SERVICE_PASSWORD];

describe("dm oncall", () => {
  let slapd: Slapd;
  let pd: FakePagerDuty;
  let vault: FakeVault;
  let slack: FakeSlack;
  let gelf: GelfListener;
  let gitlab: FakeGitlab;
  let home: string;
  let db: string;
  let configFile: string;
  /** every byte dm printed, for the secrets check */
  const printed: string[] = [];

  const env = (extra: Record<string, string> = {}) => ({ HOME: home, VAULT_TOKEN, SLACK_BOT_TOKEN: SLACK_TOKEN, ...extra });

  function writeConfig(extra = "", overrides: { ldap?: string; file?: string } = {}): string {
    const file = overrides.file ?? configFile;
    fs.writeFileSync(
      file,
      `pagerduty:
  url: ${pd.url}
  token: { vault: "secret/dm#pdToken" }
  schedules: [Primary, Secondary]
  lookahead: 1h
  timeout: 500ms
ldap:
${
  overrides.ldap ??
  `  url: ${slapd.url}
  caFile: ${slapd.certs!.caFile}
  groupDN: ${GROUP_DN}`
}
  bindDN: ${SERVICE_DN}
  bindPassword: { vault: "secret/dm#ldapPassword" }
  userBase: ${PEOPLE}
permanentMembers: [root-admin]
vault:
  address: ${vault.url}
slack:
  url: ${slack.apiUrl}
  token: { env: SLACK_BOT_TOKEN }
  channels: [C0NCALL]
gelf:
  address: 127.0.0.1:${gelf.udpPort}
  host: dm-test
${extra}`,
    );
    return file;
  }

  async function run(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
    const config = args.includes("--deputize-config") ? [] : ["--config", configFile];
    const r = await dm(["oncall", ...args, ...config, "--db", db], { env: env(extraEnv), now: NOW });
    printed.push(r.stdout, r.stderr);
    return r;
  }

  function onCall(entries: { schedule: string; user: string; from?: number; to?: number }[]): void {
    pd.oncalls.length = 0;
    for (const e of entries) {
      pd.oncalls.push({ scheduleId: e.schedule, userId: e.user, start: iso(e.from ?? NOW - 60 * MIN), end: iso(e.to ?? NOW + 120 * MIN) });
    }
  }

  const members = () => slapd.attribute(GROUP_DN, "memberUid");

  beforeAll(async () => {
    [slapd, pd, vault, slack, gelf, gitlab] = await Promise.all([
      startSlapd({ tls: true, members: ["alice", "bob", "root-admin"] }),
      startFakePagerDuty({ token: PD_TOKEN, pageSize: 2 }),
      startFakeVault({ token: VAULT_TOKEN }),
      startFakeSlack({ token: SLACK_TOKEN, channels: ["C0NCALL"] }),
      startGelfListener(),
      startFakeGitlab({ token: GITLAB_TOKEN }),
    ]);
    pd.schedules.push({ id: "PSCHED1", name: "Primary" }, { id: "PSCHED2", name: "Secondary" }, { id: "PSCHED3", name: "Primary EU" });
    pd.users.push(
      { id: "PALICE", name: "Alice", email: "alice@example.org" },
      { id: "PBOB", name: "Bob", email: "bob@example.org" },
      { id: "PCAROL", name: "Carol", email: "carol@example.org" },
      { id: "PDAVE", name: "Dave", email: "dave@example.org" },
      { id: "PERIN", name: "Erin", email: "erin@example.org" },
      { id: "PGHOST", name: "Ghost", email: "ghost@example.org" },
      { id: "PTWIN", name: "Twin", email: "twins@example.org" },
      { id: "PEVIL", name: "Evil", email: "a*)(uid=*" },
    );
    vault.secrets.set("secret/dm", { pdToken: PD_TOKEN, ldapPassword: SERVICE_PASSWORD });
    home = tempDir("dm-oncall-home-");
    db = path.join(home, "dm.db");
    configFile = path.join(home, "dm-oncall.yaml");
  });

  afterAll(async () => {
    await Promise.all([slapd?.stop(), pd?.close(), vault?.close(), slack?.close(), gelf?.close(), gitlab?.close()]);
    // no secret reached stdout, stderr, Slack or Graylog in any of the runs above
    const everything = [...printed, ...slack.messages.map((m) => m.text), ...gelf.messages.map((m) => JSON.stringify(m))].join("\n");
    expect(printed.length).toBeGreaterThan(20);
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  beforeEach(() => {
    pd.failAlways(undefined);
    writeConfig();
  });

  it("dry run and status print the plan and change nothing", async () => {
    onCall([
      { schedule: "PSCHED1", user: "PALICE" },
      { schedule: "PSCHED2", user: "PCAROL" },
    ]);
    const mods = await slapd.modifyCount(GROUP_DN);
    const r = await run(["sync", "--dry-run"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "PagerDuty (Primary, Secondary), now → +1h: alice, carol",
        `LDAP ${GROUP_DN}: alice, bob, root-admin`,
        "Plan: + carol   − bob   (dry run: nothing changed)",
        "Permanent members kept: root-admin",
        "",
      ].join("\n"),
    );
    const status = await run(["status", "--json"]);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout);
    expect(json.plan).toMatchObject({ add: ["carol"], remove: ["bob"] });
    expect(json.before).toEqual(["alice", "bob", "root-admin"]);
    expect(members()).toEqual(["alice", "bob", "root-admin"]);
    expect((await slapd.modifyCount(GROUP_DN)) - mods).toBe(0);
    expect(slack.messages).toEqual([]);
    expect(gelf.messages).toEqual([]);
    expect(fs.existsSync(db)).toBe(false);
  });

  it("a rotation change: one modify, the directory, Slack, GELF, the audit log and the graph", async () => {
    onCall([
      { schedule: "PSCHED1", user: "PALICE" },
      { schedule: "PSCHED2", user: "PCAROL" },
    ]);
    const mods = await slapd.modifyCount(GROUP_DN);
    const r = await run(["sync"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Changed: + carol   − bob");
    expect(members()).toEqual(["alice", "carol", "root-admin"]);
    expect((await slapd.modifyCount(GROUP_DN)) - mods).toBe(1);

    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]).toMatchObject({ via: "api", channel: "C0NCALL" });
    expect(slack.messages[0]!.text).toContain("added: carol; removed: bob");

    const [log] = await gelf.waitFor(1);
    expect(log).toMatchObject({ version: "1.1", host: "dm-test", level: 6, _added: "carol", _removed: "bob", _applied: true, _group: GROUP_DN });

    const store = SqliteStore.open(db);
    try {
      const audit = await store.auditLog();
      expect(audit[0]).toMatchObject({ action: "oncall.sync", actor: "tester@example.com", at: NOW });
      expect(audit[0]!.details).toMatchObject({ added: ["carol"], removed: ["bob"], group: GROUP_DN });
    } finally {
      await store.close();
    }
    const q = await dm(["query", "FIND ldap_user AS u THAT ASSIGNED ldap_group RETURN u.username", "--format", "json", "--db", db], { env: env() });
    expect(JSON.parse(q.stdout).data.map((row: Record<string, unknown>) => row["u.username"]).sort()).toEqual(["alice", "carol", "root-admin"]);
  });

  it("a second run with no change writes nothing and notifies nobody", async () => {
    onCall([
      { schedule: "PSCHED1", user: "PALICE" },
      { schedule: "PSCHED2", user: "PCAROL" },
    ]);
    const mods = await slapd.modifyCount(GROUP_DN);
    const slackBefore = slack.messages.length;
    const r = await run(["sync"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No change: the group matches the rotation.");
    expect((await slapd.modifyCount(GROUP_DN)) - mods).toBe(0);
    expect(slack.messages.length).toBe(slackBefore);
    expect(members()).toEqual(["alice", "carol", "root-admin"]);
  });

  it("an override: dave covers alice's shift; unknown, ambiguous and hostile emails are skipped, the rest applied", async () => {
    onCall([
      // alice's shift resumes after the look-ahead; dave's override covers now
      { schedule: "PSCHED1", user: "PALICE", from: NOW + 90 * MIN, to: NOW + 600 * MIN },
      { schedule: "PSCHED1", user: "PDAVE", from: NOW - 10 * MIN, to: NOW + 50 * MIN },
      { schedule: "PSCHED2", user: "PCAROL" },
      { schedule: "PSCHED2", user: "PGHOST" },
      { schedule: "PSCHED2", user: "PTWIN" },
      { schedule: "PSCHED2", user: "PEVIL" },
      // a schedule that is not configured
      { schedule: "PSCHED3", user: "PERIN" },
    ]);
    const r = await run(["sync"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Changed: + dave   − alice");
    expect(r.stdout).toContain("Skipped: ghost@example.org: no directory user has this email");
    expect(r.stdout).toContain("Skipped: twins@example.org: 2 directory users have this email (twin1, twin2)");
    expect(r.stdout).toContain("Skipped: a*)(uid=*: no directory user has this email");
    expect(members()).toEqual(["carol", "dave", "root-admin"]);
    expect(slack.messages.at(-1)!.text).toMatch(/added: dave; removed: alice\nskipped: .*ghost@example.org/);
  });

  it("an empty schedule leaves the group as it is and warns (exit 1, stderr, Graylog)", async () => {
    onCall([]);
    const mods = await slapd.modifyCount(GROUP_DN);
    const logged = gelf.messages.length;
    const slackBefore = slack.messages.length;
    const r = await run(["sync"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Refused: nobody is on call: the group is left as it is (set allowEmpty: true to empty it)");
    expect(r.stderr).toContain("error: the on-call group was not changed: nobody is on call");
    expect(members()).toEqual(["carol", "dave", "root-admin"]);
    expect((await slapd.modifyCount(GROUP_DN)) - mods).toBe(0);
    // not posted to Slack: from cron it would repeat every minute
    expect(slack.messages.length).toBe(slackBefore);
    expect((await gelf.waitFor(logged + 1))[logged]).toMatchObject({ level: 4, _refused: "empty" });
    // with allowEmpty the permanent member stays
    writeConfig("allowEmpty: true\n");
    const allowed = await run(["sync"]);
    expect(allowed.code).toBe(0);
    expect(members()).toEqual(["root-admin"]);
  });

  it("maxChange refuses a large change (exit 1) until --force", async () => {
    writeConfig("maxChange: 1\n");
    onCall([
      { schedule: "PSCHED1", user: "PALICE" },
      { schedule: "PSCHED2", user: "PBOB" },
    ]);
    const refused = await run(["sync"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/Refused: the change \(2 added, 0 removed\) is larger than maxChange \(1\)/);
    expect(members()).toEqual(["root-admin"]);
    const forced = await run(["sync", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("Forced: ");
    expect(members()).toEqual(["alice", "bob", "root-admin"]);
  });

  describe("outages change nothing and exit 3, with a Slack notice", () => {
    beforeEach(() => {
      onCall([{ schedule: "PSCHED1", user: "PERIN" }]);
    });

    async function expectOutage(r: CliRun, message: RegExp): Promise<void> {
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("Nothing was changed.");
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(members()).toEqual(["alice", "bob", "root-admin"]);
      expect(slack.messages.at(-1)!.text).toMatch(/failed: .*\nNothing was changed\./);
    }

    it("PagerDuty 5xx", async () => {
      pd.failAlways({ status: 503 });
      await expectOutage(await run(["sync"]), /error: PagerDuty \(GET \/schedules\): HTTP 503 \(tried 4 times\)/);
    });

    it("PagerDuty timeout", async () => {
      pd.failAlways({ hang: true });
      await expectOutage(await run(["sync"]), /error: PagerDuty \(GET \/schedules\): no answer within 0.5 s/);
    });

    it("the notice is posted once when Slack takes it and answers 500 (no blind retry), with a warning", async () => {
      pd.failAlways({ status: 503 });
      const messages = slack.messages.length;
      const posts = slack.requests.filter((r) => r.path === "/api/chat.postMessage").length;
      slack.postThenFail({ status: 500 });
      const r = await run(["sync"], { DM_LOG_LEVEL: "info" });
      await expectOutage(r, /error: PagerDuty \(GET \/schedules\): HTTP 503/);
      expect(slack.messages.length - messages).toBe(1);
      expect(slack.requests.filter((q) => q.path === "/api/chat.postMessage").length - posts).toBe(1);
      // the warning goes to the log (info), not to stderr's summary
      expect(r.stderr).toContain("Slack: the notice was not confirmed (it may have been posted; not sent again, so it is never posted twice): Slack (chat.postMessage to C0NCALL): HTTP 500 (not retried");
    });

    it("PagerDuty 401", async () => {
      vault.secrets.set("secret/dm", { pdToken: "pd-revoked-token-x1", ldapPassword: SERVICE_PASSWORD });
      try {
        await expectOutage(await run(["sync"]), /error: PagerDuty \(GET \/schedules\): the credentials were refused \(HTTP 401\)/);
      } finally {
        vault.secrets.set("secret/dm", { pdToken: PD_TOKEN, ldapPassword: SERVICE_PASSWORD });
      }
      expect(printed.join("")).not.toContain("pd-revoked-token-x1");
    });

    it("Vault 403", async () => {
      await expectOutage(
        // with every log line on stderr too: the secret check below covers the logs
        await run(["sync"], { VAULT_TOKEN: "hvs.not-valid-token-2", DM_LOG_LEVEL: "trace" }),
        /error: Vault \(pagerduty.token: read secret\/dm\): the credentials were refused \(HTTP 403\)/,
      );
      expect(printed.join("")).not.toContain("hvs.not-valid-token-2");
    });

    it("LDAP bind failure", async () => {
      vault.secrets.set("secret/dm", { pdToken: PD_TOKEN, ldapPassword: "wrong-ldap-password-5" });
      try {
        await expectOutage(await run(["sync"]), new RegExp(`error: LDAP ${slapd.url}: bind as ${SERVICE_DN} failed: invalid credentials`));
      } finally {
        vault.secrets.set("secret/dm", { pdToken: PD_TOKEN, ldapPassword: SERVICE_PASSWORD });
      }
      expect(printed.join("")).not.toContain("wrong-ldap-password-5");
    });

    it("a CA that did not sign the directory's certificate", async () => {
      writeConfig("", { ldap: `  url: ${slapd.url}\n  caFile: ${slapd.certs!.otherCaFile}\n  groupDN: ${GROUP_DN}` });
      await expectOutage(await run(["sync"]), /error: LDAP .*: StartTLS failed: .*(SELF_SIGNED|certificate)/i);
    });
  });

  it("plain LDAP is refused without insecure (exit 2), allowed with DM_LDAP_INSECURE=1", async () => {
    onCall([{ schedule: "PSCHED1", user: "PALICE" }, { schedule: "PSCHED2", user: "PBOB" }]);
    writeConfig("", { ldap: `  url: ${slapd.url}\n  startTLS: false\n  groupDN: ${GROUP_DN}` });
    const refused = await run(["sync", "--dry-run"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/dm-oncall.yaml: ldap.startTLS: plain LDAP \(no TLS\) is refused/);
    expect(refused.stderr).toMatch(/DM_LDAP_INSECURE=1/);
    const allowed = await run(["sync", "--dry-run"], { DM_LDAP_INSECURE: "1" });
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("No change");
  });

  it("two runs at once never interleave: the second skips (lockWait 0) or waits (lockWait)", async () => {
    onCall([{ schedule: "PSCHED1", user: "PCAROL" }, { schedule: "PSCHED2", user: "PDAVE" }]);
    const mods = await slapd.modifyCount(GROUP_DN);
    const [a, b] = await Promise.all([run(["sync"]), run(["sync"])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const skipped = [a, b].filter((r) => r.stderr.includes("Skipped: another dm oncall sync holds the lock"));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.stdout).toBe("");
    expect((await slapd.modifyCount(GROUP_DN)) - mods).toBe(1);
    expect(members()).toEqual(["carol", "dave", "root-admin"]);

    writeConfig("lockWait: 20s\n");
    onCall([{ schedule: "PSCHED1", user: "PALICE" }, { schedule: "PSCHED2", user: "PBOB" }]);
    const [c, d] = await Promise.all([run(["sync"]), run(["sync"])]);
    expect([c.code, d.code]).toEqual([0, 0]);
    // one changed the group, the other waited for it and found nothing left to do
    expect([c.stdout, d.stdout].filter((s) => s.includes("Changed: + alice   + bob   − carol   − dave"))).toHaveLength(1);
    expect([c.stdout, d.stdout].filter((s) => s.includes("No change"))).toHaveLength(1);
    expect((await slapd.modifyCount(GROUP_DN)) - mods).toBe(2);
  });

  it("a groupOfNames group holds member DNs", async () => {
    onCall([{ schedule: "PSCHED1", user: "PERIN" }]);
    writeConfig("", {
      ldap: `  url: ${slapd.url}\n  caFile: ${slapd.certs!.caFile}\n  groupDN: ${GROUP_OF_NAMES_DN}\n  memberAttribute: member`,
    });
    fs.writeFileSync(configFile, fs.readFileSync(configFile, "utf8").replace("permanentMembers: [root-admin]", "permanentMembers: []"));
    const r = await run(["sync"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Changed: + erin");
    expect(slapd.attribute(GROUP_OF_NAMES_DN, "member")).toEqual([`uid=erin,${PEOPLE}`]);
  });

  it("switches from Deputize with one command: its config.json, its Vault keys, GitLab and Graylog", async () => {
    vault.secrets.set("secret/deputize", {
      modUserPW: SERVICE_PASSWORD,
      pdAuthToken: PD_TOKEN,
      slackAuthToken: SLACK_TOKEN,
      gitlabAuthToken: GITLAB_TOKEN,
    });
    const tokenFile = path.join(home, "vault-token");
    fs.writeFileSync(tokenFile, `${VAULT_TOKEN}\n`);
    gitlab.users.push({ id: 1, username: "alice", email: "alice@example.org" }, { id: 3, username: "carol", email: "carol@example.org" });
    gitlab.groups.set("approvers", new Map([[1, 30], [99, 50]]));
    onCall([{ schedule: "PSCHED1", user: "PCAROL" }, { schedule: "PSCHED2", user: "PDAVE" }]);
    const deputize = path.join(home, "config.json");
    const port = Number(new URL(slapd.url).port);
    fs.writeFileSync(
      deputize,
      JSON.stringify({
        BaseDN: BASE_DN,
        GrayLogEnabled: true,
        GrayLogAddress: `127.0.0.1:${gelf.udpPort}`,
        LDAPServer: "127.0.0.1",
        LDAPPort: port,
        MailAttribute: "mail",
        MemberAttribute: "memberUid",
        ModUserDN: SERVICE_DN,
        OnCallGroup: "(cn=oncall)",
        OnCallGroupDN: GROUP_DN,
        OnCallSchedules: ["Primary", "Secondary"],
        RootCAFile: slapd.certs!.caFile,
        RunDuration: "1m",
        SlackChan: ["C0NCALL"],
        SlackEnabled: true,
        TokenPath: tokenFile,
        UserAttribute: "uid",
        VaultSecretPath: "secret/data/deputize",
        VaultServer: vault.url,
        Quiet: true,
        GitlabEnabled: true,
        GitlabServer: `${gitlab.url}/`,
        GitlabGroup: "approvers",
        GitlabApproverSchedule: "Primary",
      }),
    );
    const urls = { PAGERDUTY_API_URL: pd.url, SLACK_API_URL: slack.apiUrl, VAULT_TOKEN: "" };
    const slackBefore = slack.messages.length;
    const r = await run(["sync", "--deputize-config", deputize], urls);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("PagerDuty (Primary, Secondary), now → +1m: carol, dave");
    // Deputize has no permanent members: root-admin goes too
    expect(r.stdout).toContain("Changed: + carol   + dave   − alice   − bob   − root-admin");
    expect(r.stdout).toContain("GitLab approvers: changed: + carol   − alice");
    expect(members()).toEqual(["carol", "dave"]);
    // the owner (50) is untouched
    expect([...gitlab.groups.get("approvers")!]).toEqual([[99, 50], [3, 30]]);
    expect(slack.messages.length).toBe(slackBefore + 1);
    expect(slack.messages.at(-1)!.text).toContain("GitLab approvers: added carol; removed alice");

    // with DM_LDAP_INSECURE=1 and no CA, plain LDAP to the local directory
    fs.writeFileSync(deputize, fs.readFileSync(deputize, "utf8").replace(JSON.stringify(slapd.certs!.caFile), '""'));
    const plain = await run(["status", "--deputize-config", deputize], { ...urls, DM_LDAP_INSECURE: "1" });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("No change");
    // a wrong type is a clear error, not a crash
    fs.writeFileSync(deputize, fs.readFileSync(deputize, "utf8").replace(`"LDAPPort":${port}`, `"LDAPPort":"${port}"`));
    const wrong = await run(["sync", "--deputize-config", deputize], urls);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/config\.json: LDAPPort: .*expected number, received string/);
  });

  it("the built binary runs a dry run", async () => {
    const bin = path.resolve(import.meta.dirname, "..", "bin", "dm");
    if (!fs.existsSync(path.resolve(import.meta.dirname, "..", "dist", "cli", "main.js"))) {
      throw new Error("dist/ is missing: run `npm run build` first (npm test does it)");
    }
    writeConfig();
    // the binary runs on the real clock
    onCall([{ schedule: "PSCHED1", user: "PALICE", from: Date.now() - 60 * MIN, to: Date.now() + 120 * MIN }]);
    // spawn, not spawnSync: the fakes live in this process and must keep answering
    const child = spawn(process.execPath, [bin, "oncall", "sync", "--dry-run", "--config", configFile], {
      env: { PATH: process.env.PATH ?? "", ...env() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const status = await new Promise<number | null>((resolve) => child.once("close", resolve));
    const r = { status, stdout, stderr };
    printed.push(r.stdout, r.stderr);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/PagerDuty \(Primary, Secondary\), now → \+1h: alice\n/);
    expect(r.stdout).toContain("(dry run: nothing changed)");
    expect(members()).toEqual(["carol", "dave"]);
  });
});
