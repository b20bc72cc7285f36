import { describe, expect, it } from "vitest";
import {
  accountEntity,
  GitlabGroup,
  GitlabMember,
  GitlabProject,
  groupEntity,
  groupHasUser,
  projectEntity,
  userEntity,
} from "./map.js";

const HOST = "gitlab.example.com";

describe("gitlab map", () => {
  it("maps a project to CodeRepo + Project with graph-gitlab's properties", () => {
    const p = GitlabProject.parse({
      id: 42,
      name: "Payments API",
      path: "payments-api",
      path_with_namespace: "acme/payments-api",
      description: "",
      default_branch: "main",
      visibility: "internal",
      archived: false,
      topics: ["pci", "go"],
      web_url: "https://gitlab.example.com/acme/payments-api",
      created_at: "2024-03-01T10:00:00.000Z",
      updated_at: "2026-11-01T09:30:00Z",
      last_activity_at: "2026-11-20T08:00:00.000Z",
      namespace: { id: 7, kind: "group", full_path: "acme" },
      _links: { self: "x" },
    });
    expect(projectEntity(HOST, p)).toEqual({
      _key: "gitlab-project:gitlab.example.com:42",
      _type: "gitlab_project",
      _class: ["CodeRepo", "Project"],
      id: "42",
      name: "Payments API",
      displayName: "Payments API",
      path: "payments-api",
      fullName: "acme/payments-api",
      owner: "acme",
      webLink: "https://gitlab.example.com/acme/payments-api",
      defaultBranch: "main",
      visibility: "internal",
      // internal is not public: only visibility "public" is
      public: false,
      archived: false,
      topics: ["pci", "go"],
      createdOn: Date.UTC(2024, 2, 1, 10),
      updatedOn: Date.UTC(2026, 10, 1, 9, 30),
      lastActivityOn: Date.UTC(2026, 10, 20, 8),
    });
  });

  it("an empty repository has no default branch; missing topics are an empty list", () => {
    const e = projectEntity(
      HOST,
      GitlabProject.parse({
        id: 1,
        name: "x",
        path: "x",
        path_with_namespace: "g/x",
        default_branch: null,
        visibility: "public",
        namespace: { id: 2 },
      }),
    );
    expect(e).not.toHaveProperty("defaultBranch");
    expect(e).toMatchObject({ public: true, archived: false, topics: [] });
  });

  it("maps a subgroup with its parent and full path", () => {
    const g = GitlabGroup.parse({
      id: 11,
      name: "Platform",
      path: "platform",
      full_name: "Acme / Platform",
      full_path: "acme/platform",
      parent_id: 10,
      visibility: "private",
      description: "",
      web_url: "https://gitlab.example.com/groups/acme/platform",
      created_at: "2024-03-01T10:00:00Z",
    });
    expect(groupEntity(HOST, g)).toEqual({
      _key: "gitlab-group:gitlab.example.com:11",
      _type: "gitlab_group",
      _class: "Group",
      id: "11",
      name: "Platform",
      displayName: "Acme / Platform",
      path: "platform",
      fullName: "Acme / Platform",
      fullPath: "acme/platform",
      parentGroupId: "10",
      visibility: "private",
      public: false,
      webLink: "https://gitlab.example.com/groups/acme/platform",
      createdOn: Date.UTC(2024, 2, 1, 10),
    });
  });

  it("a user's email: the one GitLab shows, else the public one, lowercased; none is null", () => {
    const member = (extra: Record<string, unknown>) =>
      GitlabMember.parse({ id: 5, username: "amy", name: "Amy Lee Ng", state: "active", access_level: 40, ...extra });
    expect(userEntity(HOST, member({ email: "Amy@Corp.Example", public_email: "amy@home.example" }))).toMatchObject({
      _key: "gitlab-user:gitlab.example.com:5",
      email: ["amy@corp.example"],
      username: ["amy"],
      shortLoginId: ["amy"],
      firstName: "Amy Lee",
      lastName: "Ng",
      active: true,
    });
    expect(userEntity(HOST, member({ public_email: "AMY@home.example" })).email).toEqual(["amy@home.example"]);
    expect(userEntity(HOST, member({ email: "", public_email: "" })).email).toBeNull();
    expect(userEntity(HOST, member({ name: "amy", state: "blocked" }))).toMatchObject({ firstName: "amy", lastName: null, active: false });
    expect(groupHasUser("g", "u", member({}))).toEqual({
      _key: "g|has|u",
      _type: "gitlab_group_has_user",
      _class: "HAS",
      _fromEntityKey: "g",
      _toEntityKey: "u",
      accessLevel: 40,
      role: "maintainer",
    });
  });

  it("the account is the server, or the group an instance reads", () => {
    expect(accountEntity("https://gitlab.example.com/", "acme/platform")).toMatchObject({
      _key: "gitlab-account:gitlab.example.com/acme/platform",
      _class: "Account",
      vendor: "GitLab",
      name: "acme/platform",
      webLink: "https://gitlab.example.com/acme/platform",
    });
    expect(accountEntity("https://gitlab.example.com:8443")._key).toBe("gitlab-account:gitlab.example.com:8443");
  });
});
