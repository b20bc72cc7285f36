/**
 * The plan: from the group's members, the people on call and their directory
 * users, what to add and remove, who is skipped and why, and whether a
 * safety rail refuses the change. Pure: no I/O, so every rail is unit-tested.
 */

export interface PlanInput {
  /** the group's member values as stored */
  current: string[];
  /** on-call emails with the directory users each one matched */
  onCall: { email: string; matches: { name: string; memberValue: string }[]; schedules?: string[] }[];
  /** member values never removed (and added when missing) */
  permanent: string[];
  /** compares member values (DNs loosely) */
  key?: (value: string) => string;
  allowEmpty: boolean;
  /** most adds + removes without force; undefined: no limit */
  maxChange?: number;
  force: boolean;
}

export interface SkippedPerson {
  email: string;
  reason: string;
}

export interface Plan {
  current: string[];
  /** on-call people with exactly one directory user */
  onCall: { email: string; name: string; memberValue: string; schedules?: string[] }[];
  add: string[];
  remove: string[];
  /** members kept because they are permanent while not on call */
  keptPermanent: string[];
  skipped: SkippedPerson[];
  /** a rail refused the change: nothing is applied */
  refused?: { rail: "empty" | "maxChange"; message: string };
  /** a rail was overridden (--force): said in the output and the audit log */
  forced?: string;
}

export function planChange(input: PlanInput): Plan {
  const key = input.key ?? ((v: string) => v);
  const skipped: SkippedPerson[] = [];
  const onCall: Plan["onCall"] = [];
  const seen = new Set<string>();
  for (const person of input.onCall) {
    if (person.matches.length === 0) {
      skipped.push({ email: person.email, reason: "no directory user has this email" });
      continue;
    }
    if (person.matches.length > 1) {
      skipped.push({
        email: person.email,
        reason: `${person.matches.length > 10 ? "more than 10" : person.matches.length} directory users have this email (${person.matches
          .slice(0, 3)
          .map((m) => m.name)
          .join(", ")}${person.matches.length > 3 ? ", …" : ""})`,
      });
      continue;
    }
    const m = person.matches[0]!;
    if (seen.has(key(m.memberValue))) continue;
    seen.add(key(m.memberValue));
    onCall.push({ email: person.email, name: m.name, memberValue: m.memberValue, schedules: person.schedules });
  }

  const currentKeys = new Set(input.current.map(key));
  const permanentKeys = new Set(input.permanent.map(key));
  const desired = new Map<string, string>();
  for (const p of onCall) desired.set(key(p.memberValue), p.memberValue);
  for (const p of input.permanent) if (!desired.has(key(p))) desired.set(key(p), p);

  const byName = (a: string, b: string) => a.localeCompare(b);
  const add = [...desired]
    .filter(([k]) => !currentKeys.has(k))
    .map(([, v]) => v)
    .sort(byName);
  const remove = input.current.filter((v) => !desired.has(key(v))).sort(byName);
  const keptPermanent = input.current.filter((v) => permanentKeys.has(key(v)) && !onCall.some((p) => key(p.memberValue) === key(v)));

  const plan: Plan = { current: input.current, onCall, add, remove, keptPermanent, skipped };
  if (onCall.length === 0 && input.onCall.length > 0) {
    // PagerDuty names people but none maps to a user: a broken mapping, not an empty rotation
    plan.refused = { rail: "empty", message: "none of the people on call has a directory user: the group is left as it is" };
    return plan;
  }
  if (onCall.length === 0 && !input.allowEmpty) {
    plan.refused = { rail: "empty", message: "nobody is on call: the group is left as it is (set allowEmpty: true to empty it)" };
    return plan;
  }
  const size = add.length + remove.length;
  if (input.maxChange !== undefined && size > input.maxChange) {
    const message = `the change (${add.length} added, ${remove.length} removed) is larger than maxChange (${input.maxChange})`;
    if (input.force) plan.forced = `${message}; applied because of --force`;
    else plan.refused = { rail: "maxChange", message: `${message}: refused; check it with --dry-run and run again with --force` };
  }
  return plan;
}

export function planChanges(plan: Plan): boolean {
  return !plan.refused && plan.add.length + plan.remove.length > 0;
}
