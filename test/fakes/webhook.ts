/**
 * A receiver of dm's alert webhooks on 127.0.0.1, written as docs/alerts-webhook.md
 * tells receivers to be: it checks X-DM-Signature with the shared secret
 * (401 when it does not match), and de-duplicates by Idempotency-Key (a
 * second delivery is answered 200 and not recorded again).
 * `deliveries` holds every request that reached it, `bodies` the accepted
 * notifications, once each. Faults: startFakeServer's failNext/failAlways
 * (answered before the body is taken), and `receiveThenFail(...faults)`:
 * the next bodies are taken and recorded, then answered with the fault.
 */
import { verifySignature } from "../../src/notify/destinations.js";
import { type Fault, type FakeReply, type FakeServer, type RecordedRequest, startFakeServer } from "./http.js";

export interface FakeWebhook extends FakeServer {
  /** the URL to configure (…/dm-alerts) */
  hookUrl: string;
  deliveries: RecordedRequest[];
  /** the accepted bodies, parsed, once per Idempotency-Key */
  bodies: Record<string, unknown>[];
  /** requests refused for a bad or missing signature */
  badSignatures: number;
  receiveThenFail(...faults: Fault[]): void;
}

export async function startFakeWebhook(options: { secret: string; path?: string }): Promise<FakeWebhook> {
  const path = options.path ?? "/dm-alerts";
  const deliveries: RecordedRequest[] = [];
  const bodies: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const afterReceiving: Fault[] = [];
  let bad = 0;
  const server = await startFakeServer((req): FakeReply | Promise<FakeReply> => {
    if (req.method !== "POST" || req.path !== path) return { status: 404, text: "not here" };
    deliveries.push(req);
    if (!verifySignature(req.body, req.headers["x-dm-signature"], options.secret)) {
      bad++;
      return { status: 401, text: "bad signature" };
    }
    const key = req.headers["idempotency-key"];
    if (typeof key !== "string" || key === "") return { status: 400, text: "no Idempotency-Key" };
    if (!seen.has(key)) {
      seen.add(key);
      bodies.push(JSON.parse(req.body) as Record<string, unknown>);
    }
    const fault = afterReceiving.shift();
    if (fault && "hang" in fault) return new Promise<FakeReply>(() => undefined);
    if (fault) return { status: fault.status, text: "failed after receiving" };
    return { status: 202, json: { received: true } };
  });
  const hook: FakeWebhook = Object.assign(server, {
    hookUrl: `${server.url}${path}`,
    deliveries,
    bodies,
    badSignatures: 0,
    receiveThenFail: (...faults: Fault[]) => {
      afterReceiving.push(...faults);
    },
  });
  Object.defineProperty(hook, "badSignatures", { get: () => bad });
  return hook;
}
