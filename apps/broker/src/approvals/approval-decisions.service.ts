import { Inject, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { FlowRules } from '../access-flows/access-flow.policy';
import {
  deadlineBeforeDecision,
  evaluateApprovals,
  mayDecideStep,
} from '../access-flows/approval.policy';
import { assertStepUp } from '../access-flows/step-up.guard';
import { APPROVE_IN_CONSOLE } from '../access-flows/step-up.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import type { RequestStatus } from '../access-requests/request-state';
import { assertAllowed } from '../access-requests/request-transitions';
import { AuditService } from '../audit/audit.service';
import { DomainError, ErrorCode } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { DatabaseUserRepository } from '../grants/database-user.repository';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import type { ApprovalEntity } from './approval.entity';
import type { NewApproval } from './approval.repository';
import { ApprovalOutcomeService } from './approval-outcome.service';
import { ApprovalTimersService } from './approval-timers.service';
import { ApproversService } from './approvers.service';
import { DecisionBatch } from './decision-batch';
import { DecisionBatchRepository } from './decision-batch.repository';

type Decision = 'approve' | 'deny';

/** What a decision came to: the request as it left it, or the deadline that passed first. */
type Decided = { row: AccessRequestEntity } | { lapse: Lapse };

/** One call's decision, as the group commit carries it. */
interface DecisionCall {
  actor: Actor;
  requestId: string;
  decision: Decision;
  reason: string | undefined;
}

/** Why a decision can no longer be taken: a deadline passed first, and what it did. */
interface Lapse {
  status: RequestStatus;
  reason: string;
}

/**
 * A person approves or denies a pending request's current step, through any channel (REST,
 * Slack): who may decide, the step's quorum, deadlines that passed before the decision.
 */
@Injectable()
export class ApprovalDecisionsService {
  /** Decisions that arrive together are committed together (see DecisionBatch). */
  readonly groupCommit: DecisionBatch<DecisionCall, Decided>;

  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly approvers: ApproversService,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
    private readonly timers: ApprovalTimersService,
    private readonly outcome: ApprovalOutcomeService,
    private readonly databaseUsers: DatabaseUserRepository,
    private readonly batchLocks: DecisionBatchRepository,
    @Inject(BROKER_CONFIG) config: Pick<BrokerConfig, 'DECISION_GROUP_COMMIT'>,
  ) {
    this.groupCommit = new DecisionBatch(
      {
        lockAll: async (ids) => {
          const rows = await this.requests.lockMany(ids);
          // An approval that grants locks (or creates) its requester's database user: all of
          // them now, in one order, existing rows and those still to be created alike.
          const people = rows.map((r) => ({
            integrationId: r.integrationId,
            personId: r.requesterId,
          }));
          await this.batchLocks.lockPeople(people);
          await this.databaseUsers.lockPairs(people);
        },
        decideOne: async (d) => {
          const lapse = await this.decideNow(
            d.actor,
            d.requestId,
            d.decision,
            d.reason,
            new Date(),
          );
          // Read where the decision was taken: in a batch, the request as this decision left it.
          return lapse ? { lapse } : { row: await this.decided(d.requestId) };
        },
      },
      config.DECISION_GROUP_COMMIT,
    );
  }

  /** Who may decide the pending request's current step now (its fallback once escalated). */
  currentApproverIds(req: AccessRequestEntity): Promise<string[]> {
    return this.approvers.currentApproverIds(req);
  }

  approvalsOf(requestId: string): Promise<ApprovalEntity[]> {
    return this.approvers.approvalsOf(requestId);
  }

  /** Returns the request as the decision left it. */
  approve(actor: Actor, id: string): Promise<AccessRequestEntity> {
    return this.auditRefusal(actor, id, 'approve', () => this.decide(actor, id, 'approve'));
  }

  deny(actor: Actor, id: string, reason?: string): Promise<AccessRequestEntity> {
    return this.auditRefusal(actor, id, 'deny', () => this.decide(actor, id, 'deny', reason));
  }

  private async decided(id: string): Promise<AccessRequestEntity> {
    const row = await this.requests.findById(id);
    if (!row) throw DomainError.notFound('access request', id);
    return row;
  }

  /**
   * A refused decision (self-approval, not an approver, not this step's) is an attempt worth
   * keeping, whichever channel it came through. Recorded after the refused transaction rolled
   * back, so the refusal itself stays exactly what it was.
   */
  private async auditRefusal<T>(
    actor: Actor,
    id: string,
    decision: Decision,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof DomainError && e.code === ErrorCode.Forbidden) {
        const req = await this.requests.findById(id);
        if (req)
          await this.audit.record({
            action: 'decision.refused',
            actor,
            requestId: req.id,
            integrationId: req.integrationId,
            details: { decision, reason: e.message },
          });
      }
      throw e;
    }
  }

  private async decide(
    actor: Actor,
    id: string,
    decision: Decision,
    reason?: string,
  ): Promise<AccessRequestEntity> {
    // A deadline that passed is applied first and committed; the decision is then refused.
    const done = await this.groupCommit.add({ actor, requestId: id, decision, reason });
    if ('lapse' in done)
      throw new DomainError(ErrorCode.Conflict, `cannot ${decision}: ${done.lapse.reason}`, {
        status: done.lapse.status,
      });
    return done.row;
  }

  @Transactional()
  private async decideNow(
    actor: Actor,
    id: string,
    decision: Decision,
    reason: string | undefined,
    now: Date,
  ): Promise<Lapse | undefined> {
    const req = await this.requests.lockForUpdate(id);
    if (!req) throw DomainError.notFound('access request', id);
    // Who may decide at all comes before the request's state: others learn nothing from it.
    if (!req.approverIds.includes(actor.id)) {
      throw DomainError.forbidden(
        actor.id === req.requesterId
          ? 'you cannot approve or deny your own request'
          : 'you are not an approver of this access flow',
      );
    }
    if (req.status !== 'PENDING') await this.refuseDecided(req, decision);
    const flow = await this.approvers.flowOf(req);
    const lapse = await this.applyLapsedDeadlines(req, flow, now);
    if (lapse) return lapse;
    const integration = await this.approvers.integrationOf(req);
    const ctx = await this.approvers.contextFor(flow, integration, req);
    const given = (await this.approvers.approvalsOf(req.id)).map((x) => ({
      step: x.step,
      approverId: x.approverId,
      decision: x.decision,
    }));
    assertAllowed(mayDecideStep(flow.steps, req, given, actor.id, flow.allowSelfApproval, ctx));
    // Only an approval needs the step-up: a denial opens nothing.
    if (decision === 'approve')
      assertStepUp(flow.approverAuthentication, actor, now, 'approve', APPROVE_IN_CONSOLE);
    const step = req.currentStep;
    const approval: NewApproval = {
      requestId: req.id,
      step,
      approverId: actor.id,
      decision,
      reason: reason ?? null,
      channel: actor.channel,
    };
    // The outcome depends only on the approvals read under the request's lock and this one:
    // a decided request takes the approval's INSERT and its own UPDATE in one statement.
    const outcome = evaluateApprovals(flow.steps, req, [
      ...given,
      { step, approverId: actor.id, decision },
    ]);
    switch (outcome.outcome) {
      case 'denied':
        await this.outcome.denied(req, actor, approval, now);
        return undefined;
      case 'approved':
        await this.outcome.approved(req, actor, 'request.approved', now, {
          step,
          integration,
          approval,
        });
        return undefined;
      case 'pending':
        await this.outcome.stepApproved(req, actor, approval, flow, outcome, now);
        return undefined;
    }
  }

  /**
   * The timers' work, done now if they have not run: a step timeout that denies, the pending
   * TTL, whichever passed first; a step timeout that escalates widens who may decide (on `req`
   * too) and the decision is judged after it. Returns why a decision can no longer be taken.
   */
  private async applyLapsedDeadlines(
    req: AccessRequestEntity,
    flow: FlowRules,
    now: Date,
  ): Promise<Lapse | undefined> {
    const due = deadlineBeforeDecision(flow.steps[req.currentStep], req, now);
    switch (due?.what) {
      case undefined:
        return undefined;
      case 'escalate':
        await this.timers.escalate(req, flow);
        req.escalated = true;
        return undefined;
      case 'deny':
        return {
          status: await this.timers.denyTimedOutStep(req, now),
          reason: `approval step ${req.currentStep + 1} timed out at ${due.at.toISOString()} and the flow denies it then`,
        };
      case 'expire':
        return {
          status: await this.timers.expirePending(req, now),
          reason: `the request expired undecided at ${due.at.toISOString()} (the flow's pending time limit)`,
        };
    }
  }

  /** A clear answer to a decision on a request that is no longer pending ("already approved by X"). */
  private async refuseDecided(req: AccessRequestEntity, decision: Decision): Promise<never> {
    const by = req.decidedBy ? await this.identity.getUser(req.decidedBy).catch(() => null) : null;
    const verb: Partial<Record<RequestStatus, string>> = {
      APPROVED: 'approved',
      GRANTING: 'approved',
      ACTIVE: 'approved',
      DENIED: 'denied',
    };
    const done = verb[req.status];
    const what = done ? `already ${done}${by ? ` by ${by.email}` : ''}` : req.status;
    throw new DomainError(
      ErrorCode.IllegalTransition,
      `cannot ${decision} a request that is ${req.status} (${what})`,
      { status: req.status, decidedBy: req.decidedBy },
    );
  }
}
