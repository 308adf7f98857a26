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
