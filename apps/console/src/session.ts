import { useQuery } from '@tanstack/react-query';
import { ApiError, get, setCsrfToken } from './api';
import type { Role, Session } from './types';

/** The signed-in person (null when signed out), refreshed now and then so a lapsed session shows. */
export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async (): Promise<Session | null> => {
      try {
        const s = await get<Session>('/api/v1/session');
        setCsrfToken(s.csrfToken);
        return s;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          setCsrfToken(null);
          return null;
        }
        throw e;
      }
    },
    refetchInterval: 60_000,
    retry: false,
  });
}

export const hasRole = (s: Session, ...roles: Role[]): boolean =>
  s.person.roles.some((r) => roles.includes(r));

/** Starts the provider's sign-in; the broker brings the person back to this page. */
export function signIn(returnTo = window.location.pathname + window.location.search): void {
  const safe = returnTo.startsWith('/console') ? returnTo : '/console/';
  window.location.assign(`/auth/login?returnTo=${encodeURIComponent(safe)}`);
}
