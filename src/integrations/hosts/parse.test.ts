import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  normaliseColumn,
  ParseError,
  parseHostInventory,
  parseJsonDocuments,
  parseOsquery,
  parseTimestamp,
  readCsv,
} from "./parse.js";

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

function thrown(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

const host = (hostname: string, props: Record<string, unknown> = {}) => ({
  _key: `host:${hostname.toLowerCase()}`,
  _type: "host",
  _class: "Host",
  displayName: hostname,
  hostname,
  ...props,
});

describe("host inventory: CSV", () => {
  it("reads the fixture: hosts, and a warning with the line for each bad row", () => {
    expect(parseHostInventory(fixture("inventory.csv"), "inventory.csv")).toEqual({
      entities: [
        host("web-1", {
          os: "Ubuntu 22.04.3 LTS",
          kernel: "5.15.0-91-generic",
          lastPatchedOn: Date.UTC(2024, 0, 15),
          lastRebuiltOn: Date.UTC(2023, 5, 1, 8, 30),
          environment: "production",
          deployment: "mutable-vm",
          mutable: true,
        }),
        host("web-2", {
          os: "Ubuntu 22.04.3 LTS",
          kernel: "5.15.0-91-generic",
          lastPatchedOn: Date.UTC(2024, 0, 15, 20, 10),
          environment: "production",
          deployment: "mutable-vm",
          mutable: true,
        }),
        host("db-1", {
          os: "Red Hat Enterprise Linux 9.3 (Plow)",
          kernel: "5.14.0-362.13.1.el9_3.x86_64",
          lastPatchedOn: Date.UTC(2023, 10, 2),
          lastRebuiltOn: Date.UTC(2021, 2, 14),
          environment: "production",
          deployment: "bare-metal",
          mutable: true,
        }),
        host("api-7f9c", {
          os: "Alpine Linux v3.19",
          lastRebuiltOn: Date.UTC(2024, 1, 1),
          environment: "staging",
          deployment: "immutable-container",
          mutable: false,
        }),
        host("legacy-1", {
          os: 'CentOS Linux 7 "Core"',
          kernel: "3.10.0-1160.el7.x86_64",
          lastPatchedOn: Date.UTC(2019, 7, 30),
          lastRebuiltOn: Date.UTC(2016, 1, 29, 9, 15),
          environment: "production",
          deployment: "mutable-vm",
          mutable: true,
        }),
        host("lambda-orders", {
          os: "Amazon Linux 2023",
          environment: "production, eu-west-1",
          deployment: "serverless",
          mutable: false,
        }),
      ],
      relationships: [],
      warnings: [
        { file: "inventory.csv", line: 7, message: "missing hostname; row skipped" },
        {
          file: "inventory.csv",
          line: 9,
          message: 'last_patched: "2024-13-01" is not a date (YYYY-MM-DD or ISO 8601); row skipped',
        },
        {
          file: "inventory.csv",
          line: 11,
          message: 'deployment: "desktop" is not one of mutable-vm, bare-metal, immutable-vm, immutable-container, serverless; row skipped',
        },
        { file: "inventory.csv", line: 12, message: "duplicate hostname web-1 (first on line 2); row skipped" },
        { file: "inventory.csv", line: 13, message: "expected 7 fields, found 6; row skipped" },
        { file: "inventory.csv", line: 14, message: 'bad hostname "bastion\\n-1"; row skipped' },
        { file: "inventory.csv", line: 16, message: "text after a closing quote; row skipped" },
      ],
    });
  });

  it("throws for a file without a hostname column, and reads an empty file as no hosts", () => {
    const e = thrown(() => parseHostInventory("name,os\nweb-1,linux\n", "hosts.csv"));
    expect(e).toMatchObject({ file: "hosts.csv", line: 1, reason: 'no "hostname" column in the header (name, os)' });
    expect(e.message).toBe('hosts.csv, line 1: no "hostname" column in the header (name, os)');
    expect(parseHostInventory("", "hosts.csv")).toEqual({ entities: [], relationships: [], warnings: [] });
    expect(parseHostInventory("HOSTNAME\r\n", "hosts.csv")).toEqual({ entities: [], relationships: [], warnings: [] });
  });

  it("throws for an unterminated quote, naming the line where it opened", () => {
    expect(thrown(() => parseHostInventory('hostname,os\nweb-1,"Ubuntu\nweb-2,x\n', "h.csv"))).toMatchObject({
      line: 2,
      reason: "unterminated quoted field",
    });
  });
});

describe("host inventory: JSON", () => {
  it("reads { hosts: [...] } with case-insensitive keys and warns with lines", () => {
    expect(parseHostInventory(fixture("inventory.json"), "inventory.json")).toEqual({
      entities: [
        host("Edge-1.example.com", {
          os: "Debian GNU/Linux 12 (bookworm)",
          kernel: "6.1.0-17-amd64",
          lastPatchedOn: Date.UTC(2024, 1, 20, 15),
          lastRebuiltOn: Date.UTC(2022, 8, 30),
          environment: "production",
          deployment: "bare-metal",
          mutable: true,
        }),
        host("worker-3", { deployment: "immutable-container", mutable: false }),
        host("fn-billing", { environment: "production", deployment: "serverless", mutable: false }),
      ],
      relationships: [],
      warnings: [
        {
          file: "inventory.json",
          line: 14,
          message: 'last_patched: "yesterday" is not a date (YYYY-MM-DD or ISO 8601); row skipped',
        },
        { file: "inventory.json", line: 15, message: "missing hostname; row skipped" },
        { file: "inventory.json", line: 16, message: "a host must be an object; skipped" },
      ],
    });
  });

  it("reads a bare array, whatever the file is called", () => {
    const text = '[\n  {"hostname": "a", "deployment": "serverless"},\n  {"hostname": "b", "deployment": "vm"}\n]';
    expect(parseHostInventory(text, "hosts.txt")).toEqual({
      entities: [host("a", { deployment: "serverless", mutable: false })],
      relationships: [],
      warnings: [
        {
          file: "hosts.txt",
          line: 3,
          message: 'deployment: "vm" is not one of mutable-vm, bare-metal, immutable-vm, immutable-container, serverless; row skipped',
        },
      ],
    });
  });

  it("throws for JSON that is not an inventory or not JSON", () => {
    expect(thrown(() => parseHostInventory('{"servers": []}', "h.json"))).toMatchObject({
      line: 1,
      reason: 'expected an array of hosts or { "hosts": [...] }',
    });
    expect(thrown(() => parseHostInventory('[\n  {"hostname": "a",}\n]', "h.json"))).toMatchObject({
      line: 2,
      reason: 'not valid JSON: expected a property name in ""',
    });
  });
});

describe("osquery results", () => {
  it("reads osqueryi --json results keyed by query name", () => {
    const pkg = (name: string, version: string) => ({
      _key: `deb:${name}@${version}`,
      _type: "deb_package",
      _class: "CodeModule",
      displayName: `${name}@${version}`,
      name,
      version,
    });
    const edge = (key: string, arch: string) => ({
      _key: `host:web-1|has|${key}`,
      _type: "host_has_deb_package",
      _class: "HAS",
      _fromEntityKey: "host:web-1",
      _toEntityKey: key,
      arch,
    });
    expect(parseOsquery(fixture("osquery-web-1.json"), "osquery-web-1.json")).toEqual({
      entities: [
        host("web-1", {
          osVersion: "Ubuntu 22.04.3 LTS (Jammy Jellyfish)",
          kernel: "5.15.0-91-generic",
          uptimeSeconds: 1049141,
        }),
        pkg("openssl", "3.0.2-0ubuntu1.12"),
        // libc6 is there for amd64 and i386: one package
        pkg("libc6", "2.35-0ubuntu3.5"),
        pkg("nginx-core", "1.18.0-6ubuntu14.4"),
        // apache2 is removed (only its configuration files remain): not a package of the host
        pkg("tzdata", "2023c-0ubuntu0.22.04.2"),
      ],
      relationships: [
        edge("deb:openssl@3.0.2-0ubuntu1.12", "amd64"),
        edge("deb:libc6@2.35-0ubuntu3.5", "amd64"),
        edge("deb:nginx-core@1.18.0-6ubuntu14.4", "amd64"),
        edge("deb:tzdata@2023c-0ubuntu0.22.04.2", "all"),
      ],
      warnings: [
        { file: "osquery-web-1.json", line: 20, message: "deb_packages: broken-pkg has no version; skipped" },
        { file: "osquery-web-1.json", line: 21, message: "a deb_packages row must be an object; skipped" },
      ],
    });
  });

  it("reads osqueryd result logs (snapshot, diffResults, event lines), one JSON object per line", () => {
    const pkg = (name: string, version: string) => ({
      _key: `rpm:${name}@${version}`,
      _type: "rpm_package",
      _class: "CodeModule",
      displayName: `${name}@${version}`,
      name,
      version,
    });
    const result = parseOsquery(fixture("osqueryd.results.log"), "osqueryd.results.log");
    expect(result.entities).toEqual([
      host("db-1.internal", {
        osVersion: "Red Hat Enterprise Linux 9.3 (Plow)",
        kernel: "5.14.0-362.13.1.el9_3.x86_64",
        uptimeSeconds: 3456005,
      }),
      // epoch 1 is part of the version; epoch 0 or empty is not
      pkg("openssl-libs", "1:3.0.7-24.el9"),
      pkg("postgresql-server", "13.11-1.el9"),
      pkg("bash", "5.1.8-6.el9_1"),
    ]);
    expect(result.relationships.map((r) => [r._key, r._type, r._class, r.arch])).toEqual([
      ["host:db-1.internal|has|rpm:openssl-libs@1:3.0.7-24.el9", "host_has_rpm_package", "HAS", "x86_64"],
      ["host:db-1.internal|has|rpm:postgresql-server@13.11-1.el9", "host_has_rpm_package", "HAS", "x86_64"],
      ["host:db-1.internal|has|rpm:bash@5.1.8-6.el9_1", "host_has_rpm_package", "HAS", "x86_64"],
    ]);
    expect(result.warnings).toEqual([{ file: "osqueryd.results.log", line: 5, message: "rpm_packages: no name; skipped" }]);
  });

  it("reads a bare array of rows (table told by its columns) for a host name given", () => {
    const result = parseOsquery(fixture("osquery-rows.json"), "rows.json", { hostname: "rhel-2" });
    expect(result.entities.map((e) => e._key)).toEqual(["host:rhel-2", "rpm:curl@7.76.1-26.el9_3.2", "rpm:zlib@1.2.11-40.el9"]);
    expect(result.entities[0]).toEqual(host("rhel-2"));
    expect(result.relationships.map((r) => r._fromEntityKey)).toEqual(["host:rhel-2", "host:rhel-2"]);
    expect(result.warnings).toEqual([]);
  });

  it("the host name given wins over system_info", () => {
    const text = '{"system_info": [{"hostname": "ip-10-0-0-1"}], "kernel_info": [{"version": "6.1", "arguments": "", "path": "/boot/vmlinuz"}]}';
    expect(parseOsquery(text, "x.json", { hostname: "web-9" }).entities).toEqual([host("web-9", { kernel: "6.1" })]);
    expect(parseOsquery(text, "x.json").entities).toEqual([host("ip-10-0-0-1", { kernel: "6.1" })]);
  });

  it("throws without a host name, or with results of several hosts", () => {
    expect(thrown(() => parseOsquery(fixture("osquery-rows.json"), "rows.json")).reason).toBe(
      "no host name: include a system_info (hostname) query or give the host name",
    );
    const two = '{"system_info": [{"hostname": "a"}, {"hostname": "b"}]}';
    expect(thrown(() => parseOsquery(two, "two.json")).reason).toBe("results from several hosts (a, b); give one host's results");
    expect(thrown(() => parseOsquery('"text"', "t.json")).reason).toBe(
      "expected osquery results (an array of rows or an object keyed by query name)",
    );
  });

  it("warns about unnamed results it cannot recognise and bad uptime rows", () => {
    const text = '[\n{"pid": "1", "port": "22"}\n]\n{"uptime": [\n{"total_seconds": "soon"}\n]}';
    expect(parseOsquery(text, "x.json", { hostname: "h" }).warnings).toEqual([
      { file: "x.json", line: 1, message: "results of an unknown query (no name, columns not recognised); skipped" },
      { file: "x.json", line: 5, message: 'uptime: total_seconds "soon" is not a number; skipped' },
    ]);
  });
});

describe("helpers", () => {
  it("readCsv: quotes, escaped quotes, line breaks in fields, CRLF, BOM, blank lines", () => {
    expect(readCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",\n', "f.csv")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x, y", 'say "hi"'] },
      { line: 4, fields: ["multi\nline", ""] },
    ]);
    expect(readCsv("a,b", "f.csv")).toEqual([{ line: 1, fields: ["a", "b"] }]);
  });

  it("readCsv: text after a closing quote marks that record and reading goes on; an unterminated quote names its record's line", () => {
    expect(readCsv('a,b\n"x"y,z\n\n"multi\nline",w\n"p" q,r\nc,d\n', "f.csv")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: [], error: "text after a closing quote" },
      { line: 4, fields: ["multi\nline", "w"] },
      { line: 6, fields: [], error: "text after a closing quote" },
      { line: 7, fields: ["c", "d"] },
    ]);
    expect(readCsv("a,b\rc,d\r", "f.csv")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["c", "d"] },
    ]);
    expect(thrown(() => readCsv('a,b\nc,d\n\n\ne,"f\ng,h\n', "f.csv"))).toMatchObject({ line: 5, reason: "unterminated quoted field" });
    // a quote inside an unquoted field is text, as it always was here
    expect(readCsv('a,b\n5" screen,z\n"p"q,r\nx"y,w', "f.csv")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ['5" screen', "z"] },
      { line: 3, fields: [], error: "text after a closing quote" },
      { line: 4, fields: ['x"y', "w"] },
    ]);
    expect(thrown(() => readCsv('a,b\nx" ,"', "f.csv"))).toMatchObject({ line: 2, reason: "unterminated quoted field" });
  });

  it("parseTimestamp: dates, date-times with and without offsets; rejects impossible dates", () => {
    expect(parseTimestamp("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp("2024-02-29T12:00:00Z")).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseTimestamp("2024-02-29T12:00:00.5+01:00")).toBe(Date.UTC(2024, 1, 29, 11, 0, 0, 500));
    expect(parseTimestamp("2024-02-29T12:00-0530")).toBe(Date.UTC(2024, 1, 29, 17, 30));
    expect(parseTimestamp("2024-02-29 12:00:00")).toBe(Date.UTC(2024, 1, 29, 12));
    for (const bad of ["2023-02-29", "2024-00-10", "2024-01-01T24:00", "01/02/2024", "2024-1-1", "", "2024-01-01T10:00+25:00"]) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
  });

  it("normaliseColumn", () => {
    expect(["Last Patched", "lastPatched", "LAST-PATCHED", " last_patched "].map(normaliseColumn)).toEqual([
      "last_patched",
      "last_patched",
      "last_patched",
      "last_patched",
    ]);
  });

  it("parseJsonDocuments keeps lines of objects and array elements, and reads JSON lines", () => {
    const doc = parseJsonDocuments('{"a": [\n  1,\n  {"b": "\\u00e9"}\n]}\n{"__proto__": 1}\n', "x.json");
    expect(doc.values).toHaveLength(2);
    const first = doc.values[0] as { a: [number, object] };
    expect(doc.elementLines(first.a)).toEqual([2, 3]);
    expect(doc.lineOf(first.a[1])).toBe(3);
    expect(first.a[1]).toEqual({ b: "é" });
    expect(Object.keys(doc.values[1] as object)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(doc.values[1])).toBe(Object.prototype);
    expect(thrown(() => parseJsonDocuments('{"a": "\tb"}', "x.json")).reason).toBe("not valid JSON: bad string");
    expect(thrown(() => parseJsonDocuments("[1,\n2", "x.json"))).toMatchObject({ line: 2, reason: "not valid JSON: unexpected end of file" });
  });

  it("parseJsonDocuments reads values one after the other however laid out, and names the line of a syntax error", () => {
    const doc = parseJsonDocuments('{"a": 1,\n "b": [1,\n 2]}\n  {"c":\n {"d": 3}}\n[4]', "x.json");
    expect(doc.values).toEqual([{ a: 1, b: [1, 2] }, { c: { d: 3 } }, [4]]);
    expect(doc.values.map((v) => doc.lineOf(v as object))).toEqual([1, 4, 6]);
    expect(doc.lineOf((doc.values[1] as { c: object }).c)).toBe(5);
    // a key given twice: the value JSON.parse kept, with its own line
    const twice = parseJsonDocuments('{"k": [1],\n "k": [\n 2, 3]}', "x.json");
    expect(twice.elementLines((twice.values[0] as { k: number[] }).k)).toEqual([3, 3]);
    expect(thrown(() => parseJsonDocuments('{"a": 1}\n{"b": 2,\n "c" 3}', "x.json"))).toMatchObject({ line: 3, reason: 'not valid JSON: expected ":"' });
    expect(thrown(() => parseJsonDocuments('[1]\n[2,\n]', "x.json"))).toMatchObject({ line: 3, reason: "not valid JSON: expected a value" });
    expect(parseJsonDocuments(" \n", "x.json").values).toEqual([]);
  });
});
