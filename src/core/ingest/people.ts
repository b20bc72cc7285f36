/**
 * One person across sources. A PagerDuty user, an LDAP user, a GitHub or
 * GitLab user and a CODEOWNERS person with the same email (compared
 * case-insensitively) are one `Person` with a `Person -IS-> User` edge to
 * each account; a CODEOWNERS handle (`@login`) is the same person as the
 * GitHub/GitLab/Bitbucket user with that login. Teams the same: a CODEOWNERS
 * team `-IS->` the GitHub team, GitLab group and PagerDuty team whose slug
 * matches its name.
 *
 * This is computed from the graph, not by any one integration: it runs
 * after every sync (source `people`, stamped with that sync's run), so a person whose last
 * account disappeared is deleted with it, and a Person another source wrote
 * (CODEOWNERS) is linked but never rewritten.
 */
import type { ListItem } from "../../query/run.js";
import { runQuery } from "../../query/run.js";
import type { EntityRecord, GraphStore, RelationshipRecord } from "../../store/types.js";

export const PEOPLE_SOURCE = "people";

export interface PeopleResult {
  people: number;
  accounts: number;
  teams: number;
  created: number;
  deleted: number;
}

/** The strings of a property that may be a string or a string array (JupiterOne's User.email is an array). */
function strings(value: unknown): string[] {
  if (typeof value === "string") return value === "" ? [] : [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string" && v !== "");
  return [];
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** `Platform Team` -> `platform-team`: how team names are compared across services. */
export function teamSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Logins that name a person the same way a CODEOWNERS `@handle` does. */
const LOGIN_TYPES = new Set(["github_user", "gitlab_user", "bitbucket_user"]);

async function entities(store: GraphStore, query: string, now: number): Promise<ListItem[]> {
  const result = await runQuery(store, query, { now, all: true });
  if (result.type !== "list") throw new Error("unreachable: a query without RETURN is a list");
  return result.data;
}

function nameParts(display: string): { firstName: string; lastName: string } {
  const parts = display.trim().split(/\s+/);
  if (parts.length < 2) return { firstName: parts[0] ?? "", lastName: "" };
  return { firstName: parts.slice(0, -1).join(" "), lastName: parts.at(-1)! };
}

/** What the graph says, as the records the `people` run writes. */
export function planPeople(users: ListItem[], persons: ListItem[], teams: ListItem[]) {
  const personByKey = new Map(persons.map((p) => [p.entity._key, p]));
  // a Person another source wrote (CODEOWNERS, an import) is that email's person, whatever its key
  const personByEmail = new Map<string, ListItem>();
  for (const p of persons) {
    if (p.entity._source === PEOPLE_SOURCE) continue;
    for (const e of strings(p.properties.email)) if (!personByEmail.has(e.toLowerCase())) personByEmail.set(e.toLowerCase(), p);
  }
  const newPersons = new Map<string, EntityRecord>();
  const edges = new Map<string, RelationshipRecord>();
  const linked = new Set<string>();
  const link = (from: string, fromType: string, to: ListItem) => {
    const key = `${from}|is|${to.entity._key}`;
    if (edges.has(key)) return;
    edges.set(key, {
      _key: key,
      _type: `${fromType}_is_${to.entity._type}`,
      _class: "IS",
      _fromEntityKey: from,
      _toEntityKey: to.entity._key,
    });
    linked.add(to.entity._key);
  };
  for (const user of users) {
    const p = user.properties;
    const display = user.entity.displayName ?? (typeof p.name === "string" ? p.name : "");
    for (const raw of strings(p.email)) {
      const email = raw.trim().toLowerCase();
      if (!EMAIL.test(email)) continue;
      const key = `person:${email}`;
      const existing = personByEmail.get(email) ?? personByKey.get(key);
      if (existing && existing.entity._source !== PEOPLE_SOURCE) {
        link(existing.entity._key, existing.entity._type, user);
        continue;
      }
      if (!newPersons.has(key)) {
        const { firstName, lastName } = nameParts(display || email.split("@")[0]!);
        newPersons.set(key, {
          _key: key,
          _type: "person",
          _class: "Person",
          displayName: display || email,
          name: display || email,
          firstName,
          lastName,
          email: [email],
        });
      }
      link(key, "person", user);
    }
    if (LOGIN_TYPES.has(user.entity._type)) {
      // a CODEOWNERS `@login` person (person:<login>) is this account's person
      for (const login of [...strings(p.login), ...strings(p.username)]) {
        const handle = personByKey.get(`person:${login}`) ?? personByKey.get(`person:${login.toLowerCase()}`);
        if (handle && handle.entity._source !== PEOPLE_SOURCE) link(handle.entity._key, handle.entity._type, user);
      }
    }
  }
  // teams: a CODEOWNERS team (`team:<org>/<slug>`) is the service teams with its slug
  const owners = teams.filter((t) => t.entity._type === "team");
  const bySlug = new Map<string, ListItem[]>();
  for (const t of teams) {
    if (t.entity._type === "team") continue;
    const names = [...strings(t.properties.slug), ...strings(t.properties.path), t.entity.displayName ?? "", ...strings(t.properties.name)];
    for (const slug of new Set(names.map(teamSlug).filter(Boolean))) {
      const list = bySlug.get(slug) ?? [];
      list.push(t);
      bySlug.set(slug, list);
    }
  }
  let teamLinks = 0;
  for (const owner of owners) {
    const slug = teamSlug(String(owner.properties.name ?? owner.entity.displayName ?? ""));
    for (const t of bySlug.get(slug) ?? []) {
      link(owner.entity._key, owner.entity._type, t);
      teamLinks++;
    }
  }
  return { persons: [...newPersons.values()], relationships: [...edges.values()], accounts: linked.size - teamLinks, teamLinks };
}

/**
 * Link accounts to people and teams to teams across sources; see the file
 * comment. `syncRun` is the run that prompted it (its id stamps what this
 * writes, so the people step does not appear as a source of its own).
 */
export async function linkPeople(store: GraphStore, options: { now: number; syncRun: number }): Promise<PeopleResult> {
  const [users, persons, teams] = await Promise.all([
    entities(store, "Find User", options.now),
    entities(store, "Find Person", options.now),
    entities(store, "Find (Team|UserGroup|Group)", options.now),
  ]);
  const plan = planPeople(users, persons, teams);
  const counts = await store.upsertMany([{ entities: plan.persons, relationships: plan.relationships }], {
    now: options.now,
    source: PEOPLE_SOURCE,
    syncRun: options.syncRun,
  });
  const deleted = await store.markUnseenDeleted(PEOPLE_SOURCE, options.syncRun, options.now);
  return {
    people: plan.persons.length,
    accounts: plan.accounts,
    teams: plan.teamLinks,
    created: counts.entities.created + counts.relationships.created,
    deleted: deleted.entities + deleted.relationships,
  };
}
