import { Injectable } from '@nestjs/common';
import type { FlowRules } from '../access-flows/access-flow.policy';
import { authenticationFacts } from '../access-flows/step-up.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { transition } from '../access-requests/request-state';
import { nextStatus } from '../access-requests/request-transitions';
import type { AuditAction } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { ExtensionsService } from '../grants/extensions.service';
import { GrantSyncService } from '../grants/grant-sync.service';
import type { Actor } from '../identity/actor';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { ApprovalRepository, type DecisionChanges, type NewApproval } from './approval.repository';
import { ApprovalTimersService } from './approval-timers.service';

/** How a request was approved, as its audit trail names it. */
export type ApprovedBy = Extract<AuditAction, 'request.approved' | 'request.auto_approved'>;

/**
 * What a decision does to its request, in the ambient transaction of the decision: a denial
 * ends it; a step approved moves it to the next step (with that step's timeout); the last
 * quorum met — or an automatic or break-glass opening — grants it, or applies the extension.
 */
@Injectable()
export class ApprovalOutcomeService {
  constructor(
    private readonly approvals: ApprovalRepository,
    private readonly requests: AccessRequestRepository,
    private readonly grantSync: GrantSyncService,
    private readonly extensions: ExtensionsService,
    private readonly audit: AuditService,
    private readonly timers: ApprovalTimersService,
  ) {}

  async denied(
    req: AccessRequestEntity,
    actor: Actor,
    approval: NewApproval,
    now: Date,
  ): Promise<void> {
    await this.approvals.insertDeciding(approval, {
      status: nextStatus(req, 'deny'),
      decidedBy: actor.id,
      decidedAt: now,
      statusReason: approval.reason,
      endedAt: now,
    });
    await this.audit.record({
      action: 'request.denied',
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      details: {
        step: approval.step + 1,
        ...(approval.reason ? { reason: approval.reason } : {}),
        ...authenticationFacts(actor.authentication),
      },
    });
  }

  /** A step's approval that did not decide the request; `next` is the step it waits on now. */
  async stepApproved(
    req: AccessRequestEntity,
    actor: Actor,
    approval: NewApproval,
    flow: FlowRules,
    next: { currentStep: number; advanced: boolean },
    now: Date,
  ): Promise<void> {
    await this.approvals.insert(approval);
    await this.audit.record({
      action: 'request.step_approved',
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      details: {
        step: approval.step + 1,
        nextStep: next.currentStep + 1,
        advanced: next.advanced,
        ...authenticationFacts(actor.authentication),
      },
    });
    if (!next.advanced) return;
    await this.requests.update(req.id, {
      currentStep: next.currentStep,
      stepStartedAt: now,
      escalated: false,
    });
    await this.timers.scheduleStepTimeout({ ...req, currentStep: next.currentStep }, flow, now);
  }

  /**
   * Every step's quorum met (or auto/break-glass): grant it, or apply the extension.
   * `approval`: the person's approval that met the last quorum, written with the decision.
   */
  async approved(
    req: AccessRequestEntity,
    actor: Actor | null,
    action: ApprovedBy,
    now: Date,
    by: { step?: number; integration?: IntegrationEntity; approval?: NewApproval } = {},
  ): Promise<void> {
    const approved = nextStatus(req, 'approve');
    // APPROVED → GRANTING at once for a grant: one UPDATE for both transitions.
    await this.decide(req.id, by.approval, {
      status: req.kind === 'extension' ? approved : transition(approved, 'startGranting'),
      decidedBy: actor?.id ?? null,
      decidedAt: now,
      ...(req.kind === 'extension' ? {} : { syncGeneration: null }),
    });
    const decided = {
      action,
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      // A person's approval records how they had signed in (when, how strongly).
      details: {
        ...(by.step === undefined ? {} : { step: by.step + 1 }),
        ...(by.approval ? authenticationFacts(actor?.authentication) : {}),
      },
    };
    if (req.kind === 'extension') {
      await this.audit.record(decided);
      await this.extensions.apply({ ...req, status: approved }, actor, now);
      return;
    }
    const generation = await this.grantSync.schedule(req.integrationId, req.requesterId, {
      correlationId: req.id,
      integration: by.integration,
    });
    // Both events in one INSERT, in this order.
    await this.audit.recordMany([
      decided,
      {
        action: 'grant.requested',
        actor,
        requestId: req.id,
        integrationId: req.integrationId,
        details: { generation },
      },
    ]);
  }

  /** The decision, with the person's approval when one decided it (one round trip). */
  private async decide(
    requestId: string,
    approval: NewApproval | undefined,
    set: DecisionChanges,
  ): Promise<void> {
    if (approval) await this.approvals.insertDeciding(approval, set);
    else await this.requests.update(requestId, set);
  }
}
