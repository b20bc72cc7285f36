/**
 * GELF 1.1 to Graylog over UDP or TCP. UDP messages are zlib-compressed when
 * large and split into chunks (magic 0x1e 0x0f, 8-byte message id, sequence
 * number, sequence count) when they do not fit in one datagram; TCP frames
 * are uncompressed JSON ended by a NUL byte, as Graylog's TCP input expects.
 */
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";
import os from "node:os";
import { deflateSync } from "node:zlib";

export interface GelfMessage {
  short_message: string;
  full_message?: string;
  /** syslog levels: 3 error, 4 warning, 6 info */
  level: number;
  /** additional fields, without the leading underscore */
  fields?: Record<string, string | number | boolean>;
}

export interface GelfSettings {
  host: string;
  port: number;
  protocol: "udp" | "tcp";
  /** the `host` field: this machine by default */
  source?: string;
  /** bytes of payload per UDP chunk (default 8180: 8192 minus the 12-byte header) */
  chunkSize?: number;
  /** compress UDP payloads larger than this (default 1024 bytes) */
  compressAbove?: number;
  timeoutMs?: number;
}

const MAX_CHUNKS = 128;

export function gelfPayload(message: GelfMessage, source: string, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    version: "1.1",
    host: source,
    short_message: message.short_message,
    timestamp: now / 1000,
    level: message.level,
  };
  if (message.full_message) out.full_message = message.full_message;
  for (const [k, v] of Object.entries(message.fields ?? {})) {
    if (k === "id") continue; // reserved by GELF
    out[`_${k.replace(/[^\w.-]/g, "_")}`] = v;
  }
  return out;
}

/** The datagrams for one UDP message: one when it fits, else chunks. */
export function udpDatagrams(json: string, options: { chunkSize?: number; compressAbove?: number } = {}): Buffer[] {
  const raw = Buffer.from(json, "utf8");
  const body = raw.length > (options.compressAbove ?? 1024) ? deflateSync(raw) : raw;
  const size = options.chunkSize ?? 8180;
  if (body.length <= size) return [body];
  const count = Math.ceil(body.length / size);
  if (count > MAX_CHUNKS) throw new Error(`GELF message too large: ${count} chunks (at most ${MAX_CHUNKS})`);
  const id = randomBytes(8);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Buffer.concat([Buffer.from([0x1e, 0x0f]), id, Buffer.from([i, count]), body.subarray(i * size, (i + 1) * size)]));
  }
  return out;
}

export class GelfSender {
  constructor(private readonly s: GelfSettings) {}

  async send(message: GelfMessage, now = Date.now()): Promise<void> {
    const json = JSON.stringify(gelfPayload(message, this.s.source ?? os.hostname(), now));
    if (this.s.protocol === "udp") await this.sendUdp(json);
    else await this.sendTcp(json);
  }

  private async sendUdp(json: string): Promise<void> {
    const datagrams = udpDatagrams(json, this.s);
    const socket = dgram.createSocket(net.isIPv6(this.s.host) ? "udp6" : "udp4");
    try {
      for (const d of datagrams) {
        await new Promise<void>((resolve, reject) => socket.send(d, this.s.port, this.s.host, (e) => (e ? reject(e) : resolve())));
      }
    } finally {
      socket.close();
    }
  }

  private sendTcp(json: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.s.host, port: this.s.port });
      socket.setTimeout(this.s.timeoutMs ?? 5000, () => {
        // still connecting: nothing was sent (code DM_CONNECT_TIMEOUT, which fetch-json's neverSent knows)
        const error = new Error(`${socket.connecting ? "cannot connect" : "no answer"} within ${(this.s.timeoutMs ?? 5000) / 1000} s`);
        if (socket.connecting) Object.assign(error, { code: "DM_CONNECT_TIMEOUT" });
        socket.destroy(error);
      });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.end(Buffer.concat([Buffer.from(json, "utf8"), Buffer.from([0])]), () => resolve());
      });
    });
  }
}
