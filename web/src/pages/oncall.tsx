/** On-call: the groups `dm oncall sync` keeps in step with the rotation, their members, the latest syncs. */
import { type Oncall, useApi } from "../api";
import { ErrorMessage, Loading } from "../components/common";
import { isoTime } from "../format";
import { Link } from "../router";

function names(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.map(String).join(", ") : "none";
}

export function OncallPage() {
  const { data, error, loading } = useApi<Oncall>("/api/v1/oncall");
  if (error) return <ErrorMessage error={error} />;
  if (loading || !data) return <Loading what="on-call" />;
  if (!data.configured) {
    return (
      <div data-testid="oncall">
        <h1>On-call</h1>
        <p>
          No on-call group in the graph yet. Configure <code>oncall</code> in dm.config.yaml and run <code>dm oncall sync</code>: the
          people on call are written into the group, and shown here.
        </p>
      </div>
    );
  }
  return (
    <div data-testid="oncall">
      <h1>On-call</h1>
      {data.groups.map((g) => (
        <section key={g.id} aria-labelledby={`group-${g.id}`}>
          <h2 id={`group-${g.id}`}>
            <Link to={`/assets/${g.id}`}>{g.name}</Link> <span className="muted">{g.dn}</span>
          </h2>
          <p>
            On call now (members of the group): <strong data-testid="oncall-now">{g.members.map((m) => m.name).join(", ") || "nobody"}</strong>
          </p>
          <table data-testid="oncall-members">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Email</th>
                <th scope="col">In the group since</th>
              </tr>
            </thead>
            <tbody>
              {g.members.map((m) => (
                <tr key={m.id}>
                  <th scope="row">
                    <Link to={`/assets/${m.id}`}>{m.name}</Link>
                  </th>
                  <td>{m.email}</td>
                  <td>{isoTime(m.since)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <section aria-labelledby="syncs-h">
        <h2 id="syncs-h">Latest syncs</h2>
        <table data-testid="oncall-syncs">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
            </tr>
          </thead>
          <tbody>
            {data.syncs.map((s) => (
              <tr key={s.id}>
                <td>{s.instance.replace(/^oncall:/, "")}</td>
                <td>{s.status}</td>
                <td>{isoTime(s.startedOn)}</td>
                <td>{isoTime(s.finishedOn)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>Changes (audit log)</h3>
        <ol className="history" data-testid="oncall-audit">
          {data.audit.map((a) => (
            <li key={a.id}>
              <time dateTime={new Date(a.at).toISOString()}>{isoTime(a.at)}</time> {a.actor}: added {names(a.details?.added)}, removed{" "}
              {names(a.details?.removed)}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
