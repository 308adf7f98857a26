import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { DomainEventBus } from '../common/domain-events';
import type { Actor } from '../identity/actor';
import { AuditEventEntity, type AuditChannel } from './audit-event.entity';

export interface AuditInput {
  action: string;
  /** A person, or null for the system and connectors. */
  actor?: Actor | null;
  actorType?: 'user' | 'system' | 'connector';
  channel?: AuditChannel;
  requestId?: string | null;
  integrationId?: string | null;
  details?: Record<string, unknown>;
}

/** Append-only; written in the same transaction as the change it records when one is given. */
@Injectable()
export class AuditService {
  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly bus: DomainEventBus,
  ) {}

  async record(input: AuditInput, em?: EntityManager): Promise<void> {
    const repo = em ? em.getRepository(AuditEventEntity) : this.events;
    const row = {
      action: input.action,
      actorId: input.actor?.id ?? null,
      actorType: input.actorType ?? (input.actor ? 'user' : 'system'),
      channel: input.channel ?? input.actor?.channel ?? 'system',
      requestId: input.requestId ?? null,
      integrationId: input.integrationId ?? null,
      details: input.details ?? {},
    } as const;
    await repo.insert({ ...row, details: row.details as object });
    // Every audited change is also a domain event, published once its transaction commits.
    this.bus.publishAfterCommit(row, em);
  }

  async list(filter: {
    requestId?: string;
    integrationId?: string;
    limit: number;
  }): Promise<AuditEventEntity[]> {
    const qb = this.events.createQueryBuilder('e').orderBy('e.id', 'ASC').take(filter.limit);
    if (filter.requestId) qb.andWhere('e.request_id = :r', { r: filter.requestId });
    if (filter.integrationId) qb.andWhere('e.integration_id = :i', { i: filter.integrationId });
    return qb.getMany();
  }
}
