// Sign-in through identity's OpenID Provider: the authorization code flow with PKCE as a
// public client (no secret in the browser), tokens kept in sessionStorage (gone with the
// tab), renewed in the background with the refresh token before they expire.
import { UserManager, WebStorageStateStore, type User } from "oidc-client-ts";
import { connect } from "../api/client";

export interface ConsoleConfig {
  issuer: string;
  clientId: string;
}

// Profile is what the console knows about the signed-in person (identity's userinfo).
export interface Profile {
  subject: string;
  username: string;
  name: string;
  tenant: string; // home tenant, e.g. ahz.s01.c01
  kind: string; // staff, enterprise, citizen
}

export const callbackPath = "/auth/callback";
let manager: UserManager | undefined;

function userManager(): UserManager {
  if (!manager) throw new Error("sign-in not configured");
  return manager;
}

export function configure(cfg: ConsoleConfig) {
  const origin = window.location.origin;
  manager = new UserManager({
    authority: cfg.issuer,
    client_id: cfg.clientId,
    redirect_uri: origin + callbackPath,
    post_logout_redirect_uri: origin + "/", // the start page, which asks to sign in again
    response_type: "code",
    scope: "openid profile offline_access",
    loadUserInfo: true,
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
  let redirecting = false;
  connect(
    async () => (await manager?.getUser())?.access_token,
    () => {
      // A refused token (revoked, or the password changed elsewhere): sign in again and
      // come back to the same page.
      if (redirecting) return;
      redirecting = true;
      void signIn();
    },
  );
}

export function signIn(): Promise<void> {
  const here = window.location.pathname + window.location.search;
  return userManager().signinRedirect({ state: { returnTo: here } });
}

export async function signOut(): Promise<void> {
  const m = userManager();
  const user = await m.getUser();
  await m.removeUser();
  await m.signoutRedirect({ id_token_hint: user?.id_token });
}

// completeSignIn finishes a redirect back from the OP and returns where to go next.
export async function completeSignIn(): Promise<string> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("code") && !params.has("error")) return "/"; // back from signing out
  const user = await userManager().signinRedirectCallback();
  const returnTo = (user.state as { returnTo?: string } | undefined)?.returnTo;
  return returnTo && returnTo.startsWith("/") && !returnTo.startsWith(callbackPath) ? returnTo : "/";
}

// currentUser is the stored sign-in, renewed once with the refresh token if it expired.
export async function currentUser(): Promise<User | null> {
  const m = userManager();
  const user = await m.getUser();
  if (!user) return null;
  if (!user.expired) return user;
  try {
    return await m.signinSilent();
  } catch {
    await m.removeUser();
    return null;
  }
}

export function profileOf(user: User): Profile {
  const p = user.profile as Record<string, unknown>;
  const str = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : "");
  return {
    subject: user.profile.sub,
    username: str("preferred_username"),
    name: str("name") || str("preferred_username") || user.profile.sub,
    tenant: str("tenant"),
    kind: str("kind"),
  };
}
