/**
 * A value written into J1QL text as a string literal. Code that builds a
 * query from data (a repo name, a maintenance id) quotes it here; the engine
 * then binds it as a parameter like any other value.
 */
export function j1qlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r")}'`;
}
