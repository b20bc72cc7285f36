import { type Command, Option } from "@commander-js/extra-typings";
import { dbOption, type FlagsOf, paramOption, type Registration, run, formatOption } from "../registration.js";

const defineImport = (questions: Command) =>
  questions
    .command("import")
    .description("Store the questions of a file in JupiterOne's managed-question format (questions.yaml); reports each query that does not compile")
    .argument("<file>", "a questions file: questions: [{id?, title, description, tags, queries: [{name, query}]}]")
    .option("--json", "print what was stored and what was refused as JSON")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
A question whose query does not compile is not stored; the others are. Exit 1 when any was refused.
Example:
  dm questions import jupiterone/questions/questions.yaml`,
    );

const defineList = (questions: Command) =>
  questions
    .command("list")
    .description("The questions you can ask: built-in and imported, by title")
    .option("--tag <tag>", "only questions with this tag (case-insensitive)")
    .option("--json", "print them as JSON, with their queries")
    .addOption(formatOption(["table", "json"]))
    .addOption(dbOption());

const defineAsk = (program: Command) =>
  program
    .command("ask")
    .description("Ask a stored question: run each of its named queries and print each result under its name")
    .argument("<question...>", "the question's id, or words of its title")
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json", "csv"]).default("table"))
    .option("--json", "print JSON (the same as --format json)")
    .option("--all", "every row of each query, not only the first page")
    .addOption(paramOption())
    .addOption(dbOption())
    .addHelpText(
      "after",
      `
Examples:
  dm ask overdue team
  dm ask dm-unowned-repos --format json
  dm ask google users outside --param domain=example.com`,
    );

/** What `dm questions import`, `dm questions list` and `dm ask` parse from their flags. */
export type QuestionsImportFlags = FlagsOf<typeof defineImport>;
export type QuestionsListFlags = FlagsOf<typeof defineList>;
export type AskFlags = FlagsOf<typeof defineAsk>;

export const questionsRegistration: Registration = (program, ctx) => {
  const questions = program.command("questions").description("The question library: import JupiterOne question files, list what can be asked");
  defineImport(questions).action(async (file, o) => run((await import("./questions.js")).questionsImportCommand, ctx, { file, ...o }));
  defineList(questions).action(async (o) => run((await import("./questions.js")).questionsListCommand, ctx, o));
};

export const askRegistration: Registration = (program, ctx) => {
  defineAsk(program).action(async (words, o) => run((await import("./questions.js")).askCommand, ctx, { question: words.join(" "), ...o }));
};
