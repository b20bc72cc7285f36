import { createHash } from "node:crypto";
import path from "node:path";
import { findOncallConfig, loadDeputizeConfig, loadOncallConfig, type LoadedOncallConfig } from "../../core/oncall/config.js";
import { normaliseDn } from "../../core/oncall/ldap.js";
import { memberName, type OncallResult, runOncall } from "../../core/oncall/sync.js";
import { dataDir } from "../../shared/config.js";
import { CheckFailedError, InputError } from "../../shared/errors.js";
import type { CommandContext } from "../context.js";
import type { OncallSyncFlags } from "./oncall.command.js";
import { wantsJson } from "../output.js";

export type OncallOptions = OncallSyncFlags;

function load(ctx: CommandContext, o: OncallOptions): LoadedOncallConfig {
  if (o.config && o.deputizeConfig) throw new InputError("give --config or --deputize-config, not both");
  if (o.deputizeConfig) return loadDeputizeConfig(path.resolve(ctx.cwd, o.deputizeConfig), ctx.config);
  const file = o.config ? path.resolve(ctx.cwd, o.config) : findOncallConfig(ctx.cwd, dataDir(ctx.config));
  if (!file) {
    throw new InputError("dm oncall needs a config: --config FILE, --deputize-config config.json, or dm-oncall.yaml here or in ~/.deferred-maintenance/", {
      details: ["See docs/oncall.md for the format."],
    });
  }
  return loadOncallConfig(file, ctx.config);
}

function window(r: OncallResult): string {
  const minutes = Math.round((r.window.until - r.window.since) / 60_000);
  return minutes === 0 ? "now" : minutes % 60 === 0 ? `now → +${minutes / 60}h` : `now → +${minutes}m`;
}

function print(ctx: CommandContext, r: OncallResult, memberValue: "user" | "dn"): void {
  const s = ctx.style;
  const name = (v: string) => memberName(v, memberValue);
  const onCall = r.onCall.map((p) => r.plan.onCall.find((x) => x.email === p.email)?.name ?? p.email);
  const lines = [
    `PagerDuty (${r.schedules.join(", ")}), ${window(r)}: ${onCall.length > 0 ? onCall.join(", ") : "nobody"}`,
    `LDAP ${r.group}: ${r.before.length > 0 ? r.before.map(name).sort().join(", ") : "(empty)"}`,
  ];
  const diff = [...r.plan.add.map((v) => s.green(`+ ${name(v)}`)), ...r.plan.remove.map((v) => s.red(`− ${name(v)}`))].join("   ");
  if (r.plan.refused) lines.push(`${s.yellow("Refused:")} ${r.plan.refused.message}${diff ? ` (would be: ${diff})` : ""}`);
  else if (!diff) lines.push("No change: the group matches the rotation.");
  else if (r.applied) lines.push(`Changed: ${diff}`);
  else lines.push(`Plan: ${diff}${r.dryRun ? "   (dry run: nothing changed)" : r.mode === "status" ? "   (dm oncall sync applies it)" : ""}`);
  if (r.plan.forced) lines.push(s.yellow(`Forced: ${r.plan.forced}`));
  if (r.plan.keptPermanent.length > 0) lines.push(`Permanent members kept: ${r.plan.keptPermanent.map(name).join(", ")}`);
  for (const k of r.plan.skipped) lines.push(`${s.yellow("Skipped:")} ${k.email}: ${k.reason}`);
  if (r.gitlab) {
    const g = r.gitlab.plan;
    const gd = [...g.add.map((u) => `+ ${u.username}`), ...g.remove.map((u) => `− ${u.username}`)].join("   ");
    lines.push(
      `GitLab ${r.gitlab.group}: ${g.refused ? `refused: ${g.refused}` : !gd ? "no change" : r.gitlab.applied ? `changed: ${gd}` : `plan: ${gd}`}`,
    );
    for (const k of g.skipped) lines.push(`${s.yellow("Skipped (GitLab):")} ${k.email}: ${k.reason}`);
  }
  ctx.stdout.write(`${lines.join("\n")}\n`);
}

async function run(ctx: CommandContext, mode: "sync" | "status", o: OncallOptions): Promise<OncallResult | undefined> {
  const loaded = load(ctx, o);
  for (const w of loaded.warnings) ctx.stderr.write(`${ctx.style.yellow("warning:")} ${w}\n`);
  const memberValue = loaded.config.ldap.memberValue ?? (/^(member|uniqueMember)$/i.test(loaded.config.ldap.memberAttribute) ? "dn" : "user");
  const lockFile = path.join(
    dataDir(ctx.config),
    "locks",
    `oncall-${createHash("sha256").update(normaliseDn(loaded.config.ldap.groupDN)).digest("hex").slice(0, 16)}.lock`,
  );
  const outcome = await runOncall(loaded, {
    mode,
    dryRun: mode === "status" || !!o.dryRun,
    force: !!o.force,
    now: ctx.now(),
    actor: ctx.actor(),
    env: ctx.config,
    lockFile,
    openStore: () => ctx.openStore(o.db, { create: true }),
    // printed with the result below; the log has them as they happen
    warn: (m) => ctx.logger.info(m),
  });
  if ("skipped" in outcome) {
    const h = outcome.skipped.holder;
    const who = h ? `pid ${h.pid} on ${h.host}, since ${new Date(h.since).toISOString()}` : "another run";
    ctx.stderr.write(`Skipped: another dm oncall sync holds the lock (${who}); nothing was done. Lock file: ${outcome.skipped.lockFile}\n`);
    if (wantsJson(o)) ctx.stdout.write(`${JSON.stringify({ skipped: true, holder: h ?? null })}\n`);
    return undefined;
  }
  const r = outcome.result;
  if (wantsJson(o)) ctx.stdout.write(`${JSON.stringify(r)}\n`);
  else print(ctx, r, memberValue);
  for (const w of r.warnings.filter((w) => !r.plan.skipped.some((k) => w.includes(k.email)) && w !== r.plan.refused?.message)) {
    ctx.stderr.write(`${ctx.style.yellow("warning:")} ${w}\n`);
  }
  if (r.plan.refused && mode === "sync" && !r.dryRun) {
    throw new CheckFailedError(`the on-call group was not changed: ${r.plan.refused.message}`);
  }
  if (r.gitlab?.plan.refused && mode === "sync" && !r.dryRun) {
    throw new CheckFailedError(`the GitLab group was not changed: ${r.gitlab.plan.refused}`);
  }
  return r;
}

export function oncallSyncCommand(ctx: CommandContext, o: OncallOptions): Promise<OncallResult | undefined> {
  return run(ctx, "sync", o);
}

export function oncallStatusCommand(ctx: CommandContext, o: OncallOptions): Promise<OncallResult | undefined> {
  return run(ctx, "status", o);
}
