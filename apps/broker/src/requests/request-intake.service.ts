import { Injectable } from '@nestjs/common';
import { resourceProblem, type PermissionLevel } from '@doorman/contracts';
import { mayExtend } from '../access-flows/access-flow.policy';
import { assertStepUp } from '../access-flows/step-up.guard';
import { autoApproves } from '../access-flows/time-window';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { transition } from '../access-requests/request-state';
import { ApproversService } from '../approvals/approvers.service';
import { DURATION_HINT, parseDuration } from '../common/durations';
import { DomainError, ErrorCode } from '../common/errors';
import { ExpiryService } from '../grants/expiry.service';
import type { Actor } from '../identity/actor';
import { IntegrationsService } from '../integrations/integrations.service';
import { missingRole } from '../common/role-rules';
import { RequestJudgeService } from './request-judge.service';
import { RequestOpeningService, type Opening } from './request-opening.service';

export interface CreateRequestInput {
  integrationId: string;
  database: string;
  schema: string;
  permission: PermissionLevel;
  duration?: string;
  justification?: string | null;
  /** Grant myself access at once under a flow that names me for break-glass. */
  breakGlass?: boolean;
  /** The flow to judge the request when the rules leave several tied (`chooseFlow`). */
  flowId?: string | null;
}

/**
 * Request intake, shared by every channel (REST, Slack): a new access request, judged and
 * opened; an extension of a running grant, a request of its own that follows the flow's
 * rules (or is automatic).
 */
@Injectable()
export class RequestIntakeService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly judge: RequestJudgeService,
    private readonly opening: RequestOpeningService,
    private readonly integrations: IntegrationsService,
    private readonly approvers: ApproversService,
    private readonly expiry: ExpiryService,
  ) {}

  /** Returns the new request's id. */
  async create(actor: Actor, input: CreateRequestInput, now = new Date()): Promise<string> {
    assertMayAsk(actor);
    const integration = await this.integrations.get(input.integrationId).catch(() => {
      throw DomainError.validation(`integrationId: unknown integration ${input.integrationId}`);
    });
    // "*"."*" is everything on the server, "*".<role> an existing role.
    const problem = resourceProblem(input);
    if (problem) throw DomainError.validation(problem);
    const durationSeconds = durationOf(input.duration);
    const { flow, ask, opening } = await this.judge.judge(
      actor,
      {
        ...input,
        integrationId: integration.id,
        durationSeconds,
        justification: input.justification ?? null,
      },
      now,
    );
    return this.opening.open({
      actor,
      integration,
      flow,
      ask,
      opening,
      extendsRequestId: null,
      now,
    });
  }

  /** Returns the extension request's id. */
  async extend(
    actor: Actor,
    id: string,
    duration: string,
    justification?: string,
    now = new Date(),
  ): Promise<string> {
    const grant = await this.get(id);
    if (grant.requesterId !== actor.id)
      throw DomainError.forbidden('only the requester may extend their access');
    assertMayAsk(actor);
    if (grant.kind !== 'access')
      throw DomainError.validation('an extension cannot itself be extended');
    const ended = await this.expiry.endIfLapsed(grant, now);
    if (ended)
      throw new DomainError(ErrorCode.Conflict, `${ended}; request access anew instead`, {
        status: transition('ACTIVE', 'expire'),
      });
    const durationSeconds = durationOf(duration)!;
    const flow = await this.approvers.flowOf(grant);
    assertStepUp(flow.requesterAuthentication, actor, now, 'extend', '/console/');
    const verdict = mayExtend(flow, {
      status: grant.status,
      extensionCount: grant.extensionCount,
      durationSeconds,
    });
    if (!verdict.ok)
      throw grant.status === 'ACTIVE'
        ? DomainError.forbidden(verdict.reason)
        : DomainError.conflict(verdict.reason);
    if (await this.requests.hasPendingExtension(grant.id)) {
      throw DomainError.conflict('an extension of this access is already waiting for approval');
    }
    const integration = await this.integrations.get(grant.integrationId);
    let opening: Opening = 'pending';
    if (flow.extensions.auto) opening = 'auto';
    else if (
      flow.autoApprove &&
      autoApproves(flow.autoApprove, { permission: grant.permission, durationSeconds }, now).ok
    )
      opening = 'auto';
    else if (flow.steps.length === 0)
      throw DomainError.forbidden(
        `flow "${flow.name}" cannot approve this extension automatically`,
      );
    const ask = {
      requesterId: actor.id,
      integrationId: grant.integrationId,
      database: grant.database,
      schema: grant.schema,
      permission: grant.permission,
      durationSeconds,
      justification: justification ?? null,
    };
    return this.opening.open({
      actor,
      integration,
      flow,
      ask,
      opening,
      extendsRequestId: grant.id,
      now,
    });
  }

  private async get(id: string): Promise<AccessRequestEntity> {
    const row = await this.requests.findById(id);
    if (!row) throw DomainError.notFound('access request', id);
    return row;
  }
}

/** The requester role, as the rule-change judge requires it of what is already asked. */
function assertMayAsk(actor: Actor): void {
  const refused = missingRole(actor.roles, 'ask');
  if (refused) throw DomainError.forbidden(refused);
}

function durationOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  const seconds = parseDuration(text);
  if (seconds === null) throw DomainError.validation(`duration: must be ${DURATION_HINT}`);
  return seconds;
}
