/**
 * Digests: the `digests:`, `owners:` and `server:` sections of
 * dm.config.yaml. docs/alerts.md ("Digests") is the reference.
 *
 *   server:
 *     url: https://dm.example.com      # the dashboard: links in digests
 *   digests:
 *     schedule: weekly                 # daily (08:00 UTC), weekly (Monday 08:00 UTC) or a cron (UTC)
 *     soon: 14d                        # "due soon": within this window
 *     actions: [...]                   # the default destination(s): unmapped owners and unowned items
 *   owners:
 *     payments: { slack: "#payments" } # the default slack (token) action, to another channel
 *     web: { webhook: https://hooks.example.com/web }   # the default webhook action (its secret), to another URL
 *     identity: { actions: [...] }     # actions of its own
 *
 * Owners are compared as everywhere else (ownerKey: without case or
 * surrounding space). Actions stay raw with where they were written, parsed
 * by the injected factory (as for alert rules). Every mistake names the file
 * and the key.
 */
import { z } from "zod";
import { InputError } from "../../shared/errors.js";
import { readYamlFile } from "../../shared/yaml-file.js";
import { ownerKey } from "../maintenance/finding.js";
import { CronError, type CronSchedule, parseCron } from "../schedule/cron.js";
import { type AlertAction, type DestinationFactory, parsePeriod } from "./config.js";

export const DEFAULT_SOON = "14d";
/** What `daily` and `weekly` mean (UTC). */
export const DIGEST_SCHEDULES: Record<string, string> = { daily: "0 8 * * *", weekly: "0 8 * * 1" };

export interface OwnerRoute {
  /** the owner as written under owners: */
  name: string;
  actions: AlertAction[];
}

export interface DigestSetup {
  file: string;
  schedule: CronSchedule;
  soonMs: number;
  /** the dashboard's base URL, without a trailing slash */
  serverUrl?: string;
  /** the default destinations */
  actions: AlertAction[];
  /** by ownerKey */
  owners: Map<string, OwnerRoute>;
}

const ServerSchema = z.strictObject({ url: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL, e.g. https://dm.example.com" }) });

const DigestsSchema = z.strictObject({
  schedule: z.string().min(1).optional(),
  soon: z.string().optional(),
  actions: z.array(z.unknown()).optional(),
});

const OwnerSchema = z
  .strictObject({
    slack: z.string().min(1, 'a channel, e.g. "#payments"').optional(),
    webhook: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }).optional(),
    actions: z.array(z.unknown()).min(1).optional(),
  })
  .refine((o) => o.slack !== undefined || o.webhook !== undefined || o.actions !== undefined, {
    message: 'give slack: "#channel", webhook: URL or actions: [...]',
  });

function failure(file: string, prefix: (string | number)[], error: z.ZodError): InputError {
  const issue = error.issues[0]!;
  const p = [...prefix, ...(issue.path as (string | number)[]), ...(issue.code === "unrecognized_keys" ? [issue.keys[0]!] : [])];
  const at = p.map((x, i) => (typeof x === "number" ? `[${x}]` : `${i === 0 ? "" : "."}${x}`)).join("");
  return new InputError(`${file}: ${at}: ${issue.code === "unrecognized_keys" ? "not a setting" : issue.message}`, {
    details: ["Digests are described in docs/alerts.md (Digests)."],
  });
}

function digestSchedule(text: string, where: string): CronSchedule {
  try {
    return parseCron(DIGEST_SCHEDULES[text.trim().toLowerCase()] ?? text);
  } catch (error) {
    if (error instanceof CronError) {
      throw new InputError(`${where}: ${error.message}`, { details: ['Write daily, weekly, or five cron fields in UTC, e.g. "0 8 * * 1" (Monday 08:00).'] });
    }
    throw error;
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The dashboard's base URL from `server.url`, if configured. */
export function parseServerSection(doc: unknown, file: string): string | undefined {
  const server = isMap(doc) ? doc.server : undefined;
  if (server === undefined || server === null) return undefined;
  const parsed = ServerSchema.safeParse(server);
  if (!parsed.success) throw failure(file, ["server"], parsed.error);
  return parsed.data.url.replace(/\/+$/, "");
}

/** The digests of a parsed config document; undefined without a `digests:` section. */
export function parseDigestSection(doc: unknown, file: string, factory: Pick<DestinationFactory, "parseAction">): DigestSetup | undefined {
  const top = isMap(doc) ? doc : {};
  const serverUrl = parseServerSection(top, file);
  if (top.digests === undefined || top.digests === null) {
    if (top.owners !== undefined) throw new InputError(`${file}: owners: routes digests, and there is no digests: section`, { details: ["digests:\n  schedule: weekly\n  actions: [...]"] });
    return undefined;
  }
  const d = DigestsSchema.safeParse(top.digests);
  if (!d.success) throw failure(file, ["digests"], d.error);
  const parse = (raw: unknown, where: string): AlertAction => ({ raw, where, parsed: factory.parseAction(raw, where) });
  const actions = (d.data.actions ?? []).map((raw, i) => parse(raw, `${file}: digests.actions[${i}]`));
  const owners = new Map<string, OwnerRoute>();
  const ownersRaw = top.owners ?? {};
  if (!isMap(ownersRaw)) throw new InputError(`${file}: owners: expected a map of owner names, e.g. payments: { slack: "#payments" }`);
  for (const [name, value] of Object.entries(ownersRaw)) {
    const where = `${file}: owners.${name}`;
    const o = OwnerSchema.safeParse(value);
    if (!o.success) throw failure(file, ["owners", name], o.error);
    const key = ownerKey(name);
    if (owners.has(key)) throw new InputError(`${where}: the same owner as owners.${owners.get(key)!.name} (owners compare without case)`);
    const routed: AlertAction[] = [];
    if (o.data.slack !== undefined) {
      // the default Slack bot action (its token), posting to the owner's channel
      const base = actions.find((a) => isMap(a.raw) && a.raw.type === "slack" && a.raw.token !== undefined);
      if (!base) {
        throw new InputError(`${where}.slack: needs a slack action with token: (a bot) in digests.actions, whose token it uses`, {
          details: ["An incoming webhook posts to its own channel only: give this owner actions: [{type: slack, webhook: ...}] instead."],
        });
      }
      routed.push(parse({ ...(base.raw as Record<string, unknown>), channel: o.data.slack }, `${where}.slack`));
    }
    if (o.data.webhook !== undefined) {
      const base = actions.find((a) => isMap(a.raw) && a.raw.type === "webhook");
      if (!base) throw new InputError(`${where}.webhook: needs a webhook action in digests.actions, whose secret it uses`);
      routed.push(parse({ ...(base.raw as Record<string, unknown>), url: o.data.webhook }, `${where}.webhook`));
    }
    (o.data.actions ?? []).forEach((raw, i) => {
      routed.push(parse(raw, `${where}.actions[${i}]`));
    });
    owners.set(key, { name, actions: routed });
  }
  return {
    file,
    schedule: digestSchedule(d.data.schedule ?? "weekly", `${file}: digests.schedule`),
    soonMs: parsePeriod(d.data.soon ?? DEFAULT_SOON, `${file}: digests.soon`),
    ...(serverUrl === undefined ? {} : { serverUrl }),
    actions,
    owners,
  };
}

/** The digests of a config file (undefined without a file or a digests: section). */
export function loadDigestSetup(file: string | undefined, factory: Pick<DestinationFactory, "parseAction">): DigestSetup | undefined {
  if (!file) return undefined;
  return parseDigestSection(readYamlFile(file), file, factory);
}

/** The actions an owner's digest goes to: its own under owners:, else the default ones. */
export function actionsFor(setup: Pick<DigestSetup, "actions" | "owners">, owner: string | null): AlertAction[] {
  return (owner === null ? undefined : setup.owners.get(ownerKey(owner))?.actions) ?? setup.actions;
}

/**
 * The start of the digest period `now` falls in: the latest scheduled time
 * at or before `now` (the start of the UTC day when the schedule has none in
 * the last year). Two runs in one period build the same notifications.
 */
export function periodStart(schedule: CronSchedule, now: number): number {
  for (const lookback of [3_600_000, 86_400_000, 8 * 86_400_000, 32 * 86_400_000, 367 * 86_400_000]) {
    let t = schedule.next(now - lookback);
    if (t > now) continue;
    for (let n = schedule.next(t); n <= now; n = schedule.next(t)) t = n;
    return t;
  }
  return now - (now % 86_400_000);
}
