import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { anyApprover } from '../access-flows/approval.policy';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { ApproversService } from '../approvals/approvers.service';
import { AuditService } from '../audit/audit.service';
import { causeDetails, type RuleChange } from './rule-change-cause';
import { RuleChangeRepository } from './rule-change.repository';

/**
 * A pending request stops counting approvers who can no longer decide it — out of the group
 * that named them, or without the approver role — unless they already decided a step: they
 * leave its approvers, so its inbox entry goes and a late click is refused.
 */
@Injectable()
export class ApproverPruningService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly marks: RuleChangeRepository,
    private readonly approvers: ApproversService,
    private readonly audit: AuditService,
  ) {}

  /** Who may approve is what request opening and decisions use (`contextFor`: the approver role). */
  @Transactional()
  async prune(change: RuleChange, requestId: string): Promise<string[]> {
    const req = await this.requests.lockForUpdate(requestId);
    if (!req || req.status !== 'PENDING') return [];
    // The steps of the version the request recorded, resolved against groups as they are now.
    const flow = await this.approvers.flowOf(req);
    const ctx = await this.approvers.contextFor(flow, await this.approvers.integrationOf(req), req);
    const still = new Set(anyApprover(flow.steps, ctx));
    const decided = new Set((await this.approvers.approvalsOf(req.id)).map((a) => a.approverId));
    const kept = req.approverIds.filter((id) => still.has(id) || decided.has(id));
    const removed = req.approverIds.filter((id) => !kept.includes(id));
    if (removed.length === 0) return [];
    await this.marks.setApprovers(req.id, kept);
    await this.audit.record({
      action: 'rule_change.applied',
      actor: change.changedBy,
      channel: change.channel,
      requestId: req.id,
      integrationId: req.integrationId,
      details: { ...causeDetails(change), outcome: 'approvers_removed', removed },
    });
    return removed;
  }
}
