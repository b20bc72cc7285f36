import { describe, expect, it } from "vitest";
import { DAY_MS } from "./due.js";
import type { Finding } from "./finding.js";
import { burndown, forecast, itemStats, median, statsOf } from "./stats.js";

/** 2026-11-23 12:00 UTC */
const NOW = Date.UTC(2026, 10, 23, 12);
const DAY = DAY_MS;

let serial = 0;
function finding(over: Partial<Finding> & { maintenanceId: string }): Finding {
  serial++;
  const closed = over.closed ?? over.closedOn !== undefined;
  return {
    id: String(serial),
    key: `deferred_maintenance:${over.maintenanceId}:repo:${serial}`,
    shortDescription: `Item ${over.maintenanceId}`,
    description: "",
    webLink: `https://wiki.example.com/${over.maintenanceId}`,
    dueDate: NOW + 5 * DAY,
    createdBy: "dev@example.com",
    createdOn: NOW - 10 * DAY,
    query: "Find CodeRepo",
    tracked: false,
    entityKey: `repo:${serial}`,
    entityType: "git_repo",
    entityName: `repo-${serial}`,
    ...over,
    closed,
    status: closed ? "closed" : "open",
  };
}

/**
 * Item A: opened 10 days ago (2026-11-13 12:00), due in 5 days, six findings:
 * closed 9, 5 and 1 day(s) ago (COMPLETE, ERROR, RISK_ACCEPTED), three open.
 */
function itemA(): Finding[] {
  const m = "aaaaaaaa";
  return [
    finding({ maintenanceId: m, closedOn: NOW - 9 * DAY, closeReason: "COMPLETE" }),
    finding({ maintenanceId: m, closedOn: NOW - 5 * DAY, closeReason: "ERROR" }),
    finding({ maintenanceId: m, closedOn: NOW - 1 * DAY, closeReason: "RISK_ACCEPTED", acceptedUntil: NOW + 90 * DAY }),
    finding({ maintenanceId: m }),
    finding({ maintenanceId: m }),
    finding({ maintenanceId: m }),
  ];
}

describe("median", () => {
  it("is the middle value, or the mean of the two middle ones", () => {
    expect(median([])).toBeNull();
    expect(median([3])).toBe(3);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("statsOf", () => {
  it("counts, closes by reason, completion and median days to close", () => {
    const s = statsOf(itemA(), NOW);
    expect(s).toMatchObject({
      maintenanceId: "aaaaaaaa",
      shortDescription: "Item aaaaaaaa",
      webLink: "https://wiki.example.com/aaaaaaaa",
      dueDate: NOW + 5 * DAY,
      createdOn: NOW - 10 * DAY,
      total: 6,
      open: 3,
      overdue: 0,
      closed: { total: 3, COMPLETE: 1, ERROR: 1, RISK_ACCEPTED: 1, unknown: 0 },
      completion: 0.5,
      // closed after 1, 5 and 9 days
      medianDaysToClose: 5,
    });
  });

  it("gives a daily burndown from the first day to today, counted at the end of each day", () => {
    expect(statsOf(itemA(), NOW).burndown).toEqual([
      { date: "2026-11-13", open: 6 },
      { date: "2026-11-14", open: 5 },
      { date: "2026-11-15", open: 5 },
      { date: "2026-11-16", open: 5 },
      { date: "2026-11-17", open: 5 },
      { date: "2026-11-18", open: 4 },
      { date: "2026-11-19", open: 4 },
      { date: "2026-11-20", open: 4 },
      { date: "2026-11-21", open: 4 },
      { date: "2026-11-22", open: 3 },
      { date: "2026-11-23", open: 3 },
    ]);
  });

  it("forecasts from the pace since opening when the item is younger than 14 days", () => {
    // 3 closed in 10 days = 0.3/day; 3 open -> 10 days -> 2026-12-03 12:00, 5 days after the due date
    expect(statsOf(itemA(), NOW).forecast).toEqual({
      status: "late",
      pace: 0.3,
      paceWindowDays: 10,
      closedInWindow: 3,
      daysToFinish: 10,
      finishDate: NOW + 10 * DAY,
      daysLate: 5,
      beforeDue: false,
    });
  });

  it("counts overdue as open and past due, and burndown points include findings added later", () => {
    const m = "cccccccc";
    const findings = [
      finding({ maintenanceId: m, createdOn: NOW - 3 * DAY, dueDate: NOW - DAY }),
      finding({ maintenanceId: m, createdOn: NOW - 3 * DAY, dueDate: NOW - DAY, closedOn: NOW - 2 * DAY, closeReason: "COMPLETE" }),
      // a finding opened later (a tracked item's new match), due in the future
      finding({ maintenanceId: m, createdOn: NOW - DAY - 1, dueDate: NOW + DAY }),
    ];
    const s = statsOf(findings, NOW);
    expect(s.dueDate).toBe(NOW - DAY);
    expect(s.overdue).toBe(1);
    expect(s.open).toBe(2);
    expect(s.burndown).toEqual([
      { date: "2026-11-20", open: 2 },
      { date: "2026-11-21", open: 1 },
      { date: "2026-11-22", open: 2 },
      { date: "2026-11-23", open: 2 },
    ]);
  });

  it("reads odd imported findings without failing: no closedOn, no reason, no createdOn", () => {
    const m = "dddddddd";
    const findings = [
      finding({ maintenanceId: m, createdOn: NOW - 2 * DAY }),
      // closed without a date or a reason: done, never open in the series, not in the pace or the median
      finding({ maintenanceId: m, createdOn: NOW - 2 * DAY, closed: true }),
      // no createdOn: counted from the item's first day
      finding({ maintenanceId: m, createdOn: 0 }),
    ];
    const s = statsOf(findings, NOW);
    expect(s.closed).toEqual({ total: 1, COMPLETE: 0, ERROR: 0, RISK_ACCEPTED: 0, unknown: 1 });
    expect(s.createdOn).toBe(NOW - 2 * DAY);
    expect(s.medianDaysToClose).toBeNull();
    expect(s.burndown).toEqual([
      { date: "2026-11-21", open: 2 },
      { date: "2026-11-22", open: 2 },
      { date: "2026-11-23", open: 2 },
    ]);
    expect(s.forecast.status).toBe("not-converging");
    expect(s.forecast.pace).toBe(0);
  });
});

describe("burndown", () => {
  it("counts a finding closed on the day it was opened as never open at a day's end", () => {
    const m = "eeeeeeee";
    const f = [finding({ maintenanceId: m, createdOn: NOW - 2 * DAY, closedOn: NOW - 2 * DAY + 3_600_000 })];
    expect(burndown(f, NOW)).toEqual([
      { date: "2026-11-21", open: 0 },
      { date: "2026-11-22", open: 0 },
      { date: "2026-11-23", open: 0 },
    ]);
  });

  it("has one point for an item opened today", () => {
    const f = [finding({ maintenanceId: "ffffffff", createdOn: NOW - 1000 })];
    expect(burndown(f, NOW)).toEqual([{ date: "2026-11-23", open: 1 }]);
  });
});

describe("forecast", () => {
  it("is done when nothing is open, finished at the last close", () => {
    const m = "bbbbbbbb";
    const findings = [
      finding({ maintenanceId: m, createdOn: NOW - 30 * DAY, dueDate: NOW - 10 * DAY, closedOn: NOW - 25 * DAY, closeReason: "COMPLETE" }),
      finding({ maintenanceId: m, createdOn: NOW - 30 * DAY, dueDate: NOW - 10 * DAY, closedOn: NOW - 20 * DAY, closeReason: "COMPLETE" }),
    ];
    expect(forecast(findings, NOW, NOW - 10 * DAY)).toEqual({
      status: "done",
      pace: 0,
      paceWindowDays: 14,
      closedInWindow: 0,
      finishDate: NOW - 20 * DAY,
      beforeDue: true,
      daysLate: 0,
    });
  });

  it("is on time when the pace of the last 14 days finishes before the due date", () => {
    const m = "11111111";
    const findings = [
      // closed before the 14-day window: not part of the pace
      finding({ maintenanceId: m, createdOn: NOW - 28 * DAY, closedOn: NOW - 20 * DAY, closeReason: "COMPLETE" }),
      ...Array.from({ length: 7 }, (_, i) =>
        finding({ maintenanceId: m, createdOn: NOW - 28 * DAY, closedOn: NOW - (i + 1) * DAY, closeReason: "COMPLETE" }),
      ),
      ...Array.from({ length: 3 }, () => finding({ maintenanceId: m, createdOn: NOW - 28 * DAY })),
    ];
    // 7 closed in 14 days = 0.5/day; 3 open -> 6 days
    expect(forecast(findings, NOW, NOW + 30 * DAY)).toEqual({
      status: "on-time",
      pace: 0.5,
      paceWindowDays: 14,
      closedInWindow: 7,
      daysToFinish: 6,
      finishDate: NOW + 6 * DAY,
      daysLate: 0,
      beforeDue: true,
    });
  });

  it("rounds a partial day up, and a finish on the due date is on time", () => {
    const m = "22222222";
    const findings = [
      ...Array.from({ length: 2 }, (_, i) =>
        finding({ maintenanceId: m, createdOn: NOW - 20 * DAY, closedOn: NOW - i * DAY, closeReason: "COMPLETE" }),
      ),
      ...Array.from({ length: 15 }, () => finding({ maintenanceId: m, createdOn: NOW - 20 * DAY })),
    ];
    // 2 closed in 14 days = 1/7 per day; 15 open -> 105 days exactly
    const f = forecast(findings, NOW, NOW + 105 * DAY);
    expect(f.daysToFinish).toBe(105);
    expect(f.status).toBe("on-time");
    const g = forecast([...findings, finding({ maintenanceId: m, createdOn: NOW - 20 * DAY })], NOW, NOW + 105 * DAY);
    // 16 open -> 112 days, 7 days late
    expect(g).toMatchObject({ status: "late", daysToFinish: 112, daysLate: 7, beforeDue: false });
  });

  it("is not converging when nothing was closed lately, or the finish is more than three years out", () => {
    const m = "33333333";
    const stalled = [
      finding({ maintenanceId: m, createdOn: NOW - 100 * DAY, closedOn: NOW - 60 * DAY, closeReason: "COMPLETE" }),
      finding({ maintenanceId: m, createdOn: NOW - 100 * DAY }),
    ];
    expect(forecast(stalled, NOW, NOW - 50 * DAY)).toEqual({
      status: "not-converging",
      pace: 0,
      paceWindowDays: 14,
      closedInWindow: 0,
    });
    // 1 closed in 14 days; 79 open -> 1,106 days > 3 * 365
    const slow = [
      finding({ maintenanceId: m, createdOn: NOW - 100 * DAY, closedOn: NOW - DAY, closeReason: "COMPLETE" }),
      ...Array.from({ length: 79 }, () => finding({ maintenanceId: m, createdOn: NOW - 100 * DAY })),
    ];
    expect(forecast(slow, NOW, NOW + DAY)).toMatchObject({ status: "not-converging", closedInWindow: 1, pace: 1 / 14 });
    // 78 open -> 1,092 days: still a forecast
    expect(forecast(slow.slice(0, 79), NOW, NOW + DAY)).toMatchObject({ status: "late", daysToFinish: 1092 });
  });

  it("measures an item opened less than a day ago over one day", () => {
    const m = "44444444";
    const findings = [
      finding({ maintenanceId: m, createdOn: NOW - 3_600_000, closedOn: NOW - 60_000, closeReason: "COMPLETE" }),
      finding({ maintenanceId: m, createdOn: NOW - 3_600_000 }),
    ];
    expect(forecast(findings, NOW, NOW + 7 * DAY)).toMatchObject({ status: "on-time", paceWindowDays: 1, pace: 1, daysToFinish: 1 });
  });
});

describe("itemStats", () => {
  it("gives one entry per item, worst first: most overdue, then lowest completion", () => {
    const overdue = [
      finding({ maintenanceId: "cccccccc", createdOn: NOW - 100 * DAY, dueDate: NOW - 50 * DAY }),
      finding({ maintenanceId: "cccccccc", createdOn: NOW - 100 * DAY, dueDate: NOW - 50 * DAY }),
      finding({ maintenanceId: "cccccccc", createdOn: NOW - 100 * DAY, dueDate: NOW - 50 * DAY, closedOn: NOW - 60 * DAY }),
    ];
    const barelyStarted = [
      finding({ maintenanceId: "dddddddd", closedOn: NOW - DAY, closeReason: "COMPLETE" }),
      ...Array.from({ length: 9 }, () => finding({ maintenanceId: "dddddddd" })),
    ];
    const done = [finding({ maintenanceId: "bbbbbbbb", closedOn: NOW - DAY, closeReason: "COMPLETE" })];
    const all = itemStats([...done, ...itemA(), ...barelyStarted, ...overdue], NOW);
    expect(all.map((s) => [s.maintenanceId, s.overdue, s.completion])).toEqual([
      ["cccccccc", 2, 1 / 3],
      ["dddddddd", 0, 0.1],
      ["aaaaaaaa", 0, 0.5],
      ["bbbbbbbb", 0, 1],
    ]);
    expect(all[0]!.total).toBe(3);
  });

  it("is empty for no findings", () => {
    expect(itemStats([], NOW)).toEqual([]);
  });
});
