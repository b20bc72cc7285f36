/** One owner (team): what it owes across campaigns, its worst assets, its burndown, and the CLI command for the same report. */
import { useState } from "react";
import { type CampaignFinding, type Team, useApi } from "../api";
import { Burndown } from "../components/burndown";
import { ErrorMessage, Loading, Status } from "../components/common";
import { type Column, SortableTable } from "../components/table";
import { count, isoDate, statusLabel } from "../format";
import { Link } from "../router";
import { assetColumns, BehindExplained, campaignColumns } from "./overview";

const FINDING_COLUMNS: Column<CampaignFinding>[] = [
  {
    key: "asset",
    label: "Asset",
    rowHeader: true,
    value: (f) => f.entityName,
    render: (f) => (
      <>
        <Link to={`/assets/${encodeURIComponent(f.entityKey)}`}>{f.entityName}</Link> <span className="muted">{f.entityType}</span>
      </>
    ),
  },
  {
    key: "item",
    label: "Item",
    value: (f) => f.shortDescription,
    render: (f) => <Link to={`/campaigns/${f.maintenanceId}`}>{f.shortDescription || f.maintenanceId}</Link>,
  },
  { key: "id", label: "ID", value: (f) => f.maintenanceId, render: (f) => <code>{f.maintenanceId}</code> },
  { key: "status", label: "Status", value: (f) => statusLabel(f.status), render: (f) => <Status status={f.status} /> },
  { key: "due", label: "Due", value: (f) => isoDate(f.dueDate) },
  { key: "days", label: "Days overdue", numeric: true, value: (f) => f.daysOverdue },
  { key: "until", label: "Accepted until", value: (f) => isoDate(f.acceptedUntil) },
];

/** A command to copy: selectable text and a Copy button. */
export function CopyCommand({ command, testId }: { command: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard?.writeText(command).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div className="command">
      <code data-testid={testId}>{command}</code>
      <button type="button" onClick={copy}>
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}

export function TeamPage({ owner }: { owner: string }) {
  const { data, error, loading } = useApi<Team>(`/api/v1/teams/${encodeURIComponent(owner)}`);
  if (error) return <ErrorMessage error={error} />;
  if (loading || !data) return <Loading what="the team" />;
  const c = data.counts;
  return (
    <div data-testid="team">
      <p className="crumbs">
        <Link to="/">Overview</Link> › team
      </p>
      <h1>{data.owner}</h1>
      <p>
        {data.team ? (
          <>
            Team entity: <Link to={`/assets/${data.team.id}`}>{data.team.key}</Link> ·{" "}
          </>
        ) : null}
        The same open findings in the terminal:
      </p>
      <CopyCommand command={data.command} testId="team-command" />
      <dl className="cards">
        <div className="card">
          <dt>Open</dt>
          <dd data-testid="team-open">{count(c.open)}</dd>
        </div>
        <div className="card card-bad">
          <dt>Overdue</dt>
          <dd data-testid="team-overdue">{count(c.overdue)}</dd>
        </div>
        <div className="card">
          <dt>Risk accepted</dt>
          <dd data-testid="team-accepted">{count(c.accepted)}</dd>
        </div>
        <div className="card">
          <dt>Campaigns</dt>
          <dd data-testid="team-campaigns">{count(c.campaigns)}</dd>
        </div>
      </dl>
      {data.stats && <Burndown stats={{ ...data.stats, expected: 0, behind: 0 }} now={data.now} schedule={false} />}

      <section aria-labelledby="team-campaigns-h">
        <h2 id="team-campaigns-h">Campaigns, counted over {data.owner}'s findings</h2>
        <BehindExplained />
        <SortableTable columns={campaignColumns(data.now)} rows={data.campaigns} rowKey={(r) => r.maintenanceId} testId="team-campaigns-table" csvName={`team-${data.owner}-campaigns.csv`} />
      </section>
      <section aria-labelledby="team-assets-h">
        <h2 id="team-assets-h">Worst assets</h2>
        <SortableTable columns={assetColumns(false)} rows={data.worstAssets} rowKey={(r) => r.key} testId="team-assets" csvName={`team-${data.owner}-assets.csv`} />
      </section>
      <section aria-labelledby="team-findings-h">
        <h2 id="team-findings-h">
          Open and risk-accepted findings ({count(data.findings.length)})
        </h2>
        <SortableTable
          columns={FINDING_COLUMNS}
          rows={data.findings}
          rowKey={(r) => r.findingId}
          testId="team-findings"
          csvName={`team-${data.owner}-findings.csv`}
          limit={200}
        />
      </section>
    </div>
  );
}
