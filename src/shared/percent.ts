/**
 * Percentages as dm shows them, in the CLI (dm stats, dm show) and the
 * dashboard alike: whole percent, rounded down, so 100% only when everything
 * is done (8/29 is 27%). Imports nothing: the dashboard bundles it.
 */

/** The whole percent of a share (0..1), rounded down; a share that is 29/100 in floating point is still 29. */
export function wholePercent(share: number): number {
  if (!Number.isFinite(share)) return 0;
  // 0.29 * 100 is 28.999999999999996: nudge by far less than a percent's resolution before flooring
  return Math.floor(share * 100 + 1e-9);
}

/** "27%" */
export function percent(share: number): string {
  return `${wholePercent(share)}%`;
}
