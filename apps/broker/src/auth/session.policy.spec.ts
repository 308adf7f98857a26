import {
  cookieCallRefusal,
  claimsRefusal,
  csrfTokenFor,
  DEFAULT_RETURN_TO,
  mappedRoles,
  safeReturnTo,
  sessionEnd,
  sessionLive,
  shouldTouch,
} from './session.policy';

const at = (iso: string) => new Date(iso);
const MIN = 60_000;

describe('safeReturnTo: only a path on the broker', () => {
  it.each([
    ['/console/', '/console/'],
    ['/console/requests?mine=1#top', '/console/requests?mine=1#top'],
    ['/console/../api/v1/users', '/api/v1/users'],
  ])('keeps %s', (raw, expected) => expect(safeReturnTo(raw)).toBe(expected));

  it.each([
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'console/',
    '/console/\nSet-Cookie: x=1',
    '/console/\t',
    '',
    `/${'a'.repeat(2001)}`,
  ])('replaces %j with the console', (raw) => expect(safeReturnTo(raw)).toBe(DEFAULT_RETURN_TO));

  it.each([undefined, null, 42, ['/a', '/b']])('replaces a non-string (%j)', (raw) =>
    expect(safeReturnTo(raw)).toBe(DEFAULT_RETURN_TO),
  );
});

describe('mappedRoles: the claim onto Doorman roles', () => {
  const map = [
    { value: 'eng', role: 'requester' as const },
    { value: 'leads', role: 'approver' as const },
    { value: 'leads', role: 'requester' as const },
    { value: 'sec', role: 'security' as const },
  ];

  it('gives every role of every value held, once, in a stable order', () =>
    expect(mappedRoles(['sec', 'leads', 'eng', 'unknown'], map)).toEqual([
      'security',
      'approver',
      'requester',
    ]));

  it('reads a single string claim', () => expect(mappedRoles('sec', map)).toEqual(['security']));

  it('a claim present with no mapped value takes every role away', () =>
    expect(mappedRoles(['marketing'], map)).toEqual([]));

  it('an absent claim says nothing (null: roles stay as they are)', () => {
    expect(mappedRoles(undefined, map)).toBeNull();
    expect(mappedRoles(null, map)).toBeNull();
  });

  it('ignores values that are not strings', () =>
    expect(mappedRoles([{ value: 'sec' }, 7, 'eng'], map)).toEqual(['requester']));
});

describe('claimsRefusal: people are matched by verified email', () => {
  it('accepts a verified email', () =>
    expect(claimsRefusal({ email: 'a@x.test', email_verified: true })).toBeNull());

  it.each([
    [{ email: 'a@x.test', email_verified: false }, 'not verified'],
    [{ email: 'a@x.test', email_verified: 'true' }, 'not verified'],
    [{ email: 'a@x.test' }, 'not verified'],
    [{ email_verified: true }, 'no email'],
    [{ email: 'nobody', email_verified: true }, 'no email'],
  ])('refuses %j', (claims, why) => expect(claimsRefusal(claims)).toContain(why));
});

describe('session ends', () => {
  const session = {
    lastSeenAt: at('2026-01-01T10:00:00Z'),
    expiresAt: at('2026-01-01T12:00:00Z'),
  };

  it('idle: ends that long after the last call', () => {
    expect(sessionEnd(session, 30 * MIN)).toEqual(at('2026-01-01T10:30:00Z'));
    expect(sessionLive(session, 30 * MIN, at('2026-01-01T10:29:59Z'))).toBe(true);
    expect(sessionLive(session, 30 * MIN, at('2026-01-01T10:30:00Z'))).toBe(false);
  });

  it('absolute: however recent the last call', () => {
    const busy = { ...session, lastSeenAt: at('2026-01-01T11:59:00Z') };
    expect(sessionEnd(busy, 30 * MIN)).toEqual(at('2026-01-01T12:00:00Z'));
    expect(sessionLive(busy, 30 * MIN, at('2026-01-01T12:00:00Z'))).toBe(false);
  });

  it('the idle clock moves at most once a minute', () => {
    expect(shouldTouch(session, at('2026-01-01T10:00:59Z'))).toBe(false);
    expect(shouldTouch(session, at('2026-01-01T10:01:00Z'))).toBe(true);
  });
});

describe('cookieCallRefusal: CSRF header and Origin on changes', () => {
  const sessionId = 'session-id-from-the-cookie';
  const own = 'https://doorman.example';
  const call = (over: Partial<Parameters<typeof cookieCallRefusal>[0]>) =>
    cookieCallRefusal({
      method: 'POST',
      csrfHeader: csrfTokenFor(sessionId),
      sessionId,
      origin: own,
      ownOrigin: own,
      ...over,
    });

  it('reads need nothing', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS'])
      expect(call({ method, csrfHeader: undefined, origin: 'https://evil.example' })).toBeNull();
  });

  it('a change with the token and our own Origin (or none) goes on', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      expect(call({ method })).toBeNull();
      expect(call({ method, origin: undefined })).toBeNull();
    }
  });

  it.each([
    [{ csrfHeader: undefined }, 'missing x-csrf-token'],
    [{ csrfHeader: '' }, 'missing x-csrf-token'],
    [{ csrfHeader: csrfTokenFor('another-session') }, 'does not match'],
    [{ csrfHeader: `${csrfTokenFor(sessionId)}x` }, 'does not match'],
    [{ origin: 'https://evil.example' }, 'cross-origin'],
    [{ origin: 'null' }, 'cross-origin'],
    [{ origin: 'http://doorman.example' }, 'cross-origin'],
  ])('refuses %j', (over, why) => expect(call(over)).toContain(why));

  it('the token is derived from the session id: another session, another token', () => {
    expect(csrfTokenFor(sessionId)).toBe(csrfTokenFor(sessionId));
    expect(csrfTokenFor(sessionId)).not.toBe(csrfTokenFor(`${sessionId}2`));
    expect(csrfTokenFor(sessionId)).not.toContain(sessionId);
  });
});
