import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DOORMAN_ROLES, type DoormanRole } from '../identity/doorman-roles';

/**
 * The rules of browser sign-in and sessions, pure: where a sign-in may return to, which roles
 * a provider's claim gives, when a session has ended, and when a state-changing call made with
 * a session cookie is refused (the CSRF and Origin checks).
 */

export const DEFAULT_RETURN_TO = '/console/';
/** Methods that change something: with a session cookie they need the CSRF header. */
export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A random secret for a cookie, a state or a nonce (256 bits, URL-safe). */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * The session's CSRF token, derived from the session id the cookie carries: nothing more to
 * store, and nobody without the cookie can compute it.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('doorman csrf').digest('base64url');
}

/**
 * Only a path on this broker: an absolute URL, a scheme-relative `//host` or a backslash
 * trick would send the person elsewhere once signed in (an open redirect).
 */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2000) return DEFAULT_RETURN_TO;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return DEFAULT_RETURN_TO;
  // Control characters (a newline splitting the Location header, a tab browsers drop).
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return DEFAULT_RETURN_TO;
  const base = 'http://doorman.invalid';
  const url = new URL(raw, base);
  if (url.origin !== base) return DEFAULT_RETURN_TO;
  return `${url.pathname}${url.search}${url.hash}`;
}

export interface RoleMapping {
  value: string;
  role: DoormanRole;
}

/**
 * The Doorman roles the provider's claim gives, or null when the claim is absent (the provider
 * said nothing about roles, so the person's roles stay as they are).
 */
export function mappedRoles(claim: unknown, map: readonly RoleMapping[]): DoormanRole[] | null {
  if (claim === undefined || claim === null) return null;
  const values = (Array.isArray(claim) ? claim : [claim]).filter(
    (v): v is string => typeof v === 'string',
  );
  const roles = new Set(map.filter((m) => values.includes(m.value)).map((m) => m.role));
  return DOORMAN_ROLES.filter((r) => roles.has(r));
}

export interface SessionTimes {
  lastSeenAt: Date;
  /** The absolute end, fixed at sign-in. */
  expiresAt: Date;
}

/** When the session ends if nothing else happens: idle from the last call, or the absolute end. */
export function sessionEnd(s: SessionTimes, idleMs: number): Date {
  return new Date(Math.min(s.lastSeenAt.getTime() + idleMs, s.expiresAt.getTime()));
}

export function sessionLive(s: SessionTimes, idleMs: number, now: Date): boolean {
  return now.getTime() < sessionEnd(s, idleMs).getTime();
}

/** The idle clock is moved at most once a minute: a write per call would be a write per call. */
export function shouldTouch(s: SessionTimes, now: Date): boolean {
  return now.getTime() - s.lastSeenAt.getTime() >= 60_000;
}

export interface CookieCall {
  method: string;
  /** The x-csrf-token header, if any. */
  csrfHeader: string | undefined;
  /** The session id from the cookie. */
  sessionId: string;
  /** The Origin header, if any. */
  origin: string | undefined;
  /** The broker's own origin as browsers see it. */
  ownOrigin: string;
}

/** Why a call made with a session cookie is refused, or null when it may go on. */
export function cookieCallRefusal(call: CookieCall): string | null {
  if (!STATE_CHANGING.has(call.method.toUpperCase())) return null;
  if (call.origin !== undefined && call.origin !== call.ownOrigin)
    return `cross-origin call refused: Origin ${call.origin} is not ${call.ownOrigin}`;
  if (!call.csrfHeader) return 'missing x-csrf-token header (GET /api/v1/session gives it)';
  const expected = Buffer.from(csrfTokenFor(call.sessionId));
  const given = Buffer.from(call.csrfHeader);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'x-csrf-token does not match this session';
  return null;
}

/** Why the provider's answer cannot sign anyone in, or null: people are matched by verified email. */
export function claimsRefusal(claims: Record<string, unknown>): string | null {
  if (typeof claims.email !== 'string' || !claims.email.includes('@'))
    return 'the identity provider gave no email address';
  if (claims.email_verified !== true)
    return `the identity provider has not verified ${claims.email}`;
  return null;
}
