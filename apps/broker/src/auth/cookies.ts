import type { Request } from 'express';

export const SESSION_COOKIE = 'doorman_session';
/** Binds a sign-in under way to the browser that started it; lives only until the callback. */
export const SIGN_IN_COOKIE = 'doorman_sign_in';

/** One cookie from the Cookie header (no cookie-parser: two cookies are all the broker reads). */
export function readCookie(req: Pick<Request, 'headers'>, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      const value = part.slice(at + 1).trim();
      return value && /^[A-Za-z0-9_-]+$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  /** Seconds; 0 deletes the cookie. Unset: a browser-session cookie. */
  maxAge?: number;
}

/** httpOnly and SameSite=Lax always: scripts never read it, other sites never send it on POSTs. */
export function cookieHeader(name: string, value: string, o: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${o.path}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(o.secure ? ['Secure'] : []),
    ...(o.maxAge !== undefined ? [`Max-Age=${o.maxAge}`] : []),
  ].join('; ');
}
