import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { matchedResource } from '../access-flows/access-flow.policy';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { anyApprover } from '../access-flows/approval.policy';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { AuditService } from '../audit/audit.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { RequestsService } from '../requests/requests.service';
import { causeDetails, type RuleChange } from './rule-change-cause';
import { RuleChangeRepository } from './rule-change.repository';

/**
 * A pending request stops counting approvers who can no longer decide it — out of the group
 * that named them, or stripped of the approver role — unless they already decided a step: they
 * leave its approvers, so its inbox entry goes and a late click is refused.
 */
@Injectable()
export class ApproverPruningService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly marks: RuleChangeRepository,
    private readonly flows: AccessFlowsService,
    private readonly integrations: IntegrationsService,
    private readonly decisions: RequestsService,
    private readonly audit: AuditService,
  ) {}

  /** `lostRole`: people whose approver role was taken (still named by the flow, they decide nothing). */
  @Transactional()
  async prune(
    change: RuleChange,
    requestId: string,
    lostRole: readonly string[],
  ): Promise<string[]> {
    const req = await this.requests.lockForUpdate(requestId);
    if (!req || req.status !== 'PENDING') return [];
    // The steps of the version the request recorded, resolved against groups as they are now.
    const flow = await this.flows.getVersion(req.flowId, req.flowVersion);
    const integration = await this.integrations.get(req.integrationId);
    const ctx = await this.flows.approverContext(
      flow,
      integration,
      matchedResource(flow, req)?.resource.ownerIds ?? [],
    );
    const still = new Set(anyApprover(flow.steps, ctx).filter((id) => !lostRole.includes(id)));
    const decided = new Set((await this.decisions.approvalsOf(req.id)).map((a) => a.approverId));
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
