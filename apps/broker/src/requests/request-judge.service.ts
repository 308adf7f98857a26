import { Injectable } from '@nestjs/common';
import { describeResource, type PermissionLevel } from '@doorman/contracts';
import { judgeRequest, type FlowRules } from '../access-flows/access-flow.policy';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { assertStepUp } from '../access-flows/step-up.guard';
import { autoApproves } from '../access-flows/time-window';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { CatalogService } from '../catalog/catalog.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import type { Ask, Opening } from './request-opening.service';

export interface NewAsk {
  integrationId: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
  durationSeconds: number | null;
  justification: string | null;
  /** Grant myself access at once under a flow that names me for break-glass. */
  breakGlass?: boolean;
  /** The flow to judge the request when the rules leave several tied (`chooseFlow`). */
  flowId?: string | null;
}

export interface Judgement {
  flow: FlowRules;
  ask: Ask;
  opening: Opening;
}

/**
 * Judges a new access request before anything is written: one flow of the integration takes it (for break-glass: one naming the requester),
 * the admin can grant it, the requester does not hold it already, and whether it waits for
 * approval or is approved by the flow at once.
 */
@Injectable()
export class RequestJudgeService {
  constructor(
    private readonly flows: AccessFlowsService,
    private readonly identity: IdentityService,
    private readonly catalog: CatalogService,
    private readonly requests: AccessRequestRepository,
  ) {}

  async judge(actor: Actor, input: NewAsk, now: Date): Promise<Judgement> {
    const flows = await this.flows.forIntegration(input.integrationId);
    const ask = {
      requesterId: actor.id,
      requesterGroupIds: await this.identity.groupIdsOf(actor.id),
      integrationId: input.integrationId,
      database: input.database,
      schema: input.schema,
      permission: input.permission,
      durationSeconds: input.durationSeconds,
      justification: input.justification,
    };
    const decision = judgeRequest(
      input.breakGlass ? flows.filter((f) => f.breakGlassUserIds.includes(actor.id)) : flows,
      ask,
      input.flowId,
    );
    if (!decision.ok) {
      const reason = input.breakGlass ? `break-glass refused: ${decision.reason}` : decision.reason;
      if (decision.kind === 'ambiguous')
        throw new DomainError(ErrorCode.Conflict, reason, { candidates: decision.candidates });
      throw decision.kind === 'forbidden'
        ? DomainError.forbidden(reason)
        : DomainError.validation(reason);
    }
    const flow = decision.flow;
    assertStepUp(flow.requesterAuthentication, actor, now, 'request', '/console/request');
    // Before anyone is asked to approve: what the admin cannot grant is refused now, with why.
    await this.catalog.assertGrantable(input.integrationId, ask, now);
    await this.refuseDuplicate(actor.id, input);
    let opening: Opening = 'pending';
    if (input.breakGlass) {
      opening = 'break-glass';
    } else if (flow.autoApprove) {
      const auto = autoApproves(
        flow.autoApprove,
        { permission: input.permission, durationSeconds: decision.durationSeconds },
        now,
      );
      if (auto.ok) opening = 'auto';
      else if (flow.steps.length === 0)
        throw DomainError.forbidden(`flow "${flow.name}" only auto-approves, and ${auto.reason}`);
    }
    const { requesterGroupIds: _groups, ...judged } = ask;
    return { flow, ask: { ...judged, durationSeconds: decision.durationSeconds }, opening };
  }

  private async refuseDuplicate(requesterId: string, input: NewAsk): Promise<void> {
    const same = await this.requests.grantedOrGranting({
      requesterId,
      integrationId: input.integrationId,
      database: input.database,
      schema: input.schema,
      permission: input.permission,
    });
    if (!same) return;
    throw new DomainError(
      ErrorCode.Conflict,
      `you already have ${same.permission} on ${describeResource(same)}` +
        (same.expiresAt ? ` until ${same.expiresAt.toISOString()}` : '') +
        `; extend it instead: POST /api/v1/access-requests/${same.id}/extend`,
      { requestId: same.id, offer: 'extend' },
    );
  }
}
