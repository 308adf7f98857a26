import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DomainEventBus } from './domain-events';
import { BROKER_CONFIG, slackSettings, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../common/actor';
import { notifyJobId, type OutboxJob } from '../outbox/broker-jobs';
import { OutboxService } from '../outbox/outbox.service';
import { notificationOf, type AuditAction } from './audit-action';
import { AuditEventEntity, type AuditChannel } from './audit-event.entity';

export interface AuditInput {
  action: AuditAction;
  /** A person, or null for the system and connectors. */
  actor?: Actor | null;
  actorType?: 'user' | 'system' | 'connector';
  channel?: AuditChannel;
  requestId?: string | null;
  integrationId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Append-only; written in the same transaction as the change it records when one is given.
 * An event Slack tells people about brings its notice job along, in that same transaction:
 * the notice is delivered once the change commits, even by another broker if this one stops.
 */
@Injectable()
export class AuditService {
  private readonly notifies: boolean;

  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly bus: DomainEventBus,
    private readonly outbox: OutboxService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {
    this.notifies = slackSettings(config).enabled;
  }

  async record(input: AuditInput, em?: EntityManager): Promise<void> {
    await this.recordMany([input], em);
  }

  /** Several events in one INSERT (a batch of connector results), in the given order. */
  async recordMany(inputs: readonly AuditInput[], given?: EntityManager): Promise<void> {
    if (inputs.length === 0) return;
    // Without a manager given, the ambient transaction's (or the pool's outside one).
    const em = given ?? this.txHost.tx;
    const repo = em.getRepository(AuditEventEntity);
    const rows = inputs.map(
      (input) =>
        ({
          action: input.action,
          actorId: input.actor?.id ?? null,
          actorType: input.actorType ?? (input.actor ? 'user' : 'system'),
          channel: input.channel ?? input.actor?.channel ?? 'system',
          requestId: input.requestId ?? null,
          integrationId: input.integrationId ?? null,
          details: input.details ?? {},
          sourceAddress: input.actor?.sourceAddress ?? null,
        }) as const,
    );
    const notices: OutboxJob[] = [];
    // A thousand rows a statement: 8 parameters a row, PostgreSQL binds at most 65,535.
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const { identifiers } = await repo.insert(
        chunk.map((row): QueryDeepPartialEntity<AuditEventEntity> => ({
          ...row,
          details: row.details as object,
        })),
      );
      if (!this.notifies) continue;
      chunk.forEach((row, k) => {
        const id = String(identifiers[k]?.id);
        if (notificationOf(row.action))
          notices.push({ job: { kind: 'notify', auditEventId: id }, jobId: notifyJobId(id) });
      });
    }
    await this.outbox.addMany(notices, em);
    // Every audited change is also a domain event, published once its transaction commits.
    for (const row of rows) this.bus.publishAfterCommit(row, em);
  }

  async byId(id: string): Promise<AuditEventEntity | null> {
    return this.events.findOneBy({ id });
  }

  async list(
    filter: AuditFilter & { limit: number; afterId?: string },
  ): Promise<AuditEventEntity[]> {
    const qb = this.events.createQueryBuilder('e').orderBy('e.id', 'ASC').take(filter.limit);
    if (filter.afterId) qb.andWhere('e.id > :after', { after: filter.afterId });
    if (filter.requestId) qb.andWhere('e.request_id = :r', { r: filter.requestId });
    if (filter.integrationId) qb.andWhere('e.integration_id = :i', { i: filter.integrationId });
    if (filter.actorId) qb.andWhere('e.actor_id = :a', { a: filter.actorId });
    if (filter.action) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.from) qb.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('e.at < :to', { to: filter.to });
    if (filter.database && filter.schema) {
      // Events of requests on that resource.
      qb.andWhere(
        'e.request_id IN (SELECT r.id FROM access_requests r WHERE r.database = :db AND r.schema = :schema' +
          (filter.integrationId ? ' AND r.integration_id = :i)' : ')'),
        { db: filter.database, schema: filter.schema },
      );
    }
    return qb.getMany();
  }

  /** Every matching event, in id order, a page at a time (for streamed exports). */
  async *iterate(filter: AuditFilter): AsyncGenerator<AuditEventEntity> {
    let afterId: string | undefined;
    for (;;) {
      const page = await this.list({ ...filter, afterId, limit: 1000 });
      for (const e of page) yield e;
      if (page.length < 1000) return;
      afterId = page[page.length - 1].id;
    }
  }
}

export interface AuditFilter {
  requestId?: string;
  integrationId?: string;
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  database?: string;
  schema?: string;
}
