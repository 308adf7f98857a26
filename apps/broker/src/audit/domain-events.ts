import { Injectable, Logger } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { AfterCommit } from '../database/after-commit';
import type { AuditAction } from './audit-action';

/** Something that happened and was committed: the audit record, as a notification. */
export interface DomainEvent {
  action: AuditAction;
  actorId: string | null;
  channel: string;
  requestId: string | null;
  integrationId: string | null;
  details: Record<string, unknown>;
}

export type DomainEventHandler = (event: DomainEvent) => Promise<void>;

/**
 * In-process publish/subscribe for committed state changes, for listeners that may miss one
 * when the broker stops (metrics, the audit stream): events recorded inside a transaction are
 * published only after it commits — never for a rollback, never inside the transaction, so a
 * slow subscriber never holds a row lock. What must not be lost (Slack notices) is an outbox
 * job written with the audit event instead.
 */
@Injectable()
export class DomainEventBus {
  private readonly logger = new Logger(DomainEventBus.name);
  private readonly handlers = new Set<DomainEventHandler>();

  constructor(
    private readonly afterCommit: AfterCommit,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  subscribe(handler: DomainEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Publishes `event` once the ambient transaction commits, or right away outside one. */
  publishAfterCommit(event: DomainEvent): void {
    this.afterCommit.run(this.txHost.tx, () => this.publish(event));
  }

  private publish(event: DomainEvent): void {
    for (const handler of this.handlers) {
      // Subscribers run detached from the caller: a failing notification never fails a decision.
      setImmediate(() => {
        handler(event).catch((err: unknown) =>
          this.logger.error(
            { action: event.action, requestId: event.requestId, err },
            'event subscriber failed',
          ),
        );
      });
    }
  }
}
