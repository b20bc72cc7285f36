/**
 * "Did you mean" for a name the user typed that is not one we know: the
 * known names closest to it (case-insensitive), best first. A name counts
 * as close when it is a prefix of the other, contains it, or is a few edits
 * away (about one edit per three characters).
 */
export function closestNames(typed: string, known: Iterable<string>, max = 3): string[] {
  const want = typed.trim().toLowerCase();
  if (want === "") return [];
  const scored: { name: string; score: number }[] = [];
  const seen = new Set<string>();
  for (const name of known) {
    const key = name.toLowerCase();
    if (seen.has(key) || key === "") continue;
    seen.add(key);
    let score: number;
    if (key === want) score = 0;
    else if (key.startsWith(want) || want.startsWith(key)) score = 1;
    else if (key.includes(want) || want.includes(key)) score = 2;
    else {
      const d = editDistance(want, key);
      if (d > Math.max(1, Math.floor(Math.max(want.length, key.length) / 3))) continue;
      score = 2 + d;
    }
    scored.push({ name, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.name.length - b.name.length || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}

/** `did you mean "a", "b" or "c"?` (empty when there is nothing close). */
export function didYouMean(typed: string, known: Iterable<string>, max = 3): string {
  const names = closestNames(typed, known, max).map((n) => JSON.stringify(n));
  if (names.length === 0) return "";
  return `did you mean ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`}?`;
}

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
