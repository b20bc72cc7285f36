import { createRequire } from "node:module";
import os from "node:os";

// child_process is required only when git must be asked (`dm` loads this module on every run).
const require = createRequire(import.meta.url);

/**
 * Who is acting, for createdBy / closedBy and the audit log: DM_USER, else
 * `git config user.email` (in cwd), else the OS user name.
 */
export function resolveActor(options: { user?: string; cwd: string }): string {
  if (options.user) return options.user;
  try {
    const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
    const email = execFileSync("git", ["config", "user.email"], {
      cwd: options.cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 2000,
    }).trim();
    if (email) return email;
  } catch {
    // no git, or no email configured: fall through
  }
  try {
    return os.userInfo().username;
  } catch {
    return "unknown";
  }
}
