import { Inject, Injectable } from '@nestjs/common';
import { AccessFlowsService } from '../access-flows/access-flows.service';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { IdentityService } from '../identity/identity.service';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { SlackMessagesRepository } from './slack-messages.repository';
import { SlackPeopleService } from './slack-people.service';
import { expiringSoonMessage } from './views/messages.view';

/**
 * "Expiring soon" with Revoke now, shortly before a grant ends. Each warning is claimed in
 * slack_messages first, so several broker replicas send it once. Checked every
 * SLACK_EXPIRY_CHECK_MS by the `slack-expiry-warnings` schedule (scheduling/).
 */
@Injectable()
export class SlackExpiryWarningsService {
  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly messages: SlackMessagesRepository,
    private readonly people: SlackPeopleService,
    private readonly identity: IdentityService,
    private readonly flows: AccessFlowsService,
  ) {}

  /** Extend is offered only where the flow the grant was approved under allows another one. */
  private async canExtend(req: AccessRequestEntity): Promise<boolean> {
    if (req.kind !== 'access') return false;
    const flow = await this.flows.getVersion(req.flowId, req.flowVersion).catch(() => null);
    return flow !== null && req.extensionCount < flow.extensions.maxCount;
  }

  async warnDue(now: Date): Promise<number> {
    const due = await this.messages.expiringUnwarned(
      now,
      this.config.SLACK_EXPIRY_WARNING_SECONDS * 1000,
    );
    let sent = 0;
    for (const req of due) {
      if (!(await this.messages.claim(req.id, 'expiry_warning', req.requesterId))) continue;
      const [requester] = await this.identity.findByIds([req.requesterId]);
      if (!requester) continue;
      const ref = await this.people.dm(
        requester,
        expiringSoonMessage(await this.people.view(req), await this.canExtend(req)),
      );
      if (ref) {
        await this.messages.posted(req.id, 'expiry_warning', req.requesterId, ref);
        sent++;
      }
    }
    return sent;
  }
}
