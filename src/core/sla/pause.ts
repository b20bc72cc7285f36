/**
 * The SLA clock stands still while a risk acceptance is active: when an
 * acceptance expires and its finding reopens, the due date moves later by the
 * time the finding spent accepted (from its close to the acceptance's end, or
 * its reopening if that came first), so the
 * clock resumes where it stopped rather than starting again.
 *
 * Kept apart from policy.ts (no zod, no YAML): `reopenFinding` uses it on
 * every path that reopens a finding.
 */

/** How long the clock stood still: accepted on `acceptedOn`, open again on `resumedOn` (never negative). */
export function pausedFor(acceptedOn: number, resumedOn: number): number {
  return Math.max(0, resumedOn - acceptedOn);
}

/** The due date once the clock resumes: `dueDate` moved later by the time accepted. */
export function dueAfterPause(dueDate: number, acceptedOn: number, resumedOn: number): number {
  return dueDate + pausedFor(acceptedOn, resumedOn);
}
