import { describe, expect, it } from "vitest";
import { cargoLockExtractor, readCargoToml } from "./cargo-lock.js";
import { parseToml } from "./toml.js";
import type { ExtractResult } from "./types.js";
import { extractError, reportMedianMs, packageOf, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`cargo-lock/${name}`);

const run = (path: string, content: string, siblings: Record<string, string> = {}): ExtractResult =>
  runExtractor(cargoLockExtractor, path, content, siblings);

const crate = packageOf("cargo");

const INVENTORY_AGENT = [
  crate("anyhow", "1.0.75", { direct: true }),
  crate("cc", "1.0.83", { direct: true }),
  crate("cfg-if", "1.0.0", { dev: true }),
  crate("clap", "4.4.6", { direct: true }),
  crate("clap_builder", "4.4.6"),
  crate("clap_derive", "4.4.2"),
  crate("clap_lex", "0.5.1"),
  crate("derivative", "2.2.0", { direct: true }),
  crate("diff", "0.1.13", { dev: true }),
  crate("fastrand", "2.0.1", { dev: true }),
  crate("heck", "0.4.1"),
  crate("itoa", "1.0.9"),
  crate("libc", "0.2.149", { direct: true }),
  crate("pin-project-lite", "0.2.13"),
  crate("pretty_assertions", "1.4.0", { direct: true, dev: true }),
  crate("proc-macro2", "1.0.69"),
  crate("quote", "1.0.33"),
  crate("ryu", "1.0.15"),
  crate("serde", "1.0.189", { direct: true }),
  crate("serde_derive", "1.0.189"),
  crate("serde_json", "1.0.107", { direct: true }),
  crate("strsim", "0.10.0"),
  crate("syn", "1.0.109"),
  crate("syn", "2.0.38"),
  crate("tempfile", "3.8.0", { direct: true, dev: true }),
  crate("thiserror", "1.0.49", { direct: true }),
  crate("thiserror-impl", "1.0.49"),
  crate("tokio", "1.33.0", { direct: true }),
  crate("tokio-macros", "2.1.0"),
  crate("toml", "0.5.11", { direct: true }),
  crate("unicode-ident", "1.0.12"),
  crate("yansi", "0.5.1", { dev: true }),
];

describe("cargo-lock: matches", () => {
  it("reads Cargo.lock outside vendored folders and target/", () => {
    for (const p of ["Cargo.lock", "agent/Cargo.lock"]) expect(cargoLockExtractor.matches(p), p).toBe(true);
    const no = ["Cargo.toml", "cargo.lock", "target/package/x-0.1.0/Cargo.lock", "a/target/debug/Cargo.lock", "vendor/serde/Cargo.lock", "node_modules/x/Cargo.lock", ".venv/Cargo.lock"];
    for (const p of no) expect(cargoLockExtractor.matches(p), p).toBe(false);
  });
});

describe("cargo-lock: extract", () => {
  it("reads a format 3 lock: workspace crates skipped, direct from the lock and Cargo.toml, dev-only crates marked", () => {
    const result = run("agent/Cargo.lock", fixture("healthy/Cargo.lock"), { "Cargo.toml": fixture("healthy/Cargo.toml") });
    expect(result).toEqual({ packages: INVENTORY_AGENT, warnings: [] });
  });

  it("without Cargo.toml, direct still comes from the workspace crates in the lock; dev is unknown", () => {
    const result = run("Cargo.lock", fixture("healthy/Cargo.lock"));
    expect(result).toEqual({ packages: INVENTORY_AGENT.map((p) => ({ ...p, devDependency: false })), warnings: [] });
  });

  it("reads a format 1 lock (`name version (source)` references)", () => {
    expect(run("Cargo.lock", fixture("format-1/Cargo.lock"))).toEqual({
      packages: [
        crate("cfg-if", "1.0.0"),
        crate("getrandom", "0.1.16"),
        crate("libc", "0.2.80"),
        crate("rand", "0.7.3", { direct: true }),
        crate("wasi", "0.9.0+wasi-snapshot-preview1"),
      ],
      warnings: [],
    });
  });

  it("reads a format 4 lock of a virtual workspace", () => {
    const result = run("Cargo.lock", fixture("workspace/Cargo.lock"), { "Cargo.toml": fixture("workspace/Cargo.toml") });
    expect(result).toEqual({
      packages: [crate("axum", "0.6.20", { direct: true }), crate("tower", "0.4.13", { direct: true }), crate("uuid", "1.5.0", { direct: true })],
      warnings: [],
    });
  });

  it("skips bad entries with a warning naming the line", () => {
    const result = run("netprobe/Cargo.lock", fixture("malformed/Cargo.lock"));
    const file = "netprobe/Cargo.lock";
    expect(result).toEqual({
      packages: [crate("bytes", "1.5.0", { direct: true }), crate("once_cell", "1.19.0")],
      warnings: [
        { file, line: 11, message: "log: no version: skipped" },
        { file, line: 16, message: "package without a name: skipped" },
        { file, line: 21, message: "netprobe: a dependency that is not a string: ignored" },
        { file, line: 21, message: 'netprobe: dependency "log" is not in the lock' },
        { file, line: 21, message: 'netprobe: dependency "once_cell 1.18.0" is not in the lock' },
      ],
    });
  });

  it("falls back to the lock when Cargo.toml is broken", () => {
    const result = run("Cargo.lock", fixture("healthy/Cargo.lock"), { "Cargo.toml": "[package]\nname = 'x\n" });
    expect(result.packages).toEqual(INVENTORY_AGENT.map((p) => ({ ...p, devDependency: false })));
    expect(result.warnings).toEqual([
      { file: "Cargo.toml", line: 2, message: "not valid TOML (direct and dev dependencies from the lock only): control characters are not allowed in strings (column 10: name = 'x)" },
    ]);
  });

  it("cannot read a conflicted lock, an unknown format, or another TOML file", () => {
    expect(extractError(() => run("Cargo.lock", fixture("conflict/Cargo.lock")))).toMatchObject({
      file: "Cargo.lock",
      line: 9,
      message: expect.stringMatching(/^not valid TOML: /),
    });
    expect(extractError(() => run("Cargo.lock", fixture("future/Cargo.lock")))).toMatchObject({ line: 3, message: "unknown Cargo.lock version 5" });
    // an integer past 2^53 is a bigint: named, not a crash
    expect(extractError(() => run("Cargo.lock", "version = 99999999999999999999\n[[package]]\nname = \"a\"\n"))).toMatchObject({ line: 1, message: "unknown Cargo.lock version 99999999999999999999" });
    expect(extractError(() => run("Cargo.lock", '[package]\nname = "x"\n')).message).toBe("not a Cargo.lock: no [[package]]");
  });

  it("reads what a Cargo.toml declares, renames resolved", () => {
    expect(readCargoToml(parseToml(fixture("healthy/Cargo.toml")))).toEqual({
      packageName: "inventory-agent",
      normal: new Set(["agent-core", "anyhow", "clap", "serde", "serde_json", "tokio", "toml", "cc", "libc"]),
      dev: new Set(["tempfile", "pretty_assertions"]),
    });
    // A crate in both [dependencies] and [dev-dependencies] is needed.
    const both = readCargoToml(parseToml('[dependencies]\nserde = "1"\n[dev-dependencies]\nserde = { version = "1", features = ["derive"] }\n'));
    expect(both.dev).toEqual(new Set());
  });

  it("reads a 300-package lock whole (time reported)", () => {
    const parts = ["# This file is automatically @generated by Cargo.", "version = 3", ""];
    const rootDeps: string[] = [];
    for (let i = 0; i < 300; i++) {
      parts.push(
        "[[package]]",
        `name = "crate-${i}"`,
        `version = "0.${i}.0"`,
        'source = "registry+https://github.com/rust-lang/crates.io-index"',
        `checksum = "${"0123456789abcdef".repeat(4)}"`,
        "dependencies = [",
        ` "crate-${(i * 7 + 1) % 300}",`,
        ` "crate-${(i * 11 + 3) % 300}",`,
        "]",
        "",
      );
      if (i % 10 === 0) rootDeps.push(` "crate-${i}",`);
    }
    parts.push("[[package]]", 'name = "app"', 'version = "0.1.0"', "dependencies = [", ...rootDeps, "]");
    const content = parts.join("\n");
    const toml = '[package]\nname = "app"\n[dependencies]\n"crate-0" = "0.0"\n[dev-dependencies]\n"crate-10" = "0.10"\n';
    const go = () => run("Cargo.lock", content, { "Cargo.toml": toml });
    expect(go().packages).toHaveLength(300);
    reportMedianMs("cargo-lock", go);
  });
});
