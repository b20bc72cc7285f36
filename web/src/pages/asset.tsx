/** One asset: its properties, its relationships, its findings and what happened to them. */
import {
  type AssetFinding,
  type AssetFindings,
  type EntityAnswer,
  type EntityPage,
  type Finding,
  type Relationship,
  type Relationships as RelationshipsAnswer,
  type Report,
  useApi,
} from "../api";
import { useState } from "react";
import { ClosePanel } from "../components/close-panel";
import { ErrorMessage, Loading, OwnerLink, Status, teamPath } from "../components/common";
import { cellText, dueText, isoDate, isoTime, looksLikeDate } from "../format";
import { Link } from "../router";

/** Relationships listed at once (a popular package is used by thousands of repos). */
const MAX_RELATIONSHIPS = 300;

function Properties({ answer }: { answer: EntityAnswer }) {
  const e = answer.entity;
  const meta: [string, string][] = [
    ["_key", e._key],
    ["_type", e._type],
    ["_class", e._class.join(", ")],
    ["_source", e._source ?? ""],
    ["_createdOn", isoTime(e._createdOn)],
    ["_beginOn", isoTime(e._beginOn)],
    ["_version", String(e._version)],
  ];
  const props = Object.entries(answer.properties).sort(([a], [b]) => a.localeCompare(b));
  return (
    <table className="props" data-testid="properties">
      <caption>Properties</caption>
      <tbody>
        {[...meta, ...props.map(([k, v]): [string, string] => [k, looksLikeDate(k, v) ? `${isoTime(v)} (${v})` : cellText(v)])].map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Relationships({ list }: { list: Relationship[] }) {
  const byClass = new Map<string, number>();
  for (const r of list) byClass.set(`${r.direction === "out" ? "" : "← "}${r.class}`, (byClass.get(`${r.direction === "out" ? "" : "← "}${r.class}`) ?? 0) + 1);
  return (
    <section aria-labelledby="rel-h">
      <h2 id="rel-h">Relationships ({list.length})</h2>
      <p className="muted">
        {[...byClass].map(([c, n]) => `${c}: ${n}`).join(" · ")}
        {list.length > MAX_RELATIONSHIPS && ` — the first ${MAX_RELATIONSHIPS} are listed`}
      </p>
      <table data-testid="relationships">
        <thead>
          <tr>
            <th scope="col">Direction</th>
            <th scope="col">Relationship</th>
            <th scope="col">Entity</th>
            <th scope="col">Type</th>
          </tr>
        </thead>
        <tbody>
          {list.slice(0, MAX_RELATIONSHIPS).map((r) => (
            <tr key={r.id}>
              <td>{r.direction === "out" ? "this →" : "→ this"}</td>
              <td>
                {r.class} <span className="muted">{r.type}</span>
              </td>
              <td>
                <Link to={`/assets/${r.other.id}`}>{r.other.displayName}</Link>
              </td>
              <td>{r.other.type}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Findings({ list, now, team, reload }: { list: AssetFinding[]; now: number; team?: string | undefined; reload(): void }) {
  // the findings ticked for closing or reopening, by finding _id
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [done, setDone] = useState<string | undefined>();
  const selected = list
    .filter((f) => picked.has(f.id))
    .map((f) => ({ maintenanceId: f.maintenanceId, entityKey: f.entityKey, entityName: f.shortDescription || f.maintenanceId, closed: f.closed }));
  const toggle = (id: string) =>
    setPicked((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <section aria-labelledby="findings-h">
      <h2 id="findings-h">Findings ({list.length})</h2>
      {list.length === 0 && !team && <p>No maintenance findings on this asset.</p>}
      {list.length === 0 && team && (
        <p>
          None on the team itself: what its assets owe is on <Link to={teamPath(team)}>{team}'s team page</Link>.
        </p>
      )}
      {done && (
        <p className="notice" role="status" data-testid="close-done">
          {done}
        </p>
      )}
      {list.length > 0 && (
        <ClosePanel
          selected={selected}
          onDone={(message) => {
            setDone(message);
            setPicked(new Set());
            reload();
          }}
        />
      )}
      {list.map((f) => (
        <article key={f.id} className="finding" data-testid="finding">
          <h3>
            <input
              type="checkbox"
              aria-label={`Select ${f.shortDescription || f.maintenanceId}`}
              checked={picked.has(f.id)}
              onChange={() => toggle(f.id)}
            />{" "}
            <Link to={`/campaigns/${f.maintenanceId}`}>{f.shortDescription || f.maintenanceId}</Link> <Status status={f.status} />
          </h3>
          <p>
            {f.closed ? `due ${isoDate(f.dueDate)}` : dueText(f.dueDate, now)} ·{" "}
            <a href={f.webLink} rel="noreferrer noopener" target="_blank">
              instructions
            </a>
            {f.maintenanceLink && (
              <>
                {" "}
                ·{" "}
                <a href={f.maintenanceLink} rel="noreferrer noopener" target="_blank">
                  {f.maintenanceLink.replace(/^https?:\/\//, "")}
                </a>
              </>
            )}
            {f.owner && (
              <>
                {" "}
                · owner <OwnerLink owner={f.owner} />
              </>
            )}
          </p>
          <h4>History</h4>
          <ol className="history" data-testid="history">
            {f.history.map((h) => (
              <li key={`${h.at}-${h.what}`}>
                <time dateTime={new Date(h.at).toISOString()}>{isoTime(h.at)}</time> {h.what}
                {h.by && ` by ${h.by}`}
                {h.details && <span className="muted"> — {h.details}</span>}
              </li>
            ))}
          </ol>
          {f.audit.length > 0 && (
            <details>
              <summary>Audit log of this item ({f.audit.length})</summary>
              <ol className="history">
                {f.audit.map((a) => (
                  <li key={a.id}>
                    <time dateTime={new Date(a.at).toISOString()}>{isoTime(a.at)}</time> {a.action} by {a.actor}
                    {a.details && <span className="muted"> — {summariseDetails(a.details)}</span>}
                  </li>
                ))}
              </ol>
            </details>
          )}
        </article>
      ))}
    </section>
  );
}

/** A repo's open findings on the assets it deploys or builds (the repo report's `via` findings). */
function ViaFindings({ list, now }: { list: Finding[]; now: number }) {
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="via-h">
      <h2 id="via-h">On what it deploys ({list.length})</h2>
      <ul data-testid="via-findings">
        {list.map((f) => (
          <li key={f.id}>
            <Link to={`/campaigns/${f.maintenanceId}`}>{f.shortDescription || f.maintenanceId}</Link> · {dueText(f.dueDate, now)} ·{" "}
            <span className="muted">
              via {f.via?.name} ({f.via?.type})
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function summariseDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== "object")
    .map(([k, v]) => `${k}: ${looksLikeDate(k, v) ? isoDate(v) : String(v)}`)
    .join(", ");
}

/** How the asset is deployed: what repave and repair mean for it (dm rules explain says which rules apply). */
function Deployment({ deployment }: { deployment: EntityPage["deployment"] }) {
  const source = { configured: "set by deploymentModels in dm.config.yaml", recorded: "recorded by its source", unknown: "" }[deployment.source];
  return (
    <p className="deployment" data-testid="deployment">
      Deployment model: <strong>{deployment.model ?? "unknown"}</strong>
      {deployment.model ? ` (${source})` : " — set one with deploymentModels in dm.config.yaml so the repave rules can judge it"}
    </p>
  );
}

export function AssetPage({ id }: { id: string }) {
  const path = encodeURIComponent(id);
  const entity = useApi<EntityPage>(`/api/v1/entities/${path}`);
  const rels = useApi<RelationshipsAnswer>(`/api/v1/entities/${path}/relationships`);
  const findings = useApi<AssetFindings>(`/api/v1/entities/${path}/findings`);
  // a repository: also the findings of what it deploys (the repo report); an error there only hides the section
  const classes = entity.data ? [entity.data.entity._class].flat() : [];
  const report = useApi<Report>(
    entity.data && classes.includes("CodeRepo") ? `/api/v1/report?repo=${encodeURIComponent(entity.data.entity._key)}` : null,
  );
  const via = report.data ? report.data.findings.filter((f) => f.via) : [];
  const error = entity.error ?? rels.error ?? findings.error;
  if (error) return <ErrorMessage error={error} />;
  if (!entity.data || !rels.data || !findings.data) return <Loading what="the asset" />;
  const e = entity.data.entity;
  const props = entity.data.properties;
  const team = classes.includes("Team") ? String(typeof props.name === "string" ? props.name : (e.displayName ?? e._key)) : undefined;
  const owner = typeof props.owner === "string" ? props.owner : undefined;
  return (
    <div data-testid="asset">
      <p className="crumbs">
        <Link to="/">Overview</Link> › {e._type}
      </p>
      <h1>{e.displayName ?? e._key}</h1>
      {team && (
        <p className="notice" data-testid="team-page-link">
          What {team}'s assets owe, across campaigns: <Link to={teamPath(team)}>team page</Link>
        </p>
      )}
      {owner && (
        <p data-testid="asset-owner">
          Owner: <OwnerLink owner={owner} />
        </p>
      )}
      <Deployment deployment={entity.data.deployment} />
      <div className="columns">
        <Properties answer={entity.data} />
        <div>
          <Findings list={findings.data.findings} now={findings.data.now} team={team} reload={findings.reload} />
          <ViaFindings list={via} now={findings.data.now} />
        </div>
      </div>
      <Relationships list={rels.data.relationships} />
    </div>
  );
}
