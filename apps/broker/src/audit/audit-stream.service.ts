import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DomainEventBus } from '../common/domain-events';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';

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

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}
