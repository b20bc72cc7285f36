import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakePagerDuty, startFakePagerDuty } from "../../../test/fakes/pagerduty.js";
import { ExternalServiceError, InputError } from "../../shared/errors.js";
import { PagerDutySource } from "./pagerduty.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe("PagerDutySource", () => {
  let pd: FakePagerDuty;
  const source = (token = "pd-token-1") => new PagerDutySource({ url: pd.url, token, timeoutMs: 500, backoffMs: 10 });

  beforeAll(async () => {
    // pages of 2 so that every list is followed through several pages
    pd = await startFakePagerDuty({ token: "pd-token-1", pageSize: 2 });
    pd.schedules.push(
      { id: "PSCHED1", name: "Primary" },
      { id: "PSCHED2", name: "Secondary" },
      { id: "PSCHED3", name: "Primary (old)" },
      { id: "PSCHED4", name: "Primary backup" },
      { id: "PDUP001", name: "Twin" },
      { id: "PDUP002", name: "Twin" },
    );
    pd.users.push(
      { id: "PU1", name: "Alice", email: "alice@example.org" },
      { id: "PU2", name: "Bob", email: "bob@example.org" },
      { id: "PU3", name: "Carol", email: "carol@example.org" },
    );
  });
  afterAll(() => pd.close());
  beforeEach(() => {
    pd.oncalls.length = 0;
    pd.failNext();
    pd.failAlways(undefined);
  });

  it("finds schedules by name across pages and by id, follows /oncalls pages, reads emails", async () => {
    pd.oncalls.push(
      { scheduleId: "PSCHED1", userId: "PU1", start: iso(NOW - HOUR), end: iso(NOW + 2 * HOUR) },
      { scheduleId: "PSCHED2", userId: "PU2" },
      { scheduleId: "PSCHED2", userId: "PU1" },
      // starts after the look-ahead: not on call
      { scheduleId: "PSCHED1", userId: "PU3", start: iso(NOW + 2 * HOUR), end: iso(NOW + 3 * HOUR) },
      // another schedule of the escalation policy: not ours
      { scheduleId: "PSCHED4", userId: "PU3" },
    );
    const answer = await source().onCall(["Primary", "PSCHED2"], NOW, NOW + HOUR);
    expect(answer.schedules).toEqual([
      { id: "PSCHED1", name: "Primary" },
      { id: "PSCHED2", name: "Secondary" },
    ]);
    expect(answer.people).toEqual([
      { email: "alice@example.org", name: "Alice", pagerdutyId: "PU1", schedules: ["Primary", "Secondary"] },
      { email: "bob@example.org", name: "Bob", pagerdutyId: "PU2", schedules: ["Secondary"] },
    ]);
    const oncalls = pd.requests.filter((r) => r.path === "/oncalls");
    expect(oncalls.length).toBeGreaterThanOrEqual(2);
    expect(oncalls.map((r) => r.query.get("offset"))).toEqual(["0", "2"].slice(0, oncalls.length));
    expect(oncalls[0]!.query.getAll("schedule_ids[]")).toEqual(["PSCHED1", "PSCHED2"]);
    expect(oncalls[0]!.query.get("since")).toBe(iso(NOW));
    expect(oncalls[0]!.query.get("until")).toBe(iso(NOW + HOUR));
    expect(pd.requests.every((r) => r.headers.authorization === "Token token=pd-token-1")).toBe(true);
  });

  it("an unknown or ambiguous schedule name is an error, not an empty list", async () => {
    await expect(source().onCall(["Tertiary"], NOW, NOW + 3_600_000)).rejects.toBeInstanceOf(InputError);
    await expect(source().onCall(["Tertiary"], NOW, NOW + HOUR)).rejects.toThrow(/PagerDuty has no schedule named "Tertiary"/);
    await expect(source().onCall(["Twin"], NOW, NOW + HOUR)).rejects.toThrow(/2 schedules named "Twin" \(PDUP001, PDUP002\)/);
  });

  it("a refused token is exit 3 and does not show the token", async () => {
    const error = await source("pd-wrong-token").onCall(["Primary"], NOW, NOW + HOUR).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as Error).message).toMatch(/PagerDuty \(GET \/schedules\): the credentials were refused \(HTTP 401\)/);
    expect((error as Error).message).not.toContain("pd-wrong-token");
  });

  it("retries 429 after Retry-After and 5xx with backoff", async () => {
    pd.oncalls.push({ scheduleId: "PSCHED1", userId: "PU1" });
    pd.failNext({ status: 429, retryAfter: "1" }, { status: 502 });
    const started = Date.now();
    const answer = await source().onCall(["PSCHED1"], NOW, NOW + HOUR);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(answer.people.map((p) => p.email)).toEqual(["alice@example.org"]);
  });

  it("persistent 5xx and no answer are ExternalServiceErrors naming PagerDuty", async () => {
    pd.failAlways({ status: 503 });
    await expect(source().onCall(["Primary"], NOW, NOW + HOUR)).rejects.toThrow(/PagerDuty \(GET \/schedules\): HTTP 503 \(tried 4 times\)/);
    pd.failAlways({ hang: true });
    const error = await new PagerDutySource({ url: pd.url, token: "pd-token-1", timeoutMs: 200, backoffMs: 1 }).onCall(["Primary"], NOW, NOW + HOUR).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as Error).message).toMatch(/PagerDuty \(GET \/schedules\): no answer within 0.2 s/);
  });
});
