import { Injectable } from '@nestjs/common';
import { matchedResource, type FlowRules } from '../access-flows/access-flow.policy';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { eligibleApprovers, type ApproverContext } from '../access-flows/approval.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { IntegrationEntity } from '../integrations/integration.entity';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { mayByRole } from '../common/role-rules';
import type { ApprovalEntity } from './approval.entity';
import { ApprovalRepository } from './approval.repository';

type Resource = Pick<AccessRequestEntity, 'database' | 'schema'>;

/** Who may decide a request — its flow's steps resolved against groups and owners — and who did. */
@Injectable()
export class ApproversService {
  constructor(
    private readonly flows: AccessFlowsService,
    private readonly integrations: IntegrationsService,
    private readonly approvals: ApprovalRepository,
    private readonly identity: IdentityService,
  ) {}

  /**
   * Group members, integration owners and the matched resource's owners, for the flow. Only
   * people with the approver role count (`role-rules`): named without it, like a deactivated
   * person, they decide nothing — the same rule the rule-change judge prunes by.
   */
  async contextFor(
    flow: FlowRules,
    integration: Pick<IntegrationEntity, 'ownerIds'>,
    req: Resource,
  ): Promise<ApproverContext> {
    const match = matchedResource(flow, req);
    const ctx = await this.flows.approverContext(flow, integration, match?.resource.ownerIds ?? []);
    // Who the steps can name (not the requestor groups: they approve nothing anyway).
    const specs = flow.steps.flatMap((s) =>
      s.fallback ? [s.approvers, s.fallback] : [s.approvers],
    );
    const named = new Set([
      ...specs.flatMap((a) => a.userIds),
      ...specs.flatMap((a) => a.groupIds.flatMap((g) => ctx.groupMembers.get(g) ?? [])),
      ...(specs.some((a) => a.integrationOwners) ? ctx.integrationOwnerIds : []),
      ...(specs.some((a) => a.resourceOwners) ? ctx.resourceOwnerIds : []),
    ]);
    const withoutRole = (await this.identity.findByIds([...named]))
      .filter((u) => !mayByRole(u.roles, 'approve'))
      .map((u) => u.id);
    return {
      ...ctx,
      deactivatedIds: new Set([...(ctx.deactivatedIds ?? []), ...withoutRole]),
    };
  }

  /** The request's flow at the version it recorded. */
  flowOf(req: Pick<AccessRequestEntity, 'flowId' | 'flowVersion'>): Promise<FlowRules> {
    return this.flows.getVersion(req.flowId, req.flowVersion);
  }

  integrationOf(req: Pick<AccessRequestEntity, 'integrationId'>): Promise<IntegrationEntity> {
    return this.integrations.get(req.integrationId);
  }

  /** Who may decide the pending request's current step now (its fallback once escalated). */
  async currentApproverIds(req: AccessRequestEntity): Promise<string[]> {
    if (req.status !== 'PENDING') return [];
    const flow = await this.flowOf(req);
    const step = flow.steps[req.currentStep];
    if (!step) return [];
    const ctx = await this.contextFor(flow, await this.integrations.get(req.integrationId), req);
    return eligibleApprovers(step, req.escalated, ctx);
  }

  /** Each decision on each step, in the order given. */
  approvalsOf(requestId: string): Promise<ApprovalEntity[]> {
    return this.approvals.ofRequest(requestId);
  }
}
