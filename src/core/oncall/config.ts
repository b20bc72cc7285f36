/**
 * The on-call configuration: dm's own file (YAML or JSON), or a Deputize
 * config.json translated into the same shape. Every problem names the file
 * and the key; secrets are references (Vault, environment, file), never
 * values in the file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Config } from "../../shared/config.js";
import { InputError } from "../../shared/errors.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as Deputize wrote them: 1m, 12h, 1h30m, 90s, 500ms. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? Math.round(total) : undefined;
}

const Duration = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a duration (examples: 90s, 1m, 1h30m)` });
    return z.NEVER;
  }
  return ms;
});

/** Where a secret comes from. Vault: "mount/path#key", e.g. "secret/dm/oncall#pdToken". */
export const SecretRef = z.union([
  z.object({ vault: z.string().regex(/^[^#]+\/[^#]+#.+$/, 'write it as "mount/path#key", e.g. "secret/dm#pdToken"') }).strict(),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name") }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretRef = z.infer<typeof SecretRef>;

const HttpUrl = z.string().regex(/^https?:\/\/[^/\s]+/, "an http(s) URL");

export const OncallConfigSchema = z
  .object({
    pagerduty: z
      .object({
        url: HttpUrl.optional(),
        token: SecretRef,
        /** names or ids (P…) */
        schedules: z.array(z.string().min(1)).min(1),
        /** how far ahead to look: someone on call within it is in the group now */
        lookahead: Duration.default(3_600_000),
        timeout: Duration.default(10_000),
      })
      .strict(),
    ldap: z
      .object({
        url: z.string().regex(/^ldaps?:\/\/[^/\s]+$/, "ldap://host[:port] or ldaps://host[:port]"),
        /** ldap:// URLs use StartTLS unless this is false (which needs insecure) */
        startTLS: z.boolean().optional(),
        caFile: z.string().min(1).optional(),
        /** allow plain LDAP without TLS (a local test directory); also DM_LDAP_INSECURE=1 */
        insecure: z.boolean().default(false),
        bindDN: z.string().min(1),
        bindPassword: SecretRef,
        userBase: z.string().min(1),
        mailAttribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/).default("mail"),
        userAttribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/).default("uid"),
        groupDN: z.string().min(1),
        /** the group's members: memberUid (posixGroup) holds user names, member/uniqueMember (groupOfNames) DNs */
        memberAttribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/).default("memberUid"),
        /** what a member value is; default: dn for member/uniqueMember, else the user attribute */
        memberValue: z.enum(["user", "dn"]).optional(),
        timeout: Duration.default(10_000),
      })
      .strict(),
    /** member values that are never removed (and are added when missing) */
    permanentMembers: z.array(z.string().min(1)).default([]),
    /** with nobody on call, empty the group (default: leave it and warn) */
    allowEmpty: z.boolean().default(false),
    /** most people added plus removed in one run without --force (default: no limit but the permanent members) */
    maxChange: z.number().int().min(1).optional(),
    /** wait this long for another run to finish; 0 skips at once (default) */
    lockWait: Duration.default(0),
    vault: z
      .object({ address: HttpUrl.optional(), tokenFile: z.string().min(1).optional(), timeout: Duration.default(10_000) })
      .strict()
      .optional(),
    slack: z
      .object({
        url: HttpUrl.optional(),
        token: SecretRef.optional(),
        webhook: SecretRef.optional(),
        channels: z.array(z.string().min(1)).default([]),
        timeout: Duration.default(10_000),
      })
      .strict()
      .refine((s) => (s.token ? 1 : 0) + (s.webhook ? 1 : 0) === 1, "give either token (with channels) or webhook")
      .refine((s) => !s.token || s.channels.length > 0, "a bot token needs channels to post to")
      .optional(),
    gelf: z
      .object({
        address: z.string().regex(/^[^\s:]+:\d{1,5}$/, "host:port"),
        protocol: z.enum(["udp", "tcp"]).default("udp"),
        host: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    gitlab: z
      .object({
        url: HttpUrl,
        token: SecretRef,
        /** the group's id or full path */
        group: z.string().min(1),
        /** the access level on-call people get; below Maintainer (40): owners and maintainers are never touched */
        accessLevel: z.number().int().min(5).max(30).default(30),
        /** only the people on call in these schedules (default: all configured schedules) */
        schedules: z.array(z.string().min(1)).optional(),
        /** GitLab user names never removed */
        permanentMembers: z.array(z.string().min(1)).default([]),
        timeout: Duration.default(10_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export type OncallConfig = z.output<typeof OncallConfigSchema>;

/** The configuration with its defaults resolved from the environment, and where it came from. */
export interface LoadedOncallConfig {
  config: OncallConfig;
  /** the file, for messages */
  file: string;
  /** how each secret is named in messages: "pagerduty.token" or "pdAuthToken (VaultSecretPath)" */
  secretNames: { pagerduty: string; ldap: string; slack: string; gitlab: string };
  /** things worth saying that are not errors (unknown Deputize keys) */
  warnings: string[];
  /** TLS mode after the environment is applied */
  tls: "ldaps" | "starttls" | "none";
  urls: { pagerduty: string; slack: string; vault?: string };
}

export const DEFAULT_CONFIG_NAMES = ["dm-oncall.yaml", "dm-oncall.yml", "dm-oncall.json"];

function issueText(file: string, error: z.ZodError, prefix = ""): InputError {
  const issue = error.issues[0]!;
  const key = issue.path.map(String).join(".");
  let message = issue.message;
  if (issue.code === "unrecognized_keys") message = `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  if (issue.code === "invalid_union" && key.match(/(token|bindPassword|webhook)$/)) {
    message = 'a secret reference: { vault: "mount/path#key" }, { env: NAME } or { file: /path }';
  }
  return new InputError(`${file}: ${prefix}${key || "(top level)"}: ${message}`, {
    cause: error,
    details: error.issues.length > 1 ? [`(and ${error.issues.length - 1} more problem${error.issues.length > 2 ? "s" : ""})`] : [],
  });
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read the on-call config ${file}: ${code === "ENOENT" ? "no such file" : code}`, { cause: error });
  }
}

function tlsMode(config: OncallConfig, env: Config, file: string): "ldaps" | "starttls" | "none" {
  const insecure = config.ldap.insecure || env.oncall.ldapInsecure;
  if (config.ldap.url.startsWith("ldaps://")) return "ldaps";
  if (config.ldap.startTLS === true) return "starttls";
  if (insecure) return "none";
  if (config.ldap.startTLS === false) {
    throw new InputError(`${file}: ldap.startTLS: plain LDAP (no TLS) is refused: the bind password would cross the network in clear`, {
      details: [
        "Use StartTLS (leave ldap.startTLS out) or an ldaps:// URL, with ldap.caFile naming the CA that signed the server's certificate.",
        "Only for a local test directory: ldap.insecure: true, or DM_LDAP_INSECURE=1.",
      ],
    });
  }
  return "starttls";
}

function finish(config: OncallConfig, env: Config, file: string, names: LoadedOncallConfig["secretNames"], warnings: string[]): LoadedOncallConfig {
  const tls = tlsMode(config, env, file);
  if (config.gitlab?.schedules) {
    for (const s of config.gitlab.schedules) {
      if (!config.pagerduty.schedules.includes(s)) {
        throw new InputError(`${file}: gitlab.schedules: "${s}" is not one of pagerduty.schedules`);
      }
    }
  }
  return {
    config,
    file,
    secretNames: names,
    warnings,
    tls,
    urls: {
      pagerduty: (config.pagerduty.url ?? env.oncall.pagerdutyApiUrl ?? "https://api.pagerduty.com").replace(/\/+$/, ""),
      slack: (config.slack?.url ?? env.oncall.slackApiUrl ?? "https://slack.com/api").replace(/\/+$/, ""),
      vault: (config.vault?.address ?? env.oncall.vaultAddr)?.replace(/\/+$/, ""),
    },
  };
}

/** dm's own file: YAML or JSON. */
export function loadOncallConfig(file: string, env: Config): LoadedOncallConfig {
  const text = readText(file);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    const pos = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new InputError(`${file}${pos ? `:${pos.line}:${pos.col}` : ""}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
  const parsed = OncallConfigSchema.safeParse(doc ?? {});
  if (!parsed.success) throw issueText(file, parsed.error);
  return finish(parsed.data, env, file, { pagerduty: "pagerduty.token", ldap: "ldap.bindPassword", slack: "slack.token", gitlab: "gitlab.token" }, []);
}

/** The first of dm-oncall.yaml/.yml/.json in the current folder, then in ~/.deferred-maintenance/. */
export function findOncallConfig(cwd: string, dataDir: string): string | undefined {
  for (const dir of [cwd, dataDir]) {
    for (const name of DEFAULT_CONFIG_NAMES) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ Deputize

const str = z.string();
/** README says String, the Go struct says bool: take both. */
const boolish = z.union([z.boolean(), z.enum(["true", "false", ""]).transform((v) => v === "true")]);

const DeputizeSchema = z.object({
  BaseDN: str.min(1),
  GrayLogEnabled: boolish.default(false),
  GrayLogAddress: str.default(""),
  LDAPServer: str.min(1),
  LDAPPort: z.number().int().min(1).max(65535),
  MailAttribute: str.min(1),
  MemberAttribute: str.min(1),
  ModUserDN: str.min(1),
  OnCallGroup: str.default(""),
  OnCallGroupDN: str.min(1),
  OnCallSchedules: z.array(str.min(1)).min(1),
  RootCAFile: str.default(""),
  RunDuration: str.default(""),
  /** README example has a string, the Go struct a list */
  SlackChan: z.union([z.array(str), str.transform((s) => (s === "" ? [] : [s]))]).default([]),
  SlackEnabled: boolish.default(false),
  TokenPath: str.default(""),
  UserAttribute: str.min(1),
  VaultSecretPath: str.min(1),
  VaultServer: str.min(1),
  Quiet: boolish.default(false),
  GitlabEnabled: boolish.default(false),
  GitlabServer: str.default(""),
  GitlabToken: str.default(""),
  GitlabGroup: str.default(""),
  GitlabApproverSchedule: str.default(""),
});

const DEPUTIZE_KEYS = new Set(Object.keys(DeputizeSchema.shape));

/** Translate a Deputize config.json; the secrets are read from its Vault path with Deputize's key names. */
export function loadDeputizeConfig(file: string, env: Config): LoadedOncallConfig {
  const text = readText(file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InputError(`${file}: a Deputize config is a JSON object with keys such as LDAPServer and OnCallSchedules`);
  }
  const parsed = DeputizeSchema.safeParse(doc);
  if (!parsed.success) throw issueText(file, parsed.error);
  const d = parsed.data;
  const warnings = Object.keys(doc)
    .filter((k) => !DEPUTIZE_KEYS.has(k))
    .map((k) => `${file}: ${k}: not a Deputize key; ignored`);
  if (d.GitlabToken) warnings.push(`${file}: GitlabToken: ignored; dm reads gitlabAuthToken from Vault (${d.VaultSecretPath})`);
  const lookahead = d.RunDuration === "" ? 0 : parseDuration(d.RunDuration);
  if (lookahead === undefined) throw new InputError(`${file}: RunDuration: "${d.RunDuration}" is not a duration (examples: 1m, 12h, 1h30m)`);
  const vaultPath = d.VaultSecretPath.replace(/^\/+|\/+$/g, "");
  if (!vaultPath.includes("/")) throw new InputError(`${file}: VaultSecretPath: "${d.VaultSecretPath}" should be mount/path, e.g. secret/data/deputize`);
  const secret = (key: string) => ({ vault: `${vaultPath}#${key}` });
  if (d.GitlabEnabled && (!d.GitlabServer || !d.GitlabGroup)) {
    throw new InputError(`${file}: GitlabEnabled is true: GitlabServer and GitlabGroup are needed`);
  }
  if (d.GitlabApproverSchedule && d.GitlabEnabled && !d.OnCallSchedules.includes(d.GitlabApproverSchedule)) {
    throw new InputError(`${file}: GitlabApproverSchedule: "${d.GitlabApproverSchedule}" is not one of OnCallSchedules`);
  }
  if (d.GrayLogEnabled && !/^[^\s:]+:\d{1,5}$/.test(d.GrayLogAddress)) {
    throw new InputError(`${file}: GrayLogAddress: "${d.GrayLogAddress}" should be host:port (GrayLogEnabled is true)`);
  }
  if (d.SlackEnabled && d.SlackChan.length === 0) throw new InputError(`${file}: SlackChan: SlackEnabled is true but no channel is given`);
  const ldaps = d.LDAPPort === 636;
  const memberAttribute = d.MemberAttribute;
  const native = {
    pagerduty: { token: secret("pdAuthToken"), schedules: d.OnCallSchedules, lookahead, timeout: 10_000 },
    ldap: {
      url: `${ldaps ? "ldaps" : "ldap"}://${d.LDAPServer}:${d.LDAPPort}`,
      // as Deputize: StartTLS on a plain port, with the system CAs when RootCAFile is empty
      startTLS: ldaps || env.oncall.ldapInsecure ? undefined : true,
      caFile: d.RootCAFile === "" ? undefined : d.RootCAFile,
      // with DM_LDAP_INSECURE=1 and a plain port, a local test directory is reached without TLS
      insecure: env.oncall.ldapInsecure && !ldaps,
      bindDN: d.ModUserDN,
      bindPassword: secret("modUserPW"),
      userBase: d.BaseDN,
      mailAttribute: d.MailAttribute,
      userAttribute: d.UserAttribute,
      groupDN: d.OnCallGroupDN,
      memberAttribute,
      memberValue: undefined,
      timeout: 10_000,
    },
    permanentMembers: [],
    allowEmpty: false,
    maxChange: undefined,
    lockWait: 0,
    vault: { address: d.VaultServer, tokenFile: d.TokenPath === "" ? undefined : d.TokenPath, timeout: 10_000 },
    slack: d.SlackEnabled ? { token: secret("slackAuthToken"), channels: d.SlackChan, timeout: 10_000 } : undefined,
    gelf: d.GrayLogEnabled ? { address: d.GrayLogAddress, protocol: "udp" as const } : undefined,
    gitlab: d.GitlabEnabled
      ? {
          url: d.GitlabServer,
          token: secret("gitlabAuthToken"),
          group: d.GitlabGroup,
          accessLevel: 30,
          schedules: d.GitlabApproverSchedule ? [d.GitlabApproverSchedule] : undefined,
          permanentMembers: [],
          timeout: 10_000,
        }
      : undefined,
  } satisfies OncallConfig;
  const via = `from Vault ${d.VaultSecretPath}`;
  return finish(
    native,
    env,
    file,
    {
      pagerduty: `pdAuthToken (${via})`,
      ldap: `modUserPW (${via})`,
      slack: `slackAuthToken (${via})`,
      gitlab: `gitlabAuthToken (${via})`,
    },
    warnings,
  );
}

/** ~ at the start of a path is the home folder. */
export function expandHome(p: string, home = os.homedir()): string {
  return p === "~" ? home : p.startsWith("~/") ? path.join(home, p.slice(2)) : p;
}
