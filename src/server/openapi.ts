/**
 * The OpenAPI 3.1 document, built from the same route table the server
 * dispatches on, so it cannot list a route that is not served or miss one
 * that is. Request schemas come from the zod schemas that validate them,
 * response schemas from the zod schemas that type the handlers (as output:
 * what the server sends).
 */
import { z } from "zod";
import type { Route } from "./route.js";

const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        details: { type: "array", items: { type: "string" } },
        position: {
          type: "object",
          description: "query_error: where in the query (offset 0-based, line and column 1-based)",
          properties: { offset: { type: "integer" }, line: { type: "integer" }, column: { type: "integer" }, length: { type: "integer" } },
        },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

function jsonSchema(schema: z.ZodType, io: "input" | "output" = "input"): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

function operationId(route: Route): string {
  const words = route.path
    .replace(/^\/api\/v1\//, "")
    .replace(/[{}]/g, "")
    .split(/[/-]/)
    .filter(Boolean);
  return [route.method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join("");
}

export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: Record<string, unknown>[] = [];
    const paramShape = (route.params && "shape" in route.params ? route.params.shape : {}) as Record<string, z.ZodType>;
    for (const m of route.path.matchAll(/\{(\w+)\}/g)) {
      const declared = paramShape[m[1]!];
      const s = declared ? jsonSchema(declared) : {};
      parameters.push({
        name: m[1],
        in: "path",
        required: true,
        ...(typeof s.description === "string" ? { description: s.description } : {}),
        schema: { type: "string" },
      });
    }
    if (route.query) {
      const shape = route.query.shape as Record<string, z.ZodType>;
      for (const [name, schema] of Object.entries(shape)) {
        const s = jsonSchema(schema);
        parameters.push({
          name,
          in: "query",
          required: !schema.safeParse(undefined).success,
          ...(typeof s.description === "string" ? { description: s.description } : {}),
          schema: { type: "string" },
        });
      }
    }
    const success = {
      description: "success",
      content: { [route.contentType?.split(";")[0] ?? "application/json"]: { schema: jsonSchema(route.response, "output") } },
    };
    const responses: Record<string, unknown> = {};
    for (const status of [route.status ?? 200, ...(route.otherStatuses ?? [])]) responses[String(status)] = success;
    if (route.body || route.query || parameters.length > 0) responses["400"] = errorResponse("bad input (query_error carries the position)");
    if (route.role !== "public") {
      responses["401"] = errorResponse("missing, unknown, expired or revoked token");
      responses["403"] = errorResponse(`the token's role is below ${route.role}`);
      responses["429"] = errorResponse("rate limit: see Retry-After");
    }
    if (route.path.includes("{")) responses["404"] = errorResponse("not found");
    if (route.body) responses["413"] = errorResponse("request body too large");
    if (route.writes) responses["409"] = errorResponse("conflict");
    if (route.path === "/api/v1/query") responses["504"] = errorResponse("the query ran past the time limit");
    responses["503"] = errorResponse("the database is unavailable");
    responses["500"] = errorResponse("a bug (no details are shown)");
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: operationId(route),
      summary: route.summary,
      "x-dm-role": route.role,
      security: route.role === "public" ? [] : [{ bearer: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "deferred-maintenance (dm serve)",
      version,
      description:
        "The asset graph and its deferred maintenance over HTTP. Authorization: Bearer <token> (dm token create). " +
        "Roles: reader < maintainer < admin; x-dm-role names the least role each operation needs.",
    },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "a dm_ token from dm token create" } },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}
