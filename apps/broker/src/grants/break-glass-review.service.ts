import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { mayCloseReview } from '../access-flows/access-flow.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { assertAllowed } from '../access-requests/request-transitions';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import type { Actor } from '../identity/actor';

/** The follow-up of break-glass grants: security reads what was done and closes the review. */
@Injectable()
export class BreakGlassReviewService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly audit: AuditService,
  ) {}

  async closeReview(actor: Actor, id: string, note: string): Promise<void> {
    // The role check lives here, not only on the route: Slack closes reviews too.
    assertAllowed(mayCloseReview(actor));
    const finding = note.trim();
    if (!finding) throw DomainError.validation('note: say what the review found');
    await this.close(actor, id, finding);
  }

  @Transactional()
  private async close(actor: Actor, id: string, finding: string): Promise<void> {
    const req = await this.requests.lockForUpdate(id);
    if (!req) throw DomainError.notFound('access request', id);
    if (!req.breakGlass) throw DomainError.validation('only break-glass requests have a review');
    if (req.reviewStatus !== 'open') throw DomainError.conflict('this review is already closed');
    await this.requests.update(req.id, {
      reviewStatus: 'closed',
      reviewNote: finding,
      reviewClosedBy: actor.id,
      reviewClosedAt: new Date(),
    });
    await this.audit.record({
      action: 'break_glass.review_closed',
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      details: { note: finding },
    });
  }

  async reviews(status: 'open' | 'closed'): Promise<AccessRequestEntity[]> {
    return this.requests.breakGlassByReview(status, 500);
  }
}
