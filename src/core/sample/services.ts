/**
 * A little of each service for `dm demo`: canned answers in the shapes the
 * integrations' clients receive (GitHub, GitLab and Bitbucket REST, PagerDuty
 * v2, Vault's metadata endpoints, `kubectl get -o json`, LDAP entries), for
 * an organisation "acme", put through each integration's own mapping
 * (`src/integrations/<id>/map.ts`, and the kubectl parser) so the demo's graph
 * is what a sync of those answers writes.
 *
 * The people are the sample organisation's (generate-org.ts): same names and
 * emails, so the people step after each sync joins their accounts into one
 * Person; GitHub teams and the PagerDuty team carry sample team names, so a
 * sample team is the same owner there. Times are relative to the day of
 * `now`; who is on call now, to `now` itself.
 */
import * as bitbucket from "../../integrations/bitbucket/map.js";
import * as github from "../../integrations/github/map.js";
import * as gitlab from "../../integrations/gitlab/map.js";
import { parseKubectlJson } from "../../integrations/kubernetes/files.js";
import { KubeGraph } from "../../integrations/kubernetes/map.js";
import { type LdapEntry, mapDirectory } from "../../integrations/ldap/map.js";
import * as pagerduty from "../../integrations/pagerduty/map.js";
import * as vault from "../../integrations/vault/map.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";
import { DEMO_SIZE, generateOrg, type OrgSize } from "./generate-org.js";

const DAY = 86_400_000;

export interface ServiceSource {
  /** the integration's id (`github`, ...) */
  integration: string;
  /** the instance name a sync of that integration would have */
  instance: string;
  batch: GraphBatch;
}

/** Who and what of the sample organisation the services refer to. */
export interface SampleDirectory {
  people: { name: string; email: string; username: string }[];
  /** team names (`payments`), as `team:<name>` keys them */
  teams: string[];
  /** a docker image the sample's repositories use (`name:tag`), when the sample has one */
  image?: string;
}

/** The first people and teams of the sample organisation of `size` (the same for any size that has them). */
export function sampleDirectory(now: number, size: OrgSize = DEMO_SIZE): SampleDirectory {
  const people: SampleDirectory["people"] = [];
  const teams: string[] = [];
  let image: string | undefined;
  for (const batch of generateOrg({ size, now, chunkSize: 64 })) {
    for (const e of batch.entities) {
      if (e._type === "team") teams.push(String(e.name));
      else if (e._type === "person" && people.length < 8) {
        people.push({ name: String(e.displayName), email: String(e.email), username: String(e.username) });
      } else if (e._type === "docker_image" && String(e.name).startsWith("registry.example.com/")) {
        image ??= `${e.name}:${e.tag}`;
      }
    }
    if (image || batch.entities.some((e) => e._type === "git_repo")) break;
  }
  return { people, teams, ...(image ? { image } : {}) };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A service login unlike the sample's own usernames (`alice.smith`): the
 * sample's people are also keyed by username (`person:alice.smith`, as a
 * CODEOWNERS handle would be), and a login equal to it would join the account
 * to that Person rather than to the one its email makes.
 */
function login(p: { name: string }): string {
  const words = p.name.toLowerCase().split(/\s+/);
  return `${words[0]!.charAt(0)}${words.at(-1)}`;
}

/** The n-th sample person, cycling when the sample has fewer. */
function personAt(dir: SampleDirectory, n: number) {
  const p = dir.people[n % dir.people.length];
  if (!p) throw new Error("the sample organisation has no people");
  return p;
}

function teamAt(dir: SampleDirectory, n: number, fallback: string): string {
  return dir.teams.length > 0 ? dir.teams[n % dir.teams.length]! : fallback;
}

function titleCase(slug: string): string {
  return slug
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}

/** Keep only relationships whose two ends are in the batch (as each integration's sync does). */
function closed(entities: EntityRecord[], relationships: RelationshipRecord[]): GraphBatch {
  const keys = new Set(entities.map((e) => e._key));
  return { entities, relationships: relationships.filter((r) => keys.has(r._fromEntityKey) && keys.has(r._toEntityKey)) };
}

// ---- GitHub: organisation acme ----

export const GITHUB_REPOS = ["payments-api", "checkout-web", "ledger-worker", "docs-portal"] as const;
/** The sample's GitHub repos without branch protection on their default branch. */
export const GITHUB_UNPROTECTED = ["ledger-worker", "docs-portal"] as const;
export const GITHUB_OUTSIDE_COLLABORATOR = "Dana Contractor";

function githubSource(dir: SampleDirectory, now: number): ServiceSource {
  const org: github.GhOrg = { login: "acme", id: 1000, node_id: "O_kgDOAcme0001", html_url: "https://github.com/acme", name: "Acme" };
  const account = github.toAccountEntity(org);
  const entities: EntityRecord[] = [account];
  const rels: RelationshipRecord[] = [];
  const userOf = (n: number): github.GhUser => {
    const p = personAt(dir, n);
    return { login: login(p), id: 2000 + n, node_id: `U_kgDOAcme${2000 + n}`, html_url: `https://github.com/${login(p)}`, name: p.name, email: p.email };
  };
  const members = [0, 1, 2, 3, 4].map(userOf);
  members.forEach((m, i) => {
    const role = i === 0 ? "ADMIN" : "MEMBER";
    const user = github.toUserEntity(m, role);
    entities.push(user);
    rels.push(github.edge(github.REL.accountHasUser, "HAS", account._key, user._key));
    if (role === "ADMIN") rels.push(github.edge(github.REL.userManagesAccount, "MANAGES", user._key, account._key));
  });
  const repos: github.GhRepo[] = GITHUB_REPOS.map((name, i) => ({
    id: 3000 + i,
    node_id: `R_kgDOAcme${3000 + i}`,
    name,
    full_name: `acme/${name}`,
    private: name !== "docs-portal",
    html_url: `https://github.com/acme/${name}`,
    default_branch: "main",
    language: name === "ledger-worker" ? "Go" : "TypeScript",
    topics: name === "payments-api" ? ["payments", "pci"] : [],
    pushed_at: iso(now - (i + 1) * 3 * DAY),
    created_at: iso(now - (400 + i * 30) * DAY),
    updated_at: iso(now - (i + 1) * DAY),
  }));
  for (const repo of repos) {
    const entity = github.toRepoEntity(repo);
    entities.push(entity);
    rels.push(github.edge(github.REL.accountOwnsRepo, "OWNS", account._key, entity._key));
    if (!(GITHUB_UNPROTECTED as readonly string[]).includes(repo.name)) {
      const protection: github.GhBranchProtection = {
        enforce_admins: { enabled: true },
        required_pull_request_reviews: { required_approving_review_count: 1, require_code_owner_reviews: true },
        required_status_checks: { strict: true, contexts: ["ci"] },
        allow_force_pushes: { enabled: false },
      };
      const rule = github.toBranchProtectionEntity(repo, "main", protection);
      entities.push(rule);
      rels.push(github.edge(github.REL.repoHasRule, "HAS", entity._key, rule._key));
    }
  }
  // two teams named as sample teams, each with members and repositories
  const teams: github.GhTeam[] = [0, 1].map((n) => {
    const slug = teamAt(dir, n, n === 0 ? "payments" : "platform");
    return { id: 4000 + n, node_id: `T_kwDOAcme${4000 + n}`, html_url: `https://github.com/orgs/acme/teams/${slug}`, name: titleCase(slug), slug };
  });
  teams.forEach((team, n) => {
    entities.push(github.toTeamEntity(team));
    rels.push(github.edge(github.REL.accountHasTeam, "HAS", account._key, team.node_id));
    for (const m of n === 0 ? [members[1]!, members[2]!] : [members[3]!, members[4]!]) {
      rels.push(github.edge(github.REL.teamHasUser, "HAS", team.node_id, m.node_id));
    }
    const own = n === 0 ? repos.slice(0, 2) : repos.slice(2);
    for (const r of own) rels.push(github.repoAllowsTeam(r.node_id, team.node_id, github.roleOf({ admin: false, maintain: true, push: true })));
  });
  // an outside collaborator with write access to payments-api
  const outside: github.GhUser = {
    login: "dana-contractor",
    id: 2900,
    node_id: "U_kgDOAcme2900",
    html_url: "https://github.com/dana-contractor",
    name: GITHUB_OUTSIDE_COLLABORATOR,
    email: "dana@contractor.example.net",
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
  };
  entities.push(github.toUserEntity(outside, "OUTSIDE"));
  rels.push(github.repoAllowsUser(repos[0]!.node_id, outside.node_id, github.roleOf(outside.permissions)));
  return { integration: "github", instance: "github:acme", batch: closed(entities, rels) };
}

// ---- GitLab: group acme on gitlab.example.com ----

export const GITLAB_PROJECTS = ["mobile-app", "analytics-etl", "infra-terraform"] as const;

function gitlabSource(dir: SampleDirectory, now: number): ServiceSource {
  const base = "https://gitlab.example.com";
  const host = gitlab.hostOf(base);
  const account = gitlab.accountEntity(base, "acme");
  const groups: gitlab.GitlabGroup[] = [
    { id: 10, name: "acme", path: "acme", full_name: "acme", full_path: "acme", visibility: "private", web_url: `${base}/acme` },
    {
      id: 11,
      name: "platform",
      path: "platform",
      full_name: "acme / platform",
      full_path: "acme/platform",
      parent_id: 10,
      visibility: "private",
      web_url: `${base}/acme/platform`,
    },
  ];
  const projects: gitlab.GitlabProject[] = GITLAB_PROJECTS.map((name, i) => {
    const group = i < 2 ? groups[0]! : groups[1]!;
    return {
      id: 100 + i,
      name,
      path: name,
      path_with_namespace: `${group.full_path}/${name}`,
      default_branch: "main",
      visibility: name === "analytics-etl" ? "internal" : "private",
      archived: false,
      topics: [],
      web_url: `${base}/${group.full_path}/${name}`,
      created_at: iso(now - (200 + i * 50) * DAY),
      last_activity_at: iso(now - (i + 2) * DAY),
      namespace: { id: group.id, kind: "group", full_path: group.full_path },
    };
  });
  const members: gitlab.GitlabMember[] = [1, 2, 5].map((n) => {
    const p = personAt(dir, n);
    return { id: 500 + n, username: login(p), name: p.name, state: "active", email: p.email, access_level: n === 1 ? 50 : 30, web_url: `${base}/${login(p)}` };
  });
  const entities: EntityRecord[] = [account, ...groups.map((g) => gitlab.groupEntity(host, g))];
  const rels: RelationshipRecord[] = [
    gitlab.accountHasGroup(account._key, gitlab.groupKey(host, 10)),
    gitlab.groupHasSubgroup(gitlab.groupKey(host, 10), gitlab.groupKey(host, 11)),
  ];
  for (const p of projects) {
    const e = gitlab.projectEntity(host, p);
    entities.push(e);
    rels.push(gitlab.accountHasProject(account._key, e._key), gitlab.groupHasProject(gitlab.groupKey(host, p.namespace.id), e._key));
  }
  for (const m of members) {
    const u = gitlab.userEntity(host, m);
    entities.push(u);
    rels.push(gitlab.groupHasUser(gitlab.groupKey(host, 10), u._key, m));
  }
  return { integration: "gitlab", instance: `gitlab:${base}/acme`, batch: closed(entities, rels) };
}

// ---- Bitbucket Cloud: workspace acme ----

export const BITBUCKET_PROJECT = "Payments";
export const BITBUCKET_PROJECT_REPOS = ["payments-gateway", "payments-reports"] as const;

function bitbucketSource(dir: SampleDirectory, now: number): ServiceSource {
  const web = "https://bitbucket.org";
  const workspace: bitbucket.CloudWorkspace = {
    uuid: "{7b0e1c2a-0000-4000-8000-00000000ac01}",
    slug: "acme",
    name: "Acme",
    is_private: true,
    links: { html: { href: `${web}/acme/` } },
  };
  const project: bitbucket.CloudProject = {
    uuid: "{7b0e1c2a-0000-4000-8000-00000000ac02}",
    key: "PAY",
    name: BITBUCKET_PROJECT,
    is_private: true,
    links: { html: { href: `${web}/acme/workspace/projects/PAY` } },
  };
  const repo = (n: number, name: string, inProject: boolean): bitbucket.CloudRepo => ({
    uuid: `{7b0e1c2a-0000-4000-8000-0000000001${String(n).padStart(2, "0")}}`,
    name,
    slug: name,
    full_name: `acme/${name}`,
    is_private: true,
    language: "java",
    mainbranch: { name: "main" },
    links: { html: { href: `${web}/acme/${name}` } },
    ...(inProject ? { project: { uuid: project.uuid, key: project.key, name: project.name } } : {}),
    created_on: iso(now - (300 + n) * DAY),
    updated_on: iso(now - n * DAY),
  });
  const repos = [...BITBUCKET_PROJECT_REPOS.map((name, i) => repo(i + 1, name, true)), repo(9, "wiki-export", false)];
  // Bitbucket Cloud shows no emails: these accounts stay on their own
  const users: bitbucket.CloudUser[] = [3, 4].map((n) => {
    const p = personAt(dir, n);
    return {
      uuid: `{7b0e1c2a-0000-4000-8000-0000000002${String(n).padStart(2, "0")}}`,
      display_name: p.name,
      nickname: login(p),
      account_id: `5f00000000000000000000${n}`,
      links: { html: { href: `${web}/${login(p)}/` } },
    };
  });
  const group: bitbucket.CloudGroup = { name: "Developers", slug: "developers", permission: "write", members: users };
  const account = bitbucket.cloudWorkspaceEntity(workspace);
  const entities: EntityRecord[] = [account, bitbucket.cloudProjectEntity(workspace.slug, project)];
  const rels: RelationshipRecord[] = [bitbucket.workspaceOwnsProject(account._key, project.uuid)];
  for (const r of repos) {
    entities.push(bitbucket.cloudRepoEntity(workspace, r));
    rels.push(bitbucket.workspaceOwnsRepo(account._key, r.uuid));
    if (r.project) rels.push(bitbucket.projectHasRepo(r.project.uuid, r.uuid));
  }
  for (const u of users) {
    entities.push(bitbucket.cloudUserEntity(u));
    rels.push(bitbucket.workspaceHasUser(account._key, u.uuid));
  }
  const groupEntity = bitbucket.cloudGroupEntity(workspace.slug, group);
  entities.push(groupEntity);
  rels.push(bitbucket.workspaceHasGroup(account._key, groupEntity._key));
  for (const u of users) rels.push(bitbucket.groupHasUser(groupEntity._key, u.uuid));
  return { integration: "bitbucket", instance: "bitbucket:acme", batch: closed(entities, rels) };
}

// ---- PagerDuty ----

export const PAGERDUTY_UNMONITORED_SERVICE = "Legacy Batch";

function pagerdutySource(dir: SampleDirectory, now: number, since: number): ServiceSource {
  const pd = "https://acme.pagerduty.com";
  const users: pagerduty.PdUser[] = [0, 1, 2].map((n) => {
    const p = personAt(dir, n);
    return { id: `PU${n}`, name: p.name, email: p.email, role: n === 0 ? "admin" : "user", time_zone: "Europe/Berlin", html_url: `${pd}/users/PU${n}` };
  });
  const slug = teamAt(dir, 0, "payments");
  const team: pagerduty.PdTeam = { id: "PT1", name: titleCase(slug), html_url: `${pd}/teams/PT1` };
  const schedule: pagerduty.PdSchedule = {
    id: "PSC1",
    name: `${titleCase(slug)} primary`,
    time_zone: "Europe/Berlin",
    html_url: `${pd}/schedules/PSC1`,
    users: users.slice(0, 2).map((u) => ({ id: u.id, type: "user_reference" })),
  };
  const policy: pagerduty.PdEscalationPolicy = {
    id: "PEP1",
    name: `${titleCase(slug)} escalation`,
    num_loops: 2,
    escalation_rules: [
      { id: "R1", escalation_delay_in_minutes: 30, targets: [{ id: schedule.id, type: "schedule_reference", summary: schedule.name }] },
      { id: "R2", escalation_delay_in_minutes: 30, targets: [{ id: users[2]!.id, type: "user_reference", summary: users[2]!.name }] },
    ],
  };
  const nobody: pagerduty.PdEscalationPolicy = { id: "PEP2", name: "Unstaffed", escalation_rules: [] };
  const services: pagerduty.PdService[] = [
    {
      id: "PS1",
      name: "Payments API",
      status: "active",
      html_url: `${pd}/services/PS1`,
      created_at: iso(now - 500 * DAY),
      escalation_policy: { id: policy.id, type: "escalation_policy_reference" },
      teams: [{ id: team.id, type: "team_reference" }],
    },
    {
      id: "PS2",
      name: PAGERDUTY_UNMONITORED_SERVICE,
      status: "active",
      html_url: `${pd}/services/PS2`,
      created_at: iso(now - 900 * DAY),
      escalation_policy: { id: nobody.id, type: "escalation_policy_reference" },
      teams: [{ id: team.id, type: "team_reference" }],
    },
  ];
  // who is on call: the first person this week (since yesterday), the second next week
  const oncalls: pagerduty.PdOnCall[] = [
    { user: { id: users[0]!.id }, schedule: { id: schedule.id }, escalation_level: 1, start: iso(now - DAY), end: iso(now + 6 * DAY) },
    { user: { id: users[1]!.id }, schedule: { id: schedule.id }, escalation_level: 1, start: iso(now + 6 * DAY), end: iso(now + 13 * DAY) },
    { user: { id: users[2]!.id }, escalation_policy: { id: policy.id }, escalation_level: 2, start: null, end: null },
  ];
  const batch = pagerduty.pagerDutyGraph(
    {
      users,
      teams: [team],
      members: new Map([[team.id, users.map((u) => ({ user: { id: u.id }, role: u.role === "admin" ? "manager" : "responder" }))]]),
      services,
      schedules: [schedule],
      escalationPolicies: [policy, nobody],
      oncalls,
    },
    { since, until: since + 14 * DAY },
  );
  return { integration: "pagerduty", instance: "pagerduty:https://api.pagerduty.com", batch };
}

// ---- HashiCorp Vault ----

export const VAULT_ENGINES_WITHOUT_SECRETS = ["cubbyhole/", "pki/", "transit/"] as const;
export const VAULT_STALE_SECRET = "secret/payments/stripe-key";

function vaultSource(dir: SampleDirectory, now: number): ServiceSource {
  const version = (createdDaysAgo: number, n: number) => ({
    current_version: n,
    oldest_version: 1,
    max_versions: 10,
    created_time: iso(now - 400 * DAY),
    updated_time: iso(now - createdDaysAgo * DAY),
    versions: Object.fromEntries(
      Array.from({ length: n }, (_, i) => [String(i + 1), { created_time: iso(now - (createdDaysAgo + (n - 1 - i) * 30) * DAY), deletion_time: "", destroyed: false }]),
    ),
  });
  const snapshot: vault.VaultSnapshot = {
    url: "https://vault.example.com",
    mounts: {
      "secret/": { type: "kv", description: "application secrets", options: { version: "2" } },
      "transit/": { type: "transit", description: "encryption as a service" },
      "pki/": { type: "pki", description: "internal certificates" },
      "cubbyhole/": { type: "cubbyhole", description: "per-token private secret storage" },
    },
    auths: { "userpass/": { type: "userpass", description: "people" }, "approle/": { type: "approle", description: "services" } },
    users: { "userpass/": [0, 1].map((n) => ({ name: personAt(dir, n).email, policies: ["default", "payments-read"] })) },
    secrets: {
      "secret/": [
        { path: "payments/stripe-key", metadata: version(200, 3) },
        { path: "payments/db-password", metadata: version(12, 5) },
        { path: "web/session-key", metadata: version(40, 2) },
      ],
    },
  };
  return { integration: "vault", instance: "vault:https://vault.example.com", batch: vault.vaultGraph(snapshot) };
}

// ---- Kubernetes: cluster prod, as `kubectl get deploy,cronjob,svc,ns,nodes -A -o json` prints it ----

export const KUBE_CLUSTER = "prod";

function kubernetesSource(dir: SampleDirectory, now: number): ServiceSource {
  const created = iso(now - 90 * DAY);
  const appImage = dir.image ?? "registry.example.com/payments-api:1.4.2";
  const list = {
    apiVersion: "v1",
    kind: "List",
    items: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "payments", uid: "5d1c2e4a-0001-4c1e-9d1a-0000000000a1", creationTimestamp: created }, status: { phase: "Active" } },
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "ip-10-0-1-17.ec2.internal", uid: "5d1c2e4a-0002-4c1e-9d1a-0000000000a2", creationTimestamp: created, labels: { "node.kubernetes.io/instance-type": "m6i.large" } },
        spec: { providerID: "aws:///eu-west-1a/i-0abc0000000000001" },
        status: {
          addresses: [
            { type: "InternalIP", address: "10.0.1.17" },
            { type: "Hostname", address: "ip-10-0-1-17.ec2.internal" },
          ],
          nodeInfo: { osImage: "Amazon Linux 2023", operatingSystem: "linux", kernelVersion: "6.1.0", kubeletVersion: "v1.30.2", architecture: "amd64" },
        },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "payments-api", namespace: "payments", uid: "5d1c2e4a-0003-4c1e-9d1a-0000000000a3", creationTimestamp: created },
        spec: {
          replicas: 3,
          template: {
            spec: {
              containers: [
                { name: "api", image: appImage, securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true } },
                { name: "envoy", image: "envoyproxy/envoy:v1.30.1" },
              ],
            },
          },
        },
      },
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "ledger-reconcile", namespace: "payments", uid: "5d1c2e4a-0004-4c1e-9d1a-0000000000a4", creationTimestamp: created },
        spec: {
          schedule: "0 3 * * *",
          jobTemplate: { spec: { template: { spec: { containers: [{ name: "reconcile", image: "python:3.9-buster", securityContext: { privileged: true } }] } } } },
        },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "payments-api", namespace: "payments", uid: "5d1c2e4a-0005-4c1e-9d1a-0000000000a5", creationTimestamp: created },
        spec: { type: "ClusterIP", clusterIP: "172.20.14.2", ports: [{ port: 443, protocol: "TCP" }] },
      },
    ],
  };
  const graph = new KubeGraph({ cluster: KUBE_CLUSTER });
  for (const { object, kind } of parseKubectlJson(JSON.stringify(list), "sample.json").objects) {
    const problem = graph.add(object, kind);
    if (problem) throw new Error(`the Kubernetes sample: ${problem}`);
  }
  return { integration: "kubernetes", instance: `kubernetes:${KUBE_CLUSTER}`, batch: graph.records() };
}

// ---- LDAP: ou=people and ou=groups under dc=acme,dc=example ----

function ldapSource(dir: SampleDirectory): ServiceSource {
  const base = "dc=acme,dc=example";
  // people 0..3 are in the directory; the others (and the outside collaborator) are not
  const users: LdapEntry[] = [0, 1, 2, 3].map((n) => {
    const p = personAt(dir, n);
    const [givenName = p.name, ...rest] = p.name.split(" ");
    return {
      dn: `uid=${p.username},ou=people,${base}`,
      objectClass: ["inetOrgPerson", "posixAccount"],
      uid: p.username,
      cn: p.name,
      givenName,
      sn: rest.join(" ") || p.name,
      mail: p.email,
      uidNumber: String(10_000 + n),
      gidNumber: "10000",
      homeDirectory: `/home/${p.username}`,
    };
  });
  const slug = teamAt(dir, 0, "payments");
  const groups: LdapEntry[] = [
    { dn: `cn=engineering,ou=groups,${base}`, objectClass: "posixGroup", cn: "engineering", gidNumber: "10000", memberUid: users.map((u) => String(u.uid)) },
    { dn: `cn=${slug},ou=groups,${base}`, objectClass: "groupOfNames", cn: slug, member: users.slice(0, 2).map((u) => u.dn) },
  ];
  const graph = mapDirectory(users, groups);
  return { integration: "ldap", instance: `ldap:ldaps://ldap.acme.example/${base}`, batch: { entities: graph.entities, relationships: graph.relationships } };
}

/**
 * The canned sources, in sync order. `dir` is the sample organisation the
 * demo loaded (default: the demo's size).
 */
export function sampleServiceSources(now: number, dir: SampleDirectory = sampleDirectory(now)): ServiceSource[] {
  // times from the start of the day: the demo run again the same day writes the same records
  const day = Math.floor(now / DAY) * DAY;
  return [
    githubSource(dir, day),
    gitlabSource(dir, day),
    bitbucketSource(dir, day),
    pagerdutySource(dir, day, now),
    vaultSource(dir, day),
    kubernetesSource(dir, day),
    ldapSource(dir),
  ];
}
