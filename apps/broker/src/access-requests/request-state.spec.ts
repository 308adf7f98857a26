import {
  IllegalTransitionError,
  REQUEST_EVENTS,
  REQUEST_STATUSES,
  TERMINAL_STATUSES,
  canTransition,
  lapsedEvent,
  transition,
  type RequestEvent,
  type RequestStatus,
} from './request-state';

/** The whole table, written out independently of the implementation. */
const LEGAL: Array<[RequestStatus, RequestEvent, RequestStatus]> = [
  ['PENDING', 'approve', 'APPROVED'],
  ['PENDING', 'deny', 'DENIED'],
  ['PENDING', 'expirePending', 'EXPIRED'],
  ['PENDING', 'cancel', 'CANCELLED'],
  ['APPROVED', 'startGranting', 'GRANTING'],
  ['APPROVED', 'applyExtension', 'APPLIED'],
  ['APPROVED', 'revoke', 'REVOKED'],
  ['APPROVED', 'cancel', 'CANCELLED'],
  ['GRANTING', 'activate', 'ACTIVE'],
  ['GRANTING', 'fail', 'FAILED'],
  ['GRANTING', 'revoke', 'REVOKING'],
  ['ACTIVE', 'expire', 'REVOKING'],
  ['ACTIVE', 'revoke', 'REVOKING'],
  ['ACTIVE', 'extend', 'ACTIVE'],
  ['REVOKING', 'revoked', 'REVOKED'],
];

describe('request state machine', () => {
  it.each(LEGAL)('%s --%s--> %s', (from, event, to) => {
    expect(canTransition(from, event)).toBe(true);
    expect(transition(from, event)).toBe(to);
  });

  const illegal: Array<[RequestStatus, RequestEvent]> = [];
  for (const s of REQUEST_STATUSES) {
    for (const e of REQUEST_EVENTS) {
      if (!LEGAL.some(([f, ev]) => f === s && ev === e)) illegal.push([s, e]);
    }
  }

  it('covers every (status, event) pair', () => {
    expect(illegal.length + LEGAL.length).toBe(REQUEST_STATUSES.length * REQUEST_EVENTS.length);
  });

  it.each(illegal)('refuses %s --%s--> with a clear error', (from, event) => {
    expect(canTransition(from, event)).toBe(false);
    expect(() => transition(from, event)).toThrow(IllegalTransitionError);
    expect(() => transition(from, event)).toThrow(`cannot ${event} a request that is ${from}`);
  });

  it('has exactly the terminal states of the design', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual([
      'APPLIED',
      'CANCELLED',
      'DENIED',
      'EXPIRED',
      'FAILED',
      'REVOKED',
    ]);
  });

  it('never leaves a terminal state', () => {
    for (const s of TERMINAL_STATUSES) {
      for (const e of REQUEST_EVENTS) expect(canTransition(s, e)).toBe(false);
    }
  });
});

describe('deadlines judged at the moment of an action', () => {
  const now = new Date('2026-12-03T12:00:00.000Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('expires a PENDING request at and after its pending TTL, not before', () => {
    const pending = { status: 'PENDING' as const, expiresAt: null };
    expect(lapsedEvent({ ...pending, pendingExpiresAt: at(-1) }, now)).toBe('expirePending');
    expect(lapsedEvent({ ...pending, pendingExpiresAt: at(0) }, now)).toBe('expirePending');
    expect(lapsedEvent({ ...pending, pendingExpiresAt: at(1) }, now)).toBeNull();
    expect(lapsedEvent({ ...pending, pendingExpiresAt: null }, now)).toBeNull();
  });

  it('ends an ACTIVE grant at and after its expiry, not before', () => {
    const active = { status: 'ACTIVE' as const, pendingExpiresAt: at(-60_000) };
    expect(lapsedEvent({ ...active, expiresAt: at(-1) }, now)).toBe('expire');
    expect(lapsedEvent({ ...active, expiresAt: at(0) }, now)).toBe('expire');
    expect(lapsedEvent({ ...active, expiresAt: at(1) }, now)).toBeNull();
    expect(lapsedEvent({ ...active, expiresAt: null }, now)).toBeNull();
  });

  it('owes nothing to requests in any other state, whatever their dates', () => {
    for (const status of REQUEST_STATUSES.filter((s) => s !== 'PENDING' && s !== 'ACTIVE'))
      expect(lapsedEvent({ status, pendingExpiresAt: at(-1), expiresAt: at(-1) }, now)).toBeNull();
  });

  it('names only transitions the state machine allows', () => {
    for (const status of REQUEST_STATUSES) {
      const event = lapsedEvent({ status, pendingExpiresAt: at(-1), expiresAt: at(-1) }, now);
      if (event) expect(canTransition(status, event)).toBe(true);
    }
  });
});
