import {
  judgeRequest,
  mayCancel,
  mayDecide,
  mayRevoke,
  type FlowRules,
  type RequestAsk,
} from './access-flow.policy';

const flow = (over: Partial<FlowRules> = {}): FlowRules => ({
  id: 'f1',
  name: 'analytics',
  integrationId: 'i1',
  requestorUserIds: ['alice'],
  requestorGroupIds: ['eng'],
  resources: [{ database: 'app', schema: 'public' }],
  permissions: ['read', 'write'],
  approverUserIds: ['bob', 'carol'],
  defaultDurationSeconds: 3600,
  maxDurationSeconds: 7200,
  justificationRequired: false,
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

describe('who decides', () => {
  it('lets an approver decide', () =>
    expect(mayDecide(flow(), 'alice', 'bob')).toEqual({ ok: true }));
  it('never lets the requester approve their own request, even as an approver', () => {
    expect(mayDecide(flow({ approverUserIds: ['alice'] }), 'alice', 'alice').ok).toBe(false);
  });
  it('refuses a non-approver', () => expect(mayDecide(flow(), 'alice', 'mallory').ok).toBe(false));
});

describe('who revokes and cancels', () => {
  it.each([
    ['the requester', { id: 'alice', roles: [] }, true],
    ['an approver', { id: 'bob', roles: [] }, true],
    ['security', { id: 'sec', roles: ['security'] }, true],
    ['an admin', { id: 'adm', roles: ['admin'] }, true],
    ['anyone else', { id: 'mallory', roles: ['requester', 'auditor'] }, false],
  ])('%s may revoke: %s', (_n, actor, ok) => {
    expect(mayRevoke(flow(), 'alice', actor).ok).toBe(ok);
  });
  it('only the requester cancels', () => {
    expect(mayCancel('alice', 'alice').ok).toBe(true);
    expect(mayCancel('alice', 'bob').ok).toBe(false);
  });
});
