/**
 * The signed-in session: the token (kept in localStorage so a reload stays signed in), who it is and what its
 * role allows. Role checks here only shape the UI — the server enforces them on every request.
 */
import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { type ApiClient, ApiError } from '../api/client.ts';
import { API_PATHS, type Identity, type TokenRole } from '../api/types.ts';

/** A signed-in session. */
export interface Session {
  api: ApiClient;
  identity: Identity;
  signOut(): void;
}

const ROLE_RANK: Record<TokenRole, number> = { viewer: 0, operator: 1, admin: 2 };
const STORAGE_KEY = 'strata.token';

/** Returns the token remembered from an earlier sign-in, or null. */
export function rememberedToken(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Remembers (or, with null, forgets) the token for the next visit. */
export function rememberToken(token: string | null): void {
  try {
    if (token === null) window.localStorage.removeItem(STORAGE_KEY);
    else window.localStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Private windows may refuse storage; the session then lasts until reload, which is acceptable.
  }
}

/**
 * Returns who a token is. Uses `GET /v1/whoami` when the server has it; otherwise asks an admin-only route,
 * whose 403 names the token's role in `details.role` (and whose 200 means admin).
 */
export async function identify(api: ApiClient): Promise<Identity> {
  try {
    return await api.get<Identity>(API_PATHS.whoami);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'NotFound') throw error;
  }
  try {
    await api.get(API_PATHS.tokens);
    return { name: 'admin', role: 'admin' };
  } catch (error) {
    if (error instanceof ApiError && error.code === 'Forbidden') {
      const role = error.details.role;
      if (role === 'viewer' || role === 'operator') {
        const named = /token "([^"]+)"/.exec(error.message);
        return { name: named?.[1] ?? role, role };
      }
    }
    throw error;
  }
}

const SessionContext = createContext<Session | null>(null);

/** Provides the session to the app below it. */
export function SessionProvider(props: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={props.session}>{props.children}</SessionContext.Provider>;
}

/** Returns the session; only used below `SessionProvider`. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** What the signed-in role may do: `allowed`, else the reason shown on hover of the disabled control. */
export interface Permission {
  allowed: boolean;
  reason: string | undefined;
}

/** Returns whether the session's role reaches `required`, with the sentence explaining a refusal. */
export function usePermission(required: TokenRole): Permission {
  const { identity } = useSession();
  return useMemo(() => {
    const allowed = ROLE_RANK[identity.role] >= ROLE_RANK[required];
    return {
      allowed,
      reason: allowed ? undefined : `Needs the ${required} role; you are signed in as ${identity.role}.`,
    };
  }, [identity.role, required]);
}
