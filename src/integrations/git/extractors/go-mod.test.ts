import { describe, expect, it } from "vitest";
import { goModExtractor } from "./go-mod.js";
import type { ExtractResult } from "./types.js";
import { extractError, reportMedianMs, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`go-mod/${name}`);

const run = (path: string, content: string, siblings: Record<string, string> = {}): ExtractResult =>
  runExtractor(goModExtractor, path, content, siblings);

function go(name: string, version: string, direct: boolean) {
  return { ecosystem: "go", name, version, direct, devDependency: false };
}

describe("go-mod: matches", () => {
  it("reads go.mod and go.sum outside vendored folders", () => {
    for (const p of ["go.mod", "go.sum", "services/api/go.mod", "tools/go.sum"]) expect(goModExtractor.matches(p), p).toBe(true);
    const no = ["go.work", "go.mod.bak", "vendor/modules.txt", "vendor/github.com/x/y/go.mod", "node_modules/a/go.mod", "target/go.sum", "a/.venv/go.mod", "main.go"];
    for (const p of no) expect(goModExtractor.matches(p), p).toBe(false);
  });
});

describe("go-mod: go.mod", () => {
  it("reads require lines and blocks, applies replace directives, ignores exclude and retract", () => {
    const result = run("go.mod", fixture("healthy/go.mod"));
    expect(result).toEqual({
      packages: [
        go("github.com/Azure/go-autorest", "v14.2.0+incompatible", false),
        // gin-contrib/sse is replaced by a fork at a pseudo-version
        go("github.com/acme/sse", "v0.1.1-0.20231101120000-0123456789ab", false),
        go("github.com/beorn7/perks", "v1.0.1", false),
        go("github.com/cespare/xxhash/v2", "v2.2.0", false),
        go("github.com/gin-gonic/gin", "v1.9.1", true),
        go("github.com/go-playground/validator/v10", "v10.16.0", false),
        // replaced only at v1.5.3, which is the required version
        go("github.com/golang/protobuf", "v1.5.4", false),
        go("github.com/google/uuid", "v1.4.0", true),
        go("github.com/inconshreveable/mousetrap", "v1.1.0", false),
        go("github.com/jackc/pgpassfile", "v1.0.0", false),
        go("github.com/jackc/pgservicefile", "v0.0.0-20221227161230-091c0ba34f0a", false),
        go("github.com/jackc/pgx/v5", "v5.5.0", true),
        go("github.com/prometheus/client_golang", "v1.17.0", true),
        go("github.com/spf13/cobra", "v1.8.0", true),
        // the replace names v1.0.4, not the required v1.0.5
        go("github.com/spf13/pflag", "v1.0.5", false),
        go("github.com/stretchr/testify", "v1.8.4", true),
        go("go.uber.org/multierr", "v1.11.0", false),
        go("go.uber.org/zap", "v1.26.0", true),
        go("golang.org/x/crypto", "v0.17.0", false),
        go("golang.org/x/net", "v0.19.0", false),
        go("golang.org/x/sync", "v0.5.0", true),
        go("golang.org/x/sys", "v0.15.0", false),
        go("golang.org/x/text", "v0.14.0", false),
        go("google.golang.org/protobuf", "v1.31.0", false),
        go("gopkg.in/yaml.v3", "v3.0.1", false),
      ],
      warnings: [],
    });
    // github.com/acme/shared is replaced by ../shared: the project's own code.
    expect(result.packages!.some((p) => p.name.includes("acme/shared"))).toBe(false);
  });

  it("skips bad lines with a warning naming the line", () => {
    const result = run("cmd/tool/go.mod", fixture("malformed/go.mod"));
    expect(result).toEqual({
      packages: [
        go("github.com/mitchellh/go-homedir", "v1.1.0", false),
        go("github.com/quoted/module", "v0.2.0", true),
        go("github.com/spf13/cobra", "v1.8.0", true),
      ],
      warnings: [
        { file: "cmd/tool/go.mod", line: 7, message: 'require: expected a module path and a version, found "github.com/spf13/viper"' },
        { file: "cmd/tool/go.mod", line: 8, message: 'require github.com/mattn/go-isatty: bad version "0.0.20"' },
        { file: "cmd/tool/go.mod", line: 9, message: 'require: expected a module path and a version, found "github.com/fatih/color v1.16.0 extra"' },
        {
          file: "cmd/tool/go.mod",
          line: 13,
          message: 'replace: expected "module [version] => module version" or "=> directory", found "github.com/spf13/cobra =>"',
        },
        { file: "cmd/tool/go.mod", line: 15, message: 'unknown directive "frobnicate"' },
      ],
    });
  });

  it("cannot read an unterminated block, a conflicted or a binary file", () => {
    expect(extractError(() => run("go.mod", fixture("unterminated/go.mod")))).toMatchObject({
      file: "go.mod",
      line: 5,
      message: "unterminated require block",
    });
    expect(extractError(() => run("go.mod", "module x\n\n<<<<<<< HEAD\nrequire a.b/c v1.0.0\n=======\n")).line).toBe(3);
    expect(extractError(() => run("go.mod", "\0\0\0")).message).toBe("not a text file");
  });

  it("deduplicates two modules replaced by the same one, keeping direct", () => {
    const result = run(
      "go.mod",
      ["module m", "require (", "\ta.io/x v1.0.0 // indirect", "\tb.io/x v1.1.0", ")", "replace a.io/x => c.io/x v2.0.0", "replace b.io/x => c.io/x v2.0.0"].join("\n"),
    );
    expect(result.packages).toEqual([go("c.io/x", "v2.0.0", true)]);
  });

  it("reads an empty module and CRLF lines", () => {
    expect(run("go.mod", "module example.com/empty\r\n\r\ngo 1.21\r\n")).toEqual({ packages: [], warnings: [] });
    expect(run("go.mod", "module m\r\nrequire (\r\n\ta.io/b v1.2.3 // indirect\r\n)\r\n").packages).toEqual([go("a.io/b", "v1.2.3", false)]);
  });

  it("reads 300 requirements whole (time reported)", () => {
    const lines = ["module example.com/big", "", "go 1.21", "", "require ("];
    for (let i = 0; i < 300; i++) lines.push(`\tgithub.com/org${i % 17}/module-${i} v1.${i}.0${i % 3 === 0 ? " // indirect" : ""}`);
    lines.push(")", "");
    for (let i = 0; i < 20; i++) lines.push(`replace github.com/org${i % 17}/module-${i} => github.com/fork/module-${i} v1.${i}.1`);
    const content = lines.join("\n");
    expect(run("go.mod", content).packages).toHaveLength(300);
    reportMedianMs("go-mod", () => run("go.mod", content));
  });
});

describe("go-mod: go.sum", () => {
  const GO_SUM_PACKAGES = [
    go("github.com/beorn7/perks", "v1.0.1", false),
    go("github.com/cespare/xxhash/v2", "v2.2.0", false),
    go("github.com/davecgh/go-spew", "v1.1.1", false),
    go("github.com/google/uuid", "v1.4.0", false),
    go("github.com/pmezard/go-difflib", "v1.0.0", false),
    go("github.com/prometheus/client_golang", "v1.17.0", false),
    go("github.com/stretchr/testify", "v1.8.4", false),
    go("golang.org/x/sys", "v0.15.0", false),
    go("gopkg.in/yaml.v3", "v3.0.1", false),
  ];

  it("reads go.sum alone: built versions, /go.mod lines folded in, versions only read for selection left out", () => {
    expect(run("go.sum", fixture("go-sum-only/go.sum"))).toEqual({ packages: GO_SUM_PACKAGES, warnings: [] });
  });

  it("says nothing for go.sum when a go.mod is beside it", () => {
    expect(run("go.sum", fixture("go-sum-only/go.sum"), { "go.mod": "module x\n" })).toEqual({ packages: [], warnings: [] });
  });

  it("skips bad go.sum lines with a warning", () => {
    expect(run("go.sum", fixture("malformed/go.sum"))).toEqual({
      packages: [go("github.com/google/uuid", "v1.4.0", false), go("golang.org/x/sys", "v0.15.0", false)],
      warnings: [
        { file: "go.sum", line: 3, message: 'not a go.sum line: "github.com/pkg/errors v0.9.1"' },
        { file: "go.sum", line: 4, message: 'bad module path or version: "github.com/pkg/errors latest"' },
      ],
    });
  });
});
