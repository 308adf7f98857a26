import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { AccessRequestEntity } from '../requests/access-request.entity';
import { SlackMessageEntity, type SlackMessageKind } from './slack-message.entity';

/** The Slack module's own table, and the one read it needs of requests (expiring soon). */
@Injectable()
export class SlackMessagesRepository {
  constructor(
    @InjectRepository(SlackMessageEntity) private readonly messages: Repository<SlackMessageEntity>,
    @InjectRepository(AccessRequestEntity)
    private readonly requests: Repository<AccessRequestEntity>,
  ) {}

  /**
   * Claims the one message of this kind for this request and recipient; false when another
   * replica (or an earlier event) already did, so each notice is sent once.
   */
  async claim(
    requestId: string,
    kind: SlackMessageKind,
    recipientUserId: string,
  ): Promise<boolean> {
    const res = await this.messages
      .createQueryBuilder()
      .insert()
      .values({ requestId, kind, recipientUserId })
      .orIgnore()
      .returning('id')
      .execute();
    return res.raw.length > 0;
  }

  async posted(
    requestId: string,
    kind: SlackMessageKind,
    recipientUserId: string,
    ref: { channel: string; ts: string },
  ): Promise<void> {
    await this.messages.update({ requestId, kind, recipientUserId }, ref);
  }

  async release(requestId: string, kind: SlackMessageKind, recipientUserId: string): Promise<void> {
    await this.messages.delete({ requestId, kind, recipientUserId, ts: IsNull() });
  }

  /** Forgets a one-time notice, so it can be sent again (an extended grant warns again). */
  async forget(requestId: string, kind: SlackMessageKind): Promise<void> {
    await this.messages.delete({ requestId, kind });
  }

  async postedFor(requestId: string, kind: SlackMessageKind): Promise<SlackMessageEntity[]> {
    const rows = await this.messages.find({
      where: { requestId, kind },
      order: { createdAt: 'ASC' },
    });
    return rows.filter((r) => r.channel && r.ts);
  }

  /** Requests on the integration that failed in the last day and whose people were not told yet. */
  async failedUnnoticed(integrationId: string): Promise<AccessRequestEntity[]> {
    return this.requests
      .createQueryBuilder('r')
      .where('r.integration_id = :i AND r.status = :s', { i: integrationId, s: 'FAILED' })
      .andWhere("r.ended_at > now() - interval '1 day'")
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM slack_messages m WHERE m.request_id = r.id AND m.kind = 'failure_notice')`,
      )
      .take(100)
      .getMany();
  }

  /** Whether the person still has ACTIVE access on the integration besides this request. */
  async otherAccessActive(
    req: Pick<AccessRequestEntity, 'id' | 'requesterId' | 'integrationId'>,
  ): Promise<boolean> {
    return this.requests
      .createQueryBuilder('r')
      .where('r.requester_id = :u AND r.integration_id = :i AND r.id <> :id', {
        u: req.requesterId,
        i: req.integrationId,
        id: req.id,
      })
      .andWhere("r.status = 'ACTIVE' AND r.kind = 'access'")
      .getExists();
  }

  /** ACTIVE grants ending within `withinMs` that have not been warned yet. */
  async expiringUnwarned(now: Date, withinMs: number): Promise<AccessRequestEntity[]> {
    return this.requests
      .createQueryBuilder('r')
      .where('r.status = :s', { s: 'ACTIVE' })
      .andWhere("r.kind = 'access'")
      .andWhere('r.expires_at > :now AND r.expires_at <= :until', {
        now,
        until: new Date(now.getTime() + withinMs),
      })
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM slack_messages m WHERE m.request_id = r.id AND m.kind = 'expiry_warning')`,
      )
      .orderBy('r.expires_at', 'ASC')
      .take(200)
      .getMany();
  }
}
