/**
 * The entity classes of JupiterOne's published data model
 * (`@jupiterone/data-model`), so that an imported `_class` is one a J1QL
 * query written for JupiterOne would look for. Read from the package's
 * class-schema index (23 ms) rather than its main entry (270 ms: it builds
 * every schema); a test checks the two lists are the same.
 */
import { createRequire } from "node:module";

let byLowerCase: Map<string, string> | undefined;

function classes(): Map<string, string> {
  if (!byLowerCase) {
    const schemas = createRequire(import.meta.url)("@jupiterone/data-model/dist/class_schemas/index.js") as Record<string, unknown>;
    byLowerCase = new Map(Object.keys(schemas).map((c) => [c.toLowerCase(), c]));
  }
  return byLowerCase;
}

export function entityClassNames(): string[] {
  return [...classes().values()];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * Undefined when `name` is a class of the data model; else the closest
 * class (same letters in another case, else the nearest spelling), or null
 * when nothing is close.
 */
export function classProblem(name: string): string | null | undefined {
  const all = classes();
  const exact = all.get(name.toLowerCase());
  if (exact === name) return undefined;
  if (exact) return exact;
  let best: string | null = null;
  let bestDistance = (name.length <= 3 ? 1 : Math.max(2, Math.floor(name.length / 4))) + 1;
  for (const [lower, cls] of all) {
    const d = distance(name.toLowerCase(), lower);
    if (d < bestDistance) {
      best = cls;
      bestDistance = d;
    }
  }
  return best;
}
