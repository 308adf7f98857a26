import { Injectable } from '@nestjs/common';
import { mayCloseReview } from '../access-flows/access-flow.policy';
import { APPROVE_IN_CONSOLE } from '../access-flows/step-up.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import { RequestsService } from '../requests/requests.service';
import {
  SlackActingService,
  validId,
  type SlackOrigin,
  type ViewErrors,
} from './slack-acting.service';
import { SlackIds } from './slack-ids';
import { SlackPeopleService } from './slack-people.service';
import { escapeText, resourceLine } from './views/format';
import { stepUpAnswer } from './views/messages.view';
import { denyModal, reviewModal } from './views/modals.view';

const DECIDED: Record<string, string> = {
  APPROVED: 'approved',
  GRANTING: 'approved',
  ACTIVE: 'approved',
  REVOKING: 'approved',
  REVOKED: 'approved',
  FAILED: 'approved',
  DENIED: 'denied',
  CANCELLED: 'cancelled by the requester',
  EXPIRED: 'expired before anyone decided',
};

/** Approvers' buttons and forms: approve, deny with a reason, close a break-glass review. */
@Injectable()
export class SlackDecisionsService {
  constructor(
    private readonly acting: SlackActingService,
    private readonly people: SlackPeopleService,
    private readonly requests: RequestsService,
  ) {}

  async approve(o: SlackOrigin, id: string): Promise<void> {
    await this.acting.as(o, async (actor) => {
      try {
        await this.requests.approve(actor, validId(id));
      } catch (e) {
        if (e instanceof DomainError && e.code === ErrorCode.IllegalTransition)
          return this.people.tell(o, await this.alreadyDecided(actor, id));
        // A flow that asks for a fresh sign-in (an older message's Approve): the way there.
        if (e instanceof DomainError && e.details?.code === 'step_up_required')
          return this.people.tell(
            o,
            stepUpAnswer(e.message, this.people.brokerUrl(APPROVE_IN_CONSOLE)),
          );
        throw e;
      }
    });
  }

  async openDeny(o: SlackOrigin, requestId: string): Promise<void> {
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      const req = await this.requests.getVisible(actor, requestId);
      if (req.status !== 'PENDING')
        return this.people.tell(o, await this.alreadyDecided(actor, requestId, req));
      const v = await this.people.view(req);
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: denyModal(
          req.id,
          `${v.requester}: *${escapeText(v.permission)}* on ${resourceLine(v)}`,
        ),
      });
    });
  }

  async submitDeny(o: SlackOrigin, requestId: string, reason: string): Promise<ViewErrors> {
    let errors: ViewErrors = null;
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      try {
        await this.requests.deny(actor, requestId, reason.trim() || undefined);
      } catch (e) {
        if (e instanceof DomainError && e.code === ErrorCode.IllegalTransition) {
          errors = {
            [SlackIds.blocks.reason]: (await this.alreadyDecided(actor, requestId)).slice(0, 150),
          };
          return;
        }
        if (e instanceof DomainError && e.code === ErrorCode.Forbidden) {
          errors = { [SlackIds.blocks.reason]: e.message.slice(0, 150) };
          return;
        }
        throw e;
      }
    });
    return errors;
  }

  /** Close review on a break-glass notice: the form, for security and admins only. */
  async openReview(o: SlackOrigin, requestId: string): Promise<void> {
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      const verdict = mayCloseReview(actor);
      if (!verdict.ok) throw DomainError.forbidden(verdict.reason);
      const req = await this.requests.getVisible(actor, requestId);
      if (!req.breakGlass) throw DomainError.validation('only break-glass requests have a review');
      if (req.reviewStatus !== 'open') {
        const by = await this.people.mentionOf(req.reviewClosedBy);
        return this.people.tell(
          o,
          `This review was already closed${by ? ` by ${by}` : ''}; nothing changed.`,
        );
      }
      const v = await this.people.view(req);
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: reviewModal(
          req.id,
          `${v.requester} used break-glass: *${escapeText(v.permission)}* on ${resourceLine(v)}`,
        ),
      });
    });
  }

  /** The review form was submitted: the same service call as REST, refusals on the form. */
  async submitReview(o: SlackOrigin, requestId: string, note: string): Promise<ViewErrors> {
    let errors: ViewErrors = null;
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      try {
        await this.requests.closeReview(actor, requestId, note);
      } catch (e) {
        if (!(e instanceof DomainError) || e.code === ErrorCode.NotFound) throw e;
        errors = { [SlackIds.blocks.note]: e.message.slice(0, 150) };
      }
    });
    return errors;
  }

  private async alreadyDecided(
    actor: Actor,
    id: string,
    known?: AccessRequestEntity,
  ): Promise<string> {
    const req = known ?? (await this.requests.getVisible(actor, id));
    const outcome = DECIDED[req.status] ?? req.status.toLowerCase();
    const by = req.decidedBy ? await this.people.mentionOf(req.decidedBy) : null;
    return `This request was already ${outcome}${by && outcome !== DECIDED.CANCELLED ? ` by ${by}` : ''}; nothing changed.`;
  }
}
