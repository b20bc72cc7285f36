/** Overview: how much is open and overdue, who and what is riskiest, which campaigns are furthest behind. */
import { useEffect, useState } from "react";
import { type CampaignSummary, type Overview, type RankedAsset, type RankedOwner, useApi } from "../api";
import { Behind, ErrorMessage, Loading, OwnerLink, ProgressBar } from "../components/common";
import { type Column, SortableTable } from "../components/table";
import { count, dueText, isoDate, percent } from "../format";
import { Link } from "../router";

export function forecastText(c: Pick<CampaignSummary, "forecast">): string {
  const f = c.forecast;
  switch (f.status) {
    case "done":
      return f.finishDate ? `finished ${isoDate(f.finishDate)}` : "done";
    case "not-converging":
      return `not converging (${(f.pace * 7).toFixed(1)}/week)`;
    case "late":
      return `${isoDate(f.finishDate)}, ${f.daysLate} days late`;
    default:
      return `${isoDate(f.finishDate)}, on time`;
  }
}

/** What "behind" means, wherever campaigns are ranked by it. */
export function BehindExplained() {
  return (
    <p className="muted" data-testid="behind-explained">
      Furthest behind first: "behind" is the share of the time from opening to the due date that has passed, minus the share of
      findings closed. An item opened 30 days ago, due in 10 days and 50% done is 75 − 50 = 25 pts behind.
    </p>
  );
}

/** The campaigns table of the overview and the team page. */
export function campaignColumns(now: number): Column<CampaignSummary>[] {
  return [
    {
      key: "item",
      label: "Item",
      rowHeader: true,
      value: (c) => c.shortDescription || c.maintenanceId,
      render: (c) => <Link to={`/campaigns/${c.maintenanceId}`}>{c.shortDescription || c.maintenanceId}</Link>,
    },
    { key: "id", label: "ID", value: (c) => c.maintenanceId, render: (c) => <code>{c.maintenanceId}</code> },
    {
      key: "done",
      label: "Done",
      value: (c) => c.completion,
      render: (c) => (
        <div className="done-cell">
          <ProgressBar value={c.completion} label={`${c.shortDescription} done`} />
          <span>
            {count(c.total - c.open)}/{count(c.total)} {percent(c.completion)}
          </span>
        </div>
      ),
    },
    { key: "overdue", label: "Overdue", numeric: true, value: (c) => c.overdue, render: (c) => count(c.overdue) },
    { key: "due", label: "Due", value: (c) => c.dueDate, render: (c) => (c.open === 0 ? "done" : dueText(c.dueDate, now)) },
    { key: "behind", label: "Schedule", value: (c) => c.behind, render: (c) => <Behind behind={c.behind} expected={c.expected} /> },
    { key: "forecast", label: "Forecast", value: (c) => forecastText(c) },
  ];
}

export function assetColumns(withOwner: boolean): Column<RankedAsset>[] {
  return [
    {
      key: "asset",
      label: "Asset",
      rowHeader: true,
      value: (a) => a.name,
      render: (a) => (
        <>
          <Link to={`/assets/${a.id ?? encodeURIComponent(a.key)}`}>{a.name}</Link> <span className="muted">{a.type}</span>
        </>
      ),
    },
    ...(withOwner
      ? [{ key: "owner", label: "Owner", value: (a: RankedAsset) => a.owner, render: (a: RankedAsset) => <OwnerLink owner={a.owner} /> }]
      : []),
    { key: "overdue", label: "Overdue", numeric: true, value: (a) => a.overdue },
    { key: "open", label: "Open", numeric: true, value: (a) => a.open },
    { key: "worst", label: "Worst (days)", numeric: true, value: (a) => (a.overdue > 0 ? a.maxDaysOverdue : null) },
  ];
}

const OWNER_COLUMNS: Column<RankedOwner>[] = [
  { key: "owner", label: "Owner", rowHeader: true, value: (o) => o.owner, render: (o) => <OwnerLink owner={o.owner} /> },
  { key: "assets", label: "Assets", numeric: true, value: (o) => o.assets },
  { key: "overdue", label: "Overdue", numeric: true, value: (o) => o.overdue },
  { key: "open", label: "Open", numeric: true, value: (o) => o.open },
  { key: "worst", label: "Worst (days)", numeric: true, value: (o) => (o.overdue > 0 ? o.maxDaysOverdue : null) },
];

/** Under a top-10 table: how many there are, and a button for the rest. */
function SeeAll({ shown, total, what, loading, all, onClick }: { shown: number; total: number; what: string; loading: boolean; all: boolean; onClick: () => void }) {
  if (total <= shown) return null;
  if (all) {
    return (
      <p className="muted">
        The first {count(shown)} of {count(total)} {what}; <code>dm list --format csv</code> has every finding.
      </p>
    );
  }
  return (
    <p className="muted">
      {count(shown)} of {count(total)} {what}.{" "}
      <button type="button" onClick={onClick} disabled={loading} data-testid={`see-all-${what}`}>
        {loading ? "Loading…" : `See all ${count(total)}`}
      </button>
    </p>
  );
}

export function OverviewPage() {
  const { data, error, loading } = useApi<Overview>("/api/v1/overview");
  // "See all": the same answer with every riskiest asset and owner, asked for when wanted
  const [all, setAll] = useState(false);
  const full = useApi<Overview>(all ? "/api/v1/overview?all=true" : null);
  useEffect(() => {
    // what bench/dashboard-overview.ts measures: navigation start to the numbers on screen
    if (data) performance.mark("dm:overview-ready");
  }, [data]);
  if (error) return <ErrorMessage error={error} />;
  if (loading || !data) return <Loading what="the overview" />;
  const c = data.counts;
  return (
    <div data-testid="overview">
      <h1>Overview</h1>
      <dl className="cards">
        <div className="card">
          <dt>Open</dt>
          <dd data-testid="count-open">{count(c.open)}</dd>
        </div>
        <div className="card card-bad">
          <dt>Overdue</dt>
          <dd data-testid="count-overdue">{count(c.overdue)}</dd>
        </div>
        <div className="card">
          <dt>Risk accepted</dt>
          <dd data-testid="count-accepted">{count(c.accepted)}</dd>
        </div>
        <div className="card">
          <dt>Campaigns</dt>
          <dd data-testid="count-campaigns">{count(c.campaigns)}</dd>
        </div>
      </dl>

      <section aria-labelledby="campaigns-h">
        <h2 id="campaigns-h">Campaigns, furthest behind schedule first</h2>
        <BehindExplained />
        <SortableTable
          columns={campaignColumns(data.now)}
          rows={data.campaigns}
          rowKey={(r) => r.maintenanceId}
          testId="campaigns"
          csvName="campaigns.csv"
        />
        {data.campaigns.length === 0 && <p>No maintenance items yet. Open one with dm open.</p>}
      </section>

      <div className="columns">
        <section aria-labelledby="assets-h">
          <h2 id="assets-h">Riskiest assets</h2>
          <SortableTable
            columns={assetColumns(true)}
            rows={full.data?.riskiestAssets ?? data.riskiestAssets}
            rowKey={(r) => r.key}
            testId="riskiest-assets"
            csvName="riskiest-assets.csv"
          />
          <SeeAll shown={(full.data ?? data).riskiestAssets.length} total={c.assets} what="assets" loading={full.loading} all={full.data !== undefined} onClick={() => setAll(true)} />
        </section>
        <section aria-labelledby="owners-h">
          <h2 id="owners-h">Riskiest owners</h2>
          <SortableTable
            columns={OWNER_COLUMNS}
            rows={full.data?.riskiestOwners ?? data.riskiestOwners}
            rowKey={(r) => r.owner}
            testId="riskiest-owners"
            csvName="riskiest-owners.csv"
          />
          <SeeAll shown={(full.data ?? data).riskiestOwners.length} total={c.owners} what="owners" loading={full.loading} all={full.data !== undefined} onClick={() => setAll(true)} />
        </section>
      </div>
      <p className="muted">Risk: most overdue findings first, then the most days overdue in total. As of {isoDate(data.now)}.</p>
    </div>
  );
}
