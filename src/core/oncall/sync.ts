/**
 * dm oncall sync / status: who PagerDuty says is on call, who is in the
 * directory group, the difference, and (sync) applying it safely.
 *
 * Order matters for safety: every secret, the on-call answer, the directory
 * users and the plan are obtained before anything is written, so a failure
 * of PagerDuty, Vault or LDAP changes nothing. The directory change is one
 * modify request. The graph, the audit log, Slack and Graylog are told after.
 */
import type { Config } from "../../shared/config.js";
import { DmError, ExternalServiceError } from "../../shared/errors.js";
import { HttpRequestError } from "../../shared/fetch-json.js";
import { redact } from "../../shared/logger.js";
import type { GraphStore } from "../../store/types.js";
import { GelfSender, type GelfMessage } from "../../notify/gelf.js";
import { type Notifier, SlackNotifier } from "../../notify/slack.js";
import type { LoadedOncallConfig } from "./config.js";
import { GitlabGroup, type GitlabPlan } from "./gitlab.js";
import { groupKey, recordMembership } from "./graph.js";
import { type Directory, LdapDirectory, type LdapSettings } from "./ldap.js";
import { acquireLock, type LockHolder } from "./lock.js";
import { type OnCallAnswer, type OnCallSource, PagerDutySource } from "./pagerduty.js";
import { type Plan, planChange, planChanges } from "./plan.js";
import { SecretResolver } from "./secrets.js";

export interface OncallRunOptions {
  mode: "sync" | "status";
  dryRun: boolean;
  force: boolean;
  now: number;
  actor: string;
  env: Config;
  /** the lock file for this group */
  lockFile: string;
  /** the store, opened before anything is changed (sync without --dry-run) */
  openStore?: () => Promise<GraphStore>;
  /** a line for the operator's log (stderr) */
  warn(message: string): void;
  /** for tests: replace the outside world */
  deps?: Partial<OncallDeps>;
}

export interface OncallDeps {
  source(url: string, token: string, timeoutMs: number): OnCallSource;
  directory(settings: LdapSettings): Promise<Directory>;
}

export interface OncallResult {
  mode: "sync" | "status";
  dryRun: boolean;
  group: string;
  window: { since: number; until: number };
  schedules: string[];
  onCall: OnCallAnswer["people"];
  before: string[];
  after: string[];
  plan: Plan;
  /** the directory was changed */
  applied: boolean;
  gitlab?: { group: string; plan: GitlabPlan; applied: boolean };
  notified: boolean;
  warnings: string[];
}

export type OncallOutcome = { skipped: { holder?: LockHolder; lockFile: string } } | { result: OncallResult };

const DEFAULT_DEPS: OncallDeps = {
  source: (url, token, timeoutMs) => new PagerDutySource({ url, token, timeoutMs }),
  directory: (s) => LdapDirectory.open(s),
};

function names(values: string[]): string {
  return values.length === 0 ? "nobody" : values.join(", ");
}

/** The user name for a member value (memberUid as is; the RDN value of a DN). */
export function memberName(value: string, memberValue: "user" | "dn"): string {
  if (memberValue === "user") return value;
  return /^[^=]+=([^,]+)/.exec(value)?.[1] ?? value;
}

export async function runOncall(loaded: LoadedOncallConfig, options: OncallRunOptions): Promise<OncallOutcome> {
  const { config } = loaded;
  const deps = { ...DEFAULT_DEPS, ...options.deps };
  const writes = options.mode === "sync" && !options.dryRun;
  const memberValue = config.ldap.memberValue ?? (/^(member|uniqueMember)$/i.test(config.ldap.memberAttribute) ? "dn" : "user");
  const secrets = new SecretResolver({
    vault: {
      address: loaded.urls.vault,
      tokenFile: config.vault?.tokenFile,
      token: options.env.oncall.vaultToken,
      timeoutMs: config.vault?.timeout,
    },
    env: (name) => options.env.envVar(name),
  });
  const warnings = [...loaded.warnings];
  const gelf = config.gelf
    ? new GelfSender({
        host: config.gelf.address.slice(0, config.gelf.address.lastIndexOf(":")),
        port: Number(config.gelf.address.slice(config.gelf.address.lastIndexOf(":") + 1)),
        protocol: config.gelf.protocol,
        source: config.gelf.host,
      })
    : undefined;
  const logRun = async (message: GelfMessage) => {
    if (!gelf || !writes) return;
    try {
      await gelf.send({ ...message, short_message: redact(message.short_message), full_message: message.full_message && redact(message.full_message) }, options.now);
    } catch (error) {
      const w = `Graylog: could not send the run's log line to ${config.gelf!.address}: ${(error as Error).message}`;
      warnings.push(w);
      options.warn(w);
    }
  };

  // Slack first: a failure later should still be reported there.
  let notifier: Notifier | undefined;
  if (config.slack && writes) {
    try {
      notifier = config.slack.webhook
        ? new SlackNotifier({ kind: "webhook", webhookUrl: await secrets.resolve(config.slack.webhook, "slack.webhook"), timeoutMs: config.slack.timeout })
        : new SlackNotifier({
            kind: "bot",
            apiUrl: loaded.urls.slack,
            token: await secrets.resolve(config.slack.token!, loaded.secretNames.slack),
            channels: config.slack.channels,
            timeoutMs: config.slack.timeout,
          });
    } catch (error) {
      const w = `Slack: no notices this run: ${(error as Error).message}`;
      warnings.push(w);
      options.warn(w);
    }
  }
  const notify = async (text: string): Promise<boolean> => {
    if (!notifier) return false;
    try {
      await notifier.notify(redact(text));
      return true;
    } catch (error) {
      // a POST Slack may have taken (5xx, no answer) is not sent again: say so rather than "not sent"
      const maybe = error instanceof HttpRequestError && error.failure.received === "maybe";
      const w = `Slack: ${maybe ? "the notice was not confirmed (it may have been posted; not sent again, so it is never posted twice)" : "the notice was not sent"}: ${(error as Error).message}`;
      warnings.push(w);
      options.warn(w);
      return false;
    }
  };

  let lock: { release(): void } | undefined;
  if (writes) {
    const got = await acquireLock(options.lockFile, { waitMs: config.lockWait, now: () => options.now });
    if ("holder" in got) return { skipped: { holder: got.holder, lockFile: options.lockFile } };
    lock = got.lock;
  }

  let directory: Directory | undefined;
  let store: GraphStore | undefined;
  let applied = false;
  let plan: Plan | undefined;
  try {
    const pdToken = await secrets.resolve(config.pagerduty.token, loaded.secretNames.pagerduty);
    const bindPassword = await secrets.resolve(config.ldap.bindPassword, loaded.secretNames.ldap);
    const gitlabToken = config.gitlab ? await secrets.resolve(config.gitlab.token, loaded.secretNames.gitlab) : undefined;
    if (writes && options.openStore) store = await options.openStore();

    const since = options.now;
    const answer = await deps.source(loaded.urls.pagerduty, pdToken, config.pagerduty.timeout).onCall(config.pagerduty.schedules, since, since + config.pagerduty.lookahead);

    directory = await deps.directory({
      url: config.ldap.url,
      tls: loaded.tls,
      caFile: config.ldap.caFile,
      bindDN: config.ldap.bindDN,
      bindPassword,
      userBase: config.ldap.userBase,
      mailAttribute: config.ldap.mailAttribute,
      userAttribute: config.ldap.userAttribute,
      groupDN: config.ldap.groupDN,
      memberAttribute: config.ldap.memberAttribute,
      memberValue,
      timeoutMs: config.ldap.timeout,
    });
    const dir = directory;
    const before = await dir.readGroup();
    const onCall = [];
    for (const person of answer.people) {
      onCall.push({ email: person.email, schedules: person.schedules, matches: await dir.findByEmail(person.email) });
    }
    plan = planChange({
      current: before,
      onCall,
      permanent: config.permanentMembers,
      key: (v) => dir.memberKey(v),
      allowEmpty: config.allowEmpty,
      maxChange: config.maxChange,
      force: options.force,
    });

    let gitlab: OncallResult["gitlab"];
    if (config.gitlab && gitlabToken) {
      const target = new GitlabGroup({
        url: config.gitlab.url,
        token: gitlabToken,
        group: config.gitlab.group,
        accessLevel: config.gitlab.accessLevel,
        permanentMembers: config.gitlab.permanentMembers,
        timeoutMs: config.gitlab.timeout,
      });
      const only = config.gitlab.schedules;
      const emails = answer.people.filter((p) => !only || p.schedules.some((s) => only.includes(s))).map((p) => p.email);
      gitlab = {
        group: config.gitlab.group,
        plan: await target.plan(emails, { allowEmpty: config.allowEmpty, maxChange: config.maxChange, force: options.force }),
        applied: false,
      };
      if (writes && !gitlab.plan.refused && gitlab.plan.add.length + gitlab.plan.remove.length > 0) {
        // the directory first: it is the one atomic change; GitLab follows
        if (planChanges(plan)) {
          await dir.modifyGroup(plan.add, plan.remove);
          applied = true;
        }
        await target.apply(gitlab.plan);
        gitlab.applied = true;
      }
    }
    if (writes && !applied && planChanges(plan)) {
      await dir.modifyGroup(plan.add, plan.remove);
      applied = true;
    }
    const after = applied ? await dir.readGroup() : before;
    for (const s of plan.skipped) warnings.push(`skipped ${s.email}: ${s.reason}`);
    if (plan.refused) warnings.push(plan.refused.message);
    if (gitlab?.plan.refused) warnings.push(`GitLab ${gitlab.group}: ${gitlab.plan.refused}`);
    for (const s of gitlab?.plan.skipped ?? []) warnings.push(`GitLab: skipped ${s.email}: ${s.reason}`);

    const result: OncallResult = {
      mode: options.mode,
      dryRun: options.dryRun,
      group: config.ldap.groupDN,
      window: { since: answer.since, until: answer.until },
      schedules: answer.schedules.map((s) => s.name),
      onCall: answer.people,
      before,
      after,
      plan,
      applied,
      gitlab,
      notified: false,
      warnings,
    };

    if (applied || gitlab?.applied) {
      if (store) {
        const emailOf = new Map(plan.onCall.map((p) => [dir.memberKey(p.memberValue), p.email]));
        await recordMembership(
          store,
          {
            groupDN: config.ldap.groupDN,
            members: after.map((v) => ({ key: dir.memberKey(v), value: v, name: memberName(v, memberValue), email: emailOf.get(dir.memberKey(v)) })),
            removed: plan.remove.map((v) => ({ key: dir.memberKey(v), value: v, name: memberName(v, memberValue) })),
          },
          options.now,
        );
        await store.audit({
          at: options.now,
          actor: options.actor,
          action: "oncall.sync",
          subject: groupKey(config.ldap.groupDN),
          details: {
            group: config.ldap.groupDN,
            added: applied ? plan.add : [],
            removed: applied ? plan.remove : [],
            skipped: plan.skipped,
            schedules: result.schedules,
            ...(plan.forced ? { forced: plan.forced } : {}),
            ...(gitlab?.applied
              ? { gitlab: { group: gitlab.group, added: gitlab.plan.add.map((u) => u.username), removed: gitlab.plan.remove.map((u) => u.username) } }
              : {}),
          },
        });
      }
      const lines = [`On-call group ${config.ldap.groupDN} updated from ${result.schedules.join(", ")}:`];
      if (applied) {
        lines.push(`added: ${names(plan.add.map((v) => memberName(v, memberValue)))}; removed: ${names(plan.remove.map((v) => memberName(v, memberValue)))}`);
      }
      if (gitlab?.applied) {
        lines.push(
          `GitLab ${gitlab.group}: added ${names(gitlab.plan.add.map((u) => u.username))}; removed ${names(gitlab.plan.remove.map((u) => u.username))}`,
        );
      }
      if (plan.skipped.length > 0) lines.push(`skipped: ${plan.skipped.map((s) => `${s.email} (${s.reason})`).join("; ")}`);
      if (plan.forced) lines.push(`forced: ${plan.forced}`);
      result.notified = await notify(lines.join("\n"));
    }
    // A refused change is not posted to Slack: from cron it would repeat every minute. It is the
    // exit status (1), a warning on stderr and a Graylog line at warning level.
    await logRun({
      short_message: applied
        ? `oncall sync ${config.ldap.groupDN}: +${plan.add.length} -${plan.remove.length}`
        : `oncall sync ${config.ldap.groupDN}: ${plan.refused ? `refused (${plan.refused.rail})` : "no change"}`,
      full_message: warnings.length > 0 ? warnings.join("\n") : undefined,
      level: plan.refused || warnings.length > 0 ? 4 : 6,
      fields: {
        group: config.ldap.groupDN,
        added: plan.add.map((v) => memberName(v, memberValue)).join(","),
        removed: plan.remove.map((v) => memberName(v, memberValue)).join(","),
        applied,
        on_call: answer.people.map((p) => p.email).join(","),
        skipped: plan.skipped.length,
        ...(plan.refused ? { refused: plan.refused.rail } : {}),
        ...(gitlab ? { gitlab_applied: gitlab.applied } : {}),
      },
    });
    return { result };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const state = applied
      ? `The directory group WAS changed (+${names(plan?.add ?? [])} −${names(plan?.remove ?? [])}); what failed came after.`
      : "Nothing was changed.";
    if (writes) {
      await notify(`dm oncall sync for ${config.ldap.groupDN} failed: ${message}\n${state}`);
      await logRun({ short_message: `oncall sync ${config.ldap.groupDN} failed: ${message}`, full_message: state, level: 3, fields: { group: config.ldap.groupDN, applied } });
    }
    if (error instanceof DmError) {
      if (applied) error.details.push(state);
      else if (error instanceof ExternalServiceError) error.details.push(state);
      throw error;
    }
    throw error;
  } finally {
    await directory?.close();
    await store?.close().catch(() => undefined);
    lock?.release();
  }
}
