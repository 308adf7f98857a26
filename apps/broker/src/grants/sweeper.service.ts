import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { sweepDuration } from '../metrics/operation-timings';
import { GrantsService } from './grants.service';

/**
 * The safety net behind the delayed jobs (DESIGN §5): overdue grants and due cleanups.
 * Safe on several replicas: each grant is ended under its row lock, once.
 */
@Injectable()
export class SweeperService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SweeperService.name);
  private busy = false;

  constructor(
    private readonly grants: GrantsService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  onApplicationBootstrap(): void {
    const handle = setInterval(() => void this.tick(), this.config.SWEEP_INTERVAL_MS);
    handle.unref();
    this.scheduler.addInterval('sweeper', handle);
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const timer = sweepDuration.startTimer();
      const { expired, cleanups } = await this.grants.sweep();
      timer();
      if (expired || cleanups)
        this.logger.log({ expired, cleanups }, 'sweeper caught overdue work');
    } catch (err) {
      this.logger.warn({ err }, 'sweep failed; next tick retries');
    } finally {
      this.busy = false;
    }
  }
}
