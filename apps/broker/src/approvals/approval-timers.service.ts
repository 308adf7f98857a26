import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { FlowRules } from '../access-flows/access-flow.policy';
import { dueStepTimeout } from '../access-flows/approval.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { lapsedEvent, type RequestStatus } from '../access-requests/request-state';
import { nextStatus } from '../access-requests/request-transitions';
import { AuditService } from '../audit/audit.service';
import type { RequestTimerJob } from '../outbox/broker-jobs';
import { OutboxService } from '../outbox/outbox.service';
import { ApproversService } from './approvers.service';

/**
 * The clocks of a pending request: each step's timeout (escalate to the step's fallback, or
 * deny — the flow says which) and the flow's pending TTL. Delayed jobs fire them; the sweeper
 * catches the ones whose jobs were lost, and a decision applies a passed one first.
 */
@Injectable()
export class ApprovalTimersService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly approvers: ApproversService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  /** The timers of a request that starts waiting for approval. */
  async scheduleOpening(
    req: Pick<AccessRequestEntity, 'id' | 'currentStep' | 'pendingExpiresAt'>,
    flow: FlowRules,
    now: Date,
  ): Promise<void> {
    await this.schedule('pending-expire', req.id, req.pendingExpiresAt!);
    await this.scheduleStepTimeout(req, flow, now);
  }

  /** The current step's timeout, counted from `from`, when the step has one. */
  async scheduleStepTimeout(
    req: Pick<AccessRequestEntity, 'id' | 'currentStep'>,
    flow: FlowRules,
    from: Date,
  ): Promise<void> {
    const step = flow.steps[req.currentStep];
    if (!step?.timeoutSeconds) return;
    await this.schedule(
      'step-timeout',
      req.id,
      new Date(from.getTime() + step.timeoutSeconds * 1000),
      req.currentStep,
    );
  }

  private async schedule(
    kind: RequestTimerJob['kind'],
    requestId: string,
    at: Date,
    step = 0,
  ): Promise<void> {
    await this.outbox.add({
      job: { kind, requestId, step },
      jobId: `${kind}-${requestId}-${step}-${at.getTime()}`,
      runAt: at,
    });
  }

  /** A step's timeout passed: escalate to its fallback approvers, or deny (the flow says which). */
  @Transactional()
  async stepTimedOut(requestId: string, step: number, now = new Date()): Promise<boolean> {
    const req = await this.requests.lockForUpdate(requestId);
    if (!req || req.status !== 'PENDING' || req.currentStep !== step || !req.stepStartedAt)
      return false;
    const flow = await this.approvers.flowOf(req);
    const due = dueStepTimeout(flow.steps[step], req, now);
    if (!due) return false;
    if (due.what === 'escalate') await this.escalate(req, flow);
    else await this.denyTimedOutStep(req, now);
    return true;
  }

  /** Nobody answered within the flow's pending TTL: the request expires. */
  @Transactional()
  async pendingExpired(requestId: string, now = new Date()): Promise<boolean> {
    const req = await this.requests.lockForUpdate(requestId);
    if (!req || lapsedEvent(req, now) !== 'expirePending') return false;
    await this.expirePending(req, now);
    return true;
  }

  /** The current step's approvers are joined by its fallback (the step timed out). */
  async escalate(req: AccessRequestEntity, flow: FlowRules): Promise<void> {
    await this.requests.update(req.id, { escalated: true });
    await this.audit.record({
      action: 'request.escalated',
      requestId: req.id,
      integrationId: req.integrationId,
      details: { step: req.currentStep + 1, fallback: flow.steps[req.currentStep]?.fallback },
    });
  }

  /** The current step timed out and its flow denies then. */
  async denyTimedOutStep(req: AccessRequestEntity, now: Date): Promise<RequestStatus> {
    const status = nextStatus(req, 'deny');
    await this.requests.update(req.id, {
      status,
      statusReason: `approval step ${req.currentStep + 1} timed out`,
      decidedAt: now,
      endedAt: now,
    });
    await this.audit.record({
      action: 'request.denied',
      requestId: req.id,
      integrationId: req.integrationId,
      details: { step: req.currentStep + 1, reason: 'timed out' },
    });
    return status;
  }

  async expirePending(req: AccessRequestEntity, now: Date): Promise<RequestStatus> {
    const status = nextStatus(req, 'expirePending');
    await this.requests.update(req.id, {
      status,
      statusReason: 'nobody decided before the pending time limit',
      endedAt: now,
    });
    await this.audit.record({
      action: 'request.expired',
      requestId: req.id,
      integrationId: req.integrationId,
    });
    return status;
  }

  /** Catches step timeouts and pending expiry whose timers were lost. */
  async sweepPending(now = new Date()): Promise<number> {
    let changed = 0;
    for (const id of await this.requests.pendingPastTtlIds(now, 500))
      if (await this.pendingExpired(id, now)) changed++;
    for (const r of await this.requests.waitingSteps(now, 500))
      if (await this.stepTimedOut(r.id, r.currentStep, now)) changed++;
    return changed;
  }
}
