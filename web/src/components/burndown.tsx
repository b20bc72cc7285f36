/**
 * The burndown of one campaign, drawn as SVG: open findings per day, the
 * forecast from today's open count at the current pace, the even pace from
 * creation to due date, and the due date itself.
 */
import type { Campaign } from "../api";
import { DAY_MS, isoDate } from "../format";

const W = 720;
const H = 260;
const M = { top: 16, right: 24, bottom: 40, left: 48 };

/** `schedule`: draw the even pace and the due date (a campaign's; a team's findings have many due dates). */
/** About five round dates between start and end (UTC days, at whole-day, week or month steps). */
export function dateTicks(start: number, end: number): number[] {
  const days = Math.max(1, (end - start) / DAY_MS);
  const step = [1, 2, 7, 14, 30, 61, 91, 182, 365].find((d) => days / d <= 6) ?? 365;
  const first = Math.ceil(start / DAY_MS) * DAY_MS;
  const ticks: number[] = [];
  for (let t = first; t <= end; t += step * DAY_MS) ticks.push(t);
  return ticks;
}

export function Burndown({ stats, now, schedule = true }: { stats: Campaign["stats"]; now: number; schedule?: boolean }) {
  const points = stats.burndown.map((p, i, all) => ({ at: i === all.length - 1 ? now : Date.parse(p.date) + DAY_MS - 1, open: p.open }));
  const first = points[0]?.at ?? stats.createdOn;
  const f = stats.forecast;
  const converging = (f.status === "late" || f.status === "on-time") && f.finishDate !== undefined;
  const start = Math.min(first, stats.createdOn);
  // A forecast far beyond the history would squeeze it into a sliver: the axis ends at most as far past
  // today (or the due date) as the history is long, and the forecast is clipped there with its date said.
  const horizon = Math.max(now, schedule ? stats.dueDate : now);
  const reach = Math.max(horizon + Math.max(now - start, 14 * DAY_MS), horizon + DAY_MS);
  const finish = converging ? f.finishDate! : undefined;
  const clipped = finish !== undefined && finish > reach;
  const end = Math.max(horizon, finish !== undefined && !clipped ? finish : horizon, clipped ? reach : horizon) + DAY_MS;
  const yMax = Math.max(1, stats.total, ...points.map((p) => p.open));
  const x = (t: number) => M.left + ((t - start) / Math.max(1, end - start)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const actual = points.map((p) => `${x(p.at).toFixed(1)},${y(p.open).toFixed(1)}`).join(" ");
  const description =
    `${stats.open} of ${stats.total} findings open today. Due ${isoDate(stats.dueDate)}. ` +
    (converging
      ? `At ${f.pace.toFixed(1)} closed per day the rest is done by ${isoDate(f.finishDate)}${f.daysLate ? `, ${f.daysLate} days late` : ", on time"}.`
      : f.status === "done"
        ? "All closed."
        : "Not converging at the current pace.");
  const yTicks = [0, Math.round(yMax / 2), yMax];
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="burndown-title burndown-desc" data-testid="burndown">
        <title id="burndown-title">Burndown of {stats.shortDescription}</title>
        <desc id="burndown-desc">{description}</desc>
        {yTicks.map((v) => (
          <g key={`y${v}`}>
            <line x1={M.left} x2={W - M.right} y1={y(v)} y2={y(v)} className="grid" />
            <text x={M.left - 6} y={y(v) + 4} textAnchor="end" className="tick">
              {v}
            </text>
          </g>
        ))}
        {dateTicks(start, end).map((tick, i, all) => (
          <g key={tick}>
            <line x1={x(tick)} x2={x(tick)} y1={H - M.bottom} y2={H - M.bottom + 4} className="grid" />
            <text
              x={x(tick)}
              y={H - M.bottom + 16}
              textAnchor={i === 0 ? "start" : i === all.length - 1 ? "end" : "middle"}
              className="tick"
              data-testid="burndown-tick"
            >
              {isoDate(tick).slice(5)}
            </text>
          </g>
        ))}
        <text x={M.left} y={H - 4} className="tick">
          {isoDate(start).slice(0, 4)}
          {isoDate(end).slice(0, 4) !== isoDate(start).slice(0, 4) ? `–${isoDate(end).slice(0, 4)}` : ""}
        </text>
        {schedule && (
          <>
            <line x1={x(stats.createdOn)} y1={y(stats.total)} x2={x(stats.dueDate)} y2={y(0)} className="ideal" data-testid="burndown-ideal" />
            <line x1={x(stats.dueDate)} x2={x(stats.dueDate)} y1={M.top} y2={H - M.bottom} className="due" data-testid="burndown-due" />
            <text
              x={x(stats.dueDate) + (x(stats.dueDate) > W - 130 ? -4 : 4)}
              y={M.top + 10}
              textAnchor={x(stats.dueDate) > W - 130 ? "end" : "start"}
              className="due-label"
            >
              due {isoDate(stats.dueDate)}
            </text>
          </>
        )}
        <line x1={x(now)} x2={x(now)} y1={M.top} y2={H - M.bottom} className="today" />
        <text x={x(now) + (x(now) > W - 80 ? -4 : 4)} y={M.top + 24} textAnchor={x(now) > W - 80 ? "end" : "start"} className="tick">
          today
        </text>
        <polyline points={actual} className="actual" data-testid="burndown-actual" />
        {/* hover values: each day's count, as a tooltip on its point */}
        <g data-testid="burndown-points">
          {points.map((p, i) => (
            <circle key={stats.burndown[i]!.date} cx={x(p.at)} cy={y(p.open)} r={5} className="point">
              <title>{`${stats.burndown[i]!.date}: ${p.open} open`}</title>
            </circle>
          ))}
        </g>
        {converging && !clipped && (
          <line x1={x(now)} y1={y(stats.open)} x2={x(f.finishDate!)} y2={y(0)} className="forecast" data-testid="burndown-forecast" />
        )}
        {converging && clipped && (
          <>
            {/* the same line, cut at the axis' end: where it would be then */}
            <line
              x1={x(now)}
              y1={y(stats.open)}
              x2={x(end)}
              y2={y(stats.open * Math.max(0, 1 - (end - now) / (finish! - now)))}
              className="forecast"
              data-testid="burndown-forecast"
            />
            <text x={W - M.right - 4} y={y(stats.open * Math.max(0, 1 - (end - now) / (finish! - now))) - 6} textAnchor="end" className="due-label" data-testid="burndown-clipped">
              at this pace: {isoDate(finish)}
            </text>
          </>
        )}
        {!converging && f.status === "not-converging" && (
          <line x1={x(now)} y1={y(stats.open)} x2={W - M.right} y2={y(stats.open)} className="forecast" data-testid="burndown-forecast" />
        )}
      </svg>
      <figcaption>
        <span className="key key-actual">open findings</span>
        <span className="key key-forecast">forecast at the current pace</span>
        {schedule && (
          <>
            <span className="key key-ideal">even pace to the due date</span>
            <span className="key key-due">due date</span>
          </>
        )}
        <p>{description}</p>
      </figcaption>
    </figure>
  );
}
