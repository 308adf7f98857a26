import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { mayCancel } from '../access-flows/access-flow.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { assertAllowed, nextStatus } from '../access-requests/request-transitions';
import type { ApprovalEntity } from '../approvals/approval.entity';
import { ApprovalDecisionsService } from '../approvals/approval-decisions.service';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { BreakGlassReviewService } from '../grants/break-glass-review.service';
import { RevocationService, type RevokeAllOutcome } from '../grants/revocation.service';
import { hasAnyRole, type Actor } from '../identity/actor';
import { AUDIT_READERS } from '../identity/doorman-roles';
import { RequestIntakeService, type CreateRequestInput } from './request-intake.service';

export type { CreateRequestInput } from './request-intake.service';

/**
 * Access requests as every channel (REST, Slack, deactivation) sees them: reading them with
 * their visibility rules, cancelling one, and the one entry to each use case — intake,
 * approvals, the grant lifecycle — which answers with the request as it now stands.
 */
@Injectable()
export class RequestsService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly intake: RequestIntakeService,
    private readonly decisions: ApprovalDecisionsService,
    private readonly revocation: RevocationService,
    private readonly reviews: BreakGlassReviewService,
    private readonly audit: AuditService,
  ) {}

  async get(id: string): Promise<AccessRequestEntity> {
    const row = await this.requests.findById(id);
    if (!row) throw DomainError.notFound('access request', id);
    return row;
  }

  /** The requester, the flow's approvers and audit readers may see a request. */
  async getVisible(actor: Actor, id: string): Promise<AccessRequestEntity> {
    const row = await this.get(id);
    if (
      row.requesterId === actor.id ||
      row.approverIds.includes(actor.id) ||
      hasAnyRole(actor, AUDIT_READERS)
    )
      return row;
    throw DomainError.forbidden('you may not see this request');
  }

  /** Everyone but audit readers sees their own requests and those they may decide. */
  list(
    actor: Actor,
    filter: { mine: boolean; status?: string; limit: number },
  ): Promise<AccessRequestEntity[]> {
    return this.requests.list({
      ...filter,
      viewerId: actor.id,
      seesAll: hasAnyRole(actor, AUDIT_READERS),
    });
  }

  /** A person's requests that are not over yet (deactivation ends them). */
  openRequestsOf(requesterId: string): Promise<AccessRequestEntity[]> {
    return this.requests.openOf(requesterId);
  }

  async create(actor: Actor, input: CreateRequestInput, now = new Date()) {
    return this.get(await this.intake.create(actor, input, now));
  }

  async extend(actor: Actor, id: string, duration: string, justification?: string) {
    return this.get(await this.intake.extend(actor, id, duration, justification));
  }

  approve(actor: Actor, id: string): Promise<AccessRequestEntity> {
    return this.decisions.approve(actor, id);
  }

  deny(actor: Actor, id: string, reason?: string): Promise<AccessRequestEntity> {
    return this.decisions.deny(actor, id, reason);
  }

  /** Who may decide the pending request's current step now: whom to ask. */
  currentApproverIds(req: AccessRequestEntity): Promise<string[]> {
    return this.decisions.currentApproverIds(req);
  }

  approvalsOf(requestId: string): Promise<ApprovalEntity[]> {
    return this.decisions.approvalsOf(requestId);
  }

  async revoke(actor: Actor, id: string, reason?: string): Promise<AccessRequestEntity> {
    await this.revocation.revoke(actor, id, reason);
    return this.get(id);
  }

  revokeAll(actor: Actor, integrationId: string, reason: string): Promise<RevokeAllOutcome> {
    return this.revocation.revokeAll(actor, integrationId, reason);
  }

  async closeReview(actor: Actor, id: string, note: string): Promise<AccessRequestEntity> {
    await this.reviews.closeReview(actor, id, note);
    return this.get(id);
  }

  async cancel(actor: Actor, id: string): Promise<AccessRequestEntity> {
    await this.cancelNow(actor, id);
    return this.get(id);
  }

  @Transactional()
  private async cancelNow(actor: Actor, id: string): Promise<void> {
    const req = await this.lock(id);
    assertAllowed(mayCancel(req.requesterId, actor.id));
    await this.requests.update(req.id, {
      status: nextStatus(req, 'cancel'),
      endedAt: new Date(),
      endedBy: actor.id,
    });
    await this.audit.record({
      action: 'request.cancelled',
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
    });
  }

  /** Cancels a deactivated person's request while still PENDING; false when it moved on. */
  @Transactional()
  async cancelForDeactivated(actor: Actor, id: string, reason: string): Promise<boolean> {
    const req = await this.lock(id);
    if (req.status !== 'PENDING') return false;
    await this.requests.update(req.id, {
      status: nextStatus(req, 'cancel'),
      statusReason: reason,
      endedAt: new Date(),
      endedBy: actor.id,
    });
    await this.audit.record({
      action: 'request.cancelled',
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      details: { reason },
    });
    return true;
  }

  private async lock(id: string): Promise<AccessRequestEntity> {
    const req = await this.requests.lockForUpdate(id);
    if (!req) throw DomainError.notFound('access request', id);
    return req;
  }
}
