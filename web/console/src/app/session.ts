// The signed-in person and the tenant the pages work in. The tenant starts as the home
// tenant; a tenant switcher (limited to the caller's subtree) sets it.
import { createContext, useContext } from "react";
import type { Profile } from "./auth";

export interface Session {
  profile: Profile;
  tenant: string;
  setTenant: (t: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside the signed-in application");
  return s;
}
