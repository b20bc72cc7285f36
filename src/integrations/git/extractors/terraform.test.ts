// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fixtures are Dockerfile and HCL text, where ${...} is literal
import { describe, expect, it } from "vitest";
import { parseHcl, terraformExtractor } from "./terraform.js";
import type { ExtractResult } from "./types.js";
import { extractError, readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`terraform/${name}`);

const run = (path: string, content: string): ExtractResult => runExtractor(terraformExtractor, path, content);

describe("terraform extractor: matches", () => {
  it("reads *.tf and .terraform.lock.hcl outside .terraform/", () => {
    for (const p of ["main.tf", "infra/prod/versions.tf", ".terraform.lock.hcl", "infra/.terraform.lock.hcl"]) {
      expect(terraformExtractor.matches(p), p).toBe(true);
    }
    const no = [
      ".terraform/modules/vpc/main.tf",
      "infra/.terraform/providers/x/main.tf",
      ".tf",
      "main.tf.json",
      "terraform.tfvars",
      "main.tfstate",
      "lock.hcl",
      "x.hcl",
    ];
    for (const p of no) expect(terraformExtractor.matches(p), p).toBe(false);
  });
});

describe("terraform extractor: fixtures", () => {
  it("reads required_version and required_providers", () => {
    expect(run("infra/versions.tf", fixture("versions.tf"))).toEqual({
      terraform: {
        requiredVersion: ">= 1.5.0, < 2.0.0",
        providers: [
          { source: "hashicorp/aws", constraint: "~> 5.0" },
          { source: "hashicorp/random", constraint: ">= 3.5.1" },
          { source: "datadog/datadog", constraint: "3.34.0" },
          { source: "hashicorp/tls" },
          { source: "hashicorp/local" },
        ],
      },
      warnings: [
        { file: "infra/versions.tf", line: 24, message: "required_providers.local.version is not a literal string; skipped" },
      ],
    });
  });

  it("says nothing about a file without a terraform block (heredocs, templates and for expressions skipped)", () => {
    expect(run("main.tf", fixture("main.tf"))).toEqual({ warnings: [] });
  });

  it("reads the Terraform 0.12 string form and provider-block versions", () => {
    expect(run("legacy.tf", fixture("legacy.tf"))).toEqual({
      terraform: {
        requiredVersion: "~> 0.12.29",
        providers: [
          // required_providers wins over the provider block for the same name
          { source: "aws", constraint: "~> 3.0" },
          { source: "template", constraint: "2.2.0" },
          { source: "google", constraint: "~> 3.90" },
        ],
      },
      warnings: [],
    });
  });

  it("reads locked provider versions from .terraform.lock.hcl", () => {
    expect(run("infra/.terraform.lock.hcl", fixture(".terraform.lock.hcl"))).toEqual({
      terraform: {
        providers: [
          { source: "hashicorp/aws", constraint: "~> 5.0", version: "5.31.0" },
          { source: "hashicorp/random", constraint: ">= 3.5.1", version: "3.6.0" },
          { source: "datadog/datadog", constraint: "3.34.0", version: "3.34.0" },
          { source: "hashicorp/tls", version: "4.0.5" },
        ],
      },
      warnings: [
        {
          file: "infra/.terraform.lock.hcl",
          line: 32,
          message: 'provider "registry.terraform.io/hashicorp/broken" has no version; skipped',
        },
      ],
    });
  });

  it("throws ExtractError with the line for a file it cannot read", () => {
    const unclosed = extractError(() => run("unclosed.tf", fixture("unclosed.tf")));
    expect(unclosed).toMatchObject({ file: "unclosed.tf", line: 4, message: '"{" is never closed' });
    const unterminated = extractError(() => run("unterminated.tf", fixture("unterminated.tf")));
    expect(unterminated).toMatchObject({ file: "unterminated.tf", line: 2, message: "unterminated string" });
    expect(extractError(() => run("a.tf", "terraform {\n  x = 1\n")).line).toBe(1);
    expect(extractError(() => run("a.tf", "}\n"))).toMatchObject({ line: 1, message: 'unexpected "}"' });
    expect(extractError(() => run("a.tf", "a = 1, b = 2\n"))).toMatchObject({ line: 1, message: 'expected a new line, found ","' });
    expect(extractError(() => run("a.tf", "x = <<EOT\nbody\n"))).toMatchObject({ line: 1, message: "unterminated heredoc <<EOT" });
    expect(extractError(() => run("a.tf", "/* open\n\n"))).toMatchObject({ line: 1, message: "unterminated comment" });
    expect(extractError(() => run("a.tf", 'x = ["a"\n, ]]\n'))).toMatchObject({ line: 2, message: 'unexpected "]"' });
  });
});

describe("terraform extractor: the HCL reader", () => {
  it("reads blocks, labels, strings with escapes, and keeps line numbers across heredocs and comments", () => {
    const text = [
      "# comment",
      'block "a" b {',
      '  s = "x\\"y\\u00e9 $${literal}"',
      "  h = <<EOT",
      "  } not a brace",
      "  EOT",
      "  /* two",
      "     lines */ t = \"${var.x} and \\\"}\\\"\"",
      "  o = { k = \"v\", \"q\" : 1",
      "  }",
      "  one { inner = \"1\" }",
      "}",
    ].join("\n");
    expect(parseHcl(text, "x.tf")).toEqual([
      {
        kind: "block",
        type: "block",
        labels: ["a", "b"],
        line: 2,
        body: [
          { kind: "attribute", name: "s", value: { kind: "string", value: 'x"yé ${literal}', line: 3 }, line: 3 },
          { kind: "attribute", name: "h", value: { kind: "other", line: 4 }, line: 4 },
          { kind: "attribute", name: "t", value: { kind: "other", line: 8 }, line: 8 },
          {
            kind: "attribute",
            name: "o",
            line: 9,
            value: {
              kind: "object",
              line: 9,
              items: [
                { key: "k", value: { kind: "string", value: "v", line: 9 }, line: 9 },
                { key: "q", value: { kind: "other", line: 9 }, line: 9 },
              ],
            },
          },
          {
            kind: "block",
            type: "one",
            labels: [],
            line: 11,
            body: [{ kind: "attribute", name: "inner", value: { kind: "string", value: "1", line: 11 }, line: 11 }],
          },
        ],
      },
    ]);
  });

  it("merges several terraform blocks in one file; the first required_version wins", () => {
    const text = [
      'terraform {\n  required_version = ">= 1.3"\n}',
      'terraform {\n  required_version = ">= 9"\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}',
      'terraform {\n  required_providers {\n    aws = { version = "~> 5.1", source = "hashicorp/aws" }\n  }\n}',
    ].join("\n");
    expect(run("x.tf", text).terraform).toEqual({
      requiredVersion: ">= 1.3",
      providers: [{ source: "hashicorp/aws", constraint: "~> 5.1" }],
    });
  });

  it("warns about a non-literal required_version", () => {
    expect(run("x.tf", "terraform {\n  required_version = var.v\n}\n")).toEqual({
      terraform: { providers: [] },
      warnings: [{ file: "x.tf", line: 2, message: "required_version is not a literal string; skipped" }],
    });
  });
});
