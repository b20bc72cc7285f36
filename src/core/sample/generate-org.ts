/**
 * A deterministic synthetic organisation: teams, people, repos, shared
 * packages, images, hosts and deferred-maintenance findings, as bulk-format
 * batches. Used by the demo and by the benchmarks.
 *
 * Everything is derived from (size, seed, now) by index: each team, person,
 * repo, host, package and image has its own PRNG stream and its name comes from
 * a bijection of its index, so generation keeps no per-entity state (memory
 * stays flat whatever the size, beyond bounded key caches) and
 * `sampleRepoName` can rebuild one repo without generating the rest.
 */
import { InputError } from "../../shared/errors.js";
import type { EntityRecord, GraphBatch, RelationshipRecord } from "../../store/types.js";

export interface OrgSize {
  teams: number;
  people: number;
  repos: number;
  hosts: number;
  /** Distinct package versions in the shared pool (about 70% npm, 30% pypi). */
  packages: number;
  /** Distinct docker images (a few base images, then service images). */
  images: number;
  /** Average packages a repo USES, drawn from the shared pool (popular ones far more often). */
  packagesPerRepo: number;
  /** Average deferred-maintenance findings per repo (may be fractional). */
  findingsPerRepo: number;
  /** Average deferred-maintenance findings per host (may be fractional). */
  findingsPerHost: number;
  /** Maintenance campaigns (one maintenanceId each): the first N of a catalogue of 20. */
  campaigns: number;
}

export interface GenerateOrgOptions {
  size: OrgSize;
  /** Default 1. */
  seed?: number;
  /** Epoch ms that due dates, ages and "overdue" are relative to. */
  now: number;
  /** Entities per batch; default 10,000. */
  chunkSize?: number;
}

export interface CampaignInfo {
  maintenanceId: string;
  shortDescription: string;
  target: "repo" | "host";
  createdOn: number;
  dueDate: number;
  createdBy: string;
}

const DEFAULT_SEED = 1;
const DEFAULT_CHUNK = 10_000;
const DAY = 86_400_000;

/** The demo organisation: a few hundred repos, hosts and people (about 1,300 entities). */
export const DEMO_SIZE: OrgSize = Object.freeze({
  teams: 8,
  people: 60,
  repos: 220,
  hosts: 90,
  packages: 400,
  images: 20,
  packagesPerRepo: 10,
  findingsPerRepo: 2,
  findingsPerHost: 0.6,
  campaigns: 6,
});

// ---------------------------------------------------------------------------
// Word lists

const TEAM_WORDS = [
  "core", "platform", "payments", "growth", "identity", "data", "infra", "security",
  "mobile", "web", "search", "billing", "checkout", "messaging", "sre", "ml",
  "analytics", "devex", "catalog", "fulfillment", "support-tools", "partners", "risk", "ledger",
  "onboarding", "notifications", "storage", "network", "compliance", "integrations", "frontend", "api",
] as const;

const FIRST_NAMES = [
  "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
  "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yasmin",
  "zoe", "aisha", "bruno", "chen", "diego", "elena", "farid", "gita", "hiro", "ines",
  "jonas", "kemal", "lena", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven",
  "tariq", "uma", "valeria", "wei", "ximena", "yusuf", "zara", "anders", "beatriz", "kofi",
] as const;

const LAST_NAMES = [
  "smith", "johnson", "garcia", "miller", "davis", "martinez", "lopez", "wilson", "anderson", "thomas",
  "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white", "harris", "clark",
  "lewis", "robinson", "walker", "young", "allen", "king", "wright", "scott", "nguyen", "hill",
  "adams", "baker", "nelson", "carter", "mitchell", "roberts", "turner", "phillips", "campbell", "parker",
  "evans", "edwards", "collins", "stewart", "morris", "rogers", "reed", "cook", "morgan", "bell",
  "kowalski", "novak", "schmidt", "fischer", "rossi", "silva", "sato", "kim", "okafor", "larsen",
] as const;

const REPO_DOMAINS = [
  "payments", "billing", "checkout", "orders", "inventory", "catalog", "search", "auth",
  "identity", "accounts", "notifications", "email", "sms", "ledger", "invoicing", "pricing",
  "shipping", "fulfillment", "returns", "reviews", "recommendations", "analytics", "reporting", "metrics",
  "logging", "audit", "gateway", "media", "video", "chat", "scheduler", "workflow",
  "onboarding", "profile", "settings", "admin", "support", "tickets", "crm", "marketing",
  "experiments", "feature-flags", "config", "secrets", "deploy", "release", "docs", "portal",
  "mobile", "partner", "fraud", "risk", "compliance", "tax", "subscriptions", "loyalty",
  "coupons", "cart", "geo", "translations",
] as const;

/** Single words only, so that "<domain>-<suffix>" never reads as another pair. */
const REPO_SUFFIXES = [
  "api", "service", "worker", "web", "ui", "app", "cli", "lib", "sdk", "client",
  "infra", "terraform", "consumer", "proxy", "cron", "etl", "dashboard", "bot", "lambda", "schema",
] as const;

const LIBRARY_SUFFIXES = new Set<string>(["cli", "lib", "sdk", "client", "schema"]);

const LANGUAGES = [
  ["TypeScript", 0.3],
  ["JavaScript", 0.12],
  ["Python", 0.22],
  ["Go", 0.16],
  ["Java", 0.1],
  ["Ruby", 0.05],
  ["Kotlin", 0.05],
] as const;

const SUFFIX_LANGUAGE: Readonly<Record<string, string>> = {
  infra: "HCL",
  terraform: "HCL",
  web: "TypeScript",
  ui: "TypeScript",
  dashboard: "TypeScript",
  etl: "Python",
};

const TERRAFORM_0 = ["0.11.14", "0.12.31", "0.13.7", "0.14.11", "0.15.5"] as const;
const TERRAFORM_1 = ["1.0.11", "1.3.9", "1.5.7", "1.6.6", "1.7.5", "1.8.2"] as const;
/** Share of repos with terraform that are still on 0.x. */
const TERRAFORM_0_SHARE = 0.45;
/** Share of non-HCL repos that still carry a terraform directory. */
const TERRAFORM_IN_APP_SHARE = 0.2;
/** Share of non-library repos that build a docker image. */
const REPO_IMAGE_SHARE = 0.85;
/** Share of people in a second team. */
const SECOND_TEAM_SHARE = 0.1;

const NPM_POPULAR = [
  "lodash", "react", "express", "axios", "typescript", "chalk", "commander", "debug",
  "uuid", "moment", "dotenv", "jest", "eslint", "webpack", "zod", "semver",
  "left-pad", "request", "minimist", "yargs", "body-parser", "cors", "jsonwebtoken", "bcrypt",
  "mongoose", "pg", "redis", "ws", "socket.io", "next", "vue", "rxjs",
  "date-fns", "dayjs", "prettier", "babel-core", "core-js", "tslib", "glob", "rimraf",
  "mkdirp", "fs-extra", "node-fetch", "undici", "pino", "winston", "graphql", "knex",
] as const;

const NPM_PREFIXES = [
  "fast", "tiny", "simple", "micro", "smart", "super", "easy", "lite", "pretty", "safe",
  "async", "stream", "deep", "strict", "native", "universal", "react", "vue", "node", "koa",
] as const;
const NPM_NOUNS = [
  "parser", "router", "logger", "cache", "queue", "config", "validator", "formatter", "client", "store",
  "emitter", "hooks", "icons", "table", "charts", "forms", "mock", "retry", "glob", "diff",
] as const;
const NPM_SCOPES = ["acme", "types", "babel", "aws-sdk", "opentelemetry", "sentry", "nestjs", "storybook"] as const;

const PYPI_POPULAR = [
  "requests", "numpy", "pandas", "django", "flask", "boto3", "pytest", "pyyaml",
  "sqlalchemy", "celery", "fastapi", "pydantic", "urllib3", "cryptography", "jinja2", "click",
  "gunicorn", "psycopg2", "redis-py", "setuptools", "black", "mypy", "attrs", "six",
] as const;
const PYPI_PREFIXES = [
  "django", "flask", "pytest", "py", "aio", "sphinx", "azure", "google-cloud", "types", "jupyter",
] as const;
const PYPI_NOUNS = [
  "utils", "extensions", "storage", "auth", "cache", "client", "helpers", "plugin", "toolkit", "adapter",
  "json", "logging", "metrics", "schema", "tasks", "timezone", "crypto", "compat", "rest", "celery",
] as const;
/** Versions of each package name in the pool. */
const VERSIONS_PER_PACKAGE = 8;

const BASE_IMAGES = [
  ["debian", "12-slim"], ["debian", "11-slim"], ["node", "20-bookworm"], ["node", "18-bullseye"],
  ["python", "3.12-slim"], ["python", "3.9-buster"], ["alpine", "3.19"], ["alpine", "3.14"],
  ["ubuntu", "22.04"], ["ubuntu", "18.04"], ["golang", "1.22"], ["eclipse-temurin", "17-jre"],
] as const;
const TAGS_PER_IMAGE = 4;

const HOST_OS = [
  ["linux", "Ubuntu 22.04"], ["linux", "Ubuntu 20.04"], ["linux", "Debian 12"], ["linux", "Debian 11"],
  ["linux", "Amazon Linux 2"], ["linux", "Amazon Linux 2023"], ["linux", "Ubuntu 18.04"],
] as const;
const WINDOWS_OS = ["Windows Server 2019", "Windows Server 2022"] as const;
const WINDOWS_SHARE = 0.08;
const DEPLOYMENTS = [
  ["container", 0.55],
  ["vm", 0.35],
  ["bare-metal", 0.1],
] as const;
const NON_PROD_ACCOUNTS = ["acme-staging", "acme-dev", "acme-demo", "acme-sandbox"] as const;

const CLOSE_REASONS = [
  ["COMPLETE", 0.85],
  ["ERROR", 0.06],
  ["RISK_ACCEPTED", 0.09],
] as const;

// ---------------------------------------------------------------------------
// Campaigns

type RepoAudience = "all" | "node" | "python" | "go" | "terraform0" | "image";
type HostAudience = "all-hosts" | "linux" | "mutable";

interface CampaignSpec {
  shortDescription: string;
  description: string;
  slug: string;
  audience: RepoAudience | HostAudience;
  createdDaysAgo: number;
  /** Negative: the due date is in the past. */
  dueInDays: number;
  /** Share of the campaign's findings already closed. */
  closeRate: number;
  /** Relative share of the eligible assets that get a finding. */
  weight: number;
}

/** The selection each audience stands for, as a person would have written it in `dm open`. */
const AUDIENCE_QUERY: Readonly<Record<RepoAudience | HostAudience, string>> = {
  all: "Find CodeRepo with archived != true",
  node: "Find CodeRepo with language = ('TypeScript' or 'JavaScript')",
  python: "Find CodeRepo with language = 'Python'",
  go: "Find CodeRepo with language = 'Go'",
  terraform0: "Find CodeRepo with terraformVersion ^= '0.'",
  image: "Find CodeRepo that USES Image",
  "all-hosts": "Find Host",
  linux: "Find Host with os != 'windows'",
  mutable: "Find Host with deployment != 'container'",
};

/** Ordered so that a short prefix (the demo takes six) mixes overdue and upcoming, repo and host campaigns. */
const CATALOGUE: readonly CampaignSpec[] = [
  {
    shortDescription: "Upgrade Terraform to 1.x",
    description:
      "Terraform 0.x is out of support and blocks provider upgrades. Run the 0.13 and 0.15 upgrade steps, then move to the 1.x version pinned by the platform team.",
    slug: "terraform-1x",
    audience: "terraform0",
    createdDaysAgo: 300,
    dueInDays: -200,
    closeRate: 0.35,
    weight: 3,
  },
  {
    shortDescription: "Move to Node 20",
    description:
      "Node 16 and 18 are end-of-life. Update .nvmrc, the engines field, the CI matrix and the Dockerfile base image to Node 20.",
    slug: "node-20",
    audience: "node",
    createdDaysAgo: 150,
    dueInDays: -45,
    closeRate: 0.25,
    weight: 1.5,
  },
  {
    shortDescription: "Rotate deploy keys",
    description:
      "Deploy keys created before the 2023 incident may have been exposed. Generate a new key, update the CI secret, remove the old key from the repository settings.",
    slug: "rotate-deploy-keys",
    audience: "all",
    createdDaysAgo: 120,
    dueInDays: -60,
    closeRate: 0.3,
    weight: 1,
  },
  {
    shortDescription: "Remove left-pad",
    description:
      "left-pad is unmaintained and was once unpublished, breaking builds. Replace it with String.prototype.padStart and drop the dependency.",
    slug: "remove-left-pad",
    audience: "node",
    createdDaysAgo: 520,
    dueInDays: -420,
    closeRate: 0.55,
    weight: 1,
  },
  {
    shortDescription: "Patch OpenSSL on Linux hosts",
    description:
      "OpenSSL 3.0.x before 3.0.7 has a remotely triggerable buffer overflow. Apply the distribution's security update and restart affected services.",
    slug: "patch-openssl",
    audience: "linux",
    createdDaysAgo: 60,
    dueInDays: -30,
    closeRate: 0.3,
    weight: 1,
  },
  {
    shortDescription: "Enable branch protection on main",
    description:
      "Require a reviewed pull request and passing checks before merging to the default branch. Use the org-wide ruleset rather than per-repo settings.",
    slug: "branch-protection",
    audience: "all",
    createdDaysAgo: 20,
    dueInDays: 40,
    closeRate: 0.6,
    weight: 1.5,
  },
  {
    shortDescription: "Rebuild images on debian-12",
    description:
      "Debian 11 leaves LTS soon. Rebase the Dockerfile on debian:12-slim (or a bookworm variant), rebuild, and redeploy every environment.",
    slug: "debian-12-images",
    audience: "image",
    createdDaysAgo: 40,
    dueInDays: -12,
    closeRate: 0.2,
    weight: 1,
  },
  {
    shortDescription: "Add a CODEOWNERS file",
    description:
      "Every repository needs a CODEOWNERS file naming the owning team so that reviews and alerts reach the right people.",
    slug: "codeowners",
    audience: "all",
    createdDaysAgo: 330,
    dueInDays: -250,
    closeRate: 0.5,
    weight: 1,
  },
  {
    shortDescription: "Pin GitHub Actions to commit SHAs",
    description:
      "Third-party actions referenced by tag can be moved by their owners. Pin every uses: line to a full commit SHA and let Dependabot update them.",
    slug: "pin-actions",
    audience: "all",
    createdDaysAgo: 10,
    dueInDays: 20,
    closeRate: 0.3,
    weight: 1.5,
  },
  {
    shortDescription: "Repave mutable hosts older than 90 days",
    description:
      "Long-lived mutable hosts drift from their images and hide persistence. Replace each one from a freshly built image; do not patch in place.",
    slug: "repave-mutable-hosts",
    audience: "mutable",
    createdDaysAgo: 75,
    dueInDays: -40,
    closeRate: 0.25,
    weight: 1,
  },
  {
    shortDescription: "Move to Python 3.12",
    description:
      "Python 3.8 and 3.9 are end-of-life. Update the interpreter in CI, the Dockerfile and pyproject.toml, and fix the deprecation warnings.",
    slug: "python-312",
    audience: "python",
    createdDaysAgo: 30,
    dueInDays: 75,
    closeRate: 0.2,
    weight: 1.5,
  },
  {
    shortDescription: "Enable Dependabot security updates",
    description:
      "Turn on Dependabot security updates and alerts so that vulnerable dependencies are proposed for upgrade automatically.",
    slug: "dependabot",
    audience: "all",
    createdDaysAgo: 200,
    dueInDays: -120,
    closeRate: 0.4,
    weight: 1,
  },
  {
    shortDescription: "Replace request with undici",
    description:
      "The request package is deprecated and receives no security fixes. Use the built-in fetch (undici) or axios instead.",
    slug: "replace-request",
    audience: "node",
    createdDaysAgo: 260,
    dueInDays: -160,
    closeRate: 0.35,
    weight: 1,
  },
  {
    shortDescription: "Install the EDR agent",
    description:
      "Every host must run the endpoint detection agent. Add it to the base image or the configuration management role and confirm it reports in.",
    slug: "edr-agent",
    audience: "all-hosts",
    createdDaysAgo: 25,
    dueInDays: -4,
    closeRate: 0.55,
    weight: 1,
  },
  {
    shortDescription: "Adopt the shared CI template",
    description:
      "Move the pipeline to the shared CI template so that scanning, signing and provenance are applied the same way everywhere.",
    slug: "shared-ci-template",
    audience: "all",
    createdDaysAgo: 15,
    dueInDays: 100,
    closeRate: 0.25,
    weight: 1.5,
  },
  {
    shortDescription: "Remove hard-coded AWS credentials",
    description:
      "Static AWS access keys in code or CI variables must go. Use OIDC federation from CI and instance roles at runtime, then deactivate the keys.",
    slug: "remove-aws-keys",
    audience: "all",
    createdDaysAgo: 400,
    dueInDays: -330,
    closeRate: 0.65,
    weight: 0.6,
  },
  {
    shortDescription: "Upgrade Go to 1.22",
    description:
      "Go 1.20 and older no longer get security fixes. Bump the go directive, the toolchain in CI and the builder image to 1.22.",
    slug: "go-122",
    audience: "go",
    createdDaysAgo: 45,
    dueInDays: 25,
    closeRate: 0.4,
    weight: 1.5,
  },
  {
    shortDescription: "Archive repositories idle for a year",
    description:
      "Repositories without a commit for a year still carry secrets, webhooks and alerts. Archive them, or record why they must stay active.",
    slug: "archive-idle-repos",
    audience: "all",
    createdDaysAgo: 50,
    dueInDays: -20,
    closeRate: 0.2,
    weight: 0.5,
  },
  {
    shortDescription: "Rotate SSH host keys",
    description:
      "Host keys baked into old images are shared between hosts. Regenerate them at boot and publish the new fingerprints.",
    slug: "rotate-ssh-host-keys",
    audience: "all-hosts",
    createdDaysAgo: 5,
    dueInDays: 50,
    closeRate: 0.1,
    weight: 1.5,
  },
  {
    shortDescription: "Sign container images with cosign",
    description:
      "Deployments will soon only admit signed images. Add the cosign signing step from the shared CI template and verify the signature in the deploy job.",
    slug: "cosign-images",
    audience: "image",
    createdDaysAgo: 100,
    dueInDays: -80,
    closeRate: 0.25,
    weight: 1,
  },
];


// ---------------------------------------------------------------------------
// PRNG and hashing

/** mulberry32: small, fast, good enough for synthetic data. */
class Rng {
  private state = 0;

  reset(seed: number): this {
    this.state = seed | 0;
    return this;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let u = this.next();
    for (const [item, weight] of items) {
      u -= weight;
      if (u < 0) return item;
    }
    return items[items.length - 1]![0];
  }
}

function mix(h: number, v: number): number {
  let x = Math.imul(h ^ v, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

function streamSeed(seed: number, salt: number, index: number): number {
  return mix(mix(mix(0x9e3779b9, seed), salt), index);
}

const SALT = {
  layout: 1,
  campaign: 2,
  team: 3,
  person: 4,
  package: 5,
  image: 6,
  repo: 7,
  host: 8,
  sample: 9,
} as const;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * A bijection from index to (combination, repeat): consecutive indexes land on
 * scattered combinations, and an index past the last combination repeats them
 * with a numeric suffix, so names are unique without remembering earlier ones.
 */
interface Scatter {
  combos: number;
  multiplier: number;
  offset: number;
}

function scatter(combos: number, seed: number, salt: number): Scatter {
  // A multiplier near combos / golden ratio (Fibonacci hashing) spreads neighbours far apart.
  let multiplier = Math.max(1, Math.round(combos * 0.6180339887));
  while (gcd(multiplier, combos) !== 1) multiplier += 1;
  return { combos, multiplier, offset: (streamSeed(seed, SALT.layout, salt) >>> 0) % combos };
}

function scatterAt(s: Scatter, index: number): { combo: number; repeat: number } {
  return { combo: (index * s.multiplier + s.offset) % s.combos, repeat: Math.floor(index / s.combos) };
}

// ---------------------------------------------------------------------------
// Context

interface Campaign extends CampaignInfo {
  spec: CampaignSpec;
  /** the J1QL selection recorded on its findings (sample data: not tracked) */
  query: string;
  /** Probability that an eligible asset gets a finding. */
  coverage: number;
  webLink: string;
}

/** Keys of the most used packages and images are built once (most USES edges point at them). */
const KEY_CACHE_LIMIT = 65_536;

interface Context {
  size: OrgSize;
  seed: number;
  now: number;
  teamNames: Scatter;
  personNames: Scatter;
  repoNames: Scatter;
  hostMask: number;
  npmPackages: number;
  pypiPackages: number;
  repoCampaigns: Campaign[];
  hostCampaigns: Campaign[];
  teamKeys: string[];
  packageCache: (PackageRef | undefined)[];
  imageKeyCache: (string | undefined)[];
  emailCache: (string | undefined)[];
}

function isRepoAudience(a: CampaignSpec["audience"]): a is RepoAudience {
  return a !== "all-hosts" && a !== "linux" && a !== "mutable";
}

/** Probability that a repo's language is `lang`, from the suffix overrides and the language mix. */
function languageShare(lang: string): number {
  const suffixes = REPO_SUFFIXES.length;
  let overridden = 0;
  let share = 0;
  for (const suffix of REPO_SUFFIXES) {
    const forced = SUFFIX_LANGUAGE[suffix];
    if (forced === undefined) continue;
    overridden += 1;
    if (forced === lang) share += 1 / suffixes;
  }
  const free = 1 - overridden / suffixes;
  const weight = LANGUAGES.find(([name]) => name === lang)?.[1] ?? 0;
  return share + free * weight;
}

function audienceShare(audience: RepoAudience | HostAudience): number {
  switch (audience) {
    case "all":
    case "all-hosts":
      return 1;
    case "node":
      return languageShare("TypeScript") + languageShare("JavaScript");
    case "python":
      return languageShare("Python");
    case "go":
      return languageShare("Go");
    case "terraform0": {
      const hcl = languageShare("HCL");
      return (hcl + (1 - hcl) * TERRAFORM_IN_APP_SHARE) * TERRAFORM_0_SHARE;
    }
    case "image":
      return repoImageShare();
    case "linux":
      return 1 - WINDOWS_SHARE;
    case "mutable":
      return 1 - deploymentShare("container");
  }
}

function deploymentShare(deployment: string): number {
  return DEPLOYMENTS.find(([d]) => d === deployment)?.[1] ?? 0;
}

function repoImageShare(): number {
  const libraries = REPO_SUFFIXES.filter((s) => LIBRARY_SUFFIXES.has(s)).length;
  return (1 - libraries / REPO_SUFFIXES.length) * REPO_IMAGE_SHARE;
}

/**
 * Coverage per campaign such that the expected findings per asset is `target`:
 * coverage = min(1, s * weight), with s found by bisection (water filling).
 */
function coverages(specs: readonly CampaignSpec[], target: number): number[] {
  const shares = specs.map((c) => audienceShare(c.audience));
  const expected = (s: number) => specs.reduce((sum, c, i) => sum + shares[i]! * Math.min(1, s * c.weight), 0);
  if (specs.length === 0 || target <= 0) return specs.map(() => 0);
  let lo = 0;
  let hi = 1;
  while (expected(hi) < target && hi < 1e6) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (expected(mid) < target) lo = mid;
    else hi = mid;
  }
  return specs.map((c) => Math.min(1, hi * c.weight));
}

function validateSize(size: OrgSize): void {
  const counts: (keyof OrgSize)[] = ["teams", "people", "repos", "hosts", "packages", "images", "campaigns"];
  for (const field of counts) {
    const value = size[field];
    if (!Number.isInteger(value) || value < 0) {
      throw new InputError(`OrgSize.${field} must be a non-negative integer, got ${value}`);
    }
  }
  for (const field of ["packagesPerRepo", "findingsPerRepo", "findingsPerHost"] as const) {
    const value = size[field];
    if (!Number.isFinite(value) || value < 0) {
      throw new InputError(`OrgSize.${field} must be a non-negative number, got ${value}`);
    }
  }
  if (size.teams < 1 || size.people < 1) {
    throw new InputError("OrgSize needs at least one team and one person (owners and finding authors)");
  }
  if (size.campaigns > CATALOGUE.length) {
    throw new InputError(`OrgSize.campaigns is at most ${CATALOGUE.length}, got ${size.campaigns}`);
  }
  if (size.hosts > 1 << 24) {
    throw new InputError(`OrgSize.hosts is at most ${1 << 24} (one 10.0.0.0/8 address each), got ${size.hosts}`);
  }
}

function createContext(size: OrgSize, seed: number, now: number): Context {
  validateSize(size);
  if (!Number.isFinite(now)) throw new InputError(`now must be epoch milliseconds, got ${now}`);
  if (!Number.isInteger(seed)) throw new InputError(`seed must be an integer, got ${seed}`);

  const rng = new Rng().reset(streamSeed(seed, SALT.campaign, 0));
  const specs = CATALOGUE.slice(0, size.campaigns);
  const repoSpecs = specs.filter((c) => isRepoAudience(c.audience));
  const hostSpecs = specs.filter((c) => !isRepoAudience(c.audience));
  const repoCoverage = coverages(repoSpecs, size.findingsPerRepo);
  const hostCoverage = coverages(hostSpecs, size.findingsPerHost);

  const ids = new Set<string>();
  const build = (spec: CampaignSpec, coverage: number): Campaign => {
    let maintenanceId: string;
    do {
      maintenanceId = (rng.int(0x100000000) >>> 0).toString(16).padStart(8, "0");
    } while (ids.has(maintenanceId));
    ids.add(maintenanceId);
    // Up to a day of jitter so dates look real without moving a campaign across "overdue by 7 days".
    const jitter = Math.floor(rng.next() * DAY);
    const createdOn = now - spec.createdDaysAgo * DAY - jitter;
    return {
      spec,
      coverage,
      webLink: `https://wiki.example.com/maintenance/${spec.slug}`,
      query: AUDIENCE_QUERY[spec.audience],
      maintenanceId,
      shortDescription: spec.shortDescription,
      target: isRepoAudience(spec.audience) ? "repo" : "host",
      createdOn,
      dueDate: now + spec.dueInDays * DAY - jitter,
      createdBy: "",
    };
  };
  const ctx: Context = {
    size,
    seed,
    now,
    teamNames: scatter(TEAM_WORDS.length, seed, SALT.team),
    personNames: scatter(FIRST_NAMES.length * LAST_NAMES.length, seed, SALT.person),
    repoNames: scatter(REPO_DOMAINS.length * REPO_SUFFIXES.length, seed, SALT.repo),
    hostMask: (streamSeed(seed, SALT.layout, SALT.host) >>> 0) & 0xffffff,
    npmPackages: Math.round(size.packages * 0.7),
    pypiPackages: size.packages - Math.round(size.packages * 0.7),
    repoCampaigns: repoSpecs.map((spec, i) => build(spec, repoCoverage[i]!)),
    hostCampaigns: hostSpecs.map((spec, i) => build(spec, hostCoverage[i]!)),
    teamKeys: [],
    packageCache: [],
    imageKeyCache: [],
    emailCache: [],
  };
  for (let i = 0; i < size.teams; i++) ctx.teamKeys.push(`team:${teamName(ctx, i)}`);
  for (const campaign of [...ctx.repoCampaigns, ...ctx.hostCampaigns]) {
    campaign.createdBy = personEmail(ctx, rng.int(size.people));
  }
  return ctx;
}

// ---------------------------------------------------------------------------
// Names and keys by index

function titleCase(word: string): string {
  return word
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}

function teamName(ctx: Context, index: number): string {
  const { combo, repeat } = scatterAt(ctx.teamNames, index);
  const word = TEAM_WORDS[combo]!;
  return repeat === 0 ? word : `${word}-${repeat + 1}`;
}

function teamKey(ctx: Context, index: number): string {
  return ctx.teamKeys[index]!;
}

function personIdentity(ctx: Context, index: number) {
  const { combo, repeat } = scatterAt(ctx.personNames, index);
  const first = FIRST_NAMES[combo % FIRST_NAMES.length]!;
  const last = LAST_NAMES[Math.floor(combo / FIRST_NAMES.length)]!;
  const username = repeat === 0 ? `${first}.${last}` : `${first}.${last}${repeat + 1}`;
  return { first, last, username, email: `${username}@example.com`, key: `person:${username}` };
}

function personEmail(ctx: Context, index: number): string {
  if (index >= KEY_CACHE_LIMIT) return personIdentity(ctx, index).email;
  let cached = ctx.emailCache[index];
  if (cached === undefined) {
    cached = personIdentity(ctx, index).email;
    ctx.emailCache[index] = cached;
  }
  return cached;
}

function repoIdentity(ctx: Context, index: number) {
  const { combo, repeat } = scatterAt(ctx.repoNames, index);
  const domain = REPO_DOMAINS[combo % REPO_DOMAINS.length]!;
  const suffix = REPO_SUFFIXES[Math.floor(combo / REPO_DOMAINS.length)]!;
  const name = repeat === 0 ? `${domain}-${suffix}` : `${domain}-${suffix}-${repeat + 1}`;
  return { name, suffix, key: `repo:${name}` };
}

function hostName(ctx: Context, index: number): string {
  // Multiplying by an odd constant is a bijection modulo 2^24, so addresses are unique.
  const ip = (Math.imul(index, 0x9e3779b1) ^ ctx.hostMask) & 0xffffff;
  return `ip-10-${ip >>> 16}-${(ip >>> 8) & 0xff}-${ip & 0xff}`;
}

interface PackageRef {
  key: string;
  displayName: string;
  ecosystem: "npm" | "pypi";
  name: string;
  version: string;
  usesType: string;
}

function packageName(ecosystem: "npm" | "pypi", nameIndex: number): string {
  if (ecosystem === "npm") {
    if (nameIndex < NPM_POPULAR.length) return NPM_POPULAR[nameIndex]!;
    const c = nameIndex - NPM_POPULAR.length;
    const base = `${NPM_PREFIXES[c % NPM_PREFIXES.length]}-${NPM_NOUNS[Math.floor(c / NPM_PREFIXES.length) % NPM_NOUNS.length]}`;
    const repeat = Math.floor(c / (NPM_PREFIXES.length * NPM_NOUNS.length));
    if (repeat === 0) return base;
    const scope = NPM_SCOPES[(repeat - 1) % NPM_SCOPES.length]!;
    const round = Math.floor((repeat - 1) / NPM_SCOPES.length);
    return round === 0 ? `@${scope}/${base}` : `@${scope}/${base}-${round + 1}`;
  }
  if (nameIndex < PYPI_POPULAR.length) return PYPI_POPULAR[nameIndex]!;
  const c = nameIndex - PYPI_POPULAR.length;
  const base = `${PYPI_PREFIXES[c % PYPI_PREFIXES.length]}-${PYPI_NOUNS[Math.floor(c / PYPI_PREFIXES.length) % PYPI_NOUNS.length]}`;
  const repeat = Math.floor(c / (PYPI_PREFIXES.length * PYPI_NOUNS.length));
  return repeat === 0 ? base : `${base}${repeat + 1}`;
}

function packageAt(ctx: Context, index: number): PackageRef {
  if (index >= KEY_CACHE_LIMIT) return buildPackage(ctx, index);
  let cached = ctx.packageCache[index];
  if (cached === undefined) {
    cached = buildPackage(ctx, index);
    ctx.packageCache[index] = cached;
  }
  return cached;
}

/** Pool index -> package; npm first, then pypi. Versions of one name differ by construction. */
function buildPackage(ctx: Context, index: number): PackageRef {
  const ecosystem = index < ctx.npmPackages ? "npm" : "pypi";
  const within = ecosystem === "npm" ? index : index - ctx.npmPackages;
  const nameIndex = Math.floor(within / VERSIONS_PER_PACKAGE);
  const k = within % VERSIONS_PER_PACKAGE;
  const h = mix(mix(ecosystem === "npm" ? 11 : 13, nameIndex), ctx.seed) >>> 0;
  const major = 1 + (h % 5) + (k >> 2);
  const minor = (k & 3) * 3 + ((h >>> 4) % 3);
  const patch = (mix(h, k) >>> 0) % 12;
  const name = packageName(ecosystem, nameIndex);
  const version = `${major}.${minor}.${patch}`;
  const displayName = `${name}@${version}`;
  return {
    key: `${ecosystem}:${displayName}`,
    displayName,
    ecosystem,
    name,
    version,
    usesType: ecosystem === "npm" ? "git_repo_uses_npm_package" : "git_repo_uses_pypi_package",
  };
}

function imageKey(ctx: Context, index: number): string {
  if (index >= KEY_CACHE_LIMIT) return imageAt(ctx, index).key;
  let cached = ctx.imageKeyCache[index];
  if (cached === undefined) {
    cached = imageAt(ctx, index).key;
    ctx.imageKeyCache[index] = cached;
  }
  return cached;
}

function imageAt(ctx: Context, index: number): { key: string; name: string; tag: string } {
  if (index < BASE_IMAGES.length) {
    const [name, tag] = BASE_IMAGES[index]!;
    return { key: `image:${name}:${tag}`, name, tag };
  }
  const within = index - BASE_IMAGES.length;
  const nameIndex = Math.floor(within / TAGS_PER_IMAGE);
  const k = within % TAGS_PER_IMAGE;
  const service = repoIdentity(ctx, nameIndex).name;
  const h = mix(mix(17, nameIndex), ctx.seed) >>> 0;
  const name = `registry.example.com/${service}`;
  const tag = `${h % 4}.${k * 5 + ((h >>> 3) % 5)}.${(mix(h, k) >>> 0) % 20}`;
  return { key: `image:${name}:${tag}`, name, tag };
}

/** Index in [0, n), the lowest indexes far more likely (about (i/n)^(1/3) of draws fall below i). */
function popular(rng: Rng, n: number): number {
  const u = rng.next();
  return Math.floor(n * u * u * u);
}

// ---------------------------------------------------------------------------
// Records

/** Every this many hosts, one records the repo that deploys it (`CodeRepo -DEPLOYED-> Host`). */
const DEPLOYED_EVERY = 4;

function rel(from: string, verb: "HAS" | "OWNS" | "USES" | "DEPLOYED", to: string, type: string): RelationshipRecord {
  return {
    _key: `${from}|${verb.toLowerCase()}|${to}`,
    _type: type,
    _class: verb,
    _fromEntityKey: from,
    _toEntityKey: to,
  };
}

function teamEntity(ctx: Context, index: number): EntityRecord {
  const { combo, repeat } = scatterAt(ctx.teamNames, index);
  const word = TEAM_WORDS[combo]!;
  const displayName = repeat === 0 ? titleCase(word) : `${titleCase(word)} ${repeat + 1}`;
  return { _key: teamKey(ctx, index), _type: "team", _class: "Team", displayName, name: teamName(ctx, index) };
}

/**
 * One asset's records. The generator and `sampleRepoName` reuse one instance,
 * so building an asset allocates only the records themselves.
 */
interface AssetRecords {
  entity: EntityRecord;
  /** Edges from or to the asset, all of whose other ends come earlier. */
  rels: RelationshipRecord[];
  findings: EntityRecord[];
  /** `findingRels[i]` links the asset to `findings[i]`. */
  findingRels: RelationshipRecord[];
  /** Scratch for picking distinct packages. */
  picked: number[];
}

function newAssetRecords(): AssetRecords {
  return { entity: { _key: "", _type: "", _class: "" }, rels: [], findings: [], findingRels: [], picked: [] };
}

function personRecords(ctx: Context, index: number, rng: Rng, out: AssetRecords): void {
  rng.reset(streamSeed(ctx.seed, SALT.person, index));
  out.rels.length = 0;
  out.findings.length = 0;
  out.findingRels.length = 0;
  const p = personIdentity(ctx, index);
  const firstName = titleCase(p.first);
  const lastName = titleCase(p.last);
  const name = `${firstName} ${lastName}`;
  out.entity = {
    _key: p.key,
    _type: "person",
    _class: ["Person", "User"],
    displayName: name,
    name,
    email: p.email,
    username: p.username,
    firstName,
    lastName,
    active: true,
    mfaEnabled: rng.chance(0.88),
  };
  const teams = ctx.size.teams;
  const first = rng.int(teams);
  out.rels.push(rel(teamKey(ctx, first), "HAS", p.key, "team_has_person"));
  if (teams > 1 && rng.chance(SECOND_TEAM_SHARE)) {
    const second = (first + 1 + rng.int(teams - 1)) % teams;
    out.rels.push(rel(teamKey(ctx, second), "HAS", p.key, "team_has_person"));
  }
}

function packageEntity(ctx: Context, index: number): EntityRecord {
  const p = packageAt(ctx, index);
  return {
    _key: p.key,
    _type: p.ecosystem === "npm" ? "npm_package" : "pypi_package",
    _class: "CodeModule",
    displayName: p.displayName,
    name: p.name,
    version: p.version,
    ecosystem: p.ecosystem,
  };
}

function imageEntity(ctx: Context, index: number, rng: Rng): EntityRecord {
  rng.reset(streamSeed(ctx.seed, SALT.image, index));
  const image = imageAt(ctx, index);
  // Ages up to ~13 months, skewed young; about 40% are older than 6 months.
  const ageDays = 400 * rng.next() ** 1.5;
  return {
    _key: image.key,
    _type: "docker_image",
    _class: "Image",
    displayName: `${image.name}:${image.tag}`,
    name: image.name,
    tag: image.tag,
    createdOn: Math.floor(ctx.now - ageDays * DAY),
  };
}

interface AssetFacts {
  language: string;
  terraformVersion: string | undefined;
  usesImage: boolean;
  os: string;
  deployment: string;
}

function eligible(audience: CampaignSpec["audience"], facts: AssetFacts): boolean {
  switch (audience) {
    case "all":
    case "all-hosts":
      return true;
    case "node":
      return facts.language === "TypeScript" || facts.language === "JavaScript";
    case "python":
      return facts.language === "Python";
    case "go":
      return facts.language === "Go";
    case "terraform0":
      return facts.terraformVersion?.startsWith("0.") === true;
    case "image":
      return facts.usesImage;
    case "linux":
      return facts.os === "linux";
    case "mutable":
      return facts.deployment === "vm" || facts.deployment === "bare-metal";
  }
}

function addFindings(
  ctx: Context,
  campaigns: readonly Campaign[],
  facts: AssetFacts,
  asset: { key: string; type: string; name: string; owner?: string; hasType: string; linkRepo: string },
  rng: Rng,
  out: AssetRecords,
): void {
  for (const campaign of campaigns) {
    if (!eligible(campaign.spec.audience, facts) || !rng.chance(campaign.coverage)) continue;
    const key = `finding:${campaign.maintenanceId}:${asset.key}`;
    // Every finding gets all the open-finding properties in one literal (one shape); closed ones add the rest.
    const entity: EntityRecord = {
      _key: key,
      _type: "deferred_maintenance",
      _class: "Finding",
      displayName: campaign.shortDescription,
      maintenanceId: campaign.maintenanceId,
      shortDescription: campaign.shortDescription,
      description: campaign.spec.description,
      webLink: campaign.webLink,
      dueDate: campaign.dueDate,
      status: "open",
      closed: false,
      createdBy: campaign.createdBy,
      createdOn: campaign.createdOn,
      // what dm open records besides the original tool's properties
      query: campaign.query,
      tracked: false,
      entityKey: asset.key,
      entityType: asset.type,
      entityName: asset.name,
    };
    if (asset.owner !== undefined) entity.owner = asset.owner;
    if (rng.chance(campaign.spec.closeRate)) {
      const closeReason = rng.weighted(CLOSE_REASONS);
      entity.status = "closed";
      entity.closed = true;
      entity.closedOn = Math.floor(campaign.createdOn + rng.next() * (ctx.now - campaign.createdOn));
      entity.closedBy = personEmail(ctx, rng.int(ctx.size.people));
      entity.closeReason = closeReason;
      entity.maintenanceLink = `https://git.example.com/${asset.linkRepo}/pull/${1 + rng.int(2000)}`;
      if (closeReason === "RISK_ACCEPTED") entity.acceptedUntil = Math.floor(ctx.now + (30 + rng.int(150)) * DAY);
    }
    out.findings.push(entity);
    out.findingRels.push(rel(asset.key, "HAS", key, asset.hasType));
  }
}

function repoRecords(ctx: Context, index: number, rng: Rng, out: AssetRecords): void {
  rng.reset(streamSeed(ctx.seed, SALT.repo, index));
  out.rels.length = 0;
  out.findings.length = 0;
  out.findingRels.length = 0;
  const { name, suffix, key } = repoIdentity(ctx, index);
  const { size } = ctx;
  const language = SUFFIX_LANGUAGE[suffix] ?? rng.weighted(LANGUAGES);
  const hasTerraform = language === "HCL" || rng.chance(TERRAFORM_IN_APP_SHARE);
  const terraformVersion = hasTerraform
    ? rng.chance(TERRAFORM_0_SHARE)
      ? rng.pick(TERRAFORM_0)
      : rng.pick(TERRAFORM_1)
    : undefined;
  const usesImage = size.images > 0 && !LIBRARY_SUFFIXES.has(suffix) && rng.chance(REPO_IMAGE_SHARE);
  out.entity = {
    _key: key,
    _type: "git_repo",
    _class: "CodeRepo",
    displayName: name,
    name,
    public: rng.chance(0.05),
    archived: rng.chance(0.03),
    defaultBranch: rng.chance(0.85) ? "main" : "master",
    language,
    "tag.Production": rng.chance(0.4),
  };
  if (terraformVersion !== undefined) out.entity.terraformVersion = terraformVersion;

  const ownerIndex = rng.int(size.teams);
  out.rels.push(rel(teamKey(ctx, ownerIndex), "OWNS", key, "team_owns_git_repo"));

  const pool = size.packages;
  if (pool > 0 && size.packagesPerRepo > 0) {
    const picked = out.picked;
    picked.length = 0;
    // Strided "cover" picks give every package in the pool at least one user.
    const cover = Math.ceil(pool / size.repos);
    for (let j = 0; j < cover; j++) {
      const p = j * size.repos + index;
      if (p < pool) picked.push(p);
    }
    const wanted = Math.min(pool, Math.max(picked.length, Math.round(size.packagesPerRepo * (0.5 + rng.next()))));
    // Python repos draw their popular packages from pypi, the others from npm.
    const pypi = (language === "Python" && ctx.pypiPackages > 0) || ctx.npmPackages === 0;
    const from = pypi ? ctx.npmPackages : 0;
    const count = pypi ? ctx.pypiPackages : ctx.npmPackages;
    while (picked.length < wanted) {
      let p = from + popular(rng, count);
      while (picked.includes(p)) p = (p + 1) % pool;
      picked.push(p);
    }
    for (const p of picked) {
      const pkg = packageAt(ctx, p);
      const direct = rng.chance(0.35);
      const devDependency = rng.chance(direct ? 0.3 : 0.15);
      out.rels.push({
        _key: `${key}|uses|${pkg.key}`,
        _type: pkg.usesType,
        _class: "USES",
        _fromEntityKey: key,
        _toEntityKey: pkg.key,
        direct,
        devDependency,
      });
    }
  }
  if (usesImage) {
    out.rels.push(rel(key, "USES", imageKey(ctx, popular(rng, size.images)), "git_repo_uses_docker_image"));
  }

  const facts: AssetFacts = { language, terraformVersion, usesImage, os: "", deployment: "" };
  addFindings(
    ctx,
    ctx.repoCampaigns,
    facts,
    {
      key,
      type: "git_repo",
      name,
      owner: teamName(ctx, ownerIndex),
      hasType: "git_repo_has_deferred_maintenance",
      linkRepo: name,
    },
    rng,
    out,
  );
}

function hostRecords(ctx: Context, index: number, rng: Rng, out: AssetRecords): void {
  rng.reset(streamSeed(ctx.seed, SALT.host, index));
  out.rels.length = 0;
  out.findings.length = 0;
  out.findingRels.length = 0;
  const name = hostName(ctx, index);
  const key = `host:${name}`;
  const deployment = rng.weighted(DEPLOYMENTS);
  const windows = rng.chance(WINDOWS_SHARE);
  const linux = rng.pick(HOST_OS);
  const os = windows ? "windows" : linux[0];
  const osVersion = windows ? rng.pick(WINDOWS_OS) : linux[1];
  const production = rng.chance(0.55);
  const ageDays =
    deployment === "container" ? rng.next() * 30 : deployment === "vm" ? rng.next() * 720 : 700 + rng.next() * 1500;
  const stale = rng.chance(0.08);
  const lastSeenAgo = stale ? (3 + rng.next() * 60) * DAY : rng.next() * DAY;
  out.entity = {
    _key: key,
    _type: "host",
    _class: "Host",
    displayName: name,
    name,
    hostname: deployment === "bare-metal" ? `${name}.dc1.example.com` : `${name}.ec2.internal`,
    os,
    osVersion,
    // the deployment models the hosts integration records (and the three-rs rules judge by)
    deployment: deployment === "container" ? "immutable-container" : deployment === "vm" ? "mutable-vm" : "bare-metal",
    mutable: deployment !== "container",
    createdOn: Math.floor(ctx.now - ageDays * DAY),
    // rebuilt when created; mutable machines patched some weeks ago (no random draw: the rest of the sample stays as it was)
    lastRebuiltOn: Math.floor(ctx.now - ageDays * DAY),
    ...(deployment === "container" ? {} : { lastPatchedOn: Math.floor(ctx.now - Math.min(ageDays, (index * 37) % 75) * DAY) }),
    lastSeenOn: Math.floor(ctx.now - Math.min(lastSeenAgo, ageDays * DAY)),
    "tag.Production": production,
    "tag.AccountName": production ? "acme-prod" : rng.pick(NON_PROD_ACCOUNTS),
  };
  if (deployment !== "bare-metal" && ctx.size.images > 0) {
    out.rels.push(rel(key, "USES", imageKey(ctx, popular(rng, ctx.size.images)), "host_uses_docker_image"));
  }
  // The feedback loop: some hosts record the repo that deploys them (no random draw: the rest of the sample stays as it was).
  if (index % DEPLOYED_EVERY === 0 && ctx.size.repos > 0) {
    const repo = repoIdentity(ctx, (index / DEPLOYED_EVERY) % ctx.size.repos).key;
    out.rels.push(rel(repo, "DEPLOYED", key, "git_repo_deployed_host"));
  }
  const facts: AssetFacts = { language: "", terraformVersion: undefined, usesImage: false, os, deployment };
  addFindings(
    ctx,
    ctx.hostCampaigns,
    facts,
    { key, type: "host", name, hasType: "host_has_deferred_maintenance", linkRepo: "platform-infrastructure" },
    rng,
    out,
  );
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Generate the organisation in batches of `chunkSize` entities. Entities come
 * in dependency order (teams, people, packages, images, then each repo followed
 * by its findings, then each host followed by its findings), and each batch
 * carries exactly the relationships whose ends are in it or in an earlier
 * batch, so batches can be upserted one by one.
 */
export function* generateOrg(options: GenerateOrgOptions): Generator<GraphBatch> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new InputError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const ctx = createContext(options.size, options.seed ?? DEFAULT_SEED, options.now);
  const { size } = ctx;
  const rng = new Rng();
  const asset = newAssetRecords();
  let entities: EntityRecord[] = [];
  let relationships: RelationshipRecord[] = [];
  const take = (): GraphBatch => {
    const batch = { entities, relationships };
    entities = [];
    relationships = [];
    return batch;
  };

  for (let i = 0; i < size.teams; i++) {
    if (entities.length >= chunkSize) yield take();
    entities.push(teamEntity(ctx, i));
  }
  for (let i = 0; i < size.people; i++) {
    if (entities.length >= chunkSize) yield take();
    personRecords(ctx, i, rng, asset);
    entities.push(asset.entity);
    for (const r of asset.rels) relationships.push(r);
  }
  for (let i = 0; i < size.packages; i++) {
    if (entities.length >= chunkSize) yield take();
    entities.push(packageEntity(ctx, i));
  }
  for (let i = 0; i < size.images; i++) {
    if (entities.length >= chunkSize) yield take();
    entities.push(imageEntity(ctx, i, rng));
  }
  for (let kind = 0; kind < 2; kind++) {
    const count = kind === 0 ? size.repos : size.hosts;
    for (let i = 0; i < count; i++) {
      if (kind === 0) repoRecords(ctx, i, rng, asset);
      else hostRecords(ctx, i, rng, asset);
      if (entities.length >= chunkSize) yield take();
      entities.push(asset.entity);
      for (const r of asset.rels) relationships.push(r);
      for (let f = 0; f < asset.findings.length; f++) {
        if (entities.length >= chunkSize) yield take();
        entities.push(asset.findings[f]!);
        relationships.push(asset.findingRels[f]!);
      }
    }
  }
  if (entities.length > 0 || relationships.length > 0) yield take();
}

/** Expected entity and relationship counts for a size (the generator hits them within a few percent). */
export function estimateCounts(size: OrgSize): { entities: number; relationships: number; findings: number } {
  validateSize(size);
  const specs = CATALOGUE.slice(0, size.campaigns);
  const perAsset = (kind: "repo" | "host", target: number) => {
    const chosen = specs.filter((c) => isRepoAudience(c.audience) === (kind === "repo"));
    const cov = coverages(chosen, target);
    return chosen.reduce((sum, c, i) => sum + audienceShare(c.audience) * cov[i]!, 0);
  };
  const findings = size.repos * perAsset("repo", size.findingsPerRepo) + size.hosts * perAsset("host", size.findingsPerHost);
  // Each repo takes its share of the "cover" picks or packagesPerRepo, whichever is more.
  const packageUses =
    size.packages > 0 && size.packagesPerRepo > 0
      ? size.repos * Math.min(size.packages, Math.max(size.packages / Math.max(1, size.repos), size.packagesPerRepo))
      : 0;
  const images = size.images > 0 ? size.repos * repoImageShare() + size.hosts * (1 - deploymentShare("bare-metal")) : 0;
  const entities = size.teams + size.people + size.packages + size.images + size.repos + size.hosts + findings;
  const memberships = size.people * (1 + (size.teams > 1 ? SECOND_TEAM_SHARE : 0));
  const deployed = size.repos > 0 ? Math.ceil(size.hosts / DEPLOYED_EVERY) : 0;
  const relationships = memberships + size.repos + packageUses + images + findings + deployed;
  return { entities: Math.round(entities), relationships: Math.round(relationships), findings: Math.round(findings) };
}

/**
 * Proportions for a graph of about `total` entities and about twice as many
 * relationships. At 1,000,000: 1,000 teams, 20,000 people, 50,000 repos with
 * 2 findings each (about 35,000 of them open and overdue), 400,000 hosts with
 * 0.1 findings each, 25,000 images and a pool of about 364,000 package
 * versions used about 28 times per repo (popular ones by thousands of repos).
 */
export function sizeForEntities(total: number): OrgSize {
  if (!Number.isFinite(total) || total < 1) throw new InputError(`total must be a positive number, got ${total}`);
  const size: OrgSize = {
    teams: Math.max(1, Math.round(total * 0.001)),
    people: Math.max(1, Math.round(total * 0.02)),
    repos: Math.max(1, Math.round(total * 0.05)),
    hosts: Math.round(total * 0.4),
    images: Math.max(1, Math.round(total * 0.025)),
    packages: 0,
    packagesPerRepo: 0,
    findingsPerRepo: 2,
    findingsPerHost: 0.1,
    campaigns: CATALOGUE.length,
  };
  const withoutPackages = estimateCounts(size);
  size.packages = Math.max(1, Math.round(total - withoutPackages.entities));
  const missingRelationships = 2 * total - estimateCounts(size).relationships;
  size.packagesPerRepo = Math.max(1, Math.min(size.packages, Math.round(missingRelationships / size.repos)));
  return size;
}

/** The campaigns (maintenance items) of a generated organisation. */
export function describeCampaigns(options: { size: OrgSize; seed?: number; now: number }): CampaignInfo[] {
  const ctx = createContext(options.size, options.seed ?? DEFAULT_SEED, options.now);
  return [...ctx.repoCampaigns, ...ctx.hostCampaigns].map(
    ({ maintenanceId, shortDescription, target, createdOn, dueDate, createdBy }) => ({
      maintenanceId,
      shortDescription,
      target,
      createdOn,
      dueDate,
      createdBy,
    }),
  );
}

/**
 * The name of a generated repo with at least one open finding, without
 * generating the organisation. Different `index` values give different,
 * well-spread repos (for benchmark point lookups). Whether a finding is open
 * does not depend on `now`, so any `now` gives the same answer.
 */
export function sampleRepoName(size: OrgSize, seed: number = DEFAULT_SEED, index = 0): string {
  const ctx = createContext(size, seed, 0);
  const rng = new Rng();
  const repo = newAssetRecords();
  const start = (streamSeed(seed, SALT.sample, index) >>> 0) % Math.max(1, size.repos);
  for (let step = 0; step < size.repos; step++) {
    const i = (start + step) % size.repos;
    repoRecords(ctx, i, rng, repo);
    if (repo.findings.some((f) => f.closed === false)) return repoIdentity(ctx, i).name;
  }
  throw new InputError("no generated repo has an open finding: repos, findingsPerRepo or campaigns is 0");
}
