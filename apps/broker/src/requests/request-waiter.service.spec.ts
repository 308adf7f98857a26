import { waitOutcome } from './request-waiter.service';

describe("waitOutcome: when a request's status ends a wait", () => {
  it('keeps waiting for ACTIVE while the request can still get there', () => {
    for (const s of ['PENDING', 'APPROVED', 'GRANTING'] as const)
      expect(waitOutcome(s, 'ACTIVE')).toBeNull();
    expect(waitOutcome('ACTIVE', 'ACTIVE')).toBe('reached');
  });

  it('ends a wait for ACTIVE at any status that can no longer reach it', () => {
    for (const s of [
      'DENIED',
      'CANCELLED',
      'EXPIRED',
      'FAILED',
      'REVOKING',
      'REVOKED',
      'APPLIED',
    ] as const)
      expect(waitOutcome(s, 'ACTIVE')).toBe('unreachable');
  });

  it('decided: any status but PENDING', () => {
    expect(waitOutcome('PENDING', 'decided')).toBeNull();
    for (const s of ['APPROVED', 'DENIED', 'EXPIRED', 'CANCELLED', 'ACTIVE'] as const)
      expect(waitOutcome(s, 'decided')).toBe('reached');
  });

  it('a terminal status waited for: reached there, unreachable from another end', () => {
    expect(waitOutcome('ACTIVE', 'REVOKED')).toBeNull();
    expect(waitOutcome('REVOKED', 'REVOKED')).toBe('reached');
    expect(waitOutcome('DENIED', 'REVOKED')).toBe('unreachable');
  });
});
