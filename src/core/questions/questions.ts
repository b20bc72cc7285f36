/**
 * The question library: the built-in questions and those imported into the
 * database, found by id or by words of their title, and asked: every named
 * query run, each result under its name. The CLI (`dm questions`, `dm ask`)
 * and the API use these functions.
 */
import { type QueryResult, type RunQueryOptions, runQuery } from "../../query/run.js";
import { InputError, NotFoundError } from "../../shared/errors.js";
import type { GraphStore, StoredQuestion } from "../../store/types.js";
import { BUILTIN_QUESTIONS_YAML, BUILTIN_SOURCE } from "./builtin.js";
import { parseQuestionsFile } from "./format.js";

let builtin: StoredQuestion[] | undefined;

export function builtinQuestions(): StoredQuestion[] {
  builtin ??= parseQuestionsFile(BUILTIN_QUESTIONS_YAML, BUILTIN_SOURCE).questions;
  return builtin;
}

/** Every question: the stored ones, and the built-in ones not replaced by a stored question of the same id. */
export async function allQuestions(store: GraphStore, filter: { tag?: string } = {}): Promise<StoredQuestion[]> {
  const stored = await store.listQuestions();
  const ids = new Set(stored.map((q) => q.id));
  const all = [...stored, ...builtinQuestions().filter((q) => !ids.has(q.id))];
  const tag = filter.tag?.toLowerCase();
  return tag === undefined ? all : all.filter((q) => q.tags.some((t) => t.toLowerCase() === tag));
}

/**
 * The question `ref` names: its id, else the one question whose title
 * contains every word of `ref` (case-insensitive). None, or several, is bad
 * input that lists what matched.
 */
export async function findQuestion(store: GraphStore, ref: string): Promise<StoredQuestion> {
  const all = await allQuestions(store);
  const byId = all.find((q) => q.id === ref.trim());
  if (byId) return byId;
  const words = ref.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new InputError("name a question: its id or words of its title");
  const matches = all.filter((q) => {
    const title = q.title.toLowerCase();
    return words.every((w) => title.includes(w));
  });
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new NotFoundError(`no question matches "${ref}"`, { details: ["List them with: dm questions list"] });
  }
  throw new InputError(`"${ref}" matches ${matches.length} questions; give its id or more words`, {
    details: matches.slice(0, 10).map((q) => `  ${q.id}  ${q.title}`),
  });
}

export interface AskedQuery {
  name: string;
  query: string;
  result: QueryResult;
}

/** Run every named query of a question. */
export async function askQuestion(
  store: GraphStore,
  question: StoredQuestion,
  options: RunQueryOptions,
): Promise<AskedQuery[]> {
  const out: AskedQuery[] = [];
  for (const q of question.queries) {
    out.push({ name: q.name, query: q.query, result: await runQuery(store, q.query, options) });
  }
  return out;
}
