/**
 * "Did you mean" for what a command was asked about and does not know: an
 * item id, an owner, a repository. Each looks the names up only on this
 * error path, through the backend (so the same on a dm server).
 */
import { ownerKey } from "../core/maintenance/finding.js";
import { closestNames, didYouMean } from "../shared/suggest.js";
import { NotFoundError } from "../shared/errors.js";
import type { Backend } from "./backend.js";

/** The error for an item id that has no finding at all, with the closest ids (and their titles). */
export async function unknownItemError(b: Backend, id: string, now: number, hint: string): Promise<NotFoundError> {
  const titles = new Map<string, string>();
  for (const f of await b.loadFindings(now)) if (!titles.has(f.maintenanceId)) titles.set(f.maintenanceId, f.shortDescription);
  const close = closestNames(id, titles.keys());
  return new NotFoundError(`no maintenance item ${id}`, {
    details: [...(close.length > 0 ? ["did you mean:", ...close.map((c) => `  ${c}  ${titles.get(c)}`)] : []), hint],
  });
}

/** The owners the graph knows: teams and people by name, and every finding's owner. */
async function knownOwners(b: Backend, now: number): Promise<string[]> {
  const names = new Set<string>();
  for (const item of await b.selectEntities("Find (Team|Person)", now)) {
    for (const v of [item.entity.displayName, item.properties.name]) if (typeof v === "string" && v.trim() !== "") names.add(v.trim());
  }
  for (const f of await b.loadFindings(now)) if (f.owner) names.add(f.owner);
  return [...names];
}

/** Refuse an owner no team, person or finding is named after (compared as ownerKey), with the closest ones. */
export async function assertKnownOwner(b: Backend, owner: string, now: number): Promise<void> {
  const known = await knownOwners(b, now);
  if (known.some((k) => ownerKey(k) === ownerKey(owner))) return;
  const guess = didYouMean(owner, known);
  throw new NotFoundError(`no owner named ${JSON.stringify(owner)}: no team or person has that name and no finding is owned by it${guess ? `; ${guess}` : ""}`, {
    details: ['Owners are the teams and people that OWN assets (dm query "Find Team" lists the teams), compared without case.'],
  });
}

/** `; did you mean "payments"?` for a repository name, or "". */
export async function repoGuess(b: Backend, name: string, now: number): Promise<string> {
  const names = (await b.selectEntities("Find CodeRepo", now)).flatMap((i) => {
    const n = i.properties.name;
    return typeof n === "string" && n !== "" ? [n] : [];
  });
  const guess = didYouMean(name, names);
  return guess ? `; ${guess}` : "";
}
