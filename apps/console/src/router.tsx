import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

/**
 * A few pages need no router library: the path under /console is the page, history.pushState
 * moves between them, and the broker answers every /console/… path with the app.
 */
export const BASE = '/console';
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

const current = () => window.location.pathname.slice(BASE.length) || '/';

/** The page's path, without /console ("/", "/inbox", "/requests/…"). */
export function usePath(): string {
  return useSyncExternalStore(subscribe, current);
}

export function navigate(to: string): void {
  window.history.pushState(null, '', `${BASE}${to}`);
  for (const l of listeners) l();
}

/** A link that changes the page without a reload (and still opens in a new tab). */
export function Link({
  to,
  ...rest
}: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  const active = current() === to;
  return (
    <a
      href={`${BASE}${to}`}
      onClick={onClick}
      aria-current={active ? 'page' : undefined}
      {...rest}
    />
  );
}
