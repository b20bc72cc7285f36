/** Small shared pieces: progress bars, status badges, loading and error states. */
import type { ReactNode } from "react";
import type { ApiError } from "../api";
import { percent, statusLabel, wholePercent } from "../format";
import { Link } from "../router";

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = wholePercent(Math.max(0, Math.min(1, value)));
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`${pct}% done`}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Status({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase().replace(/_/g, "-")}`}>{statusLabel(status)}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error, children }: { error: ApiError; children?: ReactNode }) {
  return (
    <div className="error" role="alert">
      <p>
        <strong>{error.status === 404 ? "Not found" : "Something went wrong"}:</strong> {error.message}
      </p>
      {error.details.length > 0 && <pre>{error.details.join("\n")}</pre>}
      {children}
    </div>
  );
}

export function Behind({ behind, expected }: { behind: number; expected: number }) {
  if (behind <= 0.005) return <span className="ok">on schedule</span>;
  return (
    <span className="late" title={`At an even pace, ${percent(expected)} would be done by now`}>
      {Math.round(behind * 100)} pts behind
    </span>
  );
}

/** An owner, linked to its team page (owners compare without case; the page finds it whatever the spelling). */
export function OwnerLink({ owner }: { owner: string }) {
  if (!owner) return <span className="muted">no owner</span>;
  return <Link to={teamPath(owner)}>{owner}</Link>;
}

export function teamPath(owner: string): string {
  return `/teams/${encodeURIComponent(owner)}`;
}
