/**
 * Question files in JupiterOne's managed-question format
 * (`jupiterone/questions/questions.yaml` in its integration repositories):
 *
 *   questions:
 *     - id: managed-question-github-public-repos     # optional
 *       title: Which GitHub repositories are public?
 *       description: ...
 *       tags: [github, repo]
 *       queries:
 *         - name: good                                  # optional
 *           query: FIND github_repo WITH public = true
 *
 * Tolerated, because real files contain them: `queries` given as one
 * mapping instead of a list, a list item with only a `name` followed by one
 * with only its `query`, a file that is just the list, and unknown keys
 * (`compliance`, `integration`, `category`...), which are ignored. Every
 * query is compiled; one that does not compile is reported with its
 * question, its line and the position in the query, and the question is
 * not stored.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { sqliteDialect } from "../../query/dialect.js";
import { PARAMETER_NAME } from "../../query/lexer.js";
import { compile } from "../../query/run.js";
import { InputError, QueryError } from "../../shared/errors.js";
import type { StoredQuestion } from "../../store/types.js";

/** `{{name}}`, with the lexer's rule for the name. */
const PARAMETER = new RegExp(String.raw`\{\{\s*(${PARAMETER_NAME.source.replace(/^\^|\$$/g, "")})\s*\}\}`, "g");

export interface QuestionProblem {
  /** `file:line` */
  where: string;
  question: string;
  /** the query's name, when the problem is one query */
  query?: string;
  message: string;
}

export interface ParsedQuestions {
  questions: StoredQuestion[];
  problems: QuestionProblem[];
}

/** `Which repos are public?` -> `which-repos-are-public` */
export function questionSlug(title: string): string {
  const slug = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug.slice(0, 80) || "question";
}

const text = (node: unknown): string | undefined => {
  if (isScalar(node) && (typeof node.value === "string" || typeof node.value === "number")) return String(node.value).trim();
  return undefined;
};

/** The named queries of one question, with the tolerated shapes unfolded. */
function queriesOf(node: unknown): { name?: string; query?: string; node: Node }[] {
  if (isMap(node)) return [{ name: text(node.get("name", true)), query: text(node.get("query", true)), node }];
  if (!isSeq(node)) return [];
  const out: { name?: string; query?: string; node: Node }[] = [];
  for (const item of node.items) {
    if (isScalar(item)) {
      out.push({ query: text(item), node: item });
      continue;
    }
    if (!isMap(item)) continue;
    const name = text(item.get("name", true));
    const query = text(item.get("query", true));
    const last = out[out.length - 1];
    // `- name: good` then `- query: FIND ...`: one query written as two items.
    if (name === undefined && query !== undefined && last && last.query === undefined && last.name !== undefined) {
      last.query = query;
      continue;
    }
    out.push({ name, query, node: item });
  }
  return out;
}

/**
 * Compile a question's query. Its parameters are filled when it is asked:
 * here they get a text value, or (when the query compares them as numbers)
 * a number, so that the rest of the query is checked.
 */
function checkQuery(query: string): void {
  const names = [...new Set([...query.matchAll(PARAMETER)].map((m) => m[1]!))];
  try {
    compile(query, sqliteDialect, { now: 0, parameters: Object.fromEntries(names.map((n) => [n, ""])) });
  } catch (error) {
    if (names.length === 0) throw error;
    compile(query, sqliteDialect, { now: 0, parameters: Object.fromEntries(names.map((n) => [n, 0])) });
  }
}

export function parseQuestionsFile(source: string, name: string): ParsedQuestions {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const pos = error.linePos?.[0];
    throw new InputError(`${name}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML (${error.message.split("\n")[0]})`);
  }
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const root = doc.contents;
  const list = isMap(root) ? root.get("questions", true) : root;
  if (!isSeq(list)) {
    throw new InputError(`${name}: has no questions list`, {
      details: ["A questions file is `questions:` followed by a list of {title, description, tags, queries: [{name, query}]}."],
    });
  }
  const questions: StoredQuestion[] = [];
  const problems: QuestionProblem[] = [];
  const ids = new Set<string>();
  for (const item of list.items) {
    const where = `${name}:${lineOf(item as Node)}`;
    if (!isMap(item)) {
      problems.push({ where, question: "(not a mapping)", message: "a question is a mapping with title and queries" });
      continue;
    }
    const q = item as YAMLMap;
    const title = text(q.get("title", true));
    if (!title) {
      problems.push({ where, question: "(no title)", message: "has no title" });
      continue;
    }
    let id = text(q.get("id", true)) ?? questionSlug(title);
    if (ids.has(id)) {
      let n = 2;
      while (ids.has(`${id}-${n}`)) n++;
      id = `${id}-${n}`;
    }
    const tagsNode = q.get("tags", true);
    const tags = isSeq(tagsNode) ? tagsNode.items.map(text).filter((t): t is string => !!t) : text(tagsNode) ? [text(tagsNode)!] : [];
    const raw = queriesOf(q.get("queries", true));
    if (raw.length === 0) {
      problems.push({ where, question: title, message: "has no queries" });
      continue;
    }
    const queries: StoredQuestion["queries"] = [];
    let broken = false;
    raw.forEach((r, i) => {
      const queryName = r.name ?? (raw.length === 1 ? "query" : `query ${i + 1}`);
      const at = `${name}:${lineOf(r.node)}`;
      if (!r.query) {
        problems.push({ where: at, question: title, query: queryName, message: "has a name but no query" });
        broken = true;
        return;
      }
      try {
        checkQuery(r.query);
      } catch (error) {
        if (!(error instanceof QueryError) && !(error instanceof InputError)) throw error;
        problems.push({ where: at, question: title, query: queryName, message: error.message });
        broken = true;
        return;
      }
      queries.push({ name: queryName, query: r.query });
    });
    if (broken) continue;
    ids.add(id);
    questions.push({ id, title, description: text(q.get("description", true)) ?? "", tags, queries, source: name });
  }
  return { questions, problems };
}
