/**
 * Kubernetes API objects -> JupiterOne's Kubernetes model (graph-kubernetes):
 * kube_cluster -CONTAINS-> kube_namespace -CONTAINS-> workloads, services and
 * secrets; workloads -USES-> kube_container_spec (one per container, with its
 * image) -USES-> docker_image, the Image entity the git integration writes for
 * a Dockerfile's FROM (same key, so the two sides meet); kube_cluster
 * -CONTAINS-> kube_node.
 *
 * Pure: the client and the file reader hand objects in, records come out.
 * A Secret's `data`/`stringData` is never read.
 */
import net from "node:net";
import { parseImageReference } from "../git/extractors/dockerfile.js";
import type { EntityRecord, RelationshipRecord } from "../../store/types.js";

/**
 * Labels of the managed node pools that replace nodes rather than patch
 * them (EKS managed node groups, GKE node pools, AKS agent pools, Karpenter
 * node pools): such a node is an immutable VM for the hygiene rules.
 */
export const MANAGED_POOL_LABELS = ["eks.amazonaws.com/nodegroup", "cloud.google.com/gke-nodepool", "kubernetes.azure.com/agentpool", "karpenter.sh/nodepool"] as const;

/** A node's deployment model (docs/rules.md): immutable-vm in a managed pool, with its creation as its last rebuild; else nothing (unknown). */
export function nodeDeployment(labels: Record<string, string>, createdOn: number | undefined): Record<string, unknown> {
  const pool = MANAGED_POOL_LABELS.find((l) => labels[l] !== undefined);
  if (!pool) return {};
  return { deploymentModel: "immutable-vm", deploymentModelFrom: `label ${pool}`, mutable: false, ...(createdOn === undefined ? {} : { lastRebuiltOn: createdOn }) };
}

/** The kinds dm reads (`kubectl get deploy,sts,ds,cronjob,svc,ns,nodes,secrets`). */
export const KINDS = ["Namespace", "Node", "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Service", "Secret"] as const;
export type KubeKind = (typeof KINDS)[number];

export interface KubeMetadata {
  name?: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
}

export interface KubeContainer {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  securityContext?: {
    privileged?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
  };
}

interface PodSpec {
  containers?: KubeContainer[];
  initContainers?: KubeContainer[];
}

/** The parts of an object that are read; anything else (a Secret's data) is ignored. */
export interface KubeObject {
  kind?: string;
  metadata?: KubeMetadata;
  // biome-ignore lint/suspicious/noExplicitAny: the spec differs per kind; read defensively below
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as spec
  status?: any;
  /** a Secret's type (Opaque, kubernetes.io/tls, ...) */
  type?: string;
}

const WORKLOAD_TYPES = {
  Deployment: "kube_deployment",
  StatefulSet: "kube_stateful_set",
  DaemonSet: "kube_daemon_set",
  CronJob: "kube_cron_job",
} as const;

const TYPE_OF: Record<KubeKind, string> = {
  Namespace: "kube_namespace",
  Node: "kube_node",
  ...WORKLOAD_TYPES,
  Service: "kube_service",
  Secret: "kube_secret",
};

const CLASS_OF: Record<KubeKind, string> = {
  Namespace: "Group",
  Node: "Host",
  Deployment: "Deployment",
  StatefulSet: "Deployment",
  DaemonSet: "Deployment",
  CronJob: "Task",
  Service: "Service",
  // graph-kubernetes: Kubernetes Secret is a Vault (a collection of secrets)
  Secret: "Vault",
};

export function isKind(kind: string | undefined): kind is KubeKind {
  return (KINDS as readonly string[]).includes(kind ?? "");
}

export const clusterKey = (cluster: string) => `kube_cluster:${cluster}`;
export const namespaceKey = (cluster: string, namespace: string) => `kube_namespace:${cluster}/${namespace}`;

/** The same key the git integration gives a Dockerfile's image (see git/index.ts), or undefined when not a reference. */
export function imageRecord(reference: string): EntityRecord | undefined {
  const image = parseImageReference(reference.trim());
  if (!image) return undefined;
  const ref = `${image.name}${image.tag ? `:${image.tag}` : ""}${image.digest ? `@${image.digest}` : ""}`;
  return {
    _key: `docker_image:${ref}`,
    _type: "docker_image",
    _class: "Image",
    displayName: ref,
    name: image.name,
    ...(image.tag ? { tag: image.tag } : {}),
    ...(image.digest ? { digest: image.digest } : {}),
    pinning: image.pinning,
  };
}

const HOSTNAME = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]$/;
const FQDN = /(?=^.{4,253}$)(^((?!-)[a-zA-Z0-9-]{0,62}[a-zA-Z0-9]\.)+[a-zA-Z]{2,63}$)/;
const OS_TYPES = ["darwin", "linux", "unix", "windows"];
const unique = (values: string[]) => (values.length > 0 ? [...new Set(values)] : null);

function epochMs(timestamp: string | undefined): number | undefined {
  if (!timestamp) return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Properties with undefined values left out (the store compares JSON). */
function defined(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
}

function podSpecOf(kind: KubeKind, spec: KubeObject["spec"]): PodSpec | undefined {
  const template = kind === "CronJob" ? spec?.jobTemplate?.spec?.template : spec?.template;
  return template?.spec;
}

export interface KubeGraphOptions {
  cluster: string;
  /** the API server, when read from a kubeconfig */
  server?: string;
  skipTlsVerify?: boolean;
  /** only these namespaces (and cluster-scoped nodes) */
  namespaces?: readonly string[];
}

/**
 * Collects a cluster's records, one object at a time. `add` returns a
 * problem (an unknown kind, an object without a name) instead of throwing,
 * so that the caller can warn and go on.
 */
export class KubeGraph {
  readonly entities = new Map<string, EntityRecord>();
  readonly relationships = new Map<string, RelationshipRecord>();
  private readonly cluster: string;

  constructor(private readonly options: KubeGraphOptions) {
    this.cluster = options.cluster;
    this.entity(
      defined({
        _key: clusterKey(this.cluster),
        _type: "kube_cluster",
        _class: "Cluster",
        displayName: this.cluster,
        name: this.cluster,
        server: options.server,
        skipTlsVerify: options.server === undefined ? undefined : (options.skipTlsVerify ?? false),
      }) as EntityRecord,
    );
  }

  private entity(record: EntityRecord): void {
    if (!this.entities.has(record._key)) this.entities.set(record._key, record);
  }

  private edge(verb: "CONTAINS" | "USES", from: string, to: string, type: string, props: Record<string, unknown> = {}): void {
    const key = `${from}|${verb.toLowerCase()}|${to}`;
    if (this.relationships.has(key)) return;
    this.relationships.set(key, { _key: key, _type: type, _class: verb, _fromEntityKey: from, _toEntityKey: to, ...props });
  }

  private wanted(namespace: string): boolean {
    return !this.options.namespaces || this.options.namespaces.includes(namespace);
  }

  /** The namespace's entity, made from its name when the Namespace object itself was not read. */
  private namespace(name: string, object?: KubeObject): string {
    const key = namespaceKey(this.cluster, name);
    const existing = this.entities.get(key);
    if (existing && !object) return key;
    const meta = object?.metadata;
    const record = defined({
      _key: key,
      _type: "kube_namespace",
      _class: "Group",
      displayName: name,
      name,
      uid: meta?.uid,
      createdOn: epochMs(meta?.creationTimestamp),
      phase: object?.status?.phase,
    }) as EntityRecord;
    this.entities.set(key, record);
    this.edge("CONTAINS", clusterKey(this.cluster), key, "kube_cluster_contains_namespace");
    return key;
  }

  /** Add one object of `kind` (from the list it came in, or its own `kind`). */
  add(object: KubeObject, kind: string | undefined = object.kind): string | undefined {
    if (!isKind(kind)) return `${kind ? `kind ${kind}` : "an object without a kind"} is not read (dm reads ${KINDS.join(", ")}): skipped`;
    const meta = object.metadata ?? {};
    const name = meta.name;
    if (!name) return `a ${kind} without metadata.name: skipped`;
    if (kind === "Node") {
      this.node(object, name);
      return undefined;
    }
    if (kind === "Namespace") {
      if (this.wanted(name)) this.namespace(name, object);
      return undefined;
    }
    const ns = meta.namespace ?? "default";
    if (!this.wanted(ns)) return undefined;
    const nsKey = this.namespace(ns);
    const type = TYPE_OF[kind];
    const key = meta.uid ? meta.uid : `${type}:${this.cluster}/${ns}/${name}`;
    const common = {
      _key: key,
      _type: type,
      _class: CLASS_OF[kind],
      displayName: name,
      name,
      namespace: ns,
      cluster: this.cluster,
      uid: meta.uid,
      createdOn: epochMs(meta.creationTimestamp),
    };
    const relName = type.slice("kube_".length);
    if (kind === "Service") {
      const spec = object.spec ?? {};
      const ports = Array.isArray(spec.ports)
        ? spec.ports.map((p: { port?: number; protocol?: string }) => `${p.port}/${p.protocol ?? "TCP"}`)
        : undefined;
      this.entity(
        defined({
          ...common,
          // JupiterOne's Service class asks for a category and a function
          category: ["network"],
          function: ["networking"],
          serviceType: spec.type,
          clusterIP: spec.clusterIP,
          ports,
        }) as EntityRecord,
      );
      this.edge("CONTAINS", nsKey, key, `kube_namespace_contains_${relName}`);
      return undefined;
    }
    if (kind === "Secret") {
      // metadata only: the values (data, stringData) are never read
      this.entity(defined({ ...common, type: object.type }) as EntityRecord);
      this.edge("CONTAINS", nsKey, key, `kube_namespace_contains_${relName}`);
      return undefined;
    }
    // a workload
    const spec = object.spec ?? {};
    const pod = podSpecOf(kind, spec);
    const containers = [
      ...(pod?.initContainers ?? []).map((c) => ({ c, init: true })),
      ...(pod?.containers ?? []).map((c) => ({ c, init: false })),
    ];
    const images = [...new Set(containers.map(({ c }) => c.image).filter((i): i is string => typeof i === "string" && i !== ""))].sort();
    this.entity(
      defined({
        ...common,
        replicas: typeof spec.replicas === "number" ? spec.replicas : undefined,
        schedule: kind === "CronJob" ? spec.schedule : undefined,
        suspend: kind === "CronJob" ? (spec.suspend ?? false) : undefined,
        images,
        deploymentModel: "immutable-container",
      }) as EntityRecord,
    );
    this.edge("CONTAINS", nsKey, key, `kube_namespace_contains_${relName}`);
    for (const { c, init } of containers) {
      if (!c.name) continue;
      const specKey = `kube_container_spec:${key}/${c.name}`;
      const sc = c.securityContext ?? {};
      this.entity(
        defined({
          _key: specKey,
          _type: "kube_container_spec",
          _class: "Configuration",
          displayName: c.name,
          name: c.name,
          image: c.image,
          imagePullPolicy: c.imagePullPolicy,
          initContainer: init,
          "securityContext.privileged": sc.privileged,
          "securityContext.runAsNonRoot": sc.runAsNonRoot,
          "securityContext.runAsUser": sc.runAsUser,
          "securityContext.readOnlyRootFilesystem": sc.readOnlyRootFilesystem,
          "securityContext.allowPrivilegeEscalation": sc.allowPrivilegeEscalation,
        }) as EntityRecord,
      );
      this.edge("USES", key, specKey, `${type}_uses_container_spec`);
      const image = c.image ? imageRecord(c.image) : undefined;
      if (image) {
        this.entity(image);
        this.edge("USES", specKey, image._key, "kube_container_spec_uses_docker_image");
      }
    }
    return undefined;
  }

  private node(object: KubeObject, name: string): void {
    const meta = object.metadata ?? {};
    const addresses: Array<{ type?: string; address?: string }> = Array.isArray(object.status?.addresses) ? object.status.addresses : [];
    const all = (type: string) => addresses.filter((a) => a.type === type && a.address).map((a) => a.address as string);
    const info = object.status?.nodeInfo ?? {};
    const key = meta.uid ? meta.uid : `kube_node:${this.cluster}/${name}`;
    const ips = [...all("InternalIP"), ...all("ExternalIP")];
    const hostname = (all("Hostname")[0] ?? name).split(".")[0]!;
    const fqdn = [name, ...all("InternalDNS"), ...all("ExternalDNS")].filter((n) => FQDN.test(n));
    // JupiterOne's Host class asks for these; what a node does not say is null
    this.entity(
      defined({
        _key: key,
        _type: "kube_node",
        _class: "Host",
        displayName: name,
        name,
        cluster: this.cluster,
        uid: meta.uid,
        createdOn: epochMs(meta.creationTimestamp),
        category: "server",
        hostname: HOSTNAME.test(hostname) ? hostname : null,
        fqdn: fqdn.length > 0 ? [...new Set(fqdn)] : null,
        ipv4Addresses: unique(ips.filter((ip) => net.isIPv4(ip))),
        ipv6Addresses: unique(ips.filter((ip) => net.isIPv6(ip))),
        macAddresses: null,
        privateIpAddresses: unique(all("InternalIP")),
        publicIpAddresses: unique(all("ExternalIP")),
        serial: null,
        deviceId: null,
        lastSeenOn: null,
        make: null,
        model: meta.labels?.["node.kubernetes.io/instance-type"] ?? null,
        osName: info.osImage ?? null,
        osType: OS_TYPES.includes(info.operatingSystem) ? info.operatingSystem : info.operatingSystem ? "other" : null,
        osDetails: info.osImage ?? null,
        osVersion: null,
        providerID: object.spec?.providerID,
        unschedulable: object.spec?.unschedulable ?? false,
        kernelVersion: info.kernelVersion,
        kubeletVersion: info.kubeletVersion,
        containerRuntimeVersion: info.containerRuntimeVersion,
        architecture: info.architecture,
        // a node of a managed pool is replaced, not patched in place: created from its image, rebuilt when replaced
        ...nodeDeployment(meta.labels ?? {}, epochMs(meta.creationTimestamp)),
      }) as EntityRecord,
    );
    this.edge("CONTAINS", clusterKey(this.cluster), key, "kube_cluster_contains_node");
  }

  records(): { entities: EntityRecord[]; relationships: RelationshipRecord[] } {
    return { entities: [...this.entities.values()], relationships: [...this.relationships.values()] };
  }
}
