import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dataModelProblemsOf } from "../../../test/data-model.js";
import { InputError } from "../../shared/errors.js";
import { itemWarning, parseKubectlJson } from "./files.js";
import { imageRecord, KubeGraph } from "./map.js";

const FIXTURE = path.join(import.meta.dirname, "fixtures", "prod.json");
const text = fs.readFileSync(FIXTURE, "utf8");

function graphOf(options: { namespaces?: string[] } = {}) {
  const graph = new KubeGraph({ cluster: "prod", ...options });
  const problems: string[] = [];
  for (const { object, kind } of parseKubectlJson(text, "prod.json").objects) {
    const p = graph.add(object, kind);
    if (p) problems.push(p);
  }
  return { ...graph.records(), problems };
}

describe("kubernetes map", () => {
  it("maps kubectl's List into JupiterOne's Kubernetes types", () => {
    const { entities, relationships, problems } = graphOf();
    expect(problems).toEqual([]);
    const count = (t: string) => entities.filter((e) => e._type === t).length;
    expect({
      cluster: count("kube_cluster"),
      ns: count("kube_namespace"),
      node: count("kube_node"),
      deploy: count("kube_deployment"),
      sts: count("kube_stateful_set"),
      ds: count("kube_daemon_set"),
      cron: count("kube_cron_job"),
      svc: count("kube_service"),
      secret: count("kube_secret"),
      spec: count("kube_container_spec"),
      image: count("docker_image"),
    }).toEqual({ cluster: 1, ns: 3, node: 2, deploy: 1, sts: 1, ds: 1, cron: 1, svc: 2, secret: 2, spec: 6, image: 5 });
    const api = entities.find((e) => e._type === "kube_deployment")!;
    expect(api).toMatchObject({
      _key: "1d2e3f40-aaaa-4bbb-8ccc-000000000001",
      _class: "Deployment",
      name: "payments-api",
      namespace: "payments",
      replicas: 3,
      images: ["envoyproxy/envoy:v1.29.1", "ghcr.io/acme/payments-api:1.4.2"],
      deploymentModel: "immutable-container",
      createdOn: Date.UTC(2026, 2, 1, 10),
    });
    expect(entities.find((e) => e._type === "kube_cron_job")).toMatchObject({ _class: "Task", schedule: "0 3 * * *", images: ["node:20-alpine"] });
    const types = new Set(relationships.map((r) => `${r._type} ${r._class}`));
    expect([...types].sort()).toEqual([
      "kube_cluster_contains_namespace CONTAINS",
      "kube_cluster_contains_node CONTAINS",
      "kube_container_spec_uses_docker_image USES",
      "kube_cron_job_uses_container_spec USES",
      "kube_daemon_set_uses_container_spec USES",
      "kube_deployment_uses_container_spec USES",
      "kube_namespace_contains_cron_job CONTAINS",
      "kube_namespace_contains_daemon_set CONTAINS",
      "kube_namespace_contains_deployment CONTAINS",
      "kube_namespace_contains_secret CONTAINS",
      "kube_namespace_contains_service CONTAINS",
      "kube_namespace_contains_stateful_set CONTAINS",
      "kube_stateful_set_uses_container_spec USES",
    ]);
    // every edge's ends are written by the same batch
    const keys = new Set(entities.map((e) => e._key));
    for (const r of relationships) expect(keys.has(r._fromEntityKey) && keys.has(r._toEntityKey), r._key).toBe(true);
  });

  it("writes only entities valid in JupiterOne's data model", () => {
    expect(dataModelProblemsOf(graphOf().entities)).toEqual([]);
  });

  it("never reads a secret's values", () => {
    const { entities, relationships } = graphOf();
    const all = JSON.stringify([entities, relationships]);
    expect(all).not.toContain("aHVudGVyMi1kby1ub3QtbGVhaw");
    expect(all).not.toContain("hunter2");
    expect(all).not.toContain("tls.key");
    expect(entities.find((e) => e.name === "payments-tls")).toMatchObject({ _type: "kube_secret", _class: "Vault", type: "kubernetes.io/tls" });
  });

  it("gives an image the key the git integration gives a Dockerfile's FROM", () => {
    expect(imageRecord("node:20-alpine")?._key).toBe("docker_image:node:20-alpine");
    expect(imageRecord("docker.io/library/node:20-alpine")?._key).toBe("docker_image:node:20-alpine");
    expect(imageRecord("nginx")).toMatchObject({ _key: "docker_image:nginx:latest", pinning: "latest" });
    expect(imageRecord("GHCR.IO/acme/api:1")?._key).toBe("docker_image:ghcr.io/acme/api:1");
    expect(imageRecord("Acme/API:1")).toBeUndefined();
    const { relationships } = graphOf();
    const cron = relationships.find((r) => r._type === "kube_container_spec_uses_docker_image" && r._fromEntityKey.includes("000000000004"));
    expect(cron?._toEntityKey).toBe("docker_image:node:20-alpine");
  });

  it("records a node of a managed pool as an immutable VM (rebuilt when created); another node's model stays unknown", () => {
    const nodes = graphOf().entities.filter((e) => e._type === "kube_node");
    const pooled = nodes.find((n) => n.name === "ip-10-0-1-17.ec2.internal")!;
    expect(pooled).toMatchObject({ deploymentModel: "immutable-vm", deploymentModelFrom: "label eks.amazonaws.com/nodegroup", mutable: false, lastRebuiltOn: Date.parse("2026-03-01T10:00:00Z") });
    const other = nodes.find((n) => n.name === "ip-10-0-2-33.ec2.internal")!;
    expect(other.deploymentModel).toBeUndefined();
    expect(other.lastRebuiltOn).toBeUndefined();
  });

  it("keeps only the configured namespaces (nodes are the cluster's)", () => {
    const { entities } = graphOf({ namespaces: ["kube-system"] });
    expect(entities.filter((e) => e._type === "kube_namespace").map((e) => e.name)).toEqual(["kube-system"]);
    expect(entities.filter((e) => e._type === "kube_daemon_set")).toHaveLength(1);
    expect(entities.filter((e) => e._type === "kube_deployment")).toHaveLength(0);
    expect(entities.filter((e) => e._type === "kube_node")).toHaveLength(2);
  });

  it("reads a typed list whose items omit their kind, and one object", () => {
    const list = parseKubectlJson(JSON.stringify({ kind: "ServiceList", items: [{ metadata: { name: "a", namespace: "x" } }] }), "svc.json");
    expect(list.objects[0]?.kind).toBe("Service");
    expect(parseKubectlJson('{"kind":"Namespace","metadata":{"name":"x"}}', "ns.json").objects[0]?.kind).toBe("Namespace");
  });

  it("refuses a file that is not JSON, naming the file, line and column", () => {
    const bad = '{\n  "kind": "List",\n  "items": [\n    {"kind": "Service",}\n  ]\n}';
    let error: unknown;
    try {
      parseKubectlJson(bad, "k8s/prod.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      "k8s/prod.json:4:24: not JSON (PropertyNameExpected): expected the output of kubectl get ... -o json",
    );
    expect(() => parseKubectlJson("[1]", "x.json")).toThrow("x.json: expected a Kubernetes object or List");
  });

  it("an item of a kind it does not read is a problem, with the item's line", () => {
    const doc = '{\n  "kind": "List",\n  "items": [\n    {"kind": "Namespace", "metadata": {"name": "a"}},\n    {"kind": "Ingress", "metadata": {"name": "web", "namespace": "a"}}\n  ]\n}';
    const graph = new KubeGraph({ cluster: "prod" });
    const warnings = parseKubectlJson(doc, "k.json").objects.flatMap(({ object, kind, index }) => {
      const p = graph.add(object, kind);
      return p ? [itemWarning(doc, "k.json", index, p)] : [];
    });
    expect(warnings).toEqual([
      {
        file: "k.json",
        line: 5,
        message: "items[1]: kind Ingress is not read (dm reads Namespace, Node, Deployment, StatefulSet, DaemonSet, CronJob, Service, Secret): skipped",
      },
    ]);
  });
});
