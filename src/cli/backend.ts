/**
 * Where a command's data comes from: a local database (SQLite or
 * PostgreSQL) or, in remote mode, the team server. Both answer with the same
 * core results, so a command computes and prints the same thing either way.
 */
import type { CloseInput, CloseResult } from "../core/maintenance/close.js";
import type { Finding } from "../core/maintenance/finding.js";
import type { OpenInput, OpenResult } from "../core/maintenance/open.js";
import type { ReconcileOptions, ReconcileResult } from "../core/maintenance/reconcile.js";
import type { StatsFilter } from "../core/maintenance/stats-sql.js";
import type { ItemStats } from "../core/maintenance/stats.js";
import type { MineItem, OwnerReport, RepoRef, RepoReport } from "../core/maintenance/report.js";
import type { ListItem, QueryResult } from "../query/run.js";
import { InputError } from "../shared/errors.js";
import type { GraphStore, SyncRun } from "../store/types.js";
import { type CommandContext, type StoreAccess, withStore } from "./context.js";
import type { RemoteClient } from "./remote.js";

export interface RepoWhere {
  name?: string;
  remoteUrl?: string;
  dirName?: string;
}

export interface Backend {
  /** the server's URL in remote mode */
  readonly remote?: string;
  /** who writes: the local actor, or the token's name on the server */
  actor(): Promise<string>;
  selectEntities(query: string, now: number): Promise<ListItem[]>;
  open(input: OpenInput, options: { now: number; actor: string }): Promise<OpenResult>;
  close(input: CloseInput): Promise<CloseResult>;
  listFindings(options: { now: number; overdueDays?: number; maintenanceId?: string }): Promise<Finding[]>;
  /** every finding (open and closed), or one item's */
  loadFindings(now: number, filter?: { maintenanceId?: string }): Promise<Finding[]>;
  /** every item's statistics (worst first), or one item's (empty when it has no findings) */
  itemStats(now: number, filter?: StatsFilter): Promise<ItemStats[]>;
  findRepo(where: RepoWhere & { now: number }): Promise<RepoRef | undefined>;
  repoReport(repo: RepoRef, options: { now: number; mine?: string }): Promise<RepoReport>;
  ownerReport(owner: string, options: { now: number; mine?: string }): Promise<OwnerReport>;
  mineReport(actor: string, now: number): Promise<MineItem[]>;
  reconcile(options: ReconcileOptions): Promise<ReconcileResult>;
  latestSyncRuns(): Promise<SyncRun[]>;
}

function localBackend(ctx: CommandContext, store: GraphStore): Backend {
  // core modules load on first use, as the commands did
  const report = () => import("../core/maintenance/report.js");
  return {
    async actor() {
      return ctx.actor();
    },
    async selectEntities(query, now) {
      return (await import("../core/maintenance/open.js")).selectEntities(store, query, now);
    },
    async open(input, options) {
      return (await import("../core/maintenance/open.js")).openMaintenance(store, input, options);
    },
    async close(input) {
      return (await import("../core/maintenance/close.js")).closeMaintenance(store, input);
    },
    async listFindings(options) {
      return (await report()).listFindings(store, options);
    },
    async loadFindings(now, filter = {}) {
      return (await import("../core/maintenance/finding.js")).loadFindings(store, now, filter);
    },
    async itemStats(now, filter = {}) {
      return (await import("../core/maintenance/stats-sql.js")).storeItemStats(store, now, filter);
    },
    async findRepo(where) {
      return (await report()).findRepo(store, where);
    },
    async repoReport(repo, options) {
      return (await report()).repoReport(store, repo, options);
    },
    async ownerReport(owner, options) {
      return (await report()).ownerReport(store, owner, options);
    },
    async mineReport(actor, now) {
      return (await report()).mineReport(store, actor, now);
    },
    async reconcile(options) {
      return (await import("../core/maintenance/reconcile.js")).reconcile(store, options);
    },
    latestSyncRuns() {
      return store.latestSyncRuns();
    },
  };
}

function remoteBackend(client: RemoteClient): Backend {
  let whoami: Promise<{ name: string }> | undefined;
  const withMine = async <T extends { mine?: MineItem[] }>(report: T, mine: string | undefined): Promise<T> => {
    if (mine === undefined) return report;
    const { mine: items } = await client.get<{ mine: MineItem[] }>("/api/v1/mine", { query: { actor: mine } });
    return { ...report, mine: items };
  };
  return {
    remote: client.url,
    async actor() {
      whoami ??= client.get<{ name: string }>("/api/v1/whoami");
      return (await whoami).name;
    },
    async selectEntities(query) {
      const items: ListItem[] = [];
      let cursor: string | undefined;
      do {
        const page: QueryResult = await client.post<QueryResult>("/api/v1/query", {
          body: { query, limit: 5000, ...(cursor === undefined ? {} : { cursor }) },
          j1ql: query,
        });
        if (page.type !== "list") return items;
        items.push(...page.data);
        cursor = page.cursor;
      } while (cursor !== undefined);
      return items;
    },
    open(input) {
      return client.post<OpenResult>("/api/v1/maintenance", {
        body: {
          query: input.query,
          shortDescription: input.shortDescription,
          description: input.description,
          webLink: input.webLink,
          due: input.dueDate,
          track: input.track,
          dryRun: input.dryRun,
        },
        j1ql: input.query,
      });
    },
    close(input) {
      if (input.maintenanceId === undefined) {
        throw new InputError("on a dm server, dm close needs the item's --id (a --query narrows its findings)", {
          details: ["dm list shows the ids."],
        });
      }
      return client.post<CloseResult>(`/api/v1/maintenance/${encodeURIComponent(input.maintenanceId)}/close`, {
        body: {
          reason: input.reason,
          ...(input.link === undefined ? {} : { link: input.link }),
          ...(input.until === undefined ? {} : { until: input.until }),
          ...(input.query === undefined ? {} : { query: input.query }),
          dryRun: input.dryRun ?? false,
        },
        ...(input.query === undefined ? {} : { j1ql: input.query }),
      });
    },
    async listFindings(options) {
      const r = await client.get<{ findings: Finding[] }>("/api/v1/maintenance", {
        query: {
          ...(options.overdueDays === undefined ? {} : { overdue: `${options.overdueDays}d` }),
          ...(options.maintenanceId === undefined ? {} : { id: options.maintenanceId }),
        },
      });
      return r.findings;
    },
    async loadFindings(_now, filter = {}) {
      const r = await client.get<{ findings: Finding[] }>("/api/v1/findings", {
        query: filter.maintenanceId === undefined ? {} : { id: filter.maintenanceId },
      });
      return r.findings;
    },
    async itemStats(now, filter = {}) {
      // the server's findings, counted here as before (GET /api/v1/stats leaves out nothing)
      const findings = await this.loadFindings(now, filter);
      const { itemStats, statsOf } = await import("../core/maintenance/stats.js");
      const all = filter.maintenanceId === undefined ? itemStats(findings, now) : findings.length === 0 ? [] : [statsOf(findings, now)];
      return all.map((x) => ({
        ...x,
        ...(filter.burndown === false ? { burndown: [] } : {}),
        ...(filter.median === false ? { medianDaysToClose: null } : {}),
      }));
    },
    async findRepo(where) {
      const r = await client.get<{ repo: RepoRef | null }>("/api/v1/repo", {
        query: { name: where.name, remoteUrl: where.remoteUrl, dirName: where.dirName },
      });
      return r.repo ?? undefined;
    },
    async repoReport(repo, options) {
      // asked by key (exact); the repo as the caller found it (by name, or from the checkout) is what it prints
      const report = await client.get<RepoReport>("/api/v1/report", { query: { repo: repo.key } });
      return withMine({ ...report, repo }, options.mine);
    },
    async ownerReport(owner, options) {
      return withMine(await client.get<OwnerReport>("/api/v1/report", { query: { owner } }), options.mine);
    },
    async mineReport(actor) {
      return (await client.get<{ mine: MineItem[] }>("/api/v1/mine", { query: { actor } })).mine;
    },
    reconcile(options) {
      return client.post<ReconcileResult>("/api/v1/reconcile", {
        body: { ...(options.dryRun ? { dryRun: true } : {}), ...(options.listChanges ? { listChanges: true } : {}) },
      });
    },
    async latestSyncRuns() {
      return (await client.get<{ runs: SyncRun[] }>("/api/v1/sources")).runs;
    },
  };
}

/** Run `fn` against the team server in remote mode, else against the local store (closed afterwards). */
export async function withBackend<T>(
  ctx: CommandContext,
  db: string | undefined,
  fn: (backend: Backend) => Promise<T>,
  access?: StoreAccess,
): Promise<T> {
  const client = await ctx.remote(db);
  if (client) return fn(remoteBackend(client));
  return withStore(ctx, db, (store) => fn(localBackend(ctx, store)), access);
}
