/** Overview: how much is open and overdue, who and what is riskiest, which campaigns are furthest behind. */
import { useEffect } from "react";
import { type Overview, useApi } from "../api";
import { Behind, ErrorMessage, Loading, ProgressBar } from "../components/common";
import { count, dueText, isoDate, percent } from "../format";
import { Link } from "../router";

function forecastText(c: Overview["campaigns"][number]): string {
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

export function OverviewPage() {
  const { data, error, loading } = useApi<Overview>("/api/v1/overview");
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
        <h2 id="campaigns-h">Campaigns, furthest behind first</h2>
        <table data-testid="campaigns">
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Done</th>
              <th scope="col" className="num">
                Overdue
              </th>
              <th scope="col">Due</th>
              <th scope="col">Schedule</th>
              <th scope="col">Forecast</th>
            </tr>
          </thead>
          <tbody>
            {data.campaigns.map((item) => (
              <tr key={item.maintenanceId}>
                <th scope="row">
                  <Link to={`/campaigns/${item.maintenanceId}`}>{item.shortDescription || item.maintenanceId}</Link>
                </th>
                <td>
                  <div className="done-cell">
                    <ProgressBar value={item.completion} label={`${item.shortDescription} done`} />
                    <span>
                      {count(item.total - item.open)}/{count(item.total)} {percent(item.completion)}
                    </span>
                  </div>
                </td>
                <td className="num">{count(item.overdue)}</td>
                <td>{item.open === 0 ? "done" : dueText(item.dueDate, data.now)}</td>
                <td>
                  <Behind behind={item.behind} expected={item.expected} />
                </td>
                <td>{forecastText(item)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data.campaigns.length === 0 && <p>No maintenance items yet. Open one with dm open.</p>}
      </section>

      <div className="columns">
        <section aria-labelledby="assets-h">
          <h2 id="assets-h">Riskiest assets</h2>
          <table data-testid="riskiest-assets">
            <thead>
              <tr>
                <th scope="col">Asset</th>
                <th scope="col">Owner</th>
                <th scope="col" className="num">
                  Overdue
                </th>
                <th scope="col" className="num">
                  Open
                </th>
                <th scope="col" className="num">
                  Worst
                </th>
              </tr>
            </thead>
            <tbody>
              {data.riskiestAssets.map((a) => (
                <tr key={a.key}>
                  <th scope="row">
                    {a.id ? <Link to={`/assets/${a.id}`}>{a.name}</Link> : a.name} <span className="muted">{a.type}</span>
                  </th>
                  <td>{a.owner || <span className="muted">none</span>}</td>
                  <td className="num">{a.overdue}</td>
                  <td className="num">{a.open}</td>
                  <td className="num">{a.overdue > 0 ? `${a.maxDaysOverdue} d` : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="owners-h">
          <h2 id="owners-h">Riskiest owners</h2>
          <table data-testid="riskiest-owners">
            <thead>
              <tr>
                <th scope="col">Owner</th>
                <th scope="col" className="num">
                  Assets
                </th>
                <th scope="col" className="num">
                  Overdue
                </th>
                <th scope="col" className="num">
                  Open
                </th>
                <th scope="col" className="num">
                  Worst
                </th>
              </tr>
            </thead>
            <tbody>
              {data.riskiestOwners.map((o) => (
                <tr key={o.owner}>
                  <th scope="row">{o.owner || <span className="muted">no owner</span>}</th>
                  <td className="num">{count(o.assets)}</td>
                  <td className="num">{count(o.overdue)}</td>
                  <td className="num">{count(o.open)}</td>
                  <td className="num">{o.overdue > 0 ? `${o.maxDaysOverdue} d` : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <p className="muted">
        Risk: most overdue findings first, then the most days overdue in total. "Behind" compares the share done with the share of
        the time to the due date that has passed. As of {isoDate(data.now)}.
      </p>
    </div>
  );
}
