/** The question library: JupiterOne's question files read as real files are written, stored, found and asked. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../../test/helpers/pg.js";
import { InputError, NotFoundError } from "../../shared/errors.js";
import type { GraphStore } from "../../store/types.js";
import { BUILTIN_QUESTIONS_YAML, BUILTIN_SOURCE } from "./builtin.js";
import { parseQuestionsFile, questionSlug } from "./format.js";
import { allQuestions, askQuestion, builtinQuestions, findQuestion } from "./questions.js";

const FILE = `# the shapes found in JupiterOne's published questions.yaml files
sourceId: managed:github
integrationDefinitionId: "\${integration_definition_id}"
questions:
  - id: managed-question-github-public-repos
    title: Which GitHub repositories are public?
    description: Public repositories can be read by anyone.
    tags: [github, repo]
    compliance:
      - standard: CIS
        requirements: ["1.1"]
    queries:
      - name: good
        query: FIND github_repo WITH public = false
      - name: bad
        query: FIND github_repo WITH public = true
  - title: Which hosts run an old kernel?
    tags: host
    queries:
      name: old
      query: FIND Host WITH kernelVersion ^= '3.'
  - title: Which repos have no owner?
    queries:
      - name: unowned
      - query: FIND CodeRepo THAT !OWNS << Team
  - title: Which repos use left-pad?
    queries:
      - FIND CodeRepo THAT USES npm_package WITH name = 'left-pad'
`;

describe("parseQuestionsFile", () => {
  it("reads JupiterOne's format and what real files contain", () => {
    const { questions, problems } = parseQuestionsFile(FILE, "questions.yaml");
    expect(problems).toEqual([]);
    expect(questions.map((q) => [q.id, q.tags, q.queries.map((x) => x.name)])).toEqual([
      ["managed-question-github-public-repos", ["github", "repo"], ["good", "bad"]],
      ["which-hosts-run-an-old-kernel", ["host"], ["old"]],
      ["which-repos-have-no-owner", [], ["unowned"]],
      ["which-repos-use-left-pad", [], ["query"]],
    ]);
    expect(questions[2]!.queries[0]!.query).toBe("FIND CodeRepo THAT !OWNS << Team");
    expect(questions[0]!).toMatchObject({ description: "Public repositories can be read by anyone.", source: "questions.yaml" });
  });

  it("refuses a question whose query does not compile, naming the line, the query and the position, and keeps the others", () => {
    const text = `questions:
  - title: Fine
    queries: [{ name: q, query: FIND Host }]
  - title: Broken
    queries:
      - name: one
        query: FIND Host WITH
  - title: No queries
  - description: no title
    queries: [{ query: FIND Host }]
`;
    const { questions, problems } = parseQuestionsFile(text, "q.yaml");
    expect(questions.map((q) => q.title)).toEqual(["Fine"]);
    expect(problems).toEqual([
      { where: "q.yaml:6", question: "Broken", query: "one", message: expect.stringMatching(/at line 1, column 15/) },
      { where: "q.yaml:8", question: "No queries", message: "has no queries" },
      { where: "q.yaml:9", question: "(no title)", message: "has no title" },
    ]);
  });

  it("names a file that is not YAML or has no questions list", () => {
    expect(() => parseQuestionsFile("questions: [unclosed", "q.yaml")).toThrow(/^q\.yaml:1:\d+: not valid YAML/);
    expect(() => parseQuestionsFile("title: x", "q.yaml")).toThrow(InputError);
    expect(() => parseQuestionsFile("title: x", "q.yaml")).toThrow("q.yaml: has no questions list");
  });

  it("gives two questions with the same title two ids", () => {
    const text = "- title: Same\n  queries: [FIND Host]\n- title: Same\n  queries: [FIND Host]\n";
    expect(parseQuestionsFile(text, "q.yaml").questions.map((q) => q.id)).toEqual(["same", "same-2"]);
    expect(questionSlug("  Which S3 buckets are public?! ")).toBe("which-s3-buckets-are-public");
  });

  it("reads every built-in question without a problem", () => {
    const { questions, problems } = parseQuestionsFile(BUILTIN_QUESTIONS_YAML, BUILTIN_SOURCE);
    expect(problems).toEqual([]);
    expect(questions.length).toBeGreaterThanOrEqual(4);
    expect(questions.every((q) => q.tags.includes("dm") && q.description.length > 0)).toBe(true);
  });
});

describe.each(BACKENDS)("the question library on %s", (backend) => {
  let store: GraphStore;
  let close: () => Promise<void>;
  const NOW = Date.UTC(2026, 10, 23);

  beforeEach(async () => {
    ({ store, close } = await openTestStore(backend));
  });
  afterEach(async () => close());

  it("stores questions by id with one audit entry, replaces them by id, and lists them with the built-in ones", async () => {
    const { questions } = parseQuestionsFile(FILE, "questions.yaml");
    await store.saveQuestions(questions, { now: NOW, audit: { at: NOW, actor: "t", action: "questions.import", subject: "questions.yaml" } });
    const changed = { ...questions[0]!, title: "Public GitHub repositories", tags: ["github"] };
    await store.saveQuestions([changed], { now: NOW + 1, audit: { at: NOW + 1, actor: "t", action: "questions.import", subject: "again" } });
    const stored = await store.listQuestions();
    expect(stored).toHaveLength(4);
    expect(stored.find((q) => q.id === changed.id)).toEqual(changed);
    expect((await store.auditLog()).map((e) => e.subject)).toEqual(["again", "questions.yaml"]);
    const all = await allQuestions(store);
    expect(all).toHaveLength(4 + builtinQuestions().length);
    expect((await allQuestions(store, { tag: "HOST" })).map((q) => q.id)).toEqual(["which-hosts-run-an-old-kernel"]);
  });

  it("finds a question by id or by words of its title, and says when none or several match", async () => {
    expect((await findQuestion(store, "dm-unowned-repos")).id).toBe("dm-unowned-repos");
    expect((await findQuestion(store, "EXPIRED risk")).id).toBe("dm-expired-risk-acceptances");
    await expect(findQuestion(store, "nothing like this")).rejects.toBeInstanceOf(NotFoundError);
    const several = await findQuestion(store, "which").catch((e: unknown) => e);
    expect(several).toBeInstanceOf(InputError);
    expect((several as InputError).message).toMatch(/matches \d+ questions; give its id or more words/);
  });

  it("asks every named query of a question", async () => {
    await store.upsert(
      {
        entities: [
          { _key: "r1", _type: "github_repo", _class: "CodeRepo", name: "r1", public: true },
          { _key: "r2", _type: "github_repo", _class: "CodeRepo", name: "r2", public: false },
        ],
        relationships: [],
      },
      { now: NOW },
    );
    const [question] = parseQuestionsFile(FILE, "questions.yaml").questions;
    const asked = await askQuestion(store, question!, { now: NOW });
    expect(asked.map((a) => [a.name, a.result.type, a.result.type === "tree" ? -1 : a.result.data.length])).toEqual([
      ["good", "list", 1],
      ["bad", "list", 1],
    ]);
  });

  it("runs every built-in question", async () => {
    for (const q of builtinQuestions()) {
      const asked = await askQuestion(store, q, { now: NOW });
      expect(asked).toHaveLength(q.queries.length);
    }
  });
});
