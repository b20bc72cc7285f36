/**
 * A small graph for the three-rs rules: for each built-in rule an entity that
 * violates it, one that is fine and (for the rules with appliesTo) one of a
 * deployment model it does not apply to, written with the property names the
 * integrations write (hosts inventory, AWS credential report, Vault, git,
 * Kubernetes). `expected` says, per rule, which entities violate it at NOW.
 */
import { DAY_MS } from "../../src/core/maintenance/due.js";
import type { EntityRecord, RelationshipRecord } from "../../src/store/types.js";

export const NOW = Date.UTC(2026, 10, 23, 12);
export const ago = (days: number) => NOW - days * DAY_MS;

const host = (name: string, props: Record<string, unknown>): EntityRecord => ({
  _key: `host:${name}`,
  _type: "host",
  _class: "Host",
  displayName: name,
  hostname: name,
  ...props,
});

const key = (user: string, n: number, props: Record<string, unknown>): EntityRecord => ({
  _key: `arn:aws:iam::123456789012:user/${user}#key${n}`,
  _type: "aws_iam_access_key",
  _class: "AccessKey",
  displayName: `${user} access key ${n}`,
  ...props,
});

const secret = (path: string, props: Record<string, unknown>): EntityRecord => ({
  _key: `hashicorp_vault_secret:vault-1:secret/${path}`,
  _type: "hashicorp_vault_secret",
  _class: "Secret",
  displayName: path,
  name: path,
  ...props,
});

const image = (ref: string, props: Record<string, unknown>): EntityRecord => ({
  _key: `docker_image:${ref}`,
  _type: "docker_image",
  _class: "Image",
  displayName: ref,
  name: ref.split(":")[0],
  ...props,
});

const repo = (name: string, props: Record<string, unknown>): EntityRecord => ({
  _key: `repo:${name}`,
  _type: "git_repo",
  _class: "CodeRepo",
  displayName: name,
  name,
  archived: false,
  lastCommitOn: ago(3),
  ...props,
});

const edge = (from: string, verb: string, to: string, type: string): RelationshipRecord => ({
  _key: `${from}|${verb.toLowerCase()}|${to}`,
  _type: type,
  _class: verb,
  _fromEntityKey: from,
  _toEntityKey: to,
});

/** A vulnerability finding (as `dm vulns scan` writes it) on an asset. */
function vulnFinding(asset: EntityRecord, id: string, dueDate: number): { entity: EntityRecord; edge: RelationshipRecord } {
  const k = `deferred_maintenance:aaaa0000:${asset._key}:${id}`;
  return {
    entity: {
      _key: k,
      _type: "deferred_maintenance",
      _class: "Finding",
      displayName: `Fix ${id}`,
      maintenanceId: "aaaa0000",
      shortDescription: `Fix ${id}`,
      description: "Update the package",
      webLink: "https://osv.dev/",
      dueDate,
      status: "open",
      closed: false,
      createdBy: "dm",
      createdOn: ago(60),
      query: "",
      tracked: false,
      entityKey: asset._key,
      entityType: asset._type,
      entityName: String(asset.displayName),
      vulnerabilityId: id,
      severity: "high",
    },
    edge: edge(asset._key, "HAS", k, `${asset._type}_has_deferred_maintenance`),
  };
}

export const TEAM = { _key: "team:core", _type: "team", _class: "Team", displayName: "Core", name: "core" } satisfies EntityRecord;
export const PERSON = { _key: "person:alice", _type: "person", _class: "Person", displayName: "Alice", name: "alice" } satisfies EntityRecord;

export const E = {
  // hosts (hosts inventory: deployment + mutable, lastPatchedOn, lastRebuiltOn; osquery: lastSeenOn)
  oldVm: host("old-vm", { deployment: "mutable-vm", mutable: true, lastPatchedOn: ago(60), lastRebuiltOn: ago(200), lastSeenOn: ago(30) }),
  freshVm: host("fresh-vm", { deployment: "mutable-vm", mutable: true, lastPatchedOn: ago(5), lastRebuiltOn: ago(10), lastSeenOn: ago(1) }),
  metal: host("metal-1", { deployment: "bare-metal", mutable: true, lastPatchedOn: ago(40), lastRebuiltOn: ago(100), lastSeenOn: ago(2), owner: "ops" }),
  container: host("container-1", {
    deployment: "immutable-container",
    mutable: false,
    lastPatchedOn: ago(300),
    lastRebuiltOn: ago(300),
    lastSeenOn: ago(1),
    owner: "platform",
  }),
  mystery: host("mystery-1", { lastPatchedOn: ago(100), lastRebuiltOn: ago(200), lastSeenOn: ago(1) }),
  // Kubernetes: a workload (immutable-container) and the container spec that uses an image
  workload: {
    _key: "kube_deployment:prod/payments/api",
    _type: "kube_deployment",
    _class: "Deployment",
    displayName: "payments-api",
    name: "payments-api",
    deploymentModel: "immutable-container",
  } satisfies EntityRecord,
  spec: { _key: "kube_container_spec:kube_deployment:prod/payments/api/api", _type: "kube_container_spec", _class: "Configuration", displayName: "api", name: "api" } satisfies EntityRecord,
  lambda: { _key: "aws_lambda_function:resize", _type: "aws_lambda_function", _class: "Function", displayName: "resize", deploymentModel: "serverless" } satisfies EntityRecord,
  // AWS credential report
  keyOld: key("old", 1, { active: true, lastRotatedOn: ago(120), lastUsedOn: ago(1) }),
  keyUnused: key("unused", 1, { active: true, lastRotatedOn: ago(10), lastUsedOn: ago(60) }),
  keyInactive: key("gone", 2, { active: false, lastRotatedOn: ago(300), lastUsedOn: ago(300) }),
  keyFresh: key("fresh", 1, { active: true, lastRotatedOn: ago(10), lastUsedOn: ago(1) }),
  // Vault
  secretOld: secret("db/password", { createdOn: ago(400), updatedOn: ago(100), rotatedOn: ago(100) }),
  secretNew: secret("api/token", { createdOn: ago(400), updatedOn: ago(5), rotatedOn: ago(5) }),
  // images (git's Dockerfile extractor: pinning; createdOn where known)
  imageLatest: image("python:latest", { tag: "latest", pinning: "latest" }),
  imagePinned: image("node:20.11.1", { tag: "20.11.1", pinning: "tag" }),
  imageOldRunning: image("acme/payments:1.0", { tag: "1.0", pinning: "tag", createdOn: ago(200) }),
  imageOldIdle: image("acme/legacy:0.9", { tag: "0.9", pinning: "tag", createdOn: ago(200) }),
  imageNewRunning: image("acme/payments:2.0", { tag: "2.0", pinning: "tag", createdOn: ago(10) }),
  imageOldOnHost: image("acme/worker:1.0", { tag: "1.0", pinning: "tag", createdOn: ago(150) }),
  // repositories
  archived: repo("archived-svc", { archived: true, lastCommitOn: ago(400) }),
  active: repo("active-svc", {}),
  idle: repo("idle-lib", { lastCommitOn: ago(400) }),
  orphan: repo("orphan", {}),
  vulnerable: repo("vulnerable-svc", {}),
} satisfies Record<string, EntityRecord>;

const vulnLate = vulnFinding(E.vulnerable, "CVE-2026-0001", ago(5));
const vulnNotYet = vulnFinding(E.active, "CVE-2026-0002", NOW + 20 * DAY_MS);

export const RULES_GRAPH: { entities: EntityRecord[]; relationships: RelationshipRecord[] } = {
  entities: [TEAM, PERSON, ...Object.values(E), vulnLate.entity, vulnNotYet.entity],
  relationships: [
    // owners: a Team or Person OWNS the asset (CODEOWNERS, the people sync)
    edge(TEAM._key, "OWNS", E.freshVm._key, "team_owns_host"),
    edge(PERSON._key, "OWNS", E.mystery._key, "person_owns_host"),
    edge(TEAM._key, "OWNS", E.archived._key, "team_owns_git_repo"),
    edge(TEAM._key, "OWNS", E.active._key, "team_owns_git_repo"),
    edge(PERSON._key, "OWNS", E.idle._key, "person_owns_git_repo"),
    edge(TEAM._key, "OWNS", E.vulnerable._key, "team_owns_git_repo"),
    // what repositories deploy
    edge(E.archived._key, "DEPLOYS", E.imagePinned._key, "git_repo_deploys_docker_image"),
    edge(E.active._key, "DEPLOYS", E.imageLatest._key, "git_repo_deploys_docker_image"),
    // what runs: workload -USES-> container spec -USES-> image
    edge(E.workload._key, "USES", E.spec._key, "kube_deployment_uses_container_spec"),
    edge(E.spec._key, "USES", E.imageOldRunning._key, "kube_container_spec_uses_docker_image"),
    edge(E.spec._key, "USES", E.imageNewRunning._key, "kube_container_spec_uses_docker_image"),
    // a host running an image (the sample organisation's host_uses_docker_image)
    edge(E.container._key, "USES", E.imageOldOnHost._key, "host_uses_docker_image"),
    vulnLate.edge,
    vulnNotYet.edge,
  ],
};

/** Per built-in rule, the keys of the entities that violate it at NOW. */
export const EXPECTED_VIOLATIONS: Record<string, string[]> = {
  "repair-host-patch": [E.oldVm._key, E.metal._key],
  "repair-image-pinning": [E.imageLatest._key],
  "repair-vulnerable-packages": [E.vulnerable._key],
  "rotate-access-key-age": [E.keyOld._key],
  "rotate-access-key-unused": [E.keyUnused._key],
  "rotate-vault-secret-age": [E.secretOld._key],
  "repave-host-age": [E.oldVm._key, E.metal._key],
  "hygiene-no-owner": [E.oldVm._key, E.orphan._key],
  "hygiene-archived-deployed": [E.archived._key],
  "aging-repo-deployed": [E.archived._key],
  "aging-host-unseen": [E.oldVm._key],
  "aging-image-running": [E.imageOldRunning._key, E.imageOldOnHost._key],
};
