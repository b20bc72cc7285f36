/**
 * /metrics in the Prometheus text exposition format (version 0.0.4): the
 * maintenance debt by campaign and owner, sync freshness, and the server's
 * own requests. Findings are counted by aggregate J1QL queries, so a scrape
 * costs a few grouped statements, not one row per finding.
 */
import { FINDING_TYPE, ownerKey } from "../core/maintenance/finding.js";
import { JOB_DURATION_BUCKETS, type JobMetrics, type JobStatus, RUN_OUTCOMES } from "../core/schedule/scheduler.js";
import { runQuery } from "../query/run.js";
import type { DrillSummary, GraphStore, SyncStatus } from "../store/types.js";

const SYNC_STATUSES: SyncStatus[] = ["running", "succeeded", "partial", "failed"];
/** seconds */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function num(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  return String(value);
}

/** One metric family: HELP, TYPE, then its samples. */
class Family {
  readonly samples: { suffix: string; labels: Labels; value: number }[] = [];
  constructor(
    readonly name: string,
    readonly type: "gauge" | "counter" | "histogram",
    readonly help: string,
  ) {}
  add(labels: Labels, value: number, suffix = ""): this {
    this.samples.push({ suffix, labels, value });
    return this;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.samples) lines.push(`${this.name}${s.suffix}${labelText(s.labels)} ${num(s.value)}`);
    return lines.join("\n");
  }
}

/** Request counts and latencies, by route pattern (never the raw path) and status. */
export class HttpMetrics {
  private readonly counts = new Map<string, { labels: Labels; n: number }>();
  private readonly latency = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    const key = JSON.stringify(labels);
    const c = this.counts.get(key) ?? { labels, n: 0 };
    c.n++;
    this.counts.set(key, c);
    const h = this.latency.get(key) ?? { labels, buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
    LATENCY_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
    this.latency.set(key, h);
  }

  families(): Family[] {
    const total = new Family("dm_http_requests_total", "counter", "HTTP requests served, by method, route and status.");
    for (const c of this.counts.values()) total.add(c.labels, c.n);
    const hist = new Family("dm_http_request_duration_seconds", "histogram", "HTTP request latency, by method, route and status.");
    for (const h of this.latency.values()) {
      LATENCY_BUCKETS.forEach((le, i) => {
        hist.add({ ...h.labels, le: String(le) }, h.buckets[i]!, "_bucket");
      });
      hist.add({ ...h.labels, le: "+Inf" }, h.count, "_bucket");
      hist.add(h.labels, h.sum, "_sum");
      hist.add(h.labels, h.count, "_count");
    }
    return [total, hist];
  }
}

async function grouped(store: GraphStore, now: number, where: string, returns: string): Promise<Record<string, unknown>[]> {
  const result = await runQuery(store, `Find ${FINDING_TYPE}${where ? ` with ${where}` : ""} as m return ${returns}`, {
    now,
    all: true,
  });
  if (result.type !== "table") throw new Error("unreachable: a RETURN query is a table");
  return result.data;
}

const text = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

/** The graph's metrics, computed now. */
export async function domainFamilies(store: GraphStore, now: number): Promise<Family[]> {
  const byOwner = "m.maintenanceId as id, m.owner as owner, count(m) as n";
  const [items, open, overdue, accepted, runs] = await Promise.all([
    grouped(store, now, "", "m.maintenanceId as id, m.shortDescription as item, m.closed as closed, count(m) as n"),
    grouped(store, now, "closed = false", byOwner),
    grouped(store, now, `closed = false and dueDate < ${Math.floor(now)}`, byOwner),
    grouped(store, now, "closed = true and closeReason = 'RISK_ACCEPTED'", byOwner),
    store.latestSyncRuns(),
  ]);
  const perOwner = (name: string, help: string, rows: Record<string, unknown>[]) => {
    const f = new Family(name, "gauge", help);
    // one series per owner whatever the case (ownerKey), labelled as first seen
    const series = new Map<string, { id: string; owner: string; n: number }>();
    for (const r of rows) {
      const key = `${text(r.id)}\u0000${ownerKey(text(r.owner))}`;
      const s = series.get(key) ?? { id: text(r.id), owner: text(r.owner), n: 0 };
      s.n += Number(r.n);
      series.set(key, s);
    }
    for (const s of series.values()) f.add({ maintenance_id: s.id, owner: s.owner }, s.n);
    return f;
  };

  const campaigns = new Map<string, { item: string; total: number; done: number }>();
  for (const r of items) {
    const c = campaigns.get(text(r.id)) ?? { item: text(r.item), total: 0, done: 0 };
    c.total += Number(r.n);
    if (r.closed === true || r.closed === 1) c.done += Number(r.n);
    campaigns.set(text(r.id), c);
  }
  const total = new Family("dm_campaign_findings", "gauge", "Findings of each maintenance item (campaign), open and closed.");
  const completion = new Family("dm_campaign_completion_ratio", "gauge", "Share of a campaign's findings that are closed (0 to 1).");
  for (const [id, c] of [...campaigns].sort(([a], [b]) => a.localeCompare(b))) {
    total.add({ maintenance_id: id, item: c.item }, c.total);
    completion.add({ maintenance_id: id, item: c.item }, c.total === 0 ? 0 : c.done / c.total);
  }

  const age = new Family("dm_sync_age_seconds", "gauge", "Seconds since the latest sync run of each integration instance ended (or started, if running).");
  const status = new Family("dm_sync_status", "gauge", "1 for the status of the latest sync run of each integration instance, 0 for the others.");
  for (const run of runs) {
    const labels = { integration: run.integration, instance: run.instance };
    age.add(labels, Math.max(0, (now - (run.finishedOn ?? run.startedOn)) / 1000));
    for (const s of SYNC_STATUSES) status.add({ ...labels, status: s }, run.status === s ? 1 : 0);
  }
  return [
    perOwner("dm_findings_open", "Open maintenance findings, by campaign (maintenance_id) and owner.", open),
    perOwner("dm_findings_overdue", "Open findings past their due date, by campaign and owner.", overdue),
    perOwner("dm_findings_accepted", "Findings closed as RISK_ACCEPTED, by campaign and owner.", accepted),
    total,
    completion,
    age,
    status,
  ];
}

// ---- scheduled jobs (dm serve's scheduler) ----

const JOB_STATUSES = ["running", "succeeded", "failed"] as const;

/**
 * The scheduled jobs: the latest recorded run of each (by any replica: read
 * from job_runs), and the runs this process made (counts and durations).
 */
export function jobFamilies(statuses: JobStatus[], metrics: JobMetrics): Family[] {
  const last = new Family("dm_job_last_status", "gauge", "1 for the status of the latest run of each scheduled job (by any replica), 0 for the others.");
  const lastStart = new Family("dm_job_last_run_timestamp_seconds", "gauge", "When the latest run of each scheduled job started (epoch seconds).");
  const lastDuration = new Family("dm_job_last_duration_seconds", "gauge", "How long the latest finished run of each scheduled job took.");
  const next = new Family("dm_job_next_run_timestamp_seconds", "gauge", "The next slot of each scheduled job (epoch seconds).");
  for (const s of statuses) {
    const job = { job: s.name };
    if (s.nextRun !== null) next.add(job, s.nextRun / 1000);
    if (!s.lastRun) continue;
    for (const status of JOB_STATUSES) last.add({ ...job, status }, s.lastRun.status === status ? 1 : 0);
    lastStart.add(job, s.lastRun.startedOn / 1000);
    if (s.lastRun.finishedOn !== null) lastDuration.add(job, (s.lastRun.finishedOn - s.lastRun.startedOn) / 1000);
  }
  const runs = new Family("dm_job_runs_total", "counter", "Due slots of each job in this process, by outcome (locked, claimed: another replica ran it; overlap: still running).");
  for (const s of statuses) {
    for (const outcome of RUN_OUTCOMES) runs.add({ job: s.name, outcome }, metrics.outcomes.get(s.name)?.get(outcome) ?? 0);
  }
  const duration = new Family("dm_job_duration_seconds", "histogram", "Duration of the job runs this process made, by job and status.");
  for (const h of metrics.durations.values()) {
    const { job, status } = h;
    JOB_DURATION_BUCKETS.forEach((le, i) => {
      duration.add({ job, status, le: String(le) }, h.buckets[i]!, "_bucket");
    });
    duration.add({ job, status, le: "+Inf" }, h.count, "_bucket");
    duration.add({ job, status }, h.sum, "_sum");
    duration.add({ job, status }, h.count, "_count");
  }
  return [last, lastStart, lastDuration, next, runs, duration];
}

// ---- end scheduled jobs ----

// ---- drills (dm drill, dm serve's drill job) ----

/** Drills, from drill_runs (every replica agrees): a dead man's switch alerts on time() - dm_drill_last_success_timestamp_seconds. */
export function drillFamilies(summary: DrillSummary): Family[] {
  const lastSuccess = new Family("dm_drill_last_success_timestamp_seconds", "gauge", "When the latest successful drill of the alert path started (epoch seconds).");
  const lastRun = new Family("dm_drill_last_run_timestamp_seconds", "gauge", "When the latest drill started (epoch seconds).");
  const lastOk = new Family("dm_drill_last_ok", "gauge", "1 when the latest drill passed, 0 when it failed.");
  const duration = new Family("dm_drill_duration_seconds", "gauge", "End-to-end time of the latest drill: canary opened, caught, delivered, closed.");
  const runs = new Family("dm_drill_runs_total", "counter", "Drills recorded.");
  const failures = new Family("dm_drill_failures_total", "counter", "Drills that failed (a step of the alert path broke).");
  if (summary.lastSuccess !== null) lastSuccess.add({}, summary.lastSuccess / 1000);
  if (summary.latest) {
    lastRun.add({}, summary.latest.startedOn / 1000);
    lastOk.add({}, summary.latest.ok ? 1 : 0);
    duration.add({}, summary.latest.ms / 1000);
  }
  runs.add({}, summary.runs);
  failures.add({}, summary.failures);
  return [lastSuccess, lastRun, lastOk, duration, runs, failures];
}

// ---- end drills ----

export function renderFamilies(families: Family[]): string {
  return `${families.map((f) => f.render()).join("\n")}\n`;
}
