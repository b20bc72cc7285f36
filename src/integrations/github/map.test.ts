import { describe, expect, it } from "vitest";
import { pool } from "./client.js";
import { epoch, type GhRepo, permissionProps, roleOf, toBranchProtectionEntity, toRepoEntity, toTeamEntity, toUserEntity } from "./map.js";

const repo: GhRepo = {
  id: 1296269,
  node_id: "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
  name: "Hello-World",
  full_name: "Octocat/Hello-World",
  private: false,
  html_url: "https://github.com/octocat/Hello-World",
  description: "This your first repo!",
  fork: false,
  archived: false,
  disabled: false,
  visibility: "public",
  default_branch: "master",
  topics: ["octocat", "atom", "api"],
  language: null,
  pushed_at: "2011-01-26T19:06:43Z",
  created_at: "2011-01-26T19:01:12Z",
  updated_at: "2011-01-26T19:14:43Z",
};

describe("github map", () => {
  it("maps a repository as J1's github_repo (fullName lowercased, visibility as GraphQL's enum)", () => {
    expect(toRepoEntity(repo)).toEqual({
      _key: "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
      _type: "github_repo",
      _class: "CodeRepo",
      name: "Hello-World",
      displayName: "Hello-World",
      fullName: "octocat/hello-world",
      webLink: "https://github.com/octocat/Hello-World",
      databaseId: 1296269,
      description: "This your first repo!",
      homepageUrl: "",
      defaultBranch: "master",
      public: true,
      visibility: "PUBLIC",
      archived: false,
      disabled: false,
      fork: false,
      template: false,
      topics: ["api", "atom", "octocat"],
      createdOn: Date.UTC(2011, 0, 26, 19, 1, 12),
      updatedOn: Date.UTC(2011, 0, 26, 19, 14, 43),
      pushedOn: Date.UTC(2011, 0, 26, 19, 6, 43),
    });
    // no visibility field (older GHES): from `private`
    expect(toRepoEntity({ ...repo, visibility: undefined, private: true }).visibility).toBe("PRIVATE");
  });

  it("roles: the highest permission granted, else the role name; each role implies the ones below", () => {
    expect(roleOf({ admin: false, maintain: true, push: true, triage: true, pull: true })).toBe("MAINTAIN");
    expect(roleOf({ pull: true })).toBe("READ");
    expect(roleOf(undefined, "push")).toBe("WRITE");
    expect(roleOf(undefined, "triage")).toBe("TRIAGE");
    expect(roleOf(undefined, "custom-security-role")).toBe("READ");
    expect(permissionProps("WRITE")).toEqual({
      role: "WRITE",
      adminPermission: false,
      maintainPermission: false,
      pushPermission: true,
      triagePermission: true,
      pullPermission: true,
    });
    expect(permissionProps("ADMIN")).toMatchObject({ adminPermission: true, maintainPermission: true });
  });

  it("users: email lowercased in an array (the data model's User), null when GitHub has none", () => {
    const user = { login: "octocat", id: 1, node_id: "MDQ6VXNlcjE=", html_url: "https://github.com/octocat" };
    expect(toUserEntity({ ...user, name: "The Octocat", email: "Octocat@GitHub.com" }, "ADMIN")).toMatchObject({
      _key: "MDQ6VXNlcjE=",
      _type: "github_user",
      _class: "User",
      displayName: "The Octocat",
      login: "octocat",
      username: ["octocat"],
      email: ["octocat@github.com"],
      role: "ADMIN",
    });
    expect(toUserEntity(user, "OUTSIDE")).toMatchObject({ displayName: "octocat", email: null, role: "OUTSIDE" });
  });

  it("teams are named by slug, shown by name", () => {
    expect(
      toTeamEntity({ id: 1, node_id: "MDQ6VGVhbTE=", html_url: "https://github.com/orgs/github/teams/justice-league", name: "Justice League", slug: "justice-league" }),
    ).toMatchObject({ _key: "MDQ6VGVhbTE=", name: "justice-league", displayName: "Justice League", _class: "UserGroup" });
  });

  it("branch protection: J1's property names, off when the answer leaves a setting out", () => {
    const rule = toBranchProtectionEntity(repo, "master", {
      required_status_checks: { strict: true, contexts: ["continuous-integration/travis-ci"] },
      enforce_admins: { enabled: true },
      required_pull_request_reviews: { dismiss_stale_reviews: true, require_code_owner_reviews: true, required_approving_review_count: 2 },
      required_linear_history: { enabled: true },
      allow_force_pushes: { enabled: true },
    });
    expect(rule).toMatchObject({
      _key: "github_branch_protection_rule:MDEwOlJlcG9zaXRvcnkxMjk2MjY5:master",
      _type: "github_branch_protection_rule",
      _class: "Rule",
      name: "master",
      webLink: "https://github.com/octocat/Hello-World/settings/branches",
      enforceAdmins: true,
      requiredApprovingReviewCount: 2,
      requireCodeOwnerReviews: true,
      requiredStatusChecks: ["continuous-integration/travis-ci"],
      requiredLinearHistory: true,
      allowForcePushes: true,
      allowDeletions: false,
      requiredSignatures: false,
    });
    expect(toBranchProtectionEntity(repo, "master", {})).toMatchObject({ requiredPullRequestReviews: false, requiredApprovingReviewCount: 0 });
  });

  it("times", () => {
    expect(epoch("2011-01-26T19:06:43Z")).toBe(1296068803000);
    expect(epoch(null)).toBeUndefined();
  });

  it("pool: at most `limit` at once, every result, the first error thrown", async () => {
    let running = 0;
    let most = 0;
    const results: number[] = [];
    for await (const r of pool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, (8 - n) * 2));
      running--;
      return n * 10;
    })) {
      results.push(r);
    }
    expect(most).toBe(3);
    expect(results.sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50, 60, 70]);
    const failing = pool([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error("boom");
      await new Promise((resolve) => setTimeout(resolve, 20));
      return n;
    });
    await expect((async () => {
      for await (const _ of failing) void _;
    })()).rejects.toThrow("boom");
  });
});
