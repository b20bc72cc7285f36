/**
 * Version ordering per ecosystem: advisories say "introduced 1.2.0, fixed
 * 1.4.1", and whether 1.4.0-beta.2 lies between is the ecosystem's own
 * question, never a string comparison.
 */
export interface VersionScheme {
  /** OSV ecosystem names this scheme serves, e.g. ["npm"], ["PyPI"], ["Go"] */
  ecosystems: readonly string[];
  /** whether `version` is a version this ecosystem can order */
  valid(version: string): boolean;
  /**
   * Negative when a < b, 0 when they are the same version (`1.0` and `1.0.0`
   * where the ecosystem says so), positive when a > b. Throws
   * InvalidVersionError for a version it cannot order.
   */
  compare(a: string, b: string): number;
}

export class InvalidVersionError extends Error {
  constructor(
    readonly ecosystem: string,
    readonly version: string,
  ) {
    super(`"${version}" is not a ${ecosystem} version`);
    this.name = "InvalidVersionError";
  }
}
