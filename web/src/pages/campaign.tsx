/** One campaign: progress, burndown with forecast and due date, and every asset's finding (filter, sort, CSV). */
import { useEffect, useId, useMemo, useState } from "react";
import { type Campaign, type CampaignFinding, useApi } from "../api";
import { Burndown } from "../components/burndown";
import { ClosePanel, type Selected } from "../components/close-panel";
import { Behind, ErrorMessage, Loading, OwnerLink, ProgressBar, Status } from "../components/common";
import { count, download, dueText, isoDate, percent, statusLabel, toCsv } from "../format";
import { Link, useLocation } from "../router";

type SortKey = "entityName" | "status" | "owner" | "dueDate" | "daysOverdue" | "closedOn" | "closedBy" | "acceptedUntil";
const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "entityName", label: "Asset" },
  { key: "status", label: "Status" },
  { key: "owner", label: "Owner" },
  { key: "dueDate", label: "Due" },
  { key: "daysOverdue", label: "Days overdue", numeric: true },
  { key: "closedOn", label: "Closed on" },
  { key: "closedBy", label: "Closed by" },
  { key: "acceptedUntil", label: "Accepted until" },
];
const SORT_KEYS = new Set<string>(COLUMNS.map((c) => c.key));
/** The table's filter and sort as the address keeps them (shareable): ?q=&status=&owner=&sort=&order= */
function stateFromUrl(search: URLSearchParams) {
  const sortKey = search.get("sort");
  const status = search.get("status");
  return {
    text: search.get("q") ?? "",
    status: status && (STATUS_FILTERS as readonly string[]).includes(status) ? status : "all",
    owner: search.get("owner"),
    sort: {
      key: (sortKey && SORT_KEYS.has(sortKey) ? sortKey : "daysOverdue") as SortKey,
      descending: sortKey && SORT_KEYS.has(sortKey) ? search.get("order") !== "asc" : true,
    },
  };
}
const STATUS_FILTERS = ["all", "open", "overdue", "closed", "COMPLETE", "ERROR", "RISK_ACCEPTED"] as const;
/** Rows rendered at once; the CSV always has every row that passes the filter. */
const PAGE = 500;

function matchesStatus(f: CampaignFinding, filter: string): boolean {
  if (filter === "all") return true;
  if (filter === "open") return f.status === "open" || f.status === "overdue";
  if (filter === "closed") return f.status !== "open" && f.status !== "overdue";
  return f.status === filter;
}

function compare(a: CampaignFinding, b: CampaignFinding, key: SortKey): number {
  const va = a[key];
  const vb = b[key];
  if (typeof va === "number" || typeof vb === "number" || va === null || vb === null) return (va === null ? -1 : Number(va)) - (vb === null ? -1 : Number(vb));
  return String(va).localeCompare(String(vb));
}

export function CampaignPage({ id }: { id: string }) {
  const { data, error, loading, reload } = useApi<Campaign>(`/api/v1/campaigns/${encodeURIComponent(id)}`);
  const { search } = useLocation();
  const initial = useMemo(() => stateFromUrl(search), [search]);
  const [text, setText] = useState(initial.text);
  const [status, setStatus] = useState<string>(initial.status);
  // "" is every owner; an owner is matched exactly (without case), never as a part of another's name
  const [owner, setOwner] = useState<string>(initial.owner ?? "");
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>(initial.sort);
  const [shown, setShown] = useState(PAGE);
  // the findings ticked for closing or reopening, by finding _id
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [done, setDone] = useState<string | undefined>();
  const filterId = useId();
  const statusId = useId();
  const ownerId = useId();

  // keep the filter and sort in the address (replaceState: no history entry per keystroke)
  useEffect(() => {
    const params = new URLSearchParams();
    if (text) params.set("q", text);
    if (status !== "all") params.set("status", status);
    if (owner) params.set("owner", owner);
    if (sort.key !== "daysOverdue" || !sort.descending) {
      params.set("sort", sort.key);
      params.set("order", sort.descending ? "desc" : "asc");
    }
    const query = params.toString();
    const next = `${window.location.pathname}${query ? `?${query}` : ""}`;
    if (next !== `${window.location.pathname}${window.location.search}`) window.history.replaceState(null, "", next);
  }, [text, status, owner, sort]);

  const owners = useMemo(() => {
    const byKey = new Map<string, string>();
    for (const f of data?.findings ?? []) if (f.owner && !byKey.has(f.owner.toLowerCase())) byKey.set(f.owner.toLowerCase(), f.owner);
    return [...byKey.values()].sort((a, b) => a.localeCompare(b));
  }, [data]);

  const rows = useMemo(() => {
    if (!data) return [];
    const needle = text.trim().toLowerCase();
    const kept = data.findings.filter(
      (f) =>
        matchesStatus(f, status) &&
        (owner === "" || f.owner.trim().toLowerCase() === owner.trim().toLowerCase()) &&
        (needle === "" || `${f.entityName} ${f.entityKey} ${f.owner} ${statusLabel(f.status)}`.toLowerCase().includes(needle)),
    );
    const sign = sort.descending ? -1 : 1;
    return kept.sort((a, b) => sign * compare(a, b, sort.key) || a.entityName.localeCompare(b.entityName));
  }, [data, text, status, owner, sort]);

  if (error) return <ErrorMessage error={error} />;
  if (!data) return <Loading what="the campaign" />;
  const s = data.stats;

  const saveCsv = () => {
    const header = ["asset", "asset_key", "asset_type", "status", "owner", "due", "days_overdue", "closed_on", "closed_by", "accepted_until", "link"];
    const csv = toCsv(
      header,
      rows.map((f) => [f.entityName, f.entityKey, f.entityType, statusLabel(f.status), f.owner, isoDate(f.dueDate), f.daysOverdue ?? "", isoDate(f.closedOn), f.closedBy ?? "", isoDate(f.acceptedUntil), f.link ?? ""]),
    );
    download(`campaign-${s.maintenanceId}.csv`, csv);
  };

  const selected: Selected[] = data.findings
    .filter((f) => picked.has(f.findingId))
    .map((f) => ({ maintenanceId: f.maintenanceId, entityKey: f.entityKey, entityName: f.entityName, closed: f.status !== "open" && f.status !== "overdue" }));
  const visible = rows.slice(0, shown);
  const allPicked = visible.length > 0 && visible.every((f) => picked.has(f.findingId));
  const toggle = (id: string) =>
    setPicked((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const sortBy = (key: SortKey) =>
    setSort((current) =>
      current.key === key
        ? { key, descending: !current.descending }
        : { key, descending: key === "daysOverdue" || key === "dueDate" || key === "closedOn" || key === "acceptedUntil" },
    );

  return (
    <div data-testid="campaign">
      <p className="crumbs">
        <Link to="/">Overview</Link> › campaign {s.maintenanceId}
      </p>
      <h1>{s.shortDescription}</h1>
      <p>
        <a href={s.webLink} rel="noreferrer noopener" target="_blank">
          Instructions
        </a>{" "}
        · opened {isoDate(s.createdOn)} · due {isoDate(s.dueDate)} ({s.open === 0 ? "done" : dueText(s.dueDate, data.now)})
      </p>
      <div className="progress-row">
        <ProgressBar value={s.completion} label="Campaign done" />
        <span data-testid="campaign-progress">
          {count(s.closed.total)}/{count(s.total)} done ({percent(s.completion)})
        </span>
        <Behind behind={s.behind} expected={s.expected} />
      </div>
      <dl className="cards">
        <div className="card">
          <dt>Open</dt>
          <dd data-testid="campaign-open">{count(s.open)}</dd>
        </div>
        <div className="card card-bad">
          <dt>Overdue</dt>
          <dd data-testid="campaign-overdue">{count(s.overdue)}</dd>
        </div>
        <div className="card">
          <dt>Complete / error / accepted</dt>
          <dd>
            {count(s.closed.COMPLETE)} / {count(s.closed.ERROR)} / {count(s.closed.RISK_ACCEPTED)}
          </dd>
        </div>
        <div className="card">
          <dt>Pace</dt>
          <dd>{(s.forecast.pace * 7).toFixed(1)}/week</dd>
        </div>
      </dl>
      <Burndown stats={s} now={data.now} />

      <section aria-labelledby="assets-h">
        <h2 id="assets-h">Assets</h2>
        <div className="toolbar">
          <label htmlFor={filterId}>Filter</label>
          <input
            id={filterId}
            type="search"
            value={text}
            placeholder="asset, owner or status"
            onChange={(e) => {
              setText(e.target.value);
              setShown(PAGE);
            }}
          />
          <label htmlFor={statusId}>Status</label>
          <select
            id={statusId}
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              setShown(PAGE);
            }}
          >
            {STATUS_FILTERS.map((v) => (
              <option key={v} value={v}>
                {v === "all" ? "all" : statusLabel(v)}
              </option>
            ))}
          </select>
          <label htmlFor={ownerId}>Owner</label>
          <select
            id={ownerId}
            value={owners.find((o) => o.toLowerCase() === owner.toLowerCase()) ?? owner}
            onChange={(e) => {
              setOwner(e.target.value);
              setShown(PAGE);
            }}
          >
            <option value="">all</option>
            {owners.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          <button type="button" onClick={saveCsv}>
            Download CSV
          </button>
          <span role="status" data-testid="row-count">
            {count(rows.length)} of {count(data.findings.length)} assets
          </span>
        </div>
        {done && (
          <p className="notice" role="status" data-testid="close-done">
            {done}
          </p>
        )}
        <ClosePanel
          selected={selected}
          onDone={(message) => {
            setDone(message);
            setPicked(new Set());
            reload();
          }}
        />
        {loading && <Loading what="the campaign" />}
        <div className="scroll-x">
        <table data-testid="campaign-table">
          <thead>
            <tr>
              <th scope="col" className="pick">
                <input
                  type="checkbox"
                  aria-label="Select every shown asset"
                  checked={allPicked}
                  onChange={() => setPicked(allPicked ? new Set() : new Set(visible.map((f) => f.findingId)))}
                />
              </th>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  className={c.numeric ? "num" : undefined}
                  aria-sort={sort.key === c.key ? (sort.descending ? "descending" : "ascending") : "none"}
                >
                  <button type="button" className="sort" onClick={() => sortBy(c.key)}>
                    {c.label}
                    <span aria-hidden="true">{sort.key === c.key ? (sort.descending ? " ▼" : " ▲") : ""}</span>
                  </button>
                </th>
              ))}
              <th scope="col">Link</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((f) => (
              <tr key={f.findingId}>
                <td className="pick">
                  <input type="checkbox" aria-label={`Select ${f.entityName}`} checked={picked.has(f.findingId)} onChange={() => toggle(f.findingId)} />
                </td>
                <th scope="row">
                  {f.assetId ? <Link to={`/assets/${f.assetId}`}>{f.entityName}</Link> : f.entityName}{" "}
                  <span className="muted">{f.entityType}</span>
                </th>
                <td>
                  <Status status={f.status} />
                </td>
                <td>
                  <OwnerLink owner={f.owner} />
                </td>
                <td>{isoDate(f.dueDate)}</td>
                <td className="num">{f.daysOverdue ?? ""}</td>
                <td>{isoDate(f.closedOn)}</td>
                <td>{f.closedBy ?? ""}</td>
                <td>{isoDate(f.acceptedUntil)}</td>
                <td>
                  {f.link ? (
                    <a href={f.link} rel="noreferrer noopener" target="_blank">
                      {f.link.replace(/^https?:\/\//, "")}
                    </a>
                  ) : (
                    ""
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
        {rows.length > shown && (
          <button type="button" onClick={() => setShown((n) => n + PAGE)}>
            Show {Math.min(PAGE, rows.length - shown)} more ({count(rows.length - shown)} not shown; the CSV has them all)
          </button>
        )}
      </section>
    </div>
  );
}
