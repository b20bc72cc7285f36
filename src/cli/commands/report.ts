/**
 * `dm` inside a checkout and `dm report`: the open maintenance of this
 * repository (or of a team, or what I opened), the answer first, then the
 * next command to type.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { DAY_MS, formatDue } from "../../core/maintenance/due.js";
import type { Finding, ViaAsset } from "../../core/maintenance/finding.js";
import { type FindingReport, isOverdue, type MineItem, type RepoRef } from "../../core/maintenance/report.js";
import { j1qlString } from "../../query/quote.js";
import { shellArg } from "../../shared/close-command.js";
import { InputError, NotFoundError } from "../../shared/errors.js";
import { type Backend, withBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import { readCheckout } from "../git-checkout.js";
import { outputFormat, plural, renderCsv, renderTable, type Style } from "../output.js";
import { assertKnownOwner, repoGuess } from "../suggestions.js";
import type { ReportFlags } from "./report.command.js";

// ------------------------------------------------------------------ the checkout

export interface Checkout {
  /** top-level directory of the working tree */
  root: string;
  /** its folder name */
  dirName: string;
  /** `remote.origin.url`, when set */
  remoteUrl?: string;
}

const checkouts = new Map<string, Checkout | null>();

// child_process only when git must be asked: readCheckout usually answers from .git.
const require = createRequire(import.meta.url);

function git(cwd: string, args: string[]): string | undefined {
  try {
    const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
    const out = execFileSync("git", ["-C", cwd, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 3000,
      windowsHide: true,
    }).trim();
    return out === "" ? undefined : out;
  } catch {
    // not a checkout, no git, no such remote, or too slow: all "unknown"
    return undefined;
  }
}

/**
 * The git checkout containing `cwd` (remembered per directory), or
 * undefined: read from `.git` when that is certain (readCheckout), else by
 * asking git (no shell).
 */
export function gitCheckout(cwd: string): Checkout | undefined {
  const cached = checkouts.get(cwd);
  if (cached !== undefined) return cached ?? undefined;
  const read = readCheckout(cwd);
  const root = read === null ? undefined : (read?.root ?? git(cwd, ["rev-parse", "--show-toplevel"]));
  let checkout: Checkout | null = null;
  if (root) {
    const remoteUrl = read?.remoteUrl ?? git(cwd, ["config", "--get", "remote.origin.url"]);
    checkout = { root, dirName: path.basename(root), ...(remoteUrl ? { remoteUrl } : {}) };
  }
  checkouts.set(cwd, checkout);
  return checkout ?? undefined;
}

/** Strip credentials from a remote before showing it. */
function safeRemote(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/, "//");
}

/**
 * The repository a command is about: `--repo NAME`, else the current
 * checkout. Throws with the next step when there is none or it is unknown.
 */
export async function resolveRepo(
  ctx: CommandContext,
  backend: Backend,
  name: string | undefined,
  command: string,
): Promise<RepoRef> {
  const now = ctx.now();
  if (name !== undefined) {
    const repo = await backend.findRepo({ name, now });
    if (!repo) {
      throw new NotFoundError(`no repository named ${JSON.stringify(name)} in the graph${await repoGuess(backend, name, now)}`, {
        details: [
          `Names come from the repos' name property: dm query "Find CodeRepo" lists them (a _key works too).`,
          "Import or sync it first if it is missing.",
        ],
      });
    }
    return repo;
  }
  const checkout = gitCheckout(ctx.cwd);
  if (!checkout) {
    throw new InputError(`${ctx.cwd} is not inside a git repository: which repository?`, {
      details: [`Pick one: ${command} --repo NAME`, "(or run it inside the repository's checkout)"],
    });
  }
  const repo = await backend.findRepo({ remoteUrl: checkout.remoteUrl, dirName: checkout.dirName, now });
  if (!repo) {
    const shown = checkout.remoteUrl ? `${checkout.dirName} (${safeRemote(checkout.remoteUrl)})` : checkout.dirName;
    throw new NotFoundError(`no repository named ${shown} in the graph${await repoGuess(backend, checkout.dirName, now)}; import or sync it, or use --repo`, {
      details: [`  ${command} --repo NAME   (dm query "Find CodeRepo" lists the names)`],
    });
  }
  return repo;
}

// ------------------------------------------------------------------ text helpers

export { shellArg };

/** The J1QL that selects one repo's findings: by its name when unique (the `name` index), else by its key. */
export function repoFindingsQuery(repo: RepoRef): string {
  return repo.uniqueName
    ? `Find deferred_maintenance that HAS CodeRepo with name=${j1qlString(repo.name)}`
    : `Find deferred_maintenance that HAS * with _key=${j1qlString(repo.key)}`;
}

/** The J1QL that selects the findings of the asset a via finding is on (by its unique key). */
export function assetFindingsQuery(asset: Pick<ViaAsset, "key">): string {
  return `Find deferred_maintenance that HAS * with _key=${j1qlString(asset.key)}`;
}

/**
 * The command that closes one item for this repo only (or accepts its risk);
 * for a finding reached `via` an asset the repo deploys, for that asset only
 * (the finding is the asset's, not the repo's).
 */
export function closeHint(
  repo: RepoRef | undefined,
  id: string,
  reason: "COMPLETE" | "RISK_ACCEPTED" = "COMPLETE",
  via?: Pick<ViaAsset, "key">,
): string {
  const query = via ? assetFindingsQuery(via) : repo ? repoFindingsQuery(repo) : undefined;
  const scope = query ? ` --query ${shellArg(query)}` : "";
  const tail =
    reason === "COMPLETE" ? "--reason COMPLETE --link <pull request URL>" : "--reason RISK_ACCEPTED --until YYYY-MM-DD --link <decision record>";
  return `dm close --id ${id}${scope} ${tail}`;
}

export { plural };

function dueCell(f: { dueDate: number }, now: number, style: Style): string {
  const text = formatDue(f.dueDate, now);
  return f.dueDate < now ? style.red(text) : text;
}

function indent(text: string, by = "  "): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? line : by + line))
    .join("\n");
}

/** "via web-1": the marker of a finding on an asset the repo deploys. */
export function viaLabel(via: ViaAsset): string {
  return `via ${via.name}`;
}

export function headline(
  subject: string,
  report: Pick<FindingReport, "open" | "overdue"> & { viaDeployed?: { open: number } },
  noun = "open maintenance item",
): string {
  if (report.open === 0) return `${subject}: no open maintenance`;
  const overdue = report.overdue === 0 ? "none overdue" : `${report.overdue} overdue`;
  const via = report.viaDeployed?.open ? ` (${report.viaDeployed.open} via deployed assets)` : "";
  return `${subject}: ${plural(report.open, noun)}, ${overdue}${via}`;
}

function findingsTable(findings: Finding[], now: number, style: Style, withEntity: boolean): string {
  // a repo's table gains a VIA column when some findings are on assets it deploys
  const withVia = !withEntity && findings.some((f) => f.via);
  const headers = withEntity ? ["DUE", "ITEM", "ENTITY", "LINK", "ID"] : withVia ? ["DUE", "ITEM", "VIA", "LINK", "ID"] : ["DUE", "ITEM", "LINK", "ID"];
  const rows = findings.map((f) =>
    withEntity
      ? [dueCell(f, now, style), f.shortDescription, f.entityName || f.entityKey, f.webLink, f.maintenanceId]
      : withVia
        ? [dueCell(f, now, style), f.shortDescription, f.via ? viaLabel(f.via) : "", f.webLink, f.maintenanceId]
        : [dueCell(f, now, style), f.shortDescription, f.webLink, f.maintenanceId],
  );
  return indent(renderTable(headers, rows, style, 70));
}

function mineSection(ctx: CommandContext, actor: string, mine: MineItem[], now: number): string {
  if (mine.length === 0) return `Opened by you (${actor}): nothing open\n`;
  const open = mine.reduce((n, m) => n + m.open, 0);
  const overdue = mine.reduce((n, m) => n + m.overdue, 0);
  const rows = mine.map((m) => [
    dueCell(m, now, ctx.style),
    m.shortDescription,
    String(m.open),
    m.overdue === 0 ? "0" : ctx.style.red(String(m.overdue)),
    m.maintenanceId,
  ]);
  return (
    `Opened by you (${actor}): ${plural(mine.length, "item")}, ${plural(open, "open finding")}, ${overdue} overdue\n\n` +
    indent(renderTable(["DUE", "ITEM", "OPEN", "OVERDUE", "ID"], rows, ctx.style, 70)) +
    `\nProgress of one:  dm stats ${mine[0]!.maintenanceId}\n`
  );
}

// ------------------------------------------------------------------ the command

export type ReportOptions = ReportFlags;

export interface ReportOutput extends FindingReport {
  repo?: RepoRef;
  /** a repo report: how many findings are on assets it deploys */
  viaDeployed?: { open: number; overdue: number };
  owner?: string;
  actor?: string;
}

export async function reportCommand(ctx: CommandContext, options: ReportOptions): Promise<ReportOutput> {
  if (options.repo !== undefined && options.owner !== undefined) {
    throw new InputError("--repo and --owner pick different things: use one of them");
  }
  const format = outputFormat(options, ["table", "json", "csv"]);
  const now = ctx.now();
  let actor: string | undefined;
  const out = await withBackend(ctx, options.db, async (b): Promise<ReportOutput> => {
    actor = options.mine ? await b.actor() : undefined;
    if (options.owner !== undefined) {
      const report = await b.ownerReport(options.owner, { now, mine: actor });
      if (report.findings.length === 0) await assertKnownOwner(b, options.owner, now);
      return { ...report, ...(actor ? { actor } : {}) };
    }
    // --mine alone, outside a checkout: only what I opened.
    if (options.repo === undefined && actor !== undefined && !gitCheckout(ctx.cwd)) {
      return { findings: [], open: 0, overdue: 0, mine: await b.mineReport(actor, now), actor };
    }
    const repo = await resolveRepo(ctx, b, options.repo, "dm report");
    return { ...(await b.repoReport(repo, { now, mine: actor })), ...(actor ? { actor } : {}) };
  });

  if (format === "json") {
    ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return out;
  }
  if (format === "csv") {
    // one row per open finding (the items I opened, --mine, are in --json)
    ctx.stdout.write(
      renderCsv(
        ["maintenanceId", "item", "entity", "entityType", "entityKey", "via", "owner", "dueDate", "overdue", "webLink"],
        out.findings.map((f) => [
          f.maintenanceId,
          f.shortDescription,
          f.entityName,
          f.entityType,
          f.entityKey,
          f.via?.name ?? "",
          f.owner ?? "",
          f.dueDate > 0 ? new Date(f.dueDate).toISOString() : "",
          isOverdue(f, now) ? Math.floor((now - f.dueDate) / DAY_MS) : "",
          f.webLink,
        ]),
      ),
    );
    return out;
  }
  const s = ctx.style;
  let text = "";
  if (out.repo || out.owner !== undefined) {
    const subject = out.repo ? out.repo.name : `${out.owner} (owner)`;
    text += `${s.bold(headline(subject, out, out.repo ? "open maintenance item" : "open finding"))}\n`;
    if (out.findings.length > 0) {
      text += `\n${findingsTable(out.findings, now, s, !out.repo)}\n`;
      const first = out.findings.find((f) => isOverdue(f, now)) ?? out.findings[0]!;
      text += out.repo
        ? `Done with one?  ${closeHint(out.repo, first.maintenanceId, "COMPLETE", first.via)}\n`
        : `More about one:  dm show ${first.maintenanceId}\n`;
    }
  }
  if (out.mine && actor) {
    if (text) text += "\n";
    text += mineSection(ctx, actor, out.mine, now);
  }
  ctx.stdout.write(text);
  return out;
}
