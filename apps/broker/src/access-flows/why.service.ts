import { Injectable } from '@nestjs/common';
import { describeResource, type PermissionLevel } from '@doorman/contracts';
import { formatDuration } from '../common/durations';
import { DomainError } from '../common/errors';
import { hasAnyRole, type Actor } from '../identity/actor';
import { AUDIT_READERS } from '../identity/doorman-roles';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { chooseFlow, coversResource, matchedResource, mayRequestUnder } from './access-flow.policy';
import { eligibleApprovers } from './approval.policy';
import { AccessFlowsService } from './access-flows.service';

export interface WhyQuery {
  userId: string;
  integrationId: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
}

/** "Why" answers: which flows allow a person a resource, who approves, for how long — or why not. */
@Injectable()
export class WhyService {
  constructor(
    private readonly flows: AccessFlowsService,
    private readonly integrations: IntegrationsService,
    private readonly identity: IdentityService,
  ) {}

  async explain(actor: Actor, q: WhyQuery) {
    if (q.userId !== actor.id && !hasAnyRole(actor, AUDIT_READERS)) {
      throw DomainError.forbidden('only admin, security and auditors may ask about another person');
    }
    const integration = await this.integrations.get(q.integrationId);
    const person = await this.identity.getUser(q.userId);
    const groupIds = await this.identity.groupIdsOf(person.id);
    const allowing = [];
    const notAllowing = [];
    const flows = await this.flows.forIntegration(integration.id);
    const choice = chooseFlow(flows, { ...q, requesterId: person.id, requesterGroupIds: groupIds });
    for (const flow of flows) {
      const reasons: string[] = [];
      if (!coversResource(flow, q))
        reasons.push(
          `offers ${flow.permissions.join('/')} on ${flow.resources.map(describeResource).join(', ')} only`,
        );
      if (!mayRequestUnder(flow, person.id, groupIds))
        reasons.push(`${person.email} is not one of its requestors`);
      if (reasons.length) {
        notAllowing.push({ flowId: flow.id, name: flow.name, version: flow.version, why: reasons });
        continue;
      }
      const match = matchedResource(flow, q);
      const ctx = await this.flows.approverContext(
        flow,
        integration,
        match?.resource.ownerIds ?? [],
      );
      const steps = [];
      for (const [i, s] of flow.steps.entries()) {
        const ids = eligibleApprovers(s, false, ctx).filter(
          (id) => id !== person.id || flow.allowSelfApproval,
        );
        const users = await Promise.all(
          ids.map((id) => this.identity.getUser(id).then((u) => ({ id: u.id, email: u.email }))),
        );
        steps.push({
          step: i + 1,
          quorum: s.quorum,
          approvers: users,
          timeout: s.timeoutSeconds === null ? null : formatDuration(s.timeoutSeconds),
          onTimeout: s.onTimeout,
        });
      }
      allowing.push({
        flowId: flow.id,
        name: flow.name,
        version: flow.version,
        defaultDuration: formatDuration(flow.defaultDurationSeconds),
        maxDuration: formatDuration(flow.maxDurationSeconds),
        justificationRequired: flow.justificationRequired,
        autoApprove: flow.autoApprove !== null,
        breakGlass: flow.breakGlassUserIds.includes(person.id),
        match: match?.level ?? null,
        priority: flow.priority ?? 0,
        /** Whether this flow judges a request made without flowId (see chooseFlow). */
        judges: choice.ok && choice.flow.id === flow.id,
        steps,
      });
    }
    return {
      allowed: allowing.length > 0,
      person: { id: person.id, email: person.email },
      resource: {
        integrationId: integration.id,
        database: q.database,
        schema: q.schema,
        permission: q.permission,
      },
      flows: allowing,
      /** Why no single flow judges a request without flowId: the tie, or null. */
      choice: !choice.ok && choice.kind === 'ambiguous' ? choice.reason : null,
      notAllowedBy: notAllowing,
      reason: allowing.length
        ? null
        : notAllowing.length
          ? 'no access flow of this integration allows it; see notAllowedBy'
          : 'this integration has no access flows',
    };
  }
}
