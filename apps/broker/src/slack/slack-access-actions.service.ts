import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import { type Credentials, CredentialsRevealService } from '../requests/credentials-reveal.service';
import { RequestsService } from '../requests/requests.service';
import {
  SlackActingService,
  validId,
  type SlackOrigin,
  type ViewErrors,
} from './slack-acting.service';
import { SlackHomeService } from './slack-home.service';
import { SlackIds } from './slack-ids';
import { SlackPeopleService } from './slack-people.service';
import { accessOver, movedOnText, noCredentialsText } from './views/answers.view';
import { escapeText, resourceLine } from './views/format';
import { credentialsModal, extendModal } from './views/modals.view';

/** A requester's buttons on their own access: reveal, extend, revoke, cancel, and their App Home. */
@Injectable()
export class SlackAccessActionsService {
  constructor(
    private readonly acting: SlackActingService,
    private readonly people: SlackPeopleService,
    private readonly requests: RequestsService,
    private readonly credentials: CredentialsRevealService,
    private readonly home: SlackHomeService,
  ) {}

  /** Credentials only ever travel in a modal, opened for the requester and audited by the service. */
  async reveal(o: SlackOrigin, requestId: string): Promise<void> {
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      let creds: Credentials;
      try {
        creds = await this.credentials.reveal(actor, requestId);
      } catch (e) {
        // No credentials to show (ended, not ready yet, …): say why in words, not in statuses.
        if (
          !(e instanceof DomainError) ||
          (e.code !== ErrorCode.Conflict && e.code !== ErrorCode.IllegalTransition)
        )
          throw e;
        const v = await this.people.view(await this.requests.getVisible(actor, requestId));
        const now = new Date();
        return this.people.tell(
          o,
          v.status === 'ACTIVE' && !accessOver(v, now) ? e.message : noCredentialsText(v, now),
        );
      }
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: credentialsModal(creds),
      });
    });
  }

  async openExtend(o: SlackOrigin, requestId: string): Promise<void> {
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      const grant = await this.requests.getVisible(actor, requestId);
      const v = await this.people.view(grant);
      await this.people.client.views.open({
        trigger_id: o.triggerId!,
        view: extendModal(grant.id, `*${escapeText(v.permission)}* on ${resourceLine(v)}`),
      });
    });
  }

  /** An extension is a request of its own: the flow's extension rules judge it in the service. */
  async submitExtend(
    o: SlackOrigin,
    requestId: string,
    duration: string,
    justification: string,
  ): Promise<ViewErrors> {
    let errors: ViewErrors = null;
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      try {
        const ext = await this.requests.extend(
          actor,
          requestId,
          duration.trim(),
          justification.trim() || undefined,
        );
        await this.people.tell(
          { slackUserId: o.slackUserId },
          ext.status === 'PENDING'
            ? 'Extension requested; I will tell you when it is decided.'
            : 'Extension granted.',
        );
      } catch (e) {
        if (!(e instanceof DomainError) || e.code === ErrorCode.NotFound) throw e;
        errors = { [SlackIds.blocks.duration]: e.message.slice(0, 150) };
      }
    });
    return errors;
  }

  /** Cancel on the "submitted" DM, the App Home or `/access list`: the same call as REST. */
  async cancel(o: SlackOrigin, requestId: string): Promise<void> {
    await this.acting.as(o, async (actor) => this.cancelAs(actor, o, validId(requestId)));
    if (!o.channel) await this.publishHome(o.slackUserId);
  }

  async cancelAs(actor: Actor, o: SlackOrigin, id: string): Promise<void> {
    try {
      const req = await this.requests.cancel(actor, id);
      const v = await this.people.view(req);
      await this.people.tell(
        o,
        `Cancelled your request for *${escapeText(v.permission)}* on ${resourceLine(v)}; its approvers can no longer approve it.`,
      );
    } catch (e) {
      if (e instanceof DomainError && e.code === ErrorCode.IllegalTransition) {
        const req = await this.requests.getVisible(actor, id);
        return this.people.tell(o, movedOnText('cancelled', req.status));
      }
      throw e;
    }
  }

  async revoke(o: SlackOrigin, requestId: string): Promise<void> {
    await this.acting.as(o, async (actor) => {
      validId(requestId);
      await this.requests.revoke(actor, requestId, 'revoked from Slack');
      await this.people.tell(o, 'Revoking now; I will tell you when the access has ended.');
    });
    if (!o.channel) await this.publishHome(o.slackUserId);
  }

  async publishHome(slackUserId: string): Promise<void> {
    await this.home.publish(slackUserId);
  }
}
