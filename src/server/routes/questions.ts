/** The question library over HTTP: what the dashboard's query page offers to pick. */
import { z } from "zod";
import { allQuestions } from "../../core/questions/questions.js";
import { defineRoute, type Route } from "../route.js";
import { questionList } from "../schemas.js";

export const questionsRoutes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/api/v1/questions",
    role: "reader",
    summary: "The stored questions (built-in and imported), by title, each with its named J1QL queries",
    query: z.strictObject({ tag: z.string().min(1).optional().describe("only questions with this tag (case-insensitive)") }),
    response: questionList,
    async handle(ctx) {
      return { questions: await allQuestions(ctx.store, ctx.query.tag === undefined ? {} : { tag: ctx.query.tag }) };
    },
  }),
];
