/**
 * Bitbucket through the shared ApiClient. Two APIs:
 *
 * - Cloud, REST API 2.0: pages of `{values, next, pagelen}`, `pagelen=100`,
 *   following the `next` URL (only on the API's own origin, so the token is
 *   never sent elsewhere). Groups are only in API 1.0: a plain list.
 * - Data Center / Server, REST API 1.0: pages of `{values, isLastPage,
 *   nextPageStart}`, asked with `start` and `limit=100`.
 */
import { z } from "zod";
import type { ApiAnswer, ApiClient, Query } from "../http.js";

const PAGELEN = 100;

/** What a list ended with: nothing, or the status of a refusal the caller accepted. */
export interface ListEnd {
  refused?: number;
}

export async function* cloudPages<T>(
  api: ApiClient,
  path: string,
  item: z.ZodType<T>,
  query: Query = {},
  accept: number[] = [],
): AsyncGenerator<T[], ListEnd> {
  const Page = z.object({ values: z.array(item), next: z.string().nullish() });
  const origin = new URL(api.baseUrl).origin;
  let url = path;
  let q: Query | undefined = { ...query, pagelen: PAGELEN };
  for (;;) {
    const answer: ApiAnswer<z.infer<typeof Page> | undefined> = await api.get(url, Page, { query: q, accept });
    if (answer.data === undefined) return { refused: answer.status };
    yield answer.data.values;
    const next = answer.data.next;
    if (!next || new URL(next).origin !== origin) return {};
    url = next;
    q = undefined;
  }
}

export async function* dcPages<T>(
  api: ApiClient,
  path: string,
  item: z.ZodType<T>,
  query: Query = {},
  accept: number[] = [],
): AsyncGenerator<T[], ListEnd> {
  const Page = z.object({
    values: z.array(item),
    isLastPage: z.boolean(),
    nextPageStart: z.number().nullish(),
  });
  let start = 0;
  for (;;) {
    const answer: ApiAnswer<z.infer<typeof Page> | undefined> = await api.get(path, Page, {
      query: { ...query, start, limit: PAGELEN },
      accept,
    });
    if (answer.data === undefined) return { refused: answer.status };
    yield answer.data.values;
    if (answer.data.isLastPage || answer.data.nextPageStart == null || answer.data.nextPageStart <= start) return {};
    start = answer.data.nextPageStart;
  }
}

/** Every item of a list, or the refusal that ended it. */
export async function collect<T>(pages: AsyncGenerator<T[], ListEnd>): Promise<{ items: T[]; refused?: number }> {
  const items: T[] = [];
  for (;;) {
    const r = await pages.next();
    if (r.done) return { items, refused: r.value.refused };
    items.push(...r.value);
  }
}
