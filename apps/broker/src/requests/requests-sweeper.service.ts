import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { RequestsService } from './requests.service';

/** Safety net for pending requests whose timers were lost (a flushed Redis, a broker down). */
@Injectable()
export class RequestsSweeperService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RequestsSweeperService.name);
  private busy = false;

  constructor(
    private readonly requests: RequestsService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  onApplicationBootstrap(): void {
    const handle = setInterval(() => void this.tick(), this.config.SWEEP_INTERVAL_MS);
    handle.unref();
    this.scheduler.addInterval('requests-sweeper', handle);
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const changed = await this.requests.sweepPending();
      if (changed) this.logger.log({ changed }, 'pending sweep caught overdue timers');
    } catch (err) {
      this.logger.warn({ err }, 'pending sweep failed; next tick retries');
    } finally {
      this.busy = false;
    }
  }
}
