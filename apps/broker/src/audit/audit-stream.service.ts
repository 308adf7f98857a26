import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DomainEventBus } from './domain-events';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { AuditCheckpoint } from './audit-checkpoint';

/** AUDIT_STDOUT: every committed audit event as one JSON line on stdout, for log shippers. */
@Injectable()
export class AuditStreamService implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: DomainEventBus,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.AUDIT_STDOUT) return;
    this.unsubscribe = this.bus.subscribe(async (event) => {
      process.stdout.write(
        `${JSON.stringify({ stream: 'doorman-audit', at: new Date().toISOString(), ...event })}\n`,
      );
    });
  }

  /** A signed checkpoint of the chain's head, on the same stream, for the log shipper to keep. */
  checkpoint(c: AuditCheckpoint): void {
    if (!this.config.AUDIT_STDOUT) return;
    process.stdout.write(`${JSON.stringify({ stream: 'doorman-audit-checkpoint', ...c })}\n`);
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}
