import type { FlowRules } from '../access-flows/access-flow.policy';
import { judgeOpenAccess, type OpenAccess } from './rule-change.policy';

const NOW = new Date('2026-12-06T12:00:00Z');
const HOUR = 3600;

const flow = (over: Partial<FlowRules> = {}): FlowRules => ({
  id: 'f1',
  version: 2,
  name: 'sales-read',
  integrationId: 'i1',
  requestorUserIds: [],
  requestorGroupIds: ['g-sales'],
  resources: [{ database: 'app', schema: 'sales', ownerIds: [] }],
  permissions: ['read'],
  steps: [],
  autoApprove: null,
  allowSelfApproval: false,
  defaultDurationSeconds: HOUR,
  maxDurationSeconds: 4 * HOUR,
  justificationRequired: false,
  pendingTtlSeconds: 24 * HOUR,
  extensions: { maxCount: 0, maxDurationSeconds: HOUR, auto: false },
  breakGlassUserIds: [],
  ...over,
});

const grant = (over: Partial<OpenAccess> = {}): OpenAccess => ({
  requesterId: 'alice',
  status: 'ACTIVE',
  kind: 'access',
  integrationId: 'i1',
  database: 'app',
  schema: 'sales',
  permission: 'read',
  durationSeconds: 2 * HOUR,
  clockStartedAt: new Date(NOW.getTime() - HOUR * 1000),
  expiresAt: new Date(NOW.getTime() + HOUR * 1000),
  flowId: 'f1',
  breakGlass: false,
  ...over,
});

const inSales = { groupIds: ['g-sales'], roles: ['requester'] };
const nowhere = { groupIds: [], roles: ['requester'] };

describe('who still qualifies when the rules change', () => {
  it('keeps what the rules still allow', () => {
    expect(judgeOpenAccess(grant(), [flow()], inSales, NOW)).toEqual({ outcome: 'keep' });
  });

  it('ends a grant now when the person is no longer a requestor, whatever the flow says', () => {
    const v = judgeOpenAccess(grant(), [flow({ onRuleChange: 'runToExpiry' })], nowhere, NOW);
    expect(v).toEqual({
      outcome: 'end',
      reason: 'you are no longer a requestor of any access flow offering read on app.sales',
    });
  });

  it('keeps the grant when another flow still lets the person ask for it', () => {
    const other = flow({ id: 'f2', requestorGroupIds: [], requestorUserIds: ['alice'] });
    expect(judgeOpenAccess(grant(), [flow(), other], nowhere, NOW)).toEqual({ outcome: 'keep' });
  });

  it('cancels a request not granted yet, pending or approved, with the reason', () => {
    for (const status of ['PENDING', 'APPROVED'])
      expect(judgeOpenAccess(grant({ status }), [flow()], nowhere, NOW)).toMatchObject({
        outcome: 'cancel',
        reason: expect.stringContaining('no longer a requestor'),
      });
  });

  it('a permission removed: runs to expiry by default, ends now under endNow', () => {
    const narrowed = flow({ permissions: ['write'] });
    expect(judgeOpenAccess(grant(), [narrowed], inSales, NOW)).toEqual({
      outcome: 'run',
      reason: 'no access flow offers read on app.sales any more',
      capAt: null,
    });
    expect(
      judgeOpenAccess(grant(), [{ ...narrowed, onRuleChange: 'endNow' }], inSales, NOW),
    ).toMatchObject({ outcome: 'end' });
    expect(judgeOpenAccess(grant({ status: 'PENDING' }), [narrowed], inSales, NOW)).toMatchObject({
      outcome: 'cancel',
    });
  });

  it('a shorter maximum caps the grant at its start plus the new maximum', () => {
    const v = judgeOpenAccess(grant(), [flow({ maxDurationSeconds: 90 * 60 })], inSales, NOW);
    expect(v).toEqual({
      outcome: 'run',
      reason: 'it runs 2h; the longest allowed is now 90m',
      capAt: new Date(NOW.getTime() + 30 * 60 * 1000),
      maxSeconds: 90 * 60,
    });
  });

  it('a grant whose clock has not started runs at most the new maximum once it does', () => {
    const v = judgeOpenAccess(
      grant({ status: 'GRANTING', clockStartedAt: null, expiresAt: null }),
      [flow({ maxDurationSeconds: HOUR })],
      inSales,
      NOW,
    );
    expect(v).toEqual({
      outcome: 'run',
      reason: 'it runs 2h; the longest allowed is now 1h',
      capAt: null,
      maxSeconds: HOUR,
    });
  });

  it('a grant waiting for its first login is judged by its duration, not its wait', () => {
    const waiting = grant({
      clockStartedAt: null,
      expiresAt: new Date(NOW.getTime() + 10 * HOUR * 1000),
    });
    expect(judgeOpenAccess(waiting, [flow()], inSales, NOW)).toEqual({ outcome: 'keep' });
  });

  it('a maximum already passed ends the grant now', () => {
    expect(
      judgeOpenAccess(grant(), [flow({ maxDurationSeconds: 30 * 60 })], inSales, NOW),
    ).toMatchObject({ outcome: 'end', reason: 'it ran past the longest allowed is now 30m' });
  });

  it('a pending request asking longer than the new maximum is cancelled', () => {
    const v = judgeOpenAccess(
      grant({ status: 'PENDING', clockStartedAt: null, expiresAt: null }),
      [flow({ maxDurationSeconds: HOUR })],
      inSales,
      NOW,
    );
    expect(v).toEqual({ outcome: 'cancel', reason: '2h asked; the longest allowed is now 1h' });
  });

  it('without the requester role, the grant ends and cancels the request', () => {
    const lost = { groupIds: ['g-sales'], roles: ['approver'] };
    expect(judgeOpenAccess(grant(), [flow()], lost, NOW)).toMatchObject({ outcome: 'end' });
    expect(judgeOpenAccess(grant({ status: 'PENDING' }), [flow()], lost, NOW)).toMatchObject({
      outcome: 'cancel',
      reason: 'you no longer have the requester role',
    });
  });

  it('a break-glass grant ends when no flow names the person for break-glass any more', () => {
    const bg = grant({ breakGlass: true });
    expect(judgeOpenAccess(bg, [flow({ breakGlassUserIds: ['alice'] })], inSales, NOW)).toEqual({
      outcome: 'keep',
    });
    expect(judgeOpenAccess(bg, [flow()], inSales, NOW)).toEqual({
      outcome: 'end',
      reason: 'you may no longer use break-glass for read on app.sales',
    });
  });

  it('leaves what is over alone', () => {
    for (const status of ['REVOKING', 'REVOKED', 'DENIED', 'CANCELLED'])
      expect(judgeOpenAccess(grant({ status }), [], nowhere, NOW)).toEqual({ outcome: 'keep' });
  });
});
