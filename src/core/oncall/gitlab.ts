/**
 * The optional GitLab target: the people on call are members of a group at
 * the configured access level; members at that level who are no longer on
 * call are removed. Owners and maintainers (40 and above), members at other
 * levels and the permanent members are never touched.
 */
import { z } from "zod";
import { requestJson } from "../../shared/fetch-json.js";
import type { SkippedPerson } from "./plan.js";

const Member = z.object({ id: z.number(), username: z.string(), access_level: z.number() });
const User = z.object({ id: z.number(), username: z.string(), email: z.string().optional(), public_email: z.string().nullable().optional() });

export interface GitlabSettings {
  url: string;
  token: string;
  group: string;
  accessLevel: number;
  permanentMembers: string[];
  timeoutMs?: number;
  backoffMs?: number;
}

export interface GitlabPlan {
  add: { id: number; username: string; email: string }[];
  remove: { id: number; username: string }[];
  skipped: SkippedPerson[];
  refused?: string;
}

export class GitlabGroup {
  constructor(private readonly s: GitlabSettings) {}

  private call<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown) {
    return requestJson({
      service: "GitLab",
      label: `${method} ${path.split("?")[0]}`,
      url: `${this.s.url.replace(/\/+$/, "")}/api/v4${path}`,
      method,
      headers: { "PRIVATE-TOKEN": this.s.token },
      body,
      schema,
      timeoutMs: this.s.timeoutMs,
      backoffMs: this.s.backoffMs,
      authHint: "Check the GitLab token (it needs the api scope and Owner or Maintainer rights on the group).",
    });
  }

  private get groupPath(): string {
    return `/groups/${encodeURIComponent(this.s.group)}`;
  }

  async members(): Promise<z.infer<typeof Member>[]> {
    const out: z.infer<typeof Member>[] = [];
    for (let page = "1"; page !== ""; ) {
      const r = await this.call("GET", `${this.groupPath}/members?per_page=100&page=${page}`, z.array(Member));
      out.push(...(r.data ?? []));
      page = r.headers.get("x-next-page") ?? "";
      if (out.length > 100_000) break;
    }
    return out;
  }

  async usersByEmail(email: string): Promise<z.infer<typeof User>[]> {
    const r = await this.call("GET", `/users?search=${encodeURIComponent(email)}&per_page=20`, z.array(User));
    const users = r.data ?? [];
    // search also matches names; keep exact email matches when GitLab shows emails
    const exact = users.filter((u) => [u.email, u.public_email].some((e) => e?.toLowerCase() === email.toLowerCase()));
    return exact.length > 0 ? exact : users.filter((u) => u.email === undefined && !u.public_email);
  }

  async plan(emails: string[], options: { allowEmpty: boolean; maxChange?: number; force: boolean }): Promise<GitlabPlan> {
    const members = await this.members();
    const skipped: SkippedPerson[] = [];
    const desired = new Map<number, { id: number; username: string; email: string }>();
    for (const email of emails) {
      const users = await this.usersByEmail(email);
      if (users.length !== 1) {
        skipped.push({ email, reason: users.length === 0 ? "no GitLab user has this email" : `${users.length} GitLab users match this email` });
        continue;
      }
      desired.set(users[0]!.id, { id: users[0]!.id, username: users[0]!.username, email });
    }
    const memberIds = new Set(members.map((m) => m.id));
    const add = [...desired.values()].filter((u) => !memberIds.has(u.id));
    const remove = members
      .filter((m) => m.access_level === this.s.accessLevel && m.access_level < 40)
      .filter((m) => !desired.has(m.id) && !this.s.permanentMembers.includes(m.username))
      .map((m) => ({ id: m.id, username: m.username }));
    const plan: GitlabPlan = { add, remove, skipped };
    if (desired.size === 0 && (emails.length > 0 || !options.allowEmpty)) {
      plan.refused = emails.length > 0 ? "none of the people on call has a GitLab user: the group is left as it is" : "nobody is on call: the group is left as it is";
    } else if (options.maxChange !== undefined && add.length + remove.length > options.maxChange && !options.force) {
      plan.refused = `the change (${add.length} added, ${remove.length} removed) is larger than maxChange (${options.maxChange}): refused without --force`;
    }
    return plan;
  }

  /** Adds first, then removes: the group is never without its on-call people. */
  async apply(plan: GitlabPlan): Promise<void> {
    for (const u of plan.add) {
      await this.call("POST", `${this.groupPath}/members`, z.unknown(), { user_id: u.id, access_level: this.s.accessLevel });
    }
    for (const u of plan.remove) {
      await this.call("DELETE", `${this.groupPath}/members/${u.id}`, z.unknown());
    }
  }
}
