/**
 * GitHub's REST API v3 through ApiClient: `per_page=100` and the Link
 * header's `rel="next"` for paging, conditional requests (ETag /
 * If-None-Match, answered 304 from the last run's copy, which GitHub does
 * not count against the rate limit), and GitHub's rate limits honoured by
 * requestJson (429 or 403 with Retry-After; 403 with x-ratelimit-remaining 0
 * waits until x-ratelimit-reset).
 */
import { z } from "zod";
import { ExternalServiceError } from "../../shared/errors.js";
import { ApiClient, type HttpCache, nextLink, type Query } from "../http.js";
import { GhBranchProtection, GhOrg, GhRepo, GhTeam, GhUser } from "./map.js";

export const DEFAULT_URL = "https://api.github.com";

export interface GithubClientOptions {
  url: string;
  org: string;
  token: string;
  /** the setting's reference (`env:GITHUB_TOKEN`), for messages: never the token */
  tokenRef: string;
  cache?: HttpCache;
  timeoutMs?: number;
}

/** A sub-resource GitHub would not give: the status, for a warning. */
export interface Refused {
  refused: number;
  endpoint: string;
}

export class GithubClient {
  private readonly api: ApiClient;
  readonly org: string;
  /** requests sent, by outcome (for the bench and the summary) */
  readonly stats = { requests: 0, notModified: 0 };

  constructor(options: GithubClientOptions) {
    this.org = options.org;
    this.api = new ApiClient({
      service: "GitHub",
      baseUrl: options.url,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
      },
      authHint:
        `Check the token ${options.tokenRef} names: it must be valid and not expired, and may read the organisation ` +
        `(classic token: the repo and read:org scopes; fine-grained: Metadata, Members and Administration read). ` +
        `For GitHub Enterprise Server, url must be the API root (https://ghe.example.com/api/v3).`,
      cache: options.cache,
      timeoutMs: options.timeoutMs,
    });
  }

  private orgPath(rest = ""): string {
    return `/orgs/${encodeURIComponent(this.org)}${rest}`;
  }

  private async get<S extends z.ZodType>(path: string, schema: S, opts: { query?: Query; accept?: number[] } = {}) {
    this.stats.requests++;
    const answer = await this.api.get(path, schema, opts);
    if (answer.fromCache) this.stats.notModified++;
    return answer;
  }

  /**
   * Every page of a list: `per_page=100`, then the Link header's next URL.
   * `accept`: statuses that end the list with that status instead of
   * throwing (returned as `refused`).
   */
  async list<S extends z.ZodType>(
    path: string,
    item: S,
    query: Query = {},
    accept: number[] = [],
  ): Promise<{ items: z.infer<S>[]; refused?: number }> {
    const items: z.infer<S>[] = [];
    let next: string | undefined = path;
    let first = true;
    while (next) {
      const answer = await this.get(next, z.array(item), first ? { query: { ...query, per_page: 100 }, accept } : { accept });
      if (answer.data === undefined) return { items, refused: answer.status };
      items.push(...(answer.data as z.infer<S>[]));
      next = nextLink(answer.header("link"));
      first = false;
    }
    return { items };
  }

  async organization(): Promise<GhOrg> {
    const answer = await this.get(this.orgPath(), GhOrg, { accept: [404] });
    if (!answer.data) {
      throw new ExternalServiceError("GitHub", `GitHub (GET ${this.orgPath()}): no organisation "${this.org}" (HTTP 404)`, {
        details: [
          "Check `org` (the organisation's login, as in https://github.com/<org>) and `url` (https://api.github.com, or https://ghe.example.com/api/v3 for GitHub Enterprise Server).",
        ],
      });
    }
    return answer.data;
  }

  async members(role?: "admin"): Promise<GhUser[]> {
    return (await this.list(this.orgPath("/members"), GhUser, role ? { role } : {})).items;
  }

  async repos(): Promise<GhRepo[]> {
    return (await this.list(this.orgPath("/repos"), GhRepo, { type: "all" })).items;
  }

  /** The organisation's teams; a plain 403 (no rate limit) means the token lacks read:org. */
  async teams(): Promise<GhTeam[]> {
    const r = await this.list(this.orgPath("/teams"), GhTeam, {}, [403]);
    if (r.refused !== undefined) {
      throw new ExternalServiceError("GitHub", `GitHub (GET ${this.orgPath("/teams")}): the token may not read the organisation's teams (HTTP 403)`, {
        details: [
          "Check the token's read:org scope (classic token), or its Members: read organisation permission (fine-grained token); an organisation that restricts tokens must also have approved it.",
        ],
      });
    }
    return r.items;
  }

  async teamMembers(slug: string): Promise<GhUser[] | Refused> {
    const path = this.orgPath(`/teams/${encodeURIComponent(slug)}/members`);
    const r = await this.list(path, GhUser, {}, [403, 404]);
    return r.refused === undefined ? r.items : { refused: r.refused, endpoint: `GET ${path}` };
  }

  async teamRepos(slug: string): Promise<GhRepo[] | Refused> {
    const path = this.orgPath(`/teams/${encodeURIComponent(slug)}/repos`);
    const r = await this.list(path, GhRepo, {}, [403, 404]);
    return r.refused === undefined ? r.items : { refused: r.refused, endpoint: `GET ${path}` };
  }

  async collaborators(fullName: string): Promise<GhUser[] | Refused> {
    const path = `/repos/${fullName.split("/").map(encodeURIComponent).join("/")}/collaborators`;
    const r = await this.list(path, GhUser, { affiliation: "direct" }, [403, 404]);
    return r.refused === undefined ? r.items : { refused: r.refused, endpoint: `GET ${path}` };
  }

  /** The protection of a branch: null when it has none (404), Refused on 403. */
  async branchProtection(fullName: string, branch: string): Promise<GhBranchProtection | null | Refused> {
    const path = `/repos/${fullName.split("/").map(encodeURIComponent).join("/")}/branches/${encodeURIComponent(branch)}/protection`;
    const answer = await this.get(path, GhBranchProtection, { accept: [403, 404] });
    if (answer.status === 404) return null;
    if (answer.data === undefined) return { refused: answer.status, endpoint: `GET ${path}` };
    return answer.data;
  }

  /** A user's profile (name, public email); undefined when GitHub no longer has the user. */
  async user(login: string): Promise<GhUser | undefined> {
    const answer = await this.get(`/users/${encodeURIComponent(login)}`, GhUser, { accept: [404] });
    return answer.data;
  }
}

export function isRefused(value: unknown): value is Refused {
  return typeof value === "object" && value !== null && "refused" in value;
}

/**
 * `fn` over `items`, at most `limit` at once, results yielded as they
 * complete. The first error stops the pool and is thrown.
 */
export async function* pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  type Settled = { id: number; ok: true; result: R } | { id: number; ok: false; error: unknown };
  let next = 0;
  const running = new Map<number, Promise<Settled>>();
  const start = () => {
    const id = next++;
    // settled, never rejected: a failure while another is awaited is not an unhandled rejection
    running.set(
      id,
      fn(items[id]!).then(
        (result): Settled => ({ id, ok: true, result }),
        (error): Settled => ({ id, ok: false, error }),
      ),
    );
  };
  while (next < items.length && running.size < limit) start();
  while (running.size > 0) {
    const settled = await Promise.race(running.values());
    running.delete(settled.id);
    if (!settled.ok) throw settled.error;
    if (next < items.length) start();
    yield settled.result;
  }
}
