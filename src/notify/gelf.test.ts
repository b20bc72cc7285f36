import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GelfListener, startGelfListener } from "../../test/fakes/gelf-listener.js";
import { GelfSender, udpDatagrams } from "./gelf.js";

describe("GELF", () => {
  let listener: GelfListener;
  beforeAll(async () => {
    listener = await startGelfListener();
  });
  afterAll(() => listener.close());

  const message = { short_message: "oncall sync: +1 -1", level: 6, fields: { group: "cn=oncall", added: "carol", id: "x" } };

  it("sends a small UDP message as one uncompressed datagram with GELF 1.1 fields", async () => {
    const start = listener.messages.length;
    await new GelfSender({ host: "127.0.0.1", port: listener.udpPort, protocol: "udp", source: "test-host" }).send(message, 1_700_000_000_000);
    const [m] = (await listener.waitFor(start + 1)).slice(start);
    expect(m).toEqual({
      version: "1.1",
      host: "test-host",
      short_message: "oncall sync: +1 -1",
      timestamp: 1_700_000_000,
      level: 6,
      _group: "cn=oncall",
      _added: "carol",
    });
    expect(listener.datagrams.at(-1)![0]).toBe(0x7b); // "{": plain JSON
  });

  it("compresses large UDP messages and chunks them when they do not fit", async () => {
    const start = listener.messages.length;
    const startDatagrams = listener.datagrams.length;
    // random text does not compress well: several chunks of 1000 bytes
    const full = Array.from({ length: 400 }, () => Math.random().toString(36).slice(2)).join(" ");
    const sender = new GelfSender({ host: "127.0.0.1", port: listener.udpPort, protocol: "udp", chunkSize: 1000 });
    await sender.send({ ...message, full_message: full });
    const [m] = (await listener.waitFor(start + 1)).slice(start);
    expect(m!.full_message).toBe(full);
    const sent = listener.datagrams.slice(startDatagrams);
    expect(sent.length).toBeGreaterThan(1);
    for (const [i, d] of sent.entries()) {
      expect([d[0], d[1]]).toEqual([0x1e, 0x0f]);
      expect(d[10]).toBe(i);
      expect(d[11]).toBe(sent.length);
      expect(d.subarray(2, 10)).toEqual(sent[0]!.subarray(2, 10));
    }
    expect(sent[0]![12]).toBe(0x78); // zlib
  });

  it("refuses a message that would need more than 128 chunks", () => {
    const huge = Array.from({ length: 20_000 }, () => Math.random().toString(36)).join("");
    expect(() => udpDatagrams(huge, { chunkSize: 100 })).toThrow(/at most 128/);
  });

  it("sends over TCP as a NUL-terminated frame", async () => {
    const start = listener.messages.length;
    await new GelfSender({ host: "127.0.0.1", port: listener.tcpPort, protocol: "tcp" }).send(message);
    const [m] = (await listener.waitFor(start + 1)).slice(start);
    expect(m).toMatchObject({ version: "1.1", short_message: "oncall sync: +1 -1", _group: "cn=oncall" });
  });
});
