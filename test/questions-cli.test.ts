/** dm questions import / list and dm ask, from the command line. */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dm, tempDir } from "./helpers/cli.js";

const dir = tempDir("dm-questions-");
const db = path.join(dir, "dm.db");

beforeAll(async () => {
  const graph = {
    entities: [
      { _key: "r1", _type: "github_repo", _class: "CodeRepo", name: "payments", public: true },
      { _key: "r2", _type: "github_repo", _class: "CodeRepo", name: "website", public: false },
    ],
  };
  fs.writeFileSync(path.join(dir, "graph.json"), JSON.stringify(graph));
  expect((await dm(["import", path.join(dir, "graph.json"), "--db", db])).code).toBe(0);
  fs.writeFileSync(
    path.join(dir, "questions.yaml"),
    `questions:
  - id: public-repos
    title: Which repositories are public?
    tags: [github, repo]
    queries:
      - name: public
        query: FIND CodeRepo WITH public = true AS r RETURN r.name AS name
      - name: private
        query: FIND CodeRepo WITH public = false
  - title: A broken one
    queries:
      - name: oops
        query: FIND CodeRepo WITH public =
`,
  );
  // Stored before each test that asks (the import test below imports again: replaced by id).
  await dm(["questions", "import", path.join(dir, "questions.yaml"), "--db", db]);
});

describe("dm questions import", () => {
  it("stores the questions that compile, names each refusal with its line and position, and exits 1", async () => {
    const r = await dm(["questions", "import", path.join(dir, "questions.yaml"), "--db", db]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Stored 1 question from");
    expect(r.stderr).toMatch(/refused .*questions\.yaml:12: A broken one \(query "oops"\): .*line 1, column \d+/);
    expect(r.stderr).toContain("1 question was refused; the others were stored");
  });

  it("refuses a file that cannot be read, with exit 2", async () => {
    const r = await dm(["questions", "import", path.join(dir, "nope.yaml"), "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read");
  });
});

describe("dm questions list and dm ask", () => {
  it("lists imported and built-in questions, by tag", async () => {
    const all = await dm(["questions", "list", "--db", db]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("public-repos");
    expect(all.stdout).toContain("dm-overdue-by-team");
    const tagged = await dm(["questions", "list", "--tag", "GitHub", "--json", "--db", db]);
    // tags compare without case: the imported question (GitHub) and the built-in GitHub ones (github)
    expect((JSON.parse(tagged.stdout) as { id: string }[]).map((q) => q.id).sort()).toEqual([
      "integration-question-github-access-repo-outside-collaborator",
      "integration-question-github-repos-without-branch-protection",
      "public-repos",
    ]);
  });

  it("asks a question by words of its title: each named query's result under its name", async () => {
    const r = await dm(["ask", "repositories", "public", "--db", db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Which repositories are public?");
    expect(r.stdout).toMatch(/public: FIND CodeRepo WITH public = true[\s\S]*payments/);
    expect(r.stdout).toMatch(/private: FIND CodeRepo WITH public = false[\s\S]*github_repo +CodeRepo +r2/);
    const json = JSON.parse((await dm(["ask", "public-repos", "--format", "json", "--db", db])).stdout) as {
      id: string;
      queries: { name: string; type: string; data: unknown[] }[];
    };
    expect(json.id).toBe("public-repos");
    expect(json.queries.map((q) => [q.name, q.type, q.data.length])).toEqual([
      ["public", "table", 1],
      ["private", "list", 1],
    ]);
  });

  it("says when no question, or more than one, matches (exit 2)", async () => {
    const none = await dm(["ask", "mainframe", "--db", db]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no question matches "mainframe"');
    const several = await dm(["ask", "which", "--db", db]);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/matches \d+ questions; give its id or more words/);
    expect(several.stderr).toContain("public-repos");
  });
});

describe("a corpus in JupiterOne's format covering every construct of the query language's issue 13", () => {
  const corpus = path.resolve(import.meta.dirname, "fixtures", "questions", "jupiterone-style.yaml");

  it("imports with no refusal", async () => {
    const r = await dm(["questions", "import", corpus, "--json", "--db", db]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { stored: { id: string }[]; refused: unknown[] };
    expect(out.refused).toEqual([]);
    expect(out.stored).toHaveLength(9);
  });

  it("asks a question with a parameter only when it is given, and binds it", async () => {
    const missing = await dm(["ask", "managed-question-users-outside-domain", "--db", db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('the parameter "domain" has no value; give it with --param domain=...');
    const given = await dm(["ask", "managed-question-users-outside-domain", "--param", "domain=example.com", "--format", "json", "--db", db]);
    expect(given.code, given.stderr).toBe(0);
    expect((JSON.parse(given.stdout) as { queries: { type: string }[] }).queries[0]!.type).toBe("list");
    const numeric = await dm(["ask", "managed-question-old-scans", "--param", "minimum=3", "--db", db]);
    expect(numeric.code, numeric.stderr).toBe(0);
  });
});
