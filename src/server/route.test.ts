/**
 * defineRoute: the handler's types follow from the route's schemas (checked
 * by `npm run typecheck`: each @ts-expect-error below must stay an error),
 * and the OpenAPI document describes the response from the same schema.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openApiDocument } from "./openapi.js";
import { defineRoute, isReply, reply } from "./route.js";

const item = z.object({ id: z.string(), count: z.number(), note: z.string().optional() });

const typed = defineRoute({
  method: "POST",
  path: "/api/v1/things/{id}",
  role: "maintainer",
  summary: "a route for the types",
  query: z.object({ verbose: z.string().optional() }),
  body: z.object({ count: z.number() }),
  response: item,
  async handle(ctx) {
    const id: string = ctx.params.id;
    const count: number = ctx.body.count;
    const verbose: string | undefined = ctx.query.verbose;
    // @ts-expect-error the path has no {name}
    void ctx.params.name;
    // @ts-expect-error the body's count is a number
    const wrong: string = ctx.body.count;
    void wrong;
    if (verbose === "reply") return reply(202, { id, count });
    return { id, count };
  },
});

defineRoute({
  method: "GET",
  path: "/api/v1/things",
  role: "reader",
  summary: "a handler returning what its schema does not allow",
  response: item,
  // @ts-expect-error count must be a number
  async handle() {
    return { id: "1", count: "2" };
  },
});

defineRoute({
  method: "GET",
  path: "/api/v1/things",
  role: "reader",
  summary: "a route without a body",
  response: item,
  async handle(ctx) {
    // @ts-expect-error no body schema: the body is undefined
    void ctx.body.count;
    return { id: "1", count: 2 };
  },
});

describe("defineRoute", () => {
  it("describes the response from its schema, as output (no extra properties)", () => {
    const doc = openApiDocument([typed], "test") as {
      paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> }>>;
    };
    const schema = doc.paths["/api/v1/things/{id}"]!.post!.responses["200"]!.content["application/json"]!.schema;
    expect(schema).toMatchObject({ type: "object", required: ["id", "count"], additionalProperties: false });
    expect(Object.keys(schema.properties as object)).toEqual(["id", "count", "note"]);
  });

  it("passes a reply with another status through", async () => {
    const ctx = { params: { id: "x" }, query: { verbose: "reply" }, body: { count: 2 } } as unknown as Parameters<typeof typed.handle>[0];
    const result = await typed.handle(ctx);
    expect(isReply(result)).toBe(true);
    expect(result).toMatchObject({ status: 202, body: { id: "x", count: 2 } });
  });
});
