import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { IsNull, Not, type Repository } from 'typeorm';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import { SlackDeliveryEntity } from './slack-delivery.entity';
import { SlackMessageEntity, type SlackMessageKind } from './slack-message.entity';

/**
 * The reserved recipient id of one round of asking (a step, or its escalation): the key of the
 * approval post in a flow's channel. Never a real user's id (user ids are random UUIDs,
 * version 4).
 */
export function askRound(req: Pick<AccessRequestEntity, 'currentStep' | 'escalated'>): string {
  const n = req.currentStep * 2 + (req.escalated ? 1 : 0);
  return `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
}

/** The Slack module's own tables, and the reads it needs of requests. */
@Injectable()
export class SlackMessagesRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  // On the ambient transaction (the pool outside one), like every repository.
  private get messages(): Repository<SlackMessageEntity> {
    return this.txHost.tx.getRepository(SlackMessageEntity);
  }

  private get deliveries(): Repository<SlackDeliveryEntity> {
    return this.txHost.tx.getRepository(SlackDeliveryEntity);
  }

  private get requests(): Repository<AccessRequestEntity> {
    return this.txHost.tx.getRepository(AccessRequestEntity);
  }

  /**
   * Claims the one message of this kind for this request and recipient; false when another
   * replica (or an earlier event) already did, so each notice is sent once. A notice job
   * (`by`) also gets back the claim its own earlier attempt made and never posted.
   */
  async claim(
    requestId: string,
    kind: SlackMessageKind,
    recipientUserId: string,
    by: string | null = null,
  ): Promise<boolean> {
    const res = await this.messages
      .createQueryBuilder()
      .insert()
      .values({ requestId, kind, recipientUserId, claimedBy: by })
      .orIgnore()
      .returning('id')
      .execute();
    if (res.raw.length > 0) return true;
    if (!by) return false;
    const again = await this.messages.update(
      { requestId, kind, recipientUserId, claimedBy: by, ts: IsNull() },
      { claimedBy: by },
    );
    return (again.affected ?? 0) > 0;
  }

  /** Whether the one-time notice with this message key was delivered. */
  async delivered(key: string): Promise<boolean> {
    return this.deliveries.existsBy({ key });
  }

  async recordDelivery(key: string, ref: { channel: string; ts: string } | null): Promise<void> {
    await this.deliveries
      .createQueryBuilder()
      .insert()
      .values({ key, channel: ref?.channel ?? null, ts: ref?.ts ?? null })
      .orIgnore()
      .execute();
  }

  async posted(
    requestId: string,
    kind: SlackMessageKind,
    recipientUserId: string,
    ref: { channel: string; ts: string },
  ): Promise<void> {
    await this.messages.update({ requestId, kind, recipientUserId }, ref);
  }

  async isPosted(
    requestId: string,
    kind: SlackMessageKind,
    recipientUserId: string,
  ): Promise<boolean> {
    return this.messages.existsBy({ requestId, kind, recipientUserId, ts: Not(IsNull()) });
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

  /**
   * Requests on the integration that failed in the last day and whose people were not told
   * yet, or are being told by notice job `by` (its retry finishes what it began).
   */
  async failedUnnoticed(integrationId: string, by: string): Promise<AccessRequestEntity[]> {
    return this.requests
      .createQueryBuilder('r')
      .where('r.integration_id = :i AND r.status = :s', { i: integrationId, s: 'FAILED' })
      .andWhere("r.ended_at > now() - interval '1 day'")
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM slack_messages m WHERE m.request_id = r.id AND m.kind = 'failure_notice' AND m.claimed_by IS DISTINCT FROM :by)`,
        { by },
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
