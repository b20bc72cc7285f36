/**
 * A small HTTP server on 127.0.0.1 for the fakes: records every request and
 * can be told to fail the next ones (429 with Retry-After, 5xx, no answer).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Fault = { status: number; retryAfter?: string } | { hang: true };

export interface FakeReply {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** the next requests (one fault each) fail this way */
  failNext(...faults: Fault[]): void;
  /** every request fails this way until cleared */
  failAlways(fault: Fault | undefined): void;
  close(): Promise<void>;
}

export async function startFakeServer(handle: (req: RecordedRequest) => FakeReply | Promise<FakeReply>): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const queue: Fault[] = [];
  let always: Fault | undefined;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const recorded = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, body };
      requests.push(recorded);
      const fault = queue.shift() ?? always;
      if (fault) {
        if ("hang" in fault) {
          hanging.add(res);
          return;
        }
        res.writeHead(fault.status, { "content-type": "application/json", ...(fault.retryAfter ? { "retry-after": fault.retryAfter } : {}) });
        res.end(JSON.stringify({ error: { message: `fake ${fault.status}` } }));
        return;
      }
      try {
        const reply = await handle(recorded);
        const headers: Record<string, string> = { ...reply.headers };
        if (reply.json !== undefined) headers["content-type"] = "application/json";
        res.writeHead(reply.status ?? 200, headers);
        res.end(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ""));
      } catch (error) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`fake server bug: ${(error as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (...faults) => queue.push(...faults),
    failAlways: (fault) => {
      always = fault;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** offset/limit paging as PagerDuty does it, with the fake's own page size cap */
export function pageOf<T>(items: T[], query: URLSearchParams, cap: number): { items: T[]; limit: number; offset: number; more: boolean; total: number } {
  const limit = Math.min(Number(query.get("limit") ?? 25), cap);
  const offset = Number(query.get("offset") ?? 0);
  const page = items.slice(offset, offset + limit);
  return { items: page, limit, offset, more: offset + limit < items.length, total: items.length };
}
