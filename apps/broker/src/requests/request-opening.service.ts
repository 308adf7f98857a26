import { Inject, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { isRoleResource } from '@doorman/contracts';
import type { FlowRules } from '../access-flows/access-flow.policy';
import { anyApprover } from '../access-flows/approval.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { ApprovalOutcomeService } from '../approvals/approval-outcome.service';
import { ApprovalTimersService } from '../approvals/approval-timers.service';
import { ApproversService } from '../approvals/approvers.service';
import { DecisionBatch, type BatchedItem } from '../approvals/decision-batch';
import { DecisionBatchRepository } from '../approvals/decision-batch.repository';
import { AuditService } from '../audit/audit.service';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import type { IntegrationEntity } from '../integrations/integration.entity';

/** How a new request starts: waiting for approval, approved by its flow, or break-glass. */
export type Opening = 'pending' | 'auto' | 'break-glass';

/** What the requester asked for, as judged (the duration is the flow's when none was given). */
export type Ask = Pick<
  AccessRequestEntity,
  | 'requesterId'
  | 'integrationId'
  | 'database'
  | 'schema'
  | 'permission'
  | 'durationSeconds'
  | 'justification'
>;

export interface OpenInput {
  actor: Actor;
  integration: IntegrationEntity;
  flow: FlowRules;
  ask: Ask;
  opening: Opening;
  /** The grant an extension extends; null for a new access. */
  extendsRequestId: string | null;
  now: Date;
}

/** One opening as the group commit carries it: about no request yet, so nothing to lock. */
interface OpenCall extends BatchedItem {
  input: OpenInput;
  approverIds: string[];
}

/**
 * Opens a judged request (a new access or an extension) in one transaction: the row, its
 * audit event, then its approval timers — or, opened approved, its grant at once. Openings
 * that arrive together may share one commit (DECISION_GROUP_COMMIT; see DecisionBatch).
 */
@Injectable()
export class RequestOpeningService {
  readonly groupCommit: DecisionBatch<OpenCall, string>;

  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly approvers: ApproversService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
    private readonly timers: ApprovalTimersService,
    private readonly outcome: ApprovalOutcomeService,
    private readonly batchLocks: DecisionBatchRepository,
    @Inject(BROKER_CONFIG) config: Pick<BrokerConfig, 'DECISION_GROUP_COMMIT'>,
  ) {
    this.groupCommit = new DecisionBatch<OpenCall, string>(
      {
        // Each requester held first, in one order for every batch (an advisory lock, so the
        // person's row and then their database user are still locked in the order a lone opening
        // and deactivation take them).
        lockAll: (_none, calls) =>
          this.batchLocks.lockPeople(
            calls.map(({ input }) => ({
              integrationId: input.integration.id,
              personId: input.ask.requesterId,
            })),
          ),
        decideOne: ({ input, approverIds }) => this.openNow(input, approverIds),
      },
      config.DECISION_GROUP_COMMIT,
    );
  }

  /** Returns the new request's id once committed. */
  async open(input: OpenInput): Promise<string> {
    const ctx = await this.approvers.contextFor(input.flow, input.integration, input.ask);
    return this.groupCommit.add({ input, approverIds: anyApprover(input.flow.steps, ctx) });
  }

  @Transactional()
  private async openNow(input: OpenInput, approverIds: string[]): Promise<string> {
    const { actor, integration, flow, ask, opening, extendsRequestId, now } = input;
    // Held until commit: a deactivation either comes first (refused here) or sees this row.
    await this.identity.assertActive(ask.requesterId);
    const row = await this.requests.insert({
      ...ask,
      justification: ask.justification?.trim() || null,
      flowId: flow.id,
      flowVersion: flow.version,
      flowName: flow.name,
      status: 'PENDING',
      kind: extendsRequestId ? 'extension' : 'access',
      extendsRequestId,
      approverIds,
      currentStep: 0,
      stepStartedAt: now,
      pendingExpiresAt: new Date(now.getTime() + flow.pendingTtlSeconds * 1000),
      breakGlass: opening === 'break-glass',
      reviewStatus: opening === 'break-glass' ? 'open' : null,
      // An extension adds to a running clock: only a new access waits for its first login.
      firstLoginWaitSeconds:
        !extendsRequestId && flow.durationStartsAt === 'firstLogin'
          ? (flow.maxWaitForFirstLoginSeconds ?? null)
          : null,
    });
    await this.audit.record({
      action: extendsRequestId ? 'extension.requested' : 'request.created',
      actor,
      requestId: row.id,
      integrationId: row.integrationId,
      details: {
        flowId: flow.id,
        flowVersion: flow.version,
        database: row.database,
        schema: row.schema,
        permission: row.permission,
        // An existing role is named as such in the audit trail.
        ...(isRoleResource(row) ? { role: row.schema } : {}),
        durationSeconds: row.durationSeconds,
        justification: row.justification,
        approvers: row.approverIds,
        extends: extendsRequestId,
        breakGlass: row.breakGlass,
      },
    });
    if (opening === 'pending') {
      await this.timers.scheduleOpening(row, flow, now);
      return row.id;
    }
    if (opening === 'break-glass') {
      await this.audit.record({
        action: 'request.break_glass',
        actor,
        requestId: row.id,
        integrationId: row.integrationId,
        // Owners and security are told (Slack listens to this event); security must close the review.
        details: {
          notify: { integrationOwners: integration.ownerIds, roles: ['security'] },
          review: 'open',
        },
      });
    }
    await this.outcome.approved(
      row,
      actor,
      opening === 'auto' ? 'request.auto_approved' : 'request.approved',
      now,
      { integration },
    );
    return row.id;
  }
}
