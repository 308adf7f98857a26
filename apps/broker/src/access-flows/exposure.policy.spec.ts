import type { StepRule } from './approval.policy';
import { flowExposure, requestorPeople } from './exposure.policy';
import type { FlowDefinition } from './flow-definition';

const step: StepRule = {
  approvers: { userIds: ['lead'], groupIds: [], integrationOwners: false, resourceOwners: false },
  quorum: 1,
  timeoutSeconds: null,
  onTimeout: 'deny',
  fallback: null,
};

const flow = (over: Partial<FlowDefinition> = {}): FlowDefinition => ({
  name: 'orders',
  integrationId: 'i1',
  requestorUserIds: ['alice'],
  requestorGroupIds: [],
  resources: [{ database: 'shop', schema: 'public', ownerIds: [] }],
  permissions: ['read'],
  steps: [step, step],
  autoApprove: null,
  allowSelfApproval: false,
  defaultDurationSeconds: 3600,
  maxDurationSeconds: 4 * 3600,
  justificationRequired: false,
  pendingTtlSeconds: 86400,
  extensions: { maxCount: 0, maxDurationSeconds: 4 * 3600, auto: false },
  breakGlassUserIds: [],
  ...over,
});

const people = (...ids: string[]) => new Set(ids);

describe('flowExposure', () => {
  it('a new flow adds everyone it names, for each resource and level, with its approval', () => {
    const after = flow({
      autoApprove: { permissions: null, maxDurationSeconds: null, window: null },
    });
    expect(
      flowExposure({ before: null, after, peopleBefore: people(), peopleAfter: people('a', 'b') }),
    ).toEqual([
      {
        flow: 'orders',
        change: 'opens',
        people: 2,
        resource: 'shop.public',
        permission: 'read',
        approval: 'none',
        message: 'adds 2 people who may reach shop.public read without approval',
      },
    ]);
  });

  it('an unchanged flow with the same people opens and closes nothing', () => {
    expect(
      flowExposure({
        before: flow(),
        after: flow(),
        peopleBefore: people('a'),
        peopleAfter: people('a'),
      }),
    ).toEqual([]);
  });

  it('counts only the people added and removed, and says the approval they meet', () => {
    const out = flowExposure({
      before: flow(),
      after: flow(),
      peopleBefore: people('a', 'b', 'c'),
      peopleAfter: people('a', 'd'),
    });
    expect(out.map((e) => [e.change, e.people, e.message])).toEqual([
      ['opens', 1, 'adds 1 person who may reach shop.public read after 2 steps of approval'],
      ['closes', 2, 'removes 2 people who may reach shop.public read'],
    ]);
  });

  it('says when approval drops from 2 steps to none, only for the levels auto-approval covers', () => {
    const after = flow({
      permissions: ['read', 'write'],
      autoApprove: { permissions: ['read'], maxDurationSeconds: null, window: null },
    });
    const out = flowExposure({
      before: flow({ permissions: ['read', 'write'] }),
      after,
      peopleBefore: people('a'),
      peopleAfter: people('a'),
    });
    expect(out).toEqual([
      expect.objectContaining({
        change: 'opens',
        permission: 'read',
        approval: 'none',
        message: 'approval of shop.public read drops from 2 steps to none',
      }),
    ]);
  });

  it('a level or resource taken away closes it for everyone who had it; a longer grant opens', () => {
    const out = flowExposure({
      before: flow({ permissions: ['read', 'write'] }),
      after: flow({ steps: [step, step, step], maxDurationSeconds: 8 * 3600 }),
      peopleBefore: people('a', 'b'),
      peopleAfter: people('a', 'b'),
    });
    expect(out.map((e) => [e.change, e.message])).toEqual([
      ['closes', 'approval of shop.public read rises from 2 steps to 3 steps'],
      ['closes', 'removes 2 people who may reach shop.public write'],
      ['opens', 'longest grant grows from 4h to 8h'],
    ]);
  });

  it('names roles and everything, each only at the levels they are offered at', () => {
    const after = flow({
      resources: [
        { database: '*', schema: 'pg_monitor', ownerIds: [] },
        { database: '*', schema: '*', ownerIds: [] },
      ],
      permissions: ['read', 'member'],
    });
    const out = flowExposure({
      before: null,
      after,
      peopleBefore: people(),
      peopleAfter: people('a'),
    });
    expect(out.map((e) => `${e.resource} ${e.permission}`)).toEqual([
      'role pg_monitor member',
      'everything read',
    ]);
  });
});

describe('flowExposure: deactivated people, break-glass and extensions', () => {
  it('never counts deactivated people, among requestors or break-glass', () => {
    const out = flowExposure({
      before: null,
      after: flow({ breakGlassUserIds: ['a', 'gone'] }),
      peopleBefore: people(),
      peopleAfter: people('a', 'b', 'gone'),
      inactive: people('gone'),
    });
    expect(out.map((e) => [e.change, e.people, e.message])).toEqual([
      ['opens', 2, 'adds 2 people who may reach shop.public read after 2 steps of approval'],
      [
        'opens',
        1,
        'lets 1 person break glass: access to what the flow offers at once, without approval, reviewed afterwards',
      ],
    ]);
  });

  it('a deactivated person dropped from the requestors closes nothing (they reached nothing)', () => {
    expect(
      flowExposure({
        before: flow(),
        after: flow(),
        peopleBefore: people('a', 'gone'),
        peopleAfter: people('a'),
        inactive: people('gone'),
      }),
    ).toEqual([]);
  });

  it('lists break-glass given and taken', () => {
    const out = flowExposure({
      before: flow({ breakGlassUserIds: ['a'] }),
      after: flow({ breakGlassUserIds: ['b', 'c'] }),
      peopleBefore: people('a'),
      peopleAfter: people('a'),
    });
    expect(out.map((e) => [e.change, e.people, e.approval])).toEqual([
      ['opens', 2, 'none'],
      ['closes', 1, undefined],
    ]);
    expect(out[1].message).toBe('takes break-glass from 1 person');
  });

  it('lists extensions enabled, lengthened, made automatic, or taken away', () => {
    const ext = (maxCount: number, hours: number, auto = false) => ({
      maxCount,
      maxDurationSeconds: hours * 3600,
      auto,
    });
    const change = (from: ReturnType<typeof ext>, to: ReturnType<typeof ext>) =>
      flowExposure({
        before: flow({ extensions: from }),
        after: flow({ extensions: to }),
        peopleBefore: people('a', 'b'),
        peopleAfter: people('a', 'b'),
      }).map((e) => [e.change, e.people, e.message]);
    expect(change(ext(0, 4), ext(2, 1))).toEqual([
      ['opens', 2, 'extensions change from none to 2 of at most 1h'],
    ]);
    expect(change(ext(2, 1), ext(2, 3))).toEqual([
      ['opens', 2, 'extensions change from 2 of at most 1h to 2 of at most 3h'],
    ]);
    expect(change(ext(2, 1), ext(2, 1, true))).toEqual([
      ['opens', 2, 'extensions change from 2 of at most 1h to 2 of at most 1h, without approval'],
    ]);
    expect(change(ext(2, 1), ext(0, 1))).toEqual([
      ['closes', 2, 'extensions change from 2 of at most 1h to none'],
    ]);
    // The duration of extensions a flow does not allow is no change.
    expect(change(ext(0, 1), ext(0, 8))).toEqual([]);
  });

  it('a new flow says when it allows extensions, and nothing when it allows none', () => {
    const fresh = (extensions: FlowDefinition['extensions']) =>
      flowExposure({
        before: null,
        after: flow({ extensions }),
        peopleBefore: people(),
        peopleAfter: people('a'),
      })
        .filter((e) => e.message.startsWith('extensions'))
        .map((e) => e.message);
    expect(fresh({ maxCount: 1, maxDurationSeconds: 1800, auto: true })).toEqual([
      'extensions allowed: 1 of at most 30m, without approval',
    ]);
    expect(fresh({ maxCount: 0, maxDurationSeconds: 1800, auto: false })).toEqual([]);
  });
});

describe('requestorPeople', () => {
  it('is the users plus every member of the groups, each once', () => {
    const members: Record<string, string[]> = { eng: ['bob', 'alice'], ops: ['carl'] };
    expect(
      [
        ...requestorPeople(
          { requestorUserIds: ['alice'], requestorGroupIds: ['eng', 'ops', 'gone'] },
          (g) => members[g] ?? [],
        ),
      ].sort(),
    ).toEqual(['alice', 'bob', 'carl']);
  });
});
