/**
 * Close or reopen the selected findings: maintainers through the API (the
 * same core function, rules and audit as `dm close`), readers get the
 * `dm close` command to copy. Each item's findings go in one request (the
 * close route is per item); every request is first made as a dry run, so a
 * mistake (a missing link, a past expiry) writes nothing anywhere.
 */
import { useId, useState } from "react";
import { closeCommandLine, findingsOnQuery } from "../../../src/shared/close-command";
import { ApiError, api, type CloseResult, type ReopenResult } from "../api";
import { canMaintain, useSession } from "../session";

export interface Selected {
  maintenanceId: string;
  entityKey: string;
  entityName: string;
  /** closed already (complete, error, risk accepted): can be reopened, not closed */
  closed: boolean;
}

type Reason = "COMPLETE" | "ERROR" | "RISK_ACCEPTED";
const REASONS: { value: Reason; label: string }[] = [
  { value: "COMPLETE", label: "COMPLETE: the work is done" },
  { value: "ERROR", label: "ERROR: opened by mistake" },
  { value: "RISK_ACCEPTED", label: "RISK_ACCEPTED: not now, until a date" },
];

function byItem(list: readonly Selected[]): Map<string, Selected[]> {
  const groups = new Map<string, Selected[]>();
  for (const s of list) groups.set(s.maintenanceId, [...(groups.get(s.maintenanceId) ?? []), s]);
  return groups;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function ClosePanel({ selected, onDone }: { selected: readonly Selected[]; onDone(message: string): void }) {
  const session = useSession();
  const maintainer = canMaintain(session);
  const [reason, setReason] = useState<Reason>("COMPLETE");
  const [link, setLink] = useState("");
  const [until, setUntil] = useState("");
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const reasonId = useId();
  const linkId = useId();
  const untilId = useId();
  const errorId = useId();

  const open = selected.filter((s) => !s.closed);
  const closed = selected.filter((s) => s.closed);
  if (selected.length === 0) {
    return (
      <p className="muted" data-testid="close-panel">
        Select findings (the boxes) to {maintainer ? "close or reopen them" : "get the dm close command for them"}.
      </p>
    );
  }

  const body = (dryRun: boolean, group: Selected[]) => ({
    reason,
    ...(link.trim() ? { link: link.trim() } : {}),
    ...(reason === "RISK_ACCEPTED" && until ? { until } : {}),
    query: findingsOnQuery(group.map((s) => s.entityKey)),
    dryRun,
  });

  /** every item's request as a dry run first, then for real: a mistake writes nothing */
  const run = async (what: "close" | "reopen") => {
    const groups = byItem(what === "close" ? open : closed);
    setBusy(true);
    setError(undefined);
    try {
      let total = 0;
      for (const dryRun of [true, false]) {
        total = 0;
        for (const [mid, group] of groups) {
          const path = `/api/v1/maintenance/${encodeURIComponent(mid)}/${what}`;
          if (what === "close") total += (await api<CloseResult>(path, { method: "POST", body: body(dryRun, group) })).closed;
          else {
            const query = findingsOnQuery(group.map((s) => s.entityKey));
            total += (await api<ReopenResult>(path, { method: "POST", body: { query, dryRun } })).reopened;
          }
        }
      }
      setLink("");
      setUntil("");
      onDone(
        what === "reopen"
          ? `Reopened ${plural(total, "finding")}.`
          : reason === "RISK_ACCEPTED"
            ? `Accepted the risk on ${plural(total, "finding")} until ${until}.`
            : `Closed ${plural(total, "finding")} as ${reason}.`,
      );
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "client", String(e)));
    } finally {
      setBusy(false);
    }
  };

  const commands = [...byItem(open)].map(([mid, group]) =>
    closeCommandLine({ maintenanceId: mid, entityKeys: group.map((s) => s.entityKey), reason, link, until }),
  );

  return (
    <form
      className="close-panel"
      data-testid="close-panel"
      aria-label="Close or reopen the selected findings"
      onSubmit={(e) => {
        e.preventDefault();
        if (maintainer && open.length > 0) void run("close");
      }}
    >
      <p className="close-summary">
        <strong>{plural(selected.length, "finding")} selected</strong>
        {closed.length > 0 && open.length > 0 && ` (${open.length} open, ${closed.length} closed)`}
        {closed.length > 0 && open.length === 0 && " (all closed)"}
      </p>
      {open.length > 0 && (
        <div className="close-fields">
          <label htmlFor={reasonId}>Reason</label>
          <select id={reasonId} value={reason} onChange={(e) => setReason(e.target.value as Reason)}>
            {REASONS.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
          <label htmlFor={linkId}>{reason === "RISK_ACCEPTED" ? "Decision record" : reason === "COMPLETE" ? "Pull request" : "Link (optional)"}</label>
          <input
            id={linkId}
            type="url"
            value={link}
            placeholder="https://…"
            onChange={(e) => setLink(e.target.value)}
            aria-describedby={error ? errorId : undefined}
          />
          {reason === "RISK_ACCEPTED" && (
            <>
              <label htmlFor={untilId}>Accepted until</label>
              <input id={untilId} type="date" value={until} onChange={(e) => setUntil(e.target.value)} aria-describedby={error ? errorId : undefined} />
            </>
          )}
        </div>
      )}
      {maintainer ? (
        <div className="toolbar">
          {open.length > 0 && (
            <button type="submit" disabled={busy} data-testid="close-button">
              {reason === "RISK_ACCEPTED" ? `Accept the risk on ${plural(open.length, "finding")}` : `Close ${plural(open.length, "finding")} as ${reason}`}
            </button>
          )}
          {closed.length > 0 && (
            <button type="button" disabled={busy} onClick={() => void run("reopen")} data-testid="reopen-button">
              Reopen {plural(closed.length, "finding")}
            </button>
          )}
        </div>
      ) : (
        <div data-testid="close-command-box">
          {open.length > 0 && (
            <>
              <p className="muted">
                Closing needs a maintainer's token (yours is a reader's). This command does the same, with the same checks:
              </p>
              <pre className="command" data-testid="close-command">
                {commands.join("\n")}
              </pre>
              <button
                type="button"
                onClick={() => {
                  void navigator.clipboard?.writeText(commands.join("\n")).then(() => setCopied(true), () => undefined);
                }}
              >
                {copied ? "Copied" : "Copy"}
              </button>
            </>
          )}
          {closed.length > 0 && <p className="muted">Reopening {plural(closed.length, "closed finding")} needs a maintainer's token.</p>}
        </div>
      )}
      {error && (
        <div className="error" role="alert" id={errorId} data-testid="close-error">
          <p>{error.message}</p>
          {error.details.length > 0 && <pre>{error.details.join("\n")}</pre>}
        </div>
      )}
    </form>
  );
}
