/**
 * `dm sync kubernetes` end to end: offline from kubectl JSON files, and from
 * a kubeconfig against a fake API server on 127.0.0.1 (paging, 401, 403 on
 * one resource, 429, 500, a hang, TLS with a CA made by openssl).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kubernetesIntegration } from "../src/integrations/kubernetes/index.js";
import { runQuery } from "../src/query/run.js";
import type { EntityRecord } from "../src/store/types.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { dataModelProblemsOf } from "./data-model.js";
import { type FakeKube, fixtureObjects, manyDeployments, startFakeKube, startTlsKube } from "./fakes/kubernetes.js";
import { dm, tempDir } from "./helpers/cli.js";

const NOW = Date.UTC(2026, 10, 23, 12);
const FIXTURE = path.resolve(import.meta.dirname, "../src/integrations/kubernetes/fixtures/prod.json");
const SECRET_VALUES = ["aHVudGVyMi1kby1ub3QtbGVhaw", "hunter2-do-not-leak", "LS0tLS1CRUdJTi1GQUtFLUtFWS10b3Atc2VjcmV0"];

async function query(db: string, q: string): Promise<Record<string, unknown>[]> {
  const store = SqliteStore.open(db);
  try {
    const r = await runQuery(store, q, { now: NOW, all: true });
    if (r.type === "table") return r.data as Record<string, unknown>[];
    if (r.type === "list") return r.data.map((d) => ({ ...(d.properties as object), ...d.entity }) as Record<string, unknown>);
    throw new Error(`unexpected result ${r.type}`);
  } finally {
    await store.close();
  }
}

function setup(config: string): { cwd: string; db: string } {
  const cwd = tempDir("dm-kube-");
  fs.writeFileSync(path.join(cwd, "dm.config.yaml"), config);
  return { cwd, db: path.join(cwd, "dm.db") };
}

function kubeconfig(dir: string, server: string, token: string, cluster: Record<string, unknown> = {}): string {
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "current-context: prod-admin",
      "clusters:",
      "  - name: prod",
      "    cluster:",
      `      server: ${server}`,
      ...Object.entries(cluster).map(([k, v]) => `      ${k}: ${v}`),
      "contexts:",
      "  - name: prod-admin",
      "    context: {cluster: prod, user: dm-reader}",
      "users:",
      "  - name: dm-reader",
      "    user:",
      `      token: ${token}`,
      "",
    ].join("\n"),
  );
  return file;
}

describe("dm sync kubernetes (files)", () => {
  it("reads kubectl's JSON offline into JupiterOne's Kubernetes model; a second run changes nothing", async () => {
    const { cwd, db } = setup("integrations:\n  - id: kubernetes\n    cluster: prod\n    files: [k8s/prod.json]\n");
    fs.mkdirSync(path.join(cwd, "k8s"));
    fs.copyFileSync(FIXTURE, path.join(cwd, "k8s/prod.json"));
    const r = await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ integration: "kubernetes", instance: "kubernetes:prod", status: "succeeded", deleted: 0 });
    expect(
      await query(db, "Find kube_cluster with name='prod' that CONTAINS kube_namespace that CONTAINS Deployment as d return d._type, d.name, d.images, d.deploymentModel order by d.name"),
    ).toEqual([
      { "d._type": "kube_daemon_set", "d.name": "node-exporter", "d.images": ["quay.io/prometheus/node-exporter:v1.7.0"], "d.deploymentModel": "immutable-container" },
      { "d._type": "kube_deployment", "d.name": "payments-api", "d.images": ["envoyproxy/envoy:v1.29.1", "ghcr.io/acme/payments-api:1.4.2"], "d.deploymentModel": "immutable-container" },
      {
        "d._type": "kube_stateful_set",
        "d.name": "postgres",
        "d.images": ["postgres@sha256:6b841c8f6a819884207402f1209a8116844365df15fca8cf556fc54a24c70800"],
        "d.deploymentModel": "immutable-container",
      },
    ]);
    expect(await query(db, "Find kube_cluster that CONTAINS kube_node as n return n.name, n.privateIpAddresses order by n.name")).toEqual([
      { "n.name": "ip-10-0-1-17.ec2.internal", "n.privateIpAddresses": ["10.0.1.17"] },
      { "n.name": "ip-10-0-2-33.ec2.internal", "n.privateIpAddresses": ["10.0.2.33"] },
    ]);
    // a secret's values never reach the database
    const bytes = fs.readFileSync(db);
    for (const v of SECRET_VALUES) expect(bytes.includes(Buffer.from(v))).toBe(false);
    expect(await query(db, "Find kube_secret as s return s.name, s.type order by s.name")).toEqual([
      { "s.name": "payments-db", "s.type": "Opaque" },
      { "s.name": "payments-tls", "s.type": "kubernetes.io/tls" },
    ]);
    const again = JSON.parse((await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW + 1000 })).stdout);
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
  });

  it("links a workload's image to the Image a repository's Dockerfile uses", async () => {
    const { cwd, db } = setup(`integrations:\n  - id: kubernetes\n    cluster: prod\n    files: [${FIXTURE}]\n`);
    const repo = path.join(tempDir("dm-src-"), "report");
    fs.mkdirSync(repo, { recursive: true });
    fs.writeFileSync(path.join(repo, "Dockerfile"), "FROM docker.io/library/node:20-alpine\nCOPY . .\n");
    const git = (...args: string[]) =>
      execFileSync("git", args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: "d", GIT_AUTHOR_EMAIL: "d@example.com", GIT_COMMITTER_NAME: "d", GIT_COMMITTER_EMAIL: "d@example.com" } });
    git("init", "-q", "-b", "main");
    git("remote", "add", "origin", "git@github.com:acme/report.git");
    git("add", ".");
    git("commit", "-q", "-m", "init");
    expect((await dm(["sync", "git", "--path", path.dirname(repo), "--db", db], { now: NOW })).code).toBe(0);
    expect((await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW })).code).toBe(0);
    expect(
      await query(db, "Find CodeRepo as r that USES Image as i that USES kube_container_spec that USES kube_cron_job as j return r.name, i._key, j.name"),
    ).toEqual([{ "r.name": "report", "i._key": "docker_image:node:20-alpine", "j.name": "nightly-report" }]);
  });

  it("a file that is not JSON fails naming the file, line and column; an unknown kind is a warning", async () => {
    const { cwd, db } = setup("integrations:\n  - id: kubernetes\n    cluster: prod\n    files: [bad.json]\n");
    fs.writeFileSync(path.join(cwd, "bad.json"), '{\n  "kind": "List",\n  "items": [\n    {"kind": "Service",}\n  ]\n}');
    const bad = await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("bad.json:4:24: not JSON");
    fs.writeFileSync(
      path.join(cwd, "bad.json"),
      '{\n  "kind": "List",\n  "items": [\n    {"kind": "Namespace", "metadata": {"name": "web"}},\n    {"kind": "Ingress", "metadata": {"name": "web", "namespace": "web"}}\n  ]\n}',
    );
    const partial = JSON.parse((await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW })).stdout);
    expect(partial.status).toBe("partial");
    expect(partial.warnings).toEqual([
      { file: "bad.json", line: 5, message: expect.stringMatching(/^items\[1\]: kind Ingress is not read/) },
    ]);
  });

  it("refuses an unknown key, and kubeconfig with files, naming them", async () => {
    const { cwd, db } = setup("integrations:\n  - id: kubernetes\n    cluster: prod\n    files: [a.json]\n    namespace: [x]\n");
    const typo = await dm(["sync", "kubernetes", "--db", db], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("integrations[0].namespace: not a setting of the kubernetes integration");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "integrations:\n  - id: kubernetes\n    cluster: prod\n    files: [a.json]\n    kubeconfig: ~/.kube/config\n");
    const both = await dm(["sync", "kubernetes", "--db", db], { cwd });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("integrations[0].files: give kubeconfig or files, not both");
  });
});

describe("dm sync kubernetes (API)", () => {
  let kube: FakeKube;
  afterEach(async () => {
    await kube?.close();
  });

  async function apiSetup(extra = "", objects = fixtureObjects()) {
    kube = await startFakeKube({ objects });
    const { cwd, db } = setup("");
    const file = kubeconfig(cwd, kube.url, kube.state.token);
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: kubernetes\n    cluster: prod\n    kubeconfig: ${file}\n${extra}`);
    return { cwd, db };
  }

  it("lists every kind with limit/continue paging and the token; the graph matches the files'", async () => {
    const { cwd, db } = await apiSetup("", [...fixtureObjects(), ...manyDeployments(1100)]);
    const r = await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "succeeded" });
    const deployments = kube.requests.filter((q) => q.path === "/apis/apps/v1/deployments");
    expect(deployments.map((q) => [q.query.get("limit"), q.query.get("continue") !== null])).toEqual([
      ["500", false],
      ["500", true],
      ["500", true],
    ]);
    expect(new Set(kube.requests.map((q) => q.path))).toEqual(
      new Set([
        "/api/v1/namespaces",
        "/api/v1/nodes",
        "/apis/apps/v1/deployments",
        "/apis/apps/v1/statefulsets",
        "/apis/apps/v1/daemonsets",
        "/apis/batch/v1/cronjobs",
        "/api/v1/services",
        "/api/v1/secrets",
      ]),
    );
    expect(kube.requests.every((q) => q.headers.authorization === `Bearer ${kube.state.token}`)).toBe(true);
    expect((await query(db, "Find kube_deployment as d return count(d) as n"))[0]).toEqual({ n: 1101 });
    expect(await query(db, "Find kube_cluster as c return c.server, c.skipTlsVerify")).toEqual([{ "c.server": kube.url, "c.skipTlsVerify": false }]);
    const bytes = fs.readFileSync(db);
    for (const v of [...SECRET_VALUES, kube.state.token]) expect(bytes.includes(Buffer.from(v))).toBe(false);
  });

  it("every entity it writes from the API is valid in JupiterOne's data model", async () => {
    const { cwd } = await apiSetup();
    // what the integration yields, before the store (which drops null properties JupiterOne's Host asks for)
    const config = kubernetesIntegration.configSchema.parse({ cluster: "prod", kubeconfig: path.join(cwd, "kubeconfig") });
    const warnings: unknown[] = [];
    const entities: EntityRecord[] = [];
    for await (const batch of kubernetesIntegration.sync({
      config,
      instance: "kubernetes:prod",
      now: NOW,
      cwd,
      warn: (w) => warnings.push(w),
      note: () => undefined,
      progress: () => undefined,
      secret: async () => "",
      env: () => undefined,
      cache: { get: () => undefined, set: () => undefined },
      seen: () => undefined,
    })) {
      entities.push(...batch.entities);
    }
    expect(warnings).toEqual([]);
    expect(entities).toHaveLength(25);
    expect(dataModelProblemsOf(entities)).toEqual([]);
  });

  it("without kubeconfig: KUBECONFIG's first file, with a named context", async () => {
    const { cwd, db } = await apiSetup();
    const file = path.join(cwd, "kubeconfig");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "integrations:\n  - id: kubernetes\n    cluster: prod\n    context: prod-admin\n");
    const r = await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW, env: { KUBECONFIG: `${file}:/nonexistent/other` } });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    fs.writeFileSync(path.join(cwd, "dm.config.yaml"), "integrations:\n  - id: kubernetes\n    cluster: prod\n    context: dev\n");
    const wrong = await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW, env: { KUBECONFIG: file } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`kubeconfig ${file} (KUBECONFIG): no context "dev" (it has prod-admin)`);
  });

  it("only the configured namespaces, through the namespaced endpoints", async () => {
    const { cwd, db } = await apiSetup("    namespaces: [kube-system]\n");
    const r = await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW });
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(kube.requests.map((q) => q.path)).toContain("/apis/apps/v1/namespaces/kube-system/daemonsets");
    expect(kube.requests.map((q) => q.path)).not.toContain("/apis/apps/v1/deployments");
    expect(await query(db, "Find kube_namespace as n return n.name")).toEqual([{ "n.name": "kube-system" }]);
  });

  it("an expired token: exit 3 naming the service, the endpoint and what to check; the graph is intact", async () => {
    const { cwd, db } = await apiSetup();
    expect((await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW })).code).toBe(0);
    const before = await query(db, "Find kube_deployment as d return d.name");
    kube.state.token = "a-new-token-the-config-lacks";
    const r = await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW + 1000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Kubernetes (GET /api/v1/namespaces): the credentials were refused (HTTP 401)");
    expect(r.stderr).toContain("kubectl create token");
    expect(r.stderr + r.stdout).not.toContain("kube-token-5f1e2d3c4b5a");
    expect(await query(db, "Find kube_deployment as d return d.name")).toEqual(before);
  });

  it("a resource the account may not list (403) is a warning: partial, nothing deleted", async () => {
    const { cwd, db } = await apiSetup();
    expect((await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW })).code).toBe(0);
    kube.state.forbidden.add("secrets");
    kube.state.objects = kube.state.objects.filter((o) => o.metadata.name !== "postgres");
    const r = JSON.parse((await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW + 1000 })).stdout);
    expect(r.status).toBe("partial");
    expect(r.deleted).toBe(0);
    expect(r.warnings).toEqual([{ file: "/api/v1/secrets", message: expect.stringContaining("HTTP 403: the account may not list secrets") }]);
    expect(await query(db, "Find (kube_secret|kube_stateful_set) as x return x.name order by x.name")).toEqual([
      { "x.name": "payments-db" },
      { "x.name": "payments-tls" },
      { "x.name": "postgres" },
    ]);
  });

  it("retries 429 with Retry-After and a 500, then succeeds", async () => {
    const { cwd, db } = await apiSetup();
    kube.failNext({ status: 429, retryAfter: "1" }, { status: 500 });
    const started = Date.now();
    const r = await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW });
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(kube.requests.filter((q) => q.path === "/api/v1/namespaces")).toHaveLength(3);
  });

  it("a server that does not answer times out with a clear error", async () => {
    const { cwd, db } = await apiSetup("    timeout: 500ms\n");
    kube.failAlways({ hang: true });
    const r = await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Kubernetes (GET /api/v1/namespaces): no answer within 0.5 s (tried 4 times)");
  }, 20_000);

  it("a kubeconfig user with an exec plugin is refused with what works instead", async () => {
    const { cwd, db } = await apiSetup();
    const file = path.join(cwd, "kubeconfig");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/token: .*/, "exec: {command: aws, args: [eks, get-token]}"));
    const r = await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('user "dm-reader" uses an exec/auth-provider plugin, which dm does not run');
  });
});

describe("dm sync kubernetes over TLS with the cluster's CA", () => {
  it("verifies the server against certificate-authority-data, and refuses it without", async () => {
    const dir = tempDir("dm-kube-tls-");
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=dm test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver");
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    const state = { token: "tls-token-abcdef123456", objects: fixtureObjects(), forbidden: new Set<string>(), maxPage: 500 };
    const server = await startTlsKube(state, { key: read("server.key"), cert: read("server.crt") });
    try {
      const { cwd, db } = setup("");
      const file = kubeconfig(cwd, server.url, state.token, { "certificate-authority-data": Buffer.from(read("ca.crt")).toString("base64") });
      fs.writeFileSync(path.join(cwd, "dm.config.yaml"), `integrations:\n  - id: kubernetes\n    cluster: prod\n    kubeconfig: ${file}\n`);
      const r = await dm(["sync", "kubernetes", "--db", db, "--json"], { cwd, now: NOW });
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout).status).toBe("succeeded");
      expect((await query(db, "Find kube_deployment as d return d.name"))).toEqual([{ "d.name": "payments-api" }]);
      // without the CA the certificate is not trusted
      kubeconfig(cwd, server.url, state.token);
      const untrusted = await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW + 1000 });
      expect(untrusted.code).toBe(3);
      expect(untrusted.stderr).toMatch(/Kubernetes \(GET \/api\/v1\/namespaces\): cannot connect: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)/);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe("a JupiterOne question on the synced cluster", () => {
  it("which Kubernetes containers run privileged", async () => {
    // JupiterOne's published managed questions for Kubernetes were not found in
    // the references dm can search (graph-kubernetes ships no
    // jupiterone/questions/questions.yaml); this question is written in their
    // form on graph-kubernetes's documented kube_container_spec properties
    // (`securityContext.privileged`, src/steps/deployments/converters.ts).
    const { cwd, db } = setup(`integrations:\n  - id: kubernetes\n    cluster: prod\n    files: [${FIXTURE}]\n`);
    expect((await dm(["sync", "kubernetes", "--db", db], { cwd, now: NOW })).code).toBe(0);
    expect(
      await query(
        db,
        "FIND kube_container_spec WITH securityContext.privileged = true AS c THAT USES Deployment AS d RETURN d.namespace, d.name, c.name, c.image",
      ),
    ).toEqual([{ "d.namespace": "kube-system", "d.name": "node-exporter", "c.name": "node-exporter", "c.image": "quay.io/prometheus/node-exporter:v1.7.0" }]);
  });
});
