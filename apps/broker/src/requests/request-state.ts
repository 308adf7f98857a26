/**
 * The access request lifecycle of DESIGN §2 as a pure module: no Nest, no I/O.
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
