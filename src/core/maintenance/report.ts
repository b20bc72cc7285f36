/**
 * Who owes what: the open maintenance of one repository, one owner, or the
 * whole graph. Every lookup here starts from an index, except `--owner` (the
 * findings' `owner` is not indexed) and the rare remote scan in findRepo:
 * a repo by `name` (indexed) or `_key` (unique), its findings through its HAS
 * edges, "mine" by `createdBy`, an item by `maintenanceId`.
 */
import { j1qlString } from "../../query/quote.js";
import type { runQuery as RunQuery } from "../../query/run.js";
import { compareText } from "../../shared/compare-text.js";
import { InputError } from "../../shared/errors.js";
import type { Dialect, Params } from "../../query/dialect.js";
import type { GraphStore, Row } from "../../store/types.js";
import { DAY_MS } from "./due.js";
import { FINDING_TYPE, type Finding, findingFrom, ownerKey } from "./finding.js";

/** The CodeRepo a report is about. */
export interface RepoRef {
  id: string;
  key: string;
  /** its `name` (else displayName, else key) */
  name: string;
  /** how it was found */
  matchedBy: "remote" | "name" | "key" | "folder";
  /** `name` is its name property and no other CodeRepo has it (so `name = ...` selects it alone) */
  uniqueName: boolean;
}

/** Properties of a CodeRepo that may hold its remote. */
export const REPO_URL_PROPERTIES = ["remoteUrl", "url", "webLink"] as const;

/**
 * The J1QL engine, loaded on first use: the repo report a developer runs in a
 * checkout (findRepo by name, repoReport) is written in SQL and does not need it.
 */
const runQuery: typeof RunQuery = async (...args) => (await import("../../query/run.js")).runQuery(...args);

// ------------------------------------------------------------------ remotes

/** A git remote split into host and path (path without `.git`, slashes trimmed, original case). */
export function parseRemote(raw: string): { host: string; path: string } | undefined {
  const text = raw.trim();
  if (!text) return undefined;
  let host = "";
  let path: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // https://user:token@host:443/acme/payments.git, ssh://git@host:22/acme/payments, git://, file://
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return undefined;
    }
    host = url.hostname;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
  } else {
    // scp-like: git@github.com:acme/payments.git (a one-letter "host" is a Windows drive)
    const scp = /^(?:[^@/\s]+@)?([^:/\s]{2,}):(.+)$/.exec(text);
    if (scp) {
      host = scp[1]!;
      path = scp[2]!;
    } else {
      path = text;
    }
  }
  path = path
    .replace(/\\/g, "/")
    .replace(/\/{2,}/g, "/")
    .replace(/^\/+|\/+$/g, "")
    .replace(/\.git$/i, "")
    .replace(/\/+$/, "");
  if (!path) return undefined;
  return { host: host.toLowerCase(), path };
}

/**
 * The comparable form of a remote: `github.com/acme/payments` whatever the
 * spelling (ssh or https, credentials, port, `.git`, trailing slash, case).
 */
export function normaliseRemote(raw: string): string | undefined {
  const parsed = parseRemote(raw);
  if (!parsed) return undefined;
  return `${parsed.host ? `${parsed.host}/` : ""}${parsed.path}`.toLowerCase();
}

/** The repository's name according to its remote: the last path segment. */
export function remoteRepoName(raw: string): string | undefined {
  const parsed = parseRemote(raw);
  return parsed?.path.split("/").pop() || undefined;
}

// ------------------------------------------------------------------ repos

export interface RepoCandidate {
  ref: Omit<RepoRef, "matchedBy" | "uniqueName">;
  /** its `name` property */
  named?: string;
  urls: string[];
}

/** A CodeRepo's candidate form: its id, key, name (else display name, else key) and URLs. */
function candidateOf(id: string, key: string, displayName: string | undefined, props: Record<string, unknown>): RepoCandidate {
  const name = typeof props.name === "string" ? props.name : undefined;
  const urls: string[] = [];
  for (const p of REPO_URL_PROPERTIES) {
    const v = props[p];
    if (typeof v === "string") urls.push(v);
  }
  return { ref: { id, key, name: name ?? displayName ?? key }, ...(name === undefined ? {} : { named: name }), urls };
}

/**
 * The CodeRepos named one of `names`, in id order: what `Find CodeRepo with
 * name = ('a' or 'b')` selects (a string `name`, or an array holding one;
 * both `name` indexes apply), in one statement without the J1QL engine.
 */
export async function reposNamed(store: GraphStore, names: readonly string[]): Promise<RepoCandidate[]> {
  const d = store.dialect;
  const p = d.newParams();
  const no = d.bool(false);
  const codeRepo = p.add("CodeRepo");
  const list = d.listParam(p, "string", names);
  const nameKey = d.keyRef(p, "name");
  const sql =
    `SELECT ${d.idText("e.id")} AS id, e.key AS key, e.display_name AS display_name, e.props AS props FROM entities e ` +
    `WHERE e.deleted = ${no} AND EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = e.id AND c.class = ${codeRepo}) ` +
    `AND e.id IN (SELECT x.id FROM entities x WHERE ${d.inList(d.typed("x", nameKey, "string"), list)} ` +
    `UNION ALL SELECT x.id FROM entities x WHERE ${d.anyElement("x", nameKey, "string", (elem) => d.inList(elem, list))}) ` +
    `ORDER BY e.id`;
  const rows = await store.select(sql, p.values, { genericPlan: true });
  return rows.map((row) =>
    candidateOf(
      String(row.id),
      String(row.key),
      (row.display_name as string | null) ?? undefined,
      (d.decodeJson(row.props) as Record<string, unknown> | undefined) ?? {},
    ),
  );
}

async function repoCandidates(store: GraphStore, query: string, now: number): Promise<RepoCandidate[]> {
  const result = await runQuery(store, query, { now, all: true });
  if (result.type !== "list") throw new Error("unreachable: a query without RETURN is a list");
  return result.data.map((item) => candidateOf(item.id, item.entity._key, item.entity.displayName, item.properties));
}

function ambiguous(what: string, candidates: RepoCandidate[]): InputError {
  const keys = candidates.map((c) => c.ref.key);
  return new InputError(`${candidates.length} repositories match ${what}: ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", …" : ""}`, {
    details: [`Pick one by its key: --repo ${keys[0]}`],
  });
}

/**
 * The one candidate, or undefined, or an InputError for several. `named`:
 * the whole result of the `name = ...` lookup that found it (every CodeRepo
 * with that name), to tell whether its name is unique; [] when unknown.
 */
function pick(
  candidates: RepoCandidate[],
  what: string,
  matchedBy: RepoRef["matchedBy"],
  named: RepoCandidate[],
): RepoRef | undefined {
  if (candidates.length === 0) return undefined;
  if (candidates.length > 1) throw ambiguous(what, candidates);
  const chosen = candidates[0]!;
  const uniqueName =
    chosen.named !== undefined &&
    named.some((c) => c.ref.id === chosen.ref.id) &&
    named.filter((c) => c.named === chosen.named).length === 1;
  return { ...chosen.ref, matchedBy, uniqueName };
}

/**
 * The CodeRepo entity for a name (`--repo`: its `name`, else its `_key`), or
 * for a checkout: the repo whose `remoteUrl`/`url`/`webLink` is the same
 * remote, else the one named like the remote's last path segment, else the
 * one named like the checkout's folder. Undefined when none matches; an
 * InputError when several do.
 *
 * Cost: the remote is first checked on the repos *named* like it (the `name`
 * index), which is where it almost always is. Only when none of those could
 * be it (none named so, or all of them have another remote) are all CodeRepos
 * scanned for the remote, without an index (at 50,000 repos: 65 ms warm,
 * about 130 ms more for a fresh `dm`).
 */
export async function findRepo(
  store: GraphStore,
  where: { name?: string; remoteUrl?: string; dirName?: string; now?: number },
): Promise<RepoRef | undefined> {
  const now = where.now ?? Date.now();
  if (where.name !== undefined) {
    const name = where.name;
    const byName = await reposNamed(store, [name]);
    const named = pick(byName, `name ${JSON.stringify(name)}`, "name", byName);
    if (named) return named;
    return pick(await repoCandidates(store, `Find CodeRepo with _key = ${j1qlString(name)}`, now), name, "key", []);
  }
  const remote = where.remoteUrl !== undefined ? parseRemote(where.remoteUrl) : undefined;
  const wanted = where.remoteUrl !== undefined ? normaliseRemote(where.remoteUrl) : undefined;
  const sameRemote = (c: RepoCandidate) => c.urls.some((u) => normaliseRemote(u) === wanted);
  if (remote && wanted) {
    const last = remote.path.split("/").pop()!;
    // `payments`, and `acme/payments` for graphs that name repos by full name
    const names = [...new Set([last, remote.path.split("/").slice(-2).join("/")])];
    const byName = await reposNamed(store, names);
    const exact = byName.filter(sameRemote);
    if (exact.length > 0) return pick(exact, `remote ${where.remoteUrl}`, "remote", byName);
    // A same-named repo without any remote of its own cannot contradict: take it without a scan.
    const silent = byName.filter((c) => c.urls.length === 0);
    if (silent.length === 0) {
      const needle = j1qlString(remote.path.split("/").slice(-2).join("/"));
      const scanned = await repoCandidates(
        store,
        `Find CodeRepo with ${REPO_URL_PROPERTIES.map((p) => `${p} ~= ${needle}`).join(" or ")}`,
        now,
      );
      const found = scanned.filter(sameRemote);
      if (found.length > 0) return pick(found, `remote ${where.remoteUrl}`, "remote", []);
    }
    const byLast = silent.filter((c) => c.ref.name === last);
    if (byLast.length > 0) return pick(byLast, `name ${JSON.stringify(last)}`, "name", byName);
    if (silent.length > 0) return pick(silent, `remote ${where.remoteUrl}`, "name", byName);
  }
  if (where.dirName !== undefined && where.dirName !== "") {
    const byFolder = await reposNamed(store, [where.dirName]);
    const usable = wanted ? byFolder.filter((c) => c.urls.length === 0 || sameRemote(c)) : byFolder;
    return pick(usable, `folder name ${JSON.stringify(where.dirName)}`, "folder", byFolder);
  }
  return undefined;
}

// ------------------------------------------------------------------ findings

/** By due date, then item, then entity: the order every report uses. */
export function byDue(a: Finding, b: Finding): number {
  return (
    a.dueDate - b.dueDate ||
    compareText(a.shortDescription, b.shortDescription) ||
    compareText(a.entityName, b.entityName) ||
    compareText(a.key, b.key)
  );
}

/** Findings selected by J1QL conditions on deferred_maintenance (each valid J1QL, values quoted). */
async function findingsWhere(store: GraphStore, now: number, conditions: string[]): Promise<Finding[]> {
  const query = `Find ${FINDING_TYPE}${conditions.length > 0 ? ` with ${conditions.join(" and ")}` : ""}`;
  const result = await runQuery(store, query, { now, all: true });
  if (result.type !== "list") throw new Error("unreachable: a query without RETURN is a list");
  return result.data.map((item) => findingFrom(item.id, item.entity._key, item.properties));
}

export function isOverdue(f: Finding, now: number, graceMs = 0): boolean {
  return !f.closed && f.dueDate > 0 && now - f.dueDate > graceMs;
}

/** One maintenance item I opened, summarised over its open findings. */
export interface MineItem {
  maintenanceId: string;
  shortDescription: string;
  webLink: string;
  /** the earliest due date of its open findings */
  dueDate: number;
  open: number;
  overdue: number;
}

/**
 * The items `actor` opened that still have open findings, anywhere: two
 * aggregate queries on the `createdBy` index, not one row per finding.
 */
export async function mineReport(store: GraphStore, actor: string, now: number): Promise<MineItem[]> {
  const base = `Find ${FINDING_TYPE} with closed = false and createdBy = ${j1qlString(actor)}`;
  const open = await runQuery(
    store,
    `${base} as m return m.maintenanceId as id, m.shortDescription as item, m.webLink as link, min(m.dueDate) as due, count(m) as open`,
    { now, all: true },
  );
  const late = await runQuery(store, `${base} and dueDate < ${now} as m return m.maintenanceId as id, count(m) as overdue`, {
    now,
    all: true,
  });
  if (open.type !== "table" || late.type !== "table") throw new Error("unreachable: a RETURN query is a table");
  const overdue = new Map<string, number>();
  for (const row of late.data) overdue.set(String(row.id), (overdue.get(String(row.id)) ?? 0) + Number(row.overdue));
  const items = new Map<string, MineItem>();
  for (const row of open.data) {
    const id = String(row.id ?? "");
    const due = typeof row.due === "number" ? row.due : 0;
    const seen = items.get(id);
    if (seen) {
      seen.open += Number(row.open);
      seen.dueDate = Math.min(seen.dueDate, due);
      continue;
    }
    items.set(id, {
      maintenanceId: id,
      shortDescription: typeof row.item === "string" ? row.item : "",
      webLink: typeof row.link === "string" ? row.link : "",
      dueDate: due,
      open: Number(row.open),
      overdue: overdue.get(id) ?? 0,
    });
  }
  return [...items.values()].sort((a, b) => a.dueDate - b.dueDate || compareText(a.maintenanceId, b.maintenanceId));
}

export interface FindingReport {
  /** open findings, by due date (a repo report includes those of the assets it deploys, marked `via`) */
  findings: Finding[];
  /** open findings, via findings included */
  open: number;
  /** overdue findings, via findings included */
  overdue: number;
  /** items the actor opened (with `mine`) */
  mine?: MineItem[];
}

export interface RepoReport extends FindingReport {
  repo: RepoRef;
  /** how many of `open` and `overdue` are on assets the repo deploys or builds (findings with `via`) */
  viaDeployed: { open: number; overdue: number };
}

/** Sorts `findings` by due date (in place) and counts the open and the overdue ones, as every report does. */
export function summarise(findings: Finding[], now: number): Omit<FindingReport, "mine"> {
  findings.sort(byDue);
  return { findings, open: findings.length, overdue: findings.filter((f) => isOverdue(f, now)).length };
}

/** The J1QL of a repo report: the entity by its unique key, then its open findings. */
export function repoReportQuery(entityKey: string): string {
  return `Find * with _key = ${j1qlString(entityKey)} as e that HAS ${FINDING_TYPE} with closed = false as m return m`;
}

/** Edge classes saying a repository put an asset into production (either direction, as imports vary). */
export const DEPLOY_EDGE_CLASSES = ["DEPLOYS", "BUILDS", "DEPLOYED"] as const;

/**
 * The open findings on the assets a repository deploys (the feedback loop):
 *
 * - `repo -DEPLOYS|BUILDS|DEPLOYED- asset -HAS- finding`: hosts, functions,
 *   images, workloads the repo is recorded as deploying (either direction);
 * - `repo -DEPLOYS|BUILDS- Image <-USES- user -HAS- finding`: what runs a
 *   deployed image: a Kubernetes container spec or a workload using it
 *   directly, a host running it (not a CodeRepo: its Dockerfile's `FROM` is
 *   `CodeRepo -USES-> Image`, and another repo built on our image is not ours);
 * - `... Image <-USES- kube_container_spec <-USES- workload -HAS- finding`:
 *   the Kubernetes model's workload (kube_deployment, kube_stateful_set, ...)
 *   of a container spec running the image (src/integrations/kubernetes/map.ts).
 *
 * USES is followed in its stored direction only (the user at `from`); HAS in
 * either. One statement, every value bound, each hop on an edge index.
 * A finding reached through several assets is reported once, for the lowest
 * asset id. Returned unsorted, each with `via`.
 */
export async function deployedFindings(store: GraphStore, repoKey: string): Promise<Finding[]> {
  const d = store.dialect;
  const p = d.newParams();
  const sql = `WITH ${repoByKey(d, p, repoKey)}, ${deployedCtes(d, p)} ${deployedSelects(d, p, "")}`;
  return viaFindings(d, await store.select(sql, p.values, { genericPlan: true }));
}

/** The CTE `repo`: the (live) entity with this unique key. */
function repoByKey(d: Dialect, p: Params, key: string): string {
  return `repo AS (SELECT id FROM entities WHERE key = ${p.add(key)} AND deleted = ${d.bool(false)})`;
}

/** CTEs from `repo` (one row, or none) to `assets`: what it deploys, what runs its images, their workloads. */
function deployedCtes(d: Dialect, p: Params): string {
  const no = d.bool(false);
  const deployClasses = () => DEPLOY_EDGE_CLASSES.map((c) => p.add(c)).join(", ");
  const out = deployClasses();
  const into = deployClasses();
  const image = p.add("Image");
  const usesImage = p.add("USES");
  const codeRepo = p.add("CodeRepo");
  const specType = p.add("kube_container_spec");
  const usesSpec = p.add("USES");
  // CROSS JOIN: SQLite keeps the written order (from the repo outwards: it cannot
  // estimate the CTEs and otherwise starts from every Image or every finding);
  // PostgreSQL plans it like any join.
  return (
    `deployed AS (` +
    `SELECT r.to_id AS id FROM repo CROSS JOIN relationships r WHERE r.from_id = repo.id AND r.class IN (${out}) AND r.deleted = ${no} ` +
    `UNION SELECT r.from_id AS id FROM repo CROSS JOIN relationships r WHERE r.to_id = repo.id AND r.class IN (${into}) AND r.deleted = ${no}), ` +
    `users AS (SELECT r.from_id AS id FROM deployed x CROSS JOIN relationships r ` +
    `WHERE EXISTS (SELECT 1 FROM entity_classes ic WHERE ic.entity_id = x.id AND ic.class = ${image}) ` +
    `AND r.to_id = x.id AND r.class = ${usesImage} AND r.deleted = ${no} ` +
    `AND NOT EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = r.from_id AND c.class = ${codeRepo})), ` +
    `workloads AS (SELECT r.from_id AS id FROM users x CROSS JOIN entities s CROSS JOIN relationships r ` +
    `WHERE s.id = x.id AND s.type = ${specType} AND s.deleted = ${no} ` +
    `AND r.to_id = x.id AND r.class = ${usesSpec} AND r.deleted = ${no}), ` +
    `assets AS (SELECT id FROM deployed UNION SELECT id FROM users UNION SELECT id FROM workloads)`
  );
}

/**
 * The open findings on `assets` (either HAS direction), not on a CodeRepo:
 * `part` 'v', the asset's key, type and names, the finding's id, key and
 * props. `extra`: leading columns of the statement's other parts ("" alone).
 */
function deployedSelects(d: Dialect, p: Params, extra: string): string {
  const no = d.bool(false);
  const notRepo = p.add("CodeRepo");
  const name = d.typed("a", d.keyRef(p, "name"), "string");
  const arm = (hasFrom: "a" | "m") => {
    const has = p.add("HAS");
    const type = p.add(FINDING_TYPE);
    const closed = d.typed("m", d.keyRef(p, "closed"), "boolean");
    const [near, far] = hasFrom === "a" ? ["from_id", "to_id"] : ["to_id", "from_id"];
    return (
      `SELECT ${extra}${d.idText("a.id")} AS asset_id, a.key AS asset_key, a.type AS asset_type, a.display_name AS asset_display, ${name} AS asset_name, ` +
      `${d.idText("m.id")} AS finding_id, m.key AS finding_key, m.props AS finding_props ` +
      `FROM assets x CROSS JOIN entities a CROSS JOIN relationships h CROSS JOIN entities m ` +
      `WHERE a.id = x.id AND a.deleted = ${no} ` +
      `AND NOT EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = a.id AND c.class = ${notRepo}) ` +
      `AND h.${near} = a.id AND h.class = ${has} AND h.deleted = ${no} ` +
      `AND m.id = h.${far} AND m.deleted = ${no} AND m.type = ${type} AND ${closed} = ${no}`
    );
  };
  return `${arm("a")} UNION ALL ${arm("m")}`;
}

/**
 * The repo's own open findings, as `Find * with _key = KEY that HAS
 * deferred_maintenance with closed = false` selects them (repoReportQuery):
 * HAS either way, `closed` false or an array holding false. Columns as
 * deployedSelects' (the asset ones NULL), `part` 'o'.
 */
function ownSelects(d: Dialect, p: Params, extra: string): string {
  const no = d.bool(false);
  const arm = (repoAt: "from_id" | "to_id") => {
    const far = repoAt === "from_id" ? "to_id" : "from_id";
    const has = p.add("HAS");
    const type = p.add(FINDING_TYPE);
    const key = d.keyRef(p, "closed");
    const value = p.add(false);
    const closed = `(${d.typed("m", key, "boolean")} = ${value} OR ${d.anyElement("m", key, "boolean", (elem) => `${elem} = ${value}`)})`;
    return (
      `SELECT ${extra}NULL AS asset_id, NULL AS asset_key, NULL AS asset_type, NULL AS asset_display, NULL AS asset_name, ` +
      `${d.idText("m.id")} AS finding_id, m.key AS finding_key, m.props AS finding_props ` +
      `FROM repo CROSS JOIN relationships h CROSS JOIN entities m ` +
      `WHERE h.${repoAt} = repo.id AND h.class = ${has} AND h.deleted = ${no} ` +
      `AND m.id = h.${far} AND m.deleted = ${no} AND m.type = ${type} AND ${closed}`
    );
  };
  return `${arm("from_id")} UNION ALL ${arm("to_id")}`;
}

/** The via rows as deployedFindings returns them: one per finding (its lowest asset id), with `via`. */
function viaFindings(d: Dialect, rows: Row[]): Finding[] {
  rows.sort((x, y) => Number(x.finding_id) - Number(y.finding_id) || Number(x.asset_id) - Number(y.asset_id));
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const row of rows) {
    const id = String(row.finding_id);
    if (seen.has(id)) continue;
    seen.add(id);
    const props = (d.decodeJson(row.finding_props) as Record<string, unknown> | undefined) ?? {};
    const assetKey = String(row.asset_key);
    const label = (row.asset_display as string | null) || (row.asset_name as string | null) || assetKey;
    findings.push({ ...findingFrom(id, String(row.finding_key), props), via: { key: assetKey, type: String(row.asset_type), name: label } });
  }
  return findings;
}

/** The report from the own ('o') and via ('v') rows of one statement: each finding once, a finding on both the repo's own. */
function reportFromRows(d: Dialect, repo: RepoRef, rows: Row[], now: number): RepoReport {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  const viaRows: Row[] = [];
  for (const row of rows) {
    if (row.part === "v") {
      viaRows.push(row);
      continue;
    }
    if (row.part !== "o") continue;
    const id = String(row.finding_id);
    if (seen.has(id)) continue;
    seen.add(id);
    const props = (d.decodeJson(row.finding_props) as Record<string, unknown> | undefined) ?? {};
    findings.push(findingFrom(id, String(row.finding_key), props));
  }
  // a finding both on the repo and on an asset it deploys is the repo's own
  const via = viaFindings(d, viaRows).filter((f) => !seen.has(f.id));
  findings.push(...via);
  return {
    repo,
    ...summarise(findings, now),
    viaDeployed: { open: via.length, overdue: via.filter((f) => isOverdue(f, now)).length },
  };
}

/**
 * The open findings of one repository, by due date: its own (HAS edges,
 * either direction, by the edge indexes) and those of the assets it deploys
 * (as deployedFindings), each finding once. One statement.
 */
export async function repoReport(
  store: GraphStore,
  repo: RepoRef,
  options: { now: number; mine?: string },
): Promise<RepoReport> {
  const { now } = options;
  const d = store.dialect;
  const p = d.newParams();
  const sql =
    `WITH ${repoByKey(d, p, repo.key)}, ${deployedCtes(d, p)} ` +
    `${ownSelects(d, p, "'o' AS part, ")} UNION ALL ${deployedSelects(d, p, "'v' AS part, ")}`;
  const report = reportFromRows(d, repo, await store.select(sql, p.values, { genericPlan: true }), now);
  if (options.mine !== undefined) report.mine = await mineReport(store, options.mine, now);
  return report;
}

/**
 * `--repo NAME` and its report in one statement: what findRepo({ name })
 * and repoReport do in four. The CodeRepos named NAME (the `name` index),
 * else the one whose `_key` is NAME; when exactly one, its report. Undefined
 * when none matches, the same InputError as findRepo when several do.
 */
export async function repoReportByName(store: GraphStore, name: string, options: { now: number }): Promise<RepoReport | undefined> {
  if (store.kind === "sqlite") {
    // in-process, a statement costs no round trip, and SQLite runs the lookup
    // and the report as two statements in a third of the one's time (0.5 ms
    // against 1.3 ms at 1,000,000 findings): the one statement is for PostgreSQL
    const ref = await findRepo(store, { name, now: options.now });
    return ref ? repoReport(store, ref, { now: options.now }) : undefined;
  }
  const d = store.dialect;
  const p = d.newParams();
  const no = d.bool(false);
  const codeRepo = p.add("CodeRepo");
  const value = p.add(name);
  const nameKey = d.keyRef(p, "name");
  // SQLite would evaluate these again wherever they are used (PostgreSQL materialises a CTE used twice; 11 has no MATERIALIZED)
  const once = d.name === "sqlite" ? "MATERIALIZED " : "";
  // As the compiler writes `Find CodeRepo with name = NAME` (both expression indexes apply) and `with _key = NAME`.
  const named =
    `named AS ${once}(SELECT e.id FROM entities e WHERE e.deleted = ${no} ` +
    `AND EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = e.id AND c.class = ${codeRepo}) ` +
    `AND e.id IN (SELECT x.id FROM entities x WHERE ${d.typed("x", nameKey, "string")} = ${value} ` +
    `UNION ALL SELECT x.id FROM entities x WHERE ${d.anyElement("x", nameKey, "string", (elem) => `${elem} = ${value}`)}))`;
  // by the unique key (its class by the entity's index: not the list of every CodeRepo), only when no name matched
  const keyed =
    `keyed AS ${once}(SELECT e.id FROM entities e WHERE e.key = ${value} AND e.deleted = ${no} ` +
    `AND EXISTS (SELECT 1 FROM entity_classes c WHERE c.entity_id = e.id AND c.class = ${codeRepo}) ` +
    `AND NOT EXISTS (SELECT 1 FROM named))`;
  const candidates = `candidates AS ${once}(SELECT id, 'n' AS part FROM named UNION ALL SELECT id, 'k' AS part FROM keyed)`;
  const repo = `repo AS ${once}(SELECT id FROM candidates WHERE (SELECT count(*) FROM candidates) = 1)`;
  const sql =
    `WITH ${named}, ${keyed}, ${candidates}, ${repo}, ${deployedCtes(d, p)} ` +
    // the candidates: id and key, display name and props (the asset_* columns carry them)
    `SELECT k.part AS part, ${d.idText("e.id")} AS asset_id, e.key AS asset_key, NULL AS asset_type, e.display_name AS asset_display, NULL AS asset_name, ` +
    `NULL AS finding_id, NULL AS finding_key, e.props AS finding_props FROM candidates k CROSS JOIN entities e WHERE e.id = k.id ` +
    `UNION ALL ${ownSelects(d, p, "'o' AS part, ")} UNION ALL ${deployedSelects(d, p, "'v' AS part, ")}`;
  const rows = await store.select(sql, p.values, { genericPlan: true });
  const candidateRows = rows
    .filter((row) => row.part === "n" || row.part === "k")
    // in id order, as the J1QL lookups return them
    .sort((x, y) => Number(x.asset_id) - Number(y.asset_id));
  const found = candidateRows.map((row): RepoCandidate & { part: unknown } => {
    const props = (d.decodeJson(row.finding_props) as Record<string, unknown> | undefined) ?? {};
    const named = typeof props.name === "string" ? props.name : undefined;
    const key = String(row.asset_key);
    const display = (row.asset_display as string | null) ?? undefined;
    return {
      ref: { id: String(row.asset_id), key, name: named ?? display ?? key },
      ...(named === undefined ? {} : { named }),
      urls: [],
      part: row.part,
    };
  });
  const viaName = found.filter((c) => c.part === "n");
  const ref =
    viaName.length > 0
      ? pick(viaName, `name ${JSON.stringify(name)}`, "name", viaName)
      : pick(
          found.filter((c) => c.part === "k"),
          name,
          "key",
          [],
        );
  if (!ref) return undefined;
  return reportFromRows(d, ref, rows, options.now);
}

export interface OwnerReport extends FindingReport {
  owner: string;
}

/**
 * The open findings whose asset belongs to `owner` (the finding's `owner`
 * property, recorded when it was opened), by due date.
 */
export async function ownerReport(
  store: GraphStore,
  owner: string,
  options: { now: number; mine?: string },
): Promise<OwnerReport> {
  // the findings' owner is not indexed, so this scans the open ones either way
  const report = ownerReportOf(owner, await findingsWhere(store, options.now, ["closed = false", "owner != undefined"]), options.now);
  if (options.mine !== undefined) report.mine = await mineReport(store, options.mine, options.now);
  return report;
}

/** Whether a finding's asset belongs to `owner`: owners compare without case (ownerKey). */
export function ownedBy(owner: string): (f: Finding) => boolean {
  const wanted = ownerKey(owner);
  return (f) => f.owner !== undefined && ownerKey(f.owner) === wanted;
}

/**
 * The owner report over findings already loaded (any, open or closed): its
 * open ones owned by `owner`, by due date. ownerReport and the dashboard's
 * team page both count through here.
 */
export function ownerReportOf(owner: string, findings: readonly Finding[], now: number): OwnerReport {
  const owns = ownedBy(owner);
  return { owner, ...summarise(findings.filter((f) => !f.closed && owns(f)), now) };
}

/**
 * Open findings, by due date. `overdueDays`: only those overdue by more than
 * that many whole days (30: 31 days or more, as "31 days overdue" counts;
 * 0: every overdue one). `maintenanceId`: only that item.
 */
export async function listFindings(
  store: GraphStore,
  options: { now: number; overdueDays?: number; maintenanceId?: string },
): Promise<Finding[]> {
  const conditions = ["closed = false"];
  if (options.maintenanceId !== undefined) conditions.push(`maintenanceId = ${j1qlString(options.maintenanceId)}`);
  if (options.overdueDays !== undefined) {
    if (!Number.isFinite(options.overdueDays) || options.overdueDays < 0) {
      throw new InputError(`overdue days must be zero or more, not ${options.overdueDays}`);
    }
    // "more than N days" in whole days, as the tables count them ("31 days overdue"): N = 0 is any overdue finding
    const before = options.overdueDays === 0 ? options.now : options.now - (options.overdueDays + 1) * DAY_MS + 1;
    conditions.push(`dueDate < ${Math.floor(before)}`);
  }
  return (await findingsWhere(store, options.now, conditions)).sort(byDue);
}
