import path from "node:path";
import { findConfigFile } from "../../core/ingest/config-file.js";
import { DAY_MS, DUE_CHOICES, isRelativeDue, isoDate, parseDue } from "../../core/maintenance/due.js";
import { FINDING_TYPE, maintenanceIdFor } from "../../core/maintenance/finding.js";
import { j1qlString } from "../../query/quote.js";
import {
  assertSelectionQuery,
  changeText,
  entityNameOf,
  linkProblem,
  type OpenInput,
  type OpenResult,
  previewNames,
  shortDescriptionProblem,
} from "../../core/maintenance/open.js";
import { isSlaSeverity, loadSlaPolicy, SLA_SEVERITIES, type SlaPolicy, type SlaSeverity, slaDue } from "../../core/sla/policy.js";
import { dataDir } from "../../shared/config.js";
import { DmError, InputError } from "../../shared/errors.js";
import { type Backend, withBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import { outputFormat } from "../output.js";
import type { Prompter } from "../prompt.js";
import type { OpenFlags } from "./open.command.js";
import { plural } from "./report.js";

export type OpenOptions = OpenFlags;

export const REFUSE_WITHOUT_YES = "refusing to write without --yes when not on a terminal";

/** The message of a DmError for a prompt's validation, or undefined. */
export function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof DmError) return error.message;
    throw error;
  }
}

const DATE_CHOICE = "a date";

/** Ask for a due date: a number of days from DUE_CHOICES (dueIn: that period), or a date. */
export async function askDue(p: Prompter, now: number, question = "Due"): Promise<{ dueDate: number; dueIn?: number }> {
  const choices = [...DUE_CHOICES.map((d) => `${d} days`), DATE_CHOICE] as const;
  const picked = await p.choose(question, choices, DUE_CHOICES.indexOf(30));
  if (picked !== DATE_CHOICE) {
    const dueIn = Number.parseInt(picked, 10) * DAY_MS;
    return { dueDate: now + dueIn, dueIn };
  }
  const text = await p.text("Date (YYYY-MM-DD)", { validate: (a) => problemOf(() => parseDue(a, now, "the date")) });
  return { dueDate: parseDue(text, now, "the date") };
}

/** Other open items with this short description (a different query, so a different id): id -> open findings and query. */
async function sameTitleItems(b: Backend, short: string, query: string, now: number): Promise<{ id: string; open: number; query: string }[]> {
  const mid = maintenanceIdFor(short.trim(), query.trim());
  const found = await b.selectEntities(`Find ${FINDING_TYPE} with shortDescription = ${j1qlString(short.trim())} and closed = false`, now);
  const items = new Map<string, { id: string; open: number; query: string }>();
  for (const f of found) {
    const id = String(f.properties.maintenanceId ?? "");
    if (id === "" || id === mid) continue;
    const item = items.get(id) ?? { id, open: 0, query: String(f.properties.query ?? "") };
    item.open++;
    items.set(id, item);
  }
  return [...items.values()];
}

function sameTitleWarning(short: string, twins: { id: string; open: number; query: string }[]): string[] {
  return [
    `warning: "${short.trim()}" is already the short description of ${twins.length === 1 ? "an open item" : `${twins.length} open items`} (another query, so another id):`,
    ...twins.map((t) => `  ${t.id}: ${plural(t.open, "open finding")} · ${t.query}`),
    "  Two items with one title are hard to tell apart: reuse its query (add the new assets to it), or pick another short description.",
  ];
}

/** `sla:high` -> the severity; undefined when the text is no `sla:` due; an InputError for a severity that is none. */
export function slaSeverityOf(text: string): SlaSeverity | undefined {
  const m = /^\s*sla:(.*)$/i.exec(text);
  if (!m) return undefined;
  const severity = m[1]!.trim().toLowerCase();
  if (!isSlaSeverity(severity)) {
    throw new InputError(`--due sla:${m[1]!.trim()}: "${m[1]!.trim()}" is not a severity; use ${SLA_SEVERITIES.map((s) => `sla:${s}`).join(", ")}`, {
      details: ["The SLA policy (sla: in dm.config.yaml, docs/sla.md) gives the period of each severity."],
    });
  }
  return severity;
}

/** The SLA policy: --config, else dm.config.yaml here or in ~/.deferred-maintenance/, else the defaults. */
export function slaPolicyFor(ctx: CommandContext, config: string | undefined): SlaPolicy {
  if (config !== undefined) return loadSlaPolicy(path.resolve(ctx.cwd, config));
  return loadSlaPolicy(findConfigFile(ctx.cwd, dataDir(ctx.config)));
}

export async function openCommand(ctx: CommandContext, options: OpenOptions): Promise<OpenResult | undefined> {
  const now = ctx.now();
  let { query, short, description, link } = options;
  let track = !!options.track;
  let dueIn: number | undefined;
  const json = outputFormat(options) === "json";

  // What the flags say is checked before any question or database work.
  if (short !== undefined) {
    const problem = shortDescriptionProblem(short);
    if (problem) throw new InputError(`--short: ${problem}`);
  }
  if (link !== undefined) {
    const problem = linkProblem(link, "--link");
    if (problem) throw new InputError(problem);
  }
  const slaSeverity = options.due === undefined ? undefined : slaSeverityOf(options.due);
  let sla: { policy: SlaPolicy; severity: SlaSeverity } | undefined;
  let dueDate: number | undefined;
  if (slaSeverity !== undefined) {
    const policy = slaPolicyFor(ctx, options.config);
    sla = { policy, severity: slaSeverity };
    dueDate = slaDue(policy, { severity: slaSeverity, openedOn: now });
  } else if (options.due !== undefined) {
    dueDate = parseDue(options.due, now, "--due");
    if (isRelativeDue(options.due)) dueIn = dueDate - now;
  }
  if (query !== undefined) assertSelectionQuery(query);
  if (!ctx.interactive) {
    const missing = [
      query === undefined ? "--query" : "",
      short === undefined ? "--short" : "",
      link === undefined ? "--link" : "",
      dueDate === undefined ? "--due" : "",
    ].filter(Boolean);
    if (missing.length > 0) {
      throw new InputError(`missing ${missing.join(", ")}: not on a terminal, so nothing can be asked`, {
        details: [
          `  dm open --query "Find CodeRepo that USES npm_package with name='left-pad'" --short "Remove left-pad" \\`,
          "    --description \"Use String.prototype.padStart\" --link https://wiki.example.com/left-pad --due 30d --yes",
        ],
      });
    }
  }

  return withBackend(ctx, options.db, async (b) => {
    if (sla && b.remote) {
      throw new InputError(`--due sla:${sla.severity} is not supported on a dm server (${b.remote}): the server does not apply a local SLA policy`, {
        details: ["Give the due date itself (--due 30d or --due 2027-03-31), or run dm open against a local database with --db."],
      });
    }
    if (options.update && b.remote) {
      throw new InputError(`--update is not supported on a dm server (${b.remote}) yet`, {
        details: ["Run it against the database with --db, or close the item (--reason ERROR) and open it again."],
      });
    }
    let confirmed = !!options.yes;
    const input = (dryRun: boolean): OpenInput => ({
      query: query!,
      shortDescription: short!,
      description: description ?? short!,
      webLink: link!,
      dueDate: dueDate!,
      track,
      dryRun,
      ...(sla ? { sla } : {}),
      ...(dueIn === undefined ? {} : { dueIn }),
      ...(options.update ? { update: true } : {}),
    });
    let twins: { id: string; open: number; query: string }[] = [];
    if (ctx.interactive) {
      const p = ctx.prompter();
      try {
        query ??= await p.text("Which assets? (J1QL)", { validate: (a) => problemOf(() => assertSelectionQuery(a)) });
        const asking = !options.yes && !options.dryRun;
        if (asking) {
          const selected = (await b.selectEntities(query, now)).filter((i) => i.entity._type !== FINDING_TYPE);
          if (selected.length === 0) throw new InputError("the query selects no entities: nothing to open");
          const noun = selected.length === 1 ? "entity" : "entities";
          const ok = await p.confirm(`${selected.length} ${noun}: ${previewNames(selected.map(entityNameOf))}. Proceed?`, true);
          if (!ok) {
            ctx.stderr.write("Nothing opened.\n");
            return undefined;
          }
        }
        short ??= await p.text("Short description (≤ 50, shown in the graph)", { validate: shortDescriptionProblem });
        description ??= await p.text("Description", { default: short });
        link ??= await p.text("Link to the instructions", { validate: (a) => linkProblem(a) });
        if (dueDate === undefined) ({ dueDate, dueIn } = await askDue(p, now));
        if (asking && !options.track) {
          track = await p.confirm("Track the query? (dm reconcile then closes findings whose asset no longer matches and opens new matches)", false);
        }
        if (asking) {
          // The summary: what this would write (a dry run: an item changed without --update is refused here).
          const preview = await b.open(input(true), { now, actor: await b.actor() });
          twins = await sameTitleItems(b, short, query, now);
          if (twins.length > 0) for (const line of sameTitleWarning(short, twins)) ctx.stderr.write(`${line}\n`);
          const writes = summaryOf(preview, track);
          if (writes !== undefined) {
            const ok = await p.confirm(`${writes}?`, false);
            if (!ok) {
              ctx.stderr.write("Nothing opened.\n");
              return undefined;
            }
          }
          confirmed = true;
        }
      } finally {
        p.close();
      }
    }
    // Without a terminal and without --yes: validate everything (a dry run), then refuse.
    const refuse = !options.dryRun && !confirmed;
    const result = await b.open(input(!!options.dryRun || refuse), { now, actor: await b.actor() });
    if (!ctx.interactive || options.yes || options.dryRun) twins = await sameTitleItems(b, short!, query!, now);
    if (refuse) {
      throw new InputError(REFUSE_WITHOUT_YES, {
        details: [
          `It would open ${plural(result.opened, "finding")} (id ${result.maintenanceId}${result.alreadyOpen > 0 ? `, ${result.alreadyOpen} already open` : ""})${result.updated ? ` and update ${plural(result.updated.findings, "open finding")}` : ""}.`,
          ...(twins.length > 0 ? sameTitleWarning(short!, twins) : []),
          "Add --yes to write them, or --dry-run to list them.",
        ],
      });
    }
    if (twins.length > 0 && (options.yes || options.dryRun)) for (const line of sameTitleWarning(short!, twins)) ctx.stderr.write(`${line}\n`);
    if (json) ctx.stdout.write(`${JSON.stringify(result)}\n`);
    else print(ctx, result, track);
    return result;
  });
}

/** `Open 30 findings due 2027-03-31 and update 27 open findings (--link: …)`; undefined when nothing would be written. */
function summaryOf(r: OpenResult, tracked: boolean): string | undefined {
  const parts: string[] = [];
  if (r.opened > 0) {
    parts.push(`Open ${plural(r.opened, "finding")} due ${isoDate(r.dueDate)}${r.sla ? ` (SLA ${r.sla.severity})` : ""}${tracked ? ", tracked" : ""}`);
  }
  if (r.updated) parts.push(`${parts.length > 0 ? "update" : "Update"} ${plural(r.updated.findings, "open finding")} (${r.updated.changes.map(changeText).join("; ")})`);
  return parts.length > 0 ? parts.join(" and ") : undefined;
}

function print(ctx: CommandContext, r: OpenResult, tracked: boolean): void {
  const s = ctx.style;
  const parts: string[] = [];
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  if (r.dryRun) parts.push(`Would open ${n(r.opened, "finding", "findings")}`);
  else parts.push(`Opened ${n(r.opened, "finding", "findings")}`);
  parts.push(`id ${r.maintenanceId}`);
  parts.push(`due ${isoDate(r.dueDate)}${r.sla ? ` (SLA ${r.sla.severity})` : ""}`);
  if (r.alreadyOpen > 0) parts.push(`${r.alreadyOpen} already open`);
  if (r.sla && r.sla.exposed > 0) parts.push(`${n(r.sla.exposed, "on an exposed asset, due sooner", "on exposed assets, due sooner")}`);
  ctx.stdout.write(`${s.bold(parts.join(" · "))}${r.dryRun ? s.dim(" (dry run: nothing written)") : ""}\n`);
  if (r.updated) {
    ctx.stdout.write(`${r.dryRun ? "Would update" : "Updated"} ${n(r.updated.findings, "open finding", "open findings")}: ${r.updated.changes.map(changeText).join("; ")}\n`);
  }
  if (r.dryRun && r.findings.length > 0) ctx.stdout.write(`  ${previewNames(r.findings.map((f) => f.entityName), 10)}\n`);
  if (r.skipped > 0) {
    ctx.stdout.write(`Skipped ${n(r.skipped, "selected entity that is a deferred_maintenance finding itself", "selected entities that are deferred_maintenance findings themselves")}.\n`);
  }
  if (r.dryRun) return;
  if (tracked) ctx.stdout.write(s.dim("Tracked: dm reconcile re-runs the query, closing findings whose entity no longer matches and opening new ones.\n"));
  ctx.stdout.write(s.dim(`See them: dm query "Find ${FINDING_TYPE} with maintenanceId='${r.maintenanceId}'"\n`));
}
