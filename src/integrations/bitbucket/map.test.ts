import { describe, expect, it } from "vitest";
import { bitbucketIntegration, isDataCenter } from "./index.js";
import {
  CloudGroup,
  cloudGroupEntity,
  CloudRepo,
  cloudRepoEntity,
  cloudUserEntity,
  CloudWorkspace,
  cloudWorkspaceEntity,
  DcRepo,
  dcRepoEntity,
  DcUser,
  dcUserEntity,
  projectHasRepo,
} from "./map.js";

const workspace = CloudWorkspace.parse({
  uuid: "{ws-uuid-0001}",
  slug: "acme",
  name: "Acme Corp",
  is_private: true,
  links: { html: { href: "https://bitbucket.org/acme/" } },
  created_on: "2023-05-02T08:15:00.000000+00:00",
});

describe("bitbucket map (Cloud)", () => {
  it("maps a workspace to an Account keyed by its UUID", () => {
    expect(cloudWorkspaceEntity(workspace)).toEqual({
      _key: "{ws-uuid-0001}",
      _type: "bitbucket_workspace",
      _class: "Account",
      name: "Acme Corp",
      displayName: "Acme Corp",
      slug: "acme",
      vendor: "Atlassian",
      isPrivate: true,
      webLink: "https://bitbucket.org/acme/",
      createdOn: Date.UTC(2023, 4, 2, 8, 15),
    });
  });

  it("maps a repository as graph-bitbucket does (lowercased full name, public from is_private)", () => {
    const repo = CloudRepo.parse({
      type: "repository",
      uuid: "{repo-uuid-0011}",
      name: "Payments API",
      slug: "payments-api",
      full_name: "Acme/Payments-API",
      is_private: false,
      language: "",
      mainbranch: { type: "branch", name: "main" },
      project: { type: "project", uuid: "{proj-uuid-01}", key: "PAY", name: "Payments" },
      links: { html: { href: "https://bitbucket.org/acme/payments-api" } },
      created_on: "2023-05-02T08:15:00.000000+00:00",
      updated_on: "2026-10-30T16:45:12.345678+00:00",
    });
    expect(cloudRepoEntity(workspace, repo)).toEqual({
      _key: "{repo-uuid-0011}",
      _type: "bitbucket_repo",
      _class: "CodeRepo",
      name: "Payments API",
      displayName: "Payments API",
      slug: "payments-api",
      fullName: "acme/payments-api",
      owner: "acme",
      ownerId: "{ws-uuid-0001}",
      projectId: "{proj-uuid-01}",
      project: "PAY",
      public: true,
      defaultBranch: "main",
      webLink: "https://bitbucket.org/acme/payments-api",
      createdOn: Date.UTC(2023, 4, 2, 8, 15),
      updatedOn: Date.UTC(2026, 9, 30, 16, 45, 12, 345),
    });
    expect(projectHasRepo("{p}", "{r}")).toEqual({
      _key: "{p}|has|{r}",
      _type: "bitbucket_project_has_repo",
      _class: "HAS",
      _fromEntityKey: "{p}",
      _toEntityKey: "{r}",
    });
  });

  it("a Cloud user has no email; a group is keyed by workspace and slug", () => {
    expect(cloudUserEntity({ uuid: "{u1-uuid-0001}", display_name: "Ann Lee", nickname: "ann" })).toMatchObject({
      _key: "{u1-uuid-0001}",
      _class: "User",
      email: null,
      username: ["ann"],
      firstName: "Ann",
      lastName: "Lee",
    });
    const g = CloudGroup.parse({ name: "Developers", slug: "developers", permission: "write", auto_add: false, members: [] });
    expect(cloudGroupEntity("acme", g)).toEqual({
      _key: "bitbucket-group:acme/developers",
      _type: "bitbucket_group",
      _class: "UserGroup",
      name: "Developers",
      displayName: "Developers",
      slug: "developers",
      permission: "write",
      autoAdd: false,
    });
  });
});

describe("bitbucket map (Data Center)", () => {
  it("keys carry the server's host; emails are lowercased", () => {
    const repo = DcRepo.parse({ id: 7, slug: "api", name: "API", public: false, archived: true, state: "AVAILABLE", project: { id: 3, key: "OPS" } });
    expect(dcRepoEntity("bb.example.com", repo)).toMatchObject({
      _key: "bitbucket-repo:bb.example.com:7",
      fullName: "ops/api",
      projectId: "bitbucket-project:bb.example.com:3",
      public: false,
      archived: true,
    });
    const user = DcUser.parse({ id: 5, name: "jdoe", slug: "jdoe", displayName: "Jane Doe", emailAddress: "Jane.Doe@Example.COM", active: false });
    expect(dcUserEntity("bb.example.com", user)).toMatchObject({
      _key: "bitbucket-user:bb.example.com:5",
      email: ["jane.doe@example.com"],
      username: ["jdoe"],
      active: false,
    });
  });

  it("a URL ending in /rest/api/1.0 is Data Center; instance names", () => {
    expect(isDataCenter("https://bb.example.com/rest/api/1.0/")).toBe(true);
    expect(isDataCenter("https://api.bitbucket.org/2.0")).toBe(false);
    expect(isDataCenter(undefined)).toBe(false);
    const name = (c: unknown) => bitbucketIntegration.instanceName(bitbucketIntegration.configSchema.parse(c), "/");
    expect(name({ workspace: "acme", token: "env:T" })).toBe("bitbucket:acme");
    expect(name({ url: "https://bb.example.com/rest/api/1.0", token: "env:T" })).toBe("bitbucket:https://bb.example.com");
  });
});
