import type { FlowRules } from '../access-flows/access-flow.policy';
import type { AccessFlowsService } from '../access-flows/access-flows.service';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { AccessRequestRepository } from '../access-requests/access-request.repository';
import type { CatalogService } from '../catalog/catalog.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import type { IdentityService } from '../identity/identity.service';
import { RequestJudgeService, type NewAsk } from './request-judge.service';

const step = {
  approvers: { userIds: ['bob'], groupIds: [], integrationOwners: false, resourceOwners: false },
  quorum: 1,
  timeoutSeconds: null,
  onTimeout: 'deny' as const,
  fallback: null,
};

const flow = (over: Partial<FlowRules> = {}): FlowRules => ({
  id: 'f1',
  version: 1,
  name: 'analytics',
  integrationId: 'i1',
  requestorUserIds: ['alice'],
  requestorGroupIds: [],
  resources: [{ database: 'app', schema: 'public', ownerIds: [] }],
  permissions: ['read', 'write'],
  steps: [step],
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

const alice = { id: 'alice', roles: [], channel: 'api' } as unknown as Actor;

const ask = (over: Partial<NewAsk> = {}): NewAsk => ({
  integrationId: 'i1',
  database: 'app',
  schema: 'public',
  permission: 'read',
  durationSeconds: null,
  justification: null,
  ...over,
});

/** Our repository, in memory: the requests the person already holds. */
class FakeRequests {
  held: AccessRequestEntity[] = [];
  async grantedOrGranting(q: {
    requesterId: string;
    integrationId: string;
    database: string;
    schema: string;
    permission: string;
  }): Promise<AccessRequestEntity | null> {
    return (
      this.held.find(
        (r) =>
          r.requesterId === q.requesterId &&
          r.integrationId === q.integrationId &&
          r.database === q.database &&
          r.schema === q.schema &&
          r.permission === q.permission &&
          ['APPROVED', 'GRANTING', 'ACTIVE'].includes(r.status),
      ) ?? null
    );
  }
}

function judgeWith(flows: FlowRules[], opts: { grantable?: boolean } = {}) {
  const requests = new FakeRequests();
  const judged: string[] = [];
  const service = new RequestJudgeService(
    { forIntegration: async () => flows } as unknown as AccessFlowsService,
    { groupIdsOf: async () => [] } as unknown as IdentityService,
    {
      assertGrantable: async (_i: string, a: { schema: string }) => {
        judged.push(a.schema);
        if (opts.grantable === false) throw DomainError.validation('the admin cannot grant it');
      },
    } as unknown as CatalogService,
    requests as unknown as AccessRequestRepository,
  );
  return { service, requests, judged };
}

const refusal = async (p: Promise<unknown>): Promise<DomainError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('RequestJudgeService', () => {
  const now = new Date('2026-03-02T10:00:00Z');

  it('waits for approval under a flow with steps, with the flow default duration', async () => {
    const { service } = judgeWith([flow()]);
    const j = await service.judge(alice, ask(), now);
    expect(j.opening).toBe('pending');
    expect(j.flow.id).toBe('f1');
    expect(j.ask).toEqual({
      requesterId: 'alice',
      integrationId: 'i1',
      database: 'app',
      schema: 'public',
      permission: 'read',
      durationSeconds: 3600,
      justification: null,
    });
  });

  it('opens approved when the flow auto-approves the ask', async () => {
    const { service } = judgeWith([
      flow({ autoApprove: { permissions: ['read'], maxDurationSeconds: null, window: null } }),
    ]);
    expect((await service.judge(alice, ask(), now)).opening).toBe('auto');
  });

  it('refuses an ask an auto-only flow does not cover, with why', async () => {
    const { service } = judgeWith([
      flow({
        steps: [],
        autoApprove: { permissions: ['read'], maxDurationSeconds: null, window: null },
      }),
    ]);
    const e = await refusal(service.judge(alice, ask({ permission: 'write' }), now));
    expect(e.code).toBe(ErrorCode.Forbidden);
    expect(e.message).toMatch(/only auto-approves, and auto-approval covers only read/);
  });

  it('takes break-glass only under a flow that names the requester for it', async () => {
    const { service } = judgeWith([flow()]);
    const e = await refusal(service.judge(alice, ask({ breakGlass: true }), now));
    expect(e.message).toMatch(/^break-glass refused: /);
    const named = judgeWith([flow({ breakGlassUserIds: ['alice'] })]).service;
    expect((await named.judge(alice, ask({ breakGlass: true }), now)).opening).toBe('break-glass');
  });

  it('refuses what the admin cannot grant before anyone is asked', async () => {
    const { service, judged } = judgeWith([flow()], { grantable: false });
    const e = await refusal(service.judge(alice, ask(), now));
    expect(e.code).toBe(ErrorCode.Validation);
    expect(judged).toEqual(['public']);
  });

  it('offers to extend access the requester already holds instead of a second grant', async () => {
    const { service, requests } = judgeWith([flow()]);
    requests.held.push({
      id: 'g1',
      requesterId: 'alice',
      integrationId: 'i1',
      database: 'app',
      schema: 'public',
      permission: 'read',
      status: 'ACTIVE',
      expiresAt: new Date('2026-03-02T11:00:00Z'),
    } as AccessRequestEntity);
    const e = await refusal(service.judge(alice, ask(), now));
    expect(e.code).toBe(ErrorCode.Conflict);
    expect(e.message).toMatch(/already have read on .* until 2026-03-02T11:00:00.000Z; extend it/);
    expect(e.details).toEqual({ requestId: 'g1', offer: 'extend' });
    // Another permission on the same resource is a request of its own.
    expect((await service.judge(alice, ask({ permission: 'write' }), now)).opening).toBe('pending');
  });
});
