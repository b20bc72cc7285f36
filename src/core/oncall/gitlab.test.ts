import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitlab, startFakeGitlab } from "../../../test/fakes/gitlab.js";
import { ExternalServiceError } from "../../shared/errors.js";
import { GitlabGroup } from "./gitlab.js";

describe("GitLab target", () => {
  let gl: FakeGitlab;
  beforeAll(async () => {
    gl = await startFakeGitlab({ token: "glpat-test-1", perPageCap: 2 });
    gl.users.push(
      { id: 1, username: "alice", email: "alice@example.org" },
      { id: 2, username: "bob", email: "bob@example.org" },
      { id: 3, username: "carol", email: "carol@example.org" },
      { id: 4, username: "owner", email: "owner@example.org" },
      { id: 5, username: "maint", email: "maint@example.org" },
      { id: 6, username: "reporter", email: "reporter@example.org" },
      { id: 7, username: "keeper", email: "keeper@example.org" },
    );
  });
  afterAll(() => gl.close());

  const target = (group: string, permanentMembers: string[] = []) =>
    new GitlabGroup({ url: gl.url, token: "glpat-test-1", group, accessLevel: 30, permanentMembers, backoffMs: 1 });

  it("adds who is on call and removes developers who are not; owners, maintainers, other levels and permanent members stay", async () => {
    gl.groups.set("ops/approvers", new Map([[1, 30], [2, 30], [4, 50], [5, 40], [6, 20], [7, 30]]));
    const t = target("ops/approvers", ["keeper"]);
    const plan = await t.plan(["alice@example.org", "carol@example.org", "maint@example.org", "ghost@example.org"], { allowEmpty: false, force: false });
    expect(plan.add.map((u) => u.username)).toEqual(["carol"]);
    expect(plan.remove.map((u) => u.username)).toEqual(["bob"]);
    expect(plan.skipped).toEqual([{ email: "ghost@example.org", reason: "no GitLab user has this email" }]);
    await t.apply(plan);
    expect([...gl.groups.get("ops/approvers")!].sort((a, b) => a[0] - b[0])).toEqual([[1, 30], [3, 30], [4, 50], [5, 40], [6, 20], [7, 30]]);
    // the member list was read page by page (2 per page)
    const pages = gl.requests.filter((r) => r.method === "GET" && r.path.endsWith("/members")).map((r) => r.query.get("page"));
    expect(pages.slice(0, 3)).toEqual(["1", "2", "3"]);
    expect(gl.requests.every((r) => r.headers["private-token"] === "glpat-test-1")).toBe(true);
  });

  it("leaves the group alone when nobody is on call", async () => {
    gl.groups.set("empty", new Map([[1, 30]]));
    const plan = await target("empty").plan([], { allowEmpty: false, force: false });
    expect(plan.refused).toMatch(/nobody is on call/);
  });

  it("a refused token is an ExternalServiceError without the token", async () => {
    const t = new GitlabGroup({ url: gl.url, token: "glpat-wrong-2", group: "ops/approvers", accessLevel: 30, permanentMembers: [] });
    const error = await t.members().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect((error as Error).message).toMatch(/GitLab \(GET \/groups\/ops%2Fapprovers\/members\): the credentials were refused \(HTTP 401\)/);
    expect((error as Error).message).not.toContain("glpat-wrong-2");
  });
});
