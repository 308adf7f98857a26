/**
 * The access request lifecycle as a pure module: no Nest, no I/O.
 * Illegal transitions are refused with a clear error, never ignored.
 */
export const REQUEST_STATUSES = [
  'PENDING',
  'APPROVED',
  'GRANTING',
  'ACTIVE',
  'REVOKING',
  'REVOKED',
  'DENIED',
  'EXPIRED',
  'CANCELLED',
  'FAILED',
  'APPLIED',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const REQUEST_EVENTS = [
  'approve',
  'deny',
  'expirePending',
  'cancel',
  'startGranting',
  'activate',
  'fail',
  'expire',
  'revoke',
  'revoked',
  'extend',
  'applyExtension',
] as const;
export type RequestEvent = (typeof REQUEST_EVENTS)[number];

const TRANSITIONS: Record<RequestStatus, Partial<Record<RequestEvent, RequestStatus>>> = {
  PENDING: { approve: 'APPROVED', deny: 'DENIED', expirePending: 'EXPIRED', cancel: 'CANCELLED' },
  // An approved extension is applied to the grant it extends instead of granting anew.
  APPROVED: {
    startGranting: 'GRANTING',
    applyExtension: 'APPLIED',
    revoke: 'REVOKED',
    cancel: 'CANCELLED',
  },
  GRANTING: { activate: 'ACTIVE', fail: 'FAILED', revoke: 'REVOKING' },
  ACTIVE: { expire: 'REVOKING', revoke: 'REVOKING', extend: 'ACTIVE' },
  REVOKING: { revoked: 'REVOKED' },
  REVOKED: {},
  DENIED: {},
  EXPIRED: {},
  CANCELLED: {},
  FAILED: {},
  APPLIED: {},
};

export const TERMINAL_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter(
  (s) => Object.keys(TRANSITIONS[s]).length === 0,
);

/** Statuses whose grant the person's database user must hold (the desired state). */
export const HELD_STATUSES: readonly RequestStatus[] = ['GRANTING', 'ACTIVE'];

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: RequestStatus,
    readonly event: RequestEvent,
  ) {
    const allowed = Object.keys(TRANSITIONS[from]);
    super(
      `cannot ${event} a request that is ${from}` +
        (allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (it is final)'),
    );
    this.name = 'IllegalTransitionError';
  }
}

export function canTransition(from: RequestStatus, event: RequestEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

export function transition(from: RequestStatus, event: RequestEvent): RequestStatus {
  const to = TRANSITIONS[from][event];
  if (!to) throw new IllegalTransitionError(from, event);
  return to;
}

/** What a request's deadlines say about it at the moment of an action. */
export interface Deadlines {
  status: RequestStatus;
  /** When a PENDING request expires undecided (the flow's pending TTL). */
  pendingExpiresAt: Date | null;
  /** When an ACTIVE grant ends. */
  expiresAt: Date | null;
}

/**
 * The transition a deadline that has already passed owes the request, or null.
 * Every action judges the request at its own moment with this, whatever the timers did: the
 * delayed jobs and the sweeper only tidy up what nobody touched.
 */
export function lapsedEvent(req: Deadlines, now: Date): 'expirePending' | 'expire' | null {
  if (req.status === 'PENDING' && req.pendingExpiresAt && req.pendingExpiresAt <= now)
    return 'expirePending';
  if (req.status === 'ACTIVE' && req.expiresAt && req.expiresAt <= now) return 'expire';
  return null;
}
