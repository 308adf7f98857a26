import { Injectable, Logger } from '@nestjs/common';
import { IdentityService } from '../identity/identity.service';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { RequestsService } from '../requests/requests.service';
import { SlackPeopleService } from './slack-people.service';
import { homeView } from './views/home.view';

/**
 * The App Home tab: rendered when opened, and again for the people a change concerns (the
 * requester, the request's approvers) so nobody looks at a stale list.
 */
@Injectable()
export class SlackHomeService {
  private readonly logger = new Logger(SlackHomeService.name);

  constructor(
    private readonly people: SlackPeopleService,
    private readonly identity: IdentityService,
    private readonly requests: RequestsService,
  ) {}

  /**
   * Re-renders the Homes of the people a request concerns. A Home that cannot be refreshed is
   * a warning, not a notice to retry: it is rendered afresh whenever it is opened.
   */
  async refreshFor(requestId: string): Promise<void> {
    const req = await this.requests.get(requestId);
    const people = await this.identity.findByIds([req.requesterId, ...req.approverIds]);
    for (const p of people) {
      // Only people already known in Slack: a refresh never looks anyone up.
      if (!p.slackUserId) continue;
      await this.publish(p.slackUserId).catch((err: unknown) =>
        this.logger.warn({ err, requestId: req.id }, 'could not refresh an App Home'),
      );
    }
  }

  async publish(slackUserId: string): Promise<void> {
    const user = await this.people.resolve(slackUserId);
    if (!user) return;
    const actor = this.identity.actorOf(user, 'slack');
    const [mine, pending] = await Promise.all([
      this.requests.list(actor, { mine: true, limit: 50 }),
      this.requests.list(actor, { mine: false, status: 'PENDING', limit: 50 }),
    ]);
    const view = async (rows: AccessRequestEntity[]) =>
      Promise.all(rows.map((r) => this.people.view(r)));
    const home = homeView({
      active: await view(
        mine.filter(
          (r) => r.kind === 'access' && (r.status === 'ACTIVE' || r.status === 'GRANTING'),
        ),
      ),
      pending: await view(mine.filter((r) => r.status === 'PENDING' || r.status === 'APPROVED')),
      toApprove: await view(pending.filter((r) => r.requesterId !== user.id)),
      now: new Date(),
      canExtend: true,
    });
    await this.people.client.views.publish({ user_id: slackUserId, view: home });
  }
}
