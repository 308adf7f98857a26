import {
  judgeRequest,
  mayCancel,
  mayCloseReview,
  mayExtend,
  mayRevoke,
  type FlowRules,
  type RequestAsk,
} from './access-flow.policy';

const flow = (over: Partial<FlowRules> = {}): FlowRules => ({
  id: 'f1',
  version: 1,
  name: 'analytics',
  integrationId: 'i1',
  requestorUserIds: ['alice'],
  requestorGroupIds: ['eng'],
  resources: [{ database: 'app', schema: 'public', ownerIds: [] }],
  permissions: ['read', 'write'],
  steps: [],
  autoApprove: null,
  allowSelfApproval: false,
  defaultDurationSeconds: 3600,
  maxDurationSeconds: 7200,
  justificationRequired: false,
  pendingTtlSeconds: 86400,
  extensions: { maxCount: 2, maxDurationSeconds: 1800, auto: false },
  breakGlassUserIds: [],
  ...over,
});

const ask = (over: Partial<RequestAsk> = {}): RequestAsk => ({
  requesterId: 'alice',
  requesterGroupIds: [],
  integrationId: 'i1',
  database: 'app',
  schema: 'public',
  permission: 'read',
  durationSeconds: null,
  justification: null,
  ...over,
});

describe('judgeRequest', () => {
  it('accepts a listed requestor with the default duration', () => {
    expect(judgeRequest([flow()], ask())).toEqual({
      ok: true,
      flow: flow(),
      durationSeconds: 3600,
    });
  });

  it('accepts a member of a requestor group', () => {
    expect(
      judgeRequest([flow()], ask({ requesterId: 'dave', requesterGroupIds: ['eng'] })).ok,
    ).toBe(true);
  });

  it('refuses someone who is not a requestor', () => {
    const d = judgeRequest([flow()], ask({ requesterId: 'mallory' }));
    expect(d).toMatchObject({ ok: false, kind: 'forbidden' });
  });

  it.each([
    ['another schema', { schema: 'billing' }],
    ['another database', { database: 'other' }],
    ['a permission the flow lacks', { permission: 'admin' as const }],
    ['another integration', { integrationId: 'i2' }],
  ])('refuses %s', (_name, over) => {
    expect(judgeRequest([flow()], ask(over))).toMatchObject({ ok: false, kind: 'forbidden' });
  });

  it('refuses a duration over the maximum and says the maximum', () => {
    const d = judgeRequest([flow()], ask({ durationSeconds: 3 * 3600 }));
    expect(d).toEqual({
      ok: false,
      kind: 'invalid',
      reason: 'duration 3h exceeds the maximum of 2h set by flow "analytics"',
    });
  });

  it('accepts exactly the maximum', () => {
    expect(judgeRequest([flow()], ask({ durationSeconds: 7200 })).ok).toBe(true);
  });

  it('requires a justification when the flow says so', () => {
    const f = flow({ justificationRequired: true });
    expect(judgeRequest([f], ask({ justification: '   ' }))).toMatchObject({
      ok: false,
      kind: 'invalid',
    });
    expect(judgeRequest([f], ask({ justification: 'incident 42' })).ok).toBe(true);
  });

  it('picks the flow allowing the longest access among those that fit', () => {
    const short = flow({ id: 'short', maxDurationSeconds: 600, defaultDurationSeconds: 600 });
    const long = flow({ id: 'long', maxDurationSeconds: 86400 });
    const d = judgeRequest([short, long], ask({ durationSeconds: 7200 }));
    expect(d.ok && d.flow.id).toBe('long');
  });
});

describe('who revokes and cancels', () => {
  it.each([
    ['the requester', { id: 'alice', roles: [] }, true],
    ['an approver', { id: 'bob', roles: [] }, true],
    ['security', { id: 'sec', roles: ['security'] }, true],
    ['an admin', { id: 'adm', roles: ['admin'] }, true],
    ['anyone else', { id: 'mallory', roles: ['requester', 'auditor'] }, false],
  ])('%s may revoke: %s', (_n, actor, ok) => {
    expect(mayRevoke(['bob', 'carol'], 'alice', actor).ok).toBe(ok);
  });
  it.each([
    ['security', ['security'], true],
    ['an admin', ['admin'], true],
    ['an approver', ['approver'], false],
    ['an auditor', ['auditor'], false],
    ['a requester', ['requester'], false],
  ])('%s may close a break-glass review: %s', (_n, roles, ok) => {
    expect(mayCloseReview({ roles }).ok).toBe(ok);
  });
  it('only the requester cancels', () => {
    expect(mayCancel('alice', 'alice').ok).toBe(true);
    expect(mayCancel('alice', 'bob').ok).toBe(false);
  });
});

describe('extensions', () => {
  const active = { status: 'ACTIVE', extensionCount: 0, durationSeconds: 600 };
  it('allows an extension within the count and length', () => {
    expect(mayExtend(flow(), active)).toEqual({ ok: true });
  });
  it('refuses beyond the flow’s count', () => {
    expect(mayExtend(flow(), { ...active, extensionCount: 2 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('2 time(s)'),
    });
  });
  it('refuses a longer extension than allowed', () => {
    expect(mayExtend(flow(), { ...active, durationSeconds: 3600 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('30m'),
    });
  });
  it('refuses when the flow allows none, or the access is not active', () => {
    expect(
      mayExtend(flow({ extensions: { maxCount: 0, maxDurationSeconds: 0, auto: false } }), active)
        .ok,
    ).toBe(false);
    expect(mayExtend(flow(), { ...active, status: 'REVOKED' }).ok).toBe(false);
  });
});
