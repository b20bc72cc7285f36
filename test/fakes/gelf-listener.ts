/**
 * A Graylog GELF input on 127.0.0.1: UDP (plain, zlib or gzip compressed,
 * chunked: 0x1e 0x0f, 8-byte message id, sequence number, sequence count)
 * and TCP (uncompressed frames ended by a NUL byte). Decoded messages are
 * collected in `messages`.
 */
import dgram from "node:dgram";
import net from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";

export interface GelfListener {
  udpPort: number;
  tcpPort: number;
  messages: Record<string, unknown>[];
  /** raw UDP datagrams received (to check chunking) */
  datagrams: Buffer[];
  /** resolves when `count` messages have arrived (or rejects after timeoutMs) */
  waitFor(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export function decodeGelfPayload(payload: Buffer): Record<string, unknown> {
  let text: Buffer = payload;
  if (payload[0] === 0x1f && payload[1] === 0x8b) text = gunzipSync(payload);
  else if (payload[0] === 0x78) text = inflateSync(payload);
  return JSON.parse(text.toString("utf8")) as Record<string, unknown>;
}

export async function startGelfListener(): Promise<GelfListener> {
  const messages: Record<string, unknown>[] = [];
  const datagrams: Buffer[] = [];
  const chunks = new Map<string, { count: number; parts: Map<number, Buffer> }>();
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg) => {
    datagrams.push(msg);
    if (msg[0] === 0x1e && msg[1] === 0x0f) {
      const id = msg.subarray(2, 10).toString("hex");
      const seq = msg[10]!;
      const count = msg[11]!;
      const entry = chunks.get(id) ?? { count, parts: new Map() };
      entry.parts.set(seq, msg.subarray(12));
      chunks.set(id, entry);
      if (entry.parts.size === entry.count) {
        chunks.delete(id);
        const whole = Buffer.concat([...Array(entry.count).keys()].map((i) => entry.parts.get(i)!));
        messages.push(decodeGelfPayload(whole));
      }
      return;
    }
    messages.push(decodeGelfPayload(msg));
  });
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    socket.on("data", (data) => {
      buffered = Buffer.concat([buffered, data]);
      for (let nul = buffered.indexOf(0); nul >= 0; nul = buffered.indexOf(0)) {
        messages.push(JSON.parse(buffered.subarray(0, nul).toString("utf8")) as Record<string, unknown>);
        buffered = buffered.subarray(nul + 1);
      }
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  return {
    udpPort: udp.address().port,
    tcpPort: (tcp.address() as net.AddressInfo).port,
    messages,
    datagrams,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`GELF listener: ${messages.length} of ${count} messages after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return messages;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
