import {
  chooseFlow,
  judgeRequest,
  matchedResource,
  resourceMatch,
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

  it('judges under the flow the rules choose, even if another would allow longer', () => {
    const short = flow({ id: 'short', maxDurationSeconds: 600, defaultDurationSeconds: 600 });
    const long = flow({ id: 'long', maxDurationSeconds: 86400, priority: -1 });
    expect(judgeRequest([short, long], ask({ durationSeconds: 7200 }))).toMatchObject({
      ok: false,
      kind: 'invalid',
      reason: expect.stringContaining('maximum of 10m'),
    });
    const picked = judgeRequest([short, { ...long, priority: 1 }], ask({ durationSeconds: 7200 }));
    expect(picked.ok && picked.flow.id).toBe('long');
  });
});

describe('resourceMatch and matchedResource', () => {
  const app = { database: 'app', schema: 'public' };
  it.each([
    ['the very schema', { database: 'app', schema: 'public' }, app, 'schema'],
    ['a whole database', { database: 'app', schema: '*' }, app, 'database'],
    ['another schema', { database: 'app', schema: 'sales' }, app, null],
    ['a whole other database', { database: 'dw', schema: '*' }, app, null],
    [
      'the very role',
      { database: '*', schema: 'pg_monitor' },
      { database: '*', schema: 'pg_monitor' },
      'schema',
    ],
    [
      'another role',
      { database: '*', schema: 'pg_signal' },
      { database: '*', schema: 'pg_monitor' },
      null,
    ],
    ['everything, asked', { database: '*', schema: '*' }, { database: '*', schema: '*' }, 'schema'],
    ['everything, for one schema', { database: '*', schema: '*' }, app, null],
    [
      'everything, for a role',
      { database: '*', schema: '*' },
      { database: '*', schema: 'pg_monitor' },
      null,
    ],
    [
      'a whole database, for everything',
      { database: 'app', schema: '*' },
      { database: '*', schema: '*' },
      null,
    ],
  ])('%s: %s', (_n, r, a, level) => {
    expect(resourceMatch(r, a)).toBe(level);
  });

  it("takes the closest of a flow's resources", () => {
    const wide = { database: 'app', schema: '*', ownerIds: ['dba'] };
    const exact = { database: 'app', schema: 'public', ownerIds: ['owner'] };
    expect(matchedResource({ resources: [wide, exact] }, app)).toEqual({
      resource: exact,
      level: 'schema',
    });
    expect(matchedResource({ resources: [exact, wide] }, app)).toEqual({
      resource: exact,
      level: 'schema',
    });
    expect(matchedResource({ resources: [wide] }, { database: 'app', schema: 'sales' })).toEqual({
      resource: wide,
      level: 'database',
    });
    expect(
      matchedResource({ resources: [exact] }, { database: 'app', schema: 'sales' }),
    ).toBeNull();
  });
});

describe('chooseFlow: which flow judges a request', () => {
  const wholeDb = (over: Partial<FlowRules> = {}) =>
    flow({ resources: [{ database: 'app', schema: '*', ownerIds: [] }], ...over });
  const ids = (c: ReturnType<typeof chooseFlow>) => (c.ok ? c.flow.id : c);

  it('takes the only flow that fits', () => {
    expect(ids(chooseFlow([flow()], ask()))).toBe('f1');
    expect(ids(chooseFlow([wholeDb()], ask({ schema: 'sales' })))).toBe('f1');
  });

  it('prefers the more specific resource match, whatever the priorities and the order', () => {
    const exact = flow({ id: 'exact', priority: -5 });
    const wide = wholeDb({ id: 'wide', priority: 100 });
    expect(ids(chooseFlow([wide, exact], ask()))).toBe('exact');
    expect(ids(chooseFlow([exact, wide], ask()))).toBe('exact');
    // Another schema of the database: only the database-wide flow covers it.
    expect(ids(chooseFlow([exact, wide], ask({ schema: 'sales' })))).toBe('wide');
  });

  it('then the higher priority, absent counting as 0', () => {
    const a = flow({ id: 'a', name: 'a' });
    const b = flow({ id: 'b', name: 'b', priority: 1 });
    const c = flow({ id: 'c', name: 'c', priority: -1 });
    expect(ids(chooseFlow([a, b, c], ask()))).toBe('b');
    expect(ids(chooseFlow([c, a], ask()))).toBe('a');
  });

  it('refuses a tie, naming every tied flow (and only those) to choose from', () => {
    const a = flow({ id: 'a', name: 'day', version: 3 });
    const b = flow({ id: 'b', name: 'quick', version: 1 });
    const low = flow({ id: 'low', name: 'low', priority: -1 });
    const wide = wholeDb({ id: 'wide', name: 'wide' });
    expect(chooseFlow([a, low, wide, b], ask())).toEqual({
      ok: false,
      kind: 'ambiguous',
      reason:
        'access flows "day" (a), "quick" (b) all offer read on app.public as closely and with the same priority: choose one with flowId',
      candidates: [
        { id: 'a', name: 'day', version: 3 },
        { id: 'b', name: 'quick', version: 1 },
      ],
    });
  });

  it('lets flowId pick among tied flows', () => {
    const a = flow({ id: 'a', name: 'day' });
    const b = flow({ id: 'b', name: 'quick' });
    expect(ids(chooseFlow([a, b], ask(), 'b'))).toBe('b');
    expect(ids(chooseFlow([a, b], ask(), 'a'))).toBe('a');
    expect(ids(chooseFlow([a], ask(), 'a'))).toBe('a');
  });

  it('never lets flowId pass over a more specific or higher-priority flow', () => {
    const exact = flow({ id: 'exact', name: 'exact' });
    const wide = wholeDb({ id: 'wide', name: 'wide', priority: 9 });
    expect(chooseFlow([exact, wide], ask(), 'wide')).toEqual({
      ok: false,
      kind: 'forbidden',
      reason:
        'flowId: flow "wide" does not judge this request; "exact" (exact) has a more specific resource match',
    });
    const high = flow({ id: 'high', name: 'high', priority: 2 });
    expect(chooseFlow([exact, high], ask(), 'exact')).toMatchObject({
      ok: false,
      kind: 'forbidden',
      reason: expect.stringContaining('"high" (high) has a higher priority'),
    });
  });

  it('refuses a flowId the person may not use for the resource', () => {
    const mine = flow({ id: 'mine' });
    const notMine = flow({ id: 'other', requestorUserIds: ['bob'], requestorGroupIds: [] });
    const elsewhere = flow({
      id: 'billing',
      resources: [{ database: 'app', schema: 'billing', ownerIds: [] }],
    });
    for (const id of ['other', 'billing', 'unknown'])
      expect(chooseFlow([mine, notMine, elsewhere], ask(), id)).toMatchObject({
        ok: false,
        kind: 'forbidden',
        reason: expect.stringContaining(`flowId: ${id} is not an access flow you may use`),
      });
  });

  it('leaves out flows the person may not use before ranking', () => {
    const exactNotMine = flow({ id: 'exact', requestorUserIds: ['bob'], requestorGroupIds: [] });
    const wide = wholeDb({ id: 'wide' });
    expect(ids(chooseFlow([exactNotMine, wide], ask()))).toBe('wide');
    const writeOnly = flow({ id: 'write', permissions: ['write'] });
    expect(ids(chooseFlow([writeOnly, wide], ask()))).toBe('wide');
  });

  it('says why when no flow fits', () => {
    expect(chooseFlow([flow()], ask({ schema: 'sales' }))).toMatchObject({
      ok: false,
      kind: 'forbidden',
      reason: expect.stringContaining('no access flow offers read on app.sales'),
    });
    expect(chooseFlow([flow()], ask({ requesterId: 'mallory' }))).toMatchObject({
      ok: false,
      kind: 'forbidden',
      reason: expect.stringContaining('not a requestor'),
    });
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
