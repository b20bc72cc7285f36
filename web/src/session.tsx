/** The signed-in token's session (name, role) for the pages that act on it: maintainers close and reopen, readers copy commands. */
import { createContext, useContext } from "react";
import type { Session } from "./api";

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session | undefined {
  return useContext(SessionContext);
}

/** A maintainer or admin token may close and reopen findings (the API's rule: POST .../close needs maintainer). */
export function canMaintain(session: Session | undefined): boolean {
  return session?.role === "maintainer" || session?.role === "admin";
}
