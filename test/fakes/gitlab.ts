/**
 * GitLab REST v4, group members: GET /groups/:id/members (page/per_page,
 * X-Next-Page), GET /users?search=, POST /groups/:id/members,
 * DELETE /groups/:id/members/:user_id; PRIVATE-TOKEN, else 401.
 */
import { type FakeServer, startFakeServer } from "./http.js";

export interface FakeGitlabUser {
  id: number;
  username: string;
  email: string;
}

export interface FakeGitlab extends FakeServer {
  users: FakeGitlabUser[];
  /** group path → user id → access level */
  groups: Map<string, Map<number, number>>;
}

export async function startFakeGitlab(options: { token: string; perPageCap?: number }): Promise<FakeGitlab> {
  const users: FakeGitlabUser[] = [];
  const groups = new Map<string, Map<number, number>>();
  const cap = options.perPageCap ?? 100;
  const server = await startFakeServer((req) => {
    if (req.headers["private-token"] !== options.token) return { status: 401, json: { message: "401 Unauthorized" } };
    if (req.method === "GET" && req.path === "/api/v4/users") {
      const q = (req.query.get("search") ?? "").toLowerCase();
      // an admin token sees emails; search matches email exactly, names and usernames partly
      const found = users.filter((u) => u.email.toLowerCase() === q || u.username.toLowerCase().includes(q));
      return { json: found.map((u) => ({ id: u.id, username: u.username, name: u.username, state: "active", email: u.email })) };
    }
    const m = /^\/api\/v4\/groups\/([^/]+)\/members(?:\/(\d+))?$/.exec(req.path);
    const group = m ? groups.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !group) return { status: 404, json: { message: "404 Group Not Found" } };
    if (req.method === "GET" && !m[2]) {
      const all = [...group].map(([id, level]) => {
        const u = users.find((x) => x.id === id);
        return { id, username: u?.username ?? `user${id}`, name: u?.username ?? "", state: "active", access_level: level };
      });
      const perPage = Math.min(Number(req.query.get("per_page") ?? 20), cap);
      const page = Number(req.query.get("page") ?? 1);
      const items = all.slice((page - 1) * perPage, page * perPage);
      const next = page * perPage < all.length ? String(page + 1) : "";
      return { json: items, headers: { "x-next-page": next, "x-page": String(page), "x-per-page": String(perPage), "x-total": String(all.length) } };
    }
    if (req.method === "POST" && !m[2]) {
      const body = JSON.parse(req.body) as { user_id: number; access_level: number };
      if (group.has(body.user_id)) return { status: 409, json: { message: "Member already exists" } };
      group.set(body.user_id, body.access_level);
      return { status: 201, json: { id: body.user_id, access_level: body.access_level } };
    }
    if (req.method === "DELETE" && m[2]) {
      const id = Number(m[2]);
      if (!group.has(id)) return { status: 404, json: { message: "404 Not found" } };
      group.delete(id);
      return { status: 204 };
    }
    return { status: 405, json: { message: "405 Method Not Allowed" } };
  });
  return Object.assign(server, { users, groups });
}
