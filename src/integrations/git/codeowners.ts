/**
 * CODEOWNERS: who owns the repository. The owners of the catch-all rule
 * (`*`) are the repository's owners; without one, every owner named in the
 * file. `@org/team` is a Team, `@user` and `user@example.com` are People.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { EntityRecord } from "../../store/types.js";

export const LOCATIONS = ["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];

export async function codeownersOf(dir: string, files: readonly string[]): Promise<{ path: string; text: string } | undefined> {
  for (const location of LOCATIONS) {
    if (!files.includes(location)) continue;
    try {
      return { path: location, text: await fs.readFile(path.join(dir, location), "utf8") };
    } catch {
      // listed by git but not on disk (sparse checkout): try the next place
    }
  }
  return undefined;
}

export interface Owner {
  entity: EntityRecord;
}

function ownerEntity(handle: string): EntityRecord | undefined {
  const team = /^@([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(handle);
  if (team) {
    return { _key: `team:${team[1]}/${team[2]}`, _type: "team", _class: "Team", displayName: team[2], name: team[2], org: team[1] };
  }
  const user = /^@([A-Za-z0-9_.-]+)$/.exec(handle);
  if (user) {
    return { _key: `person:${user[1]}`, _type: "person", _class: "Person", displayName: user[1], username: user[1] };
  }
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(handle)) {
    return { _key: `person:${handle.toLowerCase()}`, _type: "person", _class: "Person", displayName: handle, email: handle.toLowerCase() };
  }
  return undefined;
}

export function parseCodeowners(text: string): { owners: Owner[]; warnings: { line: number; message: string }[] } {
  const warnings: { line: number; message: string }[] = [];
  const all = new Map<string, EntityRecord>();
  let catchAll: EntityRecord[] | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line || line.startsWith("[")) return; // blank, comment, GitLab section header
    const [pattern, ...handles] = line.split(/\s+/);
    const owners: EntityRecord[] = [];
    for (const handle of handles) {
      const entity = ownerEntity(handle);
      if (!entity) {
        warnings.push({ line: i + 1, message: `"${handle}" is not an owner (@team, @org/team or an email)` });
        continue;
      }
      owners.push(entity);
      all.set(entity._key, entity);
    }
    if (pattern === "*" || pattern === "/**" || pattern === "**") catchAll = owners;
  });
  const chosen = catchAll ?? [...all.values()];
  return { owners: chosen.map((entity) => ({ entity })), warnings };
}
