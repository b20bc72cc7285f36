import fs from "node:fs";
import path from "node:path";
import { parseQuestionsFile, type QuestionProblem } from "../../core/questions/format.js";
import { type AskedQuery, allQuestions, askQuestion, findQuestion } from "../../core/questions/questions.js";
import { CheckFailedError, InputError } from "../../shared/errors.js";
import type { StoredQuestion } from "../../store/types.js";
import { type CommandContext, withStore } from "../context.js";
import { fileFailure } from "../files.js";
import { outputFormat, renderTable } from "../output.js";
import type { AskFlags, QuestionsImportFlags, QuestionsListFlags } from "./questions.command.js";
import { parseParams, printResult } from "./query.js";
import { wantsJson } from "../output.js";

/** The question library is a database's: in remote mode (DM_SERVER) these commands are bad input. */
async function localOnly(ctx: CommandContext, db: string | undefined, what: string): Promise<void> {
  if (await ctx.remote(db)) {
    throw new InputError(`${what} reads the question library of a database: run it with --db, or on the server`, {
      details: ['In remote mode, ask the query itself: dm query "..."'],
    });
  }
}

export async function questionsImportCommand(
  ctx: CommandContext,
  options: QuestionsImportFlags & { file: string },
): Promise<{ stored: StoredQuestion[]; refused: QuestionProblem[] }> {
  await localOnly(ctx, options.db, "dm questions import");
  const full = path.resolve(ctx.cwd, options.file);
  let text: string;
  try {
    text = fs.readFileSync(full, "utf8");
  } catch (error) {
    throw fileFailure(error, "read", options.file);
  }
  const { questions, problems } = parseQuestionsFile(text, options.file);
  const now = ctx.now();
  if (questions.length > 0) {
    await withStore(
      ctx,
      options.db,
      (store) =>
        store.saveQuestions(questions, {
          now,
          audit: { at: now, actor: ctx.actor(), action: "questions.import", subject: options.file, details: { stored: questions.length, refused: problems.length } },
        }),
      { create: true },
    );
  }
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify({ stored: questions.map((q) => ({ id: q.id, title: q.title, queries: q.queries.length })), refused: problems }, null, 2)}\n`);
  } else {
    ctx.stdout.write(`Stored ${questions.length} question${questions.length === 1 ? "" : "s"} from ${options.file}\n`);
    for (const p of problems) {
      ctx.stderr.write(`${ctx.style.red("refused")} ${p.where}: ${p.question}${p.query ? ` (query "${p.query}")` : ""}: ${p.message}\n`);
    }
  }
  if (problems.length > 0) {
    throw new CheckFailedError(`${problems.length} question${problems.length === 1 ? " was" : "s were"} refused; the others were stored`);
  }
  return { stored: questions, refused: problems };
}

export async function questionsListCommand(ctx: CommandContext, options: QuestionsListFlags): Promise<StoredQuestion[]> {
  await localOnly(ctx, options.db, "dm questions list");
  const questions = await withStore(ctx, options.db, (store) => allQuestions(store, options.tag === undefined ? {} : { tag: options.tag }));
  if (wantsJson(options)) {
    ctx.stdout.write(`${JSON.stringify(questions, null, 2)}\n`);
    return questions;
  }
  if (questions.length === 0) {
    ctx.stdout.write(options.tag ? `No question has the tag "${options.tag}".\n` : "No questions.\n");
    return questions;
  }
  ctx.stdout.write(
    renderTable(
      ["id", "title", "tags", "queries"],
      questions.map((q) => [q.id, q.title, q.tags.join(", "), String(q.queries.length)]),
      ctx.style,
    ),
  );
  ctx.stdout.write(`\nAsk one: dm ask <id or words of its title>\n`);
  return questions;
}

export async function askCommand(ctx: CommandContext, options: AskFlags & { question: string }): Promise<AskedQuery[]> {
  await localOnly(ctx, options.db, "dm ask");
  const format = outputFormat(options, ["table", "json", "csv"]);
  const asked = await withStore(ctx, options.db, async (store) => {
    const question = await findQuestion(store, options.question);
    const parameters = options.param === undefined ? undefined : parseParams(options.param);
    return {
      question,
      results: await askQuestion(store, question, { now: ctx.now(), all: options.all, ...(parameters ? { parameters } : {}) }),
    };
  });
  if (format === "json") {
    const out = { id: asked.question.id, title: asked.question.title, queries: asked.results.map((r) => ({ name: r.name, query: r.query, ...r.result })) };
    ctx.stdout.write(`${JSON.stringify(out)}\n`);
    return asked.results;
  }
  if (format === "table") ctx.stdout.write(`${ctx.style.bold(asked.question.title)}\n`);
  for (const r of asked.results) {
    if (format === "table") ctx.stdout.write(`\n${r.name}: ${ctx.style.dim(r.query)}\n`);
    else if (asked.results.length > 1) ctx.stdout.write(`# ${r.name}\n`);
    printResult(ctx, r.result, format);
  }
  return asked.results;
}
