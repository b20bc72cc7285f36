/**
 * GitLab REST v4 through the shared ApiClient: groups (one group and its
 * descendants, or every group the token is a member of), the projects of a
 * group and its subgroups, and group/project members. Pages are followed by
 * the `Link: rel="next"` header (offset and keyset pagination both send it),
 * else by `X-Next-Page`, 100 per page.
 */
import { z } from "zod";
import { ExternalServiceError } from "../../shared/errors.js";
import { type ApiAnswer, type ApiClient, nextLink, type Query } from "../http.js";
import { GitlabGroup, GitlabMember, GitlabProject } from "./map.js";

const PER_PAGE = 100;

export class GitlabClient {
  constructor(private readonly api: ApiClient) {}

  /**
   * Every page of a list. `accept` statuses (403, 404) end the list at once
   * with `refused` set, for the caller to warn about.
   */
  async *pages<T>(
    path: string,
    item: z.ZodType<T>,
    query: Query = {},
    accept: number[] = [],
  ): AsyncGenerator<T[], { refused?: number }> {
    const base = { ...query, per_page: PER_PAGE };
    let url: string = path;
    let q: Query | undefined = base;
    const origin = new URL(this.api.baseUrl).origin;
    for (;;) {
      const answer: ApiAnswer<T[] | undefined> = await this.api.get(url, z.array(item), { query: q, accept });
      if (answer.data === undefined) return { refused: answer.status };
      yield answer.data;
      const link = nextLink(answer.header("link"));
      // never send the token elsewhere: a next link to another origin is not followed
      if (link && new URL(link).origin === origin) {
        url = link;
        q = undefined;
        continue;
      }
      const page: string | null = answer.header("x-next-page");
      if (!page) return {};
      url = path;
      q = { ...base, page };
    }
  }

  async all<T>(path: string, item: z.ZodType<T>, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages(path, item, query)) out.push(...page);
    return out;
  }

  /**
   * The groups to read: `group` (a path like `acme` or `acme/platform`) and
   * all its descendants; without one, the groups GET /groups lists for the
   * token (its memberships; an administrator's token: every group) and the
   * descendants of each. Sorted by id.
   */
  async groups(group: string | undefined): Promise<GitlabGroup[]> {
    const byId = new Map<number, GitlabGroup>();
    let roots: GitlabGroup[];
    if (group) {
      const answer = await this.api.get(`/groups/${encodeURIComponent(group)}`, GitlabGroup, {
        query: { with_projects: false },
        accept: [404],
      });
      if (!answer.data) {
        throw new ExternalServiceError("GitLab", `GitLab (GET /api/v4/groups/${encodeURIComponent(group)}): no group "${group}"`, {
          details: [`Check the group setting (its full path, e.g. acme/platform) and that the token's user can see the group.`],
        });
      }
      roots = [answer.data];
    } else {
      const listed = await this.all("/groups", GitlabGroup, { order_by: "id", sort: "asc" });
      for (const g of listed) byId.set(g.id, g);
      const ids = new Set(listed.map((g) => g.id));
      // a listed group whose parent is listed too is reached through that parent
      roots = listed.filter((g) => g.parent_id == null || !ids.has(g.parent_id));
    }
    for (const root of roots) {
      byId.set(root.id, root);
      for (const g of await this.all(`/groups/${root.id}/descendant_groups`, GitlabGroup, { order_by: "id", sort: "asc" })) {
        byId.set(g.id, g);
      }
    }
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  /** The projects of a group and its subgroups (not the ones shared with it), by id. */
  projects(groupId: number): AsyncGenerator<GitlabProject[], { refused?: number }> {
    return this.pages(`/groups/${groupId}/projects`, GitlabProject, {
      include_subgroups: true,
      with_shared: false,
      order_by: "id",
      sort: "asc",
    });
  }

  /** Direct members; a refusal (403/404) comes back as `refused`. */
  async members(kind: "groups" | "projects", id: number): Promise<{ members: GitlabMember[]; refused?: number }> {
    const members: GitlabMember[] = [];
    const it = this.pages(`/${kind}/${id}/members`, GitlabMember, {}, [403, 404]);
    for (;;) {
      const r = await it.next();
      if (r.done) return { members, refused: r.value.refused };
      members.push(...r.value);
    }
  }
}
