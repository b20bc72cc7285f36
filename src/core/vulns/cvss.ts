/**
 * CVSS scoring for advisories: a v3.0/v3.1 vector to its base score and
 * severity (the specification's formula, exactly), a v4.0 vector to a
 * severity (approximated, see severityCvss4), and the choice between what an
 * OSV advisory offers.
 */

export type Severity = "critical" | "high" | "medium" | "low" | "none";

/** Qualitative rating of a base score (CVSS v3.1 §5, the same bands in v4.0). */
export function severityOfScore(score: number): Severity {
  if (score === 0) return "none";
  if (score < 4) return "low";
  if (score < 7) return "medium";
  if (score < 9) return "high";
  return "critical";
}

/** A vector that cannot be scored; `metric` names the culprit when there is one. */
export class CvssError extends Error {
  constructor(
    message: string,
    readonly vector: string,
    readonly metric?: string,
  ) {
    super(`${message} in CVSS vector "${vector}"`);
    this.name = "CvssError";
  }
}

// ---------------------------------------------------------------- CVSS v3.x

const V3_BASE = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"] as const;
type V3Base = (typeof V3_BASE)[number];

/** Values each metric may take; the base ones with their weights (spec §7.4). */
const V3_VALUES: Record<string, readonly string[]> = {
  AV: ["N", "A", "L", "P"],
  AC: ["L", "H"],
  PR: ["N", "L", "H"],
  UI: ["N", "R"],
  S: ["U", "C"],
  C: ["H", "L", "N"],
  I: ["H", "L", "N"],
  A: ["H", "L", "N"],
  // temporal and environmental: allowed, validated, not part of the base score
  E: ["X", "U", "P", "F", "H"],
  RL: ["X", "O", "T", "W", "U"],
  RC: ["X", "U", "R", "C"],
  CR: ["X", "L", "M", "H"],
  IR: ["X", "L", "M", "H"],
  AR: ["X", "L", "M", "H"],
  MAV: ["X", "N", "A", "L", "P"],
  MAC: ["X", "L", "H"],
  MPR: ["X", "N", "L", "H"],
  MUI: ["X", "N", "R"],
  MS: ["X", "U", "C"],
  MC: ["X", "H", "L", "N"],
  MI: ["X", "H", "L", "N"],
  MA: ["X", "H", "L", "N"],
};

const AV_W: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC_W: Record<string, number> = { L: 0.77, H: 0.44 };
const PR_W_UNCHANGED: Record<string, number> = { N: 0.85, L: 0.62, H: 0.27 };
const PR_W_CHANGED: Record<string, number> = { N: 0.85, L: 0.68, H: 0.5 };
const UI_W: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA_W: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/**
 * Roundup as defined in CVSS v3.1 Appendix A: the smallest number with one
 * decimal that is >= the input, computed on integers so that floating-point
 * noise (4.000000000000001) does not push a score up a tenth. Used for v3.0
 * too: it is the same function, minus the floating-point error.
 */
export function roundup(input: number): number {
  const intInput = Math.round(input * 100000);
  if (intInput % 10000 === 0) return intInput / 100000;
  return (Math.floor(intInput / 10000) + 1) / 10;
}

function parseMetrics(
  vector: string,
  body: string,
  allowed: Record<string, readonly string[]>,
): Map<string, string> {
  const metrics = new Map<string, string>();
  if (body === "") throw new CvssError("no metrics", vector);
  for (const part of body.split("/")) {
    const colon = part.indexOf(":");
    if (colon <= 0) throw new CvssError(`malformed metric "${part}"`, vector, part || undefined);
    const name = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const values = allowed[name];
    if (!values) throw new CvssError(`unknown metric ${name}`, vector, name);
    if (metrics.has(name)) throw new CvssError(`metric ${name} given twice`, vector, name);
    if (!values.includes(value)) throw new CvssError(`invalid value "${value}" for metric ${name}`, vector, name);
    metrics.set(name, value);
  }
  return metrics;
}

/**
 * The CVSS v3.0/v3.1 base score of a vector such as
 * `CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H` (7.2, high). Temporal and
 * environmental metrics may follow; they do not change the base score.
 * Throws CvssError naming the bad metric for an invalid vector.
 */
export function scoreCvss3(vector: string): { score: number; severity: Severity } {
  const match = /^CVSS:3\.[01]\/(.*)$/.exec(vector.trim());
  if (!match) throw new CvssError("not a CVSS:3.0 or CVSS:3.1 vector", vector);
  const m = parseMetrics(vector, match[1]!, V3_VALUES);
  const get = (name: V3Base): string => {
    const value = m.get(name);
    if (value === undefined) throw new CvssError(`missing base metric ${name}`, vector, name);
    return value;
  };
  const values = Object.fromEntries(V3_BASE.map((name) => [name, get(name)])) as Record<V3Base, string>;

  const changed = values.S === "C";
  const iss = 1 - (1 - CIA_W[values.C]!) * (1 - CIA_W[values.I]!) * (1 - CIA_W[values.A]!);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const pr = (changed ? PR_W_CHANGED : PR_W_UNCHANGED)[values.PR]!;
  const exploitability = 8.22 * AV_W[values.AV]! * AC_W[values.AC]! * pr * UI_W[values.UI]!;

  let score: number;
  if (impact <= 0) score = 0;
  else if (changed) score = roundup(Math.min(1.08 * (impact + exploitability), 10));
  else score = roundup(Math.min(impact + exploitability, 10));
  return { score, severity: severityOfScore(score) };
}

// ---------------------------------------------------------------- CVSS v4.0

const V4_VALUES: Record<string, readonly string[]> = {
  AV: ["N", "A", "L", "P"],
  AC: ["L", "H"],
  AT: ["N", "P"],
  PR: ["N", "L", "H"],
  UI: ["N", "P", "A"],
  VC: ["H", "L", "N"],
  VI: ["H", "L", "N"],
  VA: ["H", "L", "N"],
  SC: ["H", "L", "N"],
  SI: ["H", "L", "N"],
  SA: ["H", "L", "N"],
  E: ["X", "A", "P", "U"],
  CR: ["X", "H", "M", "L"],
  IR: ["X", "H", "M", "L"],
  AR: ["X", "H", "M", "L"],
  MAV: ["X", "N", "A", "L", "P"],
  MAC: ["X", "L", "H"],
  MAT: ["X", "N", "P"],
  MPR: ["X", "N", "L", "H"],
  MUI: ["X", "N", "P", "A"],
  MVC: ["X", "H", "L", "N"],
  MVI: ["X", "H", "L", "N"],
  MVA: ["X", "H", "L", "N"],
  MSC: ["X", "H", "L", "N"],
  MSI: ["X", "S", "H", "L", "N"],
  MSA: ["X", "S", "H", "L", "N"],
  S: ["X", "N", "P"],
  AU: ["X", "N", "Y"],
  R: ["X", "A", "U", "I"],
  V: ["X", "D", "C"],
  RE: ["X", "L", "M", "H"],
  U: ["X", "Clear", "Green", "Amber", "Red"],
};
const V4_BASE = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"] as const;

/**
 * The severity of a CVSS v4.0 vector, approximated: its base metrics are
 * mapped onto their CVSS v3.1 counterparts and scored with the v3.1 formula.
 * This is our own approximation, not FIRST's v4.0 scoring (which needs the
 * specification's macro-vector table): it agrees with the reference
 * severities on common vectors but the number is not a v4.0 score, so only
 * the severity is returned. The mapping:
 * - AV, PR as they are; AC is High when AC:H or AT:P (attack requirements);
 *   UI is Required unless UI:N;
 * - C/I/A is the higher of the vulnerable (VC/VI/VA) and the subsequent
 *   system (SC/SI/SA) impact; scope is Changed when a subsequent-system
 *   impact is higher than the vulnerable system's.
 * Threat and environmental metrics are checked but not used.
 */
export function severityCvss4(vector: string): Severity {
  const match = /^CVSS:4\.0\/(.*)$/.exec(vector.trim());
  if (!match) throw new CvssError("not a CVSS:4.0 vector", vector);
  const parsed = parseMetrics(vector, match[1]!, V4_VALUES);
  for (const name of V4_BASE) {
    if (!parsed.has(name)) throw new CvssError(`missing base metric ${name}`, vector, name);
  }
  const get = (name: string) => parsed.get(name)!;
  const rank = { N: 0, L: 1, H: 2 } as Record<string, number>;
  const higher = (a: string, b: string) => ((rank[a] ?? 0) >= (rank[b] ?? 0) ? a : b);
  const c = higher(get("VC"), get("SC"));
  const i = higher(get("VI"), get("SI"));
  const a = higher(get("VA"), get("SA"));
  const changed =
    (rank[get("SC")] ?? 0) > (rank[get("VC")] ?? 0) ||
    (rank[get("SI")] ?? 0) > (rank[get("VI")] ?? 0) ||
    (rank[get("SA")] ?? 0) > (rank[get("VA")] ?? 0);
  const ac = get("AC") === "H" || get("AT") === "P" ? "H" : "L";
  const ui = get("UI") === "N" ? "N" : "R";
  const v3 = `CVSS:3.1/AV:${get("AV")}/AC:${ac}/PR:${get("PR")}/UI:${ui}/S:${changed ? "C" : "U"}/C:${c}/I:${i}/A:${a}`;
  return scoreCvss3(v3).severity;
}

// ---------------------------------------------------------------- advisories

/** An OSV `severity[]` entry. */
export interface OsvSeverity {
  type: string;
  score: string;
}

export interface AdvisorySeverity {
  severity: Severity;
  /** the CVSS base score, when a vector gave it */
  score?: number;
  /** what decided: a CVSS version or the database's own text */
  source: "CVSS_V3" | "CVSS_V4" | "database_specific";
  vector?: string;
}

const DATABASE_SEVERITY: Record<string, Severity> = {
  CRITICAL: "critical",
  HIGH: "high",
  MODERATE: "medium",
  MEDIUM: "medium",
  LOW: "low",
  NONE: "none",
};

/**
 * The severity of an advisory: its CVSS v3 vector scored, else its v4
 * vector, else the database's own word (GitHub's CRITICAL/HIGH/MODERATE/LOW).
 * A vector that cannot be scored is passed over for the next source.
 * Undefined when nothing usable is there.
 */
export function severityFrom(
  severities: readonly OsvSeverity[] | undefined,
  databaseSpecificSeverity?: string,
): AdvisorySeverity | undefined {
  const list = severities ?? [];
  for (const { type, score: vector } of list) {
    if (type !== "CVSS_V3") continue;
    try {
      const { score, severity } = scoreCvss3(vector);
      return { severity, score, source: "CVSS_V3", vector };
    } catch {
      // unscorable: try the next source
    }
  }
  for (const { type, score: vector } of list) {
    if (type !== "CVSS_V4") continue;
    try {
      return { severity: severityCvss4(vector), source: "CVSS_V4", vector };
    } catch {
      // unscorable: try the next source
    }
  }
  const text = databaseSpecificSeverity?.trim().toUpperCase();
  const severity = text ? DATABASE_SEVERITY[text] : undefined;
  return severity ? { severity, source: "database_specific" } : undefined;
}
