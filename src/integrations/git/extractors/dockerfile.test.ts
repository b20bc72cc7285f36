// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fixtures are Dockerfile and HCL text, where ${...} is literal
import { describe, expect, it } from "vitest";
import { dockerfileExtractor, parseImageReference, readInstructions } from "./dockerfile.js";
import type { ExtractResult } from "./types.js";
import { readFixture, runExtractor } from "./test-helpers.js";

const fixture = (name: string): string => readFixture(`dockerfile/${name}`);

const run = (path: string, content: string): ExtractResult => runExtractor(dockerfileExtractor, path, content);

describe("dockerfile extractor: matches", () => {
  it("reads Dockerfile, *.Dockerfile and Dockerfile.*", () => {
    const yes = [
      "Dockerfile",
      "dockerfile",
      "services/api/Dockerfile",
      "api.Dockerfile",
      "docker/worker.dockerfile",
      "Dockerfile.dev",
      "build/Dockerfile.prod",
    ];
    const no = [
      "node_modules/x/Dockerfile",
      "vendor/github.com/a/b/Dockerfile",
      "a/node_modules/b/Dockerfile.dev",
      "Dockerfile.dockerignore",
      "api.Dockerfile.dockerignore",
      ".dockerignore",
      "Dockerfile.",
      ".Dockerfile",
      "docker-compose.yml",
      "src/dockerfile.go",
      "MyDockerfile",
    ];
    for (const p of yes) expect(dockerfileExtractor.matches(p), p).toBe(true);
    for (const p of no) expect(dockerfileExtractor.matches(p), p).toBe(false);
  });
});

describe("dockerfile extractor: fixtures", () => {
  it("reads every FROM of a multi-stage build, resolving build arguments and stages", () => {
    expect(run("Dockerfile", fixture("Dockerfile"))).toEqual({
      images: [
        { name: "node", tag: "20.11.1-bookworm", pinning: "tag", line: 8, stage: "deps" },
        { name: "localhost:5000/tools/lint", tag: "2.1", pinning: "tag", line: 17, stage: "lint" },
        {
          name: "gcr.io/distroless/nodejs20-debian12",
          digest: "sha256:0b4b1d2ac2a9e0c7dda5f7a6c8a5e3f1b2c3d4e5f60718293a4b5c6d7e8f9012",
          pinning: "digest",
          line: 26,
          stage: "runtime",
        },
        { name: "debian", tag: "bookworm-slim", pinning: "tag", line: 32, stage: "debug" },
        { name: "python", tag: "latest", pinning: "latest", line: 33, stage: "py" },
        { name: "ghcr.io/acme/base", tag: "latest", pinning: "latest", line: 34 },
        {
          name: "redis",
          tag: "7.2",
          digest: "sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999",
          pinning: "digest",
          line: 35,
        },
      ],
      warnings: [],
    });
  });

  it("warns (with the line) about what it cannot resolve and keeps going", () => {
    expect(run("docker/bad.Dockerfile", fixture("bad.Dockerfile"))).toEqual({
      images: [{ name: "busybox", tag: "1.36", pinning: "tag", line: 7, stage: "last" }],
      warnings: [
        {
          file: "docker/bad.Dockerfile",
          line: 2,
          message: 'cannot resolve image "alpine:${TAG}": build argument TAG has no default value',
        },
        {
          file: "docker/bad.Dockerfile",
          line: 3,
          message:
            'cannot resolve image "${UNDECLARED_IMAGE}": build argument UNDECLARED_IMAGE is not declared before the first FROM',
        },
        { file: "docker/bad.Dockerfile", line: 5, message: 'not an image reference: "Not_A/Valid:Image"' },
        { file: "docker/bad.Dockerfile", line: 6, message: "FROM without an image" },
        {
          file: "docker/bad.Dockerfile",
          line: 9,
          message:
            'cannot resolve image "node:${STAGE_ARG}": build argument STAGE_ARG is not declared before the first FROM',
        },
      ],
    });
  });

  it("honours the escape directive and CRLF line ends", () => {
    expect(run("windows.Dockerfile", fixture("windows.Dockerfile"))).toEqual({
      images: [
        { name: "mcr.microsoft.com/windows/servercore", tag: "ltsc2022", pinning: "tag", line: 3 },
        { name: "mcr.microsoft.com/powershell", tag: "7.4-nanoserver-ltsc2022", pinning: "tag", line: 6 },
      ],
      warnings: [],
    });
  });
});

describe("dockerfile extractor: details", () => {
  it("parses references with registry ports, digests and Docker Hub spellings", () => {
    expect(parseImageReference("localhost:5000/x:1")).toEqual({ name: "localhost:5000/x", tag: "1", pinning: "tag" });
    expect(parseImageReference("localhost:5000/x")).toEqual({ name: "localhost:5000/x", tag: "latest", pinning: "latest" });
    expect(parseImageReference("Registry.Example.com:443/team/app:v2.0.1")).toEqual({
      name: "registry.example.com:443/team/app",
      tag: "v2.0.1",
      pinning: "tag",
    });
    expect(parseImageReference("node:latest")).toEqual({ name: "node", tag: "latest", pinning: "latest" });
    expect(parseImageReference("docker.io/library/node:20")).toEqual({ name: "node", tag: "20", pinning: "tag" });
    expect(parseImageReference("library/node")).toEqual({ name: "node", tag: "latest", pinning: "latest" });
    expect(parseImageReference("docker.io/bitnami/redis:7")).toEqual({ name: "bitnami/redis", tag: "7", pinning: "tag" });
    const digest = `sha256:${"ab".repeat(32)}`;
    expect(parseImageReference(`alpine@${digest}`)).toEqual({ name: "alpine", digest, pinning: "digest" });
    expect(parseImageReference(`alpine:latest@${digest}`)).toEqual({ name: "alpine", tag: "latest", digest, pinning: "digest" });
    for (const bad of ["", "node:", "node@sha256:xyz", "UPPER/case", "a//b", "node:tag with space", ":1"]) {
      expect(parseImageReference(bad), bad).toBeUndefined();
    }
  });

  it("resolves ${VAR:-default}, ${VAR:+alt}, chained ARGs and several ARGs on one line", () => {
    const content = [
      "ARG A=1 B='two' C",
      "ARG D=${A}.${B}",
      "ARG EMPTY=",
      "FROM img:${D}",
      "FROM img:${C:-fallback}",
      "FROM img${A:+-plus}",
      "FROM img:${EMPTY:-was-empty}",
      "FROM img:x${EMPTY-kept}y",
      "FROM img:\\$A",
    ].join("\n");
    const result = run("Dockerfile", content);
    expect(result.images!.map((i) => `${i.name}:${i.tag}`)).toEqual([
      "img:1.two",
      "img:fallback",
      "img-plus:latest",
      "img:was-empty",
      "img:xy",
    ]);
    // `\$A` is a literal dollar sign: not a valid tag.
    expect(result.warnings).toEqual([{ file: "Dockerfile", line: 9, message: 'not an image reference: "img:$A"' }]);
  });

  it("matches stage names case-insensitively and only earlier stages", () => {
    const content = ["FROM golang:1.22 AS Builder", "FROM builder", "FROM later:1", "FROM alpine:3 AS later", "FROM SCRATCH"].join("\n");
    expect(run("Dockerfile", content).images).toEqual([
      { name: "golang", tag: "1.22", pinning: "tag", line: 1, stage: "Builder" },
      { name: "later", tag: "1", pinning: "tag", line: 3 },
      { name: "alpine", tag: "3", pinning: "tag", line: 4, stage: "later" },
    ]);
  });

  it("joins continuation lines, drops comment lines inside them and skips heredoc bodies", () => {
    const content = [
      "FROM node:20 AS a",
      "RUN echo one \\",
      "# a comment in the middle",
      "",
      "  && echo two",
      "COPY <<-EOT /etc/conf",
      "\tFROM not-an-image:1",
      "\tEOT",
      "RUN cat <<NOEND",
      "FROM still-read:1",
    ].join("\n");
    expect(readInstructions(content)).toEqual([
      { keyword: "FROM", args: "node:20 AS a", line: 1 },
      { keyword: "RUN", args: "echo one   && echo two", line: 2 },
      { keyword: "COPY", args: "<<-EOT /etc/conf", line: 6 },
      { keyword: "RUN", args: "cat <<NOEND", line: 9 },
      { keyword: "FROM", args: "still-read:1", line: 10 },
    ]);
  });

  it("returns no images for a file without FROM", () => {
    expect(run("Dockerfile", "# nothing here\n\n")).toEqual({ images: [], warnings: [] });
  });
});

describe("dockerfile extractor: odd input", () => {
  it("survives a lone continuation, an empty file and a FROM at the last line", () => {
    expect(run("Dockerfile", "\\")).toEqual({ images: [], warnings: [] });
    expect(run("Dockerfile", "")).toEqual({ images: [], warnings: [] });
    expect(run("Dockerfile", "FROM alpine:3.19 \\")).toEqual({
      images: [{ name: "alpine", tag: "3.19", pinning: "tag", line: 1 }],
      warnings: [],
    });
  });
});
