import { TransactionHost } from '@nestjs-cls/transactional';
import type { FlowRules } from '../access-flows/access-flow.policy';
import type { AccessFlowsService } from '../access-flows/access-flows.service';
import type { StepRule } from '../access-flows/approval.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type {
  AccessRequestRepository,
  RequestChanges,
} from '../access-requests/access-request.repository';
import type { AuditInput, AuditService } from '../audit/audit.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { DatabaseUserRepository } from '../grants/database-user.repository';
import type { ExtensionsService } from '../grants/extensions.service';
import type { GrantSyncService } from '../grants/grant-sync.service';
import type { Actor } from '../identity/actor';
import type { IdentityService } from '../identity/identity.service';
import type { IntegrationsService } from '../integrations/integrations.service';
import type { OutboxJob, OutboxService } from '../outbox/outbox.service';
import { ApprovalDecisionsService } from './approval-decisions.service';
import type { ApprovalEntity } from './approval.entity';
import { ApprovalOutcomeService } from './approval-outcome.service';
import type { ApprovalRepository, DecisionChanges, NewApproval } from './approval.repository';
import { ApprovalTimersService } from './approval-timers.service';
import { ApproversService } from './approvers.service';
import type { DecisionBatchRepository } from './decision-batch.repository';

// The services' transactions run as plain calls here: the fakes below hold no connection.
new TransactionHost({
  wrapWithTransaction: (_options: unknown, fn: () => Promise<unknown>) => fn(),
  getFallbackInstance: () => null,
} as never);

const step = (userIds: string[], over: Partial<StepRule> = {}): StepRule => ({
  approvers: { userIds, groupIds: [], integrationOwners: false, resourceOwners: false },
  quorum: 1,
  timeoutSeconds: null,
  onTimeout: 'deny',
  fallback: null,
  ...over,
});

const FLOW: FlowRules = {
  id: 'f1',
  version: 1,
  name: 'analytics',
  integrationId: 'i1',
  requestorUserIds: ['alice'],
  requestorGroupIds: [],
  resources: [{ database: 'app', schema: 'public', ownerIds: [] }],
  permissions: ['read'],
  // Bob decides the first step, carol the second (which waits an hour at most).
  steps: [step(['bob']), step(['carol'], { timeoutSeconds: 3600 })],
  autoApprove: null,
  allowSelfApproval: false,
  defaultDurationSeconds: 3600,
  maxDurationSeconds: 7200,
  justificationRequired: false,
  pendingTtlSeconds: 86400,
  extensions: { maxCount: 2, maxDurationSeconds: 1800, auto: false },
  breakGlassUserIds: [],
};

const actor = (id: string) => ({ id, roles: [], channel: 'api' }) as unknown as Actor;
const now = new Date();

/** Our repositories, in memory: one table of requests, one of approvals. */
class FakeTables {
  requests = new Map<string, AccessRequestEntity>();
  approvals: NewApproval[] = [];

  readonly requestRepo = {
    findById: async (id: string) => this.requests.get(id) ?? null,
    lockForUpdate: async (id: string) => this.requests.get(id) ?? null,
    update: async (id: string, changes: RequestChanges) => {
      Object.assign(this.requests.get(id)!, changes);
    },
  };

  readonly approvalRepo = {
    ofRequest: async (requestId: string) =>
      this.approvals.filter((a) => a.requestId === requestId) as ApprovalEntity[],
    insert: async (a: NewApproval) => void this.approvals.push(a),
    insertDeciding: async (a: NewApproval, set: DecisionChanges) => {
      this.approvals.push(a);
      Object.assign(this.requests.get(a.requestId)!, set);
    },
  };
}

function world() {
  const t = new FakeTables();
  t.requests.set('r1', {
    id: 'r1',
    requesterId: 'alice',
    integrationId: 'i1',
    flowId: 'f1',
    flowVersion: 1,
    database: 'app',
    schema: 'public',
    permission: 'read',
    kind: 'access',
    status: 'PENDING',
    approverIds: ['bob', 'carol'],
    currentStep: 0,
    escalated: false,
    stepStartedAt: now,
    pendingExpiresAt: new Date(now.getTime() + 86400_000),
    decidedBy: null,
  } as unknown as AccessRequestEntity);
  const audits: AuditInput[] = [];
  const jobs: OutboxJob[] = [];
  const syncs: string[] = [];
  const audit = {
    record: async (a: AuditInput) => void audits.push(a),
    recordMany: async (as: readonly AuditInput[]) => void audits.push(...as),
  } as unknown as AuditService;
  const requests = t.requestRepo as unknown as AccessRequestRepository;
  const approvals = t.approvalRepo as unknown as ApprovalRepository;
  const approvers = new ApproversService(
    {
      getVersion: async () => structuredClone(FLOW),
      approverContext: async () => ({
        groupMembers: new Map(),
        integrationOwnerIds: [],
        resourceOwnerIds: [],
      }),
    } as unknown as AccessFlowsService,
    { get: async (id: string) => ({ id, ownerIds: [] }) } as unknown as IntegrationsService,
    approvals,
    // Everyone named holds the approver role here.
    {
      findByIds: async (ids: string[]) => ids.map((id) => ({ id, roles: ['approver'] })),
    } as unknown as IdentityService,
  );
  const timers = new ApprovalTimersService(requests, approvers, audit, {
    add: async (j: OutboxJob) => void jobs.push(j),
  } as unknown as OutboxService);
  const outcome = new ApprovalOutcomeService(
    approvals,
    requests,
    {
      schedule: async (integrationId: string, personId: string) => {
        syncs.push(`${integrationId}/${personId}`);
        return syncs.length;
      },
    } as unknown as GrantSyncService,
    {} as ExtensionsService,
    audit,
    timers,
  );
  const decisions = new ApprovalDecisionsService(
    requests,
    approvers,
    {
      getUser: async (id: string) => ({ id, email: `${id}@example.com` }),
    } as unknown as IdentityService,
    audit,
    timers,
    outcome,
    { lockPairs: async () => [] } as unknown as DatabaseUserRepository,
    { lockPeople: async () => undefined } as unknown as DecisionBatchRepository,
    { DECISION_GROUP_COMMIT: false },
  );
  return { t, decisions, audits, jobs, syncs, req: t.requests.get('r1')! };
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

describe('ApprovalDecisionsService', () => {
  it('moves through the steps in order, then grants: one sync, the trail in order', async () => {
    const { decisions, audits, jobs, syncs, req, t } = world();
    await decisions.approve(actor('bob'), 'r1');
    expect(req).toMatchObject({ status: 'PENDING', currentStep: 1, escalated: false });
    // The second step's timeout, counted from now.
    expect(jobs.map((j) => j.job)).toEqual([{ kind: 'step-timeout', requestId: 'r1', step: 1 }]);
    expect(syncs).toEqual([]);

    await decisions.approve(actor('carol'), 'r1');
    expect(req).toMatchObject({ status: 'GRANTING', decidedBy: 'carol', syncGeneration: null });
    expect(syncs).toEqual(['i1/alice']);
    expect(t.approvals.map((a) => [a.step, a.approverId, a.decision])).toEqual([
      [0, 'bob', 'approve'],
      [1, 'carol', 'approve'],
    ]);
    expect(audits.map((a) => a.action)).toEqual([
      'request.step_approved',
      'request.approved',
      'grant.requested',
    ]);
  });

  it('lets only the current step decide, and keeps the refused attempt', async () => {
    const { decisions, audits, req } = world();
    const e = await refusal(decisions.approve(actor('carol'), 'r1'));
    expect(e.code).toBe(ErrorCode.Forbidden);
    expect(e.message).toBe('you are not an approver of step 1 of this access flow');
    expect(req.status).toBe('PENDING');
    expect(audits).toEqual([
      expect.objectContaining({
        action: 'decision.refused',
        requestId: 'r1',
        details: { decision: 'approve', reason: e.message },
      }),
    ]);
  });

  it('refuses the requester their own request', async () => {
    const { decisions } = world();
    const e = await refusal(decisions.approve(actor('alice'), 'r1'));
    expect(e.message).toBe('you cannot approve or deny your own request');
  });

  it('denies at once, with the reason, ending the request', async () => {
    const { decisions, req, syncs } = world();
    await decisions.deny(actor('bob'), 'r1', 'not this quarter');
    expect(req).toMatchObject({
      status: 'DENIED',
      decidedBy: 'bob',
      statusReason: 'not this quarter',
    });
    expect(req.endedAt).toBeInstanceOf(Date);
    expect(syncs).toEqual([]);
  });

  it('applies a pending TTL that passed before the decision, then refuses it', async () => {
    const { decisions, req, audits } = world();
    req.pendingExpiresAt = new Date(now.getTime() - 1000);
    const e = await refusal(decisions.approve(actor('bob'), 'r1'));
    expect(e.code).toBe(ErrorCode.Conflict);
    expect(e.message).toMatch(/^cannot approve: the request expired undecided at /);
    expect(req.status).toBe('EXPIRED');
    expect(audits.map((a) => a.action)).toEqual(['request.expired']);
  });

  it('answers a decision on a decided request with who decided it', async () => {
    const { decisions } = world();
    await decisions.approve(actor('bob'), 'r1');
    await decisions.approve(actor('carol'), 'r1');
    const e = await refusal(decisions.deny(actor('bob'), 'r1'));
    expect(e.code).toBe(ErrorCode.IllegalTransition);
    expect(e.message).toBe(
      'cannot deny a request that is GRANTING (already approved by carol@example.com)',
    );
  });
});
