/**
 * J1QL queries under load and past their time limit, in-process: more queries than the server runs at once
 * wait in a bounded queue instead of being refused; a full queue or a wait past its limit is a 503 (busy,
 * Retry-After) logged once at warn without a stack; a query past its time limit is really stopped (SQLite:
 * its process is killed; PostgreSQL: the statement is cancelled).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ServerLimits } from "../src/server/route.js";
import { BACKENDS, type Backend } from "./helpers/pg.js";
import { isGone, processInfo, selectProcesses, waitFor } from "./helpers/select-processes.js";
import { hostMesh, startTestServer, type TestServer } from "./helpers/server.js";

/** Six hops over 200 hosts with 15 edges each: minutes of work, far past any limit below. */
const SLOW = "Find Host as a that USES Host as b that USES Host as c that USES Host as d that USES Host as e that USES Host as f return count(a) as n";
const QUICK = "Find Host with name='h1'";

async function serverWithGraph(backend: Backend, limits: Partial<ServerLimits>): Promise<TestServer> {
  const t = await startTestServer(backend, { limits: { rateLimitPerMinute: 100_000, ...limits } });
  await t.store.upsert(hostMesh(200, 15), { now: Date.now() });
  return t;
}

const query = (t: TestServer, text: string) => t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: text } });

describe.each(BACKENDS)("the query queue: %s", (backend) => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("answers 40 concurrent queries, all 200, more than run at once", async () => {
    t = await serverWithGraph(backend, {});
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => query(t!, `Find Host with name='h${i}'`)));
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(answers.map((a) => a.json.data[0].properties.name)).toEqual(Array.from({ length: 40 }, (_, i) => `h${i}`));
    expect(t.log.filter((l) => l.includes('"level":40') || l.includes('"level":50'))).toEqual([]);
  });

  it("queues a query while every slot runs a slow one, and answers it 200 once a slot frees", async () => {
    t = await serverWithGraph(backend, { queryTimeoutMs: 1500 });
    const slots = t.server.app.queries.concurrency;
    const slow = Array.from({ length: slots }, () => query(t!, SLOW));
    expect(await waitFor(() => t!.server.app.queries.active === slots, 5000)).toBe(true);
    const order: string[] = [];
    const quick = query(t, QUICK).then((r) => {
      order.push("quick");
      return r;
    });
    expect(await waitFor(() => t!.server.app.queries.queued === 1, 2000)).toBe(true);
    const slowAnswers = await Promise.all(
      slow.map((p) =>
        p.then((r) => {
          order.push("slow");
          return r;
        }),
      ),
    );
    const answer = await quick;
    expect(slowAnswers.map((r) => r.status)).toEqual(Array(slots).fill(504));
    expect(answer.status).toBe(200);
    expect(answer.json.data).toHaveLength(1);
    expect(order.indexOf("quick")).toBeGreaterThanOrEqual(1);
  });

  it("refuses with 503 busy and Retry-After when the queue is full, logged once at warn without a stack", async () => {
    t = await serverWithGraph(backend, { queryTimeoutMs: 2000, queryQueue: 1 });
    const slots = t.server.app.queries.concurrency;
    const slow = Array.from({ length: slots }, () => query(t!, SLOW));
    expect(await waitFor(() => t!.server.app.queries.active === slots, 5000)).toBe(true);
    const waiting = query(t, QUICK);
    expect(await waitFor(() => t!.server.app.queries.queued === 1, 2000)).toBe(true);
    const before = t.log.length;
    const refused = await query(t, QUICK);
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe("busy");
    expect(refused.headers.get("retry-after")).toBe("1");
    const lines = t.log.slice(before).map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: "request refused", status: 503, reason: "busy", route: "/api/v1/query" })]);
    expect(JSON.stringify(lines)).not.toContain("stack");
    expect((await waiting).status).toBe(200);
    await Promise.all(slow);
  });

  it("refuses with 503 a query that waited past the queue's wait limit, before the slow ones end", async () => {
    t = await serverWithGraph(backend, { queryTimeoutMs: 3000, queryQueueWaitMs: 200 });
    const slots = t.server.app.queries.concurrency;
    let slowDone = 0;
    const slow = Array.from({ length: slots }, () =>
      query(t!, SLOW).then((r) => {
        slowDone++;
        return r;
      }),
    );
    expect(await waitFor(() => t!.server.app.queries.active === slots, 5000)).toBe(true);
    const refused = await query(t, QUICK);
    expect(refused.status).toBe(503);
    expect(refused.json.error.message).toContain("waited 200 ms");
    expect(slowDone).toBe(0);
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual(Array(slots).fill(504));
  });
});

describe("a query past its time limit is really stopped: sqlite", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("kills the query's process at the limit: it is gone within a second of the 504, and a new one serves", async () => {
    t = await serverWithGraph("sqlite", { queryTimeoutMs: 1000 });
    // A quick query first starts one select process.
    expect((await query(t, QUICK)).status).toBe(200);
    const slow = query(t, SLOW);
    // The slow query's process burns CPU while it runs.
    let busy: number | undefined;
    expect(
      await waitFor(() => {
        busy = selectProcesses(process.pid).find((p) => p.state === "R")?.pid;
        return busy !== undefined;
      }, 900),
    ).toBe(true);
    const ticks = processInfo(busy!)!.cpuTicks;
    const answer = await slow;
    expect(answer.status).toBe(504);
    expect(answer.json.error.code).toBe("query_timeout");
    expect(processInfo(busy!)?.cpuTicks ?? Number.POSITIVE_INFINITY).toBeGreaterThanOrEqual(ticks);
    const answeredAt = Date.now();
    expect(await waitFor(() => isGone(busy!), 1000)).toBe(true);
    expect(Date.now() - answeredAt).toBeLessThan(1000);
    const again = await query(t, QUICK);
    expect(again.status).toBe(200);
    expect(selectProcesses(process.pid).map((p) => p.pid)).not.toContain(busy);
  });

  it("kills the select processes when the server stops, even in the middle of a statement", async () => {
    t = await serverWithGraph("sqlite", { queryTimeoutMs: 60_000 });
    // Its connection is cut at the end of the grace.
    const slow = query(t, SLOW).catch((error: unknown) => error);
    expect(await waitFor(() => selectProcesses(process.pid).length === 1, 5000)).toBe(true);
    const [child] = selectProcesses(process.pid);
    const started = Date.now();
    await t.server.stop(300);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitFor(() => isGone(child!.pid), 1000)).toBe(true);
    expect(await slow).toBeInstanceOf(Error);
  });
});

describe("a query past its time limit is really stopped: postgres", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("cancels the statement at the limit: no backend runs it a second after the 504", async () => {
    t = await serverWithGraph("postgres", { queryTimeoutMs: 1000 });
    const running = async () =>
      Number(
        (
          await t!.store.select(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query NOT LIKE '%pg_stat_activity%' AND datname = current_database()",
            [],
          )
        )[0]!.n,
      );
    const slow = query(t, SLOW);
    await new Promise((r) => setTimeout(r, 500));
    expect(await running()).toBe(1);
    const answer = await slow;
    expect(answer.status).toBe(504);
    const answeredAt = Date.now();
    let n = 1;
    while (n > 0 && Date.now() - answeredAt < 1000) n = await running();
    expect(n).toBe(0);
  });
});
