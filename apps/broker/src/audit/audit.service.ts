import { Inject, Injectable } from '@nestjs/common';
import { DomainEventBus } from './domain-events';
import { BROKER_CONFIG, slackSettings, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../common/actor';
import { notifyJobId, type OutboxJob } from '../outbox/broker-jobs';
import { OutboxService } from '../outbox/outbox.service';
import { notificationOf, type AuditAction } from './audit-action';
import type { AuditChannel, AuditEventEntity } from './audit-event.entity';
import {
  AuditEventRepository,
  type AuditEventRow,
  type AuditFilter,
} from './audit-event.repository';

export type { AuditFilter } from './audit-event.repository';

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
 * Append-only; written in the ambient transaction, so with the change it records (a caller
 * outside one writes straight to the pool).
 * An event Slack tells people about brings its notice job along, in that same transaction:
 * the notice is delivered once the change commits, even by another broker if this one stops.
 */
@Injectable()
export class AuditService {
  private readonly notifies: boolean;

  constructor(
    private readonly events: AuditEventRepository,
    private readonly bus: DomainEventBus,
    private readonly outbox: OutboxService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
  ) {
    this.notifies = slackSettings(config).enabled;
  }

  async record(input: AuditInput): Promise<void> {
    await this.recordMany([input]);
  }

  /** Several events in as few INSERTs as binding allows (a batch of connector results), in order. */
  async recordMany(inputs: readonly AuditInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const rows = inputs.map((input): AuditEventRow => ({
      action: input.action,
      actorId: input.actor?.id ?? null,
      actorType: input.actorType ?? (input.actor ? 'user' : 'system'),
      channel: input.channel ?? input.actor?.channel ?? 'system',
      requestId: input.requestId ?? null,
      integrationId: input.integrationId ?? null,
      details: input.details ?? {},
      sourceAddress: input.actor?.sourceAddress ?? null,
    }));
    const ids = await this.events.append(rows);
    if (this.notifies) {
      const notices = rows.flatMap((row, k): OutboxJob[] =>
        notificationOf(row.action)
          ? [{ job: { kind: 'notify', auditEventId: ids[k] }, jobId: notifyJobId(ids[k]) }]
          : [],
      );
      await this.outbox.addMany(notices);
    }
    // Every audited change is also a domain event, published once its transaction commits.
    for (const row of rows) this.bus.publishAfterCommit(row);
  }

  async byId(id: string): Promise<AuditEventEntity | null> {
    return this.events.byId(id);
  }

  async list(
    filter: AuditFilter & { limit: number; afterId?: string },
  ): Promise<AuditEventEntity[]> {
    return this.events.page(filter);
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
