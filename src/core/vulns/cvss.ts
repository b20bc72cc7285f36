/**
 * CVSS scoring for advisories: a v3.0/v3.1 vector to its base score and
 * severity (the specification's formula, exactly, our own code), a v4.0
 * vector to its score and severity (FIRST's macro-vector scoring, through
 * ae-cvss-calculator), and the choice between what an OSV advisory offers.
 */
import { createRequire } from "node:module";

/** ae-cvss-calculator, loaded on the first v4.0 vector: importing it costs about 250 ms, too much for every command that opens the advisory database. */
let aeCvss: typeof import("ae-cvss-calculator") | undefined;
function cvssCalculator(): typeof import("ae-cvss-calculator") {
  aeCvss ??= createRequire(import.meta.url)("ae-cvss-calculator") as typeof import("ae-cvss-calculator");
  return aeCvss;
}

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
 * Scores already computed, by vector: the library takes about 1 ms a vector,
 * and an advisory database repeats a few hundred distinct vectors thousands
 * of times.
 */
const v4Scores = new Map<string, { score: number; severity: Severity }>();
const V4_CACHE_SIZE = 10_000;

/**
 * The CVSS v4.0 score of a vector such as
 * `CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N` (9.3,
 * critical), as FIRST's calculator gives it: v4.0 has one score, and the
 * threat and environmental metrics a vector carries take part in it (it is
 * then a CVSS-BT or CVSS-BTE score; `E:U` lowers it). The metrics are checked
 * here first, so a bad vector throws CvssError naming the metric (the
 * library would pass over some mistakes); the scoring is ae-cvss-calculator's.
 */
export function scoreCvss4(vector: string): { score: number; severity: Severity } {
  const known = v4Scores.get(vector);
  if (known) return { ...known };
  const match = /^CVSS:4\.0\/(.*)$/.exec(vector.trim());
  if (!match) throw new CvssError("not a CVSS:4.0 vector", vector);
  const parsed = parseMetrics(vector, match[1]!, V4_VALUES);
  for (const name of V4_BASE) {
    if (!parsed.has(name)) throw new CvssError(`missing base metric ${name}`, vector, name);
  }
  const score = new (cvssCalculator().Cvss4P0)(`CVSS:4.0/${match[1]}`).calculateScores().base;
  if (score === undefined) throw new CvssError("no score", vector);
  const result = { score, severity: severityOfScore(score) };
  if (v4Scores.size >= V4_CACHE_SIZE) v4Scores.clear();
  v4Scores.set(vector, result);
  return { ...result };
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
      const { score, severity } = scoreCvss4(vector);
      return { severity, score, source: "CVSS_V4", vector };
    } catch {
      // unscorable: try the next source
    }
  }
  const text = databaseSpecificSeverity?.trim().toUpperCase();
  const severity = text ? DATABASE_SEVERITY[text] : undefined;
  return severity ? { severity, source: "database_specific" } : undefined;
}
