/** Helpers shared by the version schemes. */

/** Compares two strings of ASCII digits as unbounded non-negative integers. */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Ordinal (code unit) string comparison, locale independent. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * Memoises a parser: matching compares the same few versions (advisory range
 * bounds, installed versions) many times over. Unparseable inputs are cached
 * as `null`. The cache is dropped wholesale when it grows past `max`.
 */
export function memoParse<T>(parse: (v: string) => T | undefined, max = 20_000): (v: string) => T | undefined {
  let cache = new Map<string, T | null>();
  return (v: string) => {
    const hit = cache.get(v);
    if (hit !== undefined) return hit ?? undefined;
    const parsed = parse(v);
    if (cache.size >= max) cache = new Map();
    cache.set(v, parsed ?? null);
    return parsed;
  };
}
