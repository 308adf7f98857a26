import { Injectable, Logger } from '@nestjs/common';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { DomainError, ErrorCode } from '../common/errors';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { RequestsService } from '../requests/requests.service';
import { SlackPeopleService, type SlackReplyTo } from './slack-people.service';
import { slackErrorText, UNKNOWN_PERSON_TEXT } from './slack-responder';
import { alreadyHaveMessage } from './views/answers.view';
import type { SlackMessage } from './views/messages.view';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A request id from a button or modal: Slack echoes what we sent, but check before querying. */
export function validId(value: string): string {
  if (!UUID.test(value)) throw DomainError.notFound('access request', value || '(none)');
  return value;
}

/** Where a Slack interaction came from: who, in which channel, with which modal trigger. */
export interface SlackOrigin extends SlackReplyTo {
  triggerId?: string;
}

/** Values of a submitted modal, as Bolt hands them over. */
export type ViewValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value: string } | null }>
>;

export type ViewErrors = Record<string, string> | null;

/**
 * What every Slack listener's work runs inside: the Slack user resolved to a Doorman actor
 * (channel 'slack' in the audit), and any failure turned into an answer they can act on.
 */
@Injectable()
export class SlackActingService {
  private readonly logger = new Logger(SlackActingService.name);

  constructor(
    private readonly people: SlackPeopleService,
    private readonly identity: IdentityService,
    private readonly requests: RequestsService,
    private readonly flows: AccessFlowsService,
  ) {}

  /** Resolves the Slack user and runs `work` as them; every failure becomes a clear answer. */
  async as(o: SlackOrigin, work: (actor: Actor) => Promise<void>): Promise<void> {
    try {
      const user = await this.people.resolve(o.slackUserId);
      if (!user) {
        await this.people.tell(o, UNKNOWN_PERSON_TEXT);
        return;
      }
      await work(this.identity.actorOf(user, 'slack'));
    } catch (e) {
      const offer = await this.extendOffer(e);
      if (offer) return this.people.tell(o, offer);
      const { text, correlationId } = slackErrorText(e);
      if (correlationId) this.logger.error({ err: e, correlationId }, 'Slack interaction failed');
      await this.people.tell(o, text);
    }
  }

  /**
   * "You already have it": REST names the extend route; Slack offers the Extend button, with
   * the end shown in the reader's own time zone.
   */
  async extendOffer(e: unknown): Promise<SlackMessage | null> {
    if (!(e instanceof DomainError) || e.code !== ErrorCode.Conflict) return null;
    const id = e.details?.requestId;
    if (e.details?.offer !== 'extend' || typeof id !== 'string') return null;
    const existing = await this.requests.get(id).catch(() => null);
    if (!existing) return null;
    const flow = await this.flows
      .getVersion(existing.flowId, existing.flowVersion)
      .catch(() => null);
    const canExtend =
      existing.status === 'ACTIVE' &&
      flow !== null &&
      existing.extensionCount < flow.extensions.maxCount;
    return alreadyHaveMessage(await this.people.view(existing), canExtend);
  }
}
