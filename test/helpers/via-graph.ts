/**
 * A small graph for the feedback loop: the repo `shop` deploys a host, a
 * function and (through the image it builds) a Kubernetes workload, each with
 * findings, plus the traps a report must not fall into.
 *
 *   repo:shop -DEPLOYED-> host:shop-1           SSL open, 3 days overdue; ROT closed (not reported)
 *   repo:shop -DEPLOYS->  host:shop-1           (a second path to the same host: its finding once)
 *   lambda:shop-fn -DEPLOYS-> repo:shop         (stored the other way round) FN open, due in 10 days
 *   repo:shop -BUILDS->   docker_image:shop     IMG open, due in 20 days
 *   kube_container_spec:shop/app -USES-> docker_image:shop   SPEC open (finding -HAS-> spec), 1 day overdue
 *   kube_deployment:shop -USES-> kube_container_spec:shop/app  K8S open, 12 days overdue
 *   host:shop-1 -USES-> docker_image:shop       (the host runs the image too: a third path)
 *   repo:shop HAS TF (its own, 20 days overdue) and BOTH, linked to the repo and the host (its own: no via)
 *   repo:lib  -USES-> docker_image:shop         (a Dockerfile FROM it: not shop's, never reported via)
 *   repo:lib HAS LIB (its own, overdue): never in shop's report
 *   repo:shop -DEPLOYED-> host:retired          edge deleted: RET never reported
 *   repo:quiet deploys host:shop-1 too, and nothing else: its report is SSL (and BOTH) via shop-1
 */
import { DAY_MS } from "../../src/core/maintenance/due.js";
import type { FindingProps } from "../../src/core/maintenance/finding.js";
import type { EntityRecord, RelationshipRecord } from "../../src/store/types.js";
import { type AssetSpec, handMadeFinding, type ItemSpec } from "./findings.js";

export const VIA_NOW = Date.UTC(2026, 10, 23, 12);
const DAY = DAY_MS;

export const VIA_ITEMS = {
  TF: { id: "9c3e21a0", short: "Upgrade Terraform to 1.x", link: "https://wiki.example.com/tf1", due: VIA_NOW - 20 * DAY },
  SSL: { id: "22222222", short: "Patch OpenSSL", link: "https://wiki.example.com/openssl", due: VIA_NOW - 3 * DAY },
  ROT: { id: "33333333", short: "Rotate host keys", link: "https://wiki.example.com/rotate", due: VIA_NOW - 9 * DAY },
  FN: { id: "44444444", short: "Move to nodejs20.x", link: "https://wiki.example.com/node20", due: VIA_NOW + 10 * DAY },
  IMG: { id: "55555555", short: "Rebuild on the new base", link: "https://wiki.example.com/base", due: VIA_NOW + 20 * DAY },
  SPEC: { id: "66666666", short: "Drop privileged containers", link: "https://wiki.example.com/priv", due: VIA_NOW - DAY },
  K8S: { id: "77777777", short: "Set resource limits", link: "https://wiki.example.com/limits", due: VIA_NOW - 12 * DAY },
  BOTH: { id: "88888888", short: "Shared chore", link: "https://wiki.example.com/shared", due: VIA_NOW + 5 * DAY },
  LIB: { id: "99999999", short: "Library chore", link: "https://wiki.example.com/lib", due: VIA_NOW - 2 * DAY },
  RET: { id: "aaaaaaaa", short: "Retired host chore", link: "https://wiki.example.com/ret", due: VIA_NOW - 2 * DAY },
} satisfies Record<string, ItemSpec>;

export const VIA_ASSETS = {
  shop: { key: "repo:shop", type: "github_repo", name: "shop", owner: "shop-team" },
  lib: { key: "repo:lib", type: "github_repo", name: "lib" },
  quiet: { key: "repo:quiet", type: "github_repo", name: "quiet" },
  host: { key: "host:shop-1", type: "host", name: "shop-1", owner: "platform" },
  retired: { key: "host:retired", type: "host", name: "retired" },
  fn: { key: "lambda:shop-fn", type: "aws_lambda_function", name: "shop-fn" },
  image: { key: "docker_image:shop", type: "docker_image", name: "acme/shop" },
  spec: { key: "kube_container_spec:uid-1/app", type: "kube_container_spec", name: "app" },
  workload: { key: "uid-1", type: "kube_deployment", name: "shop-web" },
} satisfies Record<string, AssetSpec>;

const CLASS: Record<string, string> = {
  github_repo: "CodeRepo",
  host: "Host",
  aws_lambda_function: "Function",
  docker_image: "Image",
  kube_container_spec: "Configuration",
  kube_deployment: "Deployment",
};

function asset(a: AssetSpec, extra: Record<string, unknown> = {}): EntityRecord {
  return { _key: a.key, _type: a.type, _class: CLASS[a.type]!, displayName: a.name, name: a.name, ...extra };
}

function edge(verb: string, from: AssetSpec, to: AssetSpec): RelationshipRecord {
  return {
    _key: `${from.key}|${verb.toLowerCase()}|${to.key}`,
    _type: `${from.type}_${verb.toLowerCase()}_${to.type}`,
    _class: verb,
    _fromEntityKey: from.key,
    _toEntityKey: to.key,
  };
}

const closed: Partial<FindingProps> = {
  closed: true,
  status: "closed",
  closedOn: VIA_NOW - DAY,
  closedBy: "carol@example.com",
  closeReason: "COMPLETE",
  maintenanceLink: "https://example.com/pr/1",
};

/** The graph, and the key of the edge to mark deleted after loading (repo:shop -DEPLOYED-> host:retired). */
export function viaGraph(): { entities: EntityRecord[]; relationships: RelationshipRecord[]; deletedEdge: string } {
  const { shop, lib, quiet, host, retired, fn, image, spec, workload } = VIA_ASSETS;
  const I = VIA_ITEMS;
  const f = (item: ItemSpec, on: AssetSpec, extra: Partial<FindingProps> = {}) => handMadeFinding(item, on, VIA_NOW, extra);
  const own = [f(I.TF, shop), f(I.LIB, lib)];
  const onAssets = [f(I.SSL, host), f(I.ROT, host, closed), f(I.FN, fn), f(I.IMG, image), f(I.K8S, workload), f(I.RET, retired)];
  // linked the other way round (finding -HAS-> spec), as some imports do
  const specFinding = f(I.SPEC, spec);
  const reversed: RelationshipRecord = { ...specFinding.edge, _key: `${specFinding.entity._key}|has|${spec.key}`, _fromEntityKey: specFinding.entity._key, _toEntityKey: spec.key };
  // one finding linked to both the repo and the host: the repo's own
  const both = f(I.BOTH, shop);
  const deletedEdge = edge("DEPLOYED", shop, retired);
  return {
    entities: [
      asset(shop, { remoteUrl: "https://github.com/acme/shop" }),
      asset(lib),
      asset(quiet),
      asset(host),
      asset(retired),
      asset(fn),
      asset(image),
      asset(spec),
      asset(workload),
      ...[...own, ...onAssets, specFinding, both].map((x) => x.entity),
    ],
    relationships: [
      ...[...own, ...onAssets, both].map((x) => x.edge),
      reversed,
      { ...both.edge, _key: `${host.key}|has|${both.entity._key}`, _type: "host_has_deferred_maintenance", _fromEntityKey: host.key },
      edge("DEPLOYED", shop, host),
      edge("DEPLOYS", shop, host),
      edge("DEPLOYS", fn, shop),
      edge("BUILDS", shop, image),
      edge("USES", spec, image),
      edge("USES", workload, spec),
      edge("USES", host, image),
      edge("USES", lib, image),
      edge("DEPLOYED", quiet, host),
      deletedEdge,
    ],
    deletedEdge: deletedEdge._key,
  };
}
